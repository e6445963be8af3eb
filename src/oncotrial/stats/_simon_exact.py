"""The exact rejection probability of a Simon two-stage design, in plain Python (no numpy or
scipy), so that checking a protocol's design costs nothing at start-up. The one formula used
by :func:`oncotrial.stats.compute_simon_oc` and by the protocol loader's design check."""

from __future__ import annotations

import math

__all__ = ["simon_reject_probability"]


def _pmf(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1.0 - p) ** (n - k)


def simon_reject_probability(r1: int, n1: int, r: int, n: int, *, p: float) -> float:
    """P(declare the drug promising | true rate *p*) of the design (r1/n1, r/n):
    ``sum_{x1 = r1+1}^{n1} b(x1; n1, p) P(X2 > r - x1)``, X2 ~ Bin(n - n1, p) (Simon 1989,
    Control Clin Trials 10:1-10); callers validate the design."""
    n2 = n - n1
    total = 0.0
    for x1 in range(r1 + 1, n1 + 1):
        need = r - x1  # the second stage must exceed this
        tail = 1.0 if need < 0 else math.fsum(_pmf(x2, n2, p) for x2 in range(need + 1, n2 + 1))
        total += _pmf(x1, n1, p) * tail
    return total
