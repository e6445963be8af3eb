"""Enrolment (eligibility, phase Ib slots), dose recommendation and recording, DLT flags."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.services import dosing, enrolment, safety
from oncotrial.services._unit import open_unit
from oncotrial.store import Store
from oncotrial.store.schema import DrugAdministration, EligibilityResult, Subject
from oncotrial.types import DoseAction
from tests.services.helpers import register, screening_values
from tests.store.backends import World

START = date(2019, 4, 1)


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    """The shipped LEADER protocol."""
    return load_protocol()


def test_ineligible_subject_is_a_screen_failure(
    store: Store, world: World, protocol: Protocol
) -> None:
    """ANC 1.4 < 1.5 x10^9/L fails INC-06; every criterion result is stored."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        outcome = enrolment.enrol_subject(
            unit,
            number,
            screening=screening_values(anc={"value": 1.4, "unit": "10^9/L"}),
            phase="II",
            enrolled_on=START,
            protocol=protocol,
        )
        subject = unit.subject(number, write=False)
        rows = list(
            unit.session.scalars(
                select(EligibilityResult).where(EligibilityResult.subject_id == subject.id)
            )
        )
    assert outcome.eligible is False
    assert outcome.failed == ("INC-06",)
    assert subject.status == "screen_failed"
    assert "INC-06" in (subject.screen_fail_reason or "")
    assert len(rows) == len(protocol.eligibility)
    assert {r.criterion for r in rows if r.met is False} == {"INC-06"}


@pytest.mark.parametrize(("field", "value", "says"), [
    ("anc", {"value": "lots", "unit": "10^9/L"}, "value: Input should be a valid number"),
    ("anc", {"value": 3.2, "units": "10^9/L"}, "unit: Field required"),
    ("bilirubin", {"value": 0.6, "unit": "mg/dL", "uln": 0}, "uln: Input should be greater"),
    ("karnofsky", [90], "not a screening value"),
])
def test_malformed_screening_value_names_its_field(
    store: Store, world: World, protocol: Protocol, *, field: str, value: object, says: str
) -> None:
    """A malformed screening value is a DataError naming the field and what is allowed, not
    a validation trace; nothing is stored and the subject stays in screening."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError) as refused:
        enrolment.enrol_subject(unit, number, screening=screening_values(**{field: value}),
                                phase="II", enrolled_on=START, protocol=protocol)
    assert refused.value.field == field
    assert refused.value.subject == number
    assert says in str(refused.value)
    assert refused.value.allowed
    with open_unit(store, world.inv_a) as unit:
        assert unit.subject(number, write=False).status == "screening"


def test_phase_ii_gets_the_rp2d(store: Store, world: World, protocol: Protocol) -> None:
    """An eligible phase II subject is enrolled on the RP2D regimen."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        outcome = enrolment.enrol_subject(
            unit,
            number,
            screening=screening_values(),
            phase="II",
            enrolled_on=START,
            protocol=protocol,
        )
        status = unit.subject(number, write=False).status
    assert (outcome.eligible, outcome.regimen, status) == (
        True,
        protocol.phase_ii.rp2d_regimen,
        "enrolled",
    )


def test_dose_recommended_recorded_and_deviation_needs_reason(
    store: Store, world: World, protocol: Protocol
) -> None:
    """C1D1 eribulin follows the engine; a different dose without a reason is refused."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        enrolment.enrol_subject(
            unit,
            number,
            screening=screening_values(),
            phase="II",
            enrolled_on=START,
            protocol=protocol,
            reference_start_date=START,
        )
        safety.record_body_measurement(
            unit, number, measured_on=START, height_cm=170, weight_kg=70, protocol=protocol
        )
        safety.record_lab(
            unit,
            number,
            collected_on=START,
            test_code="NEUT",
            value=3.0,
            unit_of_measure="10^9/L",
            lln=1.8,
            uln=7.5,
        )
        safety.record_lab(
            unit,
            number,
            collected_on=START,
            test_code="PLAT",
            value=200,
            unit_of_measure="10^9/L",
            lln=150,
            uln=400,
        )
        decision = dosing.recommend_dose(unit, number, cycle=1, day=1, on=START, protocol=protocol)
        eribulin = decision.drug("eribulin")
        assert eribulin.action.value == "give"
        assert eribulin.dose_mg == pytest.approx(1.1 * 1.82, abs=0.02)
        with pytest.raises(DataError, match="reason is required"):
            dosing.record_dose(
                unit,
                number,
                drug="eribulin",
                cycle=1,
                day=1,
                administered_on=START,
                given_dose_mg=1.0,
                protocol=protocol,
            )
        record = dosing.record_dose(
            unit,
            number,
            drug="eribulin",
            cycle=1,
            day=1,
            administered_on=START,
            given_dose_mg=eribulin.dose_mg or 0,
            protocol=protocol,
        )
        assert record.deviation is False
        lower = dosing.record_dose(
            unit,
            number,
            drug="lenvatinib",
            cycle=1,
            day=1,
            administered_on=START,
            given_dose_mg=10.0,
            protocol=protocol,
            reason="patient preference",
        )
    assert lower.deviation is True


def test_phase_ib_slots_and_dlt_flag(store: Store, world: World, protocol: Protocol) -> None:
    """Phase Ib: 3 slots at the start regimen, then none until evaluable; DLT inside window only."""
    numbers = [register(store, world, n) for n in range(1, 5)]
    with open_unit(store, world.inv_a) as unit:
        assigned = [
            enrolment.enrol_subject(
                unit,
                n,
                screening=screening_values(),
                phase="Ib",
                enrolled_on=START,
                protocol=protocol,
                reference_start_date=START,
            )
            for n in numbers[:3]
        ]
    assert [(o.regimen, o.cohort) for o in assigned] == [(protocol.phase_ib.start_regimen, 1)] * 3
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError, match="no open slot"):
        enrolment.enrol_subject(
            unit,
            numbers[3],
            screening=screening_values(),
            phase="Ib",
            enrolled_on=START,
            protocol=protocol,
        )
    with open_unit(store, world.inv_a) as unit:
        inside = safety.record_adverse_event(
            unit,
            numbers[0],
            term="Neutrophil count decreased",
            grade=4,
            start_date=START + timedelta(days=9),
            end_date=START + timedelta(days=17),
            related_lenvatinib="possible",
            related_eribulin="probable",
            protocol=protocol,
        )
        outside = safety.record_adverse_event(
            unit,
            numbers[1],
            term="Neutrophil count decreased",
            grade=4,
            start_date=START + timedelta(days=30),
            end_date=START + timedelta(days=38),
            related_lenvatinib="possible",
            related_eribulin="probable",
            protocol=protocol,
        )
    assert inside.dlt is True
    assert inside.dlt_rule
    assert (outside.dlt, outside.dlt_rule) == (False, "outside_dlt_window")
    with open_unit(store, world.inv_a) as unit:
        subject = unit.session.scalar(select(Subject).where(Subject.screening_number == numbers[0]))
        assert subject is not None
        assert subject.status == "enrolled"
    # A DLT counts from its onset: the day before it, nobody is evaluable yet (day 9 onset).
    with open_unit(store, world.inv_a) as unit, pytest.raises(
        DataError, match=r"0 DLT\(s\) among 0 evaluable"
    ):
        enrolment.enrol_subject(
            unit,
            numbers[3],
            screening=screening_values(),
            phase="Ib",
            enrolled_on=START + timedelta(days=8),
            protocol=protocol,
        )
    # Once the cohort has passed the 21-day window: 1 DLT among 3 → expand (3+3), cohort 2.
    with open_unit(store, world.inv_a) as unit:
        fourth = enrolment.enrol_subject(
            unit,
            numbers[3],
            screening=screening_values(),
            phase="Ib",
            enrolled_on=START + timedelta(days=protocol.phase_ib.dlt_window_days),
            protocol=protocol,
        )
    assert (fourth.regimen, fourth.cohort, fourth.rule) == (
        protocol.phase_ib.start_regimen, 2, "zero_or_one_of_three")
    # A flag only the dose rules read (LENVIMA "persistent or intolerable grade 2") on an event
    # in the DLT window is kept, and the event is still classified (the DLT engine was handed
    # the flag it does not know and the save failed).
    with open_unit(store, world.inv_a) as unit:
        flagged = safety.record_adverse_event(
            unit, numbers[2], term="Fatigue", grade=2, start_date=START + timedelta(days=4),
            related_lenvatinib="probable", related_eribulin="possible", flags=["intolerable"],
            protocol=protocol)
        assert (flagged.dlt, flagged.flags) == (False, "intolerable")
        assert flagged.dlt_rule


def test_decided_doses_are_checked_like_recommended_ones(
    store: Store, world: World, protocol: Protocol
) -> None:
    """Doses decided by the engine elsewhere (an import): one without its reason (which system
    decided it), an off-ladder level, an unknown drug and a negative dose are refused (naming
    field, value, subject and visit) and a batch with one bad dose writes none; a good one is
    recorded with the rules that fired, as a decision that holds the drug's state."""
    number = register(store, world)
    reduce = dosing.DecidedDose("lenvatinib", DoseAction.REDUCE, 10.0, 10.0,
                                ("lenvatinib_resume_reduced",))
    on = START + timedelta(days=21)

    def given(decided: dosing.DecidedDose, mg: float,
              reason: str | None = "decided by the coordinating centre") -> dosing.GivenDose:
        return dosing.GivenDose(decided, cycle=2, day=1, administered_on=on, given_dose_mg=mg,
                                reason=reason)

    bad = [
        (given(reduce, 10.0, reason=None), "needs a reason"),
        (given(reduce, 10.0, reason="  "), "needs a reason"),
        (given(reduce, -1.0), "given_dose_mg=-1.0: out of range"),
        (given(dosing.DecidedDose("lenvatinib", DoseAction.GIVE, 12.0, 12.0, ()), 12.0),
         "ladder"),
        (given(dosing.DecidedDose("pazopanib", DoseAction.GIVE, 800.0, 800.0, ()), 800.0),
         "not in the protocol"),
    ]
    with open_unit(store, world.inv_a) as unit:
        enrolment.enrol_subject(unit, number, screening=screening_values(), phase="II",
                                enrolled_on=START, protocol=protocol, reference_start_date=START)
        owner = unit.subject(number, write=False)
        for dose, message in bad:
            with pytest.raises(DataError, match=message) as refused:
                dosing.record_decided_doses(unit, number, [given(reduce, 10.0), dose],
                                            protocol=protocol)
            assert (refused.value.subject, refused.value.visit) == (number, "cycle 2 day 1")
        written = unit.session.scalars(
            select(DrugAdministration).where(DrugAdministration.subject_id == owner.id)).all()
        assert written == []  # all or none
        (row_id,) = dosing.record_decided_doses(unit, number, [given(reduce, 10.0)],
                                                protocol=protocol)
        row = unit.session.get(DrugAdministration, row_id)
    assert row is not None
    assert (row.action, row.given_dose, row.decision_rules, row.decision, row.on_hold) == (
        "reduce", 10.0, "lenvatinib_resume_reduced", True, False)


def _renamed(protocol: Protocol, prefix: str) -> Protocol:
    """LEADER with its phase Ib regimens renamed, so this test's cohort is its own in the
    session's shared store."""
    ib = protocol.phase_ib
    regimens = [r.model_copy(update={"name": prefix + r.name}) for r in ib.regimens]
    return protocol.model_copy(update={"phase_ib": ib.model_copy(update={
        "regimens": regimens, "start_regimen": prefix + ib.start_regimen})})


@pytest.mark.parametrize(("reduced", "expected"), [(4, "T-L14E1.1 by tolerability"),
                                                   (3, "T-L18E1.1 by dlt count")])
def test_the_rp2d_weighs_reductions_within_three_cycles(
        store: Store, world: World, protocol: Protocol, reduced: int, expected: str) -> None:
    """LEADER's tolerability clause over the casebook: 0 DLTs among 6 at the start regimen, and
    lenvatinib reduced to 14 mg within 3 cycles (63 days) in 4 → RP2D one regimen down; in 3
    (a fourth reduced on day 64, outside the clause) → the start regimen by the DLT count.
    The dashboard names the deciding clause, and phase Ib enrolment says dose finding ended."""
    from oncotrial.services.dashboards import dashboard

    prefix = f"T{reduced}-"
    proto = _renamed(protocol, prefix)
    numbers = [register(store, world, 700 + 10 * reduced + n) for n in range(7)]
    with open_unit(store, world.inv_a) as unit:
        starts = [START] * 3 + [START + timedelta(days=22)] * 3  # 2nd cohort after the window
        for number, first in zip(numbers[:6], starts, strict=True):
            enrolment.enrol_subject(unit, number, screening=screening_values(), phase="Ib",
                                    enrolled_on=first, protocol=proto,
                                    reference_start_date=first)
        for k, number in enumerate(numbers[:4]):
            day = 43 if k < reduced else 64  # cycle 3 day 1, or cycle 4 day 1
            unit.session.add(DrugAdministration(
                subject_id=unit.subject(number, write=False).id, drug="lenvatinib", cycle=3,
                day=1, administered_on=starts[k] + timedelta(days=day - 1), planned_level=14.0,
                recommended_action="reduce", recommended_dose=14.0, given_dose=14.0,
                unit="mg", action="reduce", reason=None, decision_rules=""))
    on = START + timedelta(days=90)
    with open_unit(store, world.statistician) as unit:
        board = dashboard(unit, protocol=proto, today=on)
    assert board.rp2d is not None
    assert board.rp2d.replace(prefix, "T-").startswith(expected.replace(f"T{reduced}-", "T-"))
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError, match="has ended"):
        enrolment.enrol_subject(unit, numbers[6], screening=screening_values(), phase="Ib",
                                enrolled_on=on, protocol=proto)
