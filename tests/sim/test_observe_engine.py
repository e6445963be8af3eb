"""The simulator's vectorised RECIST observation equals the RECIST engine on the same readings.

Random readings (nodal and non-nodal targets, disappearing lesions, missed scans, new lesions)
go through the simulator's ``_timepoint_responses`` and ``_best_response`` and, written as
lesion and measurement frames, through :func:`oncotrial.rules.recist.classify_timepoints` and
:func:`classify_best_response`; timepoint and best responses must match patient by patient.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncotrial.rules.recist import RecistSettings, classify_best_response, classify_timepoints
from oncotrial.sim.design import TrialDesign
from oncotrial.sim.observe import (
    BEST_RESPONSE_CODES,
    NOT_DONE,
    _best_response,
    _timepoint_responses,
)

EPOCH = np.datetime64("2020-01-01")


def _histories(rng: np.random.Generator, n: int, scans: int) -> tuple[np.ndarray, ...]:
    lesions = 5
    present = rng.random((n, lesions)) < 0.6
    present[:, 0] = True
    nodal = present & (rng.random((n, lesions)) < 0.3)
    base = rng.integers(10, 60, (n, lesions, 1)).astype(float)
    # multiplicative random walk with shrinkage and regrowth; readings below 5 mm read 0 or 5
    steps = np.exp(np.cumsum(rng.normal(-0.05, 0.35, (n, 1, scans)), axis=2))
    sizes = np.round(base * steps)
    sizes = np.where(sizes < 3, 0.0, np.maximum(sizes, 5.0))
    obs = np.concatenate([base, sizes], axis=2)
    obs = np.where(present[:, :, None], obs, np.nan)
    done = rng.random((n, scans)) > 0.15
    new_from = rng.integers(0, scans * 3, n)  # most patients never show a new lesion
    new_seen = done & (np.arange(scans)[None, :] >= new_from[:, None])
    days = 42.0 * np.arange(1, scans + 1)[None, :] + rng.integers(-7, 8, (n, scans))
    return obs, nodal, done, new_seen, days


def _frames(obs: np.ndarray, nodal: np.ndarray, done: np.ndarray, new_seen: np.ndarray,
            days: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    lesion_rows, meas_rows = [], []
    n, lesions, _ = obs.shape
    for p in range(n):
        subject = f"P{p:04d}"
        visits = [(0, -3.0)] + [(k + 1, days[p, k]) for k in range(done.shape[1]) if done[p, k]]
        for j in range(lesions):
            if np.isnan(obs[p, j, 0]):
                continue
            lesion_rows.append((subject, "SIM", f"T{j}", "TARGET", f"ORGAN{j}", bool(nodal[p, j])))
            meas_rows += [(subject, "SIM", f"T{j}", float(v), f"V{v}", EPOCH + int(d),
                           float(obs[p, j, v]), "") for v, d in visits]
        seen = [k for k in range(done.shape[1]) if new_seen[p, k]]
        if seen:
            lesion_rows.append((subject, "SIM", "N1", "NEW", "LIVER", False))
            meas_rows += [(subject, "SIM", "N1", float(k + 1), f"V{k + 1}",
                           EPOCH + int(days[p, k]), np.nan, "UNEQUIVOCAL") for k in seen]
    lesion_frame = pd.DataFrame(lesion_rows, columns=["subject", "evaluator", "lesion_id",
                                                      "role", "organ", "nodal"])
    measurements = pd.DataFrame(meas_rows, columns=["subject", "evaluator", "lesion_id",
                                                    "visitnum", "visit", "date", "diameter_mm",
                                                    "state"])
    measurements["date"] = pd.to_datetime(measurements["date"])
    return lesion_frame, measurements


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_simulator_recist_equals_the_engine_on_random_readings(design: TrialDesign,
                                                              seed: int) -> None:
    """Timepoint responses (up to the first PD) and confirmed BOR of 200 random patients are
    the engine's, patient by patient."""
    obs, nodal, done, new_seen, days = _histories(np.random.default_rng(seed), 200, 8)
    raw = _timepoint_responses(obs, nodal, done, new_seen)
    best, observed, confirmed = _best_response(raw, days, design)
    lesions, measurements = _frames(obs, nodal, done, new_seen, days)
    settings = RecistSettings(design.confirmation_interval_days, design.min_sd_duration_days,
                              design.too_small_to_measure_mm, 5, 5)
    timepoints = classify_timepoints(lesions, measurements, settings=settings)
    reference = pd.DataFrame({"subject": [f"P{p:04d}" for p in range(len(obs))],
                              "reference_date": pd.Timestamp(str(EPOCH))})
    engine = classify_best_response(timepoints, reference=reference, settings=settings)
    sim_codes = BEST_RESPONSE_CODES
    rows, cols = np.nonzero(raw != NOT_DONE)
    simulated = [sim_codes[int(c)] for c in raw[rows, cols]]
    assert simulated == timepoints["overall_response"].tolist()
    assert [sim_codes[int(b)] for b in best] == engine["cbor"].tolist()
    assert confirmed.tolist() == engine["cbor"].isin(["CR", "PR"]).tolist()
    assert ((observed != NOT_DONE).sum(axis=1) == engine["n_assessments"].to_numpy()).all()
    # the random histories reach every branch the simulator can produce
    assert set(engine["cbor"]) >= {"CR", "PR", "SD", "PD"}
    assert ((engine["bor"] == "PR") & (engine["cbor"] != "PR")).any()  # an unconfirmed PR
