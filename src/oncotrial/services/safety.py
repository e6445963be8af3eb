"""Body measurements, vital signs, laboratory results and adverse events.

Lab and blood-pressure grades come from the CTCAE v5.0 engine (:mod:`oncotrial.rules.ctcae`)
and are stored with the name of the rule that fired; BSA comes from the protocol's BSA policy
(:func:`oncotrial.rules.bsa.compute_bsa_for_dosing`).
"""

from __future__ import annotations

from datetime import date
from typing import get_args

from sqlalchemy import select

from oncotrial.protocol import Protocol
from oncotrial.protocol.models import DltFlag
from oncotrial.rules.bsa import compute_bsa_for_dosing
from oncotrial.rules.ctcae import grade_hypertension, grade_lab
from oncotrial.rules.dlt import DltEvent, classify_dlt
from oncotrial.rules.dosing import Flag
from oncotrial.services._unit import Unit
from oncotrial.services._vocabulary import ATTRIBUTIONS, LAB_TESTS, LabTest
from oncotrial.services.inputs import (
    AdverseEventInput,
    BodyMeasurementInput,
    LabInput,
    VitalSignsInput,
    pressure_problems,
)
from oncotrial.store.schema import (
    AdverseEvent,
    BodyMeasurement,
    Enrolment,
    LabResult,
    VitalSign,
)

__all__ = [
    "ATTRIBUTIONS",
    "LAB_TESTS",
    "LabTest",
    "reclassify_dlt",
    "recompute_bsa",
    "record_adverse_event",
    "record_body_measurement",
    "record_lab",
    "record_vital_signs",
    "regrade_blood_pressure",
    "regrade_lab",
]


def _classify_dlt(
    unit: Unit, subject_id: int, ae: AdverseEvent, flags: list[Flag], protocol: Protocol
) -> tuple[bool | None, str | None]:
    enrolment = unit.session.scalar(
        select(Enrolment).where(Enrolment.subject_id == subject_id, Enrolment.deleted.is_(False))
    )
    if enrolment is None or enrolment.phase != "Ib" or enrolment.reference_start_date is None:
        return None, None
    onset_day = (ae.start_date - enrolment.reference_start_date).days + 1
    if not 1 <= onset_day <= protocol.phase_ib.dlt_window_days:
        return False, "outside_dlt_window"
    attribution = max((ae.related_lenvatinib, ae.related_eribulin), key=ATTRIBUTIONS.index)
    duration = None if ae.end_date is None else float((ae.end_date - ae.start_date).days)
    event = DltEvent(
        term=ae.term,
        grade=ae.grade,
        onset_day=onset_day,
        attribution=attribution,
        duration_days=duration,
        flags=[f for f in flags if f in get_args(DltFlag)],  # the dose rules read more flags
    )
    result = classify_dlt([event], protocol=protocol).events[0]
    return result.is_dlt, result.rule[:120]


def record_body_measurement(
    unit: Unit,
    subject: str,
    *,
    measured_on: date,
    height_cm: float,
    weight_kg: float,
    protocol: Protocol,
) -> int:
    """Record height and weight; BSA is computed under the protocol's BSA policy.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    measured_on
        Date of the measurement.
    height_cm, weight_kg
        Height (cm) and weight (kg); the BSA engine's plausibility limits apply.
    protocol
        The trial protocol: its BSA formula, capping and rounding policy.

    Returns
    -------
    int
        The id of the stored row (with ``bsa_m2`` and ``bsa_formula``).

    Raises
    ------
    DataError
        A value :class:`~oncotrial.services.inputs.BodyMeasurementInput` refuses (a height or
        weight outside the BSA engine's limits), naming the subject.
    """
    BodyMeasurementInput.checked({"measured_on": measured_on, "height_cm": height_cm,
                                  "weight_kg": weight_kg}, subject=subject)
    bsa = compute_bsa_for_dosing(height_cm, weight_kg, policy=protocol.bsa)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = BodyMeasurement(
            subject_id=owner.id,
            measured_on=measured_on,
            height_cm=height_cm,
            weight_kg=weight_kg,
            bsa_m2=bsa.bsa_used_m2,
            bsa_formula=bsa.formula,
        )
        session.add(row)
        session.flush()
        return row.id


def record_lab(
    unit: Unit,
    subject: str,
    *,
    collected_on: date,
    test_code: str,
    value: float,
    unit_of_measure: str,
    lln: float | None = None,
    uln: float | None = None,
    baseline: float | None = None,
) -> LabResult:
    """Record one lab result in standard units; the CTCAE grade and its rule are stored.

    The arguments are checked by :class:`~oncotrial.services.inputs.LabInput`, the model the
    JSON API takes.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    collected_on
        Date the sample was taken.
    test_code, value, unit_of_measure
        CDISC LBTESTCD (e.g. ``NEUT``, ``PLAT``, ``ALT``), the result and its unit.
    lln, uln, baseline
        Limits of normal and baseline, in the same unit, for terms graded against them.

    Returns
    -------
    LabResult
        The stored row with ``ctcae_term``, ``grade``, ``grade_rule`` and ``grade_reason``.

    Raises
    ------
    DataError
        Unknown test code, a negative or non-finite value, limits of normal out of order, or a
        unit the CTCAE term is not measured in; the message names the subject.

    Examples
    --------
    See :func:`oncotrial.services.open_unit`, which records a neutrophil count of 0.8 × 10⁹/L
    (grade 3).
    """
    LabInput.checked({"test_code": test_code, "value": value, "unit_of_measure": unit_of_measure,
                      "lln": lln, "uln": uln, "baseline": baseline}, subject=subject)
    test = LAB_TESTS[test_code]
    grade = None
    if test.ctcae_term is not None:
        grade = grade_lab(
            test.ctcae_term, value, unit_of_measure, lln=lln, uln=uln, baseline=baseline
        )
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = LabResult(
            subject_id=owner.id,
            collected_on=collected_on,
            test_code=test.code,
            test_name=test.name,
            value=value,
            unit=unit_of_measure,
            lln=lln,
            uln=uln,
            ctcae_term=test.ctcae_term,
            grade=None if grade is None else grade.grade,
            grade_rule=None if grade is None else grade.rule,
            grade_reason=None if grade is None else grade.reason,
        )
        session.add(row)
        session.flush()
        return row


def record_vital_signs(
    unit: Unit,
    subject: str,
    *,
    measured_on: date,
    systolic_mmhg: float,
    diastolic_mmhg: float,
    pulse_bpm: float | None = None,
    temperature_c: float | None = None,
    weight_kg: float | None = None,
    previously_normal: bool | None = None,
) -> list[int]:
    """Record blood pressure (graded for CTCAE Hypertension) and other vital signs.

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    measured_on
        Date of the readings.
    systolic_mmhg, diastolic_mmhg
        Blood pressure (mmHg); diastolic below systolic.
    pulse_bpm, temperature_c, weight_kg
        Optional other vital signs (beats/min, degrees C, kg), stored when given.
    previously_normal
        Whether the subject's blood pressure was normal before (CTCAE v5.0 Hypertension grades
        a first elevation differently); ``None`` when unknown.

    Returns
    -------
    list of int
        Ids of the stored rows, one per vital sign given; SYSBP and DIABP carry the
        Hypertension grade and its rule.

    Raises
    ------
    DataError
        A value :class:`~oncotrial.services.inputs.VitalSignsInput` refuses (outside the
        plausible range of the sign, diastolic not below systolic), naming the subject.
    """
    VitalSignsInput.checked({
        "measured_on": measured_on, "systolic_mmhg": systolic_mmhg,
        "diastolic_mmhg": diastolic_mmhg, "pulse_bpm": pulse_bpm, "temperature_c": temperature_c,
        "weight_kg": weight_kg, "previously_normal": previously_normal}, subject=subject)
    htn = grade_hypertension(systolic_mmhg, diastolic_mmhg, previously_normal=previously_normal)
    readings = [
        ("SYSBP", systolic_mmhg, "mmHg", True),
        ("DIABP", diastolic_mmhg, "mmHg", True),
        ("PULSE", pulse_bpm, "beats/min", False),
        ("TEMP", temperature_c, "C", False),
        ("WEIGHT", weight_kg, "kg", False),
    ]
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        rows = [
            VitalSign(
                subject_id=owner.id,
                measured_on=measured_on,
                test_code=code,
                value=value,
                unit=unit_label,
                ctcae_term=htn.term if graded else None,
                grade=htn.grade if graded else None,
                grade_rule=htn.rule if graded else None,
            )
            for code, value, unit_label, graded in readings
            if value is not None
        ]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def record_adverse_event(
    unit: Unit,
    subject: str,
    *,
    term: str,
    grade: int,
    start_date: date,
    related_lenvatinib: str,
    related_eribulin: str,
    end_date: date | None = None,
    serious: bool = False,
    action_taken: str = "DOSE NOT CHANGED",
    outcome: str = "NOT RECOVERED/NOT RESOLVED",
    flags: list[Flag] | None = None,
    protocol: Protocol | None = None,
    dlt: bool | None = None,
    dlt_rule: str | None = None,
) -> AdverseEvent:
    """Record an adverse event (CTCAE v5.0 term and grade 1-5, attribution per drug).

    With *protocol*, an event of a phase Ib subject starting inside the DLT window (day 1 =
    reference start date) is classified by :func:`oncotrial.rules.dlt.classify_dlt` and the
    deciding clause is stored; one outside the window is stored as not a DLT
    (``outside_dlt_window``). *flags* are the DLT facts (fever, bleeding, transfusion, ...).
    Without *protocol*, *dlt* and *dlt_rule* are stored as given (a DLT judged elsewhere).

    Parameters
    ----------
    unit
        An open unit of work of a user who may enter data at the subject's site.
    subject
        Screening number.
    term, grade
        CTCAE v5.0 term and a grade the term defines (1-5).
    start_date, end_date
        Onset, and resolution (``None`` while ongoing; not before onset).
    related_lenvatinib, related_eribulin
        Attribution to each drug: unrelated, unlikely, possible, probable or definite.
    serious
        Serious by ICH E2A.
    action_taken, outcome
        CDISC AEACN and AEOUT; outcome FATAL goes with grade 5 and only with it.
    flags
        Facts the DLT and dose rules read (fever, bleeding, transfusion, intolerable, ...).
    protocol
        The trial protocol, to classify the event against its DLT definition.
    dlt, dlt_rule
        Stored as given when no *protocol* is passed.

    Returns
    -------
    AdverseEvent
        The stored row, with ``dlt`` and ``dlt_rule``.

    Raises
    ------
    DataError
        A value :class:`~oncotrial.services.inputs.AdverseEventInput` refuses, naming the
        subject.
    """
    AdverseEventInput.checked({
        "term": term, "grade": grade, "start_date": start_date, "end_date": end_date,
        "related_lenvatinib": related_lenvatinib, "related_eribulin": related_eribulin,
        "serious": serious, "action_taken": action_taken, "outcome": outcome,
        "flags": flags or []}, subject=subject)
    with unit.step() as session:
        owner = unit.subject(subject, write=True)
        row = AdverseEvent(
            subject_id=owner.id,
            term=term,
            grade=grade,
            start_date=start_date,
            end_date=end_date,
            serious=serious,
            related_lenvatinib=related_lenvatinib,
            related_eribulin=related_eribulin,
            action_taken=action_taken,
            outcome=outcome,
            dlt=dlt,
            dlt_rule=dlt_rule,
        )
        if protocol is not None:
            row.dlt, row.dlt_rule = _classify_dlt(unit, owner.id, row, flags or [], protocol)
        row.flags = ",".join(flags or [])
        session.add(row)
        session.flush()
        return row


def regrade_lab(row: LabResult, *, baseline: float | None = None) -> None:
    """Grade a lab row again after its value, unit or limits changed (CTCAE v5.0).

    Parameters
    ----------
    row
        The stored lab result, already changed (a test without a CTCAE term is left alone).
    baseline
        The subject's baseline value, for terms graded against it.

    Raises
    ------
    DataError
        The new value cannot be graded (e.g. negative).
    RuleError
        The unit is not one the term is measured in.

    Returns
    -------
    None
        The row is changed in place: ``grade``, ``grade_rule`` and ``grade_reason``.
    """
    test = LAB_TESTS.get(row.test_code)
    if test is None or test.ctcae_term is None:
        return
    grade = grade_lab(test.ctcae_term, row.value, row.unit, lln=row.lln, uln=row.uln,
                      baseline=baseline)
    row.grade, row.grade_rule, row.grade_reason = grade.grade, grade.rule, grade.reason


def regrade_blood_pressure(rows: list[VitalSign], *, previously_normal: bool | None) -> None:
    """Grade CTCAE Hypertension again on a day's systolic and diastolic rows.

    Parameters
    ----------
    rows
        The day's vital-sign rows; nothing is graded unless both SYSBP and DIABP are there.
    previously_normal
        Whether the blood pressure was normal before (see :func:`record_vital_signs`).

    Raises
    ------
    DataError
        Diastolic not below systolic.

    Returns
    -------
    None
        The SYSBP and DIABP rows are changed in place (term, grade, rule).
    """
    by_code = {r.test_code: r for r in rows}
    systolic, diastolic = by_code.get("SYSBP"), by_code.get("DIABP")
    if systolic is None or diastolic is None:
        return
    problems = pressure_problems(systolic.value, diastolic.value)
    if problems:
        raise problems[0].error()
    htn = grade_hypertension(systolic.value, diastolic.value, previously_normal=previously_normal)
    for row in (systolic, diastolic):
        row.ctcae_term, row.grade, row.grade_rule = htn.term, htn.grade, htn.rule


def reclassify_dlt(unit: Unit, row: AdverseEvent, *, protocol: Protocol) -> None:
    """Decide again whether an adverse event is a DLT after it changed.

    Parameters
    ----------
    unit
        The open unit of work the event was changed in.
    row
        The changed adverse event; its stored flags are read again.
    protocol
        The trial protocol (DLT window and definition).

    Returns
    -------
    None
        The row is changed in place: ``dlt`` and ``dlt_rule``.
    """
    flags = [f for f in row.flags.split(",") if f] if row.flags else []
    row.dlt, row.dlt_rule = _classify_dlt(unit, row.subject_id, row, flags,  # type: ignore[arg-type]
                                          protocol)


def recompute_bsa(row: BodyMeasurement, *, protocol: Protocol) -> None:
    """BSA again after height or weight changed, under the protocol's BSA policy.

    Parameters
    ----------
    row
        The changed body measurement; ``bsa_m2`` and ``bsa_formula`` are set on it.
    protocol
        The trial protocol (BSA formula, capping, rounding).

    Returns
    -------
    None
        The row is changed in place.
    """
    bsa = compute_bsa_for_dosing(row.height_cm, row.weight_kg, policy=protocol.bsa)
    row.bsa_m2, row.bsa_formula = bsa.bsa_used_m2, bsa.formula
