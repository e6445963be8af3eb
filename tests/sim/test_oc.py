"""Operating characteristics: Dask and in-process runs give identical trials."""

from __future__ import annotations

import numpy as np
import pytest
from distributed import Client

from oncotrial.errors import DataError
from oncotrial.sim import (
    DEFAULT_PARAMETERS,
    Scenario,
    TrialDesign,
    estimate_operating_characteristics,
    simulate_trials,
    simulate_trials_parallel,
)


def test_dask_and_in_process_agree(design: TrialDesign) -> None:
    """A Dask client (in-process threads) returns exactly the in-process trials, in order."""
    scenario = Scenario("calibrated")
    kwargs = {"n_trials": 23, "seed": 4, "design": design, "params": DEFAULT_PARAMETERS,
              "chunk_trials": 5}
    local = simulate_trials_parallel(scenario, **kwargs)
    seen: list[int] = []
    with Client(processes=False, n_workers=2, threads_per_worker=1,
                dashboard_address=None) as client:
        remote = simulate_trials_parallel(scenario, client=client, on_progress=seen.append,
                                          **kwargs)
    assert sum(seen) == 23
    np.testing.assert_array_equal(local.responders, remote.responders)
    np.testing.assert_array_equal(local.median_pfs_months, remote.median_pfs_months)
    np.testing.assert_array_equal(local.simon_decision, remote.simon_decision)


def test_stronger_drug_is_declared_active_more_often(design: TrialDesign) -> None:
    """Raising the kill raises the true ORR and P(declare active); a weak drug stops early."""
    weak, strong = estimate_operating_characteristics(
        design, params=DEFAULT_PARAMETERS, p0=0.05, p1=0.20, n_trials=300, seed=2,
        scenarios=(Scenario("weak", kill_factor=0.3), Scenario("strong", kill_factor=1.5)))
    assert weak.true_orr < 0.08
    assert strong.true_orr > 0.2
    assert weak.p_early_stop > strong.p_early_stop
    assert strong.p_declare_active > 0.9
    assert weak.expected_n < strong.expected_n
    assert strong.correct_decision == pytest.approx(strong.p_declare_active)


def test_no_trials_is_refused(design: TrialDesign) -> None:
    """n_trials = 0 raises a DataError naming the field."""
    with pytest.raises(DataError, match="n_trials=0"):
        simulate_trials_parallel(Scenario("x"), n_trials=0, seed=1, design=design,
                                 params=DEFAULT_PARAMETERS)


@pytest.mark.parametrize("chunk_trials", [0, -5])
def test_blocks_of_no_trials_are_refused(design: TrialDesign, chunk_trials: int) -> None:
    """chunk_trials < 1 raises a DataError naming the field and the minimum (it used to end
    in Python's "range() arg 3 must not be zero" or in an empty run), in both entry points."""
    with pytest.raises(DataError, match=rf"chunk_trials={chunk_trials}.*>= 1"):
        simulate_trials_parallel(Scenario("x"), n_trials=2, seed=1, design=design,
                                 params=DEFAULT_PARAMETERS, chunk_trials=chunk_trials)
    with pytest.raises(DataError, match=rf"chunk_trials={chunk_trials}.*>= 1"):
        simulate_trials(2, seed=1, design=design, params=DEFAULT_PARAMETERS,
                        n_patients=design.simon_n, chunk_trials=chunk_trials)


def test_blocks_of_one_trial_give_the_same_trials(design: TrialDesign) -> None:
    """chunk_trials = 1 (the smallest allowed) runs and gives the trials of one block."""
    one = simulate_trials_parallel(Scenario("x"), n_trials=2, seed=1, design=design,
                                   params=DEFAULT_PARAMETERS, chunk_trials=1)
    whole = simulate_trials(2, seed=1, design=design, params=DEFAULT_PARAMETERS,
                            n_patients=30, chunk_trials=2)
    np.testing.assert_array_equal(one.responders, whole.responders)
