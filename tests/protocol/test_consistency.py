"""A protocol says some things twice (the population summary and the eligibility criteria; the
RECIST imaging interval, the schedule and the EDC's imaging visits): both places must agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncotrial.protocol import read_protocol_problems

LEADER = Path(__file__).resolve().parents[2] / "src/oncotrial/protocol/protocols/leader.yaml"


def _problems(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> list[str]:
    raw = yaml.safe_load(LEADER.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return read_protocol_problems(path)[1]


def _criterion(raw: dict[str, Any], field: str) -> dict[str, Any]:
    return next(c for c in raw["eligibility"] if c.get("field") == field)


def _imaging(raw: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in raw["schedule"] if "imaging" in a["name"].lower()
                and a.get("every_days"))


def _edc_imaging(raw: dict[str, Any]) -> dict[str, Any]:
    return next(v for v in raw["edc"]["visits"] if v["kind"] == "imaging")


def test_the_shipped_protocol_agrees_with_itself(tmp_path: Path) -> None:
    assert _problems(tmp_path, lambda raw: None) == []


def test_a_prior_lines_criterion_stricter_than_the_population_is_named(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["population"]["max_prior_systemic_lines"] = 3  # INC-03 still says <= 2

    assert _problems(tmp_path, change) == [
        ("population.max_prior_systemic_lines: 3 but eligibility[2] (INC-03) says "
        "prior_systemic_lines <= 2")]


def test_the_same_limit_written_with_a_strict_operator_agrees(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        crit = _criterion(raw, "prior_systemic_lines")
        crit["op"], crit["value"] = "<", 3  # < 3 is <= 2

    assert _problems(tmp_path, change) == []


def test_age_and_histology_must_match_their_criteria(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        _criterion(raw, "age_years")["value"] = 18
        _criterion(raw, "histology")["value"] = ["LMS"]

    problems = _problems(tmp_path, change)
    assert any(p.startswith("population.min_age_years: 20 but eligibility[1] (INC-02)")
               for p in problems)
    assert any(p.startswith("population.histologies: ['LMS', 'LPS'] but eligibility[0]")
               for p in problems)


@pytest.mark.parametrize(("where", "expected"), [
    ("schedule", "schedule[{i}].every_days: 56 but recist.imaging_interval_days is 42"),
    ("edc", "edc.visits[{i}].every_days: 56 but recist.imaging_interval_days is 42"),
])
def test_an_imaging_interval_that_differs_from_recist_is_named(
        tmp_path: Path, where: str, expected: str) -> None:
    def change(raw: dict[str, Any]) -> None:
        (_imaging(raw) if where == "schedule" else _edc_imaging(raw))["every_days"] = 56

    raw = yaml.safe_load(LEADER.read_text(encoding="utf-8"))
    items = raw["schedule"] if where == "schedule" else raw["edc"]["visits"]
    target = _imaging(raw) if where == "schedule" else _edc_imaging(raw)
    i = items.index(target)
    problems = _problems(tmp_path, change)
    assert len(problems) == 1
    assert problems[0].startswith(expected.format(i=i))


def test_changing_all_three_imaging_places_together_is_consistent(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["recist"]["imaging_interval_days"] = 56
        _imaging(raw)["every_days"] = 56
        _edc_imaging(raw)["every_days"] = 56

    assert _problems(tmp_path, change) == []


def test_an_unregistered_trial_has_no_nct_id_and_no_ts_regid(tmp_path: Path) -> None:
    """Before registration the protocol leaves nct_id out; TS then has no REGID row (a
    made-up number would be worse), and a malformed number is still refused."""
    from oncotrial.cdisc.sdtm.trial_design import _ts
    from oncotrial.protocol import load_protocol

    assert _problems(tmp_path, lambda raw: raw.pop("nct_id")) == []
    bad = _problems(tmp_path, lambda raw: raw.update(nct_id="NCT123"))
    assert any(p.startswith("nct_id") for p in bad)
    registered = load_protocol()
    unregistered = registered.model_copy(update={"nct_id": ""})
    assert "REGID" in set(_ts(registered, "LEADER", "2018-06-01")["TSPARMCD"])
    assert "REGID" not in set(_ts(unregistered, "LEADER", "2018-06-01")["TSPARMCD"])
