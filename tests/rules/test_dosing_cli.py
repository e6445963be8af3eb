"""`oncotrial dose decide` prints the decision as JSON; `oncotrial dose schema` documents STATE."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from oncotrial.cli import app

STATE = {
    "subject": "01-003",
    "cycle": 2,
    "day": 8,
    "height_cm": 170,
    "weight_kg": 70,
    "drugs": {"eribulin": {"level": 1.1}, "lenvatinib": {"level": 14}},
    "labs": [
        {"term": "Neutrophil count decreased", "value": 990, "unit": "/mm3"},
        {"term": "Platelet count decreased", "value": 150, "unit": "10^9/L"},
    ],
    "adverse_events": [{"term": "Diarrhea", "grade": 3, "attributed_to": ["lenvatinib"]}],
}


def test_decide_prints_json(tmp_path: Path) -> None:
    """ANC 990/mm3 on day 8 holds eribulin (HALAVEN §2.2); G3 diarrhoea holds lenvatinib."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    result = CliRunner().invoke(app, ["dose", "decide", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    actions = {d["drug"]: (d["action"], d["rules"][0]["name"]) for d in out["drugs"]}
    assert actions == {
        "eribulin": ("hold", "eribulin_hold_anc_below_1.0"),
        "lenvatinib": ("hold", "lenvatinib_hold_other_grade_3"),
    }


def test_decide_rejects_bad_state(tmp_path: Path) -> None:
    """A state with an unknown key fails with exit code 1 and names the field."""
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE | {"dose": 3}), encoding="utf-8")
    result = CliRunner().invoke(app, ["dose", "decide", str(path)])
    assert result.exit_code == 1
    assert "dose" in str(result.exception)


def test_schema_is_json_schema() -> None:
    """The schema names the state's fields and the nested models."""
    result = CliRunner().invoke(app, ["dose", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"cycle", "day", "drugs", "labs", "adverse_events"} <= set(schema["properties"])
    assert "LabValue" in schema["$defs"]


def test_state_names_its_protocol_file(tmp_path: Path) -> None:
    """A relative `protocol` path in STATE is read beside the state file and its values apply."""
    import yaml

    leader = Path(__file__).resolve().parents[2] / "src/oncotrial/protocol/protocols/leader.yaml"
    raw = yaml.safe_load(leader.read_text(encoding="utf-8"))
    raw["dose_modification"]["lenvatinib_proteinuria_hold_g_24h"]["value"] = 3.0
    (tmp_path / "custom.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    state = {
        "protocol": "custom.yaml",
        "cycle": 1,
        "day": 5,
        "drugs": {"lenvatinib": {"level": 18}},
        "measurements": {"urine_protein_g_24h": 2.5},
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    result = CliRunner().invoke(app, ["dose", "decide", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["drugs"][0]["action"] == "give"


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_decides_one_line_per_state_in_order(tmp_path: Path) -> None:
    """A .jsonl file gives one decision per line, in input order, each equal to the decision
    of the same state given alone."""
    labs = [{"term": "Neutrophil count decreased", "value": 1800, "unit": "/mm3"},
            {"term": "Platelet count decreased", "value": 150, "unit": "10^9/L"}]
    other = STATE | {"subject": "01-007", "cycle": 3, "day": 1, "labs": labs,
                     "adverse_events": []}
    batch = _jsonl(tmp_path / "states.jsonl", [json.dumps(STATE), "", json.dumps(other)])
    result = CliRunner().invoke(app, ["dose", "decide", str(batch)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["subject"] for d in lines] == ["01-003", "01-007"]
    single = tmp_path / "one.json"
    single.write_text(json.dumps(other), encoding="utf-8")
    alone = CliRunner().invoke(app, ["dose", "decide", str(single)])
    assert json.loads(alone.stdout) == lines[1]
    assert {d["drug"]: d["action"] for d in lines[1]["drugs"]} == {
        "eribulin": "give", "lenvatinib": "give"}


def test_batch_reports_bad_lines_with_line_subject_and_visit(tmp_path: Path) -> None:
    """Bad lines become {"line": N, "error": ...} naming the field, value, subject and visit;
    good lines are still decided; --strict stops with exit 1 and writes nothing."""
    batch = _jsonl(tmp_path / "states.jsonl", [
        json.dumps(STATE),
        "{not json",
        json.dumps(STATE | {"weight_kg": "heavy"}),
        json.dumps(STATE | {"day": 30}),
    ])
    result = CliRunner().invoke(app, ["dose", "decide", str(batch)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert "drugs" in out[0]
    assert out[1] == {"line": 2, "error": out[1]["error"]}
    assert "not valid JSON" in out[1]["error"]
    assert out[2]["line"] == 3
    assert "subject 01-003, visit cycle 2 day 8" in out[2]["error"]
    assert "weight_kg" in out[2]["error"]
    assert "'heavy'" in out[2]["error"]
    assert out[3]["line"] == 4
    assert "day=30" in out[3]["error"]
    assert "1–21" in out[3]["error"]
    assert "line 2:" in result.stderr
    assert "line 4:" in result.stderr
    target = tmp_path / "decisions.jsonl"
    strict = CliRunner().invoke(app, ["dose", "decide", str(batch), "--strict", "--out",
                                      str(target)])
    assert strict.exit_code == 1
    assert "line 2" in str(strict.exception)
    assert not target.exists()


def test_batch_from_stdin(tmp_path: Path) -> None:
    """`-` reads JSON lines from standard input."""
    result = CliRunner().invoke(app, ["dose", "decide", "-"], input=json.dumps(STATE) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["subject"] == "01-003"


def test_missing_state_file_is_named(tmp_path: Path) -> None:
    """A missing file is a clear error with the allowed inputs, exit code 1."""
    result = CliRunner().invoke(app, ["dose", "decide", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "state file not found" in str(result.exception)
