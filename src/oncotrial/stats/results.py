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
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _frozen(values: NDArray[np.generic]) -> NDArray[np.generic]:
    out = np.array(values, copy=True)
    out.setflags(write=False)
    return out


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
