"""Vectorised reading of SDTM ``--DTC`` columns into analysis dates (ADaM ``*DT`` / ``*DTF``).

The scalar rules live in :func:`oncotrial.cdisc.dates.parse_dtc`; this module applies the same
rules to a whole column at once (a per-value Python loop over 10^5 assessments is too slow) and
falls back to ``parse_dtc`` only to produce the precise error for a malformed value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from oncotrial.cdisc.dates import TIME_PART, parse_dtc
from oncotrial.errors import DataError

__all__ = ["dates_from_dtc", "day_numbers", "malformed_dtc", "relative_day"]

_COMPLETE = r"^\d{4}-\d{2}-\d{2}" + TIME_PART + "$"
_YEAR_MONTH = r"^\d{4}-\d{2}(?:-{1,2})?" + TIME_PART + "$"  # "2019-03", "2019-03-", time kept
_YEAR = r"^\d{4}(?:---\d{2}|-{1,2})?" + TIME_PART + "$"  # "2019", "2019---15" (month unknown)


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
    text = text.where(~year_month, text.str.slice(0, 7)).where(~year, text.str.slice(0, 4))
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


def relative_day(dates: pd.Series, start: pd.Series) -> pd.Series:
    """Analysis relative day (ADY, ASTDY) of *dates* against *start* (e.g. TRTSDT): ``date -
    start + 1`` on or after the start, ``date - start`` before it, so there is no day 0
    (SDTMIG 3.3 §4.4.4 --DY; admiral ``derive_vars_dy``); NaN when either date is missing."""
    days = (pd.to_datetime(dates) - pd.to_datetime(start)).dt.days
    return (days + (days >= 0)).astype(float)


def malformed_dtc(values: pd.Series) -> pd.Series:
    """Rows of an SDTM ``--DTC`` column that are neither empty nor an ISO 8601 date (complete or
    partial, with or without a time) naming a real calendar day; evaluated per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(list(uniques), dtype=object).astype("string").fillna("").str.strip()
    complete = text.str.match(_COMPLETE)
    partial = text.str.match(_YEAR_MONTH) | text.str.match(_YEAR)
    parsed = pd.to_datetime(text.str.slice(0, 10).where(complete), format="%Y-%m-%d",
                            errors="coerce")
    months = pd.to_numeric(text.str.slice(5, 7).where(text.str.match(_YEAR_MONTH)),
                           errors="coerce")
    bad = ((text != "") & ~(complete | partial)) | (complete & parsed.isna())
    bad |= months.notna() & ~months.between(1, 12)
    flags = np.append(bad.to_numpy(dtype=bool), False)
    return pd.Series(flags[np.where(codes >= 0, codes, len(uniques))], index=values.index)


_TIME = r"^\d{4}-\d{2}-\d{2}T(?P<h>\d{2})?(?::(?P<m>\d{2}))?(?::(?P<s>\d{2}))?"


def datetimes_from_dtc(
    values: pd.Series, *, time_imputation: Literal["first", "last"]
) -> tuple[pd.Series, pd.Series]:
    """``--DTC`` text → datetimes and ADaM time imputation flags (``--TMF``), column-wise.

    As admiral ``derive_vars_dtm()`` with its default ``highest_imputation = "h"``: the date must
    be complete (otherwise missing); a missing hour, minute or second is imputed as the first
    (00) or last (23/59) possible value and flagged ``H``, ``M`` or ``S`` for the highest
    component imputed. Time zones are ignored. Rows must already be valid dates
    (:func:`malformed_dtc`).
    """
    text = values.astype("string").fillna("").str.strip()
    complete = text.str.match(_COMPLETE)
    parts = text.where(complete, "").str.extract(_TIME)
    day = pd.to_datetime(text.str.slice(0, 10).where(complete), format="%Y-%m-%d",
                         errors="coerce")
    fill = {"first": ("0", "0", "0"), "last": ("23", "59", "59")}[time_imputation]
    hours = pd.to_numeric(parts["h"], errors="coerce")
    minutes = pd.to_numeric(parts["m"], errors="coerce")
    seconds = pd.to_numeric(parts["s"], errors="coerce")
    flag = np.select([hours.isna(), minutes.isna(), seconds.isna()], ["H", "M", "S"], "")
    hours = hours.fillna(float(fill[0]))
    minutes = minutes.where(parts["h"].notna(), np.nan).fillna(float(fill[1]))
    seconds = seconds.where(parts["m"].notna(), np.nan).fillna(float(fill[2]))
    stamp = day + pd.to_timedelta(hours * 3600 + minutes * 60 + seconds, unit="s")
    flags = pd.Series(flag, index=values.index, dtype=object).where(day.notna(), "")
    return stamp.astype("datetime64[ns]"), flags
