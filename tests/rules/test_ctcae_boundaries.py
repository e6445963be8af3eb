"""CTCAE v5.0 boundary tables: both sides of every cut-point, both unit systems, bad rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from oncotrial.errors import DataError, RuleError
from oncotrial.rules import CtcaeGrade, ctcae_terms, grade_hypertension, grade_lab

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def _opt_float(text: str) -> float | None:
    return float(text) if text else None


def _opt_bool(text: str) -> bool | None:
    return {"": None, "true": True, "false": False}[text]


LAB_ROWS = _rows("ctcae_v5_boundaries.csv")
BP_ROWS = _rows("ctcae_v5_hypertension.csv")
ERRORS = {"RuleError": RuleError, "DataError": DataError}


def _grade_row(row: dict[str, str]) -> CtcaeGrade:
    return grade_lab(
        row["term"],
        float(row["value"]),
        row["unit"],
        lln=_opt_float(row["lln"]),
        uln=_opt_float(row["uln"]),
        baseline=_opt_float(row["baseline"]),
        symptomatic=_opt_bool(row["symptomatic"]),
    )


@pytest.mark.parametrize(
    "row",
    [r for r in LAB_ROWS if r["expected"] not in ERRORS],
    ids=[r["case"] for r in LAB_ROWS if r["expected"] not in ERRORS],
)
def test_lab_grade_matches_ctcae_v5_text(row: dict[str, str]) -> None:
    """Each boundary row gets the grade (and rule) the CTCAE v5.0 wording assigns."""
    result = _grade_row(row)
    expected = None if row["expected"] == "none" else int(row["expected"])
    assert result.grade == expected, result.reason
    assert result.term == row["term"]
    if row["rule"]:
        assert result.rule == row["rule"]
    assert result.reason


@pytest.mark.parametrize(
    "row",
    [r for r in LAB_ROWS if r["expected"] in ERRORS],
    ids=[r["case"] for r in LAB_ROWS if r["expected"] in ERRORS],
)
def test_bad_unit_or_value_is_refused(row: dict[str, str]) -> None:
    """Wrong, unknown or empty units and impossible values raise, naming the term."""
    with pytest.raises(ERRORS[row["expected"]]) as info:
        _grade_row(row)
    assert row["term"] in str(info.value)


@pytest.mark.parametrize("row", BP_ROWS, ids=[r["case"] for r in BP_ROWS])
def test_hypertension_grade_matches_ctcae_v5_text(row: dict[str, str]) -> None:
    """Blood pressure readings get the CTCAE v5.0 hypertension grade of the worse component."""
    result = grade_hypertension(
        float(row["systolic"]),
        float(row["diastolic"]),
        previously_normal=_opt_bool(row["previously_normal"]),
    )
    expected = None if row["expected"] == "none" else int(row["expected"])
    assert result.grade == expected, result.reason
    assert result.term == "Hypertension"
    if row["rule"]:
        assert result.rule == row["rule"]


def test_every_term_has_boundary_rows() -> None:
    """The boundary table covers every term in the shipped rule table."""
    covered = {r["term"] for r in LAB_ROWS} | {"Hypertension"}
    assert set(ctcae_terms()) <= covered
