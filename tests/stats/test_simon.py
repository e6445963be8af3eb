"""Simon two-stage designs against the verified reference table, and their exact properties."""

from __future__ import annotations

import warnings
from fractions import Fraction
from itertools import groupby, pairwise
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from oncotrial.errors import DesignError, StatisticalWarning
from oncotrial.stats import (
    compute_simon_oc,
    decide_simon_interim,
    design_simon_two_stage,
    design_single_stage,
    estimate_simon_inference,
)
from oncotrial.stats.results import SimonDesign
from tests.stats.conftest import read_reference

ROWS = read_reference("simon_designs.csv")


def _key(row: dict[str, str]) -> tuple[float, float, float, float]:
    return (float(row["p0"]), float(row["p1"]), float(row["alpha"]), float(row["beta"]))


SETTINGS = [(k, list(g)) for k, g in groupby(ROWS, key=_key)]


@pytest.mark.parametrize(("setting", "rows"), SETTINGS, ids=[str(s) for s, _ in SETTINGS])
def test_simon_designs_match_reference(
    setting: tuple[float, float, float, float], rows: list[dict[str, str]]
) -> None:
    """Optimal, minimax and admissible designs equal the verified table for Simon's settings."""
    p0, p1, alpha, beta = setting
    res = design_simon_two_stage(p0, p1, alpha=alpha, beta=beta)
    assert res.optimum_proven
    found = {(d.kind, d.r1, d.n1, d.r, d.n): d for d in res.designs}
    for row in rows:
        key = (row["kind"], int(row["r1"]), int(row["n1"]), int(row["r"]), int(row["n"]))
        assert key in found, f"{key} not in {sorted(found)}"
        if row["en0"]:
            assert found[key].en0 == pytest.approx(float(row["en0"]), abs=0.005)
        if row["pet0"]:
            assert found[key].pet0 == pytest.approx(float(row["pet0"]), abs=0.0005)


def test_clinfun_truncation_trap_is_avoided() -> None:
    """p0=.30/p1=.45/.05/.10: the optimum needs n=110 (clinfun's nmax=100 silently misses it)."""
    res = design_simon_two_stage(0.30, 0.45, alpha=0.05, beta=0.10)
    assert (res.optimal.r1, res.optimal.n1, res.optimal.r, res.optimal.n) == (13, 40, 40, 110)
    assert res.nmax_searched >= 110
    assert res.optimum_proven


def test_user_nmax_that_truncates_says_so() -> None:
    """With nmax=100 the search warns and reports the optimum as unproven."""
    with pytest.warns(StatisticalWarning, match="could not be proven"):
        res = design_simon_two_stage(0.30, 0.45, alpha=0.05, beta=0.10, nmax=100)
    assert not res.optimum_proven
    assert res.optimal.n <= 100
    assert res.en0_bound < res.optimal.en0


def test_minimax_equal_to_optimal_appears_twice() -> None:
    """p0=.10/p1=.30/.10/.20: minimax = optimal (0/7, 3/18), listed once as each kind."""
    res = design_simon_two_stage(0.10, 0.30, alpha=0.10, beta=0.20)
    assert [d.kind for d in res.designs] == ["minimax", "optimal"]
    assert res.minimax.power == pytest.approx(0.8000011, abs=1e-7)
    assert (res.minimax.q_lower, res.minimax.q_upper) == (0.0, 1.0)


def test_oc_matches_reference_optimal_20_40() -> None:
    """Exact OC of 3/13, 12/43 equal the performance note's values (alpha, PET0, EN0, power)."""
    oc0 = compute_simon_oc(3, 13, 12, 43, p=0.2)
    oc1 = compute_simon_oc(3, 13, 12, 43, p=0.4)
    assert oc0.reject == pytest.approx(0.0495814497, abs=1e-10)
    assert oc0.pet == pytest.approx(0.7473243, abs=1e-7)
    assert oc0.en == pytest.approx(20.5803, abs=1e-4)
    assert oc1.reject == pytest.approx(0.8002144, abs=1e-7)


def test_oc_when_r_equals_r1_has_no_spurious_term() -> None:
    """3/13, 3/43 at p=.2 gives P(reject)=.25267 (clinfun's r == r1 bug gives .25237)."""
    reject = compute_simon_oc(3, 13, 3, 43, p=0.2).reject
    assert reject == pytest.approx(0.25267, abs=1e-5)
    assert reject == pytest.approx(stats.binom.sf(3, 13, 0.2), rel=1e-12)


def test_single_stage_sawtooth() -> None:
    """Exact single stage for .20/.40/.05/.20 is n=35 (>=12 responses), power .805."""
    d = design_single_stage(0.20, 0.40, alpha=0.05, beta=0.20)
    assert (d.r, d.n) == (11, 35)
    assert d.power == pytest.approx(0.805, abs=5e-4)
    assert d.alpha <= 0.05


def test_interim_decision_both_sides_of_r1() -> None:
    """r1 responses stop; r1 + 1 continue with conditional power P(X2 > r - x1 | p1)."""
    design = design_simon_two_stage(0.20, 0.40, alpha=0.05, beta=0.20).optimal
    stop = decide_simon_interim(design, responses=3)
    go = decide_simon_interim(design, responses=4)
    assert (stop.decision, stop.rule, stop.conditional_power) == (
        "stop", "simon_stage1_futility", 0.0)
    assert go.decision == "continue"
    assert go.needed_in_stage2 == 9
    assert go.conditional_power == pytest.approx(stats.binom.sf(8, 30, 0.4), rel=1e-12)
    assert go.conditional_alpha == pytest.approx(stats.binom.sf(8, 30, 0.2), rel=1e-12)
    with pytest.raises(DesignError, match="responses"):
        decide_simon_interim(design, responses=14)


def _outcomes(d: SimonDesign) -> list[tuple[int, int, float]]:
    """(stage, count, probability at p0) for every terminal outcome."""
    n2 = d.n - d.n1
    out = [(1, x, float(stats.binom.pmf(x, d.n1, d.p0))) for x in range(d.r1 + 1)]
    for s in range(d.r1 + 1, d.n + 1):
        pr = sum(stats.binom.pmf(x, d.n1, d.p0) * stats.binom.pmf(s - x, n2, d.p0)
                 for x in range(d.r1 + 1, min(d.n1, s) + 1))
        out.append((2, s, float(pr)))
    return out


def test_inference_p_value_by_enumeration() -> None:
    """The stage-wise p-value sums outcomes ordered as Koyama & Chen (stage 1 below stage 2)."""
    design = design_simon_two_stage(0.20, 0.40, alpha=0.05, beta=0.20).optimal
    outcomes = _outcomes(design)
    for i, (stage, count, _) in enumerate(outcomes):
        expected = sum(pr for _, _, pr in outcomes[i:])
        got = estimate_simon_inference(design, responses=count, stage=stage).p_value
        assert got == pytest.approx(expected, abs=1e-12)
    final = estimate_simon_inference(design, responses=13, stage=2)
    assert final.p_value < 0.05 < estimate_simon_inference(design, responses=12, stage=2).p_value


def test_umvue_is_unbiased() -> None:
    """E[UMVUE] = p over the design's outcome distribution (Jung & Kim 2004)."""
    design = design_simon_two_stage(0.10, 0.30, alpha=0.05, beta=0.20).optimal
    umvue = {(s, c): estimate_simon_inference(design, responses=c, stage=s).umvue
             for s, c, _ in _outcomes(design)}
    for p in (0.1, 0.25, 0.4):
        mean = sum(pr * umvue[(s, c)] for s, c, pr in _outcomes_at(design, p))
        assert mean == pytest.approx(p, abs=1e-10)


def test_confidence_interval_coverage_tails() -> None:
    """Each exact tail of the stage-wise interval misses p with probability <= 2.5%."""
    design = design_simon_two_stage(0.10, 0.30, alpha=0.05, beta=0.20).optimal
    intervals = {(s, c): estimate_simon_inference(design, responses=c, stage=s)
                 for s, c, _ in _outcomes(design)}
    for p in (0.05, 0.2, 0.35):
        probs = [(s, c, pr) for s, c, pr in _outcomes_at(design, p)]
        miss_low = sum(pr for s, c, pr in probs if intervals[(s, c)].lower > p)
        miss_high = sum(pr for s, c, pr in probs if intervals[(s, c)].upper < p)
        assert miss_low <= 0.025 + 1e-9
        assert miss_high <= 0.025 + 1e-9
    one = intervals[(2, 5)]
    assert one.lower < one.umvue < one.upper
    assert one.naive.method == "clopper-pearson"


def _outcomes_at(d: SimonDesign, p: float) -> list[tuple[int, int, float]]:
    n2 = d.n - d.n1
    out = [(1, x, float(stats.binom.pmf(x, d.n1, p))) for x in range(d.r1 + 1)]
    for s in range(d.r1 + 1, d.n + 1):
        pr = sum(stats.binom.pmf(x, d.n1, p) * stats.binom.pmf(s - x, n2, p)
                 for x in range(d.r1 + 1, min(d.n1, s) + 1))
        out.append((2, s, float(pr)))
    return out


@pytest.mark.parametrize(
    ("args", "match"),
    [((0.3, 0.2, 0.05, 0.2), "p0"), ((0.1, 0.3, 0.0, 0.2), "alpha"),
     ((0.1, 0.3, 0.05, 1.0), "beta")],
)
def test_bad_settings_raise(args: tuple[float, float, float, float], match: str) -> None:
    """p0 >= p1 and error rates outside (0, 1) raise DesignError naming the parameter."""
    p0, p1, alpha, beta = args
    with pytest.raises(DesignError, match=match):
        design_simon_two_stage(p0, p1, alpha=alpha, beta=beta)


def test_infeasible_small_nmax_raises() -> None:
    """No design within a tiny nmax raises DesignError instead of returning a wrong one."""
    with pytest.raises(DesignError, match="no two-stage design"):
        design_simon_two_stage(0.2, 0.4, alpha=0.05, beta=0.2, nmax=10)


def _exact_reject(d: SimonDesign, p_text: float) -> Fraction:
    p = Fraction(str(p_text))
    q = 1 - p
    n2 = d.n - d.n1
    total = Fraction(0)
    for x in range(d.r1 + 1, d.n1 + 1):
        b1 = comb(d.n1, x) * p**x * q ** (d.n1 - x)
        tail = sum(comb(n2, y) * p**y * q ** (n2 - y) for y in range(max(0, d.r - x + 1), n2 + 1))
        total += b1 * tail
    return total


@settings(max_examples=10, deadline=None)
@given(
    p0=st.sampled_from([0.05, 0.10, 0.15, 0.20, 0.30]),
    delta=st.sampled_from([0.15, 0.20, 0.25]),
    alpha=st.sampled_from([0.05, 0.10]),
    beta=st.sampled_from([0.10, 0.20]),
)
def test_every_design_meets_alpha_beta_exactly(
    p0: float, delta: float, alpha: float, beta: float
) -> None:
    """Each returned design meets alpha and beta in exact rational arithmetic; admissible
    designs lie between minimax and optimal in n and EN0."""
    p1 = round(p0 + delta, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = design_simon_two_stage(p0, p1, alpha=alpha, beta=beta)
    for d in res.designs:
        assert _exact_reject(d, p0) <= Fraction(str(alpha))
        assert _exact_reject(d, p1) >= 1 - Fraction(str(beta))
    ns = [d.n for d in res.designs]
    ens = [d.en0 for d in res.designs]
    assert ns == sorted(ns)
    assert all(a >= b - 1e-12 for a, b in pairwise(ens))
    assert res.minimax.n == min(n for n, _ in res.en0_by_n)
    assert res.optimal.en0 == pytest.approx(min(e for _, e in res.en0_by_n), abs=1e-12)
    assert np.all(np.diff([d.q_upper for d in res.designs]) <= 0)


@pytest.mark.parametrize("setting", [
    (0.05, 0.25, 0.05, 0.20), (0.20, 0.40, 0.05, 0.20), (0.30, 0.45, 0.05, 0.20),
    (0.10, 0.30, 0.10, 0.10), (0.50, 0.70, 0.05, 0.10),
])
def test_dominance_prune_keeps_every_non_dominated_minimum(
    setting: tuple[float, float, float, float],
) -> None:
    """With and without the prune, the per-n minimum EN0 (and its design) agree at every n
    not dominated by a smaller n, so minimax, admissible and optimal designs cannot change."""
    from oncotrial.stats._simon_search import BestByN, build_tables, search_range

    p0, p1, alpha, beta = setting
    nmax = 110
    tab0, tab1 = build_tables(nmax, p0), build_tables(nmax, p1)
    runs = {}
    for prune in (True, False):
        best = BestByN.empty(nmax)
        search_range(best, 2, nmax, tab0, tab1, alpha=alpha, beta=beta, prune=prune)
        runs[prune] = best
    full, pruned = runs[False], runs[True]
    prefix = np.minimum.accumulate(np.concatenate(([np.inf], full.en0[:-1])))
    non_dominated = np.flatnonzero(full.en0 < prefix)
    assert non_dominated.size > 0
    for name in ("en0", "n1", "r1", "r"):
        np.testing.assert_array_equal(getattr(pruned, name)[non_dominated],
                                      getattr(full, name)[non_dominated])
    # and the pruned run never reports a non-dominated size that the full run does not
    pruned_prefix = np.minimum.accumulate(np.concatenate(([np.inf], pruned.en0[:-1])))
    np.testing.assert_array_equal(np.flatnonzero(pruned.en0 < pruned_prefix), non_dominated)


@pytest.mark.parametrize(("r1", "n1", "r", "n", "p"), [
    (1, 10, 5, 29, 0.05), (3, 13, 12, 43, 0.30), (3, 8, 3, 10, 0.5), (0, 9, 2, 17, 0.25),
])
def test_one_exact_rejection_probability_for_stats_and_the_protocol(
        r1: int, n1: int, r: int, n: int, p: float) -> None:
    """The plain-Python formula the protocol loader uses equals the binomial sum computed with
    scipy (Simon 1989), including r == r1; compute_simon_oc returns that same number."""
    from scipy import stats as scipy_stats

    from oncotrial.stats._simon_exact import simon_reject_probability

    x = np.arange(r1 + 1, n1 + 1)
    expected = float(np.sum(scipy_stats.binom.pmf(x, n1, p)
                            * scipy_stats.binom.sf(r - x, n - n1, p)))
    assert simon_reject_probability(r1, n1, r, n, p=p) == pytest.approx(expected, abs=1e-14)
    assert compute_simon_oc(r1, n1, r, n, p=p).reject == simon_reject_probability(
        r1, n1, r, n, p=p)
