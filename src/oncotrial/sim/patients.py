"""Virtual LEADER patients: baseline characteristics and target lesions (simulation.md §4).

Every distribution is named in :class:`oncotrial.sim.parameters.PopulationParameters`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from oncotrial.errors import DataError
from oncotrial.sim._draws import MAX_TARGETS, PatientDraws, draw_patients
from oncotrial.sim.parameters import PopulationParameters

__all__ = ["VirtualPatients", "compute_bsa_mosteller", "simulate_patients"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class VirtualPatients:
    """Baseline characteristics of ``n`` virtual patients (arrays, first axis = patient).

    ``lesion_organ`` indexes ``PopulationParameters.organs`` (-1 = no lesion in that slot) and
    ``lesion_mm`` is the true longest diameter (short axis for nodes) on day 1 of cycle 1
    (NaN = no lesion).
    """

    lms: BoolArray
    uterine: BoolArray
    female: BoolArray
    age: FloatArray
    height_cm: FloatArray
    weight_kg: FloatArray
    bsa_m2: FloatArray
    ecog: IntArray
    prior_lines: IntArray
    n_target: IntArray
    lesion_organ: IntArray
    lesion_nodal: BoolArray
    lesion_mm: FloatArray
    n_non_target: IntArray

    @property
    def n(self) -> int:
        """Number of patients."""
        return int(self.lms.shape[0])


def compute_bsa_mosteller(height_cm: FloatArray, weight_kg: FloatArray) -> FloatArray:
    """Body-surface area in m², Mosteller (1987): √(H·W/3600) (clinical_rules.md §4.1).

    Parameters
    ----------
    height_cm, weight_kg
        Height (cm) and weight (kg), arrays of one shape.

    Returns
    -------
    numpy.ndarray
        Body-surface area (m²), unrounded, same shape.

    Examples
    --------
    Mosteller's formula for 170 cm and 70 kg:

    >>> import numpy as np
    >>> round(float(compute_bsa_mosteller(np.array([170.0]), np.array([70.0]))[0]), 4)
    1.8181
    """
    return np.asarray(np.sqrt(height_cm * weight_kg / 3600.0), dtype=np.float64)


def _categorical(u: FloatArray, probs: tuple[float, ...] | FloatArray) -> IntArray:
    """Inverse-CDF draw of category indices from uniforms ``u`` (last axis of ``probs``)."""
    cum = np.cumsum(np.asarray(probs, dtype=np.float64), axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.asarray(np.searchsorted(cum, u, side="right"), dtype=np.int64)
    return np.asarray((u[..., None] >= cum).sum(axis=-1), dtype=np.int64)


def _truncated_normal(u: FloatArray, mean: float, sd: float, lo: float, hi: float) -> FloatArray:
    a, b = ndtr((lo - mean) / sd), ndtr((hi - mean) / sd)
    return np.asarray(mean + sd * ndtri(a + u * (b - a)), dtype=np.float64)


def _assign_organs(draws: PatientDraws, lms: BoolArray, n_target: IntArray,
                   params: PopulationParameters) -> IntArray:
    """Organ of each target lesion, at most 2 per organ (RECIST 1.1 §3.3)."""
    n = draws.n
    n_organs = len(params.organs)
    base = np.where(lms[:, None], np.asarray(params.organ_probs_lms),
                    np.asarray(params.organ_probs_lps))
    counts = np.zeros((n, n_organs), dtype=np.int64)
    organ = np.full((n, MAX_TARGETS), -1, dtype=np.int64)
    rows = np.arange(n)
    for j in range(MAX_TARGETS):
        probs = np.where(counts >= 2, 0.0, base)
        new = _categorical(draws.u_organ[:, j], probs)
        if j > 0:
            prev = organ[:, j - 1]
            prev_once = counts[rows, np.maximum(prev, 0)] == 1
            same = (draws.u_same_organ[:, j] < params.p_second_lesion_same_organ) & prev_once
            new = np.where(same, prev, new)
        present = j < n_target
        organ[:, j] = np.where(present, new, -1)
        np.add.at(counts, (rows[present], new[present]), 1)
    return organ


def _lesion_sizes(u: FloatArray, nodal: BoolArray, present: BoolArray,
                  params: PopulationParameters) -> FloatArray:
    """Truncated log-normal sizes: ≥ 10 mm, nodes ≥ 15 mm short axis (RECIST 1.1 §3.1)."""
    mu = np.log(params.lesion_median_mm)
    lo = np.log(np.where(nodal, params.node_min_mm, params.lesion_min_mm))
    a = ndtr((lo - mu) / params.lesion_sdlog)
    size = np.exp(mu + params.lesion_sdlog * ndtri(a + u * (1.0 - a)))
    return np.where(present, np.round(size, 0), np.nan)


def make_patients(draws: PatientDraws, *, params: PopulationParameters) -> VirtualPatients:
    """Turn standard random draws into virtual patients (the model, without randomness)."""
    lms = draws.u_histology < params.p_lms
    uterine = lms & (draws.u_uterine < params.p_lms_uterine)
    female = uterine | (draws.u_sex < params.p_female_other)
    sex = np.where(female, 0, 1)
    age = np.round(_truncated_normal(draws.u_age, params.age_mean, params.age_sd,
                                     params.age_min, params.age_max), 0)
    height = np.round(np.asarray(params.height_mean_cm)[sex] + params.height_sd_cm * draws.z_height,
                      1)
    weight = np.round(np.asarray(params.weight_median_kg)[sex]
                      * np.exp(params.weight_sdlog * draws.z_weight), 1)
    n_target = _categorical(draws.u_n_target, params.n_target_probs) + 1
    organ = _assign_organs(draws, lms, n_target, params)
    node_code = params.organs.index("LYMPH NODE")
    nodal = organ == node_code
    sizes = _lesion_sizes(draws.u_size, nodal, organ >= 0, params)
    n_non_target = _poisson_from_uniform(draws.u_non_target, params.non_target_mean)
    return VirtualPatients(
        lms=lms, uterine=uterine, female=female, age=age, height_cm=height, weight_kg=weight,
        bsa_m2=compute_bsa_mosteller(height, weight),
        ecog=_categorical(draws.u_ecog, params.ecog_probs),
        prior_lines=_categorical(draws.u_lines, params.prior_lines_probs),
        n_target=n_target, lesion_organ=organ, lesion_nodal=nodal, lesion_mm=sizes,
        n_non_target=n_non_target,
    )


def _poisson_from_uniform(u: FloatArray, mean: float, kmax: int = 10) -> IntArray:
    k = np.arange(kmax + 1)
    log_pmf = -mean + k * np.log(mean) - np.cumsum(np.log(np.maximum(k, 1)))
    return _categorical(u, tuple(np.exp(log_pmf)))


def simulate_patients(n: int, *, rng: np.random.Generator,
                      params: PopulationParameters | None = None) -> VirtualPatients:
    """Simulate ``n`` virtual LEADER patients.

    Parameters
    ----------
    n
        Number of patients (≥ 1).
    rng
        Seeded generator (``numpy.random.default_rng``).
    params
        Population assumptions; default :class:`PopulationParameters`.

    Returns
    -------
    VirtualPatients
        Histology, sex, age, height (cm), weight (kg), Mosteller BSA (m²), ECOG, prior lines
        and target lesions (organ, node or not, longest diameter in mm) of each patient.

    Raises
    ------
    DataError
        If *n* is below 1.
    """
    if n < 1:
        raise DataError("need at least one patient", field="n", value=n, allowed=">= 1")
    draws = draw_patients(rng, n, n_scans=1)
    return make_patients(draws, params=params or PopulationParameters())
