"""Censoring rules of time-to-event endpoints as data: ``data/tte_censoring.yaml``.

Each rule set (overall survival; FDA 2018 guidance and EMA Appendix 1 for PFS, TTP and DOR) is
an ordered list of named first-match rules over a closed vocabulary of conditions and dates;
:mod:`oncotrial.cdisc.adam.adtte` evaluates them. Loading checks names, conditions, dates,
outcomes, placeholders and citations, and that every set ends with an unconditional rule, so
no subject is left undecided.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncotrial._yaml import read_yaml
from oncotrial.errors import RuleError

__all__ = [
    "CENSORING_CONDITIONS",
    "CENSORING_DATES",
    "PROGRESSION_ENDPOINTS",
    "CensoringRule",
    "CensoringRuleSet",
    "CensoringRules",
    "load_censoring_rules",
    "select_censoring_rules",
    "validate_censoring_rules",
]

Condition = Literal[
    "event",
    "death_event",
    "after_missed_assessments",
    "no_prior_assessment",
    "new_therapy",
    "no_assessment",
    "no_baseline_assessment",
    "alive_after_start",
    "always",
]
CensorDate = Literal["event", "start", "last_adequate", "last_adequate_before_event",
                     "last_alive"]
Endpoint = Literal["OS", "PFS", "TTP", "DOR"]
PROGRESSION_ENDPOINTS: tuple[Endpoint, ...] = ("PFS", "TTP", "DOR")
# what each family of endpoints can speak of
_VOCABULARY: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {
    ("OS",): (frozenset({"event", "alive_after_start", "always"}),
              frozenset({"event", "last_alive", "start"})),
    PROGRESSION_ENDPOINTS: (
        frozenset(Condition.__args__) - {"alive_after_start"},  # type: ignore[attr-defined]
        frozenset(CensorDate.__args__) - {"last_alive"},  # type: ignore[attr-defined]
    ),
}
CENSORING_CONDITIONS: tuple[str, ...] = Condition.__args__  # type: ignore[attr-defined]
CENSORING_DATES: tuple[str, ...] = CensorDate.__args__  # type: ignore[attr-defined]
_OPTIONS = {"death_without_assessment": ("fda", "event")}
_PLACEHOLDER = re.compile(r"\{([a-z_]*)\}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CensoringRule(_Frozen):
    """One first-match rule: when its conditions hold, the subject is an event or censored at
    the named date, with EVNTDESC *description* and ARULE *arule* (default: the name)."""

    name: str
    arule: str = ""
    only_with: dict[str, str] = Field(default_factory=dict)
    endpoints: tuple[Endpoint, ...] = ()  # default: every endpoint of its set
    when: tuple[Condition, ...]
    unless: tuple[Condition, ...] = ()
    outcome: Literal["event", "censor"]
    date: CensorDate
    description: str
    text: str
    citation: str

    @property
    def rule_name(self) -> str:
        """The ARULE value this rule writes (the event's own rule for events)."""
        return self.arule or self.name


class CensoringRuleSet(_Frozen):
    """A named, cited set of rules (``OS``; ``FDA``, ``EMA`` for PFS, TTP and DOR)."""

    name: str
    text: str
    citation: str
    endpoints: tuple[Endpoint, ...] = PROGRESSION_ENDPOINTS
    count_events_after_new_therapy: bool
    rules: tuple[CensoringRule, ...]

    def applies(self, rule: CensoringRule, endpoint: str) -> bool:
        """Whether *rule* of this set applies to *endpoint*."""
        return endpoint in (rule.endpoints or self.endpoints)


class CensoringRules(_Frozen):
    """The whole censoring rule file, validated."""

    version: str
    citations: dict[str, str]
    rule_sets: tuple[CensoringRuleSet, ...]

    def progression_sets(self) -> tuple[str, ...]:
        """Names of the sets a trial can choose for PFS, TTP and DOR (``pfs_rules``)."""
        return tuple(s.name for s in self.rule_sets if s.endpoints == PROGRESSION_ENDPOINTS)

    def rule_set(self, name: str) -> CensoringRuleSet:
        """The set called *name*; :class:`RuleError` naming the known sets otherwise."""
        for rule_set in self.rule_sets:
            if rule_set.name == name:
                return rule_set
        known = ", ".join(s.name for s in self.rule_sets)
        raise RuleError(f"unknown censoring rules {name!r}; known: {known}")


def _check_rule(rule_set: CensoringRuleSet, rule: CensoringRule,
                citations: dict[str, str]) -> None:
    where = f"censoring rules {rule_set.name}.{rule.name}"
    conditions, dates = _VOCABULARY[rule_set.endpoints]
    unknown = sorted({*rule.when, *rule.unless} - conditions)
    if unknown or rule.date not in dates:
        raise RuleError(f"{where}: {', '.join(unknown) or rule.date} is not defined for "
                        f"{', '.join(rule_set.endpoints)}; conditions: "
                        f"{', '.join(sorted(conditions))}; dates: {', '.join(sorted(dates))}")
    if not set(rule.endpoints) <= set(rule_set.endpoints):
        raise RuleError(f"{where}: endpoints {rule.endpoints} outside the set's "
                        f"{rule_set.endpoints}")
    if (rule.outcome == "event") != (rule.date == "event"):
        raise RuleError(f"{where}: an event is dated by the event, a censoring never is")
    for key, value in rule.only_with.items():
        if value not in _OPTIONS.get(key, ()):
            raise RuleError(f"{where}: only_with {key}={value!r}; allowed: "
                            + "; ".join(f"{k} in {v}" for k, v in _OPTIONS.items()))
    for placeholder in _PLACEHOLDER.findall(rule.description):
        if placeholder not in ("event", "endpoint_events"):
            raise RuleError(f"{where}: unknown placeholder {{{placeholder}}} in description")
        if placeholder == "event" and not {"event", "death_event"} & set(rule.when):
            raise RuleError(f"{where}: {{event}} needs an event condition")
    if not any(key in rule.citation for key in citations):
        raise RuleError(f"{where}: citation must name one of {', '.join(citations)}")


def validate_censoring_rules(raw: dict[str, Any]) -> CensoringRules:
    """Validate a parsed rule file; raise :class:`RuleError` naming the first problem.

    Parameters
    ----------
    raw
        The parsed YAML of a censoring rule file (``version``, ``citations``, ``rule_sets``).

    Returns
    -------
    CensoringRules
        The validated, immutable rules.

    Raises
    ------
    RuleError
        On a malformed file, a duplicate set or rule name, a citation that is not listed,
        endpoints other than ``OS`` or ``PFS, TTP, DOR``, a condition or date the endpoints
        cannot speak of, an event not dated by the event, an unknown ``only_with`` option or
        description placeholder, or a set whose last rule does not apply to every subject.
    """
    try:
        rules = CensoringRules.model_validate(raw)
    except ValidationError as exc:
        raise RuleError(f"PFS censoring rule data is malformed: {exc}") from exc
    set_names = [s.name for s in rules.rule_sets]
    if len(set(set_names)) != len(set_names):
        raise RuleError(f"censoring rules: duplicate rule set name in {set_names}")
    for rule_set in rules.rule_sets:
        if rule_set.citation not in rules.citations:
            raise RuleError(f"censoring rules {rule_set.name}: citation {rule_set.citation!r} "
                            f"is not one of {', '.join(rules.citations)}")
        names = [r.name for r in rule_set.rules]
        if len(set(names)) != len(names):
            raise RuleError(f"censoring rules {rule_set.name}: duplicate rule name in {names}")
        if rule_set.endpoints not in _VOCABULARY:
            raise RuleError(f"censoring rules {rule_set.name}: endpoints must be one of "
                            f"{list(_VOCABULARY)}")
        for rule in rule_set.rules:
            _check_rule(rule_set, rule, rules.citations)
        last = rule_set.rules[-1] if rule_set.rules else None
        if (last is None or last.when != ("always",) or last.unless or last.only_with
                or last.endpoints):
            raise RuleError(f"censoring rules {rule_set.name}: the last rule must apply to "
                            "every subject (when: [always], no unless/only_with/endpoints)")
    return rules


@cache
def load_censoring_rules() -> CensoringRules:
    """Load the shipped censoring rule file (cached; the result is immutable)."""
    text = (resources.files("oncotrial.rules").joinpath("data/tte_censoring.yaml")
            .read_text("utf-8"))
    raw = read_yaml(text)
    if not isinstance(raw, dict):
        raise RuleError("censoring rule data: top level must be a mapping")
    return validate_censoring_rules(raw)


def select_censoring_rules(
    name: str, *, endpoint: str, death_without_assessment: str = "fda"
) -> tuple[CensoringRuleSet, tuple[CensoringRule, ...]]:
    """The rule set *name* and its rules that apply to *endpoint* under the chosen option.

    Parameters
    ----------
    name
        A rule set of the shipped table: ``OS``, or a progression set ``FDA`` or ``EMA``.
    endpoint
        The endpoint the rules are for (``OS``, ``PFS``, ``TTP``, ``DOR``).
    death_without_assessment
        ``fda`` (FDA 2018 table: a death without an adequate assessment is censored) or
        ``event`` (the death is an event); rules tied to the other option are left out.

    Returns
    -------
    tuple of (CensoringRuleSet, tuple of CensoringRule)
        The set and its applicable rules in table order; the first rule that matches a
        subject decides.

    Raises
    ------
    RuleError
        For an unknown set name or option, or an endpoint the set does not cover.

    Examples
    --------
    The FDA 2018 endpoints guidance PFS table: no baseline assessment censors at the start,
    two or more missed assessments before the event censor at the last adequate one:

    >>> from oncotrial.rules.censoring import select_censoring_rules
    >>> rule_set, rules = select_censoring_rules("FDA", endpoint="PFS")
    >>> rule_set.citation, [r.name for r in rules][:3]
    ('FDA2018', ['censor_no_baseline', 'censor_missed_assessments', 'event'])
    """
    allowed = _OPTIONS["death_without_assessment"]
    if death_without_assessment not in allowed:
        raise RuleError(f"death_without_assessment={death_without_assessment!r}; allowed: "
                        + ", ".join(allowed))
    rule_set = load_censoring_rules().rule_set(name)
    if endpoint not in rule_set.endpoints:
        raise RuleError(f"censoring rules {name} do not cover endpoint={endpoint!r}; allowed: "
                        + ", ".join(rule_set.endpoints))
    chosen = tuple(
        r for r in rule_set.rules
        if rule_set.applies(r, endpoint)
        and r.only_with.get("death_without_assessment", death_without_assessment)
        == death_without_assessment
    )
    return rule_set, chosen
