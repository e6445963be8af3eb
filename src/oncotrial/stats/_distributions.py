"""Normal quantile and chi-square upper tail without importing scipy (CLI start-up cost).

``scipy.special`` costs about 0.4 s to import on the project machine, more than a whole
Kaplan-Meier summary of a million rows; the survival path needs only these two functions.

- Normal quantile: ``statistics.NormalDist().inv_cdf`` (Wichura 1988, algorithm AS 241,
  about 16 significant digits).
- Chi-square survival function for integer degrees of freedom k (Abramowitz & Stegun 1964,
  26.4.4 and 26.4.5): with y = x / 2, even k: ``exp(-y) sum_{j < k/2} y^j / j!``; odd k:
  ``erfc(sqrt(y)) + exp(-y) sum_{j=1}^{(k-1)/2} y^(j - 1/2) / Gamma(j + 1/2)``. Every term is
  positive, so the sum is accurate to rounding.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["chi2_sf", "normal_quantile"]

_STANDARD = NormalDist()


def normal_quantile(p: float) -> float:
    """The standard normal quantile at probability *p* (0 < p < 1)."""
    return _STANDARD.inv_cdf(p)


def chi2_sf(x: float, df: int) -> float:
    """P(X > x) for X chi-square with integer *df* >= 1 degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"df={df!r} must be a positive integer")
    if not x > 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    y = x / 2.0
    if df % 2 == 0:
        term = total = 1.0
        for j in range(1, df // 2):
            term *= y / j
            total += term
        return math.exp(-y) * total
    total = math.erfc(math.sqrt(y))
    if df > 1:
        term = math.sqrt(y) / math.gamma(1.5)  # y^(1/2) / Gamma(3/2)
        series = term
        for j in range(2, (df + 1) // 2):
            term *= y / (j - 0.5)
            series += term
        total += math.exp(-y) * series
    return total
