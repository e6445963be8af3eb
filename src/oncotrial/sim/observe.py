"""From true tumour courses to what a trial observes: scans, RECIST calls, PFS and OS.

simulation.md §2.3–2.6: scans every ``imaging_interval_days`` ± ``imaging_window_days`` with
occasional misses, per-lesion measurement error ``round(true·exp(ε₁) + ε₂)`` (< 3 mm true reads
0, 0 < reading < 5 mm reads "too small to measure" = 5 mm), RECIST 1.1 time-point responses
(Eisenhauer 2009 §4.3), best overall response with confirmation, PFS as the first PD scan or
death (censored at the last adequate scan, FDA 2018 guidance) and OS as death from
pre-progression hazard or after post-progression survival.

RECIST is not re-implemented here: the thresholds, the target-response rule order and the
overall timepoint table come from the rule data through ``oncotrial.rules.recist``, and best
response (CR-followed-by-worse, cut at PD, confirmation, minimum SD duration) is the engine's
:func:`~oncotrial.rules.recist.decide_best_responses`, the one ADRS and ``recist assess`` use.
The virtual patients have target lesions only (non-target response NONE) and every lesion is
read at a performed scan, so no timepoint is NE.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from oncotrial.rules.recist import (
    RESPONSE_CODES,
    TARGET_CATEGORIES,
    BestResponseSettings,
    classify_overall_response,
    decide_best_responses,
    first_match,
    lesion_disappeared,
    load_recist_rules,
    target_sum_progressed,
    target_sum_responded,
)
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

NOT_DONE, CR, PR, SD, PD, NE, MISSING, NON_CR_NON_PD = 0, 1, 2, 3, 4, 5, 6, 7
BEST_RESPONSE_CODES = {CR: "CR", PR: "PR", SD: "SD", PD: "PD", NE: "NE", MISSING: "MISSING",
                       NON_CR_NON_PD: "NON-CR/NON-PD"}
_SIM_CODE = {name: code for code, name in BEST_RESPONSE_CODES.items()}
# simulator code → engine code (NOT_DONE never reaches the engine)
_TO_ENGINE = np.array([-1, *(RESPONSE_CODES[BEST_RESPONSE_CODES[c]] for c in (CR, PR, SD, PD, NE))])
_FROM_ENGINE = np.array([_SIM_CODE[name] for name in RESPONSE_CODES], dtype=np.int8)


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


@cache
def _overall_codes() -> NDArray[np.int8]:
    """Overall response code by (target category, new lesion N/Y) with no non-target disease,
    read from the RECIST 1.1 Table 1 rows of the rule data."""
    grid = np.zeros((len(TARGET_CATEGORIES), 2), dtype=np.int8)
    for t, target in enumerate(TARGET_CATEGORIES):
        for w, new in enumerate(("N", "Y")):
            grid[t, w] = _SIM_CODE[classify_overall_response(target, "NONE", new).response]
    return grid


def _timepoint_responses(obs_mm: FloatArray, nodal: BoolArray, done: BoolArray,
                         new_seen: BoolArray) -> CodeArray:
    """RECIST 1.1 target + new-lesion time-point response per scan (NOT_DONE where no scan).

    Target response: the ordered target rules of the rule data (every target is read at a
    performed scan, so the NONE/NE rules never hold); overall: Table 1 with no non-target
    disease."""
    rules = load_recist_rules()
    sld = np.nansum(obs_mm, axis=1)  # (n, S+1)
    base = sld[:, :1]
    post = sld[:, 1:]
    masked = np.where(done, post, np.nan)
    running = np.fmin.accumulate(np.concatenate([base, masked], axis=1), axis=1)
    nadir = running[:, :-1]
    lesions = obs_mm[:, :, 1:]
    gone = lesion_disappeared(lesions, np.broadcast_to(nodal[:, :, None], lesions.shape), rules)
    conditions: dict[str, BoolArray | bool] = {
        "target_none_at_baseline": False,
        "target_ne_no_baseline_sum": False,
        "target_pd_sum_increase": target_sum_progressed(post, nadir, rules),
        "target_ne_not_all_assessed": False,
        "target_cr_all_gone": np.asarray((gone | np.isnan(lesions)).all(axis=1), dtype=bool),
        "target_pr_30pct_decrease": target_sum_responded(post, np.broadcast_to(base, post.shape),
                                                         rules),
        "target_sd": True,
    }
    rule = first_match(rules.target_rules, conditions, post.shape)
    category = np.array([TARGET_CATEGORIES.index(r.outcome) for r in rules.target_rules])[rule]
    code = _overall_codes()[category, new_seen.astype(np.int64)]
    return np.where(done, code, NOT_DONE).astype(np.int8)


def _best_response(code: CodeArray, scan_day: FloatArray,
                   design: TrialDesign) -> tuple[CodeArray, CodeArray, BoolArray]:
    """The engine's best overall response of every patient (day 0 = cycle 1 day 1).

    Returns the confirmed best response, the timepoint codes after the engine's pre-processing
    (a PR/SD after a CR recoded to PD, NOT_DONE after the first PD) and whether a CR or PR was
    confirmed."""
    n, s = code.shape
    rows, cols = np.nonzero(code != NOT_DONE)  # row-major: by patient, then by scan
    settings = BestResponseSettings(
        confirmation_interval_days=design.confirmation_interval_days,
        min_sd_duration_days=design.min_sd_duration_days,
    )
    result = decide_best_responses(
        rows.astype(np.int64), np.rint(scan_day[rows, cols]).astype(np.int64),
        _TO_ENGINE[code[rows, cols]], n_groups=n,
        sd_from=np.full(n, design.min_sd_duration_days, dtype=np.int64), settings=settings,
        rules=load_recist_rules(),
    )
    observed = np.full((n, s), NOT_DONE, dtype=np.int8)
    kept = result.analysed
    observed[rows[kept], cols[kept]] = _FROM_ENGINE[result.code[kept]]
    outcome = np.array([_SIM_CODE[r.outcome] for r in result.cbor.rules], dtype=np.int8)
    best = outcome[result.cbor.rule]
    return best, observed, (best == CR) | (best == PR)


def compute_outcomes(patients: VirtualPatients, kinetics: Kinetics, draws: PatientDraws, *,
                     cycle_intensity: FloatArray, admin_censor_day: FloatArray,
                     design: TrialDesign, params: SimParameters) -> PatientOutcomes:
    """Observe every patient's tumour course up to death, dropout or the data cut-off.

    Parameters
    ----------
    patients
        The virtual patients (baseline lesions, which ones are nodes).
    kinetics
        Per-patient tumour kinetics (:func:`oncotrial.sim.tumour.make_kinetics`).
    draws
        The patients' random draws (scan jitter and misses, measurement errors, death, dropout,
        new-lesion and post-progression draws).
    cycle_intensity
        Relative dose intensity per cycle (n, K) that drives the tumour.
    admin_censor_day
        Per patient, study day of the data cut-off (n,).
    design
        Imaging interval and window, cycle length and the RECIST confirmation settings.
    params
        Event hazards (per month), observation and tumour parameters.

    Returns
    -------
    PatientOutcomes
        Scan days and which were done, measured sizes (mm, NaN when not read), RECIST 1.1
        timepoint responses, best and confirmed response, PFS and OS (days from cycle 1 day 1,
        with event flags), day of progression, death and leaving the study.
    """
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
    raw = _timepoint_responses(obs_mm, patients.lesion_nodal, done, new_seen)
    best, code, confirmed = _best_response(raw, scan_day, design)
    is_pd = code == PD
    first_pd = np.where(is_pd.any(axis=1), is_pd.argmax(axis=1), scan_day.shape[1])
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
