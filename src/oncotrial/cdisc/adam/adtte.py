"""ADTTE: overall survival, progression-free survival, time to progression, duration of response.

Mechanics follow admiral ``derive_param_tte()`` and the admiralonco ADTTE template (sources
``death_event``, ``pd_event``, ``lastalive_censor``, ``lasta_censor``; AVAL = ADT − STARTDT + 1
days). PFS censoring follows the FDA guidance "Clinical Trial Endpoints for the Approval of
Cancer Drugs and Biologics" (2018), whose rules the admiralonco template does not implement:
no post-baseline assessment → censored at the start date; progression or death after two or
more missed assessments → censored at the last adequate assessment before the gap; new
anticancer therapy before progression → censored at the last adequate assessment before it.
The EMA variant (Appendix 1 to the anticancer guideline, EMA/CHMP/27994/2008/Rev.1) counts
events observed after missed visits or new therapy at their observed date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._settings import PfsRules, ProtocolLike, StartDate
from oncotrial.cdisc.adam._text import upper_text
from oncotrial.cdisc.adam.adsl import select_start_date
from oncotrial.errors import DataError
from oncotrial.protocol.analysis import DeathWithoutAssessment
from oncotrial.rules.irecist_lesions import progression_date

__all__ = ["ADTTE_PARAMS", "derive_adtte"]

ADTTE_PARAMS: dict[str, str] = {
    "OS": "Overall Survival (days)",
    "PFS": "Progression-Free Survival (days)",
    "TTP": "Time to Progression (days)",
    "DOR": "Duration of Response (days)",
    # iRECIST (Seymour 2017), present when ADRS has IOVR: progression at the first iUPD of the
    # run iCPD confirmed, or at an iUPD never confirmed nor reset
    "IPFS": "iRECIST Progression-Free Survival (days)",
}
_START_DESC = {"RANDDT": "Randomization", "TRTSDT": "Treatment Start", "ENRLDT": "Enrollment"}
_LAST_ADEQUATE = "Last Adequate Tumor Assessment"


@dataclass(frozen=True, slots=True)
class _Source:
    """One event source: per-subject first date, its ADRS ASEQ (if any) and provenance."""

    description: str
    rule: str
    dates: pd.Series
    seq: pd.Series
    domain: str
    variable: str


@dataclass(frozen=True, slots=True)
class _Schedule:
    rules: PfsRules
    gap_days: int  # an event later than this after the previous adequate assessment = missed
    death_always_event: bool  # death without an adequate assessment: event (admiralonco)


def derive_adtte(
    adrs: pd.DataFrame,
    *,
    adsl: pd.DataFrame,
    protocol: ProtocolLike,
    start_date: StartDate | None = None,
    pfs_rules: PfsRules = "FDA",
    max_missed_assessments: int = 1,
    dor_confirmed: bool = True,
    tu: pd.DataFrame | None = None,
    death_without_assessment: DeathWithoutAssessment = "fda",
) -> pd.DataFrame:
    """Derive ADTTE (OS, PFS, TTP, DOR) from ADRS and ADSL.

    Parameters
    ----------
    adrs
        Output of :func:`derive_adrs` (OVR with ANL01FL, PD, CRSP/RSP parameters).
    adsl
        Output of :func:`derive_adsl` (DTHDT, LSTALVDT, NACTDT and the start date).
    protocol
        ``recist.imaging_interval_days`` and ``recist.imaging_window_days`` define a missed
        assessment: an event more than (``max_missed_assessments`` + 1) × interval + window
        days after the last adequate assessment (or the start) follows ≥ 2 missed ones.
    start_date
        ADSL variable of the time origin (STARTDT); default :func:`select_start_date`.
    pfs_rules
        ``"FDA"`` (2018 guidance censoring table, default) or ``"EMA"`` (events counted at
        their observed date whatever happened before; last adequate assessment otherwise).
    max_missed_assessments
        Missed assessments tolerated before an event is censored (FDA: one).
    dor_confirmed
        Start duration of response at the first *confirmed* response (CRSP), the right origin
        when the response endpoint is confirmed (RECIST 1.1 §4.6); the admiralonco template
        uses the unconfirmed response (RSP). ``False`` reproduces the template.
    tu
        SDTM TU. When given, subjects without any baseline TARGET/NON-TARGET lesion record
        have no baseline tumour assessment: PFS and TTP are censored at the start date (FDA
        2018 table, row 1), whatever happens later (but see *death_without_assessment*).
    death_without_assessment
        A death with no adequate tumour assessment before it: ``"fda"`` applies the FDA 2018
        table (no baseline assessment → censored at the start; after more than one missed
        assessment → censored at the last adequate assessment, i.e. the start) or ``"event"``
        counts the death as a PFS/DOR event at its date, as the admiralonco template does (its
        PFS has ``death_event`` and no missed-visit or baseline rule).

    Returns
    -------
    DataFrame
        One record per subject and parameter (DOR: responders only; subjects without a start
        date are left out, as admiral does): PARAMCD, PARAM, STARTDT, ADT, AVAL (days), AVALU,
        CNSR (0 event, 1 censored), EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ, ARULE and the
        ADSL variables.
    """
    if pfs_rules not in ("FDA", "EMA"):
        raise DataError("unknown PFS censoring rules", field="pfs_rules", value=pfs_rules,
                        allowed="FDA, EMA")
    if death_without_assessment not in ("fda", "event"):
        raise DataError("unknown rule for a death without tumour assessment",
                        field="death_without_assessment", value=death_without_assessment,
                        allowed="fda, event")
    start_var = select_start_date(adsl, start_date)
    by_subject = adsl.set_index("USUBJID")
    start = by_subject[start_var].dropna()
    recist = protocol.recist
    schedule = _Schedule(
        rules=pfs_rules,
        gap_days=(max_missed_assessments + 1) * recist.imaging_interval_days
        + recist.imaging_window_days,
        death_always_event=death_without_assessment == "event",
    )
    paramcd = adrs["PARAMCD"]
    analysed = (paramcd == "OVR") & (adrs["ANL01FL"] == "Y")
    ovr = adrs.loc[analysed, ["USUBJID", "ADT", "AVALC", "ASEQ"]].sort_values(
        ["USUBJID", "ADT"], kind="stable")
    adequate = ovr.loc[ovr["AVALC"] != "NE", ["USUBJID", "ADT", "ASEQ"]]
    first_pd = ovr.loc[ovr["AVALC"] == "PD"].drop_duplicates("USUBJID").set_index("USUBJID")
    progression = _Source("Disease Progression", "event_pd", first_pd["ADT"], first_pd["ASEQ"],
                          "ADRS", "ADT")
    death_dates = by_subject["DTHDT"].dropna()
    death = _Source("Death", "event_death", death_dates,
                    pd.Series(np.nan, index=death_dates.index), "ADSL", "DTHDT")
    nact = by_subject["NACTDT"].dropna()
    start_desc = _START_DESC[start_var]
    frames = [
        _overall_survival(start, by_subject, death, start_var=start_var),
        _progression_endpoint("PFS", start, sources=[progression, death], adequate=adequate,
                              nact=nact, schedule=schedule, start_desc=start_desc,
                              start_var=start_var),
        _progression_endpoint("TTP", start, sources=[progression], adequate=adequate,
                              nact=nact, schedule=schedule, start_desc=start_desc,
                              start_var=start_var),
        _progression_endpoint("DOR", _response_start(adrs, confirmed=dor_confirmed),
                              sources=[progression, death], adequate=adequate, nact=nact,
                              schedule=schedule, start_desc="First Response", start_var="ADT"),
    ]
    if (paramcd == "IOVR").any():
        iprogression, iadequate = _irecist_progression(adrs)
        frames.append(_progression_endpoint(
            "IPFS", start, sources=[*iprogression, death], adequate=iadequate, nact=nact,
            schedule=schedule, start_desc=start_desc, start_var=start_var))
    frame = pd.concat(frames, ignore_index=True)
    if tu is not None:
        _censor_without_baseline(frame, tu, start_desc=start_desc, start_var=start_var,
                                 keep_deaths=schedule.death_always_event)
    return _finish(frame, adsl=adsl)


def _irecist_progression(adrs: pd.DataFrame) -> tuple[list[_Source], pd.DataFrame]:
    """iRECIST progression sources (confirmed, unconfirmed) from the analysed IOVR records,
    and the adequate (not NE) iRECIST assessments.

    Seymour 2017 (and the admiralonco iRECIST vignette): once iCPD confirms an iUPD, the date
    of progression is the first iUPD of that run; an iUPD that is never confirmed (followed
    only by NE, or by nothing) is progression at that iUPD; an iUPD reset by iSD/iPR/iCR is
    not (:func:`oncotrial.rules.irecist_lesions.progression_date`).
    """
    rows = adrs.loc[(adrs["PARAMCD"] == "IOVR") & (adrs["ANL01FL"] == "Y"),
                    ["USUBJID", "ADT", "AVALC", "ASEQ"]].sort_values(["USUBJID", "ADT"],
                                                                     kind="stable")
    found: dict[bool, tuple[dict[str, pd.Timestamp], dict[str, float]]] = {
        True: ({}, {}), False: ({}, {})}
    for subject, tp in rows.groupby("USUBJID", sort=True):
        when, confirmed = progression_date(tp["ADT"].tolist(), tp["AVALC"].tolist())
        if when is not None:
            dates, seqs = found[confirmed]
            dates[str(subject)] = when
            seqs[str(subject)] = float(tp.loc[tp["ADT"] == when, "ASEQ"].iloc[0])
    sources = [
        _Source(description, rule, pd.Series(found[key][0], dtype="datetime64[ns]"),
                pd.Series(found[key][1], dtype=float), "ADRS", "ADT")
        for key, description, rule in (
            (True, "Confirmed Progression by iRECIST (iUPD confirmed as iCPD)", "event_icpd"),
            (False, "Unconfirmed Progression by iRECIST (iUPD never confirmed)", "event_iupd"))
    ]
    return sources, rows.loc[rows["AVALC"] != "NE", ["USUBJID", "ADT", "ASEQ"]]


def _censor_without_baseline(
    frame: pd.DataFrame, tu: pd.DataFrame, *, start_desc: str, start_var: str,
    keep_deaths: bool,
) -> None:
    """FDA 2018 row 1: no baseline tumour assessment → PFS/TTP censored at the start date
    (with *keep_deaths*, a death stays a PFS event, as in the admiralonco template).

    Baseline disease is recorded in TU as TARGET or NON-TARGET lesions (NEW lesions appear
    only after baseline). *frame* is the local ADTTE being built and is updated in place.
    """
    baseline = upper_text(tu["TUSTRESC"]).isin(["TARGET", "NON-TARGET"])
    assessed = set(tu.loc[baseline, "USUBJID"])
    rows = frame["PARAMCD"].isin(["PFS", "TTP", "IPFS"]) & ~frame["USUBJID"].isin(assessed)
    if keep_deaths:
        rows &= frame["ARULE"] != "event_death"
    frame.loc[rows, "ADT"] = frame.loc[rows, "STARTDT"]
    frame.loc[rows, "CNSR"] = 1
    frame.loc[rows, "EVNTDESC"] = "No Baseline Tumor Assessment"
    frame.loc[rows, "CNSDTDSC"] = start_desc
    frame.loc[rows, "SRCDOM"] = "ADSL"
    frame.loc[rows, "SRCVAR"] = start_var
    frame.loc[rows, "SRCSEQ"] = np.nan
    frame.loc[rows, "ARULE"] = "censor_no_baseline"


def _response_start(adrs: pd.DataFrame, *, confirmed: bool) -> pd.Series:
    paramcd = "CRSP" if confirmed else "RSP"
    rows = adrs.loc[(adrs["PARAMCD"] == paramcd) & (adrs["AVALC"] == "Y"), ["USUBJID", "ADT"]]
    return rows.set_index("USUBJID")["ADT"].dropna()


def _overall_survival(
    start: pd.Series, by_subject: pd.DataFrame, death: _Source, *, start_var: str
) -> pd.DataFrame:
    """OS: death is the event; otherwise censored at the last date known alive (admiralonco
    ``lastalive_censor``), or at the start date when nothing later is known (``rand_censor``)."""
    subjects = start.index
    died = death.dates.reindex(subjects)
    alive = by_subject["LSTALVDT"].reindex(subjects)
    later_alive = alive.notna() & (alive > start)
    event = died.notna()
    return pd.DataFrame({
        "USUBJID": subjects.to_numpy(),
        "PARAMCD": "OS",
        "STARTDT": start.to_numpy(),
        "ADT": np.where(event, died, np.where(later_alive, alive, start)).astype("datetime64[ns]"),
        "CNSR": np.where(event, 0, 1),
        "EVNTDESC": np.where(event, "Death", "Alive"),
        "CNSDTDSC": np.where(event, "", np.where(later_alive, "Last Known Alive Date",
                                                 _START_DESC[start_var])),
        "SRCDOM": "ADSL",
        "SRCVAR": np.where(event, "DTHDT", np.where(later_alive, "LSTALVDT", start_var)),
        "SRCSEQ": np.nan,
        "ARULE": np.where(event, "event_death",
                          np.where(later_alive, "censor_last_alive", "censor_start")),
    })


def _last_before(
    adequate: pd.DataFrame, start: pd.Series, limit: pd.Series | None
) -> tuple[pd.Series, pd.Series]:
    """Per subject, date and ASEQ of the last adequate assessment on/after start and before
    *limit* (exclusive; no limit when missing)."""
    rows = adequate.assign(START=adequate["USUBJID"].map(start))
    keep = rows["START"].notna() & (rows["ADT"] >= rows["START"])
    if limit is not None:
        cut = rows["USUBJID"].map(limit)
        keep &= cut.isna() | (rows["ADT"] < cut)
    last = rows.loc[keep].drop_duplicates("USUBJID", keep="last").set_index("USUBJID")
    return last["ADT"], last["ASEQ"]


def _first_event(
    sources: list[_Source], start: pd.Series, cutoff: pd.Series | None
) -> pd.DataFrame:
    """Earliest event on/after start (and before *cutoff*), ties to the source listed first."""
    parts = []
    for order, source in enumerate(sources):
        dates = source.dates.reindex(start.index)
        keep = dates.notna() & (dates >= start)
        if cutoff is not None:
            cut = cutoff.reindex(start.index)
            keep &= cut.isna() | (dates < cut)
        parts.append(pd.DataFrame({
            "USUBJID": start.index[keep], "EDT": dates[keep].to_numpy(), "ORDER": order,
            "SEQ": source.seq.reindex(start.index)[keep].to_numpy(),
        }))
    events = pd.concat(parts, ignore_index=True).sort_values(["USUBJID", "EDT", "ORDER"])
    return events.drop_duplicates("USUBJID").set_index("USUBJID")


def _progression_endpoint(
    paramcd: str,
    start: pd.Series,
    *,
    sources: list[_Source],
    adequate: pd.DataFrame,
    nact: pd.Series,
    schedule: _Schedule,
    start_desc: str,
    start_var: str,
) -> pd.DataFrame:
    """PFS/TTP/DOR with the FDA (or EMA) censoring rules, one vectorised pass per rule."""
    fda = schedule.rules == "FDA"
    cutoff = nact if fda else None
    events = _first_event(sources, start, cutoff)
    subjects = start.index
    event_date = events["EDT"].reindex(subjects)
    order = events["ORDER"].reindex(subjects)
    prev_date, prev_seq = _last_before(adequate, start, event_date)
    prev_date = prev_date.reindex(subjects)
    gap_from = prev_date.fillna(start)
    missed = (
        fda
        & event_date.notna()
        & ((event_date - gap_from).dt.days > schedule.gap_days)
    )
    if schedule.death_always_event:
        death_order = next((i for i, s in enumerate(sources) if s.rule == "event_death"), -1)
        missed &= ~(prev_date.isna() & (order == death_order))
    is_event = event_date.notna() & ~missed
    last_date, last_seq = _last_before(adequate, start, cutoff)
    last_date = last_date.reindex(subjects)
    last_seq = last_seq.reindex(subjects)
    stopped_by_nact = (
        fda & ~event_date.notna() & nact.reindex(subjects).notna()
        & (nact.reindex(subjects) >= start)
    )
    # Censoring date: before the gap (missed), else the last adequate assessment (before new
    # therapy under FDA); the start date when there is none.
    censor_date = last_date.where(~missed, prev_date)
    censor_seq = last_seq.astype(float).where(~missed, prev_seq.reindex(subjects).astype(float))
    no_assessment = censor_date.isna()
    censor_date = censor_date.fillna(start)
    description = np.select(
        [order == i for i in range(len(sources))], [s.description for s in sources], ""
    )
    event_seq = events["SEQ"].reindex(subjects)
    event_domain = np.select([order == i for i in range(len(sources))],
                             [s.domain for s in sources], "")
    event_var = np.select([order == i for i in range(len(sources))],
                          [s.variable for s in sources], "")
    event_rule = np.select([order == i for i in range(len(sources))],
                           [s.rule for s in sources], "")
    censor_reason = np.select(
        [missed, stopped_by_nact, no_assessment],
        [np.char.add(description.astype(str), " After Two or More Missed Assessments"),
         "New Anticancer Therapy", "No Post-Baseline Tumor Assessment"],
        "No Progression or Death" if len(sources) > 1 else "No Progression",
    )
    censor_rule = np.select(
        [missed, stopped_by_nact & ~no_assessment, no_assessment],
        ["censor_missed_assessments", "censor_new_therapy", "censor_no_assessment"],
        "censor_last_assessment",
    )
    return pd.DataFrame({
        "USUBJID": subjects.to_numpy(),
        "PARAMCD": paramcd,
        "STARTDT": start.to_numpy(),
        "ADT": np.where(is_event, event_date, censor_date).astype("datetime64[ns]"),
        "CNSR": np.where(is_event, 0, 1),
        "EVNTDESC": np.where(is_event, description, censor_reason),
        "CNSDTDSC": np.where(is_event, "", np.where(no_assessment, start_desc, _LAST_ADEQUATE)),
        "SRCDOM": np.where(is_event, event_domain, np.where(no_assessment, "ADSL", "ADRS")),
        "SRCVAR": np.where(is_event, event_var, np.where(no_assessment, start_var, "ADT")),
        "SRCSEQ": np.where(is_event, event_seq, np.where(no_assessment, np.nan, censor_seq)),
        "ARULE": np.where(is_event, event_rule, censor_rule),
    })


def _finish(frame: pd.DataFrame, *, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADT is never before STARTDT (admiral), AVAL = ADT − STARTDT + 1 days, then ASEQ/ADSL."""
    frame["ADT"] = frame[["ADT", "STARTDT"]].max(axis=1)
    frame["AVAL"] = (frame["ADT"] - frame["STARTDT"]).dt.days.astype(float) + 1
    frame["AVALU"] = "DAYS"
    frame["PARAM"] = frame["PARAMCD"].map(ADTTE_PARAMS)
    frame["SRCSEQ"] = pd.to_numeric(frame["SRCSEQ"], errors="coerce")
    frame = frame.sort_values(["USUBJID", "PARAMCD"], kind="stable").reset_index(drop=True)
    frame["ASEQ"] = frame.groupby("USUBJID").cumcount() + 1
    rows = pd.Index(adsl["USUBJID"]).get_indexer(frame["USUBJID"])
    columns = {c: frame[c].to_numpy() for c in frame.columns}
    for column in adsl.columns:
        if column not in columns:
            columns[column] = adsl[column].to_numpy()[rows]
    first = ["STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ", "PARAMCD", "PARAM", "STARTDT",
             "ADT", "AVAL", "AVALU", "CNSR", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR",
             "SRCSEQ", "ARULE"]
    first = [c for c in first if c in columns]
    names = first + [c for c in columns if c not in first]
    return pd.DataFrame({name: columns[name] for name in names}, copy=False)
