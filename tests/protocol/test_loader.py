"""The LEADER protocol loads, and a protocol with errors is rejected with located messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import ProtocolError
from oncotrial.protocol import CohortAction, load_protocol, read_protocol_problems
from oncotrial.protocol.loader import format_location


@pytest.fixture
def leader_raw() -> dict[str, Any]:
    """The shipped LEADER protocol as a plain mapping, to mutate into broken variants."""
    path = Path(__file__).resolve().parents[2] / "src/oncotrial/protocol/protocols/leader.yaml"
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw


def _write(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_leader_matches_published_design() -> None:
    """The shipped protocol carries the published LEADER facts (CCR 2022; NCT03526679)."""
    p = load_protocol()
    assert p.nct_id == "NCT03526679"
    assert p.cycle_length_days == 21
    assert p.drug("lenvatinib").dose_levels == [18, 14, 10, 8]
    assert p.drug("lenvatinib").starting_level == 18
    assert p.drug("eribulin").dose_levels == [1.1, 0.7]
    assert p.drug("eribulin").days == [1, 8]
    assert p.drug("eribulin").unit == "mg/m2"
    assert p.regimen(p.phase_ib.start_regimen).doses == {"lenvatinib": 18, "eribulin": 1.1}
    assert p.regimen(p.phase_ii.rp2d_regimen).doses == {"lenvatinib": 14, "eribulin": 1.1}
    assert p.phase_ib.dlt_window_days == 21
    assert p.recist.confirmation_interval_days == 28
    assert sorted(p.population.histologies) == ["LMS", "LPS"]


def test_every_unsettled_section_has_a_source_note() -> None:
    """Each section that holds assumptions says where its values come from."""
    p = load_protocol()
    notes = [p.bsa.source, p.recist.source, p.phase_ib.source, p.phase_ii.design.source]
    notes += [d.source for d in p.drugs] + [c.source for c in p.eligibility]
    notes += [v.source for v in p.dose_modification.values()]
    assert all(note.strip() for note in notes)


def test_protocol_is_frozen() -> None:
    """A loaded protocol cannot be changed in place."""
    p = load_protocol()
    with pytest.raises(ValueError, match="frozen"):
        p.cycle_length_days = 28  # type: ignore[misc]


def test_ladder_that_rises_is_rejected_with_location(
    tmp_path: Path, leader_raw: dict[str, Any]
) -> None:
    """A dose ladder that does not descend names drug index, level index and both values."""
    leader_raw["drugs"][1]["dose_levels"] = [1.1, 0.9, 0.9]
    with pytest.raises(ProtocolError) as info:
        load_protocol(_write(tmp_path, leader_raw))
    assert "drugs[1].dose_levels[2]: must be lower than the level above (0.9 ≥ 0.9)" in str(
        info.value
    )


def test_every_problem_is_reported(tmp_path: Path, leader_raw: dict[str, Any]) -> None:
    """Several cross-field problems are all listed, not just the first."""
    leader_raw["drugs"][0]["starting_level"] = 20
    leader_raw["drugs"][1]["days"] = [1, 22]
    leader_raw["phase_ii"]["rp2d_regimen"] = "L99"
    leader_raw["phase_ib"]["cohort_rules"].pop()
    _, problems = read_protocol_problems(_write(tmp_path, leader_raw))
    text = "\n".join(problems)
    assert "drugs[0].starting_level: 20 is not a dose level" in text
    assert "drugs[1].days[1]: day 22 is outside the cycle (allowed 1–21)" in text
    assert "phase_ii.rp2d_regimen: unknown regimen 'L99'" in text
    assert "no rule for 0 DLT(s) among 6 evaluable" in text


def test_structural_error_has_location(tmp_path: Path, leader_raw: dict[str, Any]) -> None:
    """A wrong type or unknown key is reported at its path."""
    leader_raw["drugs"][0]["route"] = "intrathecal"
    leader_raw["recist"]["confirmation_intervall_days"] = 28
    _, problems = read_protocol_problems(_write(tmp_path, leader_raw))
    assert any(p.startswith("drugs[0].route:") for p in problems)
    assert any(p.startswith("recist.confirmation_intervall_days:") for p in problems)


def test_regimen_dose_off_ladder(tmp_path: Path, leader_raw: dict[str, Any]) -> None:
    """A regimen dose that is not on the drug's ladder is named with the allowed levels."""
    leader_raw["phase_ib"]["regimens"][1]["doses"]["lenvatinib"] = 12
    _, problems = read_protocol_problems(_write(tmp_path, leader_raw))
    expected = (
        "phase_ib.regimens[1].doses.lenvatinib: 12 is not a dose level (allowed: 18, 14, 10, 8)"
    )
    assert expected in problems


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    """A missing or unparsable file raises ProtocolError naming the file."""
    with pytest.raises(ProtocolError, match="not found"):
        load_protocol(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not valid YAML"):
        load_protocol(bad)


def test_format_location() -> None:
    """Pydantic locations render as dotted paths with list indices."""
    assert format_location(("drugs", 1, "dose_levels", 2)) == "drugs[1].dose_levels[2]"
    assert format_location(()) == "(protocol)"


def test_cohort_action_values() -> None:
    """Cohort actions use the agreed spellings."""
    assert {a.value for a in CohortAction} == {"continue", "expand", "de-escalate", "stop"}


def test_cli_validate_ok_and_failure(tmp_path: Path, leader_raw: dict[str, Any]) -> None:
    """`protocol validate` exits 0 on LEADER and 1 with located messages on a broken file."""
    runner = CliRunner()
    ok = runner.invoke(app, ["protocol", "validate"])
    assert ok.exit_code == 0, ok.output
    leader_raw["drugs"][1]["dose_levels"] = [1.1, 0.7, 0.9]
    bad = runner.invoke(app, ["protocol", "validate", str(_write(tmp_path, leader_raw))])
    assert bad.exit_code == 1
    assert "drugs[1].dose_levels[2]: must be lower than the level above (0.9 ≥ 0.7)" in bad.output


def test_cli_show_prints_schedule() -> None:
    """`protocol show` prints the drugs and the schedule of assessments."""
    result = CliRunner().invoke(app, ["protocol", "show"])
    assert result.exit_code == 0, result.output
    assert "Schedule of assessments" in result.output
    assert "18 → 14 → 10 → 8 → discontinue" in result.output


def test_structural_and_cross_field_problems_reported_together(
    tmp_path: Path, leader_raw: dict[str, Any]
) -> None:
    """A wrong type in one section does not hide a ladder problem in another."""
    leader_raw["recist"]["max_target_lesions"] = "five"
    leader_raw["drugs"][1]["dose_levels"] = [1.1, 1.4]
    _, problems = read_protocol_problems(_write(tmp_path, leader_raw))
    assert any(p.startswith("recist.max_target_lesions:") for p in problems)
    assert "drugs[1].dose_levels[1]: must be lower than the level above (1.4 ≥ 1.1)" in problems
