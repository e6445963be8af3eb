"""The simulator's RECIST observation layer: thresholds on both sides, confirmation, KM."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from oncotrial.sim.design import TrialDesign
from oncotrial.sim.fast import compute_km_summaries
from oncotrial.sim.observe import CR, NE, PD, PR, SD, _best_response, _timepoint_responses
from oncotrial.stats import estimate_kaplan_meier


def _one_lesion(baseline: float, *readings: float, nodal: bool = False,
                new: tuple[bool, ...] | None = None) -> tuple[int, ...]:
    obs = np.full((1, 5, len(readings) + 1), np.nan)
    obs[0, 0, :] = (baseline, *readings)
    done = np.ones((1, len(readings)), bool)
    seen = np.array([new or (False,) * len(readings)])
    code = _timepoint_responses(obs, np.array([[nodal] + [False] * 4]), done, seen)
    return tuple(int(c) for c in code[0])


@pytest.mark.parametrize(
    ("baseline", "readings", "expected"),
    [
        pytest.param(100.0, (100.0, 70.0), (SD, PR), id="exactly-30pct-decrease-is-PR"),
        pytest.param(100.0, (100.0, 71.0), (SD, SD), id="29pct-decrease-is-SD"),
        pytest.param(25.0, (25.0, 30.0), (SD, PD), id="20pct-and-5mm-is-PD"),
        pytest.param(25.0, (25.0, 29.0), (SD, SD), id="16pct-is-SD"),
        pytest.param(20.0, (20.0, 24.0), (SD, SD), id="20pct-but-4mm-is-SD"),
        pytest.param(20.0, (20.0, 25.0), (SD, PD), id="25pct-and-5mm-is-PD"),
        pytest.param(100.0, (0.0, 0.0), (CR, CR), id="disappeared-is-CR"),
    ],
)
def test_target_thresholds_recist_11(baseline: float, readings: tuple[float, float],
                                     expected: tuple[int, int]) -> None:
    """PR ≥ 30 % below baseline; PD ≥ 20 % and ≥ 5 mm over nadir (RECIST 1.1 §4.3.1)."""
    assert _one_lesion(baseline, *readings) == expected


def test_nadir_not_baseline_is_the_pd_reference() -> None:
    """PD is measured from the smallest sum so far: 50 → 60 after a nadir of 50 is PD."""
    assert _one_lesion(100.0, 50.0, 60.0) == (PR, PD)


@pytest.mark.parametrize(("size", "expected"), [(9.0, CR), (10.0, PR)])
def test_node_below_10mm_short_axis_counts_as_cr(size: float, expected: int) -> None:
    """A node < 10 mm short axis is normal (CR); 10 mm is not (RECIST 1.1 §4.3.1)."""
    assert _one_lesion(20.0, size, nodal=True)[0] == expected


def test_new_lesion_is_pd_whatever_the_sum() -> None:
    """An unequivocal new lesion means PD even while the targets shrink (RECIST 1.1 §4.3.3)."""
    assert _one_lesion(100.0, 60.0, 50.0, new=(False, True)) == (PR, PD)


def _design(confirm: int = 28, sd_min: int = 42) -> TrialDesign:
    return TrialDesign(21, 42, 7, confirm, sd_min, 5.0, 14.0, 1.1, (1, 8), 0, 10, 3, 29)


@pytest.mark.parametrize(("gap", "confirmed"), [(28.0, True), (27.0, False)])
def test_confirmation_needs_the_protocol_interval(gap: float, confirmed: bool) -> None:
    """A PR is confirmed only by a second PR ≥ confirmation_interval_days later."""
    code = np.array([[PR, PR]], dtype=np.int8)
    days = np.array([[42.0, 42.0 + gap]])
    best, _, resp = _best_response(code, days, _design())
    assert bool(resp[0]) is confirmed
    assert int(best[0]) == (PR if confirmed else SD)


@pytest.mark.parametrize(("day", "best"), [(42.0, SD), (41.0, NE)])
def test_sd_needs_the_minimum_duration(day: float, best: int) -> None:
    """SD counts as best response only at ≥ min_sd_duration_days from start."""
    out, _, _ = _best_response(np.array([[SD]], dtype=np.int8), np.array([[day]]), _design())
    assert int(out[0]) == best


def test_unconfirmed_pr_followed_by_pd_is_sd() -> None:
    """PR then PD: best response is SD when the PR came after the minimum SD duration."""
    out, _, resp = _best_response(np.array([[PR, PD]], dtype=np.int8),
                               np.array([[45.0, 88.0]]), _design())
    assert int(out[0]) == SD
    assert not resp[0]


def test_vectorised_km_is_the_one_km_of_stats(rng: np.random.Generator) -> None:
    """Median and landmark survival equal oncotrial.stats.estimate_kaplan_meier (the R survfit
    conventions, checked against R elsewhere), ties included, row by row."""
    time = np.round(rng.exponential(200.0, size=(40, 30)) / 7) * 7
    event = rng.random((40, 30)) < 0.7
    med, marks = compute_km_summaries(time, event, landmarks=(100.0, 250.0))
    for i in range(40):
        km = estimate_kaplan_meier(time[i], event[i])
        ref = km.median.estimate
        if ref is None:
            assert np.isnan(med[i])
        else:
            assert med[i] == pytest.approx(ref)
        surv, _, _ = km.survival_at([100.0, 250.0]) if time[i].max() >= 250 else (
            np.array([np.nan, np.nan]), None, None)
        if time[i].max() >= 250:
            np.testing.assert_allclose(marks[i], surv, rtol=1e-12)


def test_median_on_a_flat_at_exactly_one_half_is_its_midpoint() -> None:
    """R quantile.survfit: events at 1 and 2 of 4, S = 0.5 from 2 until the last follow-up 4
    → median 3 (the first-time-below rule would say 2); a flat ended by an event at 5 → 3.5;
    lifelines' KaplanMeierFitter gives 2 for the first (its rule differs)."""
    time = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]])
    event = np.array([[True, True, False, False], [True, True, False, True]])
    med, _ = compute_km_summaries(time, event, landmarks=())
    assert med.tolist() == [3.0, 3.5]
    for i in range(2):
        assert estimate_kaplan_meier(time[i], event[i]).median.estimate == med[i]
    assert KaplanMeierFitter().fit(time[0], event[0]).median_survival_time_ == 2.0
