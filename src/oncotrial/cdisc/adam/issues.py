"""Data issues found while deriving ADRS, listed rather than silently absorbed.

admiralonco warns about some of these (``signal_crpr()`` for a CR followed by a PR) and leaves
the rest to the programmer; oncotrial lists every OVR record that was not analysed as
recorded, with the reason and what the derivation did with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._settings import StartDate

__all__ = ["ISSUE_COLUMNS", "ISSUE_VARIABLES", "derive_adrs_issues"]

ISSUE_COLUMNS = ("USUBJID", "VISIT", "RSDTC", "RSSTRESC", "ISSUE", "ACTION")
_RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
_NO_DATE = "assessment date missing or without month"
_DAY_MISSING = "day of assessment date missing"
_BEFORE_START = "assessment before the reference start date"
# The RS variable each issue is about (the others are about RSSTRESC).
ISSUE_VARIABLES = {_NO_DATE: "RSDTC", _DAY_MISSING: "RSDTC", _BEFORE_START: "RSDTC"}


def derive_adrs_issues(adrs: pd.DataFrame, *, start_date: StartDate) -> pd.DataFrame:
    """One row per questionable OVR record of *adrs* (output of :func:`derive_adrs`).

    *start_date* names the ADSL variable (carried on ADRS) used as the reference date.

    Listed: no valid response (ND, blank, or text such as ``CHECK``); no usable date (missing
    or month missing); day of the date imputed; assessment before the reference start date; a
    second assessment on the same date (the worst is kept); CR followed by PR, SD or
    NON-CR/NON-PD (admiralonco ``signal_crpr``; RECIST 1.1 Table 3 footnote), noting whether it
    was recoded to PD.

    Parameters
    ----------
    adrs
        ADRS with the PARAMCD ``OVR`` records (AVALC, ADT, ADTF, ANL01FL, ARULE, RSDTC,
        RSSTRESC, VISIT) and the start date variable.
    start_date
        ``"RANDDT"``, ``"ENRLDT"`` or ``"TRTSDT"``.

    Returns
    -------
    pandas.DataFrame
        One row per record and issue (:data:`ISSUE_COLUMNS`: USUBJID, VISIT, RSDTC, RSSTRESC,
        ISSUE, ACTION), sorted by subject and RSDTC; a record can have several issues.
    """

    ovr = adrs.loc[adrs["PARAMCD"] == "OVR"]
    valid = ovr["AVALC"].isin(_RESPONSES)
    dated = ovr["ADT"].notna()
    analysed = ovr["ANL01FL"] == "Y"
    before = ovr["ADT"] < ovr[start_date]
    checks: list[tuple[pd.Series, str, str]] = [
        (~valid, "not a RECIST 1.1 overall response (ND, blank or other text)",
         "not analysed"),
        (valid & ~dated, _NO_DATE, "not analysed"),
        (ovr["ADTF"] == "D", _DAY_MISSING, "imputed to last day of month"),
        (valid & dated & ~analysed & before, _BEFORE_START, "not analysed"),
        (valid & dated & ~analysed & ~before,
         "another assessment on the same date", "worst response of the day kept"),
        (_after_cr(ovr), "CR followed by PR, SD or NON-CR/NON-PD",
         "kept as recorded (data issue, admiralonco signal_crpr)"),
        (ovr["ARULE"] == "cr_followed_by_worse_is_pd", "CR followed by PR, SD or NON-CR/NON-PD",
         "recoded to PD (RECIST 1.1 Table 3 footnote)"),
    ]
    parts = [ovr.loc[mask, list(ISSUE_COLUMNS[:4])].assign(ISSUE=issue, ACTION=action)
             for mask, issue, action in checks if mask.any()]
    if not parts:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    return pd.concat(parts, ignore_index=True).sort_values(
        ["USUBJID", "RSDTC"], kind="stable").reset_index(drop=True)


def _after_cr(ovr: pd.DataFrame) -> pd.Series:
    """Analysed PR/SD/NON-CR/NON-PD dated after an analysed CR of the same subject."""
    analysed = ovr["ANL01FL"] == "Y"
    first_cr = ovr.loc[analysed & (ovr["AVALC"] == "CR")].groupby("USUBJID")["ADT"].min()
    after = ovr["ADT"] > ovr["USUBJID"].map(first_cr)
    worse = ovr["AVALC"].isin(["PR", "SD", "NON-CR/NON-PD"])
    return pd.Series(np.asarray(analysed & worse & after, dtype=bool), index=ovr.index)
