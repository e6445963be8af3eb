"""Enrolment: eligibility evaluated and stored per criterion, then a phase Ib cohort slot.

Eligibility comes from :func:`oncotrial.rules.eligibility.evaluate_eligibility`; the phase Ib
regimen from the protocol's ordered regimens and :func:`oncotrial.rules.dlt.decide_cohort`
(3+3-type rules as data). A subject is DLT-evaluable once it had a DLT or its DLT window
(``protocol.phase_ib.dlt_window_days`` from the reference start date) has passed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import ValidationError
from sqlalchemy import select

from oncotrial.errors import DataError
from oncotrial.protocol import CohortAction, Protocol
from oncotrial.rules.dlt import CohortDecision, Rp2dDecision, decide_cohort, decide_rp2d
from oncotrial.rules.eligibility import Measured, Screening, evaluate_eligibility
from oncotrial.services._unit import Unit
from oncotrial.store.schema import (
    AdverseEvent,
    DrugAdministration,
    EligibilityResult,
    Enrolment,
    Subject,
)
from oncotrial.types import DoseAction, Phase

__all__ = [
    "EnrolmentOutcome",
    "decide_rp2d_on",
    "enrol_subject",
    "regimen_counts",
    "regimen_modified",
    "set_reference_start",
]


@dataclass(frozen=True, slots=True)
class EnrolmentOutcome:
    """Eligibility and, when eligible, the slot assigned."""

    eligible: bool
    failed: tuple[str, ...]
    missing: tuple[str, ...]
    phase: str | None
    regimen: str | None
    cohort: int | None
    rule: str


def regimen_counts(unit: Unit, regimen: str, on: date, window: int) -> tuple[int, int, int]:
    """Enrolled, DLT-evaluable and with-DLT phase Ib subjects at *regimen*, as known on *on*
    (a DLT counts from its onset; a subject without one once the window has passed).

    Counts every site, whatever the actor sees: the cohort rule is study-wide.

    Parameters
    ----------
    unit
        An open unit of work (read only).
    regimen
        The phase Ib regimen's name in the protocol.
    on
        The day the counts are taken.
    window
        The DLT window in days from the reference start date
        (``protocol.phase_ib.dlt_window_days``).

    Returns
    -------
    tuple[int, int, int]
        (enrolled, DLT-evaluable, with a DLT of onset on or before *on*). A subject without a
        reference start date is evaluable only once it has a DLT.
    """
    rows = unit.session.execute(
        select(Enrolment.subject_id, Enrolment.reference_start_date).where(
            Enrolment.phase == Phase.IB.value,
            Enrolment.regimen == regimen,
            Enrolment.deleted.is_(False),
        )
    ).all()
    ids = [r.subject_id for r in rows]
    with_dlt = set(
        unit.session.scalars(
            select(AdverseEvent.subject_id).where(
                AdverseEvent.subject_id.in_(ids),
                AdverseEvent.dlt.is_(True),
                AdverseEvent.deleted.is_(False),
                AdverseEvent.start_date <= on,  # DLTs known on the enrolment date
            )
        )
    )
    evaluable = sum(
        1
        for r in rows
        if r.subject_id in with_dlt
        or (
            r.reference_start_date is not None
            and r.reference_start_date + timedelta(days=window) <= on
        )
    )
    return len(rows), evaluable, len(with_dlt)


def regimen_modified(unit: Unit, regimen: str, *, drug: str, start_level: float, days: int,
                     on: date) -> int:
    """Phase Ib subjects at *regimen* whose *drug* was reduced below *start_level* or
    discontinued within their first *days* days of treatment, as recorded by *on* (the
    protocol's tolerability clause, ``phase_ib.tolerability``).

    Counts every site, whatever the actor sees.

    Parameters
    ----------
    unit
        An open unit of work (read only).
    regimen
        The phase Ib regimen's name.
    drug
        The drug whose dose records count.
    start_level
        The regimen's starting dose level of *drug*; a planned level below it is a reduction.
    days
        The length of the window from each subject's reference start date, days.
    on
        Dose records administered after this day are ignored.

    Returns
    -------
    int
        How many subjects had a reduction or discontinuation of *drug* in the window.
    """
    rows = unit.session.execute(
        select(Enrolment.subject_id, Enrolment.reference_start_date,
               DrugAdministration.administered_on, DrugAdministration.planned_level,
               DrugAdministration.action)
        .join(DrugAdministration, DrugAdministration.subject_id == Enrolment.subject_id)
        .where(Enrolment.phase == Phase.IB.value, Enrolment.regimen == regimen,
               Enrolment.deleted.is_(False), DrugAdministration.deleted.is_(False),
               DrugAdministration.drug == drug, DrugAdministration.administered_on <= on)
    ).all()
    return len({
        r.subject_id for r in rows
        if r.reference_start_date is not None
        and r.administered_on < r.reference_start_date + timedelta(days=days)
        and (r.planned_level < start_level or r.action == DoseAction.DISCONTINUE.value)})


def decide_rp2d_on(unit: Unit, protocol: Protocol, decision: CohortDecision,
                   on: date) -> Rp2dDecision:
    """The RP2D once dose finding has stopped at a tolerated regimen: by the DLT count, or
    by the protocol's tolerability clause over the casebook's dose records.

    Parameters
    ----------
    unit
        An open unit of work (read only; every site counts).
    protocol
        The trial protocol (DLT window, tolerability clause, regimens, cycle length).
    decision
        The cohort rule's stop decision at a tolerated regimen
        (:func:`oncotrial.rules.dlt.decide_cohort`).
    on
        The day of the decision.

    Returns
    -------
    Rp2dDecision
        The RP2D regimen, the clause that decided it and the reason, from
        :func:`oncotrial.rules.dlt.decide_rp2d` with the regimen's enrolled and dose-modified
        counts.

    Raises
    ------
    DataError
        If *decision* is not a stop at a tolerated regimen.
    """
    clause = protocol.phase_ib.tolerability
    enrolled, _, _ = regimen_counts(unit, decision.regimen, on,
                                    protocol.phase_ib.dlt_window_days)
    modified = 0 if clause is None else regimen_modified(
        unit, decision.regimen, drug=clause.drug,
        start_level=protocol.regimen(decision.regimen).doses[clause.drug],
        days=clause.cycles * protocol.cycle_length_days, on=on)
    return decide_rp2d(decision, n_patients=max(enrolled, 1), n_modified=min(modified, enrolled),
                       protocol=protocol)


def _phase_ib_slot(unit: Unit, protocol: Protocol, on: date) -> tuple[str, int, str]:
    ib = protocol.phase_ib
    regimen: str | None = ib.start_regimen
    while regimen is not None:
        enrolled, evaluable, dlts = regimen_counts(unit, regimen, on, ib.dlt_window_days)
        decision = decide_cohort(evaluable, dlts, regimen=regimen, protocol=protocol)
        if decision.action is CohortAction.DE_ESCALATE:
            regimen = decision.next_regimen
            continue
        if decision.action is CohortAction.STOP:
            if decision.tolerated:
                rp2d = decide_rp2d_on(unit, protocol, decision, on)
                outcome = f"RP2D {rp2d.regimen} by {rp2d.clause.replace('_', ' ')}: {rp2d.reason}"
            else:
                outcome = "no tolerated regimen"
            raise DataError(
                f"phase Ib dose finding has ended ({outcome}; {decision.reason})",
                field="phase",
                value=Phase.IB.value,
                allowed=Phase.II.value,
            )
        size = ib.cohort_size
        target = min(size * math.ceil((evaluable + 1) / size), ib.max_patients_per_regimen)
        if enrolled >= target:
            raise DataError(
                f"no open slot at {regimen}: {enrolled} enrolled, waiting for DLT evaluation "
                f"({decision.reason})",
                field="phase",
                value=Phase.IB.value,
            )
        return regimen, enrolled // size + 1, decision.rule
    raise DataError(
        "phase Ib dose finding has ended with no tolerated regimen",
        field="phase",
        value=Phase.IB.value,
    )


def _screening(subject: str, given: Mapping[str, object]) -> Screening:
    """The screening of a mapping of criterion fields; a malformed value is a
    :class:`DataError` naming its field, never a validation trace."""
    values: dict[str, object] = {}
    for key, value in given.items():
        try:
            values[key] = Measured.model_validate(value) if isinstance(value, Mapping) else value
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise DataError(f"not a measured value ({where}: {problem['msg']})", field=key,
                            value=value,
                            allowed="value (a number), unit (text), uln (a positive number, "
                                    "optional)", subject=subject) from exc
    try:
        return Screening.model_validate({"subject": subject, "values": values})
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"][1:2]) or "screening"
        raise DataError(f"not a screening value ({problem['msg']})", field=field,
                        value=problem.get("input"),
                        allowed="true/false, a number, text, or a measured value",
                        subject=subject) from exc


def enrol_subject(
    unit: Unit,
    subject: str,
    *,
    screening: Screening | Mapping[str, object],
    phase: Phase | str,
    enrolled_on: date,
    protocol: Protocol,
    reference_start_date: date | None = None,
) -> EnrolmentOutcome:
    """Evaluate eligibility, store each criterion, and enrol an eligible subject.

    *screening* is a :class:`oncotrial.rules.eligibility.Screening` or a mapping of the
    protocol's criterion fields to values (a measured value as ``{"value", "unit", "uln"}``).
    An ineligible subject becomes a screen failure with the failed and missing criteria as
    reason. Phase Ib subjects get the current
    regimen and cohort of the dose-finding rule; phase II subjects the RP2D regimen.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number; the subject must be in ``screening``.
    screening
        The screening values the criteria are evaluated on.
    phase
        ``"Ib"`` or ``"II"`` (:class:`oncotrial.types.Phase`).
    enrolled_on
        Enrolment date; the phase Ib slot is decided on the DLTs known that day.
    protocol
        The trial protocol (criteria, regimens, cohort rule, RP2D).
    reference_start_date
        First dose, if already known (else :func:`set_reference_start` later).

    Returns
    -------
    EnrolmentOutcome
        Whether eligible, the failed and missing criteria, and for an enrolled subject the
        phase, regimen, cohort (phase Ib) and the rule that decided the slot.

    Raises
    ------
    DataError
        If the subject is not in screening, a screening value is malformed (the field is
        named), or phase Ib has no open slot (a cohort waits for DLT evaluation, or dose
        finding has ended).
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user may not enter data at the subject's site.
    ValueError
        If *phase* is not a :class:`~oncotrial.types.Phase` value.
    """
    phase = Phase(phase)
    if not isinstance(screening, Screening):
        screening = _screening(subject, screening)
    result = evaluate_eligibility(screening, protocol=protocol)
    with unit.step(reason="enrolment decision") as session:
        owner: Subject = unit.subject(subject, write=True)
        if owner.status != "screening":
            raise DataError(
                "subject is not in screening",
                field="status",
                value=owner.status,
                allowed="screening",
                subject=subject,
            )
        for r in result.results:
            session.add(
                EligibilityResult(
                    subject_id=owner.id,
                    criterion=r.id,
                    kind=r.kind,
                    met=None if r.status in ("missing", "unevaluable") else r.status == "pass",
                    reason=r.reason,
                )
            )
        if not result.eligible:
            owner.status = "screen_failed"
            owner.screen_fail_reason = "; ".join(
                f"{r.id}: {r.reason}" for r in result.results if r.status != "pass"
            )
            return EnrolmentOutcome(
                False, result.failed, result.missing, None, None, None, "not eligible"
            )
        if phase is Phase.IB:
            regimen, cohort, rule = _phase_ib_slot(unit, protocol, enrolled_on)
        else:
            regimen, cohort, rule = protocol.phase_ii.rp2d_regimen, None, "phase II: RP2D"
        session.add(
            Enrolment(
                subject_id=owner.id,
                phase=phase.value,
                cohort=cohort,
                regimen=regimen,
                enrolled_on=enrolled_on,
                reference_start_date=reference_start_date,
                decision_rule=rule,
            )
        )
        owner.status = "enrolled"
        session.flush()
        return EnrolmentOutcome(True, (), (), phase.value, regimen, cohort, rule)


def set_reference_start(unit: Unit, subject: str, *, start: date) -> None:
    """Record the reference start date (first dose) of an enrolled subject.

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    start
        The date of the first dose (study day 1; DLT window and visit plan count from it).

    Returns
    -------
    None

    Raises
    ------
    DataError
        If the subject is not enrolled.
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user may not enter data at the subject's site.
    """
    with unit.step(reason="reference start date = first dose") as session:
        owner = unit.subject(subject, write=True)
        enrolment = session.scalar(select(Enrolment).where(Enrolment.subject_id == owner.id))
        if enrolment is None:
            raise DataError("subject is not enrolled", field="subject", value=subject)
        enrolment.reference_start_date = start
