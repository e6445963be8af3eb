"""Screen SDTM from any source before deriving ADaM: list what cannot be used, refuse what
cannot be analysed at all.

- A ``--DTC`` value that is not an ISO 8601 date (``12/02/2020``, ``2019-02-30``) is listed as
  an issue and treated as missing, so one bad date never stops the derivation.
- Duplicate keys make every later step ambiguous and are a :class:`DataError` naming them: a
  subject twice in DM, a ``--SEQ`` twice within a subject of a domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from oncotrial.cdisc.adam._dates import malformed_dtc
from oncotrial.errors import DataError

__all__ = ["ISSUE_COLUMNS", "ScreenedSdtm", "screen_sdtm"]

ISSUE_COLUMNS = ("DATASET", "USUBJID", "VISIT", "VARIABLE", "VALUE", "ISSUE", "ACTION")


@dataclass(frozen=True, slots=True)
class ScreenedSdtm:
    """SDTM domains with unusable dates blanked, and the issues found (:data:`ISSUE_COLUMNS`)."""

    domains: dict[str, pd.DataFrame]
    issues: pd.DataFrame


def screen_sdtm(sdtm: Mapping[str, pd.DataFrame]) -> ScreenedSdtm:
    """Check keys and dates of every domain in *sdtm* (upper-case names as read).

    Parameters
    ----------
    sdtm
        SDTM domains keyed by name; every column ending in ``DTC`` is screened, and the keys
        USUBJID (DM) and USUBJID + ``--SEQ`` (other domains, not SUPP--).

    Returns
    -------
    ScreenedSdtm
        The domains with each malformed ``--DTC`` value blanked (a domain without one is the
        same object, never copied) and one issue row per blanked value (DATASET, USUBJID,
        VISIT, VARIABLE, VALUE, ISSUE, ACTION ``treated as missing``).

    Raises
    ------
    DataError
        For a subject twice in DM or a ``--SEQ`` value twice within a subject.

    Examples
    --------
    An ISO 8601 partial date (``2019-02``) is kept; 30 February is no real day:

    >>> import pandas as pd
    >>> ae = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1, 2, 1],
    ...                    "AESTDTC": ["2019-02-28", "2019-02-30", "2019-02"]})
    >>> screened = screen_sdtm({"AE": ae})
    >>> screened.domains["AE"]["AESTDTC"].tolist()
    ['2019-02-28', '', '2019-02']
    >>> screened.issues[["USUBJID", "VALUE", "ACTION"]].values.tolist()
    [['S1', '2019-02-30', 'treated as missing']]
    """

    parts: list[pd.DataFrame] = []
    domains: dict[str, pd.DataFrame] = {}
    for name, frame in sdtm.items():
        _check_keys(name, frame)
        cleaned = frame
        for column in [c for c in frame.columns if str(c).endswith("DTC")]:
            bad = malformed_dtc(frame[column])
            if not bad.any():
                continue
            rows = frame.loc[bad]
            parts.append(pd.DataFrame({
                "DATASET": name,
                "USUBJID": _column(rows, "USUBJID"),
                "VISIT": _column(rows, "VISIT"),
                "VARIABLE": column,
                "VALUE": rows[column].astype(str).to_numpy(),
                "ISSUE": "not an ISO 8601 date (YYYY[-MM[-DD]][Thh:mm…]) or not a real day",
                "ACTION": "treated as missing",
            }))
            if cleaned is frame:
                cleaned = frame.copy()
            cleaned.loc[bad, column] = ""
        domains[name] = cleaned
    issues = (pd.concat(parts, ignore_index=True) if parts
              else pd.DataFrame(columns=list(ISSUE_COLUMNS)))
    return ScreenedSdtm(domains, issues)


def _column(rows: pd.DataFrame, column: str) -> object:
    return rows[column].astype(str).to_numpy() if column in rows.columns else ""


def _check_keys(name: str, frame: pd.DataFrame) -> None:
    if "USUBJID" not in frame.columns:
        return
    if name == "DM":
        repeated = frame["USUBJID"][frame["USUBJID"].duplicated()]
        if not repeated.empty:
            raise DataError("subject twice in DM", field="DM.USUBJID",
                            value=sorted(set(repeated.astype(str)))[:5],
                            allowed="one DM record per subject")
        return
    seq = f"{name}SEQ" if not name.startswith("SUPP") else None
    if seq is None or seq not in frame.columns:
        return
    keys = frame[["USUBJID", seq]]
    clashes = keys[keys.notna().all(axis=1) & keys.duplicated(keep=False)]
    if not clashes.empty:
        first = clashes.iloc[0]
        raise DataError(f"{seq} repeated within a subject in {name}", field=seq,
                        value=str(first[seq]), subject=str(first["USUBJID"]),
                        allowed=f"one record per USUBJID and {seq}")
