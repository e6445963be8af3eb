"""Unit spellings and conversions used before CTCAE grading."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.errors import RuleError
from oncotrial.rules.units import ANALYTE_UNITS, convert_unit, normalize_unit, units_for

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "ctcae_unit_conversions.csv"


def _rows() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


ROWS = _rows()


@pytest.mark.parametrize(
    "row",
    ROWS,
    ids=[f"{r['analyte']}_{r['value']}_{r['from_unit']}_to_{r['to_unit']}" for r in ROWS],
)
def test_conversion_matches_published_factor(row: dict[str, str]) -> None:
    """Each conversion reproduces the published SI factor within the stated tolerance."""
    got = convert_unit(
        float(row["value"]), row["from_unit"], row["to_unit"], analyte=row["analyte"]
    )
    assert math.isclose(got, float(row["expected"]), rel_tol=float(row["rel_tol"]))


@pytest.mark.parametrize(
    ("written", "cdisc"),
    [
        ("x10^9/L", "10^9/L"),
        ("10*9/L", "10^9/L"),
        ("10E9/L", "10^9/L"),
        ("K/uL", "10^3/uL"),
        ("cells/µL", "/mm3"),
        ("µmol/L", "umol/L"),
        ("mEq/l", "mEq/L"),
        ("IU/L", "U/L"),
        ("ms", "msec"),
        ("mm Hg", "mmHg"),
        ("g/day", "g/24h"),
        ("mg/mg", "g/g"),
    ],
)
def test_synonyms_normalise_to_cdisc_spelling(written: str, cdisc: str) -> None:
    """Common spellings map onto the CDISC LBSTRESU label."""
    assert normalize_unit(written) == cdisc


@pytest.mark.parametrize("unit", ["", "   ", "furlongs", "G/L/s"])
def test_unknown_unit_is_refused(unit: str) -> None:
    """An empty or unknown unit raises RuleError, never a guess."""
    with pytest.raises(RuleError, match="unit"):
        normalize_unit(unit)


def test_conversion_across_quantities_is_refused() -> None:
    """A dipstick reading cannot become a 24-hour protein amount."""
    with pytest.raises(RuleError, match=r"cannot convert urine protein from 'dipstick' to 'g/24h'"):
        convert_unit(2, "dipstick", "g/24h", analyte="urine protein")


def test_unit_of_another_analyte_is_refused() -> None:
    """Potassium has no mg/dL conversion in the table; the error lists the allowed units."""
    with pytest.raises(RuleError, match=r"units for potassium: mmol/L, mEq/L"):
        convert_unit(3.5, "mg/dL", "mmol/L", analyte="potassium")


def test_unknown_analyte_is_refused() -> None:
    """Asking for an analyte without a unit table raises RuleError."""
    with pytest.raises(RuleError, match="no unit table"):
        units_for("unobtainium")


@settings(max_examples=60, deadline=None)
@given(
    analyte=st.sampled_from(sorted(ANALYTE_UNITS)),
    value=st.floats(min_value=1e-3, max_value=1e5, allow_nan=False),
    data=st.data(),
)
def test_conversion_round_trips(analyte: str, value: float, data: st.DataObject) -> None:
    """Converting to another unit of the same quantity and back returns the value."""
    group = data.draw(st.sampled_from(ANALYTE_UNITS[analyte]))
    source = data.draw(st.sampled_from(sorted(group)))
    target = data.draw(st.sampled_from(sorted(group)))
    there = convert_unit(value, source, target, analyte=analyte)
    back = convert_unit(there, target, source, analyte=analyte)
    assert math.isclose(back, value, rel_tol=1e-12)
