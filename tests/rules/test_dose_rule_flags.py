"""Every flag a dose rule or the DLT definition reads can be recorded on the protocol's
adverse-event form; `protocol validate` lists the ones it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.protocol import load_protocol
from oncotrial.rules.dosing import find_flag_problems, load_dose_rules

LEADER = Path(__file__).parents[2] / "src/oncotrial/protocol/protocols/leader.yaml"


def _without(field: str) -> object:
    protocol = load_protocol()
    assert protocol.edc is not None
    forms = [f.model_copy(update={"fields": [x for x in f.fields if x.name != field]})
             if f.kind == "adverse_event" else f for f in protocol.edc.forms]
    return protocol.model_copy(update={"edc": protocol.edc.model_copy(update={"forms": forms})})


def test_the_shipped_protocol_records_every_flag() -> None:
    assert find_flag_problems(load_dose_rules(), load_protocol()) == []


@pytest.mark.parametrize(("field", "readers"), [
    ("intolerable", ["dose rule lenvatinib_hold_intolerable_grade_2"]),
    ("persists_despite_therapy", ["dose rule lenvatinib_hold_hypertension_grade_3_despite"]),
    ("fever", ["dose rule eribulin_reduce_neutropenia_with_fever_or_infection",
               "phase_ib.dlt.criteria neutropenia_g3_with_fever"]),
])
def test_a_flag_the_form_cannot_record_is_named(field: str, readers: list[str]) -> None:
    """Each rule or DLT clause reading the missing flag is named, once."""
    problems = find_flag_problems(load_dose_rules(), _without(field))  # type: ignore[arg-type]
    assert len(problems) == len(readers)
    for reader, problem in zip(readers, problems, strict=True):
        assert reader in problem
        assert f"reads the flag {field!r}" in problem


def test_a_protocol_without_an_edc_has_nothing_to_record() -> None:
    protocol = load_protocol().model_copy(update={"edc": None})
    assert find_flag_problems(load_dose_rules(), protocol) == []


def test_protocol_validate_lists_a_missing_flag_field(tmp_path: Path) -> None:
    text = LEADER.read_text(encoding="utf-8")
    broken = tmp_path / "leader.yaml"
    broken.write_text(text.replace("- {name: intolerable, label", "- {name: intolerabl, label"),
                      encoding="utf-8")
    result = CliRunner().invoke(app, ["protocol", "validate", str(broken)])
    assert result.exit_code == 1
    assert "1 problem(s)" in result.output
    assert "lenvatinib_hold_intolerable_grade_2 reads the flag 'intolerable'" in result.output
