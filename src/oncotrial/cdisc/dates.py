"""ISO 8601 date/time strings as SDTM stores them (``--DTC``), complete or partial."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from oncotrial.errors import DataError

__all__ = ["TIME_PART", "ImputedDate", "parse_dtc"]

# SDTMIG v3.3 §4.4.4: YYYY[-MM[-DD]][Thh[:mm[:ss[.f]]]], a zone (Z, ±hh[:mm]), unknown parts as
# "-" ("2003-12-15T-:15", or "2003---15": year known, month not, so taken as a year only).
TIME_PART = r"(?:T[\d:.\-]*(?:Z|[+\-]\d{2}(?::?\d{2})?)?)?"
_DTC = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?|---\d{2}|--)?" + TIME_PART + "$"
)

Imputation = Literal["first", "last", "mid", "none"]


@dataclass(frozen=True, slots=True)
class ImputedDate:
    """A date read from a ``--DTC`` value with the ADaM imputation flag (``D``, ``M`` or ``""``).

    ``flag`` follows ADaM ``--DTF``: ``"D"`` when the day was imputed, ``"M"`` when month and
    day were imputed, ``""`` when the date was complete.
    """

    value: date
    flag: Literal["", "D", "M"]


def parse_dtc(
    dtc: str | None, *, impute: Imputation = "none", field: str = "--DTC"
) -> ImputedDate | None:
    """Parse an SDTM ISO 8601 date, complete (``2019-03-04``) or partial (``2019-03``, ``2019``).

    Parameters
    ----------
    dtc
        The ``--DTC`` value; ``None`` or empty gives ``None``. A time part is ignored.
    impute
        ``"none"`` returns ``None`` for a partial date; ``"first"`` imputes the first day
        (and January), ``"last"`` the last day (and December), ``"mid"`` the 15th (and June 30
        when only the year is known), as ADaM ``--DTF`` conventions describe.
    field
        Variable name used in the error message.

    Returns
    -------
    ImputedDate or None
        The date and its ADaM imputation flag (``""`` complete, ``"D"`` day imputed, ``"M"``
        month and day imputed); ``None`` for a missing value or a partial date not imputed.

    Raises
    ------
    DataError
        When the text is not an ISO 8601 date or names an impossible date.

    Examples
    --------
    >>> from oncotrial.cdisc import parse_dtc
    >>> parse_dtc("2014-01-02")
    ImputedDate(value=datetime.date(2014, 1, 2), flag='')
    >>> parse_dtc("2014-02", impute="last")
    ImputedDate(value=datetime.date(2014, 2, 28), flag='D')
    >>> parse_dtc("2014-02") is None
    True
    >>> parse_dtc("02/01/2014", field="AESTDTC")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: AESTDTC='02/01/2014': not an ISO 8601 date (allowed: YYYY[-MM[-DD]])
    """
    if dtc is None:
        return None
    text = str(dtc).strip()
    if not text or text.lower() == "nan":
        return None
    match = _DTC.match(text)
    if match is None:
        raise DataError("not an ISO 8601 date", field=field, value=text, allowed="YYYY[-MM[-DD]]")
    year = int(match["y"])
    month = int(match["m"]) if match["m"] else None
    day = int(match["d"]) if match["d"] else None
    try:
        if month is not None and day is not None:
            return ImputedDate(date(year, month, day), "")
        if impute == "none":
            return None
        if month is None:
            month_imp = {"first": 1, "last": 12, "mid": 6}[impute]
            day_imp = {"first": 1, "last": 31, "mid": 30}[impute]
            return ImputedDate(date(year, month_imp, day_imp), "M")
        last = calendar.monthrange(year, month)[1]
        day_imp = {"first": 1, "last": last, "mid": 15}[impute]
        return ImputedDate(date(year, month, day_imp), "D")
    except ValueError as exc:
        raise DataError("impossible calendar date", field=field, value=text) from exc
