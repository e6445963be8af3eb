"""BSA formulas against published values, and eribulin dose in mg with rounding and cap."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.errors import DataError, RuleError
from oncotrial.protocol import Protocol
from oncotrial.rules.bsa import (
    compute_bsa,
    compute_bsa_for_dosing,
    compute_dose_mg,
    decide_bsa_recalculation,
)
from tests.rules.conftest import read_reference_csv

BSA_ROWS = read_reference_csv("bsa_reference_values.csv")


@pytest.mark.parametrize(
    "row", BSA_ROWS, ids=[f"{r['formula']}-{r['height_cm']}-{r['weight_kg']}" for r in BSA_ROWS]
)
def test_bsa_matches_published_values(row: dict[str, str]) -> None:
    """Each formula reproduces admiral / clinPK / worked-example values within tolerance."""
    got = compute_bsa(float(row["height_cm"]), float(row["weight_kg"]), formula=row["formula"])
    assert abs(got - float(row["bsa_m2"])) <= float(row["tolerance"])


def test_mosteller_is_the_default() -> None:
    """Without a formula the Mosteller value is returned (180 cm × 80 kg → exactly 2.0)."""
    assert compute_bsa(180, 80) == pytest.approx(2.0, abs=1e-12)


@pytest.mark.parametrize(
    ("height", "weight", "field"),
    [
        (0, 70, "height_cm"),
        (170, -1, "weight_kg"),
        (math.nan, 70, "height_cm"),
        (170, 400, "weight_kg"),
    ],
)
def test_implausible_body_measurements_raise(height: float, weight: float, field: str) -> None:
    """Impossible heights or weights raise DataError naming the field and allowed range."""
    with pytest.raises(DataError, match=field):
        compute_bsa(height, weight)


def test_unknown_formula_raises() -> None:
    """An unknown formula name is a RuleError listing the allowed names."""
    with pytest.raises(RuleError, match="mosteller"):
        compute_bsa(170, 70, formula="boyd")


def test_bsa_for_dosing_rounds_half_up_and_caps(leader: Protocol) -> None:
    """BSA is rounded to the protocol's decimals, then capped when a cap is set."""
    result = compute_bsa_for_dosing(170, 70, policy=leader.bsa)
    assert result.bsa_used_m2 == 1.82  # 1.8181… → 1.82
    assert not result.capped
    capped_policy = leader.bsa.model_copy(update={"cap_m2": 2.0})
    big = compute_bsa_for_dosing(190, 110, policy=capped_policy)
    assert big.bsa_m2 > 2.0
    assert big.bsa_used_m2 == 2.0
    assert big.capped
    at_cap = compute_bsa_for_dosing(180, 80, policy=capped_policy)
    assert at_cap.bsa_used_m2 == 2.0
    assert not at_cap.capped


def test_eribulin_dose_mg(leader: Protocol) -> None:
    """Eribulin 1.1 mg/m² × 1.82 m² = 2.002 mg → 2.00 mg at 0.01 mg rounding (HALAVEN §2.1)."""
    dose = compute_dose_mg(1.1, bsa_m2=1.82, policy=leader.bsa)
    assert dose.ordered_mg == pytest.approx(2.002)
    assert dose.dose_mg == 2.0
    assert dose.rounding_deviation_pct == pytest.approx(0.0999, abs=1e-3)
    half = compute_dose_mg(0.7, bsa_m2=1.65, policy=leader.bsa)
    assert half.dose_mg == 1.16  # 1.155 rounds half up, not to even


def test_rounding_beyond_tolerance_is_refused(leader: Protocol) -> None:
    """A rounding step that moves the dose more than the allowed % raises RuleError (HOPA 10 %)."""
    coarse = leader.bsa.model_copy(update={"dose_rounding_mg": 1.0})
    with pytest.raises(RuleError, match="deviates"):
        compute_dose_mg(0.7, bsa_m2=1.6, policy=coarse)  # 1.12 mg → 1 mg is 10.7 % off
    ok = compute_dose_mg(0.7, bsa_m2=1.5, policy=coarse)  # 1.05 → 1 mg is 4.8 % off
    assert ok.dose_mg == 1.0


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(70.0, False), (76.99, False), (77.0, True), (63.01, False), (63.0, True), (60.0, True)],
)
def test_bsa_recalculation_threshold_both_sides(
    leader: Protocol, weight: float, expected: bool
) -> None:
    """A weight change of exactly the threshold (10 % of 70 kg) triggers recomputation."""
    assert decide_bsa_recalculation(weight, reference_weight_kg=70.0, policy=leader.bsa) is expected


@settings(max_examples=80, deadline=None)
@given(
    height=st.floats(140, 210),
    weight=st.floats(35, 180),
    extra=st.floats(0.5, 20),
    formula=st.sampled_from(["mosteller", "dubois", "haycock", "gehan_george"]),
)
def test_bsa_rises_with_weight_and_height(
    height: float, weight: float, extra: float, formula: str
) -> None:
    """Every formula is increasing in both weight and height."""
    base = compute_bsa(height, weight, formula=formula)
    assert compute_bsa(height, weight + extra, formula=formula) > base
    assert compute_bsa(height + extra, weight, formula=formula) > base


@settings(max_examples=80, deadline=None)
@given(level=st.sampled_from([1.1, 0.7]), bsa=st.floats(1.2, 2.6))
def test_rounded_dose_stays_within_half_a_step(leader: Protocol, level: float, bsa: float) -> None:
    """The administered mg never differs from the ordered mg by more than half the rounding step."""
    dose = compute_dose_mg(level, bsa_m2=bsa, policy=leader.bsa)
    assert abs(dose.dose_mg - dose.ordered_mg) <= leader.bsa.dose_rounding_mg / 2 + 1e-9
