"""ADTTE: overall survival, progression-free survival, time to progression, duration of response
and time to response (by RECIST 1.1 and, when ADRS has them, by Choi criteria).

Mechanics follow admiral ``derive_param_tte()`` and the admiralonco ADTTE template (sources
``death_event``, ``pd_event``, ``lastalive_censor``, ``lasta_censor``; AVAL = ADT − STARTDT + 1
days). Censoring of PFS, TTP and DOR is data: the rule sets of
``oncotrial/rules/data/tte_censoring.yaml`` (FDA 2018 endpoints guidance table, which the
admiralonco template does not implement, and EMA Appendix 1), each an ordered list of named
rules with its source, loaded by :mod:`oncotrial.rules.censoring`. This module computes the
conditions the rules name and applies the first rule that holds, per subject.
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
from oncotrial.rules.censoring import (
    CensoringRule,
    load_censoring_rules,
    select_censoring_rules,
)
from oncotrial.rules.irecist_lesions import progression_date

__all__ = ["ADTTE_PARAMS", "TTR_PARAMS", "derive_adtte"]

ADTTE_PARAMS: dict[str, str] = {
    "OS": "Overall Survival (days)",
    "PFS": "Progression-Free Survival (days)",
    "TTP": "Time to Progression (days)",
    "DOR": "Duration of Response (days)",
    "TTR": "Time to Response (days)",
    "CHOITTR": "Time to Response by Choi Criteria (days)",
    # iRECIST (Seymour 2017), present when ADRS has IOVR: progression at the first iUPD of the
    # run iCPD confirmed, or at an iUPD never confirmed nor reset
    "IPFS": "iRECIST Progression-Free Survival (days)",
}
# Time to response per criteria: PARAMCD → (ADRS confirmed-response parameter, EVNTDESC).
# admiralonco's ADTTE template has no time to response (OS, PFS, RSD only); TTR is the usual
# sponsor code, CHOITTR follows the CHOI prefix of the Choi ADRS parameters.
TTR_PARAMS: dict[str, tuple[str, str]] = {
    "TTR": ("CRSP", "Confirmed Response"),
    "CHOITTR": ("CHOICRSP", "Confirmed Response by Choi Criteria"),
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
    death_without_assessment: DeathWithoutAssessment
    baseline_assessed: frozenset[str] | None  # subjects with baseline lesions in TU (None: no TU)


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
    """Derive ADTTE (OS, PFS, TTP, DOR, TTR and, with Choi parameters, CHOITTR; with
    iRECIST parameters, IPFS) from ADRS and ADSL.

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
        Name of a rule set of ``rules/data/tte_censoring.yaml``: ``"FDA"`` (2018 guidance
        censoring table, default) or ``"EMA"`` (events counted at their observed date whatever
        happened before; last adequate assessment otherwise).
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
        One record per subject and parameter (DOR, TTR, CHOITTR: confirmed responders only,
        see :func:`_time_to_response`; subjects without a start
        date are left out, as admiral does): PARAMCD, PARAM, STARTDT, ADT, AVAL (days), AVALU,
        CNSR (0 event, 1 censored), EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ, ARULE and the
        ADSL variables.
    """
    known = load_censoring_rules().progression_sets()
    if pfs_rules not in known:
        raise DataError("unknown PFS censoring rules", field="pfs_rules", value=pfs_rules,
                        allowed=", ".join(known))
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
        death_without_assessment=death_without_assessment,
        baseline_assessed=None if tu is None else _baseline_assessed(tu),
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
        *(_time_to_response(code, adrs, start)
          for code, (source, _) in TTR_PARAMS.items() if (paramcd == source).any()),
    ]
    if (paramcd == "IOVR").any():
        # IPFS is censored by the PFS rules of the chosen set (no baseline, missed
        # assessments, new therapy), with iRECIST progression as the event
        iprogression, iadequate = _irecist_progression(adrs)
        frames.append(_progression_endpoint(
            "IPFS", start, sources=[*iprogression, death], adequate=iadequate, nact=nact,
            schedule=schedule, start_desc=start_desc, start_var=start_var, rules_for="PFS"))
    return _finish(pd.concat(frames, ignore_index=True), adsl=adsl)


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


def _baseline_assessed(tu: pd.DataFrame) -> frozenset[str]:
    """Subjects with a baseline tumour assessment: TARGET or NON-TARGET lesions in TU (NEW
    lesions appear only after baseline)."""
    baseline = upper_text(tu["TUSTRESC"]).isin(["TARGET", "NON-TARGET"])
    return frozenset(tu.loc[baseline, "USUBJID"].astype(str))


def _response_start(adrs: pd.DataFrame, *, confirmed: bool) -> pd.Series:
    paramcd = "CRSP" if confirmed else "RSP"
    rows = adrs.loc[(adrs["PARAMCD"] == paramcd) & (adrs["AVALC"] == "Y"), ["USUBJID", "ADT"]]
    return rows.set_index("USUBJID")["ADT"].dropna()


def _time_to_response(
    paramcd: str, adrs: pd.DataFrame, start: pd.Series
) -> pd.DataFrame:
    """TTR/CHOITTR: from the start date to the first assessment of a confirmed CR or PR (the
    ADT of ADRS CRSP/CHOICRSP = Y, RECIST 1.1 §4.6: the response is dated when first seen, once
    a later assessment has confirmed it). Responders only, every record an event (CNSR 0), as
    time to response is summarised among responders; an unconfirmed response gives no record.
    """
    source, description = TTR_PARAMS[paramcd]
    rows = adrs.loc[(adrs["PARAMCD"] == source) & (adrs["AVALC"] == "Y"),
                    ["USUBJID", "ADT", "ASEQ"]].dropna(subset=["ADT"])
    rows = rows.loc[rows["USUBJID"].isin(start.index)].drop_duplicates("USUBJID")
    return pd.DataFrame({
        "USUBJID": rows["USUBJID"].to_numpy(),
        "PARAMCD": paramcd,
        "STARTDT": rows["USUBJID"].map(start).to_numpy(dtype="datetime64[ns]"),
        "ADT": rows["ADT"].to_numpy(dtype="datetime64[ns]"),
        "CNSR": 0,
        "EVNTDESC": description,
        "CNSDTDSC": "",
        "SRCDOM": "ADRS",
        "SRCVAR": "ADT",
        "SRCSEQ": rows["ASEQ"].to_numpy(dtype=float),
        "ARULE": f"event_{source.lower()}",
    })


def _overall_survival(
    start: pd.Series, by_subject: pd.DataFrame, death: _Source, *, start_var: str
) -> pd.DataFrame:
    """OS by the ``OS`` rule set: death is the event; otherwise censored at the last date known
    alive (admiralonco ``lastalive_censor``), or at the start date when nothing later is known
    (``rand_censor``)."""
    _, rules = select_censoring_rules("OS", endpoint="OS")
    subjects = start.index
    died = death.dates.reindex(subjects)
    alive = by_subject["LSTALVDT"].reindex(subjects)
    rule = _first_rule(rules, {
        "event": died.notna().to_numpy(),
        "alive_after_start": (alive.notna() & (alive > start)).to_numpy(),
        "always": np.ones(len(subjects), dtype=bool),
    })
    kind = np.array([r.date for r in rules], dtype=object)[rule]
    is_event = kind == "event"
    last_alive = kind == "last_alive"
    return pd.DataFrame({
        "USUBJID": subjects.to_numpy(),
        "PARAMCD": "OS",
        "STARTDT": start.to_numpy(),
        "ADT": np.where(is_event, died, np.where(last_alive, alive, start)
                        ).astype("datetime64[ns]"),
        "CNSR": np.where(is_event, 0, 1),
        "EVNTDESC": np.array([r.description for r in rules], dtype=object)[rule],
        "CNSDTDSC": np.where(is_event, "", np.where(last_alive, "Last Known Alive Date",
                                                    _START_DESC[start_var])),
        "SRCDOM": "ADSL",
        "SRCVAR": np.where(is_event, death.variable, np.where(last_alive, "LSTALVDT",
                                                              start_var)),
        "SRCSEQ": np.nan,
        "ARULE": np.where(is_event, death.rule,
                          np.array([r.rule_name for r in rules], dtype=object)[rule]),
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


def _first_rule(rules: tuple[CensoringRule, ...], conditions: dict[str, np.ndarray]
                ) -> np.ndarray:
    """Index of the first rule whose ``when`` all hold and ``unless`` all fail, per subject."""
    size = len(conditions["always"])
    chosen = np.full(size, -1, dtype=np.int64)
    for index in range(len(rules) - 1, -1, -1):  # the earliest matching rule is written last
        rule = rules[index]
        holds = np.ones(size, dtype=bool)
        for name in rule.when:
            holds &= conditions[name]
        for name in rule.unless:
            holds &= ~conditions[name]
        chosen = np.where(holds, index, chosen)
    return chosen


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
    rules_for: str | None = None,
) -> pd.DataFrame:
    """PFS/TTP/DOR (and IPFS with *rules_for* ``"PFS"``): the conditions the censoring rules
    name, then the first rule that holds."""
    rule_set, rules = select_censoring_rules(
        schedule.rules, endpoint=rules_for or paramcd,
        death_without_assessment=schedule.death_without_assessment)
    cutoff = None if rule_set.count_events_after_new_therapy else nact
    events = _first_event(sources, start, cutoff)
    subjects = start.index
    event_date = events["EDT"].reindex(subjects)
    order = events["ORDER"].reindex(subjects).fillna(-1).to_numpy(dtype=np.int64)
    prev_date, prev_seq = _last_before(adequate, start, event_date)
    prev_date = prev_date.reindex(subjects)
    last_date, last_seq = _last_before(adequate, start, cutoff)
    last_date = last_date.reindex(subjects)
    therapy = nact.reindex(subjects)
    has_event = event_date.notna().to_numpy()
    death_order = next((i for i, s in enumerate(sources) if s.rule == "event_death"), -2)
    gap = (event_date - prev_date.fillna(start)).dt.days > schedule.gap_days
    baseline = schedule.baseline_assessed
    conditions = {
        "event": has_event,
        "death_event": has_event & (order == death_order),
        "after_missed_assessments": has_event & gap.to_numpy(),
        "no_prior_assessment": prev_date.isna().to_numpy(),
        "new_therapy": (therapy.notna() & (therapy >= start)).to_numpy(),
        "no_assessment": last_date.isna().to_numpy(),
        "no_baseline_assessment": (np.zeros(len(subjects), dtype=bool) if baseline is None
                                   else ~subjects.astype(str).isin(baseline)),
        "always": np.ones(len(subjects), dtype=bool),
    }
    rule = _first_rule(rules, conditions)
    is_event = np.array([r.outcome == "event" for r in rules])[rule]
    kind = np.array([r.date for r in rules], dtype=object)[rule]
    adequate_date = np.where(kind == "last_adequate_before_event", prev_date, last_date)
    adequate_seq = np.where(kind == "last_adequate_before_event",
                            prev_seq.reindex(subjects).astype(float),
                            last_seq.reindex(subjects).astype(float))
    # a last-adequate date falls back to the start when there is none
    at_start = (kind == "start") | (~is_event & pd.isna(adequate_date))
    event_of = [order == i for i in range(len(sources))]
    event_desc = np.select(event_of, [s.description for s in sources], "")
    endpoint_events = "Progression or Death" if len(sources) > 1 else "Progression"
    description = np.array([
        rules[r].description.format(event=d, endpoint_events=endpoint_events)
        for r, d in zip(rule, event_desc, strict=True)
    ], dtype=object)
    return pd.DataFrame({
        "USUBJID": subjects.to_numpy(),
        "PARAMCD": paramcd,
        "STARTDT": start.to_numpy(),
        "ADT": np.where(is_event, event_date, np.where(at_start, start, adequate_date)
                        ).astype("datetime64[ns]"),
        "CNSR": np.where(is_event, 0, 1),
        "EVNTDESC": description,
        "CNSDTDSC": np.where(is_event, "", np.where(at_start, start_desc, _LAST_ADEQUATE)),
        "SRCDOM": np.where(is_event, np.select(event_of, [s.domain for s in sources], ""),
                           np.where(at_start, "ADSL", "ADRS")),
        "SRCVAR": np.where(is_event, np.select(event_of, [s.variable for s in sources], ""),
                           np.where(at_start, start_var, "ADT")),
        "SRCSEQ": np.where(is_event, events["SEQ"].reindex(subjects),
                           np.where(at_start, np.nan, adequate_seq)),
        # an event names its source (event_pd, event_death); a censoring names its rule
        "ARULE": np.where(is_event, np.select(event_of, [s.rule for s in sources], ""),
                          np.array([r.rule_name for r in rules], dtype=object)[rule]),
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
