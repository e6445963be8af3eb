"""Vectorised reading of SDTM ``--DTC`` columns into analysis dates (ADaM ``*DT`` / ``*DTF``).

The scalar rules live in :func:`oncotrial.cdisc.dates.parse_dtc`; this module applies the same
rules to a whole column at once (a per-value Python loop over 10^5 assessments is too slow) and
falls back to ``parse_dtc`` only to produce the precise error for a malformed value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from oncotrial.cdisc.dates import parse_dtc
from oncotrial.errors import DataError

__all__ = ["dates_from_dtc", "day_numbers"]

_COMPLETE = r"^\d{4}-\d{2}-\d{2}(?:T[\d:.]*)?$"
_YEAR_MONTH = r"^\d{4}-\d{2}$"
_YEAR = r"^\d{4}$"


def dates_from_dtc(
    values: pd.Series,
    *,
    field: str,
    impute: Literal["none", "first", "last"] = "none",
    highest: Literal["D", "M"] = "D",
    subjects: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Turn ISO 8601 ``--DTC`` text into dates and ADaM imputation flags, column-wise.

    Parameters
    ----------
    values
        The ``--DTC`` column (text; empty or missing gives a missing date).
    field
        Variable name used in error messages.
    impute
        ``"none"`` keeps partial dates missing; ``"first"``/``"last"`` impute the first/last
        possible day, as admiral ``derive_vars_dt(date_imputation=...)``.
    highest
        Highest component that may be imputed: ``"D"`` (day only; a year-only date stays
        missing, admiral ``highest_imputation = "D"``) or ``"M"`` (month and day).
    subjects
        ``USUBJID`` aligned with *values*, to name the subject in an error.

    Returns
    -------
    tuple of Series
        ``datetime64[ns]`` dates (``NaT`` when missing) and flags ``""``, ``"D"`` or ``"M"``.

    Raises
    ------
    DataError
        For text that is not an ISO 8601 date or names an impossible date.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(list(uniques), dtype=object)
    dates, flags = _parse_distinct(distinct, field=field, impute=impute, highest=highest,
                                   subjects=None if subjects is None else _first_subjects(
                                       codes, len(distinct), subjects))
    taken = np.where(codes >= 0, codes, len(distinct))
    all_dates = np.append(dates.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    all_flags = np.append(flags.to_numpy(dtype=object), "")
    return (pd.Series(all_dates[taken], index=values.index, dtype="datetime64[ns]"),
            pd.Series(all_flags[taken], index=values.index, dtype=object))


def _first_subjects(codes: np.ndarray, n: int, subjects: pd.Series) -> pd.Series:
    """The subject of the first record holding each distinct value (for error messages)."""
    first = np.full(n, -1, dtype=np.int64)
    valid = codes >= 0
    positions = np.flatnonzero(valid)
    order = np.unique(codes[valid], return_index=True)[1]
    first[np.unique(codes[valid])] = positions[order]
    return pd.Series(subjects.to_numpy()[first], dtype=object)


def _parse_distinct(
    values: pd.Series,
    *,
    field: str,
    impute: Literal["none", "first", "last"],
    highest: Literal["D", "M"],
    subjects: pd.Series | None,
) -> tuple[pd.Series, pd.Series]:
    text = values.astype("string").fillna("").str.strip()
    complete = text.str.match(_COMPLETE)
    year_month = text.str.match(_YEAR_MONTH)
    year = text.str.match(_YEAR)
    bad = (text != "") & ~(complete | year_month | year)
    out = pd.to_datetime(text.str.slice(0, 10).where(complete), format="%Y-%m-%d", errors="coerce")
    bad |= complete & out.isna()
    if bad.any():
        _raise_first_bad(text, bad, field=field, subjects=subjects)
    flags = pd.Series("", index=values.index, dtype=object)
    if impute != "none":
        first_day = pd.to_datetime(
            text.where(year_month) + "-01", format="%Y-%m-%d", errors="coerce"
        )
        bad_month = year_month & first_day.isna()
        if bad_month.any():
            _raise_first_bad(text, bad_month, field=field, subjects=subjects)
        if impute == "last":
            first_day = first_day + pd.offsets.MonthEnd(0)
        out = out.where(~year_month, first_day)
        flags = flags.mask(year_month, "D")
        if highest == "M":
            suffix = "-01-01" if impute == "first" else "-12-31"
            year_day = pd.to_datetime(text.where(year) + suffix, format="%Y-%m-%d", errors="coerce")
            out = out.where(~year, year_day)
            flags = flags.mask(year, "M")
    return out.astype("datetime64[ns]"), flags


def _raise_first_bad(
    text: pd.Series, bad: pd.Series, *, field: str, subjects: pd.Series | None
) -> None:
    position = int(np.flatnonzero(bad.to_numpy())[0])
    value = str(text.iloc[position])
    subject = None if subjects is None else str(subjects.iloc[position])
    allowed = "an ISO 8601 date YYYY[-MM[-DD]] naming a real calendar day"
    try:
        parse_dtc(value, field=field)
    except DataError as exc:
        raise DataError(
            "not a valid date", field=field, value=value, allowed=allowed, subject=subject
        ) from exc
    raise DataError("not a valid date", field=field, value=value, allowed=allowed, subject=subject)


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as integer day numbers since 1970-01-01 (missing as the minimum int64)."""
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
