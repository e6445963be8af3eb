"""Binomial confidence intervals and the exact one-sided test.

Methods (two-sided, equal tails):

- ``clopper-pearson``: exact interval from beta quantiles (Clopper & Pearson 1934,
  Biometrika 26:404-413); R ``binom.test(x, n)$conf.int``.
- ``wilson``: score interval without continuity correction (Wilson 1927, JASA 22:209-212;
  Newcombe 1998, Stat Med 17:857-872, method 3); R ``prop.test(x, n, correct = FALSE)``.
- ``jeffreys``: equal-tailed Beta(x + 1/2, n - x + 1/2) interval, with the lower bound set to
  0 at x = 0 and the upper bound to 1 at x = n (Brown, Cai & DasGupta 2001, Stat Sci
  16:101-133, §4.1.2).
- ``mid-p``: exact interval with half the probability of the observed count (Berry &
  Armitage 1995, Statistician 44:417-423; Newcombe 1998 method 6).

Vectorised work is done once per distinct ``(x, n)`` pair, which keeps a million pairs fast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from oncotrial.errors import DesignError
from oncotrial.stats.results import BinomialInterval, BinomialIntervalArray, BinomialTest

__all__ = [
    "BINOMIAL_METHODS",
    "estimate_binomial_ci",
    "estimate_binomial_ci_array",
    "estimate_binomial_test",
]

FloatArray = NDArray[np.float64]
_BISECTION_STEPS = 64


def _clopper_pearson(x: FloatArray, n: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = special.betaincinv(np.maximum(x, 1.0), n - x + 1.0, alpha / 2.0)
        upper = special.betaincinv(x + 1.0, np.maximum(n - x, 1.0), 1.0 - alpha / 2.0)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return lower, upper


def _wilson(x: FloatArray, n: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    z = float(special.ndtri(1.0 - alpha / 2.0))
    p = x / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    lower = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper = np.where(x == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lower, upper


def _jeffreys(x: FloatArray, n: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    lower = special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2.0)
    upper = special.betaincinv(x + 0.5, n - x + 0.5, 1.0 - alpha / 2.0)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return lower, upper


def _bisect_increasing(
    func: Callable[[FloatArray], FloatArray], target: float, size: int
) -> FloatArray:
    """Solve ``func(p) = target`` for p in [0, 1] elementwise; *func* increases in p."""
    lo = np.zeros(size)
    hi = np.ones(size)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        above = func(mid) > target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def _mid_p(x: FloatArray, n: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    # Lower bound: P(X > x) + P(X = x)/2 = alpha/2, increasing in p.
    # P(X >= k) = I_p(k, n - k + 1) for 1 <= k <= n.
    def upper_tail(k: FloatArray, p: FloatArray) -> FloatArray:
        safe_k = np.clip(k, 1.0, n)
        val = special.betainc(safe_k, n - safe_k + 1.0, p)
        return np.where(k <= 0, 1.0, np.where(k > n, 0.0, val))

    def mid_tail(p: FloatArray) -> FloatArray:
        # P(X > x) + P(X = x)/2; the upper bound solves 1 - mid_tail = alpha/2.
        return 0.5 * (upper_tail(x, p) + upper_tail(x + 1.0, p))

    lower = _bisect_increasing(mid_tail, alpha / 2.0, x.size)
    upper = _bisect_increasing(mid_tail, 1.0 - alpha / 2.0, x.size)
    lower = np.where(x == 0, 0.0, lower)
    upper = np.where(x == n, 1.0, upper)
    return lower, upper


BINOMIAL_METHODS: dict[
    str, Callable[[FloatArray, FloatArray, float], tuple[FloatArray, FloatArray]]
] = {
    "clopper-pearson": _clopper_pearson,
    "wilson": _wilson,
    "jeffreys": _jeffreys,
    "mid-p": _mid_p,
}


def _validate(x: NDArray[np.int64], n: NDArray[np.int64], method: str, conf_level: float) -> None:
    if method not in BINOMIAL_METHODS:
        raise DesignError(
            f"method={method!r} is not a binomial interval method "
            f"(allowed: {', '.join(BINOMIAL_METHODS)})"
        )
    if not 0.0 < conf_level < 1.0:
        raise DesignError(f"conf_level={conf_level!r} must lie strictly between 0 and 1")
    if np.any(n < 1):
        raise DesignError(f"n={n[n < 1][:5].tolist()} must be >= 1")
    if np.any((x < 0) | (x > n)):
        bad = np.flatnonzero((x < 0) | (x > n))[:5]
        raise DesignError(
            f"x={x[bad].tolist()} with n={n[bad].tolist()}: x must satisfy 0 <= x <= n"
        )


def _as_int_array(values: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise DesignError(f"{name} must hold whole numbers, got non-integer values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iub":
        raise DesignError(f"{name} must be integers, got dtype {arr.dtype}")
    return np.asarray(arr, dtype=np.int64)


def estimate_binomial_ci_array(
    x: ArrayLike,
    n: ArrayLike,
    *,
    method: str = "clopper-pearson",
    conf_level: float = 0.95,
) -> BinomialIntervalArray:
    """Confidence intervals for many proportions ``x / n`` at once.

    Parameters
    ----------
    x, n
        Integer arrays (broadcast together) of responders and patients.
    method
        One of ``clopper-pearson`` (default), ``wilson``, ``jeffreys``, ``mid-p``.
    conf_level
        Two-sided confidence level.

    Returns
    -------
    BinomialIntervalArray
        Flattened arrays, one element per pair.

    Raises
    ------
    DesignError
        If ``n < 1``, ``x`` outside ``[0, n]``, an unknown method or a bad level.

    Examples
    --------
    >>> from oncotrial.stats import estimate_binomial_ci_array
    >>> ci = estimate_binomial_ci_array([0, 7, 20], [20, 20, 20])
    >>> ci.lower.round(4).tolist(), ci.upper.round(4).tolist()
    ([0.0, 0.1539, 0.8316], [0.1684, 0.5922, 1.0])
    """
    xb, nb = np.broadcast_arrays(_as_int_array(x, "x"), _as_int_array(n, "n"))
    xi = np.ravel(xb)
    ni = np.ravel(nb)
    _validate(xi, ni, method, conf_level)
    alpha = 1.0 - conf_level
    key = xi * (int(ni.max(initial=0)) + 1) + ni
    uniq, inverse = np.unique(key, return_inverse=True)
    ux = (uniq // (int(ni.max(initial=0)) + 1)).astype(np.float64)
    un = (uniq % (int(ni.max(initial=0)) + 1)).astype(np.float64)
    lower_u, upper_u = BINOMIAL_METHODS[method](ux, un, alpha)
    lower = np.asarray(lower_u, dtype=np.float64)[inverse]
    upper = np.asarray(upper_u, dtype=np.float64)[inverse]
    estimate = xi / ni
    return BinomialIntervalArray(
        x=xi, n=ni, estimate=estimate, lower=lower, upper=upper,
        method=method, conf_level=conf_level,
    )


def estimate_binomial_ci(
    x: int,
    n: int,
    *,
    method: str = "clopper-pearson",
    conf_level: float = 0.95,
) -> BinomialInterval:
    """Confidence interval for one proportion ``x / n``.

    Parameters
    ----------
    x
        Number of responders, ``0 <= x <= n``.
    n
        Number of patients, ``n >= 1``.
    method
        ``clopper-pearson`` (default; exact, R ``binom.test``), ``wilson``, ``jeffreys``
        or ``mid-p`` (see the module docstring for sources).
    conf_level
        Two-sided confidence level.

    Returns
    -------
    BinomialInterval

    Raises
    ------
    DesignError
        On invalid counts, method or level.

    Examples
    --------
    7 responders of 20: R ``binom.test(7, 20)$conf.int`` is 0.1539092 to 0.5921885.

    >>> from oncotrial.stats import estimate_binomial_ci
    >>> ci = estimate_binomial_ci(7, 20)
    >>> ci.estimate, round(ci.lower, 7), round(ci.upper, 7)
    (0.35, 0.1539092, 0.5921885)
    >>> wilson = estimate_binomial_ci(7, 20, method="wilson")
    >>> round(wilson.lower, 4), round(wilson.upper, 4)
    (0.1812, 0.5671)
    """
    res = estimate_binomial_ci_array([x], [n], method=method, conf_level=conf_level)
    return BinomialInterval(
        x=int(x), n=int(n), estimate=float(res.estimate[0]), lower=float(res.lower[0]),
        upper=float(res.upper[0]), method=method, conf_level=conf_level,
    )


def estimate_binomial_test(x: int, n: int, *, p0: float) -> BinomialTest:
    """Exact one-sided binomial test of H0: p <= p0 against H1: p > p0.

    The p-value is ``P(X >= x | n, p0)``, as R ``binom.test(x, n, p0,
    alternative = "greater")``.

    Parameters
    ----------
    x, n
        Responders and patients, ``0 <= x <= n``, ``n >= 1``.
    p0
        The uninteresting response rate of H0, ``0 < p0 < 1``.

    Returns
    -------
    BinomialTest
        ``p_value`` = P(X >= x | n, p0), ``alternative="greater"``.

    Raises
    ------
    DesignError
        On invalid counts or ``p0`` outside (0, 1).

    Examples
    --------
    7 responders of 20 against p0 = 0.10: R ``binom.test(7, 20, 0.1, alternative = "greater")``
    gives p-value = 0.002386.

    >>> from oncotrial.stats import estimate_binomial_test
    >>> round(estimate_binomial_test(7, 20, p0=0.1).p_value, 6)
    0.002386
    """
    _validate(np.array([x]), np.array([n]), "clopper-pearson", 0.95)
    if not 0.0 < p0 < 1.0:
        raise DesignError(f"p0={p0!r} must lie strictly between 0 and 1")
    p_value = float(stats.binom.sf(x - 1, n, p0))
    return BinomialTest(x=int(x), n=int(n), p0=p0, p_value=p_value, alternative="greater")
