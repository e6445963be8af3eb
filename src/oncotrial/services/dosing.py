"""Ask for a dose and record the dose given.

:func:`recommend_dose` rebuilds the subject's dosing state from the store (current level and
hold status per drug from the last administration, the latest labs and blood pressure of the
past week, ongoing adverse events with attribution, height and weight) and asks the safety
engine (:func:`oncotrial.rules.dosing.decide_dose`). :func:`record_dose` stores the engine's
recommendation beside the dose given; a deviation beyond the protocol's rounding tolerance
needs a reason. :func:`record_decided_doses` records doses whose engine decisions were taken
outside the casebook (the simulator, or an import from a system that ran the same engine) with
the same checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules.dosing import (
    AdverseEvent as EngineAdverseEvent,
)
from oncotrial.rules.dosing import (
    DoseDecision,
    DoseState,
    DrugDecision,
    DrugState,
    LabValue,
    Measurements,
    decide_dose,
)
from oncotrial.services._unit import Unit
from oncotrial.services.safety import ATTRIBUTIONS
from oncotrial.store.schema import (
    AdverseEvent,
    BodyMeasurement,
    DrugAdministration,
    Enrolment,
    LabResult,
    Subject,
    VitalSign,
)
from oncotrial.types import DoseAction

__all__ = [
    "DecidedDose",
    "DoseRecord",
    "GivenDose",
    "recommend_dose",
    "record_decided_doses",
    "record_dose",
]

_LOOKBACK = timedelta(days=7)  # labs and BP older than a week do not inform today's dose
_RELATED = frozenset(ATTRIBUTIONS[2:])  # possible, probable, definite


@dataclass(frozen=True, slots=True)
class DoseRecord:
    """The stored administration and the engine decision it was checked against."""

    administration_id: int
    decision: DrugDecision
    deviation: bool


def _regimen_doses(protocol: Protocol, enrolment: Enrolment) -> dict[str, float]:
    regimens = {r.name: r for r in protocol.phase_ib.regimens}
    regimen = regimens.get(enrolment.regimen)
    if regimen is None:
        return {d.name: d.starting_level for d in protocol.drugs}
    return dict(regimen.doses)


def _drug_states(unit: Unit, subject: Subject, protocol: Protocol) -> dict[str, DrugState]:
    enrolment = unit.session.scalar(
        select(Enrolment).where(Enrolment.subject_id == subject.id, Enrolment.deleted.is_(False))
    )
    if enrolment is None:
        raise DataError(
            "subject is not enrolled",
            field="subject",
            value=subject.screening_number,
            subject=subject.screening_number,
        )
    start = _regimen_doses(protocol, enrolment)
    states: dict[str, DrugState] = {}
    for drug in protocol.drugs:
        last = unit.session.scalar(
            select(DrugAdministration)
            .where(
                DrugAdministration.subject_id == subject.id,
                DrugAdministration.drug == drug.name,
                DrugAdministration.deleted.is_(False),
            )
            .order_by(DrugAdministration.administered_on.desc(), DrugAdministration.id.desc())
            .limit(1)
        )
        if last is None:
            states[drug.name] = DrugState(level=start.get(drug.name, drug.starting_level))
        elif last.action == DoseAction.DISCONTINUE:
            continue
        elif last.action == DoseAction.HOLD:
            rule = last.decision_rules.split(";")[0] or None
            states[drug.name] = DrugState(
                level=last.planned_level,
                on_hold=True,
                hold_rule=rule,
                held_from_level=last.planned_level,
            )
        else:
            states[drug.name] = DrugState(level=last.planned_level)
    return states


def _labs(unit: Unit, subject_id: int, on: date) -> list[LabValue]:
    rows = unit.session.scalars(
        select(LabResult)
        .where(
            LabResult.subject_id == subject_id,
            LabResult.deleted.is_(False),
            LabResult.collected_on <= on,
            LabResult.collected_on >= on - _LOOKBACK,
            LabResult.ctcae_term.is_not(None),
        )
        .order_by(LabResult.collected_on, LabResult.id)
    )
    latest = {r.test_code: r for r in rows}
    return [
        LabValue(term=r.ctcae_term or "", value=r.value, unit=r.unit, lln=r.lln, uln=r.uln)
        for r in latest.values()
    ]


def _adverse_events(
    unit: Unit, subject_id: int, on: date, last_dose: date | None
) -> list[EngineAdverseEvent]:
    rows = unit.session.scalars(
        select(AdverseEvent)
        .where(
            AdverseEvent.subject_id == subject_id,
            AdverseEvent.deleted.is_(False),
            AdverseEvent.start_date <= on,
        )
        .order_by(AdverseEvent.start_date, AdverseEvent.id)
    )
    out = []
    for ae in rows:
        if ae.end_date is not None and ae.end_date < on:
            continue
        attributed = [
            drug
            for drug, rel in (
                ("lenvatinib", ae.related_lenvatinib),
                ("eribulin", ae.related_eribulin),
            )
            if rel in _RELATED
        ]
        out.append(
            EngineAdverseEvent(
                term=ae.term,
                grade=ae.grade,
                new=last_dose is None or ae.start_date > last_dose,
                attributed_to=attributed,
                duration_days=None
                if ae.end_date is None
                else float((ae.end_date - ae.start_date).days),
            )
        )
    return out


def _measurements(unit: Unit, subject_id: int, on: date) -> Measurements:
    rows = unit.session.scalars(
        select(VitalSign)
        .where(
            VitalSign.subject_id == subject_id,
            VitalSign.deleted.is_(False),
            VitalSign.measured_on <= on,
            VitalSign.measured_on >= on - _LOOKBACK,
            VitalSign.test_code.in_(["SYSBP", "DIABP"]),
        )
        .order_by(VitalSign.measured_on, VitalSign.id)
    )
    latest = {r.test_code: r.value for r in rows}
    return Measurements(systolic_bp=latest.get("SYSBP"), diastolic_bp=latest.get("DIABP"))


def recommend_dose(
    unit: Unit, subject: str, *, cycle: int, day: int, on: date, protocol: Protocol
) -> DoseDecision:
    """The safety engine's decision for every drug due on this cycle day (nothing written)."""
    owner = unit.subject(subject, write=False)
    drugs = _drug_states(unit, owner, protocol)
    session = unit.session
    body = list(
        session.scalars(
            select(BodyMeasurement)
            .where(
                BodyMeasurement.subject_id == owner.id,
                BodyMeasurement.deleted.is_(False),
                BodyMeasurement.measured_on <= on,
            )
            .order_by(BodyMeasurement.measured_on, BodyMeasurement.id)
        )
    )
    last_dose = session.scalar(
        select(DrugAdministration.administered_on)
        .where(
            DrugAdministration.subject_id == owner.id,
            DrugAdministration.deleted.is_(False),
            DrugAdministration.administered_on < on,
        )
        .order_by(DrugAdministration.administered_on.desc())
        .limit(1)
    )
    state = DoseState(
        subject=subject,
        cycle=cycle,
        day=day,
        height_cm=body[-1].height_cm if body else None,
        weight_kg=body[-1].weight_kg if body else None,
        bsa_weight_kg=body[0].weight_kg if body else None,
        drugs=drugs,
        labs=_labs(unit, owner.id, on),
        adverse_events=_adverse_events(unit, owner.id, on, last_dose),
        measurements=_measurements(unit, owner.id, on),
    )
    return decide_dose(state, protocol=protocol)


def _deviates(given: float, recommended: float, *, tolerance_pct: float) -> bool:
    if recommended == 0:
        return given != 0
    return abs(given - recommended) / recommended * 100 > tolerance_pct


def _check_deviation(
    given_mg: float,
    recommended_mg: float,
    *,
    action: DoseAction,
    reason: str | None,
    protocol: Protocol,
    subject: str,
    visit: str,
) -> bool:
    """Refuse a negative dose, and one departing from the engine's by more than the protocol's
    rounding tolerance without a reason; returns whether it departs."""
    if given_mg < 0:
        raise DataError("a dose cannot be negative", field="given_dose_mg", value=given_mg,
                        allowed=">= 0 mg", subject=subject, visit=visit)
    deviation = _deviates(given_mg, recommended_mg,
                          tolerance_pct=protocol.bsa.max_rounding_deviation_pct)
    if deviation and not (reason and reason.strip()):
        raise DataError(
            f"differs from the engine's {recommended_mg:g} mg ({action.value}); "
            "a reason is required",
            field="given_dose_mg", value=given_mg, subject=subject, visit=visit)
    return deviation


def _recorded_action(action: DoseAction, given_mg: float, *, deviation: bool) -> str:
    """The engine's action, or what was done instead when the dose departs from it."""
    if not deviation:
        return action.value
    return DoseAction.GIVE.value if given_mg > 0 else DoseAction.OMIT.value


def record_dose(
    unit: Unit,
    subject: str,
    *,
    drug: str,
    cycle: int,
    day: int,
    administered_on: date,
    given_dose_mg: float,
    protocol: Protocol,
    reason: str | None = None,
) -> DoseRecord:
    """Record the dose of *drug* given (mg; 0 when held or omitted) beside the recommendation.

    Raises
    ------
    DataError
        The drug is not due that day, the dose is negative, or it departs from the engine's
        recommendation by more than the protocol's rounding tolerance without a reason.
    """
    visit = f"cycle {cycle} day {day}"
    if given_dose_mg < 0:  # before asking the engine
        _check_deviation(given_dose_mg, 0.0, action=DoseAction.GIVE, reason=reason,
                         protocol=protocol, subject=subject, visit=visit)
    decision = recommend_dose(
        unit, subject, cycle=cycle, day=day, on=administered_on, protocol=protocol
    )
    try:
        engine = decision.drug(drug)
    except KeyError:
        raise DataError(
            f"{drug} is not due on cycle {cycle} day {day}",
            field="drug",
            value=drug,
            allowed=", ".join(d.drug for d in decision.drugs),
            subject=subject,
        ) from None
    recommended = engine.dose_mg or 0.0
    level = engine.level
    if level is None:  # held or discontinued: keep the level the drug was at
        current = _drug_states(unit, unit.subject(subject, write=False), protocol).get(drug)
        level = engine.held_from_level or (current.level if current is not None else 0.0)
    deviation = _check_deviation(given_dose_mg, recommended, action=engine.action,
                                 reason=reason, protocol=protocol, subject=subject, visit=visit)
    action = _recorded_action(engine.action, given_dose_mg, deviation=deviation)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = DrugAdministration(
            subject_id=owner.id,
            drug=drug,
            cycle=cycle,
            day=day,
            administered_on=administered_on,
            planned_level=level,
            recommended_action=engine.action.value,
            recommended_dose=recommended,
            given_dose=given_dose_mg,
            unit="mg",
            action=action,
            reason=reason,
            decision_rules=";".join(r.name for r in engine.rules),
        )
        session.add(row)
        session.flush()
        return DoseRecord(administration_id=row.id, decision=engine, deviation=deviation)


@dataclass(frozen=True, slots=True)
class DecidedDose:
    """An engine decision taken outside the casebook: action, level, dose and rules fired."""

    drug: str
    action: DoseAction
    level: float | None
    dose_mg: float | None
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GivenDose:
    """One administration to record against a decision taken elsewhere."""

    decided: DecidedDose
    cycle: int
    day: int
    administered_on: date
    given_dose_mg: float
    reason: str | None = None


def _check_given(given: GivenDose, *, subject: str, protocol: Protocol) -> bool:
    """Validate one dose against its decision; returns whether it deviates (with a reason)."""
    decided = given.decided
    visit = f"cycle {given.cycle} day {given.day}"
    drugs = {d.name: d for d in protocol.drugs}
    if decided.drug not in drugs:
        raise DataError("drug not in the protocol", field="drug", value=decided.drug,
                        allowed=", ".join(drugs), subject=subject, visit=visit)
    ladder = drugs[decided.drug].dose_levels
    if decided.level is not None and decided.level not in ladder:
        raise DataError("dose level not on the protocol's ladder", field="level",
                        value=decided.level, allowed=", ".join(f"{v:g}" for v in ladder),
                        subject=subject, visit=visit)
    to_give = decided.action in (DoseAction.GIVE, DoseAction.REDUCE)
    return _check_deviation(given.given_dose_mg, (decided.dose_mg or 0.0) if to_give else 0.0,
                            action=decided.action, reason=given.reason, protocol=protocol,
                            subject=subject, visit=visit)


def record_decided_doses(
    unit: Unit, subject: str, doses: Sequence[GivenDose], *, protocol: Protocol
) -> list[int]:
    """Record doses given against decisions of the safety engine taken outside the casebook
    (the simulator, or an import from a system that ran the same engine), all or none;
    returns the administration ids.

    Checks as :func:`record_dose`: the drug is in the protocol, the level is on its ladder, the
    dose is not negative, and a dose departing from the decision beyond the rounding tolerance
    needs a reason.
    """
    deviations = [_check_given(g, subject=subject, protocol=protocol) for g in doses]
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        rows = []
        for given, deviation in zip(doses, deviations, strict=True):
            decided = given.decided
            action = _recorded_action(decided.action, given.given_dose_mg, deviation=deviation)
            rows.append(DrugAdministration(
                subject_id=owner.id, drug=decided.drug, cycle=given.cycle, day=given.day,
                administered_on=given.administered_on, planned_level=float(decided.level or 0.0),
                recommended_action=decided.action.value, recommended_dose=decided.dose_mg or 0.0,
                given_dose=given.given_dose_mg, unit="mg", action=action, reason=given.reason,
                decision_rules=";".join(decided.rules)))
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]

