"""The label statement table (rules/data/label_sentences.yaml): every statement of the HALAVEN
and LENVIMA labels that changes a dose is a tested rule, a protocol value or choice, or an
explained exception; every dose rule answers to a statement; every test it names exists."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from oncotrial._yaml import read_yaml
from oncotrial.protocol import Protocol
from oncotrial.rules.dosing import DoseState, decide_dose
from oncotrial.rules.dosing._rules import load_dose_rules
from oncotrial.types import DoseAction

from .conftest import read_reference_csv

TESTS = Path(__file__).resolve().parent
DECISIONS = {"rule", "protocol_parameter", "protocol_choice", "not_dose_engine", "unverified"}


def _statements() -> list[dict[str, Any]]:
    text = resources.files("oncotrial.rules").joinpath("data", "label_sentences.yaml").read_text(
        "utf-8"
    )
    statements: list[dict[str, Any]] = read_yaml(text)["statements"]
    return statements


def _test_functions(file: str) -> set[str]:
    tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_statement_is_decided_and_its_rules_and_tests_exist() -> None:
    table = load_dose_rules()
    names = {r.name for r in table.rules} | {r.name for r in table.schedule_rules}
    cases = {row["case"] for row in read_reference_csv("dosing_label_cases.csv")}
    problems = []
    for s in _statements():
        where = s["id"]
        if s["decision"] not in DECISIONS:
            problems.append(f"{where}: decision {s['decision']!r}")
        problems += [f"{where}: no rule {r}" for r in s.get("rules", []) if r not in names]
        for ref in s.get("tests", []):
            if "::" in ref:
                file, func = ref.split("::")
                if not (TESTS / file).is_file() or func not in _test_functions(file):
                    problems.append(f"{where}: no test {ref}")
            elif ref not in cases:
                problems.append(f"{where}: no case {ref} in dosing_label_cases.csv")
        if s["decision"] in {"rule", "protocol_parameter", "unverified"} and not s.get("tests"):
            problems.append(f"{where}: a {s['decision']} statement needs its tests")
        if s["decision"] in {"protocol_choice", "not_dose_engine", "unverified"} and not s.get(
            "note"
        ):
            problems.append(f"{where}: a {s['decision']} statement needs its reason (note)")
    assert problems == []


def test_every_dose_rule_answers_to_a_label_statement() -> None:
    table = load_dose_rules()
    covered = {r for s in _statements() for r in s.get("rules", [])}
    rules = {r.name for r in table.rules} | {r.name for r in table.schedule_rules}
    assert sorted(rules - covered) == []


def test_ids_are_unique_and_cover_both_labels() -> None:
    ids = [s["id"] for s in _statements()]
    assert len(ids) == len(set(ids))
    labels = {s["label"].split()[0] for s in _statements()}
    assert labels == {"HALAVEN", "LENVIMA"}


def _lenvatinib(leader: Protocol, term: str, grade: int, **ae: Any) -> Any:
    state = DoseState.model_validate(
        {"cycle": 2, "day": 5, "drugs": {"lenvatinib": {"level": 14}},
         "adverse_events": [{"term": term, "grade": grade, **ae}]}
    )
    return decide_dose(state, protocol=leader).drug("lenvatinib")


def test_hepatic_failure_discontinues(leader: Protocol) -> None:
    """LENVIMA Table 1: discontinue for hepatic failure (CTCAE v5.0 defines grades 3–5)."""
    d = _lenvatinib(leader, "Hepatic failure", 3)
    assert d.action is DoseAction.DISCONTINUE
    assert d.rules[0].name == "lenvatinib_discontinue_hepatic_failure"


@pytest.mark.parametrize(("grade", "action"), [(2, DoseAction.GIVE), (3, DoseAction.HOLD)])
def test_renal_impairment_grade_3_holds_grade_2_does_not(
    grade: int, action: DoseAction, leader: Protocol
) -> None:
    """LENVIMA Table 1: withhold for grade 3 or 4 renal failure or impairment."""
    d = _lenvatinib(leader, "Creatinine increased", grade, laboratory=True)
    assert d.action is action
    if action is DoseAction.HOLD:
        assert d.hold_rule == "lenvatinib_hold_renal_grade_3_4"


@pytest.mark.parametrize(("grade", "action"), [(3, DoseAction.HOLD), (4, DoseAction.DISCONTINUE)])
def test_nephrotic_syndrome_meanwhile_by_the_general_rules(
    grade: int, action: DoseAction, leader: Protocol
) -> None:
    assert _lenvatinib(leader, "Nephrotic syndrome", grade).action is action


@pytest.mark.parametrize(
    ("grade", "flags", "action"),
    [(2, [], DoseAction.GIVE), (2, ["intolerable"], DoseAction.HOLD), (3, [], DoseAction.HOLD)],
)
def test_rpls_meanwhile_by_the_general_rules(
    grade: int, flags: list[str], action: DoseAction, leader: Protocol
) -> None:
    term = "Reversible posterior leukoencephalopathy syndrome"
    assert _lenvatinib(leader, term, grade, flags=flags).action is action
