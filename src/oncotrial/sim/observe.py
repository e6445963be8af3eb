"""From true tumour courses to what a trial observes: scans, RECIST calls, PFS and OS.

simulation.md §2.3–2.6: scans every ``imaging_interval_days`` ± ``imaging_window_days`` with
occasional misses, per-lesion measurement error ``round(true·exp(ε₁) + ε₂)`` (< 3 mm true reads
0, 0 < reading < 5 mm reads "too small to measure" = 5 mm), RECIST 1.1 time-point responses
(Eisenhauer 2009 §4.3), confirmation of CR/PR at least ``confirmation_interval_days`` later, PFS
as the first PD scan or death (censored at the last adequate scan, FDA 2018 guidance) and OS as
death from pre-progression hazard or after post-progression survival.  This vectorised RECIST
is the simulator's own observation model; the trial's official calls are made by
``oncotrial.rules.recist`` on the recorded measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.sim._draws import PatientDraws
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.parameters import DAYS_PER_MONTH, SimParameters
from oncotrial.sim.patients import VirtualPatients
from oncotrial.sim.tumour import (
    Kinetics,
    compute_kill_integral,
    compute_lesion_sizes,
    compute_new_lesion_day,
)

__all__ = ["BEST_RESPONSE_CODES", "PatientOutcomes", "compute_outcomes"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
CodeArray = NDArray[np.int8]

NOT_DONE, CR, PR, SD, PD, NE = 0, 1, 2, 3, 4, 5
BEST_RESPONSE_CODES = {CR: "CR", PR: "PR", SD: "SD", PD: "PD", NE: "NE"}
NODE_NORMAL_MM = 10.0  # RECIST 1.1 §4.3.1: CR needs every node < 10 mm short axis
PR_FRACTION = 0.7  # ≥ 30 % decrease from baseline sum (RECIST 1.1 §4.3.1)
PD_FRACTION = 1.2  # ≥ 20 % increase over the nadir ...
PD_ABSOLUTE_MM = 5.0  # ... and ≥ 5 mm absolute increase (RECIST 1.1 §4.3.1)


@dataclass(frozen=True)
class PatientOutcomes:
    """What the trial observes for each patient (days from cycle 1 day 1)."""

    baseline_day: FloatArray  # day of the baseline scan (negative)
    scan_day: FloatArray  # (n, S) scheduled scan day with jitter
    scan_done: BoolArray  # (n, S) scan performed (not missed, before death/dropout/cut-off/PD)
    observed_mm: FloatArray  # (n, 5, S+1) readings, NaN where no lesion or no scan
    response: CodeArray  # (n, S) time-point response code, NOT_DONE where none
    new_lesion_day: FloatArray  # true appearance day of the first new lesion (inf = none)
    best_response: CodeArray  # confirmed best overall response code
    confirmed_response: BoolArray
    pfs_days: FloatArray
    pfs_event: BoolArray
    os_days: FloatArray
    os_event: BoolArray
    pd_day: FloatArray  # first PD scan day (inf = none observed)
    death_day: FloatArray  # inf = alive at the end of the horizon
    off_study_day: FloatArray  # min(dropout, death, administrative cut-off)


def _scan_schedule(draws: PatientDraws, design: TrialDesign,
                   obs: SimParameters) -> tuple[FloatArray, FloatArray, BoolArray]:
    s = draws.u_jitter.shape[1]
    w = design.imaging_window_days
    nominal = design.imaging_interval_days * np.arange(1, s + 1, dtype=np.float64)
    jitter = np.floor(draws.u_jitter * (2 * w + 1)) - w
    scan_day = nominal[None, :] + jitter
    window = obs.observation.baseline_window_days
    baseline_day = -(1.0 + np.floor(draws.u_baseline_day * window))
    missed = draws.u_missed < obs.observation.p_missed_scan
    return baseline_day, scan_day, ~missed


def _observe_sizes(true_mm: FloatArray, draws: PatientDraws, design: TrialDesign,
                   params: SimParameters) -> FloatArray:
    o = params.observation
    reading = np.round(true_mm * np.exp(o.measurement_cv * draws.eps_mult)
                       + o.measurement_sd_mm * draws.eps_add)
    reading = np.where(true_mm < o.disappeared_below_mm, 0.0, np.maximum(reading, 0.0))
    small = (reading > 0) & (reading < design.too_small_to_measure_mm)
    return np.where(small, design.too_small_to_measure_mm, reading)


def _timepoint_responses(obs_mm: FloatArray, nodal: BoolArray, done: BoolArray,
                         new_seen: BoolArray) -> tuple[CodeArray, NDArray[np.intp]]:
    """RECIST 1.1 target + new-lesion time-point response per scan; index of first PD."""
    sld = np.nansum(obs_mm, axis=1)  # (n, S+1)
    base = sld[:, :1]
    post = sld[:, 1:]
    masked = np.where(done, post, np.nan)
    running = np.fmin.accumulate(np.concatenate([base, masked], axis=1), axis=1)
    nadir = running[:, :-1]
    grow = (post * 10 >= nadir * (PD_FRACTION * 10)) & (post - nadir >= PD_ABSOLUTE_MM)
    pd = done & (grow | new_seen)
    lesions = obs_mm[:, :, 1:]
    gone = np.where(nodal[:, :, None], lesions < NODE_NORMAL_MM, lesions == 0)
    gone = gone | np.isnan(lesions)
    cr = done & ~pd & gone.all(axis=1)
    pr = done & ~pd & ~cr & (post * 10 <= base * (PR_FRACTION * 10))
    code = np.where(pd, PD, np.where(cr, CR, np.where(pr, PR, SD)))
    code = np.where(done, code, NOT_DONE).astype(np.int8)
    s = done.shape[1]
    first_pd = np.where(pd.any(axis=1), pd.argmax(axis=1), s)
    after = np.arange(s)[None, :] > first_pd[:, None]
    return np.where(after, NOT_DONE, code).astype(np.int8), first_pd


def _best_response(code: CodeArray, scan_day: FloatArray,
                   design: TrialDesign) -> tuple[CodeArray, BoolArray]:
    """Best overall response with CR/PR confirmation and minimum SD duration (RECIST 1.1 §4.4)."""
    neg = -np.inf
    gap = design.confirmation_interval_days

    def confirmed(mask: BoolArray) -> BoolArray:
        later = np.where(mask, scan_day, neg)[:, ::-1]
        last_after = np.maximum.accumulate(later, axis=1)[:, ::-1]
        nxt = np.concatenate([last_after[:, 1:], np.full((mask.shape[0], 1), neg)], axis=1)
        return np.asarray((mask & (nxt >= scan_day + gap)).any(axis=1))

    is_cr = confirmed(code == CR)
    is_resp = confirmed((code == CR) | (code == PR))
    sd_ok = ((code >= CR) & (code <= SD) & (scan_day >= design.min_sd_duration_days)).any(axis=1)
    any_pd = (code == PD).any(axis=1)
    best = np.where(is_cr, CR, np.where(is_resp, PR, np.where(sd_ok, SD,
                                                                np.where(any_pd, PD, NE))))
    return best.astype(np.int8), is_resp


def compute_outcomes(patients: VirtualPatients, kinetics: Kinetics, draws: PatientDraws, *,
                     cycle_intensity: FloatArray, admin_censor_day: FloatArray,
                     design: TrialDesign, params: SimParameters) -> PatientOutcomes:
    """Observe every patient's tumour course up to death, dropout or the data cut-off."""
    ev = params.events
    n = patients.n
    baseline_day, scan_day, not_missed = _scan_schedule(draws, design, params)
    per_day = 1.0 / DAYS_PER_MONTH
    death_pre = draws.e_death / (ev.death_hazard_per_month * per_day)
    dropout = draws.e_dropout / (ev.dropout_hazard_per_month * per_day)
    off_study = np.minimum(np.minimum(death_pre, dropout), admin_censor_day)
    horizon = float(np.max(scan_day)) + 1.0
    new_day = compute_new_lesion_day(cycle_intensity, kinetics=kinetics,
                                     cycle_length_days=design.cycle_length_days,
                                     horizon_days=horizon, e_new_lesion=draws.e_new_lesion,
                                     params=ev)
    all_days = np.concatenate([baseline_day[:, None], scan_day], axis=1)
    kill = compute_kill_integral(cycle_intensity, kinetics=kinetics,
                                 cycle_length_days=design.cycle_length_days, day=all_days)
    true_mm = compute_lesion_sizes(patients, kinetics, kill=kill, day=all_days,
                                   params=params.tumour)
    obs_mm = _observe_sizes(true_mm, draws, design, params)
    done = not_missed & (scan_day <= off_study[:, None])
    obs_mm = np.where(np.concatenate([np.ones((n, 1), bool), done], axis=1)[:, None, :],
                      obs_mm, np.nan)
    new_seen = done & (scan_day >= new_day[:, None])
    code, first_pd = _timepoint_responses(obs_mm, patients.lesion_nodal, done, new_seen)
    best, confirmed = _best_response(code, scan_day, design)
    performed = np.concatenate([np.ones((n, 1), bool), code != NOT_DONE], axis=1)
    obs_mm = np.where(performed[:, None, :], obs_mm, np.nan)
    has_pd = first_pd < scan_day.shape[1]
    rows = np.arange(n)
    pd_day = np.where(has_pd, scan_day[rows, np.minimum(first_pd, scan_day.shape[1] - 1)], np.inf)
    done_before = code != NOT_DONE
    last_scan = np.where(done_before, scan_day, 0.0).max(axis=1)
    death_first = (death_pre <= pd_day) & (death_pre <= dropout) & (death_pre <= admin_censor_day)
    pfs_event = has_pd | death_first
    pfs_days = np.where(death_first, death_pre, np.where(has_pd, pd_day, last_scan))
    pps = np.exp(np.log(ev.pps_median_months * DAYS_PER_MONTH) + ev.pps_sdlog * draws.z_pps)
    death_day = np.minimum(death_pre, pd_day + pps)
    os_censor = np.minimum(dropout, admin_censor_day)
    os_event = death_day <= os_censor
    return PatientOutcomes(
        baseline_day=baseline_day, scan_day=scan_day, scan_done=code != NOT_DONE,
        observed_mm=obs_mm, response=code, new_lesion_day=new_day, best_response=best,
        confirmed_response=confirmed, pfs_days=pfs_days, pfs_event=pfs_event,
        os_days=np.where(os_event, death_day, os_censor), os_event=os_event, pd_day=pd_day,
        death_day=death_day, off_study_day=off_study,
    )
