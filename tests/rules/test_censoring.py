"""The PFS censoring rule table (``rules/data/tte_censoring.yaml``) loads, and bad tables fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from oncotrial.errors import RuleError
from oncotrial.rules.censoring import (
    load_censoring_rules,
    select_censoring_rules,
    validate_censoring_rules,
)


def _raw() -> dict[str, Any]:
    return copy.deepcopy(load_censoring_rules().model_dump(mode="json"))


def test_shipped_table_has_os_fda_and_ema_with_sources() -> None:
    """OS, FDA and EMA sets load (FDA and EMA choosable for PFS); every rule cites a named
    source and each set ends unconditionally."""
    rules = load_censoring_rules()
    assert [s.name for s in rules.rule_sets] == ["OS", "FDA", "EMA"]
    assert rules.progression_sets() == ("FDA", "EMA")
    for rule_set in rules.rule_sets:
        assert rule_set.citation in rules.citations
        assert rule_set.rules[-1].when == ("always",)
        assert all(any(k in r.citation for k in rules.citations) for r in rule_set.rules)


def test_fda_censors_events_after_missed_assessments_and_new_therapy_ema_does_not() -> None:
    """Only the FDA set has the missed-assessment and new-therapy rows and stops at new therapy."""
    fda = load_censoring_rules().rule_set("FDA")
    ema = load_censoring_rules().rule_set("EMA")
    assert {"censor_missed_assessments", "censor_new_therapy"} <= {r.name for r in fda.rules}
    assert not {"censor_missed_assessments", "censor_new_therapy"} & {r.name for r in ema.rules}
    assert not fda.count_events_after_new_therapy
    assert ema.count_events_after_new_therapy


@pytest.mark.parametrize(("option", "endpoint", "expected"), [
    ("fda", "PFS", False), ("event", "PFS", True), ("event", "DOR", True),
])
def test_option_rows_apply_only_with_their_option(option: str, endpoint: str,
                                                  expected: bool) -> None:
    """The admiralonco death rows join the FDA set only with death_without_assessment=event;
    the no-baseline row never applies to DOR."""
    _, rules = select_censoring_rules("FDA", endpoint=endpoint, death_without_assessment=option)
    names = [r.name for r in rules]
    assert ("event_death_without_prior_assessment" in names) is expected
    assert ("censor_no_baseline" in names) is (endpoint != "DOR")


def test_unknown_rule_set_names_the_known_ones() -> None:
    """Asking for a set that is not in the table names the sets that are."""
    with pytest.raises(RuleError, match="unknown censoring rules 'SEER'; known: OS, FDA, EMA"):
        load_censoring_rules().rule_set("SEER")
    with pytest.raises(RuleError, match="death_without_assessment='always'"):
        select_censoring_rules("FDA", endpoint="PFS", death_without_assessment="always")


@pytest.mark.parametrize(("name", "endpoint", "allowed"), [
    ("FDA", "OS", "PFS, TTP, DOR"), ("FDA", "pfs", "PFS, TTP, DOR"), ("OS", "PFS", "OS"),
])
def test_an_endpoint_outside_the_set_is_refused(name: str, endpoint: str, allowed: str) -> None:
    """A set asked for an endpoint it does not cover is an error naming the endpoints it
    does cover, not an empty rule list (which would leave every subject without a rule)."""
    with pytest.raises(RuleError, match=f"endpoint={endpoint!r}.*allowed: {allowed}"):
        select_censoring_rules(name, endpoint=endpoint)
    for valid in allowed.split(", "):
        assert select_censoring_rules(name, endpoint=valid)[1]


def _breakers() -> list[tuple[str, Any, str]]:
    fda, ema, os_ = 1, 2, 0

    def unknown_condition(raw: dict[str, Any]) -> None:
        raw["rule_sets"][fda]["rules"][3]["when"] = ["event", "moon_phase"]

    def event_dated_at_start(raw: dict[str, Any]) -> None:
        raw["rule_sets"][fda]["rules"][4]["date"] = "start"

    def last_rule_conditional(raw: dict[str, Any]) -> None:
        raw["rule_sets"][ema]["rules"].pop()

    def uncited(raw: dict[str, Any]) -> None:
        raw["rule_sets"][ema]["rules"][2]["citation"] = "a conference talk"

    def duplicate(raw: dict[str, Any]) -> None:
        raw["rule_sets"][fda]["rules"][5]["name"] = "event"

    def bad_placeholder(raw: dict[str, Any]) -> None:
        raw["rule_sets"][fda]["rules"][-1]["description"] = "No {event}"

    def os_speaks_of_assessments(raw: dict[str, Any]) -> None:
        raw["rule_sets"][os_]["rules"][1]["when"] = ["no_assessment"]

    def progression_speaks_of_alive(raw: dict[str, Any]) -> None:
        raw["rule_sets"][ema]["rules"][-2]["date"] = "last_alive"

    return [
        ("unknown-condition", unknown_condition, "malformed"),
        ("event-not-dated-by-event", event_dated_at_start, "dated by the event"),
        ("no-final-catch-all", last_rule_conditional, "last rule must apply"),
        ("uncited-rule", uncited, "citation must name one of"),
        ("duplicate-name", duplicate, "duplicate rule name"),
        ("event-placeholder-without-event", bad_placeholder, "needs an event condition"),
        ("os-with-a-progression-condition", os_speaks_of_assessments,
         "no_assessment is not defined for OS"),
        ("pfs-with-an-os-date", progression_speaks_of_alive,
         "last_alive is not defined for PFS, TTP, DOR"),
    ]


@pytest.mark.parametrize(("breaker", "message"), [pytest.param(b, m, id=i)
                                                   for i, b, m in _breakers()])
def test_bad_tables_are_refused(breaker: Any, message: str) -> None:
    """Each kind of defect in the table raises a RuleError that says what is wrong."""
    raw = _raw()
    breaker(raw)
    with pytest.raises(RuleError, match=message):
        validate_censoring_rules(raw)


def test_the_protocol_offers_the_tables_progression_sets() -> None:
    """The analysis profile's ``pfs_rules`` choices are the censoring table's progression sets
    (read as data below the rules layer), and a name outside them is refused listing them."""
    from oncotrial.errors import DataError
    from oncotrial.protocol import GENERIC_PROFILE, override_profile
    from oncotrial.protocol.analysis import censoring_rule_sets

    assert censoring_rule_sets() == load_censoring_rules().progression_sets() == ("FDA", "EMA")
    assert override_profile(GENERIC_PROFILE, pfs_rules="EMA").pfs_rules == "EMA"
    with pytest.raises(DataError, match=r"pfs_rules='OS'.*allowed: FDA, EMA"):
        override_profile(GENERIC_PROFILE, pfs_rules="OS")
