"""Cox proportional hazards (partial likelihood), written here in numpy.

Conventions follow R ``survival::coxph`` (Therneau & Grambsch 2000, *Modeling Survival Data*,
appendix E gives the hand-computed test cases used in our tests):

- Ties: ``efron`` (Efron 1977, JASA 72:557-565; R's default) or ``breslow`` (Breslow 1974).
  At a time with d tied deaths Efron's denominators are ``S0 - (l/d) D0`` for l = 0..d-1, D0
  the risk-score sum over the deaths; Breslow uses ``S0`` d times.
- Times closer than sqrt(eps) are one time, as R's ``aeqSurv`` (``timefix = TRUE``).
- Strata: separate baseline hazards, risk sets within a stratum (R ``strata()``).
- Fit: Newton-Raphson from beta = 0 with step halving when the log partial likelihood falls
  (as R ``coxph.fit``), iterated until the step is below 1e-10 (tighter than R's default
  ``eps = 1e-9`` on the log-likelihood, so R's printed digits are reproduced).
- Robust variance: the Lin & Wei (1989, JASA 84:1074-1078) sandwich ``D'D`` with D the dfbeta
  residuals (score residuals times the model variance), summed within ``cluster`` when given
  (R ``coxph(..., robust = TRUE)`` / ``cluster()``). Efron score residuals give a death at a
  tied time the weight ``1 - l/d`` in the l-th denominator, as R's ``residuals(fit, "score")``.
- Tests: likelihood ratio ``2 (l(beta) - l(0))``, Wald ``beta' V^-1 beta`` (V robust when
  robust) and score ``U(0)' I(0)^-1 U(0)`` (the log-rank test for one binary covariate).
- Concordance: Harrell's C of the linear predictor as R ``concordance()`` reports for a coxph
  fit: pairs within a stratum where the shorter time is an event; a censoring at the same time
  as a death counts as the longer time; pairs tied on time with both deaths are not comparable;
  ties in the predictor count one half.

One sort (stratum, then time descending) makes every risk-set sum a cumulative sum; each
Newton step is a handful of O(n p^2) passes. The data-frame front end
:func:`estimate_cox_ph` takes columns by name without importing pandas ("statistics stay pure
numerics"); :func:`estimate_cox_ph_arrays` takes arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from oncotrial.errors import DataError, DesignError
from oncotrial.stats._distributions import chi2_sf, normal_quantile
from oncotrial.stats.survival import _new_time_mask

__all__ = ["CoxResult", "CoxTest", "estimate_cox_ph", "estimate_cox_ph_arrays"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
TIES = ("efron", "breslow")
_MAX_ITER = 40
_STEP_TOL = 1e-10


@dataclass(frozen=True, slots=True)
class CoxTest:
    """A global chi-square test of all coefficients (R ``summary(coxph)`` bottom lines)."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True, slots=True)
class CoxResult:
    """Cox model coefficients (log hazard ratios) with Wald inference, one entry per covariate.

    ``std_err``, ``variance``, the intervals, ``z``/``p_value`` and ``wald`` use the robust
    (sandwich) variance when ``robust`` is true, the model (inverse information) variance
    otherwise; ``naive_std_err`` is always the model one.
    """

    covariates: tuple[str, ...]
    coef: FloatArray
    std_err: FloatArray
    naive_std_err: FloatArray
    variance: FloatArray
    hazard_ratio: FloatArray
    lower: FloatArray  # hazard-ratio scale
    upper: FloatArray
    z: FloatArray
    p_value: FloatArray
    log_likelihood: float
    log_likelihood_null: float
    likelihood_ratio: CoxTest
    wald: CoxTest
    score: CoxTest
    concordance: float
    n: int
    events: int
    strata: int
    iterations: int
    conf_level: float
    ties: str
    robust: bool

    def __post_init__(self) -> None:
        for name in ("coef", "std_err", "naive_std_err", "variance", "hazard_ratio", "lower",
                     "upper", "z", "p_value"):
            getattr(self, name).setflags(write=False)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Sorted data and the index structure shared by every Newton step."""

    x: FloatArray  # (n, p) centred covariates, sorted by stratum then time descending
    xt: FloatArray  # the same, transposed and contiguous (p, n)
    dead: NDArray[np.bool_]
    group: IntArray  # risk-set group (distinct stratum, time) of each row
    group_last: IntArray  # last row of each group
    group_offset: IntArray  # last row before the group's stratum (-1 for the first stratum)
    event_groups: IntArray  # groups with at least one death
    rep: IntArray  # event group of each expanded (Efron) row
    frac: FloatArray  # l / d of each expanded row (0 for Breslow)
    x_dead_sum: FloatArray
    dead_rows: IntArray
    dead_runs: IntArray  # first position in dead_rows of each event group's deaths
    slot: IntArray  # event-group index of each dead row
    tied: bool  # some time has two or more deaths
    x_range: FloatArray  # max - min of each covariate


@dataclass(frozen=True, slots=True)
class _Step:
    loglik: float
    score: FloatArray
    info: FloatArray


def _layout(
    time: FloatArray, dead: NDArray[np.bool_], x: FloatArray, strata: IntArray, ties: str,
    *, order: IntArray | None = None,
) -> tuple[_Layout, IntArray]:
    """Rows by stratum then time descending (*order*, when given, must be such an order)."""
    if order is None:
        order = np.lexsort((-time, strata))
    ts, ds, ss = time[order], dead[order], strata[order]
    xs = x[order]
    xs -= xs.mean(axis=0)  # centring changes no estimate, only the rounding (as R)
    n = ts.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new[1:])
    new_stratum = np.empty(n, dtype=bool)
    new_stratum[0] = True
    np.not_equal(ss[1:], ss[:-1], out=new_stratum[1:])
    new |= new_stratum
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    group_last = np.empty_like(starts)
    group_last[:-1] = starts[1:] - 1
    group_last[-1] = n - 1
    stratum_first_row = np.maximum.accumulate(np.where(new_stratum, np.arange(n), 0))
    group_offset = stratum_first_row[starts] - 1
    deaths = np.add.reduceat(ds.astype(np.int64), starts)
    event_groups = np.flatnonzero(deaths)
    d = deaths[event_groups]
    rep = np.repeat(np.arange(event_groups.size), d)
    if ties == "efron":
        first = np.cumsum(d) - d
        frac = (np.arange(rep.size) - first[rep]) / d[rep]
    else:
        frac = np.zeros(rep.size)
    dead_rows = np.flatnonzero(ds)
    layout = _Layout(x=xs, xt=np.ascontiguousarray(xs.T), dead=ds, group=group.astype(np.int64),
                     group_last=group_last,
                     group_offset=group_offset, event_groups=event_groups, rep=rep, frac=frac,
                     x_dead_sum=xs[ds].sum(axis=0), dead_rows=dead_rows,
                     dead_runs=np.cumsum(d) - d, slot=rep, tied=bool(d.max() > 1),
                     x_range=np.ptp(xs, axis=0))
    return layout, order


def _risk_sums(cum: FloatArray, layout: _Layout) -> FloatArray:
    """Risk-set sums at each event group from row-wise cumulative sums (columns = rows)."""
    groups = layout.event_groups
    out = cum[:, layout.group_last[groups]]
    offset = layout.group_offset[groups]
    has = offset >= 0
    if has.any():
        out[:, has] -= cum[:, offset[has]]
    return out


def _evaluate(
    layout: _Layout, beta: FloatArray, *, want_info: bool = True
) -> tuple[_Step, FloatArray, FloatArray, FloatArray, float]:
    """Log partial likelihood, score and information at *beta*.

    Also returns the risk scores (scaled by exp(-shift)), the expanded-row denominators and
    weighted means (one column per expanded row) for the residuals, and the shift. The rows
    of one work array are w, w x and (with the information) w x_a x_b for a <= b; one
    cumulative sum along time gives every risk-set sum.
    """
    xt = layout.xt
    p, n = xt.shape
    eta = beta @ xt
    shift = float(eta.max())
    ia, ib = np.triu_indices(p)
    width = 1 + p + (ia.size if want_info else 0)
    work = np.empty((width, n))
    w = np.exp(eta - shift, out=work[0])
    np.multiply(xt, w, out=work[1:1 + p])
    if want_info:
        np.multiply(work[1 + ia], xt[ib], out=work[1 + p:])
    dead_rows = layout.dead_rows
    risk = _risk_sums(np.cumsum(work, axis=1), layout)
    if layout.tied:
        dead_sums = np.add.reduceat(work[:, dead_rows], layout.dead_runs, axis=1)
        rep, frac = layout.rep, layout.frac
        risk = risk[:, rep]
        risk -= dead_sums[:, rep] * frac
    den = risk[0].copy()
    risk /= den
    mean = risk[1:1 + p]
    loglik = float(eta[dead_rows].sum() - np.log(den).sum() - shift * den.size)
    score = layout.x_dead_sum - mean.sum(axis=1)
    info = np.zeros((p, p))
    if want_info:
        info[ia, ib] = risk[1 + p:].sum(axis=1)
        info[ib, ia] = info[ia, ib]
        info -= mean @ mean.T
    return _Step(loglik=loglik, score=score, info=info), w.copy(), den, mean.T.copy(), shift


def _solve(info: FloatArray, score: FloatArray) -> FloatArray:
    try:
        out: FloatArray = np.asarray(np.linalg.solve(info, score), dtype=np.float64)
        return out
    except np.linalg.LinAlgError as exc:
        raise DesignError(
            "the Cox information matrix is singular: a covariate is constant or collinear"
        ) from exc


def _fit(layout: _Layout, p: int) -> tuple[FloatArray, _Step, _Step, int]:
    """Newton-Raphson with step halving; returns beta, the step at beta, the null step."""
    beta = np.zeros(p)
    null, *_ = _evaluate(layout, beta)
    current = null
    for iteration in range(1, _MAX_ITER + 1):
        step = _solve(current.info, current.score)
        trial_beta = beta + step
        trial, *_ = _evaluate(layout, trial_beta)
        halvings = 0
        while not trial.loglik >= current.loglik - 1e-12 * abs(current.loglik):
            halvings += 1
            if halvings > 30:
                raise DesignError("the Cox model did not converge (step halving failed)")
            step = step / 2.0
            trial_beta = beta + step
            trial, *_ = _evaluate(layout, trial_beta)
        beta, current = trial_beta, trial
        # beta runs off to infinity (monotone likelihood, e.g. perfect separation): a hazard
        # ratio above e^30 across a covariate's range, or a likelihood that stalls far out
        far = np.max(np.abs(beta) * layout.x_range) > 30.0 if p else False
        small = np.max(np.abs(step)) <= _STEP_TOL * (1.0 + np.max(np.abs(beta)))
        if not np.all(np.isfinite(beta)) or far or (small and halvings and
                                                     np.max(np.abs(beta) * layout.x_range) > 10):
            raise DesignError("the Cox model did not converge: a coefficient diverges to "
                              "infinity (perfect separation?)")
        if small:
            return beta, current, null, iteration
    raise DesignError(f"the Cox model did not converge in {_MAX_ITER} iterations "
                      "(perfect separation or a covariate that predicts every event?)")


def _score_residuals(layout: _Layout, beta: FloatArray) -> FloatArray:
    """Score residuals per (sorted) row, as R ``residuals(fit, type = "score")``.

    Row i: ``dead_i (x_i - mean over l of a_l at its time)`` minus
    ``w_i sum over death times t <= t_i and rows l of c_il (x_i - a_l) / den_l`` where c_il
    is 1, or ``1 - l/d`` for a death at a tied time itself (Efron).
    """
    _, w, den, mean, _ = _evaluate(layout, beta, want_info=False)
    x = layout.x
    p = x.shape[1]
    rep, frac = layout.rep, layout.frac
    n_eg = layout.event_groups.size
    n_groups = layout.group_last.size
    inv = 1.0 / den
    h_all = np.bincount(rep, weights=inv, minlength=n_eg)
    h_own = np.bincount(rep, weights=(1.0 - frac) * inv, minlength=n_eg)
    runs = layout.dead_runs  # expanded rows of one event group are contiguous, as its deaths
    a_all = np.add.reduceat(mean * inv[:, None], runs, axis=0)
    a_own = np.add.reduceat(mean * ((1.0 - frac) * inv)[:, None], runs, axis=0)
    d_count = np.bincount(rep, minlength=n_eg).astype(np.float64)
    a_bar = np.add.reduceat(mean, runs, axis=0) / d_count[:, None]
    # Per group (zero where no deaths), then sums over groups at or after each group within
    # its stratum (times at or before, since rows run time-descending).
    h_g = np.zeros(n_groups)
    h_g[layout.event_groups] = h_all
    a_g = np.zeros((n_groups, p))
    a_g[layout.event_groups] = a_all
    stratum_end = _stratum_end_groups(layout)
    h_cum = _suffix_within(h_g, stratum_end)
    a_cum = _suffix_within(a_g, stratum_end)
    g = layout.group
    h_i = h_cum[g]
    a_i = a_cum[g]
    dead = layout.dead
    slot = layout.slot
    h_i[dead] += h_own[slot] - h_all[slot]
    a_i[dead] += a_own[slot] - a_all[slot]
    resid = -(w[:, None] * (x * h_i[:, None] - a_i))
    resid[dead] += x[dead] - a_bar[slot]
    return resid


def _stratum_end_groups(layout: _Layout) -> IntArray:
    """For each group, one past the last group of its stratum."""
    first_group_of_stratum = layout.group[layout.group_offset + 1]
    n_groups = first_group_of_stratum.size
    is_first = np.empty(n_groups, dtype=bool)
    is_first[0] = True
    np.not_equal(first_group_of_stratum[1:], first_group_of_stratum[:-1], out=is_first[1:])
    firsts = np.flatnonzero(is_first)
    ends = np.append(firsts[1:], n_groups)
    return np.repeat(ends, np.diff(np.append(firsts, n_groups)))


def _suffix_within(values: FloatArray, end: IntArray) -> FloatArray:
    """Sum of values[g:end[g]] for every g (suffix sums that stop at the stratum's end)."""
    total = np.cumsum(values[::-1], axis=0)[::-1]
    padded = np.concatenate([total, np.zeros((1, *values.shape[1:]))])
    out: FloatArray = total - padded[end]
    return out


_BLOCK_LEVELS = 5  # pairs inside blocks of 2^5 positions are counted directly


def _count_in_blocks(values: IntArray, marked: NDArray[np.bool_], size: int) -> int:
    """Pairs i < j inside each block of *size* positions with marked i and values[j] < values[i]."""
    n = values.size
    blocks = -(-n // size)
    padded = np.full(blocks * size, int(values.max()) + 1, dtype=np.int64)
    padded[:n] = values
    marks = np.zeros(blocks * size, dtype=bool)
    marks[:n] = marked
    later = np.triu(np.ones((size, size), dtype=bool), 1)  # [i, j]: j after i
    total = 0
    step = max(1, (1 << 20) // (size * size))  # blocks per chunk: about 1 MB of pairs
    for start in range(0, blocks, step):
        v = padded[start * size:(start + step) * size].reshape(-1, size)
        mk = marks[start * size:(start + step) * size].reshape(-1, size)
        smaller_later = (v[:, None, :] < v[:, :, None]) & later  # [b, i, j]
        total += int(np.count_nonzero(smaller_later & mk[:, :, None]))
    return total


def _count_smaller_later(values: IntArray, marked: NDArray[np.bool_]) -> int:
    """Sum over marked positions i of #{j > i : values[j] < values[i]} (bottom-up merge sort).

    Pairs inside blocks of 32 positions are counted directly; then at each level L the two
    halves of every node of 2^L positions are merged: keys ``node, value, side, marked``
    (bit fields) are sorted, and a marked left element has before it, within its node,
    exactly the right elements of smaller value (a right element of equal value sorts after
    it). The sorted keys of one level, with the node's low bit moved into the side field,
    are the next level's keys as sorted runs, which a stable sort merges.
    """
    n = values.size
    level = _BLOCK_LEVELS + 1
    if n <= 1 << _BLOCK_LEVELS:
        return _count_in_blocks(values, marked, 1 << _BLOCK_LEVELS)
    total = _count_in_blocks(values, marked, 1 << _BLOCK_LEVELS)
    shift = max(1, int(values.max()).bit_length()) + 2  # node field starts here
    pos = np.arange(n, dtype=np.int64)
    key = (pos >> level) << shift
    key |= values.astype(np.int64) << 2
    key |= ((pos >> (level - 1)) & 1) << 1
    key |= marked
    del pos
    key.sort()
    low_fields = np.int64((1 << shift) - 1) ^ np.int64(2)  # value and mark, not side
    while True:
        side = (key >> 1) & 1
        right_before = np.cumsum(side)
        left_marked = np.flatnonzero((key & 3) == 1)
        # right elements before a left one, minus those of earlier nodes (2^(L-1) each)
        total += int(right_before[left_marked].sum()) - (
            int((key[left_marked] >> shift).sum()) << (level - 1))
        if (1 << level) >= n:
            return total
        nxt = key >> (shift + 1)
        nxt <<= shift
        nxt |= key & low_fields
        side = key >> (shift - 1)
        side &= 2
        nxt |= side
        key = nxt
        key.sort(kind="stable")
        level += 1


def _concordance(time: FloatArray, dead: NDArray[np.bool_], strata: IntArray,
                 lp: FloatArray, ascending: IntArray | None = None) -> float:
    """Harrell's C of *lp* (higher = earlier death), pairs within strata (R conventions).

    Rows run by stratum, time, deaths before censorings, then predictor ascending; with the
    predictor ranked within strata (stratum first), the later rows of smaller rank are exactly
    the concordant partners of a death (tied deaths never count: their ranks ascend).
    """
    _, lp_rank = np.unique(lp, return_inverse=True)
    crank = strata * (int(lp_rank.max()) + 1) + lp_rank.ravel()
    if ascending is None:  # strata: four-key sort
        order = np.lexsort((crank, ~dead, time, strata))
    else:  # one stratum, times already ordered: one int64 key (time rank, alive, predictor)
        ts = time[ascending]
        time_rank = np.empty(ts.size, dtype=np.int64)
        time_rank[0] = 0
        np.cumsum(ts[1:] > ts[:-1], out=time_rank[1:])
        key = np.empty_like(time_rank)
        key[ascending] = time_rank
        key <<= 1
        key |= ~dead
        key *= int(crank.max()) + 1
        key += crank
        order = np.argsort(key)
    ts, ds, ss, rank = time[order], dead[order], strata[order], crank[order]
    n = ts.size
    idx = np.arange(n)
    same_time = np.empty(n, dtype=bool)
    same_time[0] = False
    same_time[1:] = (ts[1:] == ts[:-1]) & (ss[1:] == ss[:-1])
    # first row after the deaths at each row's (stratum, time): comparable partners start there
    tie_start = np.maximum.accumulate(np.where(~same_time, idx, 0))
    dead_count = np.add.reduceat(ds.astype(np.int64), np.flatnonzero(~same_time))
    after_deaths = tie_start + dead_count[np.cumsum(~same_time) - 1]
    new_stratum = np.empty(n, dtype=bool)
    new_stratum[0] = True
    new_stratum[1:] = ss[1:] != ss[:-1]
    stratum_starts = np.flatnonzero(new_stratum)
    stratum_end = np.append(stratum_starts[1:], n)[np.cumsum(new_stratum) - 1]
    concordant = float(_count_smaller_later(rank, ds))
    # pairs tied on the predictor: rows of the same rank at positions in [after_deaths, end);
    # deaths visited in (rank, position) order, so both needles ascend
    by_rank = np.sort(rank * (n + 1) + idx)
    ev = by_rank[ds[by_rank % (n + 1)]] % (n + 1)
    base = rank[ev] * (n + 1)
    tied = (np.searchsorted(by_rank, base + stratum_end[ev])
            - np.searchsorted(by_rank, base + after_deaths[ev]))
    n_tied = float(tied.sum())
    comparable = float((stratum_end[ev] - after_deaths[ev]).sum())
    discordant = comparable - concordant - n_tied
    total = concordant + n_tied + discordant
    return (concordant + n_tied / 2.0) / total if total > 0 else float("nan")


def _label_codes(name: str, values: ArrayLike | None, n: int) -> IntArray:
    """Integer codes 0..k-1 of a label column (all zero when absent)."""
    if values is None:
        return np.zeros(n, dtype=np.int64)
    raw = np.asarray(values).ravel()
    if raw.size != n:
        raise DataError(f"{name} has {raw.size} values but time has {n}", field=name,
                        value=raw.size, allowed=f"{n} values")
    return np.unique(raw, return_inverse=True)[1].astype(np.int64).ravel()


def _check_arrays(
    time: ArrayLike, event: ArrayLike, x: ArrayLike, strata: ArrayLike | None,
    cluster: ArrayLike | None,
) -> tuple[FloatArray, NDArray[np.bool_], FloatArray, IntArray, IntArray | None]:
    t = np.asarray(time, dtype=np.float64).ravel()
    n = t.size
    if n == 0:
        raise DataError("no observations", field="time", value=[], allowed="at least one row")
    if not np.all(np.isfinite(t)) or t.min() < 0:
        bad = t[~np.isfinite(t) | (t < 0)]
        raise DataError("times must be finite and non-negative", field="time",
                        value=bad[:5].tolist(), allowed="finite values >= 0")
    e_raw = np.asarray(event).ravel()
    if e_raw.size != n:
        raise DataError(f"event has {e_raw.size} values but time has {n}", field="event",
                        value=e_raw.size, allowed=f"{n} values")
    if e_raw.dtype.kind != "b":
        e_num = e_raw.astype(np.float64)
        if not np.all((e_num == 0) | (e_num == 1)):
            raise DataError("events must be 0 (censored) or 1 (event)", field="event",
                            value=np.unique(e_num[(e_num != 0) & (e_num != 1)])[:5].tolist(),
                            allowed="0, 1")
        e = e_num == 1
    else:
        e = e_raw
    xm = np.asarray(x, dtype=np.float64)
    if xm.ndim == 1:
        xm = xm[:, None]
    if xm.ndim != 2 or xm.shape[0] != n:
        raise DataError(f"covariates have shape {xm.shape}; need {n} rows", field="covariates",
                        value=list(xm.shape), allowed=f"({n}, p)")
    if not np.all(np.isfinite(xm)):
        raise DataError("covariates must be finite (no missing values)", field="covariates",
                        value=int((~np.isfinite(xm)).sum()), allowed="finite numbers")
    codes = [_label_codes(name, values, n) for name, values in (("strata", strata),
                                                               ("cluster", cluster))]
    if not e.any():
        raise DesignError("the Cox model needs at least one event (all rows are censored)")
    return t, e, np.ascontiguousarray(xm), codes[0], (codes[1] if cluster is not None else None)


def _merge_near_ties(t: FloatArray, ascending: IntArray) -> FloatArray:
    """R ``aeqSurv`` (coxph's ``timefix = TRUE``): near-equal times become their smallest.

    *ascending* is an order that sorts *t*.
    """
    ts = t[ascending]
    new_time = _new_time_mask(ts, timefix=True)
    distinct = np.empty_like(new_time)
    distinct[0] = True
    np.greater(ts[1:], ts[:-1], out=distinct[1:])
    if np.array_equal(new_time, distinct):
        return t  # nothing merged
    merged = ts[np.maximum.accumulate(np.where(new_time, np.arange(ts.size), 0))]
    out = np.empty_like(t)
    out[ascending] = merged
    return out


def estimate_cox_ph_arrays(
    time: ArrayLike,
    event: ArrayLike,
    covariates: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    ties: str = "efron",
    strata: ArrayLike | None = None,
    robust: bool = False,
    cluster: ArrayLike | None = None,
    conf_level: float = 0.95,
    timefix: bool = True,
) -> CoxResult:
    """Fit a Cox proportional hazards model to arrays.

    Parameters
    ----------
    time, event
        Follow-up time (>= 0) and event indicator (1 event, 0 censored), one per row.
    covariates
        ``(n, p)`` numeric matrix (or one vector); dummy-code categories beforehand.
    names
        Covariate names (default ``x1 .. xp``).
    ties
        ``efron`` (default, as R) or ``breslow``.
    strata
        Optional stratum label per row: a separate baseline hazard per stratum.
    robust
        Use the sandwich variance (implied when *cluster* is given).
    cluster
        Optional cluster label per row: dfbeta residuals are summed within clusters.
    conf_level
        Two-sided level of the hazard-ratio intervals.
    timefix
        Merge near-equal times as R ``coxph`` does (default ``True``; see
        :mod:`oncotrial.stats.survival`).

    Returns
    -------
    CoxResult
        Coefficients, hazard ratios with Wald intervals and p-values, the likelihood-ratio, Wald
        and score tests and the concordance.

    Raises
    ------
    DataError
        On missing, negative or non-finite values, events other than 0/1, mismatched lengths.
    DesignError
        On unknown ties, a level outside (0, 1), no events, a singular information matrix or
        a fit that does not converge (e.g. perfect separation).

    Examples
    --------
    Non-maintained against maintained chemotherapy in R's ``aml`` data: R ``coxph(Surv(time,
    status) ~ x, data = aml)`` gives coef 0.9155, se 0.5119, p = 0.0737, hazard ratio 2.498
    (0.9159 to 6.813) and a likelihood-ratio test of 3.38 on 1 df.

    >>> from oncotrial.stats import estimate_cox_ph_arrays
    >>> time = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
    ...         5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    >>> event = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
    ...          1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    >>> nonmaintained = [0] * 11 + [1] * 12
    >>> fit = estimate_cox_ph_arrays(time, event, nonmaintained, names=["nonmaintained"])
    >>> fit.coef.round(4).tolist(), fit.std_err.round(4).tolist(), fit.p_value.round(4).tolist()
    ([0.9155], [0.5119], [0.0737])
    >>> fit.hazard_ratio.round(3).tolist(), fit.lower.round(4).tolist(), fit.upper.round(3).tolist()
    ([2.498], [0.9159], [6.813])
    >>> round(fit.likelihood_ratio.statistic, 2), fit.likelihood_ratio.df
    (3.38, 1)
    """
    if ties not in TIES:
        raise DesignError(f"ties={ties!r} is not allowed (allowed: {', '.join(TIES)})")
    if not 0.0 < conf_level < 1.0:
        raise DesignError(f"conf_level={conf_level!r} must lie strictly between 0 and 1")
    t, e, x, strata_codes, cluster_codes = _check_arrays(time, event, covariates, strata,
                                                        cluster)
    single_stratum = bool(strata_codes.max() == 0)
    ascending = np.argsort(t) if (timefix or single_stratum) else None
    if timefix:
        assert ascending is not None
        t = _merge_near_ties(t, ascending)
    p = x.shape[1]
    labels = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(p))
    if len(labels) != p:
        raise DataError(f"{len(labels)} names for {p} covariates", field="names",
                        value=list(labels), allowed=f"{p} names")
    descending = ascending[::-1] if single_stratum and ascending is not None else None
    layout, order = _layout(t, e, x.copy(), strata_codes, ties, order=descending)
    beta, final, null, iterations = _fit(layout, p)
    naive = np.linalg.inv(final.info)
    naive = (naive + naive.T) / 2.0
    robust = robust or cluster_codes is not None
    variance = naive
    if robust:
        dfbeta = _score_residuals(layout, beta) @ naive
        if cluster_codes is not None:
            sums = np.zeros((int(cluster_codes.max()) + 1, p))
            np.add.at(sums, cluster_codes[order], dfbeta)
            dfbeta = sums
        variance = dfbeta.T @ dfbeta
    std_err = np.sqrt(np.diag(variance))
    z = beta / std_err
    crit = normal_quantile(0.5 + conf_level / 2.0)
    wald_stat = float(beta @ np.linalg.solve(variance, beta))
    score_stat = float(null.score @ _solve(null.info, null.score))
    lr_stat = 2.0 * (final.loglik - null.loglik)
    lp = x @ beta
    return CoxResult(
        covariates=labels, coef=beta, std_err=std_err, naive_std_err=np.sqrt(np.diag(naive)),
        variance=variance, hazard_ratio=np.exp(beta), lower=np.exp(beta - crit * std_err),
        upper=np.exp(beta + crit * std_err), z=z,
        p_value=np.array([math.erfc(abs(v) / math.sqrt(2.0)) for v in z]),
        log_likelihood=final.loglik, log_likelihood_null=null.loglik,
        likelihood_ratio=CoxTest(lr_stat, p, chi2_sf(lr_stat, p)),
        wald=CoxTest(wald_stat, p, chi2_sf(wald_stat, p)),
        score=CoxTest(score_stat, p, chi2_sf(score_stat, p)),
        concordance=_concordance(t, e, strata_codes, lp,
                                 ascending if single_stratum else None),
        n=int(t.size), events=int(e.sum()), strata=int(strata_codes.max()) + 1,
        iterations=iterations, conf_level=conf_level, ties=ties, robust=robust,
    )


def estimate_cox_ph(
    data: Any,
    *,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    ties: str = "efron",
    strata_col: str | None = None,
    robust: bool = False,
    cluster_col: str | None = None,
    conf_level: float = 0.95,
    timefix: bool = True,
) -> CoxResult:
    """Fit a Cox proportional hazards model to named columns of a data frame.

    *data* is any table whose ``data[name].to_numpy()`` gives a column (a pandas DataFrame);
    this module does not import pandas.

    Parameters
    ----------
    data
        The table with every named column.
    duration_col, event_col
        Columns of the follow-up time (>= 0) and the event indicator (1 event, 0 censored).
    covariates
        Columns of the numeric covariates (dummy-code categories beforehand).
    ties, robust, conf_level, timefix
        As for :func:`estimate_cox_ph_arrays`.
    strata_col
        Optional column of stratum labels (a baseline hazard per stratum).
    cluster_col
        Optional column of cluster labels (sandwich variance summed within clusters).

    Returns
    -------
    CoxResult
        As :func:`estimate_cox_ph_arrays`, with the covariates named by their columns.

    Raises
    ------
    DataError
        If a column is missing or holds missing values.
    DesignError
        If the model cannot be fitted (e.g. no events, perfect separation).

    Examples
    --------
    >>> import pandas as pd
    >>> from oncotrial.stats import estimate_cox_ph
    >>> aml = pd.DataFrame({
    ...     "weeks": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
    ...               5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
    ...     "died": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
    ...              1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
    ...     "nonmaintained": [0] * 11 + [1] * 12})
    >>> fit = estimate_cox_ph(aml, duration_col="weeks", event_col="died",
    ...                       covariates=["nonmaintained"])
    >>> fit.covariates, fit.hazard_ratio.round(3).tolist()
    (('nonmaintained',), [2.498])
    """
    columns = [duration_col, event_col, *covariates]
    extra = [c for c in (strata_col, cluster_col) if c is not None]
    present = list(data.columns)
    missing = [c for c in [*columns, *extra] if c not in present]
    if missing:
        raise DataError("column not found", field="column", value=missing,
                        allowed=", ".join(map(str, present)))
    values = {c: np.asarray(data[c].to_numpy()) for c in [*columns, *extra]}
    for c in columns:
        column = values[c]
        if column.dtype.kind not in "biuf":
            raise DataError("model columns must be numeric", field=c, value=str(column.dtype),
                            allowed="numbers (dummy-code categories)")
        if column.dtype.kind == "f" and bool(np.isnan(column).any()):
            raise DataError("missing values in the model columns", field=c,
                            value=int(np.isnan(column).sum()), allowed="no missing values")
    x = np.column_stack([values[c] for c in covariates]) if covariates else np.zeros((0, 0))
    if not covariates:
        raise DataError("no covariates", field="covariates", value=[], allowed="one or more")
    return estimate_cox_ph_arrays(
        values[duration_col], values[event_col], x, names=[str(c) for c in covariates],
        ties=ties, strata=values[strata_col] if strata_col else None, robust=robust,
        cluster=values[cluster_col] if cluster_col else None, conf_level=conf_level,
        timefix=timefix,
    )
