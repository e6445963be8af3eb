"""Calibration of the simulator against LEADER's published results (simulation.md §3.4–3.5).

Targets: confirmed ORR 6/30 = 20 % (exact 95 % CI 7.7–38.6 %) and median PFS 8.56 months
(95 % CI 4.40–not reached), Chen et al. Clin Cancer Res 2022;28:5058 [S1].  The report compares
the simulated population value (all simulated patients pooled) and the spread of the estimate
over simulated 30-patient trials (5th–95th percentile) with the published point and interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.stats import binomtest

from oncotrial.sim._draws import PatientDraws
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.fast import (
    compute_horizon,
    compute_km_summaries,
    draw_trials,
    simulate_outcomes,
)
from oncotrial.sim.observe import PatientOutcomes
from oncotrial.sim.parameters import DAYS_PER_MONTH, SimParameters

__all__ = [
    "PUBLISHED_TARGETS",
    "CalibrationReport",
    "CalibrationRow",
    "PublishedTarget",
    "estimate_calibration",
    "fit_kinetics",
]


# KM survival aimed for at the published median: just under 0.5, so that the step-shaped KM
# median falls at the scan cluster containing 8.56 months rather than at the next scan.
PFS_AT_MEDIAN = 0.47


@dataclass(frozen=True)
class PublishedTarget:
    """A published summary statistic with its interval and source."""

    name: str
    value: float
    lower: float
    upper: float  # inf = not reached
    source: str


def _orr_target() -> PublishedTarget:
    ci = binomtest(6, 30).proportion_ci(confidence_level=0.95, method="exact")
    return PublishedTarget("Confirmed ORR", 0.20, float(ci.low), float(ci.high),
                           "Chen 2022 CCR 28:5058 [S1]: 6/30 confirmed, exact 95 % CI")


PUBLISHED_TARGETS: tuple[PublishedTarget, ...] = (
    _orr_target(),
    PublishedTarget("Median PFS (months)", 8.56, 4.40, math.inf,
                    "Chen 2022 CCR 28:5058 [S1]: 8.56 months, 95 % CI 4.40–NR"),
)


@dataclass(frozen=True)
class CalibrationRow:
    """Simulated versus published for one statistic."""

    target: PublishedTarget
    simulated: float  # population value (all simulated patients pooled)
    trial_p05: float  # 5th percentile over simulated trials of the published size
    trial_p95: float
    within: bool  # published value inside the simulated 5–95 % range of trials


@dataclass(frozen=True)
class CalibrationReport:
    """The calibration table plus run facts."""

    rows: tuple[CalibrationRow, ...]
    n_trials: int
    n_patients: int
    seed: int
    p_at_least_6_responders: float  # share of simulated trials with ≥ 6/30 confirmed responses


def _pooled(outcomes: PatientOutcomes) -> tuple[float, float]:
    orr = float(outcomes.confirmed_response.mean())
    med, _ = compute_km_summaries(outcomes.pfs_days[None, :], outcomes.pfs_event[None, :],
                                  landmarks=())
    return orr, float(med[0]) / DAYS_PER_MONTH


def _per_trial(outcomes: PatientOutcomes, n_patients: int) -> tuple[NDArray[np.float64], ...]:
    resp = outcomes.confirmed_response.reshape(-1, n_patients).mean(axis=1)
    med, _ = compute_km_summaries(outcomes.pfs_days.reshape(-1, n_patients),
                                  outcomes.pfs_event.reshape(-1, n_patients), landmarks=())
    return resp, med / DAYS_PER_MONTH


def estimate_calibration(design: TrialDesign, *, params: SimParameters, n_trials: int = 2000,
                         n_patients: int = 30, seed: int = 20220901) -> CalibrationReport:
    """Simulate ``n_trials`` trials of ``n_patients`` and compare with the published targets.

    Parameters
    ----------
    design
        Protocol values (:func:`design_from_protocol`).
    params
        Model parameters (e.g. the result of :func:`fit_kinetics`).
    n_trials
        Number of simulated trials.
    n_patients
        Patients per trial (LEADER phase II: 30).
    seed
        Seed of the run; trial ``i`` uses :func:`trial_seed` ``(seed, i)``.

    Returns
    -------
    CalibrationReport
        One row per :data:`PUBLISHED_TARGETS` entry (pooled value, 5th–95th percentile over
        trials, whether the published value lies inside) and the share of trials with ≥ 6
        confirmed responders.
    """
    n_scans, _ = compute_horizon(design, params)
    draws = draw_trials(seed, range(n_trials), n_patients=n_patients, n_scans=n_scans)
    outcomes, _ = simulate_outcomes(draws, n_patients=n_patients, design=design, params=params)
    pooled = _pooled(outcomes)
    per_trial = _per_trial(outcomes, n_patients)
    rows = []
    for target, sim, spread in zip(PUBLISHED_TARGETS, pooled, per_trial, strict=True):
        p05, p95 = (float(v) for v in np.nanpercentile(spread, [5, 95]))
        rows.append(CalibrationRow(target, sim, p05, p95, p05 <= target.value <= p95))
    n_resp = np.rint(per_trial[0] * n_patients)
    return CalibrationReport(rows=tuple(rows), n_trials=n_trials, n_patients=n_patients,
                             seed=seed, p_at_least_6_responders=float((n_resp >= 6).mean()))


def fit_kinetics(design: TrialDesign, *, params: SimParameters, n_patients: int = 30,
                 n_trials: int = 1000, seed: int = 7) -> SimParameters:
    """Fit kill ``p`` and resistance ``c`` to the published ORR and median PFS.

    Moment matching with common random numbers and Nelder–Mead (simulation.md §3.4).  The KM
    median moves in steps of the scan interval, so the PFS target is the smooth equivalent
    "KM PFS at 8.56 months ≈ 0.5" (:data:`PFS_AT_MEDIAN`); each term is weighted by its
    n = 30 standard error (ORR 0.073, survival at the median √(0.25/30) ≈ 0.09).

    Parameters
    ----------
    design
        Protocol values (:func:`design_from_protocol`).
    params
        Starting parameters; their tumour ``p`` and ``c`` are the starting point of the search.
    n_patients
        Patients per simulated trial.
    n_trials
        Number of simulated trials pooled in each evaluation (the same draws throughout).
    seed
        Seed of the draws.

    Returns
    -------
    SimParameters
        *params* with the fitted tumour ``p`` and ``c`` (at most 80 Nelder–Mead iterations).
    """
    n_scans, _ = compute_horizon(design, params)
    draws: PatientDraws = draw_trials(seed, range(n_trials), n_patients=n_patients,
                                      n_scans=n_scans)
    orr_t, pfs_t = (t.value for t in PUBLISHED_TARGETS)

    def with_kinetics(x: NDArray[np.float64]) -> SimParameters:
        tumour = replace(params.tumour, p=float(np.exp(x[0])), c=float(np.exp(x[1])))
        return replace(params, tumour=tumour)

    def distance(x: NDArray[np.float64]) -> float:
        out, _ = simulate_outcomes(draws, n_patients=n_patients, design=design,
                                   params=with_kinetics(x))
        orr = float(out.confirmed_response.mean())
        _, at_median = compute_km_summaries(out.pfs_days[None, :], out.pfs_event[None, :],
                                            landmarks=(pfs_t * DAYS_PER_MONTH,))
        return ((orr - orr_t) / 0.073) ** 2 + ((float(at_median[0, 0]) - PFS_AT_MEDIAN) / 0.09) ** 2

    x0 = np.log([params.tumour.p, params.tumour.c])
    result = minimize(distance, x0, method="Nelder-Mead",
                      options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 80})
    return with_kinetics(result.x)
