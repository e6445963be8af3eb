"""The random numbers of a virtual patient, drawn once and transformed by the model.

Separating the draws (standard uniforms, normals, exponentials) from the model lets the same
model run on one generator per trial (reproducible whatever the chunking or the number of Dask
workers) and lets calibration reuse common random numbers while parameters change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

MAX_TARGETS = 5  # RECIST 1.1: at most 5 target lesions (Eisenhauer 2009 §3.3)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PatientDraws:
    """Standard random variates for ``n`` patients (first axis) and ``n_scans`` scans."""

    u_histology: FloatArray
    u_uterine: FloatArray
    u_sex: FloatArray
    u_age: FloatArray
    z_height: FloatArray
    z_weight: FloatArray
    u_ecog: FloatArray
    u_lines: FloatArray
    u_n_target: FloatArray
    u_organ: FloatArray  # (n, 5)
    u_same_organ: FloatArray  # (n, 5)
    u_size: FloatArray  # (n, 5)
    u_non_target: FloatArray
    eta: FloatArray  # (n, 3): g, p, c
    zeta: FloatArray  # (n, 5): lesion kill effect
    u_enrol: FloatArray
    u_baseline_day: FloatArray
    u_jitter: FloatArray  # (n, n_scans)
    u_missed: FloatArray  # (n, n_scans)
    eps_mult: FloatArray  # (n, 5, n_scans + 1), column 0 = baseline scan
    eps_add: FloatArray  # (n, 5, n_scans + 1)
    e_new_lesion: FloatArray
    e_death: FloatArray
    e_dropout: FloatArray
    z_pps: FloatArray
    u_rdi: FloatArray
    e_stop: FloatArray

    @property
    def n(self) -> int:
        """Number of patients."""
        return int(self.u_histology.shape[0])

    @property
    def n_scans(self) -> int:
        """Number of scheduled post-baseline scans covered by the draws."""
        return int(self.u_jitter.shape[1])


def draw_patients(rng: np.random.Generator, n: int, *, n_scans: int) -> PatientDraws:
    """Draw every random variate ``n`` patients need, in a fixed order."""
    k = MAX_TARGETS
    return PatientDraws(
        u_histology=rng.random(n),
        u_uterine=rng.random(n),
        u_sex=rng.random(n),
        u_age=rng.random(n),
        z_height=rng.standard_normal(n),
        z_weight=rng.standard_normal(n),
        u_ecog=rng.random(n),
        u_lines=rng.random(n),
        u_n_target=rng.random(n),
        u_organ=rng.random((n, k)),
        u_same_organ=rng.random((n, k)),
        u_size=rng.random((n, k)),
        u_non_target=rng.random(n),
        eta=rng.standard_normal((n, 3)),
        zeta=rng.standard_normal((n, k)),
        u_enrol=rng.random(n),
        u_baseline_day=rng.random(n),
        u_jitter=rng.random((n, n_scans)),
        u_missed=rng.random((n, n_scans)),
        eps_mult=rng.standard_normal((n, k, n_scans + 1)),
        eps_add=rng.standard_normal((n, k, n_scans + 1)),
        e_new_lesion=rng.standard_exponential(n),
        e_death=rng.standard_exponential(n),
        e_dropout=rng.standard_exponential(n),
        z_pps=rng.standard_normal(n),
        u_rdi=rng.random(n),
        e_stop=rng.standard_exponential(n),
    )


def concat_draws(parts: list[PatientDraws]) -> PatientDraws:
    """Stack the draws of several groups of patients along the first axis."""
    names = [f.name for f in fields(PatientDraws)]
    return PatientDraws(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in names})


def take_draws(draws: PatientDraws, index: NDArray[np.intp]) -> PatientDraws:
    """The draws of the patients at ``index``."""
    return PatientDraws(**{f.name: getattr(draws, f.name)[index] for f in fields(PatientDraws)})
