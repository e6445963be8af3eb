"""Entering one simulated patient through the site-user services (helper of ``simulation``).

Every record goes through a service. Enrolment uses :func:`.enrolment.enrol_subject`
(eligibility stored per criterion; the phase Ib slot from the dose-finding rule on what the
database holds on the enrolment date), which must assign the simulator's regimen. Doses use
:func:`.dosing.record_decided_doses`: each carries the decision the simulator took with
:func:`oncotrial.rules.decide_dose` (action, level, dose, fired rules), and a given dose that
departs from it is refused. Eribulin has one record per decision (days 1 and 8, 0 mg when held
or omitted); lenvatinib one per day taken, plus the held dose on a decision day when nothing
was taken.

Known gap: :func:`.dosing.record_dose` (the engine re-run on the database) does not yet
reproduce every simulated decision. The store has no field for the engine's event flags
(``intolerable``, ``persists_despite_therapy``); a laboratory AE episode carries its worst grade
from its onset; the service reads week-old blood counts as current and passes no urine protein
measurement; the simulator's hypertension event is unattributed while its AE record is
attributed to lenvatinib; a hold's rule and level are rebuilt from the stored row only.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta

import numpy as np

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules import Measured, Screening
from oncotrial.rules.dosing import DrugDecision
from oncotrial.services._unit import Unit
from oncotrial.services.assessments import LesionReading, record_tumour_assessment
from oncotrial.services.dosing import DailyDose, record_daily_doses, record_dose
from oncotrial.services.enrolment import enrol_subject
from oncotrial.services.history import record_ecg
from oncotrial.services.safety import (
    record_adverse_event,
    record_body_measurement,
    record_lab,
    record_vital_signs,
)
from oncotrial.services.subjects import (
    record_concomitant_therapy,
    record_disposition,
    record_visit,
    register_subject,
)
from oncotrial.sim import SimulatedTrial
from oncotrial.sim.density import target_density_hu
from oncotrial.sim.trial import AdverseEventRecord, DoseRecord
from oncotrial.types import DoseAction

__all__ = ["enter_patient", "screening_number"]

# Lab reference ranges the simulated site reports with its results (typical adult ranges).
_LAB = {
    "Neutrophil count decreased": ("NEUT", 2.0, 7.5),
    "Platelet count decreased": ("PLAT", 150.0, 400.0),
    "Proteinuria": ("PROT", None, 0.15),
}
_SCREENING_DAYS = 14  # consent/screening this many days before the first dose (ASSUMPTION)
# Prior lines of advanced-sarcoma therapy, in order: doxorubicin-based first line, then
# gemcitabine-docetaxel (ESMO-EURACAN STS guideline, Gronchi et al. 2021). ASSUMPTION for the
# virtual patients; the real prior regimens are entered per patient.
_PRIOR_REGIMENS = ("DOXORUBICIN", "GEMCITABINE + DOCETAXEL")


def screening_number(trial: SimulatedTrial, i: int, site: str) -> str:
    """Screening number of patient *i*: site code and enrolment order."""
    del trial
    return f"{site}-{i + 1:03d}"


def _day(first_dose: date, study_day: float) -> date:
    return first_dose + timedelta(days=int(study_day) - 1)


_KARNOFSKY = {0: 90, 1: 80, 2: 70}  # ECOG → Karnofsky (Oken 1982 conversion, lower bound)


def _screening(trial: SimulatedTrial, i: int) -> Screening:
    """Screening values of an enrolled virtual patient (inside the eligible ranges by design:
    the simulator models the enrolled population; normal-range values are ASSUMPTIONS)."""
    p = trial.patients
    rng = np.random.default_rng([trial.seed, i, 7])
    first_anc = next(
        (r.value for r in trial.labs if r.patient == i and r.test == "Neutrophil count decreased"),
        4.0,
    )
    return Screening(
        subject=str(i),
        values={
            "histology": "LMS" if p.lms[i] else "LPS",
            "age_years": Measured(value=float(p.age[i]), unit="years"),
            "prior_systemic_lines": int(p.prior_lines[i]),
            "measurable_disease": True,
            "karnofsky": _KARNOFSKY[int(p.ecog[i])],
            "anc": Measured(value=max(float(first_anc), 1.5), unit="10^9/L"),
            "platelets": Measured(value=float(rng.uniform(150, 350)), unit="10^9/L"),
            "hemoglobin": Measured(value=float(rng.uniform(10.0, 14.5)), unit="g/dL"),
            "bilirubin": Measured(value=float(rng.uniform(0.3, 1.1)), unit="mg/dL", uln=1.2),
            "alt": Measured(value=float(rng.uniform(10, 45)), unit="U/L", uln=40.0),
            "ast": Measured(value=float(rng.uniform(10, 45)), unit="U/L", uln=40.0),
            "creatinine_clearance": Measured(value=float(rng.uniform(60, 120)), unit="mL/min"),
            "systolic_bp": Measured(value=float(rng.uniform(105, 145)), unit="mmHg"),
            "diastolic_bp": Measured(value=float(rng.uniform(60, 88)), unit="mmHg"),
            "urine_protein_dipstick": "negative",
            "qtc_ms": Measured(value=float(rng.uniform(390, 450)), unit="msec"),
            "informed_consent": True,
            "prior_eribulin_or_lenvatinib": False,
            "active_brain_metastases": False,
            "pregnant_or_breastfeeding": False,
        },
    )


def _enrol(
    unit: Unit, trial: SimulatedTrial, i: int, subject: str, *, protocol: Protocol, first_dose: date
) -> None:
    """Enrol through the enrolment service (eligibility stored per criterion, the phase Ib
    slot from the dose-finding rule on what the database holds), which must agree with the
    simulated dose finding."""
    screening = _screening(trial, i)
    outcome = enrol_subject(
        unit,
        subject,
        screening=screening,
        phase=trial.phase[i],
        enrolled_on=first_dose - timedelta(days=1),
        protocol=protocol,
        reference_start_date=first_dose,
    )
    qtc = screening.values["qtc_ms"]
    assert isinstance(qtc, Measured)
    # the screening ECG, two weeks before the first dose (ASSUMPTION: LEADER's screening
    # window is not public); it is the QTc baseline of the dose rules
    record_ecg(unit, subject, performed_on=first_dose - timedelta(days=14),
               qtc_ms=round(qtc.value))  # ECG machines report whole msec
    if not outcome.eligible:
        raise DataError(
            "simulated patient is not eligible",
            field="eligibility",
            value=", ".join((*outcome.failed, *outcome.missing)),
            subject=subject,
        )
    if outcome.regimen != trial.regimen[i]:
        raise DataError(
            "the enrolment service assigned another regimen than the simulated dose finding",
            field="regimen",
            value=outcome.regimen,
            allowed=trial.regimen[i],
            subject=subject,
        )


def _agrees(d: DoseRecord, engine: DrugDecision) -> bool:
    """The casebook's decision is the simulator's: action, level, dose and every rule fired."""
    dose = None if engine.dose_mg is None else round(engine.dose_mg, 6)
    wanted = None if d.dose_mg is None else round(d.dose_mg, 6)
    return (engine.action, engine.level, dose, tuple(r.name for r in engine.rules)) == (
        d.action, d.level, wanted, d.rules)


def _given(d: DoseRecord, taken: np.ndarray) -> float:
    """What the simulator gave on a decision day: eribulin as decided, lenvatinib as taken."""
    if d.drug == "eribulin":
        to_give = d.action in (DoseAction.GIVE, DoseAction.REDUCE) and d.dose_mg
        return float(d.dose_mg or 0.0) if to_give else 0.0
    return float(taken[d.day - 1]) if 0 < d.day <= len(taken) else 0.0


def _daily(by_day: dict[int, list[DoseRecord]], taken: np.ndarray, first_dose: date
           ) -> list[DailyDose]:
    """Lenvatinib taken on the days between its decisions, each under the decision in force."""
    lenvatinib = {day: d for day, ds in by_day.items() for d in ds if d.drug == "lenvatinib"}
    decision_days = sorted(lenvatinib)
    daily: list[DailyDose] = []
    for day in (int(x) + 1 for x in np.flatnonzero(taken > 0)):
        if day in lenvatinib:
            continue
        decided = lenvatinib[decision_days[bisect.bisect_right(decision_days, day) - 1]]
        daily.append(DailyDose(cycle=decided.cycle, day=decided.cycle_day + day - decided.day,
                               taken_on=_day(first_dose, day), dose_mg=float(taken[day - 1])))
    return daily


def _doses(
    unit: Unit, trial: SimulatedTrial, i: int, subject: str, *, first_dose: date,
    protocol: Protocol, strict: bool = True,
) -> list[str]:
    """Every decision day through :func:`.dosing.record_dose` (the engine re-run on what the
    casebook holds), given as the simulator gave; then lenvatinib's other days through
    :func:`.dosing.record_daily_doses` against the decision in force. Returns the decisions
    where the casebook's engine decision differs from the simulator's; with *strict* (the
    demo) any difference is an error, so the casebook is shown to decide as the trial did."""
    taken = trial.lenvatinib_mg_daily[i]
    by_day: dict[int, list[DoseRecord]] = {}
    for d in trial.doses:
        if d.patient == i:
            by_day.setdefault(d.day, []).append(d)
    differences: list[str] = []
    for day in sorted(by_day):
        when = _day(first_dose, day)
        for d in by_day[day]:
            try:
                record = record_dose(unit, subject, drug=d.drug, cycle=d.cycle, day=d.cycle_day,
                                     administered_on=when, given_dose_mg=_given(d, taken),
                                     protocol=protocol, reason=None if strict else "replay")
            except DataError as exc:
                if strict:
                    raise
                differences.append(f"{subject} {when.isoformat()} {d.drug}: simulator "
                                   f"{d.action.value} {d.level} {list(d.rules)}, casebook "
                                   f"refused: {exc}")
                continue
            if not _agrees(d, record.decision):
                ours = record.decision
                differences.append(
                    f"{subject} {when.isoformat()} {d.drug}: simulator {d.action.value} "
                    f"{d.level} {list(d.rules)}, casebook {ours.action.value} {ours.level} "
                    f"{[r.name + ' (' + r.reason + ')' for r in ours.rules]}")
    record_daily_doses(unit, subject, drug="lenvatinib", protocol=protocol,
                       doses=_daily(by_day, taken, first_dose))
    if strict and differences:
        raise DataError(f"the casebook decided {len(differences)} dose(s) otherwise than the "
                        f"simulated trial; first: {differences[0]}", field="dose",
                        value=len(differences), subject=subject)
    return differences


def _register(
    unit: Unit, trial: SimulatedTrial, i: int, *, site: str, protocol: Protocol, first_dose: date
) -> str:
    p = trial.patients
    subject = screening_number(trial, i, site)
    consent = first_dose - timedelta(days=_SCREENING_DAYS)
    histology = "LMS" if p.lms[i] else "LPS"
    detail = ("uterine" if p.uterine[i] else "non-uterine") if p.lms[i] else None
    register_subject(
        unit,
        subject,
        site=site,
        consent_date=consent,
        consent_version="1.0",
        sex="F" if p.female[i] else "M",
        birth_date=consent - timedelta(days=int(p.age[i] * 365.25) + 30),
        histology=histology,
        histology_detail=detail,
        ecog=int(p.ecog[i]),
    )
    record_visit(unit, subject, name="SCREENING", visitnum=0.0, actual_date=consent)
    for line in range(int(p.prior_lines[i])):  # most recent line ends 6 weeks before consent
        ended = consent - timedelta(days=42 + 180 * (int(p.prior_lines[i]) - 1 - line))
        record_concomitant_therapy(
            unit,
            subject,
            name=_PRIOR_REGIMENS[line % len(_PRIOR_REGIMENS)],
            category="PRIOR ANTICANCER",
            indication=histology,
            start_date=ended - timedelta(days=126),
            end_date=ended,
        )
    record_body_measurement(
        unit,
        subject,
        measured_on=consent,
        height_cm=float(p.height_cm[i]),
        weight_kg=float(p.weight_kg[i]),
        protocol=protocol,
    )
    return subject


def _treatment_records(
    unit: Unit, trial: SimulatedTrial, i: int, subject: str, first_dose: date
) -> None:
    visits = sorted({(r.cycle, r.cycle_day, r.day) for r in trial.labs if r.patient == i})
    for cycle, cday, day in visits:
        record_visit(
            unit,
            subject,
            name=f"C{cycle}D{cday}",
            visitnum=cycle + cday / 100,
            actual_date=_day(first_dose, day),
            cycle=cycle,
            day=cday,
        )
    for lab in (r for r in trial.labs if r.patient == i):
        when = _day(first_dose, lab.day)
        if lab.test == "Hypertension":
            record_vital_signs(
                unit,
                subject,
                measured_on=when,
                systolic_mmhg=lab.value,
                diastolic_mmhg=float(lab.value2 or 0.0),
                previously_normal=True,
            )
            continue
        code, lln, uln = _LAB[lab.test]
        record_lab(
            unit,
            subject,
            collected_on=when,
            test_code=code,
            value=lab.value,
            unit_of_measure=lab.unit,
            lln=lln,
            uln=uln,
        )


def _attribution(ae: AdverseEventRecord, drug: str) -> str:
    return "possible" if ae.attribution in {drug, "both"} else "unlikely"


# Serious by ICH E2A: death (grade 5), life-threatening (grade 4 of a clinical term, whose
# CTCAE v5.0 wording is "life-threatening consequences"; a grade 4 laboratory value is a range,
# not by itself an SAE), or hospitalisation: febrile neutropenia is managed in hospital unless
# low-risk (IDSA 2010 / ASCO-IDSA 2018 outpatient criteria), so the virtual investigator reports
# it as serious (ASSUMPTION: the real seriousness is the investigator's judgement per event).
_SERIOUS_TERMS = frozenset({"Febrile neutropenia"})


def _serious(ae: AdverseEventRecord) -> bool:
    return (ae.grade >= 5 or (ae.grade == 4 and not ae.laboratory)
            or ae.term in _SERIOUS_TERMS)


# AEACN (CDISC CT C66767), most consequential first
_ACTIONS = ((DoseAction.DISCONTINUE, "DRUG WITHDRAWN"), (DoseAction.REDUCE, "DOSE REDUCED"),
            (DoseAction.OMIT, "DRUG INTERRUPTED"), (DoseAction.HOLD, "DRUG INTERRUPTED"))


def _action_taken(ae: AdverseEventRecord, doses: list[DoseRecord]) -> str:
    """What was done with study treatment because of the event: the most consequential
    decision during the episode whose rules matched the event's term (the simulator's
    dose decisions name the terms their rules read)."""
    actions = {d.action for d in doses
               if ae.start_day <= d.day <= ae.end_day and ae.term in d.terms}
    return next((text for action, text in _ACTIONS if action in actions), "DOSE NOT CHANGED")


def _outcome(ae: AdverseEventRecord, *, resolved: bool) -> str:
    """AEOUT of one grade record: resolved, or going on at a lower (resolving) or higher
    grade (CDISC CT C66768)."""
    if not resolved or ae.next_grade > ae.grade:
        return "NOT RECOVERED/NOT RESOLVED"
    return "RECOVERING/RESOLVING" if ae.next_grade else "RECOVERED/RESOLVED"


def _adverse_events(
    unit: Unit, trial: SimulatedTrial, i: int, subject: str, first_dose: date
) -> None:
    end_treatment = trial.treatment_end_day[i]
    doses = [d for d in trial.doses if d.patient == i]
    for ae in sorted(
        (a for a in trial.adverse_events if a.patient == i), key=lambda a: (a.start_day, a.term)
    ):
        resolved = ae.end_day <= end_treatment
        record_adverse_event(
            unit,
            subject,
            term=ae.term,
            grade=ae.grade,
            start_date=_day(first_dose, max(ae.start_day, 1)),
            end_date=_day(first_dose, ae.end_day) if resolved else None,
            related_lenvatinib=_attribution(ae, "lenvatinib"),
            related_eribulin=_attribution(ae, "eribulin"),
            flags=list(ae.flags),  # type: ignore[arg-type]
            outcome=_outcome(ae, resolved=resolved),
            action_taken=_action_taken(ae, doses),
            serious=_serious(ae),
            dlt=ae.dlt if trial.phase[i].value == "Ib" else None,
            dlt_rule=ae.dlt_rule if trial.phase[i].value == "Ib" else None,
        )


def _readings(
    trial: SimulatedTrial, i: int, column: int, *, day: float, new: bool,
    organs: tuple[str, ...]
) -> list[LesionReading]:
    p = trial.patients
    obs = trial.outcomes.observed_mm[i, :, column]
    n = int(p.n_target[i])
    first = trial.outcomes.observed_mm[i, :n, 0]
    ratio = np.divide(obs[:n], first, out=np.ones(n), where=first > 0)
    density = target_density_hu(trial.seed, i, n, day=day, size_ratio=ratio)
    readings = [
        LesionReading(
            link_id=f"T{k + 1:02d}",
            category="TARGET",
            location=organs[p.lesion_organ[i, k]],
            diameter_mm=float(obs[k]),
            nodal=bool(p.lesion_nodal[i, k]),
            # a lesion that has disappeared has no density to read
            density_hu=float(density[k]) if obs[k] > 0 else None,
        )
        for k in range(n)
    ]
    gone = all(
        (obs[k] < 10) if p.lesion_nodal[i, k] else obs[k] == 0 for k in range(int(p.n_target[i]))
    )
    for k in range(int(p.n_non_target[i])):
        state = "ABSENT" if column > 0 and gone else "PRESENT"
        readings.append(
            LesionReading(
                link_id=f"NT{k + 1:02d}",
                category="NON-TARGET",
                location=organs[p.lesion_organ[i, 0]],
                state=state,
            )
        )
    if new:
        readings.append(
            LesionReading(
                link_id="NEW01",
                category="NEW",
                location="LIVER" if p.lms[i] else "PERITONEUM",
                state="UNEQUIVOCAL",
            )
        )
    return readings


def _tumour(
    unit: Unit,
    trial: SimulatedTrial,
    i: int,
    subject: str,
    *,
    first_dose: date,
    protocol: Protocol,
    organs: tuple[str, ...],
) -> None:
    o = trial.outcomes
    record_tumour_assessment(
        unit,
        subject,
        visit="BASELINE",
        visitnum=1.0,
        assessed_on=_day(first_dose, o.baseline_day[i] + 1),
        lesions=_readings(trial, i, 0, day=float(o.baseline_day[i]) + 1, new=False,
                          organs=organs),
        protocol=protocol,
    )
    for s in np.flatnonzero(o.scan_done[i]):
        day = o.scan_day[i, s]
        record_tumour_assessment(
            unit,
            subject,
            visit=f"IMAGING {s + 1}",
            visitnum=10.0 + s,
            assessed_on=_day(first_dose, day),
            lesions=_readings(
                trial, i, int(s) + 1, day=float(day), new=bool(day >= o.new_lesion_day[i]),
                organs=organs,
            ),
            protocol=protocol,
        )


def _disposition(unit: Unit, trial: SimulatedTrial, i: int, subject: str, first_dose: date) -> None:
    o = trial.outcomes
    end = trial.treatment_end_day[i]
    progressed = np.isfinite(o.pd_day[i]) and o.pd_day[i] <= end
    died = bool(o.os_event[i])
    censored_at_cutoff = not progressed and end >= o.off_study_day[i] and not died
    if not censored_at_cutoff:
        reason = (
            "PROGRESSIVE DISEASE"
            if progressed
            else "DEATH"
            if died and o.death_day[i] <= end
            else "WITHDRAWAL BY SUBJECT"
        )
        record_disposition(
            unit,
            subject,
            event="END OF TREATMENT",
            occurred_on=_day(first_dose, end),
            reason=reason,
        )
    if died:
        record_disposition(
            unit,
            subject,
            event="DEATH",
            occurred_on=_day(first_dose, o.death_day[i]),
            reason="DEATH",
        )


def enter_patient(
    unit: Unit, trial: SimulatedTrial, i: int, *, site: str, protocol: Protocol, start: date,
    strict: bool = True,
) -> list[str]:
    """Enter everything about simulated patient *i* through the services; returns the dose
    decisions where the casebook's engine differs from the simulator's (an error if
    *strict*)."""
    organ_names = trial.organs
    first_dose = start + timedelta(days=int(trial.enrol_day[i]))
    subject = _register(unit, trial, i, site=site, protocol=protocol, first_dose=first_dose)
    _enrol(unit, trial, i, subject, protocol=protocol, first_dose=first_dose)
    _treatment_records(unit, trial, i, subject, first_dose)
    _adverse_events(unit, trial, i, subject, first_dose)
    differences = _doses(unit, trial, i, subject, first_dose=first_dose, protocol=protocol,
                         strict=strict)
    _tumour(unit, trial, i, subject, first_dose=first_dose, protocol=protocol, organs=organ_names)
    _disposition(unit, trial, i, subject, first_dose)
    return differences
