"""Tumour density (mean attenuation in Hounsfield units on contrast CT) of the virtual target
lesions, for the Choi criteria (Choi et al., J Clin Oncol 2007;25:1753).

An anti-angiogenic drug lowers the enhancement of a tumour (less perfused, then necrotic
tissue) before it shrinks; that is why Choi counts a fall in density of 15 % as a response.
The model: each lesion has a baseline density; each patient's tumour loses a fraction of it
that approaches its plateau with a half-time of a few weeks; beyond that, a lesion that
shrinks loses density with it and one that grows regains it (viable tissue enhances); readings
carry a reader's noise. Every number is an ASSUMPTION for sarcoma under lenvatinib + eribulin
(no published density course for it), set near the GIST experience that defined the criteria:
mean density fell by roughly a third within two months of imatinib in responding GIST (Choi
et al., AJR 2004;183:1619), so a smaller mean fall is assumed for an anti-angiogenic drug in
LMS/LPS, with a wide spread between patients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["DensityParameters", "target_density_hu"]


@dataclass(frozen=True)
class DensityParameters:
    """Density model of the virtual target lesions (all ASSUMPTIONS, see the module text)."""

    baseline_mean_hu: float = 60.0  # contrast-enhanced soft-tissue sarcoma, portal venous phase
    baseline_sd_hu: float = 15.0
    baseline_min_hu: float = 20.0  # a solid enhancing lesion, not a cyst
    fall_mean: float = 0.15  # plateau fraction of the baseline lost under treatment
    fall_sd: float = 0.10
    half_time_days: float = 21.0
    size_coupling: float = 0.5  # relative density change per relative size change
    reader_sd_hu: float = 3.0


def target_density_hu(seed: int, patient: int, n_targets: int, *, day: float,
                      size_ratio: NDArray[np.float64],
                      params: DensityParameters | None = None) -> NDArray[np.float64]:
    """Density (HU, rounded to 1 HU as a workstation reads it) of each target lesion on study
    day *day* (≤ 0 before the first dose), given each lesion's size relative to its baseline.
    The same (seed, patient) gives the same lesions on every call.

    Parameters
    ----------
    seed, patient
        Seed of the trial and the patient's number; they fix the lesions' baseline densities
        and the patient's plateau fall.
    n_targets
        Number of target lesions.
    day
        Study day of the scan; on or before day 0 no treatment fall and no reader noise are
        applied (the size term still is).
    size_ratio
        Each lesion's size relative to its baseline (n_targets,); a change of size changes
        density by ``size_coupling`` times as much (clipped to 0.2–2).
    params
        The density model (default :class:`DensityParameters`, every value an ASSUMPTION).

    Returns
    -------
    numpy.ndarray
        Density per lesion in Hounsfield units, whole numbers (n_targets,).
    """
    p = params or DensityParameters()
    rng = np.random.default_rng([seed, patient, 16])
    baseline = np.maximum(rng.normal(p.baseline_mean_hu, p.baseline_sd_hu, n_targets),
                          p.baseline_min_hu)
    fall = float(np.clip(rng.normal(p.fall_mean, p.fall_sd), 0.0, 0.6))
    noise = np.random.default_rng([seed, patient, 16, max(int(day), 0) + 1])
    reached = 1.0 - math.exp(-math.log(2.0) * max(day, 0.0) / p.half_time_days)
    size_term = 1.0 + p.size_coupling * (np.asarray(size_ratio, dtype=np.float64) - 1.0)
    value = baseline * (1.0 - fall * reached) * np.clip(size_term, 0.2, 2.0)
    value = value + noise.normal(0.0, p.reader_sd_hu, n_targets) * (day > 0)
    return np.round(value)
