"""Vectorised response algorithms behind ADRS: normalising timepoint responses, analysis flags,
confirmation of CR/PR, and first-match event selection (admiral ``derive_extreme_event``).

Sources: admiralonco ``inst/templates/ad_adrs.R`` and ``R/response_sources.R`` (commit
83370b1289b2), deprecated ``derive_param_confirmed_bor()`` (its documented rules), admiral
``filter_joined()``; summarised in ``shared/reference/adam_derivations.md`` §1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import dates_from_dtc, day_numbers
from oncotrial.cdisc.adam._text import upper_text

__all__ = [
    "RESPONSES",
    "Event",
    "confirm_responses",
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

# Worst first on the same day: PD > NON-CR/NON-PD > SD > PR > CR > NE (admiralonco template,
# ``worst_resp``): an evaluable result beats NE on the same date.
_WORST_RANK = {PD: 0, NONCRPD: 1, SD: 2, PR: 3, CR: 4, NE: 5}
_CODE = {CR: 0, PR: 1, SD: 2, NONCRPD: 3, PD: 4, NE: 5}


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
    cr_followed_by_worse_is_pd: bool = False,
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
        frame["AVALC"].isin(_WORST_RANK) & frame["ADT"].notna() & (frame["ADT"] >= frame["REFDT"])
    )
    rank = frame["AVALC"].map(_WORST_RANK).fillna(len(_WORST_RANK)).to_numpy()
    day = frame["ADT"].to_numpy(dtype="datetime64[ns]").astype(np.int64)  # NaT sorts first
    order = np.lexsort((frame["RSSEQ"].to_numpy(dtype=float), rank, day,
                        pd.factorize(frame["USUBJID"], sort=True)[0]))
    frame = frame.take(order)
    valid = valid.loc[frame.index]
    # among valid records, the first of each subject-day is the worst of that day
    anl01 = valid & ~frame.assign(_VALID=valid).duplicated(["USUBJID", "ADT", "_VALID"])
    frame["ARULE"] = ""
    if cr_followed_by_worse_is_pd:
        first_cr = frame.loc[anl01 & (frame["AVALC"] == CR)].groupby("USUBJID")["ADT"].min()
        after_cr = frame["ADT"] > frame["USUBJID"].map(first_cr)
        worse = anl01 & frame["AVALC"].isin([PR, SD, NONCRPD]) & after_cr
        frame.loc[worse, "AVALC"] = PD
        frame.loc[worse, "ARULE"] = "cr_followed_by_worse_is_pd"
    is_pd = anl01 & (frame["AVALC"] == PD)
    first_pd = frame.loc[is_pd].groupby("USUBJID")["ADT"].min()
    pd_date = frame["USUBJID"].map(first_pd)
    anl02 = anl01 & (pd_date.isna() | (frame["ADT"] <= pd_date))
    nact = frame["USUBJID"].map(new_therapy).astype("datetime64[ns]")
    anl03 = anl01 & (nact.isna() | (frame["ADT"] < nact))
    frame["ANL01FL"] = np.where(anl01, "Y", "")
    frame["ANL02FL"] = np.where(anl02, "Y", "")
    frame["ANL03FL"] = np.where(anl03, "Y", "")
    return frame.reset_index(drop=True)


def confirm_responses(
    work: pd.DataFrame, *, interval_days: int, max_ne: int, accept_sd: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Which CR and PR assessments of the working set are confirmed.

    *work* is sorted by subject and date, one record per date. For each CR (PR) the first later
    assessment that is CR (CR or PR) and at least *interval_days* later confirms it, provided
    every assessment in between and the confirming one is CR or NE (CR, PR or NE — plus at
    most one SD when *accept_sd*), at most *max_ne* are NE, and, for PR, no PR follows a CR.
    Rules of admiralonco ``crsp_y_cr``/``crsp_y_pr`` (``filter_joined``, join_type "after";
    RECIST 1.1 §4.6: confirmation ≥ 4 weeks). No +1 day is added to the interval.
    Evaluated with one vectorised pass per look-ahead distance, not per subject.
    """
    codes = work["AVALC"].map(_CODE).to_numpy(dtype=np.int64)
    subjects = pd.factorize(work["USUBJID"])[0]
    days = day_numbers(work["ADT"])
    n = len(codes)
    is_cr = codes == _CODE[CR]
    is_pr = codes == _CODE[PR]
    candidate = is_cr | is_pr
    open_ = candidate.copy()
    ok = candidate.copy()
    ne_count = np.zeros(n, dtype=np.int64)
    sd_count = np.zeros(n, dtype=np.int64)
    seen_cr = np.zeros(n, dtype=bool)
    confirmed = np.zeros(n, dtype=bool)
    max_sd = 1 if accept_sd else 0
    longest = int(np.bincount(subjects).max()) if n else 0
    index = np.arange(n)
    for step in range(1, longest):
        active = open_ & (index + step < n)
        rows = index[active]
        later = rows + step
        same = subjects[later] == subjects[rows]
        open_[rows[~same]] = False
        rows, later = rows[same], later[same]
        value = codes[later]
        ne_count[rows] += value == _CODE[NE]
        sd_count[rows] += value == _CODE[SD]
        cr_rows = is_cr[rows]
        allowed_cr = (value == _CODE[CR]) | (value == _CODE[NE])
        allowed_pr = np.isin(value, [_CODE[CR], _CODE[PR], _CODE[NE], _CODE[SD]]) & ~(
            (value == _CODE[PR]) & seen_cr[rows]
        )
        ok[rows] &= np.where(cr_rows, allowed_cr, allowed_pr)
        seen_cr[rows] |= value == _CODE[CR]
        confirms = np.where(cr_rows, value == _CODE[CR],
                            (value == _CODE[CR]) | (value == _CODE[PR]))
        confirms &= days[later] >= days[rows] + interval_days
        done = rows[confirms]
        confirmed[done] = ok[done] & (ne_count[done] <= max_ne) & (sd_count[done] <= max_sd)
        open_[done] = False
        open_[rows[~ok[rows]]] = False
    return confirmed & is_cr, confirmed & is_pr


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
    mode: Literal["order", "date"],
    fallback: tuple[str, str],
) -> pd.DataFrame:
    """One record per subject: the winning event's first qualifying record.

    ``mode="order"``: the first event in list order that has a record wins, dated by its first
    record (BOR-type parameters). ``mode="date"``: the earliest qualifying record over all
    events wins, ties to the event listed first (Y/N parameters). Subjects without any
    qualifying record get the *fallback* ``(rule name, AVALC)`` with no date (admiral
    ``derive_extreme_event`` with an ADSL event).
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
    if mode == "order":
        chosen = np.lexsort((rank, subject))
    else:
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
