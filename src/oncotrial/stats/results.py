"""Frozen result objects returned by :mod:`oncotrial.stats`.

Every estimate returns one of these, always the same type for a given function; no flag
changes the shape of a result. Arrays held by results are read-only copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DesignError

__all__ = [
    "BinomialInterval",
    "BinomialIntervalArray",
    "BinomialTest",
    "Interval",
    "KaplanMeierResult",
    "LogRankResult",
    "SimonDesign",
    "SimonInference",
    "SimonInterimDecision",
    "SimonOperatingCharacteristics",
    "SimonSearch",
    "SingleStageDesign",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _lock_arrays(result: object) -> None:
    """Make every numpy array held by a frozen result read-only (no copy)."""
    for name in getattr(result, "__slots__", ()):
        value = getattr(result, name)
        if isinstance(value, np.ndarray) and value.flags.writeable:
            value.setflags(write=False)


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with its confidence interval; ``None`` where a bound is not reached.

    Used for the median and other quantiles of a survival curve, where R's ``NA`` (the
    curve or its confidence band never crosses the level) is ``None`` here.
    """

    estimate: float | None
    lower: float | None
    upper: float | None
    conf_level: float


@dataclass(frozen=True, slots=True)
class BinomialInterval:
    """A confidence interval for one binomial proportion ``x / n``."""

    x: int
    n: int
    estimate: float
    lower: float
    upper: float
    method: str
    conf_level: float


@dataclass(frozen=True, slots=True)
class BinomialIntervalArray:
    """Confidence intervals for many binomial proportions (one element per ``(x, n)`` pair)."""

    x: IntArray
    n: IntArray
    estimate: FloatArray
    lower: FloatArray
    upper: FloatArray
    method: str
    conf_level: float

    def __post_init__(self) -> None:
        _lock_arrays(self)


@dataclass(frozen=True, slots=True)
class BinomialTest:
    """Exact one-sided binomial test of H0: p <= p0 against H1: p > p0."""

    x: int
    n: int
    p0: float
    p_value: float
    alternative: str


@dataclass(frozen=True, slots=True)
class KaplanMeierResult:
    """A Kaplan-Meier curve with Greenwood standard errors and pointwise intervals.

    One row per distinct time (event or censoring), as R's ``summary(survfit(...),
    censored = TRUE)``. ``std_err`` is the Greenwood standard error of the survival
    estimate itself (R's ``summary()$std.err``); ``lower``/``upper`` are NaN where R
    gives ``NA`` (e.g. log-log intervals where the survival is 0 or 1).
    """

    time: FloatArray
    n_risk: IntArray
    n_event: IntArray
    n_censor: IntArray
    survival: FloatArray
    std_err: FloatArray
    lower: FloatArray
    upper: FloatArray
    median: Interval
    conf_level: float
    conf_type: str
    n: int
    events: int

    def __post_init__(self) -> None:
        _lock_arrays(self)

    def survival_at(self, times: NDArray[np.float64] | list[float]) -> tuple[
        FloatArray, FloatArray, FloatArray
    ]:
        """Survival and its interval at landmark *times* (the step function, right-continuous).

        Returns ``(survival, lower, upper)``. A time before the first observation gives
        survival 1. A time past the last observed time is refused (no extrapolation)
        unless the curve has already reached 0.

        Raises
        ------
        DesignError
            If a time is negative or lies past follow-up while the curve is above 0.
        """
        t = np.asarray(times, dtype=np.float64)
        if np.any(~np.isfinite(t)) or np.any(t < 0):
            raise DesignError(f"landmark times must be finite and >= 0, got {t.tolist()}")
        last = float(self.time[-1]) if self.time.size else 0.0
        ends_at_zero = bool(self.survival.size) and float(self.survival[-1]) == 0.0
        if np.any(t > last) and not ends_at_zero:
            raise DesignError(
                f"landmark time {float(t.max())} lies past the last follow-up time {last}; "
                "the Kaplan-Meier curve is not extrapolated"
            )
        idx = np.searchsorted(self.time, t, side="right") - 1
        before = idx < 0
        safe = np.where(before, 0, idx)
        surv = np.where(before, 1.0, self.survival[safe]) if self.time.size else np.ones_like(t)
        low = np.where(before, 1.0, self.lower[safe]) if self.time.size else np.ones_like(t)
        up = np.where(before, 1.0, self.upper[safe]) if self.time.size else np.ones_like(t)
        return surv, low, up

    def n_at_risk(self, times: NDArray[np.float64] | list[float]) -> IntArray:
        """Number of subjects at risk (time >= t) at each of *times*."""
        t = np.asarray(times, dtype=np.float64)
        idx = np.searchsorted(self.time, t, side="left")
        padded = np.append(self.n_risk, 0)
        return np.asarray(padded[idx], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class LogRankResult:
    """The log-rank (Mantel-Haenszel) test over k groups, as R ``survdiff(rho = 0)``."""

    groups: tuple[str, ...]
    n: IntArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    chisq: float
    df: int
    p_value: float

    def __post_init__(self) -> None:
        _lock_arrays(self)


@dataclass(frozen=True, slots=True)
class SimonDesign:
    """A Simon two-stage design with its exact operating characteristics.

    Stage 1 treats ``n1`` patients and stops for futility if at most ``r1`` respond; the
    treatment is declared promising if more than ``r`` of ``n`` respond in total. ``alpha``
    and ``power`` are the design's actual (attained) error rates; ``q_lower``/``q_upper``
    give the range of weights q on n (1 - q on EN0) over which the design minimises
    ``q n + (1 - q) EN0`` (Jung et al. 2004); ``kind`` is ``minimax``, ``admissible`` or
    ``optimal``.
    """

    kind: str
    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    alpha: float
    power: float
    pet0: float
    pet1: float
    en0: float
    en1: float
    q_lower: float
    q_upper: float


@dataclass(frozen=True, slots=True)
class SimonSearch:
    """Minimax, admissible and optimal Simon designs for one (p0, p1, alpha, beta) setting.

    ``designs`` lists minimax first, then admissible designs by increasing n, then optimal;
    minimax and optimal appear once each even when they are the same design.
    ``optimum_proven`` says whether the search bound ``nmax_searched`` provably contains the
    optimal design (no design with a larger n can have a smaller EN0); ``en0_bound`` is the
    proven lower bound on EN0 for any design with ``n > nmax_searched``. ``en0_by_n`` gives
    the smallest EN0 at each total size n whose EN0 is below that of every smaller n (the
    sizes not dominated; dominated designs are pruned from the search unevaluated).
    """

    p0: float
    p1: float
    alpha: float
    beta: float
    minimax: SimonDesign
    optimal: SimonDesign
    admissible: tuple[SimonDesign, ...]
    designs: tuple[SimonDesign, ...]
    nmax_searched: int
    optimum_proven: bool
    en0_bound: float
    en0_by_n: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class SimonOperatingCharacteristics:
    """Exact operating characteristics of a two-stage design at a true response rate p."""

    p: float
    reject: float
    pet: float
    en: float


@dataclass(frozen=True, slots=True)
class SingleStageDesign:
    """The smallest exact single-stage design: promising if more than r of n respond."""

    r: int
    n: int
    p0: float
    p1: float
    alpha: float
    power: float


@dataclass(frozen=True, slots=True)
class SimonInference:
    """Inference after a completed (or stopped) two-stage trial.

    ``p_value`` and ``lower``/``upper`` follow the stage-wise ordering of Koyama & Chen
    (2008); ``umvue`` is the unbiased estimate of Jung & Kim (2004); ``naive`` is the
    Clopper-Pearson interval that ignores the stopping rule, for comparison.
    """

    stage: int
    responses: int
    patients: int
    p0: float
    p_value: float
    umvue: float
    lower: float
    upper: float
    conf_level: float
    naive: BinomialInterval


@dataclass(frozen=True, slots=True)
class SimonInterimDecision:
    """The stage-1 decision of a Simon design with the conditional power to succeed."""

    decision: str
    rule: str
    reason: str
    responses: int
    n1: int
    r1: int
    needed_in_stage2: int
    conditional_power: float
    conditional_alpha: float
