"""Simulated phase Ib cohorts at LEADER's start regimen: counts per cohort of 6, reproducible by
seed, reductions read from the dose decisions, and the published course (1 DLT, 4/6 reduced;
Chen 2022 CCR 28:5058) inside the simulated range."""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import load_protocol
from oncotrial.sim.parameters import SimParameters
from oncotrial.sim.phase_ib_course import PUBLISHED_IB, simulate_phase_ib_course


@pytest.fixture(scope="module")
def course():  # type: ignore[no-untyped-def]
    return simulate_phase_ib_course(load_protocol(), params=SimParameters(), n_cohorts=40,
                                    seed=11)


def test_counts_are_per_cohort_of_six(course) -> None:  # type: ignore[no-untyped-def]
    assert course.dlts.shape == course.reduced.shape == (40,)
    assert course.dlts.min() >= 0
    assert course.dlts.max() <= 6
    assert course.reduced.max() <= 6
    assert course.regimen == "L18E1.1"


def test_same_seed_same_course(course) -> None:  # type: ignore[no-untyped-def]
    again = simulate_phase_ib_course(load_protocol(), params=SimParameters(), n_cohorts=40,
                                     seed=11)
    assert np.array_equal(again.dlts, course.dlts)
    assert np.array_equal(again.reduced, course.reduced)


def test_the_published_course_is_inside_the_simulated_range(course) -> None:  # type: ignore[no-untyped-def]
    _, dlts, reduced = PUBLISHED_IB
    low, high = course.range_5_95(course.dlts)
    assert low <= dlts <= high
    assert course.share(course.reduced, reduced, at_least=True) > 0  # happens, if rarely


def test_shares_add_up(course) -> None:  # type: ignore[no-untyped-def]
    total = sum(course.share(course.dlts, k) for k in range(7))
    assert total == pytest.approx(1.0)
    assert course.share(course.dlts, 0, at_least=True) == 1.0


def test_bad_counts_are_refused() -> None:
    with pytest.raises(DataError, match="n_cohorts"):
        simulate_phase_ib_course(load_protocol(), params=SimParameters(), n_cohorts=0)


def test_a_simulated_trial_says_which_clause_decided_its_rp2d() -> None:
    from oncotrial.sim.trial import simulate_trial

    trial = simulate_trial(load_protocol(), n_patients=18, seed=3)
    found = trial.rp2d_found
    assert found is not None
    assert found.clause in {"dlt_count", "tolerability"}
    assert "had lenvatinib reduced or stopped within 3 cycles" in found.reason
    stop = trial.cohorts[-1]
    expected = stop.regimen if found.clause == "dlt_count" else None
    if expected is not None:
        assert found.regimen == expected
