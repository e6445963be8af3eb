"""Day-by-day treatment of a group of virtual patients; every dose comes from ``decide_dose``.

Visits are cycle days 1, 8 and 15 (labs, blood pressure, urine protein, AEs); at each visit the
patient's state goes to :func:`oncotrial.rules.decide_dose` and its decision is applied as is.
Between visits lenvatinib is taken daily at the decided level (0 while held); eribulin is given
on the days the decision says so.  Cycles follow each other every ``cycle_length_days``
(ASSUMPTION: the label's "next cycle ≥ 14 days after a delayed day-8 dose" is not simulated).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from oncotrial.protocol import Protocol
from oncotrial.rules import (
    AdverseEvent,
    DoseState,
    DrugState,
    LabValue,
    Measurements,
    decide_dose,
    grade_hypertension,
    grade_lab,
)
from oncotrial.rules.dosing import DoseDecision
from oncotrial.rules.dosing._rules import Flag
from oncotrial.sim.parameters import ToxicityParameters
from oncotrial.sim.patients import VirtualPatients
from oncotrial.sim.toxicity import LabSnapshot, SymptomEvent, ToxicityProcess, draw_symptoms
from oncotrial.types import DoseAction

FloatArray = NDArray[np.float64]

LENVATINIB, ERIBULIN = "lenvatinib", "eribulin"
VISIT_DAYS = (1, 8, 15)
# Lab reference limits handed to CTCAE grading (typical adult ranges, ASSUMPTION).
ANC_LLN, PLATELET_LLN = 2.0, 150.0


@dataclass(frozen=True)
class LabRecord:
    """One measured value at a visit and its CTCAE grade."""

    patient: int
    day: int
    cycle: int
    cycle_day: int
    test: str  # CTCAE term graded: "Neutrophil count decreased", …, "Hypertension"
    value: float
    unit: str
    value2: float | None  # diastolic for blood pressure
    grade: int | None
    flags: tuple[str, ...] = ()  # dose-rule facts of the reading (hypertension despite therapy)


@dataclass(frozen=True)
class DoseRecord:
    """A dose decision taken by the rules engine and applied by the simulator."""

    patient: int
    day: int
    cycle: int
    cycle_day: int
    drug: str
    action: DoseAction
    level: float | None
    dose_mg: float | None
    rules: tuple[str, ...]
    terms: tuple[str, ...] = ()  # the event terms the fired rules matched


@dataclass
class _PatientState:
    drugs: dict[str, DrugState]
    cycle: int = 1
    cycle_start: int = 1
    lenvatinib_mg: float = 0.0
    last_visit: int = 0
    lab_grades: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TreatmentCourse:
    """What happened to a group of patients day by day."""

    lenvatinib_mg: FloatArray  # (n, days) taken each day
    eribulin_mg_m2: FloatArray  # (n, days) given each day
    doses: tuple[DoseRecord, ...]
    labs: tuple[LabRecord, ...]
    symptoms: tuple[SymptomEvent, ...]


def _labs(i: int, snap: LabSnapshot) -> list[LabValue]:
    labs = []
    if np.isfinite(snap.anc[i]):
        labs.append(LabValue(term="Neutrophil count decreased", value=float(snap.anc[i]),
                             unit="10^9/L", lln=ANC_LLN))
    if np.isfinite(snap.platelets[i]):
        labs.append(LabValue(term="Platelet count decreased", value=float(snap.platelets[i]),
                             unit="10^9/L", lln=PLATELET_LLN))
    return labs


class _Treatment:
    """Mutable simulation of one group; :func:`treat` is the entry point."""

    def __init__(self, patients: VirtualPatients, *, start_levels: list[dict[str, float]],
                 end_day: NDArray[np.int64], protocol: Protocol, rng: np.random.Generator,
                 params: ToxicityParameters, reference_lenvatinib_mg: float) -> None:
        self.patients = patients
        self.protocol = protocol
        self.rng = rng
        self.params = params
        self.end_day = end_day
        self.n_days = int(end_day.max())
        self.tox = ToxicityProcess(patients, rng=rng, params=params,
                                   reference_lenvatinib_mg=reference_lenvatinib_mg)
        self.states = [_PatientState({d: DrugState(level=lv) for d, lv in levels.items()})
                       for levels in start_levels]
        n = patients.n
        self.lenv = np.zeros((n, self.n_days))
        self.eri = np.zeros((n, self.n_days))
        self.doses: list[DoseRecord] = []
        self.labs: list[LabRecord] = []
        self.symptoms: list[SymptomEvent] = []
        self.baseline_bp_normal = np.ones(n, dtype=bool)
        self.cycle_len = protocol.cycle_length_days

    def _ae_list(self, i: int, day: int, st: _PatientState,
                 snap: LabSnapshot) -> list[AdverseEvent]:
        aes = []
        for ev in self.symptoms:
            if ev.patient == i and ev.start_day <= day <= ev.end_day:
                flags: list[Flag] = ["intolerable"] if ev.intolerable else []
                attributed = [LENVATINIB, ERIBULIN] if ev.drug == "both" else [ev.drug]
                aes.append(AdverseEvent(term=ev.term, grade=ev.grade,
                                        new=ev.start_day > st.last_visit, ongoing=True,
                                        attributed_to=attributed, flags=flags))
        hyp = grade_hypertension(float(snap.systolic[i]), float(snap.diastolic[i]),
                                 previously_normal=bool(self.baseline_bp_normal[i]))
        if hyp.grade:
            # attributed as the casebook records it: hypertension is a lenvatinib reaction
            # ([LENVIMA] W&P 5.1; not among [HALAVEN]'s)
            aes.append(AdverseEvent(term="Hypertension", grade=hyp.grade,
                                    new=hyp.grade > st.lab_grades.get("Hypertension", 0),
                                    attributed_to=[LENVATINIB],
                                    flags=list(self._hypertension_flags(i, hyp.grade))))
        if np.isfinite(snap.anc[i]) and snap.anc[i] < 1.0 and self.rng.random() < (
                self.params.p_fever_if_neutropenic):
            aes.append(AdverseEvent(term="Febrile neutropenia", grade=3, new=True,
                                    attributed_to=[ERIBULIN], flags=["fever"]))
            self.symptoms.append(SymptomEvent(i, "Febrile neutropenia", 3, day, day + 4,
                                              ERIBULIN))
        return aes

    def _hypertension_flags(self, i: int, grade: int) -> tuple[str, ...]:
        persists = self.tox.antihypertensives[i] >= 2 and grade >= 3
        return ("persists_despite_therapy",) if persists else ()

    def _record_labs(self, i: int, day: int, st: _PatientState, snap: LabSnapshot) -> None:
        cday = day - st.cycle_start + 1
        for lab in _labs(i, snap):
            value = float(lab.value or 0.0)  # _labs only builds finite values
            grade = grade_lab(lab.term, value, "10^9/L", lln=lab.lln).grade
            self.labs.append(LabRecord(i, day, st.cycle, cday, lab.term, value, "10^9/L",
                                       None, grade))
            st.lab_grades[lab.term] = grade or 0
        protein = float(snap.urine_protein_g_24h[i])
        grade = grade_lab("Proteinuria", protein, "g/24h").grade
        self.labs.append(LabRecord(i, day, st.cycle, cday, "Proteinuria", protein, "g/24h", None,
                                   grade))
        hyp = grade_hypertension(float(snap.systolic[i]), float(snap.diastolic[i]),
                                 previously_normal=bool(self.baseline_bp_normal[i]))
        self.labs.append(LabRecord(i, day, st.cycle, cday, "Hypertension",
                                   float(snap.systolic[i]), "mmHg", float(snap.diastolic[i]),
                                   hyp.grade, self._hypertension_flags(i, hyp.grade or 0)))
        st.lab_grades["Hypertension"] = hyp.grade or 0

    def _visit(self, i: int, day: int, snap: LabSnapshot) -> DoseDecision:
        st = self.states[i]
        cday = day - st.cycle_start + 1
        state = DoseState(
            subject=str(i), cycle=st.cycle, day=cday,
            height_cm=float(self.patients.height_cm[i]),
            weight_kg=float(self.patients.weight_kg[i]),
            drugs=dict(st.drugs), labs=_labs(i, snap),
            adverse_events=self._ae_list(i, day, st, snap),
            measurements=Measurements(urine_protein_g_24h=float(snap.urine_protein_g_24h[i]),
                                      systolic_bp=float(snap.systolic[i]),
                                      diastolic_bp=float(snap.diastolic[i])),
        )
        decision = decide_dose(state, protocol=self.protocol)
        self._record_labs(i, day, st, snap)
        st.last_visit = day
        return decision

    def _apply(self, i: int, day: int, decision: DoseDecision) -> None:
        st = self.states[i]
        cday = day - st.cycle_start + 1
        for d in decision.drugs:
            terms = tuple(dict.fromkeys(t for r in d.rules for t in r.terms))
            self.doses.append(DoseRecord(i, day, st.cycle, cday, d.drug, d.action, d.level,
                                         d.dose_mg, tuple(r.name for r in d.rules), terms))
            if d.action is DoseAction.DISCONTINUE or d.level is None:
                st.drugs.pop(d.drug, None)
                if d.drug == LENVATINIB:
                    st.lenvatinib_mg = 0.0
                continue
            st.drugs[d.drug] = DrugState(level=d.level, on_hold=d.on_hold, hold_rule=d.hold_rule,
                                         hold_terms=list(d.hold_terms),
                                         held_from_level=d.held_from_level)
            given = d.action in (DoseAction.GIVE, DoseAction.REDUCE) and d.dose_mg is not None
            if d.drug == LENVATINIB:
                st.lenvatinib_mg = d.level if given else 0.0
            elif d.drug == ERIBULIN and given:
                self.eri[i, day - 1] = d.level

    def _new_cycles(self, day: int) -> None:
        starting = []
        for i, st in enumerate(self.states):
            if day - st.cycle_start >= self.cycle_len:
                st.cycle += 1
                st.cycle_start = day
            if st.cycle_start == day and day <= self.end_day[i]:
                starting.append(i)
        if not starting:
            return
        n = self.patients.n
        rel = np.array([self.states[i].drugs.get(LENVATINIB, DrugState(level=0.0)).level
                        for i in range(n)]) / self.tox.ref_lenv
        on = np.zeros(n)
        on[starting] = [1.0 if self.states[i].drugs else 0.0 for i in starting]
        cycle = np.array([st.cycle for st in self.states], dtype=np.int64)
        self.symptoms.extend(draw_symptoms(self.rng, n=n, cycle=cycle, start_day=day,
                                           cycle_length_days=self.cycle_len,
                                           lenvatinib_rel=rel, on_treatment=on,
                                           params=self.params))

    def run(self) -> TreatmentCourse:
        first = self.tox.measure(self.rng)
        self.baseline_bp_normal = (first.systolic < 140) & (first.diastolic < 90)
        for day in range(1, self.n_days + 1):
            self._new_cycles(day)
            visiting = [i for i, st in enumerate(self.states)
                        if day <= self.end_day[i] and st.drugs
                        and day - st.cycle_start + 1 in VISIT_DAYS]
            if visiting:
                snap = self.tox.measure(self.rng)
                for i in visiting:
                    self._apply(i, day, self._visit(i, day, snap))
                self.tox.step_up_antihypertensives(snap.systolic, snap.diastolic)
            for i, st in enumerate(self.states):
                if day <= self.end_day[i]:
                    self.lenv[i, day - 1] = st.lenvatinib_mg if LENVATINIB in st.drugs else 0.0
            self.tox.advance_day(lenvatinib_mg=self.lenv[:, day - 1],
                                 eribulin_mg_m2=self.eri[:, day - 1])
        return TreatmentCourse(self.lenv, self.eri, tuple(self.doses), tuple(self.labs),
                               tuple(self.symptoms))


def treat(patients: VirtualPatients, *, start_levels: list[dict[str, float]],
          end_day: NDArray[np.int64], protocol: Protocol, rng: np.random.Generator,
          params: ToxicityParameters, reference_lenvatinib_mg: float) -> TreatmentCourse:
    """Treat each patient from day 1 to ``end_day`` with decisions from ``decide_dose``."""
    return _Treatment(patients, start_levels=start_levels, end_day=end_day, protocol=protocol,
                      rng=rng, params=params,
                      reference_lenvatinib_mg=reference_lenvatinib_mg).run()


def cycle_intensity(course: TreatmentCourse, *, n_cycles: int, cycle_length_days: int,
                    reference_lenvatinib_mg: float, reference_eribulin_mg_m2: float,
                    n_eribulin_doses: int, weight_lenvatinib: float) -> FloatArray:
    """Relative dose intensity per 21-day block from the doses actually given (§2.7)."""
    n, days = course.lenvatinib_mg.shape
    total = n_cycles * cycle_length_days
    lenv = np.zeros((n, total))
    eri = np.zeros((n, total))
    m = min(days, total)
    lenv[:, :m] = course.lenvatinib_mg[:, :m]
    eri[:, :m] = course.eribulin_mg_m2[:, :m]
    l_rel = lenv.reshape(n, n_cycles, cycle_length_days).mean(axis=2) / reference_lenvatinib_mg
    e_rel = eri.reshape(n, n_cycles, cycle_length_days).sum(axis=2) / (
        n_eribulin_doses * reference_eribulin_mg_m2)
    return np.asarray(weight_lenvatinib * l_rel + (1 - weight_lenvatinib) * e_rel,
                      dtype=np.float64)
