"""The dosing service decides from the casebook alone: which labs count as the day's (the
protocol's ``dose_lab_max_age_days``), urine protein as the measurement the proteinuria rule
reads, laboratory toxicities from the values of the day and not the AE log, when an adverse
event is new, the hold state each decision leaves, and a daily drug's days between decisions.

Thresholds: [HALAVEN] §2.2 (blood counts before each dose) and Table 1; [LENVIMA] dosage
modifications (withhold for ≥ 2 g proteinuria/24 h; intolerable grade 2: withhold, resume one
level lower) — the rule table ``rules/data/dose_rules.yaml`` cites each.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.services import dosing, safety
from oncotrial.services._unit import Unit, open_unit
from oncotrial.store import Store
from oncotrial.store.schema import DrugAdministration
from oncotrial.types import DoseAction
from tests.services.helpers import enrol_with_body, register
from tests.store.backends import World

START = date(2019, 4, 1)  # cycle 1 day 1


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    """The shipped LEADER protocol (dose_lab_max_age_days = 1)."""
    return load_protocol()


def _enrolled(unit: Unit, number: str, protocol: Protocol) -> None:
    enrol_with_body(unit, number, protocol, START)


def _counts(unit: Unit, number: str, on: date, *, anc: float = 3.0, plt: float = 200) -> None:
    safety.record_lab(unit, number, collected_on=on, test_code="NEUT", value=anc,
                      unit_of_measure="10^9/L", lln=1.8, uln=7.5)
    safety.record_lab(unit, number, collected_on=on, test_code="PLAT", value=plt,
                      unit_of_measure="10^9/L", lln=150, uln=400)


def _decide(unit: Unit, number: str, on: date, protocol: Protocol, *, day: int = 1
            ) -> dosing.DoseDecision:
    return dosing.recommend_dose(unit, number, cycle=1, day=day, on=on, protocol=protocol)


def _rules(decision: dosing.DrugDecision) -> list[str]:
    return [r.name for r in decision.rules]


@pytest.mark.parametrize(("age_days", "action"), [(0, "give"), (1, "give"), (2, "hold")])
def test_only_counts_within_the_protocols_age_are_the_days(
    store: Store, world: World, protocol: Protocol, age_days: int, action: str,
) -> None:
    """Counts drawn the day before still decide eribulin (1 day allowed); two days old they
    do not, and the missing-count rule holds the dose."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        _counts(unit, number, START - timedelta(days=age_days))
        eribulin = _decide(unit, number, START, protocol).drug("eribulin")
    assert eribulin.action.value == action
    if action == "hold":
        assert "eribulin_hold_missing_blood_count" in _rules(eribulin)


@pytest.mark.parametrize(("protein", "action"), [(1.9, "give"), (2.0, "hold")])
def test_urine_protein_reaches_the_proteinuria_rule(
    store: Store, world: World, protocol: Protocol, protein: float, action: str,
) -> None:
    """A 24-hour urine protein of 2.0 g holds lenvatinib, 1.9 g does not (withhold for
    ≥ 2 g/24 h)."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        _counts(unit, number, START)
        safety.record_lab(unit, number, collected_on=START, test_code="PROT", value=protein,
                          unit_of_measure="g/24h", lln=None, uln=0.15)
        lenvatinib = _decide(unit, number, START, protocol).drug("lenvatinib")
    assert lenvatinib.action.value == action
    assert ("lenvatinib_hold_proteinuria" in _rules(lenvatinib)) == (action == "hold")


def test_a_lab_ae_in_the_log_does_not_stand_in_for_todays_count(
    store: Store, world: World, protocol: Protocol,
) -> None:
    """A grade 4 neutropenia logged as an adverse event last week, still open, does not hold
    eribulin when today's ANC is normal: the engine reads the value of the day."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        safety.record_adverse_event(unit, number, term="Neutrophil count decreased", grade=4,
                                    start_date=START - timedelta(days=7),
                                    related_lenvatinib="unlikely", related_eribulin="possible")
        _counts(unit, number, START, anc=3.0)
        eribulin = _decide(unit, number, START, protocol).drug("eribulin")
        _counts(unit, number, START + timedelta(days=7), anc=0.4)
        low = _decide(unit, number, START + timedelta(days=7), protocol, day=8).drug("eribulin")
    assert eribulin.action is DoseAction.GIVE
    assert low.action is DoseAction.HOLD
    assert "eribulin_hold_anc_below_1.0" in _rules(low)


def _dose_day(unit: Unit, number: str, on: date, day: int, protocol: Protocol
              ) -> dict[str, dosing.DoseRecord]:
    """Record every drug due on *on* as the engine decides (0 mg when held)."""
    decision = dosing.recommend_dose(unit, number, cycle=1, day=day, on=on, protocol=protocol)
    return {d.drug: dosing.record_dose(unit, number, drug=d.drug, cycle=1, day=day,
                                       administered_on=on, given_dose_mg=d.dose_mg or 0.0,
                                       protocol=protocol)
            for d in decision.drugs}


def test_hold_state_is_stored_and_resumption_starts_from_it(
    store: Store, world: World, protocol: Protocol,
) -> None:
    """An intolerable grade 2 fatigue holds lenvatinib (14 mg); the decision row keeps the
    rule, the term and the level held from. While the fatigue lasts the hold stays; once it
    has resolved the next decision resumes one level lower (10 mg) naming the rule."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        safety.record_adverse_event(unit, number, term="Fatigue", grade=2, start_date=START,
                                    end_date=START + timedelta(days=10),
                                    related_lenvatinib="probable", related_eribulin="unlikely",
                                    flags=["intolerable"])
        day8, day15 = START + timedelta(days=7), START + timedelta(days=14)
        for on in (START, day8, day15):
            _counts(unit, number, on)
        first = _dose_day(unit, number, START, 1, protocol)["lenvatinib"]
        row = unit.session.get(DrugAdministration, first.administration_id)
        assert row is not None
        assert (row.decision, row.on_hold, row.hold_rule, row.hold_terms, row.planned_level) == (
            True, True, "lenvatinib_hold_intolerable_grade_2", "Fatigue", 14.0)
        second = _dose_day(unit, number, day8, 8, protocol)["lenvatinib"]
        third = _dose_day(unit, number, day15, 15, protocol)["lenvatinib"]
    assert first.decision.action is DoseAction.HOLD
    assert second.decision.action is DoseAction.HOLD  # fatigue still ongoing on day 8
    assert (third.decision.action, third.decision.level) == (DoseAction.REDUCE, 10.0)
    assert "lenvatinib_resume_reduced" in _rules(third.decision)


@pytest.mark.parametrize(("grades", "new"), [((2, 3), True), ((4, 3), False)])
def test_a_worsening_is_new_an_improvement_is_not(
    store: Store, world: World, protocol: Protocol, grades: tuple[int, int], new: bool,
) -> None:
    """One record per grade: diarrhoea grade 2 then 3 the day after the last decision is a new
    grade 3 event (it permanently reduces eribulin: non-haematological grade 3–4, new only);
    grade 4 then 3 is an improvement, not a new grade 3 event."""
    number = register(store, world)
    day8 = START + timedelta(days=7)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        _counts(unit, number, START)
        _counts(unit, number, day8)
        _dose_day(unit, number, START, 1, protocol)
        first, second = grades
        safety.record_adverse_event(unit, number, term="Diarrhea", grade=first,
                                    start_date=START - timedelta(days=3),
                                    end_date=START + timedelta(days=2),
                                    related_lenvatinib="possible", related_eribulin="possible")
        safety.record_adverse_event(unit, number, term="Diarrhea", grade=second,
                                    start_date=START + timedelta(days=3),
                                    related_lenvatinib="possible", related_eribulin="possible")
        eribulin = _decide(unit, number, day8, protocol, day=8).drug("eribulin")
    assert ("eribulin_reduce_non_hematologic_grade_3_4" in _rules(eribulin)) == new


def test_daily_drug_between_decisions_follows_the_decision_in_force(
    store: Store, world: World, protocol: Protocol,
) -> None:
    """Lenvatinib days 2–7 are recorded against the day-1 decision (14 mg): taken as decided
    they need no reason, 10 mg needs one; eribulin is not a daily drug; a day before any
    decision is refused; nothing is written when one day is refused."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        _counts(unit, number, START)

        def daily(day: int, mg: float, reason: str | None = None) -> dosing.DailyDose:
            return dosing.DailyDose(cycle=1, day=day, taken_on=START + timedelta(days=day - 1),
                                    dose_mg=mg, reason=reason)

        with pytest.raises(DataError, match="no decision in force"):
            dosing.record_daily_doses(unit, number, drug="lenvatinib", protocol=protocol,
                                      doses=[daily(2, 14.0)])
        _dose_day(unit, number, START, 1, protocol)
        with pytest.raises(DataError, match="reason is required"):
            dosing.record_daily_doses(unit, number, drug="lenvatinib", protocol=protocol,
                                      doses=[daily(2, 14.0), daily(3, 10.0)])
        with pytest.raises(DataError, match="not daily"):
            dosing.record_daily_doses(unit, number, drug="eribulin", protocol=protocol,
                                      doses=[daily(2, 2.0)])
        ids = dosing.record_daily_doses(
            unit, number, drug="lenvatinib", protocol=protocol,
            doses=[daily(2, 14.0), daily(3, 10.0, reason="vomited the capsule")])
        rows = [unit.session.get(DrugAdministration, i) for i in ids]
    assert [(r.given_dose, r.decision, r.action, r.reason) for r in rows if r] == [
        (14.0, False, "give", None), (10.0, False, "give", "vomited the capsule")]


def test_the_ae_form_records_every_flag_the_dose_rules_read(
    store: Store, world: World, protocol: Protocol,
) -> None:
    """The web AE form (services.forms) offers a field for each flag a rule reads; an
    intolerable grade 2 fatigue entered there holds lenvatinib (LENVIMA Table 1), as one
    recorded through the service does. Before, the form had no such field, so the hold could
    not be triggered from the EDC."""
    from oncotrial.services import forms

    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _enrolled(unit, number, protocol)
        page = forms.form_page(unit, number, "LOG", "adverse_events", protocol=protocol,
                               today=START)
        offered = {f.field.name for e in page.entries for f in e.fields}
        assert {"intolerable", "persists_despite_therapy", "life_threatening"} <= offered
        forms.save_form(unit, number, "LOG", "adverse_events", {
            "term": "Fatigue", "grade": "2", "start_date": START.isoformat(),
            "serious": "false", "related_lenvatinib": "probable", "related_eribulin": "unlikely",
            "action_taken": "DRUG INTERRUPTED", "outcome": "NOT RECOVERED/NOT RESOLVED",
            "intolerable": "true"}, protocol=protocol, today=START)
        _counts(unit, number, START)
        lenvatinib = dosing.recommend_dose(unit, number, cycle=1, day=1, on=START,
                                           protocol=protocol).drug("lenvatinib")
    assert lenvatinib.action == DoseAction.HOLD
    assert [r.name for r in lenvatinib.rules] == ["lenvatinib_hold_intolerable_grade_2"]
