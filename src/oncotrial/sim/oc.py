"""Operating characteristics of the phase II design over simulated trials, on Dask or in-process.

Trials are split into fixed blocks of ``chunk_trials`` (independent of the number of workers);
trial ``i`` always draws from :func:`oncotrial.sim.fast.trial_seed` ``(seed, i)``, so a run gives
identical numbers in-process, on a local cluster or on any remote Dask cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from oncotrial.errors import DataError
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.fast import (
    SIMON_ACTIVE,
    SIMON_STOP,
    TrialSummaries,
    concat_summaries,
    simulate_trials,
)
from oncotrial.sim.parameters import SimParameters

__all__ = [
    "DEFAULT_SCENARIOS",
    "OperatingCharacteristics",
    "Scenario",
    "estimate_operating_characteristics",
    "simulate_trials_parallel",
]


@dataclass(frozen=True)
class Scenario:
    """A "true" state of nature: multipliers on the calibrated kill ``p`` and growth ``g``."""

    name: str
    kill_factor: float = 1.0
    growth_factor: float = 1.0

    def apply(self, params: SimParameters) -> SimParameters:
        """The parameters of this scenario."""
        tumour = replace(params.tumour, p=params.tumour.p * self.kill_factor,
                         g=params.tumour.g * self.growth_factor)
        return replace(params, tumour=tumour)


DEFAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("weak drug (kill × 0.4)", kill_factor=0.4),
    Scenario("LEADER-calibrated", kill_factor=1.0),
    Scenario("strong drug (kill × 1.5)", kill_factor=1.5),
)


@dataclass(frozen=True)
class OperatingCharacteristics:
    """How the Simon design behaves under one scenario."""

    scenario: Scenario
    n_trials: int
    true_orr: float  # pooled confirmed ORR over every simulated patient
    p_early_stop: float
    p_declare_active: float
    expected_n: float
    correct_decision: float | None  # P(right call) when true ORR ≤ p0 or ≥ p1, else None
    median_pfs_months: float  # median over trials of the trial's KM median PFS
    summaries: TrialSummaries


def _run_block(scenario: Scenario, start: int, size: int, *, seed: int, design: TrialDesign,
               params: SimParameters, n_patients: int) -> TrialSummaries:
    return simulate_trials(size, seed=seed, design=design, params=scenario.apply(params),
                           n_patients=n_patients, first_trial=start, chunk_trials=size)


def simulate_trials_parallel(scenario: Scenario, *, n_trials: int, seed: int,
                             design: TrialDesign, params: SimParameters, n_patients: int = 30,
                             chunk_trials: int = 250, client: Any = None,
                             on_progress: Callable[[int], None] | None = None) -> TrialSummaries:
    """Simulate ``n_trials`` trials in blocks, on a Dask ``client`` if given, else in-process.

    Trial ``i`` uses :func:`trial_seed` ``(seed, i)`` however the blocks are run, so the result
    does not depend on *chunk_trials* or on the workers.

    Parameters
    ----------
    scenario
        The state of nature whose parameters are simulated (:meth:`Scenario.apply`).
    n_trials
        Number of trials (≥ 1).
    seed
        Seed of the whole run.
    design
        Protocol values (:func:`design_from_protocol`).
    params
        Calibrated model parameters, before the scenario's multipliers.
    n_patients
        Patients per trial; at least the Simon design's ``n``.
    chunk_trials
        Trials per block (one task on a Dask worker).
    client
        A ``distributed.Client``; ``None`` runs the blocks in this process.
    on_progress
        Called with the number of trials of each block as it finishes.

    Returns
    -------
    TrialSummaries
        Per-trial summaries in trial order.

    Raises
    ------
    DataError
        *n_trials* or *chunk_trials* < 1, or *n_patients* below the Simon design's ``n``.
    """
    if n_trials < 1:
        raise DataError("need at least one trial", field="n_trials", value=n_trials,
                        allowed=">= 1")
    if chunk_trials < 1:
        raise DataError("need at least one trial per block", field="chunk_trials",
                        value=chunk_trials, allowed=">= 1")
    starts = list(range(0, n_trials, chunk_trials))
    sizes = [min(chunk_trials, n_trials - s) for s in starts]
    blocks: dict[int, TrialSummaries] = {}
    if client is None:
        for start, size in zip(starts, sizes, strict=True):
            blocks[start] = _run_block(scenario, start, size, seed=seed, design=design,
                                       params=params, n_patients=n_patients)
            if on_progress is not None:
                on_progress(size)
    else:
        # distributed is heavy to import; only a Dask run needs it.
        from distributed import as_completed  # noqa: PLC0415

        futures = [client.submit(_run_block, scenario, start, size, seed=seed, design=design,
                                 params=params, n_patients=n_patients, pure=False)
                   for start, size in zip(starts, sizes, strict=True)]
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            block: TrialSummaries = future.result()
            blocks[block.first_trial] = block
            if on_progress is not None:
                on_progress(block.n_trials)
    return concat_summaries([blocks[s] for s in starts])


def _characterise(scenario: Scenario, summaries: TrialSummaries,
                  design: TrialDesign, p0: float, p1: float) -> OperatingCharacteristics:
    decision = summaries.simon_decision
    stop = decision == SIMON_STOP
    active = decision == SIMON_ACTIVE
    true_orr = float(summaries.responders.sum() / (summaries.n_trials * summaries.n_patients))
    correct: float | None = None
    if true_orr <= p0:
        correct = float((~active).mean())
    elif true_orr >= p1:
        correct = float(active.mean())
    return OperatingCharacteristics(
        scenario=scenario, n_trials=summaries.n_trials, true_orr=true_orr,
        p_early_stop=float(stop.mean()), p_declare_active=float(active.mean()),
        expected_n=float(np.where(stop, design.simon_n1, design.simon_n).mean()),
        correct_decision=correct,
        median_pfs_months=float(np.nanmedian(summaries.median_pfs_months)),
        summaries=summaries,
    )


def estimate_operating_characteristics(
    design: TrialDesign, *, params: SimParameters, p0: float, p1: float,
    scenarios: Sequence[Scenario] = DEFAULT_SCENARIOS, n_trials: int = 1000, seed: int = 1,
    n_patients: int | None = None, chunk_trials: int = 250, client: Any = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[OperatingCharacteristics, ...]:
    """Operating characteristics of the protocol's Simon design under each scenario.

    Parameters
    ----------
    design
        Protocol values, including the Simon boundaries ``r1/n1`` and ``r/n``.
    params
        Calibrated model parameters; each scenario scales them.
    p0, p1
        The design's null and alternative response rates (a decision is "right" when it
        declares activity with true ORR ≥ ``p1`` and does not with true ORR ≤ ``p0``).
    scenarios
        The states of nature to simulate (default: a weak drug, LEADER-calibrated, a strong
        drug).
    n_trials
        Trials per scenario (≥ 1).
    seed
        Seed of the run; every scenario uses the same trial seeds (common random numbers).
    n_patients
        Patients per trial; ``None`` for the Simon design's ``n``.
    chunk_trials
        Trials per block (one task on a Dask worker); the result does not depend on it.
    client
        A ``distributed.Client``; ``None`` runs in-process with identical results.
    on_progress
        Called with the number of trials of each block as it finishes.

    Returns
    -------
    tuple[OperatingCharacteristics, ...]
        One per scenario, in order: pooled true confirmed ORR, P(early stop at stage 1),
        P(declare active), expected sample size, P(right decision) when the true ORR is
        ≤ *p0* or ≥ *p1*, median over trials of the KM median PFS (months), and the
        per-trial summaries.

    Raises
    ------
    DataError
        *n_trials* or *chunk_trials* < 1, or *n_patients* below the Simon design's ``n``.
    """
    size = n_patients or design.simon_n
    return tuple(
        _characterise(
            scenario,
            simulate_trials_parallel(scenario, n_trials=n_trials, seed=seed, design=design,
                                     params=params, n_patients=size, chunk_trials=chunk_trials,
                                     client=client, on_progress=on_progress),
            design, p0, p1,
        )
        for scenario in scenarios
    )
