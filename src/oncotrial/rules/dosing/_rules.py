"""Typed model and loader of the dose-modification rule table (``data/dose_rules.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncotrial._yaml import read_yaml
from oncotrial.errors import RuleError
from oncotrial.protocol import Protocol
from oncotrial.rules.ae_terms import load_ctcae_terms
from oncotrial.types import DoseAction

__all__ = [
    "DoseRule",
    "DoseRuleTable",
    "EventCondition",
    "Flag",
    "MeasureCondition",
    "MissingCondition",
    "Resume",
    "ScheduleRule",
    "TermGroup",
    "check_rules_against_protocol",
    "find_flag_problems",
    "load_dose_rules",
]

Flag = Literal[
    "fever",
    "infection",
    "bleeding",
    "transfusion",
    "treatment_interruption",
    "persists_despite_therapy",
    "intolerable",
    "life_threatening",
]
Measure = Literal["urine_protein_g_24h", "qtc_ms", "qtc_increase_ms"]
Op = Literal[">", ">=", "<", "<="]
Stage = Literal["permanent_reduction", "go_no_go", "discontinue", "hold"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EventCondition(_Frozen):
    """Fires on a graded event (AE or graded lab) matching term/category/grade/flags."""

    kind: Literal["event"]
    terms: list[str] = Field(default_factory=list)
    groups: list[str] = Field(
        default_factory=list, description="Named term groups (term_groups), resolved at load."
    )
    exclude_terms: list[str] = Field(default_factory=list)
    category: Literal["hematologic", "non_hematologic", "any"] = "any"
    min_grade: int = Field(ge=0, le=5)
    max_grade: int = Field(default=5, ge=0, le=5)
    laboratory: bool | None = None
    requires: list[Flag] = Field(default_factory=list)
    lasting_more_than_param: str | None = None
    new_only: bool = False
    current_only: bool = False
    attributed_only: bool = Field(
        default=False, description="Only events reported as attributed to the rule's drug."
    )


class MeasureCondition(_Frozen):
    """Fires when a measurement compares true with a protocol parameter."""

    kind: Literal["measure"]
    measure: Measure
    op: Op
    param: str


class MissingCondition(_Frozen):
    """Fires when none of the day's values grades one of *terms* (a required test is missing)."""

    kind: Literal["missing"]
    terms: list[str] = Field(min_length=1)


Condition = Annotated[
    EventCondition | MeasureCondition | MissingCondition, Field(discriminator="kind")
]


class Resume(_Frozen):
    """When a held drug may restart: a grade ceiling over terms, or a measurement comparison."""

    max_grade: int | None = Field(default=None, ge=0, le=4)
    terms: list[str] = Field(default_factory=list)
    measure: Measure | None = None
    op: Op | None = None
    param: str | None = None


class TermGroup(_Frozen):
    """A kind of event a label names ("gastrointestinal perforation"): the CTCAE v5.0 terms of
    the given system organ classes whose name contains one of the words, plus listed terms."""

    socs: list[str] = Field(default_factory=list)
    name_contains: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    source: str

    def resolve(self) -> list[str]:
        """The CTCAE v5.0 terms of the group, in term-table order."""
        words = [w.lower() for w in self.name_contains]
        found = [
            t.term
            for t in load_ctcae_terms().values()
            if words
            and (not self.socs or t.soc in self.socs)
            and any(w in t.term.lower() for w in words)
        ]
        return list(dict.fromkeys([*found, *self.terms]))


class DoseRule(_Frozen):
    """One named rule: any of its conditions fires it; it carries its source wording."""

    name: str
    drug: str
    stage: Stage
    conditions: list[Condition] = Field(min_length=1)
    action: DoseAction
    resume: Resume | None = None
    wording: str
    citation: str


class ScheduleRule(_Frozen):
    """A procedural rule of the schedule (delay, omit, resume, discontinue below the ladder)."""

    name: str
    drug: str
    param: str | None = None
    wording: str
    citation: str


class DoseRuleTable(_Frozen):
    """The versioned rule table."""

    version: str
    citations: dict[str, str]
    schedule_rules: list[ScheduleRule]
    measurement_attribution: dict[str, list[str]]
    hematologic_terms: list[str]
    term_groups: dict[str, TermGroup] = Field(default_factory=dict)
    rules: list[DoseRule]

    def schedule_rule(self, name: str) -> ScheduleRule:
        """The procedural rule called *name*."""
        for rule in self.schedule_rules:
            if rule.name == name:
                return rule
        raise RuleError(f"dose_rules.yaml has no schedule rule {name!r}")

    def rule(self, name: str) -> DoseRule:
        """The dose rule called *name*."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules)
        raise RuleError(f"no dose rule {name!r} (known: {known})")

    def for_drug(self, drug: str, stage: Stage) -> list[DoseRule]:
        """Rules of one drug and stage, in table order."""
        return [r for r in self.rules if r.drug == drug and r.stage == stage]


def _named_terms(rule: DoseRule) -> list[str]:
    terms = [
        t
        for c in rule.conditions
        if isinstance(c, EventCondition)
        for t in (*c.terms, *c.exclude_terms)
    ]
    return terms + ([] if rule.resume is None else list(rule.resume.terms))


def _check_terms(table: DoseRuleTable) -> list[str]:
    known = load_ctcae_terms()
    problems = [
        f"rule {rule.name}: {term!r} is not a CTCAE v5.0 term"
        for rule in table.rules
        for term in _named_terms(rule)
        if term not in known
    ]
    problems += [
        f"hematologic_terms: {term!r} is not a CTCAE v5.0 term"
        for term in table.hematologic_terms
        if term not in known
    ]
    for name, group in table.term_groups.items():
        socs = {t.soc for t in known.values()}
        problems += [f"term_groups.{name}: no system organ class {s!r}" for s in group.socs
                     if s not in socs]
        problems += [f"term_groups.{name}: {t!r} is not a CTCAE v5.0 term" for t in group.terms
                     if t not in known]
        if not group.resolve():
            problems.append(f"term_groups.{name}: matches no CTCAE v5.0 term")
    for rule in table.rules:
        for c in rule.conditions:
            if isinstance(c, EventCondition):
                problems += [f"rule {rule.name}: no term group {g!r}" for g in c.groups
                             if g not in table.term_groups]
    return problems


def _expand_groups(table: DoseRuleTable) -> DoseRuleTable:
    """The table with every condition's groups added to its terms (groups stay for display)."""

    def expand(c: Condition) -> Condition:
        if not isinstance(c, EventCondition) or not c.groups:
            return c
        grouped = [t for g in c.groups for t in table.term_groups[g].resolve()]
        return c.model_copy(update={"terms": list(dict.fromkeys([*c.terms, *grouped]))})

    rules = [r.model_copy(update={"conditions": [expand(c) for c in r.conditions]})
             for r in table.rules]
    return table.model_copy(update={"rules": rules})


def _check_table(table: DoseRuleTable) -> list[str]:
    problems: list[str] = _check_terms(table)
    seen: set[str] = set()
    for i, rule in enumerate(table.rules):
        where = f"rules[{i}] ({rule.name})"
        if rule.name in seen:
            problems.append(f"{where}: duplicate rule name")
        seen.add(rule.name)
        if rule.citation.split()[0] not in table.citations:
            problems.append(f"{where}: citation {rule.citation!r} names no entry of citations")
        if rule.stage == "hold" and rule.resume is None:
            problems.append(f"{where}: a hold rule needs a resume condition")
        if rule.resume is not None:
            has_grade = rule.resume.max_grade is not None
            has_measure = None not in (rule.resume.measure, rule.resume.op, rule.resume.param)
            if has_grade == has_measure:
                problems.append(f"{where}: resume needs either max_grade or measure/op/param")
    return problems


@cache
def load_dose_rules() -> DoseRuleTable:
    """Load and check the shipped rule table (cached; the table is immutable)."""
    text = resources.files("oncotrial.rules").joinpath("data", "dose_rules.yaml").read_text("utf-8")
    try:
        table = DoseRuleTable.model_validate(read_yaml(text))
    except ValidationError as exc:
        raise RuleError(f"dose_rules.yaml is invalid:\n{exc}") from exc
    problems = _check_table(table)
    if problems:
        raise RuleError("dose_rules.yaml is invalid:\n" + "\n".join(problems))
    return _expand_groups(table)


def _params_of(rule: DoseRule) -> list[str]:
    params = [c.param for c in rule.conditions if isinstance(c, MeasureCondition)]
    params += [
        c.lasting_more_than_param
        for c in rule.conditions
        if isinstance(c, EventCondition) and c.lasting_more_than_param
    ]
    if rule.resume is not None and rule.resume.param:
        params.append(rule.resume.param)
    return params


def _schedule_params(table: DoseRuleTable, drugs: set[str]) -> list[tuple[str, str]]:
    return [
        (rule.name, rule.param)
        for rule in table.schedule_rules
        if rule.param and rule.drug in drugs
    ]


def find_flag_problems(table: DoseRuleTable, protocol: Protocol) -> list[str]:
    """Flags a rule of the protocol's drugs or its DLT definition reads that the site cannot
    record: no boolean field of that name on the protocol's adverse-event form.

    Parameters
    ----------
    table
        The dose rules (:func:`load_dose_rules`).
    protocol
        The trial protocol, with its DLT definition and EDC forms.

    Returns
    -------
    list of str
        One ``"location: problem"`` line per missing flag; empty when the protocol has no
        adverse-event form (no EDC) or every flag can be entered.
    """
    forms = [f for f in (protocol.edc.forms if protocol.edc else []) if f.kind == "adverse_event"]
    if not forms:
        return []
    fields = {f.name for form in forms for f in form.fields if f.type == "boolean"}
    drugs = {d.name for d in protocol.drugs}
    needed = [(f"dose rule {rule.name}", flag) for rule in table.rules if rule.drug in drugs
              for condition in rule.conditions for flag in getattr(condition, "requires", [])]
    needed += [(f"phase_ib.dlt.criteria {c.name}", flag)
               for c in protocol.phase_ib.dlt.criteria for flag in c.requires]
    return [f"edc.forms[{forms[0].id}]: {where} reads the flag {flag!r}, which the form does "
            f"not record (add a boolean field {flag})"
            for where, flag in dict.fromkeys(needed) if flag not in fields]


def check_rules_against_protocol(table: DoseRuleTable, protocol: Protocol) -> None:
    """Raise :class:`RuleError` if a rule names a drug or parameter the protocol lacks."""
    drugs = {d.name for d in protocol.drugs}
    problems = [
        f"rule {rule.name}: protocol {protocol.id} has no dose_modification.{param}"
        for rule in table.rules
        if rule.drug in drugs
        for param in _params_of(rule)
        if param not in protocol.dose_modification
    ]
    problems += [
        f"rule {name}: protocol {protocol.id} has no dose_modification.{param}"
        for name, param in _schedule_params(table, drugs)
        if param not in protocol.dose_modification
    ]
    if problems:
        raise RuleError("\n".join(problems))
