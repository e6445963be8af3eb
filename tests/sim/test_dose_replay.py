"""The casebook decides doses as the simulated trial did: the shipped demo trial (30 patients,
seed 20180601) entered through the services, every decision day asked of the dosing service
with only what the casebook holds, gives the simulator's action, level, dose and fired rules
at every one of its decisions — and the comparison does find differences when the casebook
is made to read week-old blood counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncotrial.protocol import Protocol
from oncotrial.services.simulation import (
    DEFAULT_START,
    enter_trial,
    fresh_demo_store,
    set_up_demo_users,
)
from oncotrial.sim import simulate_trial

DEMO_SEED = 20180601  # the seed `oncotrial demo` and `make demo` use


def _replay(tmp_path: Path, protocol: Protocol, n_patients: int) -> tuple[int, list[str]]:
    trial = simulate_trial(protocol, n_patients=n_patients, seed=DEMO_SEED)
    store = fresh_demo_store(tmp_path, None, DEFAULT_START)
    try:
        set_up_demo_users(store)
        differences = enter_trial(store, trial, protocol=protocol, start=DEFAULT_START,
                                  strict=False)
    finally:
        store.dispose()
    return len(trial.doses), differences


@pytest.mark.slow
def test_the_demo_trial_is_decided_by_the_casebook(tmp_path: Path, leader: Protocol) -> None:
    """0 of the demo's 1,779 dose decisions differ (measured 139 of 1,739 before the casebook
    held the hold state, the flags, urine protein and the day's labs)."""
    decisions, differences = _replay(tmp_path, leader, 30)
    assert decisions > 1500
    assert differences == []


@pytest.mark.slow
def test_the_replay_finds_differences_when_the_casebook_reads_stale_counts(
    tmp_path: Path, leader: Protocol,
) -> None:
    """With week-old blood counts allowed as the day's, decisions differ from the simulator's
    (which measures on the day): the replay check is not blind."""
    limits = dict(leader.dose_modification)
    limits["dose_lab_max_age_days"] = limits["dose_lab_max_age_days"].model_copy(
        update={"value": 7.0})
    stale = leader.model_copy(update={"dose_modification": limits})
    _decisions, differences = _replay(tmp_path, stale, 12)
    assert differences
    assert any("eribulin" in d for d in differences)
