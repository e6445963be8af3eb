"""Binomial intervals and the exact test against published values and scipy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oncotrial.errors import DesignError
from oncotrial.stats import (
    BINOMIAL_METHODS,
    estimate_binomial_ci,
    estimate_binomial_ci_array,
    estimate_binomial_test,
)
from tests.stats.conftest import read_reference

NEWCOMBE = read_reference("binom_newcombe_1998.csv")


@pytest.mark.parametrize("row", NEWCOMBE, ids=lambda r: f"{r['method']}-{r['x']}/{r['n']}")
def test_binomial_ci_matches_newcombe_1998(row: dict[str, str]) -> None:
    """Wilson, Clopper-Pearson and mid-p limits equal Newcombe (1998) Table II to 4 dp."""
    ci = estimate_binomial_ci(int(row["x"]), int(row["n"]), method=row["method"])
    assert ci.lower == pytest.approx(float(row["lower"]), abs=5.1e-5)
    assert ci.upper == pytest.approx(float(row["upper"]), abs=5.1e-5)


def test_clopper_pearson_matches_r_binom_test(
    reference: Callable[[str], list[dict[str, str]]],
) -> None:
    """Clopper-Pearson equals R binom.test(682, 925) as printed in the R manual."""
    (row,) = reference("binom_r_binom_test.csv")
    ci = estimate_binomial_ci(int(row["x"]), int(row["n"]))
    assert ci.lower == pytest.approx(float(row["lower"]), abs=5e-8)
    assert ci.upper == pytest.approx(float(row["upper"]), abs=5e-8)
    assert ci.estimate == pytest.approx(float(row["estimate"]), abs=5e-8)


def test_clopper_pearson_matches_scipy_binomtest() -> None:
    """The vectorised exact interval equals scipy's per-call binomtest interval."""
    rng = np.random.default_rng(7)
    n = rng.integers(1, 80, size=60)
    x = rng.integers(0, n + 1)
    res = estimate_binomial_ci_array(x, n)
    for xi, ni, lo, up in zip(x, n, res.lower, res.upper, strict=True):
        ref = stats.binomtest(int(xi), int(ni)).proportion_ci(method="exact")
        assert lo == pytest.approx(ref.low, abs=1e-12)
        assert up == pytest.approx(ref.high, abs=1e-12)


def test_wilson_matches_scipy_binomtest() -> None:
    """The Wilson interval equals scipy's Wilson score interval."""
    for x, n in [(0, 5), (3, 10), (6, 30), (30, 30)]:
        ci = estimate_binomial_ci(x, n, method="wilson")
        ref = stats.binomtest(x, n).proportion_ci(method="wilson")
        assert ci.lower == pytest.approx(ref.low, abs=1e-12)
        assert ci.upper == pytest.approx(ref.high, abs=1e-12)


def test_jeffreys_is_beta_quantile_with_bcd_ends() -> None:
    """Jeffreys uses Beta(x+1/2, n-x+1/2) quantiles, with 0 and 1 at the ends (BCD 2001)."""
    ci = estimate_binomial_ci(6, 30, method="jeffreys")
    assert ci.lower == pytest.approx(stats.beta.ppf(0.025, 6.5, 24.5), abs=1e-12)
    assert ci.upper == pytest.approx(stats.beta.ppf(0.975, 6.5, 24.5), abs=1e-12)
    assert estimate_binomial_ci(0, 30, method="jeffreys").lower == 0.0
    assert estimate_binomial_ci(30, 30, method="jeffreys").upper == 1.0


def test_leader_orr_interval() -> None:
    """LEADER's 6/30 responders (ORR 20%) give the exact 95% interval 7.7%-38.6%."""
    ci = estimate_binomial_ci(6, 30)
    assert (round(ci.lower, 3), round(ci.upper, 3)) == (0.077, 0.386)


def test_exact_test_matches_scipy() -> None:
    """The one-sided exact p-value equals scipy binomtest(alternative='greater')."""
    res = estimate_binomial_test(6, 30, p0=0.05)
    ref = stats.binomtest(6, 30, 0.05, alternative="greater").pvalue
    assert res.p_value == pytest.approx(ref, rel=1e-12)
    assert estimate_binomial_test(0, 30, p0=0.05).p_value == 1.0


@pytest.mark.parametrize(
    ("x", "n", "kwargs"),
    [(-1, 10, {}), (11, 10, {}), (0, 0, {}), (3, 10, {"method": "wald"}),
     (3, 10, {"conf_level": 1.0}), (3, 10, {"conf_level": 0.0})],
)
def test_bad_input_raises_design_error(x: int, n: int, kwargs: dict[str, object]) -> None:
    """Invalid counts, unknown methods and levels outside (0, 1) raise DesignError."""
    with pytest.raises(DesignError):
        estimate_binomial_ci(x, n, **kwargs)  # type: ignore[arg-type]


def test_exact_test_rejects_bad_p0() -> None:
    """p0 outside (0, 1) raises DesignError naming p0."""
    with pytest.raises(DesignError, match="p0"):
        estimate_binomial_test(3, 10, p0=1.0)


def test_array_rejects_fractional_counts() -> None:
    """Non-integer counts are refused instead of being truncated."""
    with pytest.raises(DesignError, match="whole numbers"):
        estimate_binomial_ci_array([1.5], [10])


pairs = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@settings(max_examples=60, deadline=None)
@given(pair=pairs, method=st.sampled_from(sorted(BINOMIAL_METHODS)))
def test_interval_contains_estimate_and_mirrors(pair: tuple[int, int], method: str) -> None:
    """Every interval holds x/n inside [0, 1], and ci(x, n) mirrors ci(n - x, n)."""
    x, n = pair
    ci = estimate_binomial_ci(x, n, method=method)
    mirror = estimate_binomial_ci(n - x, n, method=method)
    assert 0.0 <= ci.lower <= ci.estimate <= ci.upper <= 1.0
    assert ci.lower == pytest.approx(1.0 - mirror.upper, abs=1e-9)
    assert ci.upper == pytest.approx(1.0 - mirror.lower, abs=1e-9)
