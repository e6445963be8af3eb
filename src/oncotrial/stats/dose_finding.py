"""Phase Ib dose finding: 3+3 with exact operating characteristics, and BOIN.

Doses (or combination regimens, e.g. LEADER's lenvatinib 10/14/18 mg with eribulin
1.1 mg/m²) are indexed 0..K-1 in order of increasing toxicity; a trial may start at any index
(LEADER starts at the top regimen and de-escalates).

Sources
-------
- 3+3: Storer BE (1989) Biometrics 45:925-937; Lin Y, Shih WJ (2001) Biostatistics 2:203-215
  (exact OC by enumeration; variant with de-escalation: the MTD needs >= 6 patients with <= 1
  DLT, adding 3 at the lower dose when it has only 3).
- BOIN: Liu S, Yuan Y (2015) JRSS-C 64:507-523 (local BOIN: phi1 = 0.6 phi, phi2 = 1.4 phi,
  boundaries lambda_e/lambda_d; elimination if Pr(p > phi | y, n) > 0.95 under Beta(1, 1) for
  n >= 3; MTD by isotonic regression). Integer cut-offs, the "+1 when lambda_d n is an integer"
  rule and the 1e-10 tie jitter follow R ``BOIN`` 2.7.2 ``get.boundary``/``select.mtd``/
  ``get.oc`` so that tables agree with the package.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DesignError

__all__ = [
    "BoinBoundaries",
    "BoinDecision",
    "BoinDecisionTable",
    "BoinMtd",
    "DoseFindingOC",
    "compute_3plus3_oc",
    "compute_boin_boundaries",
    "compute_boin_decision_table",
    "compute_boin_oc",
    "decide_boin",
    "estimate_boin_mtd",
]

FloatArray = NDArray[np.float64]
ELIMINATION_CUTOFF = 0.95  # Liu & Yuan (2015) §3; BOIN::get.boundary default cutoff.eli
_MIN_N_ELIMINATION = 3  # elimination applies once n >= 3 (BOIN::get.boundary)
_TARGET_RANGE = (0.05, 0.6)  # BOIN::get.boundary refuses targets outside this range


@dataclass(frozen=True, slots=True)
class BoinBoundaries:
    """BOIN escalation/de-escalation boundaries on the DLT rate scale."""

    target: float
    phi1: float
    phi2: float
    lambda_e: float
    lambda_d: float


@dataclass(frozen=True, slots=True)
class BoinDecisionTable:
    """Integer decision table by number treated at the current dose.

    Escalate if DLTs <= ``escalate_at_most``; de-escalate if DLTs >= ``deescalate_at_least``;
    eliminate the dose (and all higher) if DLTs >= ``eliminate_at_least`` (None: no
    elimination possible at that n).
    """

    target: float
    n: tuple[int, ...]
    escalate_at_most: tuple[int, ...]
    deescalate_at_least: tuple[int, ...]
    eliminate_at_least: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class BoinDecision:
    """One BOIN dose decision with the name of the rule that fired."""

    action: str  # "escalate", "stay", "de-escalate", "eliminate"
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class BoinMtd:
    """The selected MTD (index, or None) and the isotonic DLT-rate estimates per dose."""

    mtd: int | None
    isotonic: tuple[float | None, ...]
    reason: str


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


def _check_target(target: float) -> None:
    lo, hi = _TARGET_RANGE
    if not lo <= target <= hi:
        raise DesignError(f"target={target!r} must lie in [{lo}, {hi}] (BOIN)")


def compute_boin_boundaries(
    target: float, *, phi1: float | None = None, phi2: float | None = None
) -> BoinBoundaries:
    """BOIN boundaries lambda_e and lambda_d (Liu & Yuan 2015, eq. for local BOIN).

    Defaults phi1 = 0.6 target and phi2 = 1.4 target (the authors' recommendation).

    Parameters
    ----------
    target
        Target DLT rate, 0.05 to 0.6.
    phi1, phi2
        Highest DLT rate that is sub-therapeutic and lowest that is overly toxic.

    Returns
    -------
    BoinBoundaries
        The escalation boundary ``lambda_e`` and de-escalation boundary ``lambda_d``.

    Raises
    ------
    DesignError
        If the target is outside [0.05, 0.6] or not phi1 < target < phi2.

    Examples
    --------
    For a target of 0.30, Liu & Yuan (2015) Table 1 gives lambda_e = 0.236 and
    lambda_d = 0.358 (R ``BOIN::get.boundary(target = 0.3)``: escalate if the observed DLT
    rate is ≤ 0.236, de-escalate if ≥ 0.358).

    >>> from oncotrial.stats import compute_boin_boundaries
    >>> b = compute_boin_boundaries(0.30)
    >>> round(b.lambda_e, 4), round(b.lambda_d, 4)
    (0.2365, 0.3585)
    """
    _check_target(target)
    p1 = 0.6 * target if phi1 is None else phi1
    p2 = 1.4 * target if phi2 is None else phi2
    if not 0.0 < p1 < target < p2 < 1.0:
        raise DesignError(f"need 0 < phi1={p1} < target={target} < phi2={p2} < 1")
    lam_e = math.log((1 - p1) / (1 - target)) / math.log(target * (1 - p1) / (p1 * (1 - target)))
    lam_d = math.log((1 - target) / (1 - p2)) / math.log(p2 * (1 - target) / (target * (1 - p2)))
    return BoinBoundaries(target=target, phi1=p1, phi2=p2, lambda_e=lam_e, lambda_d=lam_d)


def _binomial_pmf(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1.0 - p) ** (n - k)


def _posterior_over(target: float, y: int, n: int) -> float:
    """Pr(p > target | y DLTs in n) under a Beta(1, 1) prior, i.e. the upper tail of
    Beta(y + 1, n - y + 1). For integer shape parameters a, b the tail equals a binomial
    cumulative probability: Pr(Beta(a, b) > t) = Pr(Binomial(a + b - 1, t) <= a - 1)
    (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions 2, 2nd ed., §25.2),
    an exact finite sum."""
    return math.fsum(_binomial_pmf(k, n + 1, target) for k in range(y + 1))


def _elimination_cut(n: int, target: float, cutoff: float) -> int | None:
    if n < _MIN_N_ELIMINATION:
        return None
    return next((y for y in range(n + 1) if _posterior_over(target, y, n) > cutoff), None)


def compute_boin_decision_table(
    target: float, *, cohort_size: int = 3, max_n: int = 30,
    cutoff_eliminate: float = ELIMINATION_CUTOFF,
) -> BoinDecisionTable:
    """Integer BOIN decision table for n = cohort_size, 2 cohort_size, ..., max_n.

    Matches R ``BOIN::get.boundary(target, ncohort, cohortsize)$boundary_tab``.

    Returns
    -------
    BoinDecisionTable
        Per number treated: escalate if DLTs ≤ ``escalate_at_most``, de-escalate if
        ≥ ``deescalate_at_least``, eliminate the dose if ≥ ``eliminate_at_least``.

    Raises
    ------
    DesignError
        On a bad target, cohort size or max_n.

    Examples
    --------
    Target 0.30, cohorts of 3 (the table ``BOIN::get.boundary`` prints):

    >>> from oncotrial.stats import compute_boin_decision_table
    >>> t = compute_boin_decision_table(0.30, cohort_size=3, max_n=12)
    >>> t.n, t.escalate_at_most, t.deescalate_at_least, t.eliminate_at_least
    ((3, 6, 9, 12), (0, 1, 2, 2), (2, 3, 4, 5), (3, 4, 5, 7))
    """
    if cohort_size < 1 or max_n < cohort_size:
        raise DesignError(
            f"cohort_size={cohort_size}, max_n={max_n}: need 1 <= cohort_size <= max_n"
        )
    ns = tuple(range(cohort_size, max_n + 1, cohort_size))
    return _table_for(target, ns, cutoff_eliminate)


def _table_for(target: float, ns: Sequence[int], cutoff: float) -> BoinDecisionTable:
    b = compute_boin_boundaries(target)
    esc, dee, eli = [], [], []
    for n in ns:
        e_cut = math.floor(b.lambda_e * n)
        d_raw = b.lambda_d * n
        d_cut = math.ceil(d_raw) + (1 if float(d_raw).is_integer() else 0)
        elim = _elimination_cut(n, target, cutoff)
        if elim is not None:
            d_cut = min(d_cut, elim)
        esc.append(e_cut)
        dee.append(d_cut)
        eli.append(elim)
    return BoinDecisionTable(
        target=target, n=tuple(ns), escalate_at_most=tuple(esc),
        deescalate_at_least=tuple(dee), eliminate_at_least=tuple(eli),
    )


@lru_cache(maxsize=64)
def _cached_table(target: float, max_n: int, cutoff: float) -> BoinDecisionTable:
    return _table_for(target, range(1, max_n + 1), cutoff)


def decide_boin(
    dlt: int, n: int, *, target: float, cutoff_eliminate: float = ELIMINATION_CUTOFF
) -> BoinDecision:
    """The BOIN decision at the current dose after *dlt* DLTs in *n* patients.

    Rules are checked in order: eliminate, de-escalate, escalate, stay.

    Parameters
    ----------
    dlt, n
        DLTs and patients treated at the current dose.
    target
        Target DLT rate.
    cutoff_eliminate
        Posterior probability Pr(DLT rate > target | data) above which the dose is eliminated.

    Returns
    -------
    BoinDecision
        ``escalate``, ``stay``, ``de-escalate`` or ``eliminate`` with the rule name and reason.

    Raises
    ------
    DesignError
        If counts are invalid or the target is out of range.

    Examples
    --------
    Cohorts of 3 at a target of 0.30:

    >>> from oncotrial.stats import decide_boin
    >>> [decide_boin(d, 3, target=0.30).action for d in range(4)]
    ['escalate', 'stay', 'de-escalate', 'eliminate']
    >>> decide_boin(3, 3, target=0.30).reason
    '3/3 DLT: Pr(p > 0.3 | data) > 0.95'
    """
    if not 0 <= dlt <= n or n < 1:
        raise DesignError(f"dlt={dlt}, n={n}: need 0 <= dlt <= n and n >= 1")
    table = _cached_table(target, max(n, 1), cutoff_eliminate)
    i = n - 1
    elim = table.eliminate_at_least[i]
    rate = f"{dlt}/{n}"
    if elim is not None and dlt >= elim:
        return BoinDecision("eliminate", "boin_eliminate",
                            f"{rate} DLT: Pr(p > {target} | data) > {cutoff_eliminate}")
    if dlt >= table.deescalate_at_least[i]:
        return BoinDecision("de-escalate", "boin_deescalate",
                            f"{rate} DLT >= {table.deescalate_at_least[i]} (lambda_d boundary)")
    if dlt <= table.escalate_at_most[i]:
        return BoinDecision("escalate", "boin_escalate",
                            f"{rate} DLT <= {table.escalate_at_most[i]} (lambda_e boundary)")
    return BoinDecision("stay", "boin_stay", f"{rate} DLT between the boundaries")


def _pava(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted pool-adjacent-violators (non-decreasing fit)."""
    blocks: list[list[float]] = []  # [value, weight, count]
    for v, w in zip(values.tolist(), weights.tolist(), strict=True):
        blocks.append([v, w, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.repeat([b[0] for b in blocks], [int(b[2]) for b in blocks])


def estimate_boin_mtd(
    dlt: Sequence[int], n: Sequence[int], *, target: float,
    cutoff_eliminate: float = ELIMINATION_CUTOFF,
) -> BoinMtd:
    """Select the MTD by isotonic regression of the DLT rates (BOIN ``select.mtd``).

    Doses above the first eliminated dose and untreated doses are excluded; if the lowest
    dose is eliminated there is no MTD.

    Parameters
    ----------
    dlt, n
        DLTs and patients per dose, lowest dose first.
    target
        Target DLT rate.
    cutoff_eliminate
        Posterior probability above which a dose is eliminated.

    Returns
    -------
    BoinMtd
        The index of the MTD (``None`` if there is none), the isotonic DLT rates and the reason.

    Raises
    ------
    DesignError
        If the arrays differ in length or hold invalid counts.

    Examples
    --------
    >>> from oncotrial.stats import estimate_boin_mtd
    >>> mtd = estimate_boin_mtd([0, 1, 3], [3, 6, 6], target=0.30)
    >>> mtd.mtd, [round(p, 3) for p in mtd.isotonic]
    (1, [0.016, 0.172, 0.5])
    """
    y = np.asarray(dlt, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if y.shape != m.shape or np.any(y < 0) or np.any(y > m):
        raise DesignError("dlt and n must have equal length with 0 <= dlt <= n per dose")
    k = y.size
    upper = k
    for d in range(k):
        elim = _elimination_cut(int(m[d]), target, cutoff_eliminate)
        if elim is not None and y[d] >= elim:
            upper = d
            break
    if upper == 0:
        return BoinMtd(None, (None,) * k, "the lowest dose is eliminated: no MTD")
    treated = np.flatnonzero(m[:upper] > 0)
    if treated.size == 0:
        return BoinMtd(None, (None,) * k, "no treated dose")
    yy, nn = y[treated], m[treated]
    phat = (yy + 0.05) / (nn + 0.1)
    var = (yy + 0.05) * (nn - yy + 0.05) / ((nn + 0.1) ** 2 * (nn + 0.1 + 1))
    iso = _pava(phat, 1.0 / var)
    jitter = iso + np.arange(1, iso.size + 1) * 1e-10
    pick = int(treated[int(np.argmin(np.abs(jitter - target)))])
    full: list[float | None] = [None] * k
    for idx, value in zip(treated.tolist(), iso.tolist(), strict=True):
        full[idx] = float(value)
    return BoinMtd(pick, tuple(full), f"isotonic estimate closest to the target {target}")


def _labels(k: int, labels: Sequence[str] | None) -> tuple[str, ...]:
    if labels is None:
        return tuple(f"dose {i + 1}" for i in range(k))
    if len(labels) != k:
        raise DesignError(f"labels has {len(labels)} entries but p_true has {k}")
    return tuple(labels)


def _check_p_true(p_true: Sequence[float], start: int) -> FloatArray:
    p = np.asarray(p_true, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)):
        raise DesignError(f"p_true={list(p_true)!r} must be probabilities in [0, 1]")
    if not 0 <= start < p.size:
        raise DesignError(f"start={start} must index one of the {p.size} doses")
    return p


def _boin_trial(
    p: FloatArray, table: BoinDecisionTable, *, cohort_size: int, n_cohorts: int,
    start: int, n_earlystop: int, rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64], bool]:
    k = p.size
    y = np.zeros(k, dtype=np.int64)
    n = np.zeros(k, dtype=np.int64)
    eliminated = np.zeros(k, dtype=bool)
    d = start
    for _ in range(n_cohorts):
        y[d] += rng.binomial(cohort_size, p[d])
        n[d] += cohort_size
        if n[d] >= n_earlystop:  # BOIN::get.oc n.earlystop: stop, select the MTD
            break
        i = int(n[d]) - 1
        elim = table.eliminate_at_least[i]
        if elim is not None and y[d] >= elim:
            eliminated[d:] = True
            if d == 0:
                return y, n, True
        if y[d] <= table.escalate_at_most[i] and d < k - 1 and not eliminated[d + 1]:
            d += 1
        elif y[d] >= table.deescalate_at_least[i] and d > 0:
            d -= 1
    return y, n, False


def compute_boin_oc(
    p_true: Sequence[float], *, target: float, cohort_size: int = 3, n_cohorts: int = 10,
    start: int = 0, n_trials: int = 1000, rng: np.random.Generator, n_earlystop: int = 100,
    labels: Sequence[str] | None = None, progress: Callable[[int], None] | None = None,
) -> DoseFindingOC:
    """Simulated operating characteristics of BOIN (as R ``BOIN::get.oc``).

    Parameters
    ----------
    p_true
        True DLT probability per dose, doses in increasing order.
    target, cohort_size, n_cohorts, start
        Design: target DLT rate, cohort size, number of cohorts, starting dose index.
    n_trials
        Number of simulated trials.
    rng
        A seeded ``numpy.random.Generator`` (the only source of randomness).
    n_earlystop
        Stop once the current dose has this many patients (BOIN default 100 = off; the
        authors suggest 9-18).
    labels
        Dose or regimen names (e.g. LEADER ``["L10E1.1", "L14E1.1", "L18E1.1"]``).
    progress
        Called with the number of trials just completed (for a progress bar).

    Raises
    ------
    DesignError
        On invalid probabilities, target or design sizes.
    """
    p = _check_p_true(p_true, start)
    if cohort_size < 1 or n_cohorts < 1 or n_trials < 1:
        raise DesignError("cohort_size, n_cohorts and n_trials must be >= 1")
    names = _labels(p.size, labels)
    table = _cached_table(target, cohort_size * n_cohorts, ELIMINATION_CUTOFF)
    k = p.size
    picks = np.zeros(k + 1)
    pts = np.zeros(k)
    tox = np.zeros(k)
    step = max(1, n_trials // 100)
    for trial in range(n_trials):
        y, n, stopped = _boin_trial(p, table, cohort_size=cohort_size, n_cohorts=n_cohorts,
                                    start=start, n_earlystop=n_earlystop, rng=rng)
        pts += n
        tox += y
        mtd = None if stopped else estimate_boin_mtd(y.tolist(), n.tolist(), target=target).mtd
        picks[k if mtd is None else mtd] += 1
        if progress is not None and ((trial + 1) % step == 0 or trial + 1 == n_trials):
            progress(step if (trial + 1) % step == 0 else (trial + 1) % step)
    return DoseFindingOC(
        design="BOIN", labels=names, p_true=tuple(p.tolist()),
        selection=tuple((picks[:k] / n_trials).tolist()), no_mtd=float(picks[k] / n_trials),
        mean_patients=tuple((pts / n_trials).tolist()), mean_dlt=tuple((tox / n_trials).tolist()),
        exact=False, n_trials=n_trials,
    )


State = tuple[tuple[tuple[int, int], ...], int, int]  # per-dose (n, y), current dose, ceiling
Outcome = tuple[tuple[float, ...], tuple[float, ...]]  # selection (no-MTD last), patients


class _ThreePlusThree:
    """Exact enumeration of the 3+3 rules (DLT counts capped at 2: enough to decide)."""

    def __init__(self, p: FloatArray) -> None:
        self.k = p.size
        self.pmf = [np.array([_binomial_pmf(k, 3, pi) for k in range(4)]) for pi in p.tolist()]
        self.memo: dict[State, Outcome] = {}

    def treat(self, state: State) -> Outcome:
        """Treat a cohort of 3 at the state's current dose; expected future outcome."""
        if state in self.memo:
            return self.memo[state]
        doses, d, ceiling = state
        sel = np.zeros(self.k + 1)
        pts = np.zeros(self.k)
        pts[d] += 3
        for dlt in range(4):
            nd, yd = doses[d]
            new = list(doses)
            new[d] = (nd + 3, min(yd + dlt, 2))
            s_sel, s_pts = self.after(tuple(new), d, ceiling)
            sel += self.pmf[d][dlt] * np.asarray(s_sel)
            pts += self.pmf[d][dlt] * np.asarray(s_pts)
        out = (tuple(sel.tolist()), tuple(pts.tolist()))
        self.memo[state] = out
        return out

    def finish(self, mtd: int | None) -> Outcome:
        sel = np.zeros(self.k + 1)
        sel[self.k if mtd is None else mtd] = 1.0
        return tuple(sel.tolist()), (0.0,) * self.k

    def after(self, doses: tuple[tuple[int, int], ...], d: int, ceiling: int) -> Outcome:
        """Apply the first matching rule after a cohort at dose d."""
        nd, yd = doses[d]
        if yd >= 2:  # too toxic: de-escalate (Storer 1989; Lin & Shih 2001)
            if d == 0:
                return self.finish(None)
            if doses[d - 1][0] >= 6:
                return self.finish(d - 1)
            return self.treat((doses, d - 1, d))
        if nd == 3 and yd == 1:  # 1/3: expand to 6
            return self.treat((doses, d, ceiling))
        if d + 1 < ceiling:  # 0/3 or <= 1/6: escalate
            return self.treat((doses, d + 1, ceiling))
        if nd >= 6:  # top or next dose too toxic: MTD once 6 treated
            return self.finish(d)
        return self.treat((doses, d, ceiling))


def compute_3plus3_oc(
    p_true: Sequence[float], *, start: int = 0, labels: Sequence[str] | None = None
) -> DoseFindingOC:
    """Exact operating characteristics of the 3+3 design with de-escalation.

    Rules at the current dose d (cohorts of 3; "ceiling" = lowest dose found too toxic):

    - 2 or more DLTs: d is too toxic, move to d - 1 (none below: no MTD), which is the MTD
      if it already has 6 patients, else 3 more are treated there;
    - 1/3: treat 3 more at d;
    - 0/3 or at most 1/6: escalate if d + 1 is below the ceiling, otherwise d is the MTD once
      it has 6 patients (3 more are added if it has 3).

    All outcomes are enumerated exactly.

    Parameters
    ----------
    p_true
        True DLT probability per dose, lowest first.
    start
        Index of the starting dose.
    labels
        Dose names (default ``dose 1``, ``dose 2``, …).

    Returns
    -------
    DoseFindingOC
        Probability of selecting each dose as MTD and of no MTD, mean patients and DLTs per dose.

    Raises
    ------
    DesignError
        On invalid probabilities or start index.

    Examples
    --------
    >>> from oncotrial.stats import compute_3plus3_oc
    >>> oc = compute_3plus3_oc([0.05, 0.15, 0.30, 0.45])
    >>> [round(p, 3) for p in oc.selection], round(oc.no_mtd, 3), oc.exact
    ([0.201, 0.429, 0.278, 0.064], 0.028, True)
    """
    p = _check_p_true(p_true, start)
    k = p.size
    names = _labels(k, labels)
    empty = tuple((0, 0) for _ in range(k))
    sel, pts = _ThreePlusThree(p).treat((empty, start, k))
    return DoseFindingOC(
        design="3+3", labels=names, p_true=tuple(p.tolist()), selection=tuple(sel[:k]),
        no_mtd=float(sel[k]), mean_patients=tuple(pts),
        mean_dlt=tuple((np.asarray(pts) * p).tolist()), exact=True, n_trials=None,
    )
