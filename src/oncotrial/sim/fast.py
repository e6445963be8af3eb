"""Many virtual phase II trials at once: patient-level outcomes and trial-level summaries.

The fast path runs the same patient, tumour, event and observation model as the detailed path
(:mod:`oncotrial.sim.trial`); only the dose intensity differs in origin: here it is drawn from
:class:`~oncotrial.sim.parameters.DoseIntensityParameters` (matched to the detailed path, where
every dose comes from ``oncotrial.rules.decide_dose``), so no per-visit rule calls are needed.

Trial ``i`` of a run with seed ``s`` always uses ``SeedSequence(s, spawn_key=(i,))`` — the
``i``-th child of ``SeedSequence(s).spawn`` — so results do not depend on chunking or workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincinv

from oncotrial.errors import DataError
from oncotrial.sim._draws import PatientDraws, concat_draws, draw_patients
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.observe import PatientOutcomes, compute_outcomes
from oncotrial.sim.parameters import DAYS_PER_MONTH, SimParameters
from oncotrial.sim.patients import make_patients
from oncotrial.sim.tumour import make_kinetics

__all__ = [
    "SIMON_ACTIVE",
    "SIMON_INACTIVE",
    "SIMON_STOP",
    "TrialSummaries",
    "compute_horizon",
    "compute_km_summaries",
    "draw_trials",
    "simulate_outcomes",
    "simulate_trials",
    "trial_seed",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SIMON_STOP, SIMON_INACTIVE, SIMON_ACTIVE = 0, 1, 2


@dataclass(frozen=True)
class TrialSummaries:
    """One row per simulated trial (arrays of length ``n_trials``)."""

    first_trial: int
    n_patients: int
    responders: IntArray  # confirmed CR + PR
    disease_control: IntArray  # confirmed CR/PR or SD ≥ minimum duration
    median_pfs_months: FloatArray  # Kaplan–Meier median, NaN when not reached
    pfs_6_months: FloatArray  # Kaplan–Meier PFS rate at 6 months
    pfs_12_months: FloatArray
    median_os_months: FloatArray
    simon_decision: IntArray  # SIMON_STOP / SIMON_INACTIVE / SIMON_ACTIVE
    mean_dose_intensity: FloatArray

    @property
    def n_trials(self) -> int:
        """Number of trials."""
        return int(self.responders.shape[0])


def trial_seed(seed: int, trial: int) -> np.random.SeedSequence:
    """The seed of trial ``trial``: the ``trial``-th child of ``SeedSequence(seed).spawn``.

    A trial's draws therefore depend only on the run seed and its own number, not on how the
    run is split into blocks or workers.

    Parameters
    ----------
    seed
        Seed of the whole run.
    trial
        Number of the trial (0-based).

    Returns
    -------
    numpy.random.SeedSequence
        The trial's seed sequence.

    Examples
    --------
    The same state as NumPy's own ``spawn``:

    >>> import numpy as np
    >>> from oncotrial.sim import trial_seed
    >>> child = np.random.SeedSequence(42).spawn(4)[3]
    >>> bool((trial_seed(42, 3).generate_state(4) == child.generate_state(4)).all())
    True
    """
    return np.random.SeedSequence(seed, spawn_key=(trial,))


def compute_horizon(design: TrialDesign, params: SimParameters) -> tuple[int, int]:
    """Number of scheduled scans and of treatment cycles covering accrual plus follow-up.

    Parameters
    ----------
    design
        Imaging interval and cycle length (days).
    params
        Accrual and follow-up (months of 30.4375 days).

    Returns
    -------
    tuple[int, int]
        ``ceil(days / imaging interval) + 1`` scans and ``ceil(days / cycle length) + 2``
        cycles, where ``days`` = accrual + follow-up.
    """
    days = (params.events.accrual_months + params.events.followup_months) * DAYS_PER_MONTH
    n_scans = math.ceil(days / design.imaging_interval_days) + 1
    n_cycles = math.ceil(days / design.cycle_length_days) + 2
    return n_scans, n_cycles


def draw_trials(seed: int, trials: range, *, n_patients: int, n_scans: int) -> PatientDraws:
    """Draws of the given trials, one generator per trial, stacked trial by trial.

    Parameters
    ----------
    seed
        Seed of the whole run; trial ``t`` draws from :func:`trial_seed` ``(seed, t)``.
    trials
        The trial numbers to draw.
    n_patients
        Patients per trial.
    n_scans
        Scheduled scans per patient (from :func:`compute_horizon`).

    Returns
    -------
    PatientDraws
        ``len(trials) × n_patients`` patients, trial by trial.
    """
    parts = [draw_patients(np.random.default_rng(trial_seed(seed, t)), n_patients,
                           n_scans=n_scans) for t in trials]
    return concat_draws(parts)


def _enrolment(draws: PatientDraws, n_patients: int, params: SimParameters) -> FloatArray:
    """Administrative censoring day per patient: uniform accrual, cut-off after follow-up."""
    ev = params.events
    enrol = np.sort(draws.u_enrol.reshape(-1, n_patients), axis=1) * (
        ev.accrual_months * DAYS_PER_MONTH)
    cutoff = enrol.max(axis=1, keepdims=True) + ev.followup_months * DAYS_PER_MONTH
    return np.asarray((cutoff - enrol).reshape(-1), dtype=np.float64)


def fast_dose_intensity(draws: PatientDraws, *, n_cycles: int,
                        params: SimParameters) -> FloatArray:
    """Per-cycle relative dose intensity: Beta RDI until a geometric stop for toxicity."""
    di = params.dose_intensity
    rdi = betaincinv(di.rdi_a, di.rdi_b, draws.u_rdi)
    rate = -math.log1p(-di.p_stop_per_cycle) if di.p_stop_per_cycle > 0 else 0.0
    stop = np.floor(draws.e_stop / rate) if rate > 0 else np.full(draws.n, np.inf)
    on = np.arange(n_cycles)[None, :] < stop[:, None]
    return np.asarray(np.where(on, rdi[:, None], 0.0), dtype=np.float64)


def simulate_outcomes(draws: PatientDraws, *, n_patients: int, design: TrialDesign,
                      params: SimParameters) -> tuple[PatientOutcomes, FloatArray]:
    """Patient-level outcomes of stacked trials of ``n_patients`` each (fast path).

    Parameters
    ----------
    draws
        Draws of whole trials stacked (:func:`draw_trials`).
    n_patients
        Patients per trial (accrual and cut-off are per trial).
    design
        Protocol values.
    params
        Model parameters; the dose intensity is drawn from ``params.dose_intensity`` (a Beta
        relative dose intensity until a geometric stop for toxicity).

    Returns
    -------
    tuple[PatientOutcomes, numpy.ndarray]
        The outcomes of every patient and each patient's mean relative dose intensity over the
        cycles on treatment (0 for none).
    """
    _, n_cycles = compute_horizon(design, params)
    patients = make_patients(draws, params=params.population)
    kinetics = make_kinetics(draws, patients, params=params.tumour)
    intensity = fast_dose_intensity(draws, n_cycles=n_cycles, params=params)
    outcomes = compute_outcomes(patients, kinetics, draws, cycle_intensity=intensity,
                                admin_censor_day=_enrolment(draws, n_patients, params),
                                design=design, params=params)
    on = intensity > 0
    mean_rdi = np.divide(intensity.sum(axis=1), on.sum(axis=1), out=np.zeros(draws.n),
                         where=on.any(axis=1))
    return outcomes, mean_rdi


_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))  # R quantile.survfit's tolerance


def compute_km_summaries(time: FloatArray, event: NDArray[np.bool_], *,
                         landmarks: tuple[float, ...]) -> tuple[FloatArray, FloatArray]:
    """Kaplan–Meier median and landmark survival for each row of ``time`` (trials × patients).

    Tied events are handled exactly (the product over tied events equals ``1 − d/n``);
    censorings at an event time count as at risk (sorted after events).  The median follows
    the one rule of :func:`oncotrial.stats.estimate_kaplan_meier` (R ``quantile.survfit``):
    the first time S(t) ≤ 0.5, or, where the curve sits exactly at 0.5, the midpoint of that
    flat (to the last follow-up time when it ends there); NaN if never reached.

    Parameters
    ----------
    time
        Follow-up times (trials, patients), any unit.
    event
        True for an event, False for a censoring (same shape).
    landmarks
        Times at which to read the survival curve (same unit).

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The median per row (NaN when not reached) and the survival at each landmark
        (rows, landmarks); 1 before the first time.

    Examples
    --------
    The maintained arm of R's ``survival::aml`` data: ``survfit(Surv(time, status) ~ x,
    data = aml)`` prints median 31 and ``summary(..., times = 20)`` survival 0.716:

    >>> import numpy as np
    >>> time = np.array([[9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]], dtype=float)
    >>> event = np.array([[1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]], dtype=bool)
    >>> median, at = compute_km_summaries(time, event, landmarks=(20.0,))
    >>> float(median[0]), round(float(at[0, 0]), 3)
    (31.0, 0.716)
    """
    m = time.shape[1]
    key = time + np.where(event, 0.0, 1e-6)
    order = np.argsort(key, axis=1, kind="stable")
    t = np.take_along_axis(time, order, axis=1)
    d = np.take_along_axis(event, order, axis=1)
    at_risk = m - np.arange(m)[None, :]
    surv = np.cumprod(np.where(d, 1.0 - 1.0 / at_risk, 1.0), axis=1)
    rows = np.arange(t.shape[0])
    reached = surv <= 0.5 + _SQRT_EPS  # at or below the level (R's tolerance)
    under = surv <= 0.5 - _SQRT_EPS  # strictly below: the end of a flat at exactly 0.5
    first = t[rows, reached.argmax(axis=1)]
    end = np.where(under.any(axis=1), t[rows, under.argmax(axis=1)], t[:, -1])
    median = np.where(reached.any(axis=1), 0.5 * (first + end), np.nan)
    marks = np.empty((t.shape[0], len(landmarks)))
    for j, mark in enumerate(landmarks):
        idx = (t <= mark).sum(axis=1) - 1
        marks[:, j] = np.where(idx >= 0, surv[np.arange(t.shape[0]), np.maximum(idx, 0)], 1.0)
    return median, marks


def _summarise(outcomes: PatientOutcomes, mean_rdi: FloatArray, *, n_patients: int,
               first_trial: int, design: TrialDesign) -> TrialSummaries:
    shape = (-1, n_patients)
    resp = outcomes.confirmed_response.reshape(shape)
    best = outcomes.best_response.reshape(shape)
    months = DAYS_PER_MONTH
    med_pfs, marks = compute_km_summaries(outcomes.pfs_days.reshape(shape),
                                          outcomes.pfs_event.reshape(shape),
                                          landmarks=(6 * months, 12 * months))
    med_os, _ = compute_km_summaries(outcomes.os_days.reshape(shape),
                                     outcomes.os_event.reshape(shape), landmarks=())
    stage1 = resp[:, : design.simon_n1].sum(axis=1)
    total = resp[:, : design.simon_n].sum(axis=1)
    decision = np.where(stage1 <= design.simon_r1, SIMON_STOP,
                        np.where(total > design.simon_r, SIMON_ACTIVE, SIMON_INACTIVE))
    return TrialSummaries(
        first_trial=first_trial, n_patients=n_patients,
        responders=resp.sum(axis=1).astype(np.int64),
        disease_control=(best <= 3).sum(axis=1).astype(np.int64),
        median_pfs_months=med_pfs / months, pfs_6_months=marks[:, 0], pfs_12_months=marks[:, 1],
        median_os_months=med_os / months, simon_decision=decision.astype(np.int64),
        mean_dose_intensity=mean_rdi.reshape(shape).mean(axis=1),
    )


def simulate_trials(n_trials: int, *, seed: int, design: TrialDesign, params: SimParameters,
                    n_patients: int = 30, first_trial: int = 0,
                    chunk_trials: int = 250) -> TrialSummaries:
    """Simulate trials ``first_trial … first_trial + n_trials − 1`` of the run ``seed``.

    Parameters
    ----------
    n_trials
        Number of trials (≥ 1).
    seed
        Seed of the whole run; trial ``i`` uses :func:`trial_seed` ``(seed, i)``.
    design
        Protocol values (:func:`oncotrial.sim.design.design_from_protocol`).
    params
        Model parameters (:data:`oncotrial.sim.parameters.DEFAULT_PARAMETERS`).
    n_patients
        Patients per trial; at least the Simon design's ``n``.
    first_trial
        Number of the first trial (0-based); a run split into blocks gives each block its
        own first trial and gets the same trials as one whole run.
    chunk_trials
        Trials simulated together in memory (≥ 1); the result does not depend on it.

    Returns
    -------
    TrialSummaries
        One row per trial, in trial order: confirmed responders, disease control,
        Kaplan–Meier median PFS and OS (months of 30.4375 days) and PFS at 6 and 12 months,
        the Simon decision from the first ``n1`` and ``n`` patients, and the mean relative
        dose intensity.

    Raises
    ------
    DataError
        *n_trials* or *chunk_trials* below 1, or *n_patients* below the Simon design's
        ``n``.
    """
    if n_trials < 1:
        raise DataError("need at least one trial", field="n_trials", value=n_trials,
                        allowed=">= 1")
    _check_chunk(chunk_trials)
    if n_patients < design.simon_n:
        raise DataError("fewer patients than the Simon design needs", field="n_patients",
                        value=n_patients, allowed=f">= {design.simon_n}")
    n_scans, _ = compute_horizon(design, params)
    parts: list[TrialSummaries] = []
    for start in range(first_trial, first_trial + n_trials, chunk_trials):
        stop = min(start + chunk_trials, first_trial + n_trials)
        draws = draw_trials(seed, range(start, stop), n_patients=n_patients, n_scans=n_scans)
        outcomes, rdi = simulate_outcomes(draws, n_patients=n_patients, design=design,
                                          params=params)
        parts.append(_summarise(outcomes, rdi, n_patients=n_patients, first_trial=start,
                                design=design))
    return concat_summaries(parts)


def _check_chunk(chunk_trials: int) -> None:
    if chunk_trials < 1:
        raise DataError("need at least one trial per block", field="chunk_trials",
                        value=chunk_trials, allowed=">= 1")


def concat_summaries(parts: list[TrialSummaries]) -> TrialSummaries:
    """Join consecutive blocks of trials (in the order given)."""
    first = parts[0]
    return TrialSummaries(
        first_trial=first.first_trial, n_patients=first.n_patients,
        responders=np.concatenate([p.responders for p in parts]),
        disease_control=np.concatenate([p.disease_control for p in parts]),
        median_pfs_months=np.concatenate([p.median_pfs_months for p in parts]),
        pfs_6_months=np.concatenate([p.pfs_6_months for p in parts]),
        pfs_12_months=np.concatenate([p.pfs_12_months for p in parts]),
        median_os_months=np.concatenate([p.median_os_months for p in parts]),
        simon_decision=np.concatenate([p.simon_decision for p in parts]),
        mean_dose_intensity=np.concatenate([p.mean_dose_intensity for p in parts]),
    )
