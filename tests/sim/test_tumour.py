"""Claret–Bruno tumour dynamics and the new-lesion hazard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import kstest

from oncotrial.sim.parameters import EventParameters, TumourParameters
from oncotrial.sim.patients import simulate_patients
from oncotrial.sim.tumour import (
    Kinetics,
    compute_kill_integral,
    compute_lesion_sizes,
    compute_new_lesion_day,
)


def _kinetics(g: float, p: float, c: float, n: int = 1) -> Kinetics:
    return Kinetics(g=np.full(n, g), p=np.full(n, p), c=np.full(n, c),
                    lesion_kill=np.ones((n, 5)))


def test_full_intensity_matches_claret_bruno_closed_form() -> None:
    """E ≡ 1 gives S = S0·exp(g·t − (p/c)(1 − e^(−c·t))) (jmpost Claret–Bruno [S18])."""
    g, p, c = 0.0013, 0.0058, 0.0115
    kin = _kinetics(g, p, c)
    days = np.array([[0.0, 10.0, 42.0, 130.0, 400.0]])
    kill = compute_kill_integral(np.ones((1, 40)), kinetics=kin, cycle_length_days=21, day=days)
    expected = (p / c) * (1 - np.exp(-c * days))
    np.testing.assert_allclose(kill, expected, rtol=1e-12)
    pts = simulate_patients(1, rng=np.random.default_rng(1))
    sizes = compute_lesion_sizes(pts, kin, kill=kill, day=days, params=TumourParameters())
    ratio = sizes[0, 0] / pts.lesion_mm[0, 0]
    np.testing.assert_allclose(ratio, np.exp(g * days[0] - expected[0]), rtol=1e-12)


def test_piecewise_intensity_matches_numerical_integral() -> None:
    """Per-cycle intensity (hold, reduction) integrates as scipy.integrate.quad does."""
    p, c = 0.006, 0.01
    intensity = np.array([[1.0, 0.0, 0.5, 0.75, 1.0]])
    kin = _kinetics(0.001, p, c)
    t = 90.0

    def integrand(tau: float) -> float:
        k = min(int(tau // 21), 4)
        return p * intensity[0, k] * np.exp(-c * tau)

    expected, _ = quad(integrand, 0, t, points=[21, 42, 63, 84], limit=200)
    got = compute_kill_integral(intensity, kinetics=kin, cycle_length_days=21,
                                day=np.array([[t]]))
    assert got[0, 0] == pytest.approx(expected, rel=1e-10)


def test_dose_hold_leaves_tumour_larger() -> None:
    """Holding treatment in cycle 2 leaves every later tumour size larger (dose drives kill)."""
    kin = _kinetics(0.0013, 0.006, 0.0115)
    days = np.array([[63.0, 126.0, 252.0]])
    full = compute_kill_integral(np.ones((1, 20)), kinetics=kin, cycle_length_days=21, day=days)
    held = np.ones((1, 20))
    held[0, 1] = 0.0
    less = compute_kill_integral(held, kinetics=kin, cycle_length_days=21, day=days)
    assert (less < full).all()


def test_days_before_treatment_have_no_kill() -> None:
    """The baseline scan (negative day) sees growth only."""
    kin = _kinetics(0.0013, 0.006, 0.0115)
    kill = compute_kill_integral(np.ones((1, 5)), kinetics=kin, cycle_length_days=21,
                                 day=np.array([[-20.0, 0.0]]))
    np.testing.assert_array_equal(kill, [[0.0, 0.0]])


def test_constant_hazard_gives_exponential_new_lesion_times() -> None:
    """With no growth and no drug the new-lesion hazard is h0, so times are Exp(h0)."""
    n = 4000
    kin = _kinetics(0.0, 0.0, 0.01, n=n)
    params = EventParameters(new_lesion_h0=0.002)
    e = np.random.default_rng(5).standard_exponential(n)
    day = compute_new_lesion_day(np.zeros((n, 10)), kinetics=kin, cycle_length_days=21,
                                 horizon_days=6000.0, e_new_lesion=e, params=params)
    finite = day[np.isfinite(day)]
    assert finite.size > 0.99 * n
    assert kstest(finite, "expon", args=(0, 1 / 0.002)).pvalue > 0.01


def test_shrinking_tumour_lowers_new_lesion_risk() -> None:
    """h = h0·(S/S0)^γ: a responding tumour produces new lesions later (simulation.md §2.4)."""
    n = 2000
    e = np.random.default_rng(9).standard_exponential(n)
    args = {"cycle_length_days": 21, "horizon_days": 3000.0, "e_new_lesion": e,
            "params": EventParameters()}
    none = compute_new_lesion_day(np.zeros((n, 150)), kinetics=_kinetics(0.0013, 0.006, 0.01, n),
                                  **args)
    full = compute_new_lesion_day(np.ones((n, 150)), kinetics=_kinetics(0.0013, 0.006, 0.01, n),
                                  **args)
    assert (full >= none).all()
    assert np.median(full) > np.median(none)


@settings(max_examples=40, deadline=None)
@given(
    base=st.lists(st.floats(0.0, 1.5), min_size=6, max_size=6),
    extra=st.lists(st.floats(0.0, 0.5), min_size=6, max_size=6),
    day=st.floats(0.0, 200.0),
)
def test_more_dose_never_less_kill(base: list[float], extra: list[float], day: float) -> None:
    """Property: raising the intensity in any cycle never lowers K(t) at any time."""
    kin = _kinetics(0.0013, 0.006, 0.0115)
    lo = np.array([base])
    hi = lo + np.array([extra])
    days = np.array([[day]])
    k_lo = compute_kill_integral(lo, kinetics=kin, cycle_length_days=21, day=days)
    k_hi = compute_kill_integral(hi, kinetics=kin, cycle_length_days=21, day=days)
    assert k_hi[0, 0] >= k_lo[0, 0] - 1e-12
