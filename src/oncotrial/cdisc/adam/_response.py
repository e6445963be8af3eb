"""Vectorised response algorithms behind ADRS: normalising timepoint responses, analysis flags
and the earliest-event selection of Y/N parameters (admiral ``derive_extreme_event``).

Worst of day, the CR-followed-by-worse recoding, the cut after the first PD, confirmation and
the best-response events are the RECIST engine's (:mod:`oncotrial.rules.recist`), so ADRS and
``oncotrial recist assess`` cannot disagree.

Sources: admiralonco ``inst/templates/ad_adrs.R`` and ``R/response_sources.R`` (commit
83370b1289b2), deprecated ``derive_param_confirmed_bor()`` (its documented rules), admiral
``filter_joined()``; summarised in ``shared/reference/adam_derivations.md`` §1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import dates_from_dtc, day_numbers
from oncotrial.cdisc.adam._text import upper_text
from oncotrial.rules.recist import (
    RESPONSE_CODES,
    WORST_OF_DAY_RANK,
    cut_after_first_pd,
    recode_cr_followed_by_worse,
)

__all__ = [
    "RESPONSES",
    "Event",
    "evaluator_records",
    "flag_analysis_records",
    "normalise_responses",
    "select_events",
]

CR, PR, SD, NONCRPD, PD, NE = "CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"
RESPONSES: tuple[str, ...] = (CR, PR, SD, NONCRPD, PD, NE)

# Spellings seen in real SDTM RS (RSSTRESC/RSORRES) → RECIST 1.1 code. ND/NOT DONE/UNK and
# blanks are kept as recorded but are not valid responses (admiralonco ``aval_resp`` gives
# them no AVAL, so they never enter ANL01FL).
_SPELLINGS: dict[str, str] = {
    "CR": CR, "COMPLETE RESPONSE": CR,
    "PR": PR, "PARTIAL RESPONSE": PR,
    "SD": SD, "STABLE DISEASE": SD,
    "NON-CR/NON-PD": NONCRPD, "NON CR/NON PD": NONCRPD, "NON-CR/ NON-PD": NONCRPD,
    "NON-CR / NON-PD": NONCRPD, "NONCR/NONPD": NONCRPD, "NON-CR/NON PD": NONCRPD,
    "PD": PD, "PROGRESSIVE DISEASE": PD,
    "NE": NE, "NOT EVALUABLE": NE, "UNABLE TO EVALUATE": NE,
}
_NOT_DONE = {"", "ND", "NOT DONE", "NOT ASSESSED", "UNK", "UNKNOWN", "MISSING", "NA"}

# aval_resp() (admiralonco): CR=1, PR=2, SD=3, NON-CR/NON-PD=4, PD=5, NE=6, MISSING=7.
AVAL_RESP: dict[str, float] = {CR: 1, PR: 2, SD: 3, NONCRPD: 4, PD: 5, NE: 6, "MISSING": 7}

_PD_CODE = RESPONSE_CODES[PD]


def _upper(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return upper_text(frame[column])


def evaluator_records(rs: pd.DataFrame, *, evaluator: str) -> pd.DataFrame:
    """RS overall responses (``RSTESTCD = OVRLRESP``) of one evaluator.

    The evaluator matches RSEVAL or RSEVALID; a blank RSEVAL is the investigator (as the
    TU/TR reader of :mod:`oncotrial.cdisc.sdtm.tumour` reads a blank TREVAL). For readers
    other than the investigator, when some of their records carry ``RSACPTFL = Y`` only
    those count (the accepted read, admiralonco BICR chain); without any accepted flag all
    of the reader's records are used.
    """
    wanted = evaluator.strip().upper()
    keep = _upper(rs, "RSTESTCD") == "OVRLRESP"
    if "RSEVAL" in rs.columns or "RSEVALID" in rs.columns:
        rseval = _upper(rs, "RSEVAL")
        chosen = (rseval == wanted) | (_upper(rs, "RSEVALID") == wanted)
        if wanted == "INVESTIGATOR":
            chosen |= rseval == ""
        keep &= chosen
    if wanted != "INVESTIGATOR" and "RSACPTFL" in rs.columns:
        accepted = _upper(rs, "RSACPTFL") == "Y"
        if (keep & accepted).any():
            keep &= accepted
    return rs.loc[keep]


def normalise_responses(ovr: pd.DataFrame) -> pd.DataFrame:
    """OVR records with ADT/ADTF (day imputed to the last of the month, admiralonco template),
    AVALC (RECIST code, or the recorded text when not a response) and AVAL.

    A value that is neither a RECIST 1.1 category nor a not-done spelling (e.g. ``CHECK`` in the
    pharmaverse example data) is kept as recorded with no AVAL and never analysed, as
    admiralonco's ``aval_resp()`` gives it no value; :func:`oncotrial.cdisc.adam.issues.
    derive_adrs_issues` lists it.
    """
    text = _upper(ovr, "RSSTRESC")
    code = text.map(_SPELLINGS)
    adt, adtf = dates_from_dtc(ovr["RSDTC"], field="RSDTC", impute="last",
                               subjects=ovr["USUBJID"])
    out = pd.DataFrame({
        "USUBJID": ovr["USUBJID"].astype(str).to_numpy(),
        "ADT": adt.to_numpy(),
        "ADTF": adtf.to_numpy(),
        "AVALC": code.fillna(text).to_numpy(),
        "RSSTRESC": ovr["RSSTRESC"].astype(str).to_numpy(),
        "RSDTC": ovr["RSDTC"].astype(str).to_numpy(),
    })
    for column in ("STUDYID", "RSSEQ", "RSEVAL", "VISIT", "VISITNUM"):
        if column in ovr.columns:
            out[column] = ovr[column].to_numpy()
    if "RSSEQ" not in out.columns:
        out["RSSEQ"] = np.arange(1, len(out) + 1, dtype=float)
    out["AVAL"] = out["AVALC"].map(AVAL_RESP)
    return out


def flag_analysis_records(
    ovr: pd.DataFrame,
    *,
    reference: pd.Series,
    new_therapy: pd.Series,
    cr_followed_by_worse_is_pd: bool = True,
) -> pd.DataFrame:
    """Add ANL01FL, ANL02FL and ANL03FL to normalised OVR records, sorted by subject and date.

    - ANL01FL: a valid response dated on or after the reference date, worst of its day (ties by
      RSSEQ) — admiralonco template.
    - ANL02FL: ANL01FL records up to and including the first PD. admiralonco flags relative to
      every OVR record, so a PD before the reference date would cut the whole follow-up; here
      only analysed (ANL01FL) records can be the first PD.
    - ANL03FL: ANL01FL records before the first new anticancer therapy (admiralonco vignette
      NACT handling; RECIST 1.1 §4.4: BOR is taken until new therapy).

    With *cr_followed_by_worse_is_pd*, an analysed PR/SD/NON-CR/NON-PD after a CR gets AVALC
    PD (RSSTRESC keeps the recorded value; ARULE names the recoding).
    """
    frame = ovr.assign(REFDT=ovr["USUBJID"].map(reference).astype("datetime64[ns]"))
    valid = (
        frame["AVALC"].isin(RESPONSE_CODES) & frame["ADT"].notna()
        & (frame["ADT"] >= frame["REFDT"])
    )
    code = frame["AVALC"].map(RESPONSE_CODES).fillna(-1).to_numpy(dtype=np.int64)
    # worst of day (the engine's order); records that are not responses sort last
    rank = np.where(code >= 0, WORST_OF_DAY_RANK[np.maximum(code, 0)], len(WORST_OF_DAY_RANK))
    day = frame["ADT"].to_numpy(dtype="datetime64[ns]").astype(np.int64)  # NaT sorts first
    order = np.lexsort((frame["RSSEQ"].to_numpy(dtype=float), rank, day,
                        pd.factorize(frame["USUBJID"], sort=True)[0]))
    frame = frame.take(order)
    valid = valid.loc[frame.index]
    # among valid records, the first of each subject-day is the worst of that day
    anl01 = valid & ~frame.assign(_VALID=valid).duplicated(["USUBJID", "ADT", "_VALID"])
    rows = np.flatnonzero(anl01.to_numpy())
    group = pd.factorize(frame["USUBJID"].to_numpy()[rows])[0].astype(np.int64)
    avalc = frame["AVALC"].to_numpy(dtype=object, copy=True)
    analysed_code = np.asarray(pd.Series(avalc[rows]).map(RESPONSE_CODES), dtype=np.int64)
    arule = np.full(len(frame), "", dtype=object)
    if cr_followed_by_worse_is_pd:
        recoded = recode_cr_followed_by_worse(group, analysed_code)
        avalc[rows[recoded]] = PD
        arule[rows[recoded]] = "cr_followed_by_worse_is_pd"
        analysed_code[recoded] = _PD_CODE
    frame["AVALC"] = avalc
    frame["ARULE"] = arule
    anl02 = np.zeros(len(frame), dtype=bool)
    anl02[rows[cut_after_first_pd(group, analysed_code)]] = True
    nact = frame["USUBJID"].map(new_therapy).astype("datetime64[ns]")
    anl03 = anl01 & (nact.isna() | (frame["ADT"] < nact))
    frame["ANL01FL"] = np.where(anl01, "Y", "")
    frame["ANL02FL"] = np.where(anl02, "Y", "")
    frame["ANL03FL"] = np.where(anl03, "Y", "")
    return frame.reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class Event:
    """A named candidate for a subject-level parameter (admiral ``event()``).

    ``mask`` selects the working-set records that qualify; ``avalc`` is the value the
    parameter takes when this event wins.
    """

    name: str
    avalc: str
    mask: np.ndarray


def select_events(
    work: pd.DataFrame,
    events: Sequence[Event],
    *,
    subjects: pd.Index,
    fallback: tuple[str, str],
) -> pd.DataFrame:
    """One record per subject: the earliest qualifying record over all events, ties to the
    event listed first (Y/N parameters). Subjects without any qualifying record get the
    *fallback* ``(rule name, AVALC)`` with no date (an ADSL event). Best responses (RECIST 1.1
    and iRECIST) are decided by the one best-response engine, not here.
    """
    # Work on positions: *work* is sorted by subject then date, so the first qualifying
    # position of a subject is its earliest record. Rows are copied once, at the end.
    subject_codes = pd.factorize(work["USUBJID"])[0]
    days = day_numbers(work["ADT"])
    positions, orders = [], []
    for order, event in enumerate(events):
        candidates = np.flatnonzero(event.mask)
        firsts = candidates[np.unique(subject_codes[candidates], return_index=True)[1]]
        positions.append(firsts)
        orders.append(np.full(len(firsts), order))
    position = np.concatenate(positions) if positions else np.array([], dtype=np.int64)
    rank = np.concatenate(orders) if orders else np.array([], dtype=np.int64)
    subject = subject_codes[position]
    chosen = np.lexsort((rank, days[position], subject))
    keep = chosen[np.unique(subject[chosen], return_index=True)[1]]
    combined = work.take(position[keep]).reset_index(drop=True)
    winners = [events[i] for i in rank[keep]]
    combined["AVALC"] = [e.avalc for e in winners]
    combined["ARULE"] = [e.name for e in winners]
    missing = subjects.difference(pd.Index(combined["USUBJID"]))
    rule, value = fallback
    filler = pd.DataFrame({"USUBJID": missing.to_numpy(), "AVALC": value, "ARULE": rule})
    return pd.concat([combined, filler], ignore_index=True)
