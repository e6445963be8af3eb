"""grade_lab / grade_hypertension behaviour beyond the boundary tables: reasons, refusals, edges."""

from __future__ import annotations

import dataclasses
import math

import pytest

from oncotrial.errors import DataError, RuleError
from oncotrial.rules import CtcaeGrade, grade_hypertension, grade_lab


def test_result_is_frozen() -> None:
    """CtcaeGrade is an immutable value."""
    result = grade_lab("Anemia", 9.0, "g/dL", lln=12.0)
    assert isinstance(result, CtcaeGrade)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.grade = 4  # type: ignore[misc]


def test_reason_quotes_ctcae_wording() -> None:
    """The reason carries the CTCAE v5.0 wording of the band that fired."""
    result = grade_lab("Platelet count decreased", 60, "10^9/L", lln=150)
    assert '"<75,000 - 50,000/mm3; <75.0 - 50.0 x 10e9 /L"' in result.reason


def test_conversion_is_stated_in_reason() -> None:
    """A value in a unit CTCAE does not print is converted and the reason says so."""
    result = grade_lab("Hypomagnesemia", 0.9, "mEq/L", lln=1.4)
    assert result.grade == 2
    assert "converted 0.9 mEq/L to 0.45 mmol/L" in result.reason


def test_missing_baseline_assumption_is_stated() -> None:
    """ALT without baseline is graded by the baseline-normal criteria, and the reason says so."""
    result = grade_lab("Alanine aminotransferase increased", 100, "U/L", uln=40)
    assert result.grade == 1
    assert "baseline not supplied" in result.reason


def test_abnormal_baseline_switches_to_baseline_criteria() -> None:
    """With baseline above ULN, ALT 1.4 x baseline is not graded although it is above ULN."""
    result = grade_lab("Alanine aminotransferase increased", 140, "U/L", uln=40, baseline=100)
    assert result.grade == 0
    assert result.rule == "alt_ba_g0"
    assert "baseline 100 > ULN 40" in result.reason


def test_anemia_grade_4_is_never_assigned_from_value() -> None:
    """A very low hemoglobin is grade 3 by value; grade 4 is clinical and the reason says so."""
    result = grade_lab("Anemia", 3.0, "g/dL", lln=12.0)
    assert result.grade == 3
    assert "grade 4" in result.reason


def test_hypokalemia_value_grade_says_what_could_raise_it() -> None:
    """Hypokalemia <LLN-3.0 is grade 1 from the value; the reason names the grade-2 facts."""
    result = grade_lab("Hypokalemia", 3.2, "mmol/L", lln=3.5)
    assert result.grade == 1
    assert "grade 2 if symptomatic" in result.reason


def test_lab_lln_below_absolute_cut_point_follows_ctcae_order() -> None:
    """With a local LLN under 1.5, ANC 1.45 is grade 2 by "<1.5 - 1.0" (severe end first)."""
    assert grade_lab("Neutrophil count decreased", 1.45, "10^9/L", lln=1.4).grade == 2
    assert grade_lab("Neutrophil count decreased", 1.55, "10^9/L", lln=1.4).grade == 0


def test_floating_point_noise_does_not_cross_a_cut_point() -> None:
    """0.1 + 0.2 x ULN-style arithmetic noise is compared at 12 significant digits."""
    uln = 0.1 + 0.2  # 0.30000000000000004
    assert grade_lab("Creatinine increased", 0.9, "mg/dL", uln=uln).grade == 2
    assert grade_lab("Creatinine increased", 0.9000001, "mg/dL", uln=uln).grade == 3


def test_undecided_reason_names_missing_reference() -> None:
    """Without ULN, a bilirubin cannot be graded and the reason names 'uln'."""
    result = grade_lab("Blood bilirubin increased", 30, "umol/L")
    assert result.grade is None
    assert "cannot grade without uln" in result.reason


def test_creatinine_undecided_keeps_the_known_floor() -> None:
    """Creatinine with baseline but no ULN: undecided, but the reason states 'at least grade 3'."""
    result = grade_lab("Creatinine increased", 2.0, "mg/dL", baseline=0.5)
    assert result.grade is None
    assert "at least grade 3" in result.reason


def test_hypertension_through_grade_lab_is_redirected() -> None:
    """Hypertension needs two readings: grade_lab refuses it and names grade_hypertension."""
    with pytest.raises(RuleError, match="grade_hypertension"):
        grade_lab("Hypertension", 150, "mmHg")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"value": math.nan}, "value"),
        ({"value": math.inf}, "value"),
        ({"value": True}, "value"),
        ({"value": "1.2"}, "value"),
        ({"value": 1.2, "uln": -1.0}, "uln"),
        ({"value": 1.2, "baseline": math.nan}, "baseline"),
    ],
    ids=["nan", "inf", "bool", "text", "negative_uln", "nan_baseline"],
)
def test_impossible_numbers_raise_data_error(kwargs: dict[str, object], field: str) -> None:
    """NaN, infinite, boolean, text or negative limits raise DataError naming the field."""
    value = kwargs.pop("value")
    with pytest.raises(DataError) as info:
        grade_lab("Neutrophil count decreased", value, "10^9/L", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "Neutrophil count decreased" in str(info.value)


@pytest.mark.parametrize(
    ("term", "value", "unit", "uln", "grade"),
    [
        # CTCAE v5.0 ALT increased, baseline normal: grade 1 ">ULN - 3.0 x ULN", grade 2
        # ">3.0 - 5.0 x ULN"; a lab printing 0-40 U/L gives LLN 0, which ALT never uses.
        ("Alanine aminotransferase increased", 120.0, "U/L", 40.0, 1),
        ("Alanine aminotransferase increased", 121.0, "U/L", 40.0, 2),
        # Blood bilirubin increased: grade 1 ">ULN - 1.5 x ULN", grade 2 ">1.5 - 3.0 x ULN";
        # 0-21 umol/L printed as the normal range.
        ("Blood bilirubin increased", 31.5, "umol/L", 21.0, 1),
        ("Blood bilirubin increased", 31.6, "umol/L", 21.0, 2),
    ],
)
def test_lower_limit_of_zero_is_accepted_where_unused(
    term: str, value: float, unit: str, uln: float, grade: int
) -> None:
    """LLN = 0 (labs print ALT 0-40 U/L, bilirubin 0-21 umol/L) grades as without it, on
    both sides of the CTCAE cut-point."""
    assert grade_lab(term, value, unit, lln=0.0, uln=uln).grade == grade
    assert grade_lab(term, value, unit, uln=uln).grade == grade


@pytest.mark.parametrize(("value", "grade"), [(1.2, 2), (1.6, 0)])
def test_lower_limit_of_zero_as_a_cut_point(value: float, grade: int) -> None:
    """Neutrophils with LLN 0: grade 1 "<LLN - 1500/mm3" holds no value, the absolute bands
    (grade 2 "<1.5 - 1.0 x 10e9/L") still apply."""
    assert grade_lab("Neutrophil count decreased", value, "10^9/L", lln=0.0).grade == grade


def test_zero_upper_limit_of_a_scaled_criterion_is_an_error() -> None:
    """ULN = 0 would put every "x ULN" cut-point at 0: a DataError naming uln and the term."""
    with pytest.raises(DataError, match="Alanine aminotransferase increased") as info:
        grade_lab("Alanine aminotransferase increased", 50.0, "U/L", lln=0.0, uln=0.0)
    assert info.value.field == "uln"


def test_wrong_unit_error_names_term_unit_and_allowed() -> None:
    """A unit of another quantity raises RuleError naming term, unit and the allowed units."""
    with pytest.raises(RuleError) as info:
        grade_lab("Creatinine increased", 1.0, "U/L", uln=1.2)
    message = str(info.value)
    assert "Creatinine increased" in message
    assert "'U/L'" in message
    assert "umol/L, mg/dL" in message


def test_hypertension_negative_reading_is_refused() -> None:
    """A negative blood pressure raises DataError naming the component."""
    with pytest.raises(DataError, match="systolic_mmhg"):
        grade_hypertension(-1, 80)


def test_hypertension_grade_4_is_never_assigned_from_reading() -> None:
    """A crisis-level reading is grade 3 by value; the reason says grade 4 is clinical."""
    result = grade_hypertension(240, 140)
    assert result.grade == 3
    assert "grade 4" in result.reason


@pytest.mark.parametrize(("lln", "uln", "grade"), [
    (0.0, 40.0, 1),     # a range that starts at 0 is a range (ALT 0-40 U/L)
    (39.9, 40.0, 1),
    (40.0, 40.0, None),  # no range: refused
    (45.0, 40.0, None),
])
def test_limits_of_normal_in_order(lln: float, uln: float, grade: int | None) -> None:
    """ALT 100 U/L is grade 1 (>ULN - 3.0 x ULN, baseline normal) against ULN 40 when the LLN is
    below it; an LLN at or above the ULN is refused naming the LLN, as the casebook does."""
    if grade is not None:
        assert grade_lab("Alanine aminotransferase increased", 100, "U/L", lln=lln,
                         uln=uln).grade == grade
        return
    with pytest.raises(DataError, match=f"lln={lln!r}: not below the upper limit of normal"):
        grade_lab("Alanine aminotransferase increased", 100, "U/L", lln=lln, uln=uln)
