"""What the dose-finding designs share: the operating-characteristics result, the true-toxicity
scenario check, dose labels and the binomial probability (:mod:`oncotrial.stats.boin`,
:mod:`oncotrial.stats.three_plus_three`).

Doses (or combination regimens, e.g. LEADER's lenvatinib 10/14/18 mg with eribulin
1.1 mg/m²) are indexed 0..K-1 in order of increasing toxicity; a trial may start at any index
(LEADER starts at the top regimen and de-escalates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DesignError

__all__ = ["DoseFindingOC", "FloatArray", "binomial_pmf", "check_p_true", "dose_labels"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DoseFindingOC:
    """Operating characteristics of a dose-finding design over one true-toxicity scenario.

    ``selection`` is the probability (exact for 3+3, simulated for BOIN) that each dose is
    chosen as MTD, and ``no_mtd`` that none is; ``mean_patients``/``mean_dlt`` are per dose.
    """

    design: str
    labels: tuple[str, ...]
    p_true: tuple[float, ...]
    selection: tuple[float, ...]
    no_mtd: float
    mean_patients: tuple[float, ...]
    mean_dlt: tuple[float, ...]
    exact: bool
    n_trials: int | None


def binomial_pmf(k: int, n: int, p: float) -> float:
    """P(X = k) for X ~ Binomial(n, p)."""
    return math.comb(n, k) * p**k * (1.0 - p) ** (n - k)


def dose_labels(k: int, labels: Sequence[str] | None) -> tuple[str, ...]:
    """*labels*, or ``dose 1`` … ``dose k``; their number must be *k*."""
    if labels is None:
        return tuple(f"dose {i + 1}" for i in range(k))
    if len(labels) != k:
        raise DesignError(f"labels has {len(labels)} entries but p_true has {k}")
    return tuple(labels)


def check_p_true(p_true: Sequence[float], start: int) -> FloatArray:
    """The true DLT probabilities as an array, and *start* a valid dose index."""
    p = np.asarray(p_true, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)):
        raise DesignError(f"p_true={list(p_true)!r} must be probabilities in [0, 1]")
    if not 0 <= start < p.size:
        raise DesignError(f"start={start} must index one of the {p.size} doses")
    return p

