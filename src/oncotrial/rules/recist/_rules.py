"""Load and check the RECIST 1.1 rule data (``data/recist_1_1.yaml``).

The file holds thresholds, ordered first-match rule lists and the overall timepoint response
tables (RECIST 1.1 Tables 1 and 2). Loading checks that every rule name is one the engine knows,
that thresholds are sane, and that the timepoint table has no gap: every combination of target,
non-target and new-lesion categories is matched by some row.
"""

from __future__ import annotations

import itertools
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncotrial._yaml import read_yaml
from oncotrial.errors import RuleError

__all__ = [
    "BOR_RULE_NAMES",
    "CBOR_RULE_NAMES",
    "IBOR_RULE_NAMES",
    "ICBOR_RULE_NAMES",
    "NEW_CATEGORIES",
    "NEW_LESION_RULE_NAMES",
    "NONTARGET_CATEGORIES",
    "NONTARGET_RULE_NAMES",
    "TARGET_CATEGORIES",
    "TARGET_RULE_NAMES",
    "NamedRule",
    "OverallRule",
    "PreprocessingStep",
    "RecistRules",
    "Threshold",
    "load_recist_rules",
]

TARGET_CATEGORIES = ("CR", "PR", "SD", "PD", "NE", "NONE")
NONTARGET_CATEGORIES = ("CR", "NON-CR/NON-PD", "PD", "NE", "NONE")
NEW_CATEGORIES = ("Y", "N")
OVERALL_CATEGORIES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
BEST_CATEGORIES = (*OVERALL_CATEGORIES, "MISSING")
IRECIST_BEST_CATEGORIES = ("iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iUPD", "iCPD", "NE",
                           "MISSING")

# The predicates the engine implements, by name; the data file orders them.
TARGET_RULE_NAMES = frozenset(
    {
        "target_none_at_baseline",
        "target_ne_no_baseline_sum",
        "target_pd_sum_increase",
        "target_ne_not_all_assessed",
        "target_cr_all_gone",
        "target_pr_30pct_decrease",
        "target_sd",
    }
)
NONTARGET_RULE_NAMES = frozenset(
    {
        "nontarget_none_at_baseline",
        "nontarget_pd_unequivocal",
        "nontarget_ne_not_all_assessed",
        "nontarget_cr_all_absent",
        "nontarget_non_cr_non_pd",
    }
)
NEW_LESION_RULE_NAMES = frozenset(
    {
        "new_lesion_unequivocal",
        "new_lesion_equivocal_confirmed_later",
        "new_lesion_equivocal_unconfirmed",
        "new_lesion_none",
    }
)
PREPROCESSING_NAMES = (
    "exclude_before_reference",
    "worst_of_day",
    "cr_followed_by_worse_is_pd",
    "cut_after_first_pd",
)
BOR_RULE_NAMES = frozenset(
    {
        "bor_cr",
        "bor_pr",
        "bor_sd_min_duration",
        "bor_non_cr_non_pd_min_duration",
        "bor_pd",
        "bor_ne",
        "bor_missing",
    }
)
CBOR_RULE_NAMES = frozenset(
    {
        "cbor_confirmed_cr",
        "cbor_confirmed_pr",
        "cbor_sd_min_duration",
        "cbor_non_cr_non_pd_min_duration",
        "cbor_pd",
        "cbor_ne",
        "cbor_missing",
    }
)
_IRECIST_TAIL = ("ibor_isd", "ibor_non_icriupd", "ibor_icpd", "ibor_iupd", "ibor_ne",
                 "no_data_missing")
IBOR_RULE_NAMES = frozenset({"ibor_icr", "ibor_ipr", *_IRECIST_TAIL})
ICBOR_RULE_NAMES = frozenset({"icbor_icr", "icbor_ipr", *_IRECIST_TAIL})
THRESHOLD_NAMES = frozenset(
    {
        "measurable_min_mm",
        "node_target_min_mm",
        "node_pathological_min_mm",
        "node_cr_below_mm",
        "pr_decrease_fraction",
        "pd_increase_fraction",
        "pd_min_absolute_increase_mm",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Frozen):
    """One numeric cut-point with its comparison, source wording and citation."""

    value: float = Field(gt=0)
    comparison: Literal[">=", "<", ">", "<="]
    text: str
    citation: str


class NamedRule(_Frozen):
    """One entry of an ordered first-match rule list."""

    name: str
    outcome: str
    text: str = ""
    citation: str


class OverallRule(_Frozen):
    """One row of the overall timepoint response table (RECIST 1.1 Tables 1 and 2)."""

    name: str
    target: tuple[str, ...]
    nontarget: tuple[str, ...]
    new: tuple[str, ...]
    outcome: str
    citation: str

    def matches(self, target: str, nontarget: str, new: str) -> bool:
        """True when this row covers the combination."""
        return (
            ("ANY" in self.target or target in self.target)
            and ("ANY" in self.nontarget or nontarget in self.nontarget)
            and ("ANY" in self.new or new in self.new)
        )


class PreprocessingStep(_Frozen):
    """One named pre-processing step of the best-overall-response derivation."""

    name: str
    text: str
    citation: str


class RecistRules(_Frozen):
    """The whole RECIST 1.1 rule file, validated."""

    standard: str
    version: int
    source: str
    thresholds: dict[str, Threshold]
    target_rules: tuple[NamedRule, ...]
    nontarget_rules: tuple[NamedRule, ...]
    new_lesion_rules: tuple[NamedRule, ...]
    overall_rules: tuple[OverallRule, ...]
    bor_preprocessing: tuple[PreprocessingStep, ...]
    bor_rules: tuple[NamedRule, ...]
    cbor_rules: tuple[NamedRule, ...]
    ibor_rules: tuple[NamedRule, ...]
    icbor_rules: tuple[NamedRule, ...]

    def threshold(self, name: str) -> float:
        """The value of threshold *name*."""
        return self.thresholds[name].value

    def overall_table(self) -> dict[tuple[str, str, str], tuple[str, str]]:
        """Every (target, non-target, new) combination → (overall response, rule name)."""
        table: dict[tuple[str, str, str], tuple[str, str]] = {}
        for combo in itertools.product(TARGET_CATEGORIES, NONTARGET_CATEGORIES, NEW_CATEGORIES):
            row = next(r for r in self.overall_rules if r.matches(*combo))
            table[combo] = (row.outcome, row.name)
        return table


def _check_names(kind: str, rules: tuple[Any, ...], known: frozenset[str]) -> None:
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise RuleError(f"RECIST rule data: duplicate rule name in {kind}: {names}")
    if set(names) != known:
        raise RuleError(
            f"RECIST rule data: {kind} must name exactly {sorted(known)}; "
            f"missing {sorted(known - set(names))}, unknown {sorted(set(names) - known)}"
        )


def _check_outcomes(kind: str, rules: tuple[NamedRule, ...], allowed: tuple[str, ...]) -> None:
    for rule in rules:
        if rule.outcome not in allowed:
            raise RuleError(
                f"RECIST rule data: {kind} rule {rule.name} has outcome {rule.outcome!r}; "
                f"allowed: {', '.join(allowed)}"
            )


def _check_overall(rules: RecistRules) -> None:
    for row in rules.overall_rules:
        for column, allowed in (
            ("target", TARGET_CATEGORIES),
            ("nontarget", NONTARGET_CATEGORIES),
            ("new", NEW_CATEGORIES),
        ):
            values = getattr(row, column)
            bad = [v for v in values if v != "ANY" and v not in allowed]
            if bad:
                raise RuleError(
                    f"RECIST rule data: overall rule {row.name} column {column} has {bad}; "
                    f"allowed: ANY, {', '.join(allowed)}"
                )
        if row.outcome not in OVERALL_CATEGORIES:
            raise RuleError(f"RECIST rule data: overall rule {row.name} outcome {row.outcome!r}")
    gaps = [
        combo
        for combo in itertools.product(TARGET_CATEGORIES, NONTARGET_CATEGORIES, NEW_CATEGORIES)
        if not any(r.matches(*combo) for r in rules.overall_rules)
    ]
    if gaps:
        raise RuleError(f"RECIST rule data: overall timepoint table has gaps: {gaps}")


def validate_recist_rules(raw: dict[str, Any]) -> RecistRules:
    """Validate a parsed rule file; raise :class:`RuleError` naming the first problem."""
    try:
        rules = RecistRules.model_validate(raw)
    except ValidationError as exc:
        raise RuleError(f"RECIST rule data is malformed: {exc}") from exc
    if set(rules.thresholds) != THRESHOLD_NAMES:
        raise RuleError(
            f"RECIST rule data: thresholds must be exactly {sorted(THRESHOLD_NAMES)}, "
            f"got {sorted(rules.thresholds)}"
        )
    for name in ("pr_decrease_fraction", "pd_increase_fraction"):
        if not rules.threshold(name) < 1:
            raise RuleError(f"RECIST rule data: {name} must be a fraction below 1")
    _check_names("target_rules", rules.target_rules, TARGET_RULE_NAMES)
    _check_names("nontarget_rules", rules.nontarget_rules, NONTARGET_RULE_NAMES)
    _check_names("new_lesion_rules", rules.new_lesion_rules, NEW_LESION_RULE_NAMES)
    _check_names("bor_rules", rules.bor_rules, BOR_RULE_NAMES)
    _check_names("cbor_rules", rules.cbor_rules, CBOR_RULE_NAMES)
    _check_names("ibor_rules", rules.ibor_rules, IBOR_RULE_NAMES)
    _check_names("icbor_rules", rules.icbor_rules, ICBOR_RULE_NAMES)
    if tuple(step.name for step in rules.bor_preprocessing) != PREPROCESSING_NAMES:
        raise RuleError(f"RECIST rule data: bor_preprocessing must be {PREPROCESSING_NAMES}")
    _check_outcomes("target", rules.target_rules, TARGET_CATEGORIES)
    _check_outcomes("nontarget", rules.nontarget_rules, NONTARGET_CATEGORIES)
    _check_outcomes("new lesion", rules.new_lesion_rules, NEW_CATEGORIES)
    _check_outcomes("bor", rules.bor_rules, BEST_CATEGORIES)
    _check_outcomes("cbor", rules.cbor_rules, BEST_CATEGORIES)
    _check_outcomes("ibor", rules.ibor_rules, IRECIST_BEST_CATEGORIES)
    _check_outcomes("icbor", rules.icbor_rules, IRECIST_BEST_CATEGORIES)
    _check_overall(rules)
    return rules


@cache
def load_recist_rules() -> RecistRules:
    """Load the shipped RECIST 1.1 rule file (cached; the result is immutable)."""
    text = resources.files("oncotrial.rules").joinpath("data/recist_1_1.yaml").read_text("utf-8")
    raw = read_yaml(text)
    if not isinstance(raw, dict):
        raise RuleError("RECIST rule data: top level must be a mapping")
    return validate_recist_rules(raw)
