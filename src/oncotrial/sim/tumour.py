"""Claret–Bruno tumour dynamics driven by the dose actually given (simulation.md §2.1, §2.7).

``log(S(t)/S0) = g·t − ∫₀ᵗ p·E(τ)·exp(−c·τ) dτ`` (Claret 2009 [S17]; closed form in jmpost
[S18]).  The relative dose intensity ``E`` is constant within each treatment cycle, so the
integral is an exact sum over cycles — no time grid, fully vectorised over patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.sim._draws import PatientDraws
from oncotrial.sim.parameters import EventParameters, TumourParameters
from oncotrial.sim.patients import VirtualPatients

__all__ = [
    "Kinetics",
    "compute_kill_integral",
    "compute_lesion_sizes",
    "compute_new_lesion_day",
    "make_kinetics",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Kinetics:
    """Per-patient growth ``g``, kill ``p`` and resistance ``c`` (per day), lesion kill factors."""

    g: FloatArray
    p: FloatArray
    c: FloatArray
    lesion_kill: FloatArray  # (n, 5)


def make_kinetics(draws: PatientDraws, patients: VirtualPatients, *,
                  params: TumourParameters) -> Kinetics:
    """Log-normal between-patient variability ``θ_i = θ·exp(η_i)`` (simulation.md §2.2).

    Parameters
    ----------
    draws
        The patients' standard random draws (``eta`` (n, 3) normal, ``zeta`` (n, 5) normal).
    patients
        The virtual patients; an LPS patient's kill is multiplied by
        ``params.lps_kill_factor``.
    params
        Typical values ``g``, ``p``, ``c`` (per day) and their log-scale SDs ``omega_*``, and
        the lesion-level log-SD of kill.

    Returns
    -------
    Kinetics
        Per patient ``g = g·exp(ω_g·η₁)``, ``p = p·f_hist·exp(ω_p·η₂)``,
        ``c = c·exp(ω_c·η₃)`` (per day) and per lesion kill factors ``exp(sd·ζ)``.
    """
    eta = draws.eta
    hist = np.where(patients.lms, 1.0, params.lps_kill_factor)
    return Kinetics(
        g=params.g * np.exp(params.omega_g * eta[:, 0]),
        p=params.p * hist * np.exp(params.omega_p * eta[:, 1]),
        c=params.c * np.exp(params.omega_c * eta[:, 2]),
        lesion_kill=np.exp(params.lesion_kill_sd * draws.zeta),
    )


def compute_kill_integral(cycle_intensity: FloatArray, *, kinetics: Kinetics,
                          cycle_length_days: int, day: FloatArray) -> FloatArray:
    """``K(t) = ∫₀ᵗ p·E(τ)·exp(−c·τ) dτ`` at ``day`` (n, m) for per-cycle intensity (n, K).

    Days before cycle 1 day 1 (t ≤ 0) give 0; after the last cycle the intensity is 0.

    Parameters
    ----------
    cycle_intensity
        Relative dose intensity ``E`` of each patient's cycles (n, K), constant within a cycle.
    kinetics
        Per-patient kill ``p`` and resistance ``c`` (per day).
    cycle_length_days
        Length of a cycle (days).
    day
        Study days at which to evaluate (n, m).

    Returns
    -------
    numpy.ndarray
        ``K`` (n, m), dimensionless (the log-scale shrinkage before the lesion factor): the exact
        sum over whole cycles of ``p·E_k·(exp(−c·t_k) − exp(−c·t_{k+1}))/c`` plus the part of
        the current cycle.

    Examples
    --------
    At full intensity throughout, the closed form of Claret et al. (2009), ``p/c·(1 − e^(−c·t))``:

    >>> import numpy as np
    >>> from oncotrial.sim.tumour import Kinetics
    >>> k = Kinetics(g=np.array([0.0013]), p=np.array([0.00435]), c=np.array([0.00789]),
    ...              lesion_kill=np.ones((1, 5)))
    >>> got = compute_kill_integral(np.ones((1, 12)), kinetics=k, cycle_length_days=21,
    ...                             day=np.array([[-7.0, 42.0, 100.0]]))
    >>> expected = 0.00435 / 0.00789 * (1 - np.exp(-0.00789 * np.array([0.0, 42.0, 100.0])))
    >>> bool(np.allclose(got, expected)), round(float(got[0, 2]), 4)
    (True, 0.3009)
    """
    n, k = cycle_intensity.shape
    p = kinetics.p[:, None]
    c = kinetics.c[:, None]
    bounds = np.arange(k + 1, dtype=np.float64)[None, :] * cycle_length_days
    decay = np.exp(-c * bounds)  # (n, K+1)
    pieces = p * cycle_intensity * (decay[:, :-1] - decay[:, 1:]) / c
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(pieces, axis=1)], axis=1)
    t = np.maximum(day, 0.0)
    idx = np.minimum((t // cycle_length_days).astype(np.int64), k)
    intensity = np.concatenate([cycle_intensity, np.zeros((n, 1))], axis=1)
    e_k = np.take_along_axis(intensity, idx, axis=1)
    start = np.take_along_axis(decay, idx, axis=1)
    partial = p * e_k * (start - np.exp(-c * t)) / c
    return np.asarray(np.take_along_axis(cum, idx, axis=1) + partial, dtype=np.float64)


def compute_lesion_sizes(patients: VirtualPatients, kinetics: Kinetics, *,
                         kill: FloatArray, day: FloatArray,
                         params: TumourParameters) -> FloatArray:
    """True size (mm) of each target lesion (n, 5, m) at ``day`` (n, m) given ``K(day)``.

    Parameters
    ----------
    patients
        Baseline lesion sizes ``lesion_mm`` (n, 5), NaN where there is no lesion.
    kinetics
        Per-patient growth ``g`` (per day) and per-lesion kill factors.
    kill
        ``K(day)`` from :func:`compute_kill_integral` (n, m).
    day
        Study days (n, m).
    params
        ``max_log_ratio``: the upper clip of ``log(S/S0)`` (the lower clip is −30).

    Returns
    -------
    numpy.ndarray
        ``S0·exp(g·t − f_lesion·K(t))`` in mm, (n, 5, m); NaN for empty lesion slots.
    """
    growth = kinetics.g[:, None] * day  # (n, m)
    log_ratio = growth[:, None, :] - kinetics.lesion_kill[:, :, None] * kill[:, None, :]
    log_ratio = np.clip(log_ratio, -30.0, params.max_log_ratio)
    return np.asarray(patients.lesion_mm[:, :, None] * np.exp(log_ratio), dtype=np.float64)


def compute_new_lesion_day(cycle_intensity: FloatArray, *, kinetics: Kinetics,
                           cycle_length_days: int, horizon_days: float,
                           e_new_lesion: FloatArray, params: EventParameters) -> FloatArray:
    """Day a first new lesion appears, hazard ``h0·(S(t)/S0)^γ`` (simulation.md §2.4).

    Inverse transform on a grid of ``hazard_grid_days`` (trapezoid rule, linear within a
    step); ``inf`` if it does not appear before ``horizon_days``.

    Parameters
    ----------
    cycle_intensity
        Relative dose intensity per cycle (n, K).
    kinetics
        Per-patient ``g``, ``p``, ``c`` (the tumour-burden ratio ``S/S0`` uses the patient's
        kill, without lesion factors; ``log(S/S0)`` capped at 5).
    cycle_length_days
        Length of a cycle (days).
    horizon_days
        Last day considered.
    e_new_lesion
        One standard exponential draw per patient (n,): the cumulative hazard at which the
        lesion appears.
    params
        ``new_lesion_h0`` (per day), ``new_lesion_gamma`` and ``hazard_grid_days``.

    Returns
    -------
    numpy.ndarray
        Study day of the first new lesion per patient (n,), ``inf`` when none by the horizon.
    """
    step = params.hazard_grid_days
    grid = np.arange(0.0, horizon_days + step, step)
    n = cycle_intensity.shape[0]
    days = np.broadcast_to(grid, (n, grid.size))
    kill = compute_kill_integral(cycle_intensity, kinetics=kinetics,
                                 cycle_length_days=cycle_length_days, day=days)
    log_ratio = np.minimum(kinetics.g[:, None] * days - kill, 5.0)
    hazard = params.new_lesion_h0 * np.exp(params.new_lesion_gamma * log_ratio)
    steps = 0.5 * (hazard[:, 1:] + hazard[:, :-1]) * step
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)
    hit = cum > e_new_lesion[:, None]
    any_hit = hit[:, -1]
    j = np.maximum(hit.argmax(axis=1), 1)
    rows = np.arange(n)
    lo, hi = cum[rows, j - 1], cum[rows, j]
    frac = np.divide(e_new_lesion - lo, hi - lo, out=np.zeros(n), where=hi > lo)
    day = grid[j - 1] + frac * step
    return np.where(any_hit, day, np.inf)
