"""``oncotrial ctcae grade``: input columns kept, grade/rule/reason added, bad rows reported."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import DataError, RuleError
from oncotrial.rules.ctcae import grade_lab_rows

INPUT = """USUBJID,VISIT,term,value,unit,lln,uln,baseline,symptomatic
01-001,C1D1,Neutrophil count decreased,0.9,10^9/L,1.8,,,
01-001,C1D8,Alanine aminotransferase increased,130,U/L,,40,,
01-002,C1D1,Hypertension,165/95,mmHg,,,,
01-002,C1D1,Proteinuria,2+,dipstick,,,,
01-003,C1D1,Platelet count decreased,80,g/dL,150,,,
01-003,C1D8,Hyponatremia,,mmol/L,135,,,
01-004,C2D1,Hyponatremia,127,mEq/L,135,,,Y
01-004,C2D1,Creatinine increased,2.0,mg/dL,,1.2,0.6,
"""


def _write(tmp_path: Path, text: str = INPUT) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_output_keeps_columns_and_adds_grades(tmp_path: Path) -> None:
    """Every input column survives; grade, rule and reason are appended per row."""
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path))])
    assert result.exit_code == 0, result.output
    rows = _read(result.stdout)
    assert list(rows[0]) == [
        *["USUBJID", "VISIT", "term", "value", "unit", "lln", "uln", "baseline", "symptomatic"],
        "grade",
        "rule",
        "reason",
    ]
    assert [r["grade"] for r in rows] == ["3", "2", "3", "2", "", "", "3", "3"]
    assert [r["rule"] for r in rows][:4] == ["anc_g3", "alt_bn_g2", "htn_sbp_g3", "protdip_g2"]
    assert rows[0]["USUBJID"] == "01-001"
    assert rows[3]["value"] == "2+"


def test_bad_rows_report_row_number_and_do_not_stop_others(tmp_path: Path) -> None:
    """A wrong unit and a missing value are reported by row number; later rows are graded."""
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path))])
    assert result.exit_code == 0
    assert "row 5: Platelet count decreased: unit 'g/dL'" in result.stderr
    assert "allowed: 10^9/L" in result.stderr
    assert "row 6: " in result.stderr
    assert "value is missing" in result.stderr
    rows = _read(result.stdout)
    assert rows[4]["reason"].startswith("row 5:")
    assert rows[7]["grade"] == "3"


def test_strict_stops_at_first_bad_row_with_exit_1(tmp_path: Path) -> None:
    """With --strict the first bad row stops the run and the exit code is 1."""
    out = tmp_path / "graded.csv"
    result = CliRunner().invoke(
        app, ["ctcae", "grade", str(_write(tmp_path)), "--strict", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, RuleError)
    assert "row 5" in str(result.exception)
    assert not out.exists()


def test_out_writes_file(tmp_path: Path) -> None:
    """--out writes the graded CSV to the file and a summary to stderr."""
    out = tmp_path / "graded.csv"
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0
    assert "8 row(s) graded" in result.stderr
    assert "2 bad row(s)" in result.stderr
    assert len(_read(out.read_text(encoding="utf-8"))) == 8


def test_strict_with_clean_input_succeeds(tmp_path: Path) -> None:
    """--strict on input without bad rows grades everything and exits 0."""
    clean = "\n".join(line for i, line in enumerate(INPUT.splitlines()) if i not in {5, 6})
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path, clean)), "--strict"])
    assert result.exit_code == 0
    assert len(_read(result.stdout)) == 6


def test_missing_required_column_is_an_error_for_the_file(tmp_path: Path) -> None:
    """Without a unit column nothing can be graded: exit 1 naming the missing column."""
    text = "term,value\nNeutrophil count decreased,1.0\n"
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path, text))])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "lacks column(s) unit" in str(result.exception)


def test_result_column_clash_is_refused(tmp_path: Path) -> None:
    """An input that already has a 'grade' column is refused rather than overwritten."""
    text = "term,value,unit,grade\nAnemia,9,g/dL,2\n"
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path, text))])
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)
    assert "grade" in str(result.exception)


def test_missing_input_file_is_refused(tmp_path: Path) -> None:
    """A path that does not exist raises DataError naming the path."""
    result = CliRunner().invoke(app, ["ctcae", "grade", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "nope.csv" in str(result.exception)


@pytest.mark.parametrize(
    ("row", "grade"),
    [
        ({"term": "Proteinuria", "value": "negative", "unit": "dipstick"}, 0),
        ({"term": "Proteinuria", "value": "trace", "unit": "dipstick"}, 0),
        ({"term": "Proteinuria", "value": "3+", "unit": "+"}, 2),
        (
            {
                "term": "Hypertension",
                "value": "",
                "unit": "mmHg",
                "systolic": "120",
                "diastolic": "70",
            },
            1,
        ),
        ({"term": "Hypertension", "value": "145/85", "unit": "mm Hg", "previously_normal": "Y"}, 2),
        ({"term": "Hyponatremia", "value": "127", "unit": "mmol/L", "symptomatic": "no"}, 2),
    ],
    ids=["dip_negative", "dip_trace", "dip_3plus", "bp_columns", "bp_prev_wnl", "na_asymptomatic"],
)
def test_text_forms_are_parsed(row: dict[str, str], grade: int) -> None:
    """Dipstick words, 'SBP/DBP' readings and Y/N flags are read from text."""
    (result,) = grade_lab_rows([row])
    assert result.error is None
    assert result.grade is not None
    assert result.grade.grade == grade


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"term": "Hypertension", "value": "150", "unit": "mmHg"}, "systolic/diastolic"),
        ({"term": "Hypertension", "value": "150/90", "unit": "msec"}, "allowed: mmHg"),
        ({"term": "Hypertension", "value": "", "unit": "mmHg"}, "blood pressure is missing"),
        ({"term": "Anemia", "value": "abc", "unit": "g/dL"}, "value='abc'"),
        ({"term": "Anemia", "value": "9", "unit": "g/dL", "lln": "x"}, "lln='x'"),
        ({"term": "Hypokalemia", "value": "3.2", "unit": "mmol/L", "symptomatic": "maybe"}, "Y/N"),
        ({"term": "", "value": "3.2", "unit": "mmol/L"}, "term is empty"),
        ({"term": "Anemia", "value": "9", "unit": ""}, "unit '' is not known"),
    ],
    ids=[
        "bp_one_number",
        "bp_wrong_unit",
        "bp_missing",
        "value_text",
        "lln_text",
        "bad_flag",
        "empty_term",
        "empty_unit",
    ],
)
def test_bad_text_is_reported_with_row_number(row: dict[str, str], message: str) -> None:
    """Malformed cells become a row error naming the row, field and what is allowed."""
    (result,) = grade_lab_rows([row])
    assert result.grade is None
    assert result.error is not None
    assert result.error.startswith("row 1: ")
    assert message in result.error


def test_missing_limit_is_a_row_error_naming_it(tmp_path: Path) -> None:
    """An ALT value without ULN cannot be graded: a row error naming uln, on its own line; a
    lab's LLN of 0 is accepted."""
    text = ("term,value,unit,lln,uln\n"
            "Alanine aminotransferase increased,120,U/L,0,\n"
            "Alanine aminotransferase increased,120,U/L,0,40\n")
    result = CliRunner().invoke(app, ["ctcae", "grade", str(_write(tmp_path, text))])
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    expected = ("row 1: uln='': Alanine aminotransferase increased: this value needs uln "
                "to be graded (allowed: the lab's limit of normal (or baseline) in the "
                "unit of value)")
    assert lines == [expected]
    assert [r["grade"] for r in _read(result.stdout)] == ["", "1"]
