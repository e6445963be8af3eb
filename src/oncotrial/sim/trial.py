"""One detailed virtual LEADER trial: phase Ib cohorts, phase II at the RP2D, plain records out.

Every dose is decided by :func:`oncotrial.rules.decide_dose`; labs and blood pressure are graded
by :mod:`oncotrial.rules.ctcae`; cycle-1 events are judged by :func:`oncotrial.rules.classify_dlt`
and cohorts by :func:`oncotrial.rules.decide_cohort`.  The tumour then follows the dose
intensity actually given (same model as the fast path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DataError
from oncotrial.protocol import CohortAction, Protocol
from oncotrial.rules import (
    CohortDecision,
    DltEvent,
    Rp2dDecision,
    classify_dlt,
    decide_cohort,
    decide_rp2d,
)
from oncotrial.sim._draws import PatientDraws, draw_patients
from oncotrial.sim._treatment import (
    LENVATINIB,
    DoseRecord,
    LabRecord,
    TreatmentCourse,
    cycle_intensity,
    treat,
)
from oncotrial.sim.design import TrialDesign, design_from_protocol
from oncotrial.sim.fast import compute_horizon
from oncotrial.sim.observe import PatientOutcomes, compute_outcomes
from oncotrial.sim.parameters import DAYS_PER_MONTH, SimParameters
from oncotrial.sim.patients import VirtualPatients, make_patients
from oncotrial.sim.toxicity import SymptomEvent
from oncotrial.sim.tumour import make_kinetics
from oncotrial.types import DoseAction, Phase

__all__ = ["AdverseEventRecord", "DoseRecord", "LabRecord", "SimulatedTrial", "simulate_trial"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AdverseEventRecord:
    """An adverse-event episode (CTCAE v5.0 term, worst grade, study days of onset and end)."""

    patient: int
    term: str
    grade: int
    start_day: int
    end_day: int
    attribution: str  # drug(s) it is attributed to
    laboratory: bool
    dlt: bool
    flags: tuple[str, ...] = ()  # the dose-rule facts of the episode (intolerable, fever, ...)
    next_grade: int = 0  # grade of the record that continues it the next day (0: resolved)
    dlt_rule: str | None = None  # the protocol's DLT clause when ``dlt``


@dataclass(frozen=True)
class SimulatedTrial:
    """A virtual trial, as plain records; days are study days (day 1 = first dose)."""

    protocol_id: str
    seed: int
    design: TrialDesign
    patients: VirtualPatients
    phase: tuple[Phase, ...]
    regimen: tuple[str, ...]
    enrol_day: FloatArray  # calendar day of the first dose since the trial opened
    treatment_end_day: FloatArray  # last study day on treatment
    outcomes: PatientOutcomes
    dose_intensity: FloatArray  # (n, cycles) relative dose intensity driving the tumour
    lenvatinib_mg_daily: FloatArray  # (n, days) lenvatinib taken on study day d (column d − 1)
    eribulin_mg_m2_daily: FloatArray  # (n, days) eribulin given on study day d
    doses: tuple[DoseRecord, ...]
    labs: tuple[LabRecord, ...]
    adverse_events: tuple[AdverseEventRecord, ...]
    cohorts: tuple[CohortDecision, ...]
    dlt: tuple[bool, ...]
    rp2d_regimen: str  # the protocol's (phase II is treated at it)
    rp2d_found: Rp2dDecision | None  # what this trial's dose finding decides, with its clause
    organs: tuple[str, ...]  # names of the lesion_organ codes


def _take(patients: VirtualPatients, idx: IntArray) -> VirtualPatients:
    return VirtualPatients(**{f.name: getattr(patients, f.name)[idx]
                              for f in fields(VirtualPatients)})


def _lab_episodes(labs: tuple[LabRecord, ...]) -> list[AdverseEventRecord]:
    """One record per grade (and dose-rule flags) of each term, as SDTM AE expects per
    episode: a change of grade ends the record the day before and opens the next one, which
    the ended record names (``next_grade``) so its outcome can say resolving or worsening."""
    out: list[AdverseEventRecord] = []
    open_: dict[tuple[int, str], list[Any]] = {}
    baseline: dict[tuple[int, str], int] = {}
    for lab in sorted(labs, key=lambda r: (r.patient, r.test, r.day)):
        key = (lab.patient, lab.test)
        # treatment-emergent only: a grade no worse than the pre-dose value of the first visit
        # is not an adverse event (ICH E9 glossary; ADaM TRTEMFL), e.g. a blood pressure of
        # 130/85 (CTCAE grade 1 hypertension) already present before the first dose
        base = baseline.setdefault(key, lab.grade or 0)
        grade = (lab.grade or 0) if (lab.grade or 0) > base else 0
        ep = open_.get(key)
        if ep is not None and (grade, lab.flags) != (ep[2], ep[3]):
            del open_[key]
            out.append(_lab_ae(lab.patient, lab.test, ep[2], ep[0], lab.day - 1, flags=ep[3],
                               next_grade=grade))
            ep = None
        if grade > 0:
            if ep is None:
                open_[key] = [lab.day, lab.day, grade, lab.flags]
            else:
                ep[1] = lab.day
    out.extend(_lab_ae(p, t, ep[2], ep[0], ep[1] + 6, flags=ep[3])
               for (p, t), ep in open_.items())
    return out


def _lab_ae(patient: int, term: str, grade: int, start: int, end: int, *,
            flags: tuple[str, ...] = (), next_grade: int = 0) -> AdverseEventRecord:
    drug = "lenvatinib" if term in {"Hypertension", "Proteinuria"} else "eribulin"
    return AdverseEventRecord(patient, term, grade, start, max(end, start), drug,
                              term != "Hypertension", False, flags, next_grade)


def _symptom_flags(event: SymptomEvent) -> tuple[str, ...]:
    if event.term == "Febrile neutropenia":
        return ("fever",)
    return ("intolerable",) if event.intolerable else ()


def _course_aes(course: TreatmentCourse) -> list[AdverseEventRecord]:
    aes = _lab_episodes(course.labs)
    aes.extend(AdverseEventRecord(s.patient, s.term, s.grade, s.start_day, s.end_day, s.drug,
                                  False, False, _symptom_flags(s)) for s in course.symptoms)
    return aes


def _dlt_events(patient: int, aes: list[AdverseEventRecord], course: TreatmentCourse,
                window: int) -> list[DltEvent]:
    holds = [d for d in course.doses if d.patient == patient and d.drug == LENVATINIB
             and d.action is DoseAction.HOLD and d.day <= window]
    events = []
    for ae in aes:
        if ae.patient != patient or ae.start_day > window:
            continue
        flags: list[str] = []
        # the interruption must be forced by this event: a hold whose rules matched its term,
        # or a measurement rule (no term, e.g. urine protein ≥ 2 g/24 h) for a lab event
        if ae.grade >= 2 and any(
                ae.start_day <= h.day <= ae.end_day
                and (ae.term in h.terms or (not h.terms and ae.laboratory)) for h in holds):
            flags.append("treatment_interruption")
        if ae.term == "Febrile neutropenia":
            flags.append("fever")
        events.append(DltEvent.model_validate({
            "term": ae.term, "grade": ae.grade, "onset_day": max(ae.start_day, 1),
            "attribution": "possible", "duration_days": ae.end_day - ae.start_day + 1,
            "flags": flags}))
    return events


def modified_within(course: TreatmentCourse, n: int, *, drug: str, start_mg: float,
                    last_day: int) -> NDArray[np.bool_]:
    """Per patient of *course*: was *drug* reduced below *start_mg* or stopped by *last_day*."""
    out = np.zeros(n, dtype=bool)
    for d in course.doses:
        if d.drug != drug or d.day > last_day:
            continue
        if (d.level is not None and d.level < start_mg) or d.action is DoseAction.DISCONTINUE:
            out[d.patient] = True
    return out


def _with_dlt(ae: AdverseEventRecord, dlt_terms: dict[tuple[int, str], str],
              window: int) -> AdverseEventRecord:
    """The episode with its DLT verdict and the protocol clause that made it one."""
    rule = dlt_terms.get((ae.patient, ae.term)) if ae.start_day <= window else None
    return replace(ae, dlt=rule is not None, dlt_rule=rule)


@dataclass
class _Group:
    index: IntArray
    regimen: str
    phase: Phase
    course: TreatmentCourse


# Re-running dose finding on the gated calendar gives the same cohorts (DLTs depend on the
# patients and the first 21 days, not on the calendar); a few passes are a safeguard.
_MAX_CALENDAR_PASSES = 4


class _TrialBuilder:
    def __init__(self, protocol: Protocol, *, n_patients: int, seed: int,
                 params: SimParameters, enrol: FloatArray | None = None) -> None:
        self.protocol = protocol
        self.params = params
        self.seed = seed
        self.design = design_from_protocol(protocol)
        self.n_scans, self.n_cycles = compute_horizon(self.design, params)
        self.rng = np.random.default_rng(seed)
        self.draws: PatientDraws = draw_patients(self.rng, n_patients, n_scans=self.n_scans)
        self.patients = make_patients(self.draws, params=params.population)
        ev = params.events
        if enrol is None:
            enrol = np.round(np.sort(self.draws.u_enrol) * ev.accrual_months * DAYS_PER_MONTH)
        self.enrol = enrol
        cutoff = self.enrol.max() + ev.followup_months * DAYS_PER_MONTH
        self.admin = cutoff - self.enrol
        per_day = 1.0 / DAYS_PER_MONTH
        off = np.minimum.reduce([self.draws.e_death / (ev.death_hazard_per_month * per_day),
                                 self.draws.e_dropout / (ev.dropout_hazard_per_month * per_day),
                                 self.admin])
        horizon = self.n_cycles * self.design.cycle_length_days
        self.end_day = np.ceil(np.clip(off, 1, horizon)).astype(np.int64)
        self.groups: list[_Group] = []
        self.rp2d_found: Rp2dDecision | None = None
        self.dlt_terms: dict[tuple[int, str], str] = {}  # (patient, term) → DLT clause

    def _treat(self, idx: IntArray, regimen: str, phase: Phase) -> _Group:
        doses = self.protocol.regimen(regimen).doses
        course = treat(_take(self.patients, idx), start_levels=[dict(doses)] * idx.size,
                       end_day=self.end_day[idx], protocol=self.protocol,
                       rng=np.random.default_rng(self.rng.integers(2**63)),
                       params=self.params.toxicity,
                       reference_lenvatinib_mg=self.design.reference_lenvatinib_mg)
        group = _Group(idx, regimen, phase, course)
        self.groups.append(group)
        return group

    def phase_ib(self) -> tuple[list[CohortDecision], dict[int, bool]]:
        ib = self.protocol.phase_ib
        regimen = ib.start_regimen
        decisions: list[CohortDecision] = []
        dlt: dict[int, bool] = {}
        next_patient = 0
        at_regimen: list[int] = []
        batch = ib.cohort_size
        while next_patient + batch <= self.patients.n:
            idx = np.arange(next_patient, next_patient + batch)
            next_patient += batch
            group = self._treat(idx, regimen, Phase.IB)
            aes = _course_aes(group.course)
            for local, pid in enumerate(idx):
                events = _dlt_events(local, aes, group.course, ib.dlt_window_days)
                verdict = classify_dlt(events, protocol=self.protocol)
                dlt[int(pid)] = verdict.is_dlt
                self.dlt_terms.update(((int(pid), e.term), e.rule)
                                      for e in verdict.events if e.is_dlt)
            at_regimen.extend(int(p) for p in idx)
            # DLT-evaluable: completed the DLT window, or had a DLT in it (common phase I
            # convention; a patient who leaves early without a DLT is replaced)
            evaluable = [p for p in at_regimen
                         if self.end_day[p] >= ib.dlt_window_days or dlt[p]]
            decision = decide_cohort(len(evaluable), sum(dlt[p] for p in evaluable),
                                     regimen=regimen, protocol=self.protocol)
            decisions.append(decision)
            if decision.action is CohortAction.STOP:
                if decision.tolerated:
                    self.rp2d_found = self._rp2d(decision)
                break
            if decision.action is CohortAction.DE_ESCALATE and decision.next_regimen:
                regimen, at_regimen = decision.next_regimen, []
            # a patient who leaves before the end of the DLT window is replaced, not a whole
            # cohort added (3+3 practice, Storer 1989): fill the cohort up to its size
            batch = (ib.cohort_size - len(evaluable) % ib.cohort_size
                     if decision.action is CohortAction.CONTINUE and at_regimen
                     else ib.cohort_size)
        return decisions, dlt

    def _rp2d(self, decision: CohortDecision) -> Rp2dDecision:
        """The RP2D of the tolerated regimen's patients: the DLT count, or the protocol's
        tolerability clause (their drug reductions within its first cycles)."""
        clause = self.protocol.phase_ib.tolerability
        groups = [g for g in self.groups
                  if g.phase is Phase.IB and g.regimen == decision.regimen]
        n = sum(g.index.size for g in groups)
        if clause is None:
            return decide_rp2d(decision, n_patients=n, n_modified=0, protocol=self.protocol)
        start = self.protocol.regimen(decision.regimen).doses[clause.drug]
        last_day = clause.cycles * self.protocol.cycle_length_days
        modified = sum(int(modified_within(g.course, g.index.size, drug=clause.drug,
                                           start_mg=start, last_day=last_day).sum())
                       for g in groups)
        return decide_rp2d(decision, n_patients=n, n_modified=modified, protocol=self.protocol)

    def gated_enrolment(self) -> FloatArray:
        """First-dose days once accrual waits for dose finding: the patients of a phase Ib
        cohort start together once the last of them has accrued, and a cohort (or the first
        phase II patient) starts only after the previous cohort has completed the DLT window
        — the day after it, when the cohort decision can be taken (3+3-type designs, Storer
        1989). Patients waiting for a slot start on that day."""
        window = self.protocol.phase_ib.dlt_window_days
        out = self.enrol.copy()
        gate = 0.0
        cohorts = [g.index for g in self.groups if g.phase is Phase.IB]
        for idx in cohorts:
            start = max(gate, float(out[idx].max()))
            out[idx] = start
            gate = start + window + 1
        if cohorts:
            rest = int(max(int(idx.max()) for idx in cohorts)) + 1
            out[rest:] = np.maximum(out[rest:], gate)
        return np.maximum.accumulate(out)

    def phase_ii(self, first: int) -> None:
        if first < self.patients.n:
            self._treat(np.arange(first, self.patients.n), self.protocol.phase_ii.rp2d_regimen,
                        Phase.II)


def _merge(builder: _TrialBuilder) -> tuple[FloatArray, FloatArray, list[DoseRecord],
                                            list[LabRecord], list[AdverseEventRecord]]:
    n = builder.patients.n
    days = int(builder.end_day.max())
    lenv, eri = np.zeros((n, days)), np.zeros((n, days))
    doses: list[DoseRecord] = []
    labs: list[LabRecord] = []
    aes: list[AdverseEventRecord] = []
    for g in builder.groups:
        c = g.course
        lenv[g.index, : c.lenvatinib_mg.shape[1]] = c.lenvatinib_mg
        eri[g.index, : c.eribulin_mg_m2.shape[1]] = c.eribulin_mg_m2
        remap = g.index
        doses.extend(replace(d, patient=int(remap[d.patient])) for d in c.doses)
        labs.extend(replace(r, patient=int(remap[r.patient])) for r in c.labs)
        aes.extend(replace(a, patient=int(remap[a.patient])) for a in _course_aes(c))
    return lenv, eri, doses, labs, aes


def _truncate(daily: FloatArray, stop: list[int]) -> FloatArray:
    days = np.arange(1, daily.shape[1] + 1)[None, :]
    return np.where(days <= np.asarray(stop)[:, None], daily, 0.0)


def simulate_trial(protocol: Protocol, *, n_patients: int = 30, seed: int = 0,
                   params: SimParameters | None = None) -> SimulatedTrial:
    """Simulate one detailed LEADER-type trial.

    Parameters
    ----------
    protocol
        The trial protocol (phase Ib regimens and cohort rules, RP2D, schedule, RECIST values).
    n_patients
        Patients enrolled in total (phase Ib cohorts first, the rest in phase II at the RP2D).
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same trial.
    params
        Model parameters (default :data:`oncotrial.sim.parameters.DEFAULT_PARAMETERS`).

    Returns
    -------
    SimulatedTrial
        Patients, phase and regimen of each, enrolment calendar, every dose given (decided
        by :func:`oncotrial.rules.dosing.decide_dose`), laboratory value and adverse event,
        the phase Ib cohort decisions and DLTs, the dose-finding's RP2D, and the tumour
        outcomes (scans, RECIST responses, PFS, OS) in study days.

    Raises
    ------
    DataError
        If *n_patients* is smaller than one phase Ib cohort.
    """
    if n_patients < protocol.phase_ib.cohort_size:
        raise DataError("fewer patients than one phase Ib cohort", field="n_patients",
                        value=n_patients, allowed=f">= {protocol.phase_ib.cohort_size}")
    params = params or SimParameters()
    b = _TrialBuilder(protocol, n_patients=n_patients, seed=seed, params=params)
    cohorts, dlt = b.phase_ib()
    for _ in range(_MAX_CALENDAR_PASSES):  # accrual waits for each cohort's DLT window
        gated = b.gated_enrolment()
        if np.array_equal(gated, b.enrol):
            break
        b = _TrialBuilder(protocol, n_patients=n_patients, seed=seed, params=params,
                          enrol=gated)
        cohorts, dlt = b.phase_ib()
    n_ib = len(dlt)
    b.phase_ii(n_ib)
    lenv, eri, doses, labs, aes = _merge(b)
    design = b.design
    course = TreatmentCourse(lenv, eri, (), (), ())
    intensity = cycle_intensity(
        course, n_cycles=b.n_cycles, cycle_length_days=design.cycle_length_days,
        reference_lenvatinib_mg=design.reference_lenvatinib_mg,
        reference_eribulin_mg_m2=design.reference_eribulin_mg_m2,
        n_eribulin_doses=len(design.eribulin_days),
        weight_lenvatinib=params.tumour.weight_lenvatinib)
    kinetics = make_kinetics(b.draws, b.patients, params=params.tumour)
    outcomes = compute_outcomes(b.patients, kinetics, b.draws, cycle_intensity=intensity,
                                admin_censor_day=b.admin, design=design, params=params)
    end = np.minimum(outcomes.pd_day, outcomes.off_study_day)
    end = np.minimum(end, b.end_day).astype(np.float64)
    stop = [math.floor(e) for e in end]
    regimen = [""] * n_patients
    phase = [Phase.II] * n_patients
    for g in b.groups:
        for p in g.index:
            regimen[int(p)], phase[int(p)] = g.regimen, g.phase
    window = protocol.phase_ib.dlt_window_days
    aes_kept = [_with_dlt(a, b.dlt_terms, window) for a in aes if a.start_day <= stop[a.patient]]
    return SimulatedTrial(
        protocol_id=protocol.id, seed=seed, design=design, patients=b.patients,
        phase=tuple(phase), regimen=tuple(regimen), enrol_day=b.enrol, treatment_end_day=end,
        outcomes=outcomes, dose_intensity=intensity,
        lenvatinib_mg_daily=_truncate(lenv, stop), eribulin_mg_m2_daily=_truncate(eri, stop),
        doses=tuple(d for d in doses if d.day <= stop[d.patient]),
        labs=tuple(r for r in labs if r.day <= stop[r.patient]),
        adverse_events=tuple(aes_kept), cohorts=tuple(cohorts),
        dlt=tuple(dlt.get(i, False) for i in range(n_patients)),
        rp2d_regimen=protocol.phase_ii.rp2d_regimen, rp2d_found=b.rp2d_found,
        organs=params.population.organs,
    )
