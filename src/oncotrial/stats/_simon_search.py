"""Exact search over Simon two-stage designs (vectorised per stage-1 size n1).

For a fixed n1 the rejection probability of every (r1, n2, r) is
``P(X > r) - sum_{x <= r1} b(x; n1) P(X2 > r - x)`` with X ~ Bin(n1 + n2), X2 ~ Bin(n2):
a cumulative sum over the few stage-1 counts x <= r1 that can still give power (the stage-1
continuation probability under p1 must be at least 1 - beta), taken over a strided view of
the upper-tail table so that no (n2, x, r) array is gathered. For each (n1, r1, n2) the
reported r is the largest r with power >= 1 - beta (clinfun's choice); the design is feasible
when its type I error at that r is <= alpha. EN0 falls as r1 rises (for fixed n1, n2), so per
(n1, n2) only the largest feasible r1 can be best. Designs provably dominated by one already
found at a smaller n (see :func:`scan_n1`) are not evaluated, so the per-n minima are exact
for the non-dominated n only.

Feasibility uses ``<=`` for alpha and ``>=`` for power (Simon 1989), compared in float64 with
no tolerance; clinfun uses strict inequalities (identical results on all reference settings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Tables:
    """Binomial pmf and upper tails P(Bin(m, p) > k) for m <= nmax, k in [-nmax-1, nmax]."""

    nmax: int
    pmf: FloatArray
    tail: FloatArray  # tail[m, k + nmax + 1]
    shifted: FloatArray  # read-only view: shifted[m, x, r] = P(Bin(m, p) > r - x)

    @property
    def offset(self) -> int:
        return self.nmax + 1


def build_tables(nmax: int, p: float) -> Tables:
    """Precompute the pmf and upper-tail tables for all sizes up to *nmax*."""
    m = np.arange(nmax + 1)[:, None]
    x = np.arange(nmax + 1)[None, :]
    pmf = np.asarray(stats.binom.pmf(x, m, p), dtype=np.float64)
    k = np.arange(-nmax - 1, nmax + 1)[None, :]
    tail = np.ascontiguousarray(stats.binom.sf(k, m, p), dtype=np.float64)
    row_stride, col_stride = tail.strides
    # built once: each stage-1 size then slices it (no per-call view construction)
    shifted = as_strided(tail[:, nmax + 1:], shape=(nmax + 1, nmax + 1, nmax + 1),
                         strides=(row_stride, -col_stride, col_stride), writeable=False)
    return Tables(nmax=nmax, pmf=pmf, tail=tail, shifted=shifted)


@dataclass(slots=True)
class BestByN:
    """Per total size n: the design with the smallest EN0 found so far."""

    en0: FloatArray
    n1: IntArray
    r1: IntArray
    r: IntArray

    @classmethod
    def empty(cls, nmax: int) -> BestByN:
        return cls(
            en0=np.full(nmax + 1, np.inf), n1=np.full(nmax + 1, -1, dtype=np.int64),
            r1=np.full(nmax + 1, -1, dtype=np.int64), r=np.full(nmax + 1, -1, dtype=np.int64),
        )

    def grown(self, nmax: int) -> BestByN:
        out = BestByN.empty(nmax)
        size = self.en0.size
        out.en0[:size] = self.en0
        out.n1[:size] = self.n1
        out.r1[:size] = self.r1
        out.r[:size] = self.r
        return out


def single_stage_power_cut(tab1: Tables, beta: float) -> IntArray:
    """For each n, the largest r with P1(Bin(n, p1) > r) >= 1 - beta (-1 if none)."""
    off = tab1.offset
    ok = tab1.tail[:, off:] >= 1.0 - beta
    last = ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
    return np.where(ok.any(axis=1), last, -1).astype(np.int64)


def max_r1_for_power(pmf1_row: FloatArray, beta: float) -> int:
    """Largest r1 with P1(X1 > r1) >= 1 - beta (-1 if even r1 = 0 fails)."""
    cont = 1.0 - np.cumsum(pmf1_row)
    ok = np.flatnonzero(cont >= 1.0 - beta)
    return int(ok[-1]) if ok.size else -1


def _reject_probabilities(
    tab: Tables, n1: int, r1max: int, n2s: IntArray, width: int
) -> FloatArray:
    """rej[i, r1, r] for n2 = n2s[i], r1 in 0..r1max, r in 0..width-1."""
    off = tab.offset
    first = int(n2s[0])
    view = tab.shifted[first:first + n2s.size, : r1max + 1, :width]
    partial = np.cumsum(tab.pmf[n1, : r1max + 1][None, :, None] * view, axis=1)
    total = tab.tail[n1 + first : n1 + first + n2s.size, off : off + width]
    return np.asarray(total[:, None, :] - partial, dtype=np.float64)


def scan_n1(
    n1: int, n2_lo: int, n2_hi: int, tab0: Tables, tab1: Tables, *, alpha: float, beta: float,
    best: BestByN, power_cut: IntArray, prune: bool = True,
) -> None:
    """Update *best* with every design of stage-1 size *n1* and n2 in [n2_lo, n2_hi].

    With *prune* (the default), designs proven dominated are skipped (below).
    """
    r1max = min(max_r1_for_power(tab1.pmf[n1, : n1 + 1], beta), n1 - 1)
    if r1max < 0 or n2_hi < n2_lo:
        return
    n2s = np.arange(n2_lo, n2_hi + 1, dtype=np.int64)
    # Dominance prune (proven): every design here has EN0 >= n1 + P0(X1 > r1max) n2, as
    # r1 <= r1max. A design whose EN0 exceeds that of a design already found with a smaller n
    # is dominated: it cannot be minimax (a smaller n is feasible), optimal, or admissible
    # (not on the decreasing lower hull). The bound rises with n2 while the smallest EN0 over
    # smaller n can only fall, so the n2 kept form a prefix.
    if prune:
        cont0 = 1.0 - float(np.sum(tab0.pmf[n1, : r1max + 1]))
        smaller_n_best = np.minimum.accumulate(best.en0)[n1 + n2s - 1]
        keep = n1 + cont0 * n2s <= smaller_n_best
        if not keep[0]:
            return
        n2s = n2s[: int(np.argmin(keep)) if not keep.all() else n2s.size]
    # Power <= P1(X1 + X2 > r), so no r above the single-stage cut r_hi(n) can give power:
    # only r in [0, max r_hi] is evaluated.
    width = int(power_cut[n1 + n2s].max()) + 1
    if width < 1:
        return
    power = _reject_probabilities(tab1, n1, r1max, n2s, width)
    meets = power >= 1.0 - beta
    any_meets = meets.any(axis=2)
    r_beta = width - 1 - np.argmax(meets[:, :, ::-1], axis=2)
    r1_grid = np.arange(r1max + 1)[None, :]
    type1 = np.take_along_axis(
        _reject_probabilities(tab0, n1, r1max, n2s, width), r_beta[:, :, None], axis=2
    )[:, :, 0]
    feasible = any_meets & (r_beta >= r1_grid) & (type1 <= alpha)
    has = feasible.any(axis=1)
    if not has.any():
        return
    best_r1 = r1max - np.argmax(feasible[:, ::-1], axis=1)
    pet0 = np.cumsum(tab0.pmf[n1, : r1max + 1])[best_r1]
    en0 = n1 + (1.0 - pet0) * n2s
    r_best = r_beta[np.arange(n2s.size), best_r1]
    n_tot = n1 + n2s
    better = has & (en0 < best.en0[n_tot])
    idx = n_tot[better]
    best.en0[idx] = en0[better]
    best.n1[idx] = n1
    best.r1[idx] = best_r1[better]
    best.r[idx] = r_best[better]


def search_range(
    best: BestByN, n_lo: int, n_hi: int, tab0: Tables, tab1: Tables, *, alpha: float, beta: float,
    prune: bool = True,
) -> None:
    """Search all designs with total size n in [n_lo, n_hi] (n1 ascending: first wins ties)."""
    cut = single_stage_power_cut(tab1, beta)
    for n1 in range(1, n_hi):
        scan_n1(n1, max(1, n_lo - n1), n_hi - n1, tab0, tab1, alpha=alpha, beta=beta, best=best,
                power_cut=cut, prune=prune)


def en0_lower_bound(
    n: int, tab0: Tables, tab1: Tables, *, beta: float, en0_best: float
) -> float:
    """A lower bound on EN0 for any feasible design with total size >= n.

    A feasible design needs P1(X1 > r1) >= 1 - beta, so r1 <= r1max(n1) and the stage-1
    continuation probability under p0 is at least c(n1) = P0(X1 > r1max(n1)); hence
    EN0 >= n1 + c(n1) (n - n1). Stage-1 sizes n1 >= the best EN0 so far cannot improve on it
    (EN0 >= n1), so only smaller n1 are considered. The bound rises with n.
    """
    top = min(n - 1, tab0.nmax, int(np.floor(en0_best)) if np.isfinite(en0_best) else tab0.nmax)
    bound = np.inf if not np.isfinite(en0_best) else en0_best
    for n1 in range(1, top + 1):
        r1max = min(max_r1_for_power(tab1.pmf[n1, : n1 + 1], beta), n1 - 1)
        if r1max < 0:
            continue
        cont0 = 1.0 - float(np.sum(tab0.pmf[n1, : r1max + 1]))
        bound = min(bound, n1 + cont0 * (n - n1))
    return float(bound)
