"""Ask for a dose and record the dose given.

:func:`recommend_dose` asks the safety engine (:func:`oncotrial.rules.dosing.decide_dose`) with
what the casebook holds on the day: each drug's state as the last decision left it (level, hold,
the rule and terms of the hold, the level held from), the labs drawn within the protocol's
``dose_lab_max_age_days`` before the dose (blood counts graded by the engine; urine protein as
the measurement the proteinuria rules read), blood pressure of the same days, the adverse
events ongoing that day with their attribution, flags and elapsed duration (an event is new
when it began after the last decision, and a change of grade is new only when it worsens),
height and weight. Laboratory toxicities reach the engine as the values of the day, not as
adverse-event records, so a lab AE logged with an older grade does not stand in for today's
count.

:func:`record_dose` stores the engine's decision beside the dose given, with the hold state it
leaves; a deviation beyond the protocol's rounding tolerance needs a reason.
:func:`record_daily_doses` records a daily drug taken between decision days against the
decision in force. :func:`record_decided_doses` imports doses decided outside the casebook
(another system), each with its reason.
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
from oncotrial.services._vocabulary import LAB_TESTS
from oncotrial.services.inputs import DoseInput
from oncotrial.services.safety import ATTRIBUTIONS
from oncotrial.store.schema import (
    AdverseEvent,
    BodyMeasurement,
    DrugAdministration,
    EcgResult,
    Enrolment,
    LabResult,
    ProtocolDeviation,
    Subject,
    VitalSign,
)
from oncotrial.types import DoseAction

__all__ = [
    "DailyDose",
    "DecidedDose",
    "DoseRecord",
    "GivenDose",
    "recommend_dose",
    "record_daily_doses",
    "record_decided_doses",
    "record_dose",
]

_RELATED = frozenset(ATTRIBUTIONS[2:])  # possible, probable, definite
#: the protocol value saying how old a lab may be to count as the dose day's
LAB_AGE_PARAM = "dose_lab_max_age_days"
#: lab tests the dose rules read as measurements (LBTESTCD, unit) -> Measurements field
_MEASURED_LABS = {("PROT", "g/24h"): "urine_protein_g_24h"}
#: CTCAE terms graded from lab values: the engine reads the value of the day, not the AE log
_LAB_TERMS = frozenset(t.ctcae_term for t in LAB_TESTS.values() if t.ctcae_term)


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


def _enrolment(unit: Unit, subject: Subject) -> Enrolment:
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
    return enrolment


def _last_decision(unit: Unit, subject_id: int, drug: str, before: date
                   ) -> DrugAdministration | None:
    return unit.session.scalar(
        select(DrugAdministration)
        .where(
            DrugAdministration.subject_id == subject_id,
            DrugAdministration.drug == drug,
            DrugAdministration.deleted.is_(False),
            DrugAdministration.decision.is_(True),
            DrugAdministration.administered_on < before,
        )
        .order_by(DrugAdministration.administered_on.desc(), DrugAdministration.id.desc())
        .limit(1)
    )


def _state_of(row: DrugAdministration) -> DrugState:
    """The state a stored decision leaves its drug in (what the next decision starts from)."""
    return DrugState(
        level=row.planned_level,
        on_hold=row.on_hold,
        hold_rule=row.hold_rule,
        hold_terms=[t for t in row.hold_terms.split(";") if t],
        held_from_level=row.held_from_level,
    )


def _drug_states(unit: Unit, subject: Subject, protocol: Protocol, on: date
                 ) -> dict[str, DrugState]:
    """Each drug as the last decision before *on* left it; discontinued drugs are left out."""
    start = _regimen_doses(protocol, _enrolment(unit, subject))
    states: dict[str, DrugState] = {}
    for drug in protocol.drugs:
        last = _last_decision(unit, subject.id, drug.name, on)
        if last is None:
            states[drug.name] = DrugState(level=start.get(drug.name, drug.starting_level))
        elif last.action != DoseAction.DISCONTINUE:
            states[drug.name] = _state_of(last)
    return states


def _lab_window(protocol: Protocol, on: date) -> tuple[date, date]:
    parameter = protocol.dose_modification.get(LAB_AGE_PARAM)
    days = 0 if parameter is None else int(parameter.value)
    return on - timedelta(days=days), on


def _labs(unit: Unit, subject_id: int, on: date, protocol: Protocol
          ) -> tuple[list[LabValue], dict[str, float]]:
    """The graded labs of the dose day (latest per test inside the protocol's window) and the
    lab values the rules read as measurements."""
    earliest, latest_day = _lab_window(protocol, on)
    rows = unit.session.scalars(
        select(LabResult)
        .where(
            LabResult.subject_id == subject_id,
            LabResult.deleted.is_(False),
            LabResult.collected_on <= latest_day,
            LabResult.collected_on >= earliest,
        )
        .order_by(LabResult.collected_on, LabResult.id)
    )
    latest = {r.test_code: r for r in rows}
    labs: list[LabValue] = []
    measured: dict[str, float] = {}
    for row in latest.values():
        measure = _MEASURED_LABS.get((row.test_code, row.unit))
        if measure is not None:
            measured[measure] = row.value
        elif row.ctcae_term:
            labs.append(LabValue(term=row.ctcae_term, value=row.value, unit=row.unit,
                                 lln=row.lln, uln=row.uln))
    return labs, measured


def _related(ae: AdverseEvent) -> list[str]:
    return [drug for drug, rel in (("lenvatinib", ae.related_lenvatinib),
                                   ("eribulin", ae.related_eribulin)) if rel in _RELATED]


def _adverse_events(
    unit: Unit, subject_id: int, on: date, last_decision: date | None
) -> list[EngineAdverseEvent]:
    """The adverse events ongoing on *on* (lab-graded terms excepted: the engine reads their
    values). An event is new when it began after the last decision, unless it only continues
    an episode of the same term at an equal or higher grade that ended the day before
    (one record per grade: an improvement is not a new event)."""
    rows = list(unit.session.scalars(
        select(AdverseEvent)
        .where(
            AdverseEvent.subject_id == subject_id,
            AdverseEvent.deleted.is_(False),
            AdverseEvent.start_date <= on,
        )
        .order_by(AdverseEvent.start_date, AdverseEvent.id)
    ))
    ended: dict[tuple[str, date], int] = {}
    for ae in rows:
        if ae.end_date is not None:
            key = (ae.term, ae.end_date)
            ended[key] = max(ended.get(key, 0), ae.grade)
    out = []
    for ae in rows:
        if ae.term in _LAB_TERMS or (ae.end_date is not None and ae.end_date < on):
            continue
        began_since = last_decision is None or ae.start_date > last_decision
        before = ended.get((ae.term, ae.start_date - timedelta(days=1)), 0)
        out.append(
            EngineAdverseEvent(
                term=ae.term,
                grade=ae.grade,
                new=began_since and ae.grade > before,
                attributed_to=_related(ae),
                duration_days=float((on - ae.start_date).days),
                flags=[f for f in ae.flags.split(",") if f],
            )
        )
    return out


def _measurements(unit: Unit, subject_id: int, on: date, protocol: Protocol,
                  measured: dict[str, float]) -> Measurements:
    earliest, latest_day = _lab_window(protocol, on)
    rows = unit.session.scalars(
        select(VitalSign)
        .where(
            VitalSign.subject_id == subject_id,
            VitalSign.deleted.is_(False),
            VitalSign.measured_on <= latest_day,
            VitalSign.measured_on >= earliest,
            VitalSign.test_code.in_(["SYSBP", "DIABP"]),
        )
        .order_by(VitalSign.measured_on, VitalSign.id)
    )
    latest = {r.test_code: r.value for r in rows}
    return Measurements(systolic_bp=latest.get("SYSBP"), diastolic_bp=latest.get("DIABP"),
                        **_qtc(unit, subject_id, on, protocol), **measured)


def _qtc(unit: Unit, subject_id: int, on: date, protocol: Protocol) -> dict[str, float]:
    """The QTc of the dose day (an ECG within the lab window) and its baseline: the last ECG
    of the same correction before the first dose (LENVIMA Table 1: > 500 ms or > 60 ms above
    baseline)."""
    earliest, latest_day = _lab_window(protocol, on)
    session = unit.session
    today = session.scalars(
        select(EcgResult)
        .where(EcgResult.subject_id == subject_id, EcgResult.deleted.is_(False),
               EcgResult.performed_on >= earliest, EcgResult.performed_on <= latest_day)
        .order_by(EcgResult.performed_on.desc(), EcgResult.id.desc())
        .limit(1)
    ).first()
    if today is None:
        return {}
    first_dose = session.scalar(
        select(DrugAdministration.administered_on)
        .where(DrugAdministration.subject_id == subject_id,
               DrugAdministration.deleted.is_(False), DrugAdministration.given_dose > 0)
        .order_by(DrugAdministration.administered_on)
        .limit(1)
    )
    baseline = session.scalars(
        select(EcgResult)
        .where(EcgResult.subject_id == subject_id, EcgResult.deleted.is_(False),
               EcgResult.test_code == today.test_code,
               EcgResult.performed_on < (first_dose or on))
        .order_by(EcgResult.performed_on.desc(), EcgResult.id.desc())
        .limit(1)
    ).first()
    out = {"qtc_ms": today.value}
    if baseline is not None and baseline.id != today.id:
        out["qtc_baseline_ms"] = baseline.value
    return out


def recommend_dose(
    unit: Unit, subject: str, *, cycle: int, day: int, on: date, protocol: Protocol
) -> DoseDecision:
    """The safety engine's decision for every drug due on this cycle day (nothing written).

    The engine (:func:`oncotrial.rules.dosing.decide_dose`) reads the casebook as it stands:
    each drug's state after its last decision, the body measurements (BSA from the first
    weight unless the protocol's recalculation rule says otherwise), the dose day's graded labs
    and measurements (urine protein, QTc and its baseline) inside the protocol's lab window,
    and the adverse events ongoing since the last decision.

    Parameters
    ----------
    unit
        An open unit of work of a user who may read the subject.
    subject
        Screening number.
    cycle, day
        Cycle and cycle day of the dose.
    on
        Calendar date of the dose.
    protocol
        The trial protocol: drugs, dose levels, schedule and dose rules.

    Returns
    -------
    DoseDecision
        One decision per drug due that day: action, dose (mg), level, the rules that fired,
        the rules blocked or not evaluated and why, and the hold state.
    """
    owner = unit.subject(subject, write=False)
    drugs = _drug_states(unit, owner, protocol, on)
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
    last_decision = session.scalar(
        select(DrugAdministration.administered_on)
        .where(
            DrugAdministration.subject_id == owner.id,
            DrugAdministration.deleted.is_(False),
            DrugAdministration.decision.is_(True),
            DrugAdministration.administered_on < on,
        )
        .order_by(DrugAdministration.administered_on.desc())
        .limit(1)
    )
    labs, measured = _labs(unit, owner.id, on, protocol)
    state = DoseState(
        subject=subject,
        cycle=cycle,
        day=day,
        height_cm=body[-1].height_cm if body else None,
        weight_kg=body[-1].weight_kg if body else None,
        bsa_weight_kg=body[0].weight_kg if body else None,
        drugs=drugs,
        labs=labs,
        adverse_events=_adverse_events(unit, owner.id, on, last_decision),
        measurements=_measurements(unit, owner.id, on, protocol, measured),
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
    """Refuse a dose departing from the engine's by more than the protocol's rounding
    tolerance without a reason; returns whether it departs."""
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


def _dose_deviation(subject_id: int, on: date, drug: str, *, action: str, recommended: float,
                    given: float, reason: str) -> ProtocolDeviation:
    term = (f"{drug} {given:g} mg given where the dose rules decided {action} "
            f"{recommended:g} mg: {reason.strip()}")
    return ProtocolDeviation(subject_id=subject_id, start_date=on, category="DOSING",
                             term=term[:200])


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

    The engine's decision (:func:`recommend_dose`) is stored with the dose; a dose departing
    from it beyond the protocol's rounding tolerance needs a reason and is also written as a
    DOSING protocol deviation.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    drug
        A drug of the protocol due on this cycle day.
    cycle, day
        Cycle and cycle day.
    administered_on
        Date given (or held).
    given_dose_mg
        The dose given in mg, 0 when held or omitted.
    protocol
        The trial protocol.
    reason
        Why the dose departs from the recommendation (required when it does).

    Returns
    -------
    DoseRecord
        The administration id, the engine's decision for the drug and whether it deviates.

    Raises
    ------
    DataError
        A value :class:`~oncotrial.services.inputs.DoseInput` refuses (e.g. a negative dose),
        the drug is not due that day, or the dose departs from the engine's recommendation by
        more than the protocol's rounding tolerance without a reason; with subject and visit.
    """
    visit = f"cycle {cycle} day {day}"
    DoseInput.checked({"drug": drug, "cycle": cycle, "day": day,
                       "administered_on": administered_on, "given_dose_mg": given_dose_mg,
                       "reason": reason}, subject=subject, visit=visit)
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
    if level is None:  # discontinued: keep the level the drug was at
        current = _drug_states(unit, unit.subject(subject, write=False), protocol,
                               administered_on).get(drug)
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
            decision=True,
            on_hold=engine.on_hold,
            hold_rule=engine.hold_rule,
            hold_terms=";".join(engine.hold_terms),
            held_from_level=engine.held_from_level,
        )
        session.add(row)
        if deviation:  # a dose against the protocol's rule is a protocol deviation (SDTM DV)
            session.add(_dose_deviation(owner.id, administered_on, drug,
                                        action=engine.action.value, recommended=recommended,
                                        given=given_dose_mg, reason=reason or ""))
        session.flush()
        return DoseRecord(administration_id=row.id, decision=engine, deviation=deviation)


@dataclass(frozen=True, slots=True)
class DailyDose:
    """A daily drug taken on a day between decision days (mg; 0 if not taken)."""

    cycle: int
    day: int
    taken_on: date
    dose_mg: float
    reason: str | None = None


def record_daily_doses(
    unit: Unit, subject: str, *, drug: str, doses: Sequence[DailyDose], protocol: Protocol
) -> list[int]:
    """Record the days a daily drug was taken between decision days, all or none.

    Each day is checked against the decision in force (the last one before or on that day):
    the drug must be given every day of its cycle, not discontinued, and taken at the decided
    dose (none while on hold) unless a reason says why not.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    drug
        A daily drug of the protocol (given every day of the cycle).
    doses
        The days taken (or not: 0 mg), each with cycle, day, date, dose and reason.
    protocol
        The trial protocol.

    Returns
    -------
    list of int
        Ids of the stored administrations, in date order.

    Raises
    ------
    DataError
        The drug is not in the protocol or not daily, no decision is in force on a day (or the
        drug was discontinued), a dose :class:`~oncotrial.services.inputs.DoseInput` refuses,
        or a dose departing from the decision without a reason. Nothing is written then.
    """
    known = {d.name: d for d in protocol.drugs}
    spec = known.get(drug)
    if spec is None:
        raise DataError("drug not in the protocol", field="drug", value=drug,
                        allowed=", ".join(known), subject=subject)
    if len(spec.days) < protocol.cycle_length_days:
        raise DataError(f"{drug} is given on cycle days {spec.days}, not daily: record each dose "
                        "with its decision", field="drug", value=drug, subject=subject)
    owner = unit.subject(subject, write=True)
    rows = []
    deviations: list[ProtocolDeviation] = []
    for dose in sorted(doses, key=lambda d: d.taken_on):
        visit = f"cycle {dose.cycle} day {dose.day}"
        DoseInput.checked({"drug": drug, "cycle": dose.cycle, "day": dose.day,
                           "administered_on": dose.taken_on, "given_dose_mg": dose.dose_mg,
                           "reason": dose.reason}, subject=subject, visit=visit)
        decided = _last_decision(unit, owner.id, drug, dose.taken_on + timedelta(days=1))
        if decided is None or decided.action == DoseAction.DISCONTINUE:
            raise DataError(f"no decision in force for {drug} on {dose.taken_on.isoformat()}"
                            + ("" if decided is None else " (discontinued)"),
                            field="taken_on", value=dose.taken_on.isoformat(),
                            subject=subject, visit=visit)
        in_force = 0.0 if decided.on_hold or decided.given_dose == 0 else decided.planned_level
        deviation = _check_deviation(dose.dose_mg, in_force, action=DoseAction.GIVE,
                                     reason=dose.reason, protocol=protocol, subject=subject,
                                     visit=visit)
        rows.append(DrugAdministration(
            subject_id=owner.id, drug=drug, cycle=dose.cycle, day=dose.day,
            administered_on=dose.taken_on, planned_level=decided.planned_level,
            recommended_action=(DoseAction.HOLD if in_force == 0 else DoseAction.GIVE).value,
            recommended_dose=in_force, given_dose=dose.dose_mg, unit="mg",
            action=_recorded_action(DoseAction.GIVE if in_force else DoseAction.HOLD,
                                    dose.dose_mg, deviation=deviation),
            reason=dose.reason, decision_rules="", decision=False,
            on_hold=decided.on_hold, hold_rule=decided.hold_rule, hold_terms=decided.hold_terms,
            held_from_level=decided.held_from_level))
        if deviation:
            deviations.append(_dose_deviation(
                owner.id, dose.taken_on, drug, action="hold" if in_force == 0 else "give",
                recommended=in_force, given=dose.dose_mg, reason=dose.reason or ""))
    with unit.step() as session:
        session.add_all(rows)
        session.add_all(deviations)
        session.flush()
        return [row.id for row in rows]


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
    DoseInput.checked({"drug": decided.drug, "cycle": given.cycle, "day": given.day,
                       "administered_on": given.administered_on,
                       "given_dose_mg": given.given_dose_mg, "reason": given.reason},
                      subject=subject, visit=visit)
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

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    doses
        The doses, each with the decision it was given against and a reason naming the system
        that decided it.
    protocol
        The trial protocol.

    Returns
    -------
    list of int
        Ids of the stored administrations.

    Raises
    ------
    DataError
        A dose without a reason, an unknown drug, a level off the ladder, a value
        :class:`~oncotrial.services.inputs.DoseInput` refuses, or an unexplained departure;
        nothing is written then.
    """
    for given in doses:
        if not (given.reason and given.reason.strip()):
            raise DataError("a dose decided outside the casebook needs a reason (which system "
                            "decided it)", field="reason", value=given.reason,
                            subject=subject,
                            visit=f"cycle {given.cycle} day {given.day}")
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
                decision_rules=";".join(decided.rules), decision=True,
                on_hold=decided.action == DoseAction.HOLD,
                hold_rule=decided.rules[0] if decided.action == DoseAction.HOLD
                and decided.rules else None,
                held_from_level=decided.level if decided.action == DoseAction.HOLD else None))
            if deviation:
                session.add(_dose_deviation(
                    owner.id, given.administered_on, decided.drug, action=decided.action.value,
                    recommended=decided.dose_mg or 0.0, given=given.given_dose_mg,
                    reason=given.reason or ""))
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]

