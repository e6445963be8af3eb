"""Fast path: determinism per seed, independence from chunking, calibration, Simon OCs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from oncotrial.errors import DataError
from oncotrial.sim.calibration import estimate_calibration
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.fast import SIMON_ACTIVE, SIMON_STOP, simulate_trials
from oncotrial.sim.parameters import DEFAULT_PARAMETERS

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open() as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def test_same_seed_same_trials(design: TrialDesign) -> None:
    """Two runs with one seed are identical; another seed differs."""
    a = simulate_trials(20, seed=11, design=design, params=DEFAULT_PARAMETERS)
    b = simulate_trials(20, seed=11, design=design, params=DEFAULT_PARAMETERS)
    c = simulate_trials(20, seed=12, design=design, params=DEFAULT_PARAMETERS)
    np.testing.assert_array_equal(a.responders, b.responders)
    np.testing.assert_array_equal(a.median_pfs_months, b.median_pfs_months)
    assert not np.array_equal(a.median_pfs_months, c.median_pfs_months)


def test_results_do_not_depend_on_chunking(design: TrialDesign) -> None:
    """Trial i is the same whether run in blocks of 3 or 250, or as part of a later block."""
    whole = simulate_trials(12, seed=5, design=design, params=DEFAULT_PARAMETERS)
    small = simulate_trials(12, seed=5, design=design, params=DEFAULT_PARAMETERS,
                            chunk_trials=3)
    tail = simulate_trials(4, seed=5, design=design, params=DEFAULT_PARAMETERS, first_trial=8)
    np.testing.assert_array_equal(whole.pfs_6_months, small.pfs_6_months)
    np.testing.assert_array_equal(whole.responders[8:], tail.responders)
    np.testing.assert_array_equal(whole.median_os_months[8:], tail.median_os_months)


def test_too_few_patients_for_the_simon_design_is_refused(design: TrialDesign) -> None:
    """n_patients below the Simon n raises a DataError naming the field and the minimum."""
    with pytest.raises(DataError, match=r"n_patients=10.*>= 29"):
        simulate_trials(2, seed=1, design=design, params=DEFAULT_PARAMETERS, n_patients=10)


def test_default_parameters_reproduce_leader(design: TrialDesign) -> None:
    """Pooled ORR and median PFS fall inside LEADER's published CIs, near the points [S1]."""
    targets = {row["statistic"]: row for row in _read("sim_leader_targets.csv")}
    report = estimate_calibration(design, params=DEFAULT_PARAMETERS, n_trials=600, seed=3)
    orr, pfs = report.rows
    assert float(targets["confirmed_orr"]["lower"]) < orr.simulated
    assert orr.simulated < float(targets["confirmed_orr"]["upper"])
    assert abs(orr.simulated - 0.20) < 0.03
    assert float(targets["median_pfs_months"]["lower"]) < pfs.simulated
    assert abs(pfs.simulated - 8.56) < 0.8
    assert orr.within
    assert pfs.within


def _exact_simon(p: float, design: TrialDesign) -> tuple[float, float]:
    n1, r1, n, r = design.simon_n1, design.simon_r1, design.simon_n, design.simon_r
    pet = float(binom.cdf(r1, n1, p))
    x1 = np.arange(r1 + 1, n1 + 1)
    active = float(sum(binom.pmf(x1, n1, p) * binom.sf(r - x1, n - n1, p)))
    return pet, active


@pytest.mark.parametrize("row", _read("sim_simon_oc.csv"), ids=lambda r: f"p={r['p']}")
def test_exact_simon_helper_matches_simon_1989(row: dict[str, str], design: TrialDesign) -> None:
    """The exact OC used below reproduces Simon 1989 Table 1 for LEADER's 0/10, 3/29 design."""
    pet, active = _exact_simon(float(row["p"]), design)
    assert pet == pytest.approx(float(row["pet"]), abs=0.01)
    assert active == pytest.approx(float(row["p_active"]), abs=0.01)
    if row["expected_n"]:
        en = design.simon_n1 + (1 - pet) * (design.simon_n - design.simon_n1)
        assert en == pytest.approx(float(row["expected_n"]), abs=0.1)


def test_simulated_simon_decisions_match_exact_binomial(design: TrialDesign) -> None:
    """Given the simulated true ORR, early stopping and success rates are exact binomial."""
    out = simulate_trials(1500, seed=21, design=design, params=DEFAULT_PARAMETERS,
                          n_patients=design.simon_n)
    p = out.responders.sum() / (out.n_trials * out.n_patients)
    pet, active = _exact_simon(float(p), design)
    se = np.sqrt(0.25 / out.n_trials)
    assert abs((out.simon_decision == SIMON_STOP).mean() - pet) < 3 * se
    assert abs((out.simon_decision == SIMON_ACTIVE).mean() - active) < 3 * se
