"""Normalisation: hand-computed factors, zero handling, scale invariance, fixed targets, geNorm."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.errors import DataError
from oncotrial.translational import (
    NormalizationSettings,
    derive_normalized_counts,
    estimate_genorm,
)
from oncotrial.translational._numeric import geometric_mean
from oncotrial.translational.rcc import COUNT_INDEX
from tests.translational.conftest import synthetic_matrix


def _matrix(columns: dict[str, list[float]]) -> pd.DataFrame:
    rows = [("Positive", f"POS_{c}", f"E{c}") for c in "ABCDEF"]
    rows += [("Negative", f"NEG_{c}", f"N{c}") for c in "ABC"]
    rows += [("Housekeeping", "HK1", "H1"), ("Housekeeping", "HK2", "H2")]
    rows += [("Endogenous", "G1", "G1"), ("Endogenous", "G2", "G2")]
    index = pd.MultiIndex.from_tuples(rows, names=list(COUNT_INDEX))
    return pd.DataFrame(columns, index=index)


# Small batch designed for hand computation:
#   lane1 POS all 100 → g1 = 100; lane2 POS all 400 → g2 = 400; T = 250; f = 2.5, 0.625
#   NEG ×f: lane1 [10,15,20] mean 15 SD 5 → b1 = 25; lane2 [10,20,30] mean 20 SD 10 → b2 = 40
#   HK ×f: lane1 [100,400] → h1 = 200; lane2 [200,800] → h2 = 400; H = 300; c = 1.5, 0.75
#   G1: lane1 8×2.5 = 20 < 25 → 25 → ×1.5 = 37.5;  lane2 160×0.625 = 100 → ×0.75 = 75
#   G2: lane1 0 → 0 < 25 → 25 → 37.5;  lane2 1600×0.625 = 1000 → 750
BATCH = _matrix({
    "lane1": [100] * 6 + [4, 6, 8] + [40, 160] + [8, 0],
    "lane2": [400] * 6 + [16, 32, 48] + [320, 1280] + [160, 1600],
})


def test_factors_match_hand_computation() -> None:
    """POS, background and HK factors equal the hand-computed values above."""
    norm = derive_normalized_counts(BATCH)
    f = norm.factors
    assert f["pos_geomean"].tolist() == pytest.approx([100.0, 400.0])
    assert norm.pos_target == pytest.approx(250.0)
    assert f["pos_factor"].tolist() == pytest.approx([2.5, 0.625])
    assert f["background"].tolist() == pytest.approx([25.0, 40.0])
    assert f["hk_geomean"].tolist() == pytest.approx([200.0, 400.0])
    assert norm.hk_target == pytest.approx(300.0)
    assert f["hk_factor"].tolist() == pytest.approx([1.5, 0.75])
    assert f["pos_factor_in_range"].all()
    assert f["hk_factor_in_range"].all()
    g = norm.counts.xs("Endogenous", level="code_class").droplevel("accession")
    assert g.loc["G1"].tolist() == pytest.approx([37.5, 75.0])
    assert g.loc["G2"].tolist() == pytest.approx([37.5, 750.0])
    assert norm.log2.xs("Endogenous", level="code_class").droplevel("accession").loc[
        "G2"].tolist() == pytest.approx([math.log2(37.5), math.log2(750.0)])
    below = norm.below_background.xs("Endogenous", level="code_class").droplevel("accession")
    assert below.loc["G1"].tolist() == [True, False]
    assert norm.housekeepers == ("HK1", "HK2")


def test_subtraction_option_hand_computed() -> None:
    """Subtraction: G1 lane1 20−25 → 0; HK lane1 [75, 375] → h = √28125; lane2 [160, 760]."""
    norm = derive_normalized_counts(BATCH, settings=NormalizationSettings(background="subtract"))
    h1, h2 = math.sqrt(75 * 375), math.sqrt(160 * 760)
    assert norm.factors["hk_geomean"].tolist() == pytest.approx([h1, h2])
    hk_target = (h1 + h2) / 2
    g = norm.counts.xs("Endogenous", level="code_class").droplevel("accession")
    assert g.loc["G1"].tolist() == pytest.approx([0.0, 60.0 * hk_target / h2])
    assert norm.log2.xs("Endogenous", level="code_class").droplevel("accession").loc[
        "G1", "lane1"] == 0.0  # log2 floors at 1


def test_background_estimates_and_exclusion_of_pos_f() -> None:
    """mean / max background estimates and NACHO-style POS_F exclusion change the factors."""
    mean = derive_normalized_counts(BATCH, settings=NormalizationSettings(
        background_estimate="mean"))
    assert mean.factors["background"].tolist() == pytest.approx([15.0, 20.0])
    peak = derive_normalized_counts(BATCH, settings=NormalizationSettings(
        background_estimate="max"))
    assert peak.factors["background"].tolist() == pytest.approx([20.0, 30.0])
    skewed = BATCH.copy()
    skewed.iloc[5, 0] = 100 * 2**6  # row 5 = POS_F of lane1; only POS_F differs
    with_f = derive_normalized_counts(skewed)
    without_f = derive_normalized_counts(skewed, settings=NormalizationSettings(
        include_pos_f=False))
    assert with_f.factors.at["lane1", "pos_geomean"] == pytest.approx(200.0)
    assert without_f.factors.at["lane1", "pos_geomean"] == pytest.approx(100.0)


@pytest.mark.parametrize(("values", "expected"),
                         [([0, 4], 2.0), ([0, 0], 1.0), ([0.5, 8], math.sqrt(8)), ([2, 8], 4.0)])
def test_geometric_mean_floors_zeros_at_one(values: list[float], expected: float) -> None:
    """Zero (or < 1) counts are raised to 1 before the log; n stays the full count."""
    assert geometric_mean(values) == pytest.approx(expected)


def test_zero_housekeeping_lane_is_finite() -> None:
    """A lane whose HK counts are all zero gets a finite HK factor (floor 1), flagged."""
    blank = _matrix({"lane1": [100] * 6 + [0, 0, 0] + [0, 0] + [0, 0],
                     "lane2": [100] * 6 + [0, 0, 0] + [5000, 5000] + [10, 10]})
    norm = derive_normalized_counts(blank)
    assert np.isfinite(norm.factors["hk_factor"]).all()
    assert norm.factors.at["lane1", "hk_geomean"] == 1.0
    assert not norm.factors.at["lane1", "hk_factor_in_range"]


def test_fixed_targets_make_lanes_independent_of_batch() -> None:
    """With fixed targets a lane normalised alone equals the same lane normalised in a batch."""
    batch = derive_normalized_counts(BATCH)
    fixed = NormalizationSettings(pos_target=batch.pos_target, hk_target=batch.hk_target)
    alone = derive_normalized_counts(BATCH[["lane2"]], settings=fixed)
    pd.testing.assert_frame_equal(alone.log2, batch.log2[["lane2"]])
    default_alone = derive_normalized_counts(BATCH[["lane2"]])
    assert not np.allclose(default_alone.counts.to_numpy(), batch.counts[["lane2"]].to_numpy())


def test_bad_settings_raise() -> None:
    """Unknown modes and non-positive targets raise DataError naming the option."""
    with pytest.raises(DataError, match="background"):
        NormalizationSettings(background="divide")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="pos_target"):
        NormalizationSettings(pos_target=0.0)
    with pytest.raises(DataError, match="housekeepers"):
        derive_normalized_counts(BATCH, settings=NormalizationSettings(housekeepers=("NOPE",)))


def _random_batch(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = pd.DataFrame(rng.normal(7, 2, size=(20, 4)), index=[f"G{i}" for i in range(20)],
                         columns=[f"s{j}" for j in range(4)])
    matrix = synthetic_matrix(rng, truth, technical=rng.uniform(0.5, 2, 4),
                              content=rng.uniform(0.3, 3, 4))
    return matrix.clip(lower=4)  # counts ≥ 4 so that scaled counts stay ≥ 1 (no floor effect)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), lane=st.integers(0, 3),
       factor=st.floats(0.25, 16.0, allow_nan=False),
       mode=st.sampled_from(["threshold", "subtract", "none"]))
def test_scaling_a_lane_leaves_normalised_values_unchanged(
    seed: int, lane: int, factor: float, mode: str
) -> None:
    """Scaling every count of one lane by a constant leaves all normalised values unchanged
    (fixed POS target); with batch-mean targets the whole batch moves by one common factor."""
    matrix = _random_batch(seed)
    scaled = matrix.astype(float)
    scaled.iloc[:, lane] *= factor
    fixed = NormalizationSettings(background=mode, pos_target=1000.0)  # type: ignore[arg-type]
    before = derive_normalized_counts(matrix, settings=fixed)
    after = derive_normalized_counts(scaled, settings=fixed)
    np.testing.assert_allclose(after.counts.to_numpy(), before.counts.to_numpy(), rtol=1e-9)
    assert after.factors["pos_factor"].iloc[lane] == pytest.approx(
        before.factors["pos_factor"].iloc[lane] / factor, rel=1e-12)
    batch = NormalizationSettings(background=mode)  # type: ignore[arg-type]
    moved = derive_normalized_counts(scaled, settings=batch).counts.to_numpy()
    base = derive_normalized_counts(matrix, settings=batch).counts.to_numpy()
    nonzero = base > 0
    np.testing.assert_array_equal(moved > 0, nonzero)
    ratio = moved[nonzero] / base[nonzero]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_genorm_removes_the_unstable_gene_first(rng: np.random.Generator) -> None:
    """Genes that are exact multiples of one profile have M = 0; a noisy gene goes first."""
    base = rng.uniform(100, 1000, size=8)
    expression = pd.DataFrame(
        {"A": base, "B": 2 * base, "C": 4 * base, "NOISY": rng.uniform(100, 1000, size=8)}
    ).T
    result = estimate_genorm(expression)
    assert result.ranking[-1] == "NOISY"
    assert result.m_values.iloc[-1].dropna().max() == pytest.approx(0.0, abs=1e-12)
    assert len(result.selected) == 2  # V_2/3 = 0 < 0.15: the two most stable suffice
    assert set(result.selected) < {"A", "B", "C"}
    assert result.pairwise_variation.loc[2] == pytest.approx(0.0, abs=1e-12)


def test_genorm_m_value_hand_computed() -> None:
    """M for three genes over three samples equals the mean SD of pairwise log2 ratios."""
    expression = pd.DataFrame({"s1": [1, 1, 1], "s2": [2, 1, 1], "s3": [4, 1, 2]},
                              index=["X", "Y", "Z"]).astype(float) * 16
    # log2 ratios X/Y = [0,1,2] (SD 1), X/Z = [0,1,1] (SD 0.57735), Y/Z = [0,0,-1] (SD 0.57735)
    result = estimate_genorm(expression)
    first = result.m_values.iloc[0]
    assert first["X"] == pytest.approx((1 + 0.5773503) / 2, rel=1e-6)
    assert first["Y"] == pytest.approx((1 + 0.5773503) / 2, rel=1e-6)
    assert first["Z"] == pytest.approx(0.5773503, rel=1e-6)
    with pytest.raises(DataError, match="geNorm"):
        estimate_genorm(expression.iloc[:2])
