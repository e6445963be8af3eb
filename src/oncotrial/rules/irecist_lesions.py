"""iRECIST from lesion measurements: the RECIST engine's lesion model read the iRECIST way.

Source: Seymour L et al. iRECIST: guidelines for response criteria for use in trials testing
immunotherapeutics. Lancet Oncol 2017;18:e143-e152 (PMC5648544), section "New lesions": new
lesions are assessed with RECIST 1.1 principles; up to five measurable new lesions (no more
than two per organ) are *new lesion target* (NLT) lesions whose sum of measures is recorded
apart and **not** added to the sum of the baseline target lesions; all other new lesions are
*new lesion non-target* (NLNT). The timepoint rules (iUPD, iCPD, reset) are those of
:func:`oncotrial.rules.irecist.derive_irecist`.

Input: the ``lesions`` and ``measurements`` frames of :mod:`oncotrial.rules.recist`, where
lesions with role ``NEW`` carry their measurements like target lesions (``diameter_mm``: long
axis, short axis for nodes; SDTM TR LDIAM/LPERP) or a state. The measurement state
``INCREASED`` says the lesion grew since the last assessment without (necessarily) being
unequivocal progression (EORTC RECIST FAQ, category INCLA); it confirms an iUPD of non-target
disease and is the "increase" of an NLNT.

How the lesion data become the engine's assessment (one per post-baseline visit):

- target sum: the RECIST 1.1 sum of the baseline target lesions (too small to measure = the
  protocol's value); NE when a target lesion was not assessed;
- target CR: every target gone (nodes < 10 mm); non-target status: RECIST 1.1 (PD =
  unequivocal progression); non-target increase: a NON-TARGET lesion recorded ``INCREASED``;
- new lesions: each NEW lesion counts from its first unequivocal sighting (``EQUIVOCAL``,
  ``ABSENT`` and ``NOT DONE`` records do not count it) and stays counted;
- NLT: at its first sighting a new lesion measured at RECIST 1.1 measurable size (≥ 10 mm, node
  short axis ≥ 15 mm; RECIST 1.1 §3.1.2) is an NLT while fewer than
  :attr:`IrecistSettings.max_new_target` NLTs exist and fewer than
  :attr:`IrecistSettings.max_new_target_per_organ` in its organ (all nodes one organ, as RECIST
  target selection); lesions first seen at the same visit are taken largest first. The choice
  is kept for the rest of follow-up. A lesion the reader designated (optional lesion column
  ``new_designation``: ``TARGET`` or ``NON-TARGET``; SDTM TU ``NEW TARGET`` / ``NEW
  NON-TARGET``) keeps that designation and still counts toward the limits. NLT sum: the NLTs'
  measures (ABSENT = 0); unknown when one was not assessed;
- NLNT increase: an NLNT recorded ``INCREASED``;
- new lesions still there: any counted new lesion not ``ABSENT`` (or measured 0 mm, a node
  < 10 mm) at this visit; one not assessed counts as there. iCR needs none (Table 2, row 1).

The first assessment of each subject and evaluator is the baseline; days count from it.
Subjects without a complete baseline target sum (no measurable disease) get NE at every
timepoint with the reason (iRECIST's non-target-only responses are not derived here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from oncotrial.errors import DataError, ProtocolError
from oncotrial.rules.irecist import (
    IrecistAssessment,
    NonTarget,
    decide_irecist_best,
    derive_irecist,
)
from oncotrial.rules.recist._best import (
    IRECIST_CODES,
    IUPD,
    NON,
    PD,
    confirmed_progression_runs,
    next_decisive_code,
)
from oncotrial.rules.recist._input import KeyedInput, key_input
from oncotrial.rules.recist._rules import load_recist_rules
from oncotrial.rules.recist._settings import RecistSettings
from oncotrial.rules.recist._timepoint import _nontarget_block, _target_block

__all__ = [
    "IRECIST_BEST_COLUMNS",
    "IRECIST_TIMEPOINT_COLUMNS",
    "IrecistResponses",
    "IrecistSettings",
    "classify_irecist_timepoints",
    "derive_irecist_responses",
    "progression_date",
]

IRECIST_TIMEPOINT_COLUMNS = (
    "subject",
    "evaluator",
    "visitnum",
    "visit",
    "date",
    "day",
    "sum_mm",
    "baseline_sum_mm",
    "nontarget_response",
    "nontarget_increased",
    "new_lesions",
    "new_target_lesions",
    "new_target_sum_mm",
    "new_nontarget_increased",
    "new_present",
    "overall_response",
    "overall_rule",
    "iupd_categories",
)
IRECIST_BEST_COLUMNS = (
    "subject",
    "evaluator",
    "n_assessments",
    "ibor",
    "icbor",
    "first_iupd_date",
    "icpd_date",
    "pd_date",
    "pd_confirmed",
)
_NODE_ORGAN = "LYMPH NODE"  # all nodes are one organ (EORTC Q&A "Two target lesions")
_SEEN_NOT = ("NOT DONE", "ABSENT", "EQUIVOCAL")


@dataclass(frozen=True, slots=True)
class IrecistSettings:
    """Choices of the new-lesion selection (Seymour 2017, "New lesions": up to five NLT, no
    more than two per organ) and the shortest interval from iUPD to a scan that may confirm
    it (the RECIST working group's FAQ: 4 weeks)."""

    max_new_target: int = 5
    max_new_target_per_organ: int = 2
    # EORTC RECIST FAQ: scans < 4 weeks after iUPD neither confirm nor reset it (unless they
    # show an additional new lesion)
    min_confirmation_days: int = 28

    def __post_init__(self) -> None:
        for name in ("max_new_target", "max_new_target_per_organ", "min_confirmation_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ProtocolError(f"irecist.{name}={value!r}: must be an integer >= 1")


@dataclass(frozen=True, slots=True)
class IrecistResponses:
    """iRECIST timepoints (:data:`IRECIST_TIMEPOINT_COLUMNS`) and best responses per subject
    and evaluator (:data:`IRECIST_BEST_COLUMNS`)."""

    timepoints: pd.DataFrame
    best_response: pd.DataFrame


def _positions(keyed: KeyedInput) -> pd.Series:
    """Row of each assessment key in the date-sorted assessment table."""
    a = keyed.assessments
    return pd.Series(np.arange(len(a)), index=a["ak"].to_numpy())


def _new_lesion_table(keyed: KeyedInput, settings: IrecistSettings) -> pd.DataFrame:
    """One row per NEW lesion seen: first sighting (assessment row), NLT or not, organ."""
    rules = load_recist_rules()
    meas = keyed.measurements
    pos = _positions(keyed)
    new = meas.loc[(meas["role"] == "NEW") & ~meas["state"].isin(_SEEN_NOT)].copy()
    if new.empty:
        return pd.DataFrame(columns=["lk", "sk", "first", "nlt"])
    new["pos"] = pos.reindex(new["ak"].to_numpy()).to_numpy()
    first = new.sort_values(["lk", "pos"]).drop_duplicates("lk")
    les = keyed.lesions.set_index("lk")
    first = first.assign(
        organ=np.where(first["nodal"].astype(bool), _NODE_ORGAN,
                       les["organ"].reindex(first["lk"]).astype(str).str.upper().to_numpy()),
        lesion_id=les["lesion_id"].reindex(first["lk"]).to_numpy(),
    )
    diam = first["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    minimum = np.where(first["nodal"].astype(bool), rules.threshold("node_target_min_mm"),
                       rules.threshold("measurable_min_mm"))
    with np.errstate(invalid="ignore"):
        first["measurable"] = diam >= minimum
    first = first.sort_values(["sk", "pos", "diameter_mm", "lesion_id"],
                              ascending=[True, True, False, True], na_position="last")
    designation = (les["new_designation"].reindex(first["lk"]).fillna("").astype(str).tolist()
                   if "new_designation" in les.columns else [""] * len(first))
    chosen: list[bool] = []
    total: dict[int, int] = {}
    organs: dict[tuple[int, str], int] = {}
    for sk, organ, measurable, given in zip(first["sk"].tolist(), first["organ"].tolist(),
                                            first["measurable"].tolist(), designation,
                                            strict=True):
        if given in ("TARGET", "NON-TARGET"):  # the reader's designation stands
            ok = given == "TARGET"
        else:
            ok = (bool(measurable) and total.get(sk, 0) < settings.max_new_target
                  and organs.get((sk, organ), 0) < settings.max_new_target_per_organ)
        if ok:
            total[sk] = total.get(sk, 0) + 1
            organs[(sk, organ)] = organs.get((sk, organ), 0) + 1
        chosen.append(ok)
    return pd.DataFrame({"lk": first["lk"].to_numpy(), "sk": first["sk"].to_numpy(),
                         "first": first["pos"].to_numpy(dtype=np.int64),
                         "nlt": np.asarray(chosen, dtype=bool)})


def _new_lesion_block(keyed: KeyedInput, settings: IrecistSettings,
                      recist: RecistSettings) -> pd.DataFrame:
    """Per assessment row: cumulative new-lesion count, NLT count and sum, NLNT increase."""
    a = keyed.assessments
    n = len(a)
    table = _new_lesion_table(keyed, settings)
    count = np.zeros(n, dtype=np.int64)
    n_nlt = np.zeros(n, dtype=np.int64)
    nlt_sum = np.full(n, np.nan)
    nlnt_up = np.zeros(n, dtype=bool)
    present = np.zeros(n, dtype=bool)
    if table.empty:
        return pd.DataFrame({"new_lesions": count, "new_target_lesions": n_nlt,
                             "new_target_sum_mm": nlt_sum, "new_nontarget_increased": nlnt_up,
                             "new_present": present})
    a_sk = a["sk"].to_numpy(dtype=np.int64)
    rows = np.arange(n)
    pos = _positions(keyed)
    meas = keyed.measurements.loc[keyed.measurements["role"] == "NEW"]
    record = dict(zip(
        zip(meas["lk"].tolist(), pos.reindex(meas["ak"].to_numpy()).tolist(), strict=True),
        zip(meas["diameter_mm"].tolist(), meas["state"].tolist(), strict=True), strict=True))
    by_state = {"ABSENT": 0.0, "TOO SMALL TO MEASURE": recist.too_small_to_measure_mm}
    nlt_value = np.zeros(n)
    nlt_missing = np.zeros(n, dtype=bool)
    node_cr = load_recist_rules().threshold("node_cr_below_mm")
    nodal = keyed.lesions.set_index("lk")["nodal"]
    for lk, sk, first, nlt in table.itertuples(index=False, name=None):
        later = rows[(a_sk == sk) & (rows >= first)]
        count[later] += 1
        # gone: ABSENT, or measured 0 mm (a node < 10 mm short axis: RECIST 1.1 §4.3.1);
        # not assessed counts as still there
        floor = node_cr if bool(nodal[lk]) else 1e-9
        for p in later:
            diameter, state = record.get((lk, p), (np.nan, "NOT DONE"))
            gone = state == "ABSENT" or (pd.notna(diameter) and float(diameter) < floor)
            present[p] |= not gone
        if not nlt:  # NLNT: any increase (EORTC FAQ), recorded as INCREASED
            grew = [record.get((lk, p), (np.nan, ""))[1] == "INCREASED" for p in later]
            nlnt_up[later[np.asarray(grew, dtype=bool)]] = True
            continue
        n_nlt[later] += 1
        for p in later:
            diameter, state = record.get((lk, p), (np.nan, "NOT DONE"))
            value = float(diameter) if pd.notna(diameter) else by_state.get(state, np.nan)
            if np.isnan(value):
                nlt_missing[p] = True
            else:
                nlt_value[p] += value
    nlt_sum = np.where((n_nlt > 0) & ~nlt_missing, nlt_value, np.nan)
    return pd.DataFrame({"new_lesions": count, "new_target_lesions": n_nlt,
                         "new_target_sum_mm": nlt_sum, "new_nontarget_increased": nlnt_up,
                         "new_present": present})


def _assessment_frame(keyed: KeyedInput, settings: IrecistSettings,
                      recist: RecistSettings) -> pd.DataFrame:
    """Everything iRECIST reads, one row per assessment (date order)."""
    rules = load_recist_rules()
    a = keyed.assessments
    target = _target_block(keyed, recist, rules)  # same row order as the assessments
    nontarget, _ = _nontarget_block(keyed, rules)
    meas = keyed.measurements
    grew = meas.loc[(meas["role"] == "NON-TARGET") & (meas["state"] == "INCREASED"), "ak"]
    complete = (target["n_target"] > 0) & (target["n_target_assessed"] == target["n_target"])
    base_date = a.groupby("sk")["date"].transform("first")
    out = pd.DataFrame({
        "sk": a["sk"].to_numpy(),
        "subject": a["subject"].to_numpy(),
        "evaluator": a["evaluator"].to_numpy(),
        "visitnum": a["visitnum"].to_numpy(),
        "visit": a["visit"].to_numpy(),
        "date": a["date"].to_numpy(),
        "day": (a["date"] - base_date).dt.days.to_numpy(),
        "is_baseline": a["is_baseline"].to_numpy(dtype=bool),
        "sum_mm": target["sum_mm"].where(complete).to_numpy(dtype=float, na_value=np.nan),
        "baseline_sum_mm": target["baseline_sum_mm"].to_numpy(dtype=float, na_value=np.nan),
        "target_cr": (complete & (target["n_cr"] == target["n_target"])).to_numpy(),
        "nontarget_response": np.where(nontarget == "NONE", "NA", nontarget),
        "nontarget_increased": a["ak"].isin(grew).to_numpy(),
    })
    return pd.concat([out, _new_lesion_block(keyed, settings, recist)], axis=1)


def _subject_timepoints(rows: pd.DataFrame, settings: IrecistSettings) -> pd.DataFrame:
    post = rows.loc[~rows["is_baseline"]].copy()
    base = float(rows["baseline_sum_mm"].iloc[0])
    if not base > 0 or np.isnan(base):
        post["overall_response"] = "NE"
        post["overall_rule"] = "no measurable disease at baseline (no complete target sum)"
        post["iupd_categories"] = ""
        return post
    dup = post["day"].duplicated(keep=False)
    if bool(dup.any()):
        row = post.loc[dup].iloc[1]
        raise DataError("two assessments of one subject and evaluator on one date: iRECIST "
                        "needs one response per date", field="date",
                        value=str(pd.Timestamp(row["date"]).date()),
                        allowed="one assessment per date", subject=str(row["subject"]),
                        visit=str(row["visit"]))
    sums = post["sum_mm"].to_numpy(dtype=float)
    nlt = post["new_target_sum_mm"].to_numpy(dtype=float)
    assessments = [
        IrecistAssessment(
            day=int(day),
            target_sum_mm=None if np.isnan(total) else float(total),
            target_cr=bool(cr),
            nontarget=cast("NonTarget", str(nontarget)),
            nontarget_increased=bool(grew),
            new_lesions=int(count),
            new_target_sum_mm=None if np.isnan(new_sum) else float(new_sum),
            new_nontarget_increased=bool(new_grew),
            new_present=bool(there),
        )
        for day, total, cr, nontarget, grew, count, new_sum, new_grew, there in zip(
            post["day"].tolist(), sums.tolist(), post["target_cr"].tolist(),
            post["nontarget_response"].tolist(), post["nontarget_increased"].tolist(),
            post["new_lesions"].tolist(), nlt.tolist(),
            post["new_nontarget_increased"].tolist(), post["new_present"].tolist(),
            strict=True)
    ]
    result = derive_irecist(base, assessments,
                            min_confirmation_days=settings.min_confirmation_days)
    post["overall_response"] = [t.response for t in result]
    post["overall_rule"] = [t.reason for t in result]
    post["iupd_categories"] = [",".join(t.categories) for t in result]
    return post


def _classify_keyed(keyed: KeyedInput, settings: IrecistSettings,
                    recist: RecistSettings) -> pd.DataFrame:
    frame = _assessment_frame(keyed, settings, recist)
    parts = [_subject_timepoints(rows, settings)
             for _, rows in frame.groupby("sk", sort=True)]
    if not parts:
        return pd.DataFrame(columns=list(IRECIST_TIMEPOINT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out.loc[:, list(IRECIST_TIMEPOINT_COLUMNS)].reset_index(drop=True)


def classify_irecist_timepoints(
    lesions: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    recist: RecistSettings,
    settings: IrecistSettings | None = None,
) -> pd.DataFrame:
    """iRECIST timepoint response of every post-baseline assessment (columns
    :data:`IRECIST_TIMEPOINT_COLUMNS`; ``overall_rule`` is the engine's reason).

    Parameters
    ----------
    lesions, measurements
        The RECIST input frames (SDTM TU and TR, see :mod:`oncotrial.rules.recist`); NEW
        lesions carry diameters or a state, ``INCREASED`` marks growth since the last
        assessment; optional lesion column ``new_designation`` (``TARGET``/``NON-TARGET``).
    recist
        The trial's RECIST settings (too-small-to-measure value of the target sum).
    settings
        New-lesion limits and the shortest iUPD-to-confirmation interval; ``None``: the
        defaults of :class:`IrecistSettings` (5 NLT, 2 per organ, 28 days).

    Returns
    -------
    pandas.DataFrame
        One row per post-baseline assessment with its day from baseline, target and
        new-lesion sums and counts, ``overall_response`` (iCR, iPR, iSD, iUPD, iCPD, NE) and
        the categories in iUPD.

    Raises
    ------
    DataError
        Bad lesion or measurement frames (as :func:`oncotrial.rules.recist.classify_timepoints`),
        or two assessments of one subject and evaluator on the same date.
    """
    keyed = key_input(lesions, measurements)
    return _classify_keyed(keyed, settings or IrecistSettings(), recist)


def progression_date(dates: Sequence[pd.Timestamp], responses: Sequence[str]
                     ) -> tuple[pd.Timestamp | None, bool]:
    """iRECIST progression date and whether it was confirmed.

    The date is the first iUPD of the run that iCPD confirmed (Seymour 2017: the date of
    progression is the date iUPD was first documented once iCPD confirms it; admiralonco
    iRECIST vignette, "when an iCPD occurs, the date of progression would be the first
    occurrence of iUPD in that block"); an iUPD never confirmed and never reset (followed by
    NE only, or nothing) dates unconfirmed progression. An iUPD reset by iSD/iPR/iCR is no
    progression.

    Parameters
    ----------
    dates, responses
        One subject's timepoint dates and iRECIST responses, in date order.

    Returns
    -------
    tuple of (pandas.Timestamp or None, bool)
        The progression date (``None``: no progression) and whether iCPD confirmed it.

    Raises
    ------
    ValueError
        If *dates* and *responses* differ in length.

    Examples
    --------
    iUPD at week 6, still iUPD at week 10, iCPD at week 14: progression dates from week 6.

    >>> import pandas as pd
    >>> from oncotrial.rules.irecist_lesions import progression_date
    >>> dates = list(pd.to_datetime(["2024-02-13", "2024-03-12", "2024-04-09"]))
    >>> progression_date(dates, ["iUPD", "iUPD", "iCPD"])
    (Timestamp('2024-02-13 00:00:00'), True)
    >>> progression_date(dates, ["iUPD", "iPR", "iSD"])
    (None, False)
    """
    if len(dates) != len(responses):
        raise DataError("one response per date", field="responses", value=len(responses),
                        allowed=f"{len(dates)} responses")
    code = np.array([IRECIST_CODES.get(r, NON) for r in responses], dtype=np.int64)
    group = np.zeros(len(code), dtype=np.int64)
    # the engine's runs: an iUPD whose next decisive record is iCPD, or none at all (open)
    confirmed = np.flatnonzero(confirmed_progression_runs(group, code))
    icpd = np.flatnonzero(code == PD)
    if len(icpd):  # the first run confirmed; an iCPD with no iUPD before it dates itself
        first = confirmed[0] if len(confirmed) and confirmed[0] < icpd[0] else icpd[0]
        return dates[int(first)], True
    still_open = np.flatnonzero((code == IUPD) & (next_decisive_code(group, code) < 0))
    return (dates[int(still_open[0])], False) if len(still_open) else (None, False)


def _best(timepoints: pd.DataFrame, recist: RecistSettings) -> pd.DataFrame:
    ordered = timepoints.sort_values(["subject", "evaluator", "date"], kind="stable")
    keys = ordered[["subject", "evaluator"]].drop_duplicates().reset_index(drop=True)
    group = pd.MultiIndex.from_frame(keys).get_indexer(
        pd.MultiIndex.from_frame(ordered[["subject", "evaluator"]])).astype(np.int64)
    best = decide_irecist_best(group, ordered["day"].to_numpy(dtype=np.int64),
                               ordered["overall_response"].tolist(), n_groups=len(keys),
                               settings=recist.best_response)
    rows = []
    for (g, tp), ibor, icbor in zip(ordered.groupby(group, sort=True), best.bor.outcome,
                                    best.cbor.outcome, strict=True):
        responses = tp["overall_response"].tolist()
        pd_date, confirmed = progression_date(tp["date"].tolist(), responses)
        iupd = tp.loc[tp["overall_response"] == "iUPD", "date"]
        icpd = tp.loc[tp["overall_response"] == "iCPD", "date"]
        rows.append({
            "subject": keys.at[g, "subject"], "evaluator": keys.at[g, "evaluator"],
            "n_assessments": len(tp), "ibor": ibor, "icbor": icbor,
            "first_iupd_date": iupd.min() if len(iupd) else pd.NaT,
            "icpd_date": icpd.min() if len(icpd) else pd.NaT,
            "pd_date": pd_date if pd_date is not None else pd.NaT,
            "pd_confirmed": confirmed,
        })
    return pd.DataFrame(rows, columns=list(IRECIST_BEST_COLUMNS))


def derive_irecist_responses(
    lesions: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    recist: RecistSettings,
    settings: IrecistSettings | None = None,
) -> IrecistResponses:
    """iRECIST timepoints and, per subject and evaluator, the best overall response (iBOR,
    Seymour 2017 Table 3), the confirmed one (iCBOR: iCR/iPR confirmed as RECIST 1.1 §4.6 with
    ``recist.best_response``; no minimum iSD duration, as Table 3) and the progression date
    (:func:`progression_date`).

    Parameters
    ----------
    lesions, measurements
        As for :func:`classify_irecist_timepoints`.
    recist
        The trial's RECIST settings; ``recist.best_response`` confirms iCR/iPR.
    settings
        As for :func:`classify_irecist_timepoints`.

    Returns
    -------
    IrecistResponses
        ``timepoints`` (:data:`IRECIST_TIMEPOINT_COLUMNS`) and ``best_response``
        (:data:`IRECIST_BEST_COLUMNS`: iBOR, iCBOR, first iUPD and iCPD dates, progression
        date and whether it was confirmed).

    Raises
    ------
    DataError
        As :func:`classify_irecist_timepoints`.
    """
    timepoints = classify_irecist_timepoints(lesions, measurements, recist=recist,
                                             settings=settings)
    return IrecistResponses(timepoints=timepoints,
                            best_response=_best(timepoints, recist))
