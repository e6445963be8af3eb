"""Simon two-stage designs: search, exact operating characteristics, interim and inference.

Sources
-------
- Simon R (1989) Optimal two-stage designs for phase II clinical trials. Control Clin Trials
  10:1-10 (definition; optimal = min EN under p0, minimax = min n then min EN).
- Jung SH, Lee T, Kim K, George SL (2004) Admissible two-stage designs for phase II cancer
  clinical trials. Stat Med 23:561-569 (admissible designs: lower convex hull of
  (n, min EN0(n)) between minimax and optimal).
- Koyama T, Chen H (2008) Proper inference from Simon's two-stage designs. Stat Med
  27:3145-3154 (stage-wise ordering p-value and confidence interval).
- Jung SH, Kim KM (2004) On the estimation of the binomial probability in multistage clinical
  trials. Stat Med 23:881-896 (UMVUE).
- clinfun 1.1.5 ``ph2simon``/``twostage.admissible``/``twostage.inference`` (same algorithm
  family; its nmax truncation and ``oc.twostage.bdry`` r == r1 defects are not reproduced).

Unlike clinfun, the search bound is not a silent limit: it grows until a proven lower bound on
EN0 for all larger designs is no smaller than the best EN0 found, or the result says it could
not prove it (``optimum_proven=False``, with a :class:`StatisticalWarning`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize, special, stats

from oncotrial.errors import DesignError, StatisticalWarning
from oncotrial.stats._simon_exact import simon_reject_probability
from oncotrial.stats._simon_search import (
    BestByN,
    build_tables,
    en0_lower_bound,
    search_range,
)
from oncotrial.stats.binomial import estimate_binomial_ci
from oncotrial.stats.results import (
    SimonDesign,
    SimonInference,
    SimonInterimDecision,
    SimonOperatingCharacteristics,
    SimonSearch,
    SingleStageDesign,
)

__all__ = [
    "HARD_NMAX",
    "compute_simon_oc",
    "decide_simon_interim",
    "design_simon_two_stage",
    "design_single_stage",
    "estimate_simon_inference",
]

HARD_NMAX = 1000  # as clinfun's hard cap; beyond this the answer says the optimum is unproven
_GROWTH = 1.5


def _validate_setting(p0: float, p1: float, alpha: float, beta: float) -> None:
    if not 0.0 < p0 < p1 < 1.0:
        raise DesignError(f"p0={p0!r}, p1={p1!r}: need 0 < p0 < p1 < 1")
    if not 0.0 < alpha < 1.0:
        raise DesignError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    if not 0.0 < beta < 1.0:
        raise DesignError(f"beta={beta!r} must lie strictly between 0 and 1")


def _validate_design(r1: int, n1: int, r: int, n: int) -> None:
    if not (1 <= n1 < n and 0 <= r1 < n1 and r1 <= r < n):
        raise DesignError(
            f"design r1={r1}, n1={n1}, r={r}, n={n} is invalid "
            "(allowed: 1 <= n1 < n, 0 <= r1 < n1, r1 <= r < n)"
        )


def compute_simon_oc(
    r1: int, n1: int, r: int, n: int, *, p: float
) -> SimonOperatingCharacteristics:
    """Exact rejection probability, PET and expected size of a two-stage design at rate *p*.

    ``P(reject) = sum_{x = r1+1}^{n1} b(x; n1, p) P(X2 > r - x)``, X2 ~ Bin(n - n1, p)
    (Simon 1989); correct also when ``r == r1`` (where clinfun's ``oc.twostage.bdry`` adds a
    spurious term).

    Parameters
    ----------
    r1, n1
        Stage 1: stop for futility if at most *r1* of the first *n1* patients respond.
    r, n
        The treatment is promising if more than *r* of all *n* patients respond.
    p
        True response rate at which to evaluate the design.

    Returns
    -------
    SimonOperatingCharacteristics
        Probability of declaring the treatment promising (``reject``), probability of early
        termination (``pet``) and expected sample size (``en``) at *p*.

    Raises
    ------
    DesignError
        On an invalid design or ``p`` outside [0, 1].

    Examples
    --------
    The optimal design 1/10, 5/29 at p0 = 0.10 and p1 = 0.30 (Simon 1989: alpha ≤ 0.05,
    power ≥ 0.80):

    >>> from oncotrial.stats import compute_simon_oc
    >>> oc = compute_simon_oc(1, 10, 5, 29, p=0.10)
    >>> round(oc.reject, 4), round(oc.pet, 4), round(oc.en, 2)
    (0.0471, 0.7361, 15.01)
    >>> round(compute_simon_oc(1, 10, 5, 29, p=0.30).reject, 4)
    0.8051
    """
    _validate_design(r1, n1, r, n)
    if not 0.0 <= p <= 1.0:
        raise DesignError(f"p={p!r} must lie in [0, 1]")
    reject = simon_reject_probability(r1, n1, r, n, p=p)
    pet = float(stats.binom.cdf(r1, n1, p))
    return SimonOperatingCharacteristics(p=p, reject=reject, pet=pet, en=n1 + (1 - pet) * (n - n1))


def design_single_stage(
    p0: float, p1: float, *, alpha: float, beta: float, nmax: int = HARD_NMAX
) -> SingleStageDesign:
    """The smallest exact single-stage design (promising if more than r of n respond).

    Exact power is not monotone in n (the sawtooth; A'Hern 2001), so a larger n can fail again;
    this returns the smallest feasible n, with r the largest cut keeping power >= 1 - beta.

    Parameters
    ----------
    p0, p1
        Uninteresting and target response rates, ``0 < p0 < p1 < 1``.
    alpha, beta
        Maximum type I error and type II error.
    nmax
        Largest n searched.

    Returns
    -------
    SingleStageDesign
        ``r`` and ``n`` with the attained alpha and power.

    Raises
    ------
    DesignError
        On invalid parameters or if no n <= nmax is feasible.

    Examples
    --------
    The smallest exact design for p0 = 0.05 against p1 = 0.20: promising if more than 3 of 27
    respond.

    >>> from oncotrial.stats import design_single_stage
    >>> d = design_single_stage(0.05, 0.20, alpha=0.05, beta=0.20)
    >>> d.r, d.n, round(d.alpha, 4), round(d.power, 4)
    (3, 27, 0.0437, 0.8177)
    """
    _validate_setting(p0, p1, alpha, beta)
    ns = np.arange(1, nmax + 1)
    for start in range(0, nmax, 100):
        block = ns[start : start + 100]
        r = np.arange(0, int(block[-1]) + 1)
        a = stats.binom.sf(r[None, :], block[:, None], p0)
        pw = stats.binom.sf(r[None, :], block[:, None], p1)
        ok = (a <= alpha) & (pw >= 1.0 - beta) & (r[None, :] < block[:, None])
        rows = np.flatnonzero(ok.any(axis=1))
        if rows.size:
            i = int(rows[0])
            rr = int(np.flatnonzero(ok[i])[-1])
            n = int(block[i])
            return SingleStageDesign(
                r=rr, n=n, p0=p0, p1=p1, alpha=float(stats.binom.sf(rr, n, p0)),
                power=float(stats.binom.sf(rr, n, p1)),
            )
    raise DesignError(f"no single-stage design with n <= {nmax} meets alpha={alpha}, beta={beta}")


def _make_design(
    kind: str, cuts: tuple[int, int, int, int], *, p0: float, p1: float, q: tuple[float, float]
) -> SimonDesign:
    r1, n1, r, n = cuts
    oc0 = compute_simon_oc(r1, n1, r, n, p=p0)
    oc1 = compute_simon_oc(r1, n1, r, n, p=p1)
    return SimonDesign(
        kind=kind, r1=r1, n1=n1, r=r, n=n, p0=p0, p1=p1, alpha=oc0.reject, power=oc1.reject,
        pet0=oc0.pet, pet1=oc1.pet, en0=oc0.en, en1=oc1.en, q_lower=q[0], q_upper=q[1],
    )


def _hull(ns: list[int], ens: list[float]) -> list[tuple[int, float, float]]:
    """Walk the lower convex hull from the minimax point to the optimal point.

    Returns (index, q_lower, q_upper) for each vertex: the design minimises
    q n + (1 - q) EN0 for q in [q_lower, q_upper] (Jung et al. 2004).
    """
    out: list[tuple[int, float, float]] = []
    i, q_hi = 0, 1.0
    last = len(ns) - 1
    while i < last:
        slopes = [(ens[j] - ens[i]) / (ns[j] - ns[i]) for j in range(i + 1, last + 1)]
        k = int(np.argmin(slopes))
        s = slopes[k]
        q_cut = -s / (1.0 - s)
        out.append((i, q_cut, q_hi))
        i, q_hi = i + 1 + k, q_cut
    out.append((last, 0.0, q_hi))
    return out


def _initial_nmax(p0: float, p1: float, alpha: float, beta: float, cap: int) -> int:
    try:
        single = design_single_stage(p0, p1, alpha=alpha, beta=beta, nmax=min(cap, HARD_NMAX))
        guess = math.ceil(1.5 * single.n) + 5
    except DesignError:
        guess = cap
    return max(10, min(guess, cap))


def design_simon_two_stage(
    p0: float, p1: float, *, alpha: float, beta: float, nmax: int | None = None
) -> SimonSearch:
    """Minimax, admissible and optimal Simon two-stage designs, searched exactly.

    Parameters
    ----------
    p0, p1
        Uninteresting and target response rates, ``0 < p0 < p1 < 1``.
    alpha, beta
        Maximum type I error and type II error (power ``1 - beta``).
    nmax
        Largest total size that may be searched. The search starts near 1.5 times the exact
        single-stage n and grows (up to *nmax*, or :data:`HARD_NMAX` when ``None``) until the
        optimal design is provably inside the bound; it never stops silently short of that.

    Returns
    -------
    SimonSearch
        ``optimum_proven`` tells whether the optimal design is proven optimal over all n.

    Raises
    ------
    DesignError
        On invalid parameters or if no feasible design exists with n <= the bound.

    Warns
    -----
    StatisticalWarning
        If the optimum could not be proven within the bound.

    Examples
    --------
    p0 = 0.10, p1 = 0.30, alpha = 0.05, beta = 0.20: Simon (1989) Table 1 lists the optimal
    design 1/10, 5/29 (EN0 15.0, PET0 0.74) and the minimax design 1/15, 5/25 (EN0 19.5).

    >>> from oncotrial.stats import design_simon_two_stage
    >>> search = design_simon_two_stage(0.10, 0.30, alpha=0.05, beta=0.20)
    >>> d = search.optimal
    >>> (d.r1, d.n1, d.r, d.n), round(d.en0, 1), round(d.pet0, 2)
    ((1, 10, 5, 29), 15.0, 0.74)
    >>> m = search.minimax
    >>> (m.r1, m.n1, m.r, m.n), round(m.en0, 1)
    ((1, 15, 5, 25), 19.5)
    >>> search.optimum_proven
    True
    """
    _validate_setting(p0, p1, alpha, beta)
    cap = HARD_NMAX if nmax is None else int(nmax)
    if cap < 2:
        raise DesignError(f"nmax={nmax!r} must be at least 2")
    bound_n = _initial_nmax(p0, p1, alpha, beta, cap)
    best = BestByN.empty(bound_n)
    searched = 1
    while True:
        tab0, tab1 = build_tables(bound_n, p0), build_tables(bound_n, p1)
        best = best.grown(bound_n)
        search_range(best, searched + 1, bound_n, tab0, tab1, alpha=alpha, beta=beta)
        searched = bound_n
        en_best = float(best.en0.min())
        lower = en0_lower_bound(searched + 1, tab0, tab1, beta=beta, en0_best=en_best)
        proven = bool(np.isfinite(en_best)) and lower >= en_best
        if proven or searched >= cap:
            break
        bound_n = min(cap, math.ceil(_GROWTH * searched))
    if not np.isfinite(en_best):
        raise DesignError(
            f"no two-stage design with n <= {searched} meets alpha={alpha}, beta={beta} "
            f"for p0={p0}, p1={p1}"
        )
    if not proven:
        warnings.warn(
            f"the optimal design could not be proven within n <= {searched}: designs with a "
            f"larger n may have EN0 as low as {lower:.4f} (< {en_best:.4f}); raise nmax",
            StatisticalWarning, stacklevel=2,
        )
    return _assemble(
        best, (p0, p1, alpha, beta), searched=searched, proven=proven, lower=lower
    )


def _assemble(
    best: BestByN, setting: tuple[float, float, float, float], *, searched: int,
    proven: bool, lower: float,
) -> SimonSearch:
    p0, p1, alpha, beta = setting
    feasible_n = np.flatnonzero(np.isfinite(best.en0))
    n_minimax = int(feasible_n[0])
    n_optimal = int(np.argmin(best.en0))  # first minimum: the smallest n among equal EN0
    ns = [n for n in feasible_n.tolist() if n_minimax <= n <= n_optimal]
    ens = [float(best.en0[n]) for n in ns]
    hull = _hull(ns, ens)

    def design(kind: str, n: int, q: tuple[float, float]) -> SimonDesign:
        cuts = (int(best.r1[n]), int(best.n1[n]), int(best.r[n]), n)
        return _make_design(kind, cuts, p0=p0, p1=p1, q=q)

    minimax = design("minimax", n_minimax, (hull[0][1], hull[0][2]))
    optimal = design("optimal", n_optimal, (hull[-1][1], hull[-1][2]))
    admissible = tuple(design("admissible", ns[i], (lo, hi)) for i, lo, hi in hull[1:-1])
    return SimonSearch(
        p0=p0, p1=p1, alpha=alpha, beta=beta, minimax=minimax, optimal=optimal,
        admissible=admissible, designs=(minimax, *admissible, optimal),
        nmax_searched=searched, optimum_proven=proven, en0_bound=lower,
        en0_by_n=tuple((int(n), float(best.en0[n])) for n in feasible_n.tolist()
                       if best.en0[n] < float(np.min(best.en0[:n], initial=np.inf))),
    )


def decide_simon_interim(
    design: SimonDesign, *, responses: int, p: float | None = None
) -> SimonInterimDecision:
    """Stage-1 decision: stop for futility if responses <= r1, else continue.

    The conditional power is ``P(X2 > r - x1)`` with X2 ~ Bin(n - n1, p), at ``p = p1`` unless
    another *p* is given; the conditional type I error uses p0.

    Parameters
    ----------
    design
        The trial's Simon design.
    responses
        Responders among the first ``design.n1`` evaluable patients.
    p
        Response rate for the conditional power (default ``design.p1``).

    Returns
    -------
    SimonInterimDecision
        ``stop`` or ``continue`` with the rule name, the reason, the responses still needed in
        stage 2 and the conditional power and type I error.

    Raises
    ------
    DesignError
        If *responses* is outside [0, n1] or *p* outside [0, 1].

    Examples
    --------
    >>> from oncotrial.stats import decide_simon_interim, design_simon_two_stage
    >>> design = design_simon_two_stage(0.10, 0.30, alpha=0.05, beta=0.20).optimal
    >>> decide_simon_interim(design, responses=1).decision
    'stop'
    >>> go = decide_simon_interim(design, responses=2)
    >>> go.decision, go.needed_in_stage2, round(go.conditional_power, 3)
    ('continue', 4, 0.867)
    """
    if not 0 <= responses <= design.n1:
        raise DesignError(f"responses={responses!r} must lie in [0, n1={design.n1}]")
    p_alt = design.p1 if p is None else p
    if not 0.0 <= p_alt <= 1.0:
        raise DesignError(f"p={p!r} must lie in [0, 1]")
    n2 = design.n - design.n1
    needed = design.r + 1 - responses
    stop = responses <= design.r1
    cond_power = 0.0 if stop else float(stats.binom.sf(needed - 1, n2, p_alt))
    cond_alpha = 0.0 if stop else float(stats.binom.sf(needed - 1, n2, design.p0))
    if stop:
        rule = "simon_stage1_futility"
        reason = (f"{responses} responses in the first {design.n1} patients <= r1={design.r1}: "
                  "stop for futility (Simon 1989)")
    else:
        rule = "simon_stage1_continue"
        reason = (f"{responses} responses in the first {design.n1} patients > r1={design.r1}: "
                  f"enrol {n2} more; at least {max(needed, 0)} more responses are needed")
    return SimonInterimDecision(
        decision="stop" if stop else "continue", rule=rule, reason=reason,
        responses=responses, n1=design.n1, r1=design.r1, needed_in_stage2=max(needed, 0),
        conditional_power=cond_power, conditional_alpha=cond_alpha,
    )


def _tail_prob(design: SimonDesign, stage: int, count: int, p: float) -> float:
    """P(outcome at least as extreme as (stage, count)) under the stage-wise ordering."""
    n1, r1, n2 = design.n1, design.r1, design.n - design.n1
    x1 = np.arange(r1 + 1, n1 + 1)
    if stage == 1:
        return float(stats.binom.sf(count - 1, n1, p))
    return float(np.sum(stats.binom.pmf(x1, n1, p) * stats.binom.sf(count - x1 - 1, n2, p)))


def _point_prob(design: SimonDesign, stage: int, count: int, p: float) -> float:
    n1, r1, n2 = design.n1, design.r1, design.n - design.n1
    if stage == 1:
        return float(stats.binom.pmf(count, n1, p))
    x1 = np.arange(r1 + 1, n1 + 1)
    return float(np.sum(stats.binom.pmf(x1, n1, p) * stats.binom.pmf(count - x1, n2, p)))


def _umvue(design: SimonDesign, stage: int, count: int) -> float:
    n1, r1, n2 = design.n1, design.r1, design.n - design.n1
    if stage == 1:
        return count / n1
    x1 = np.arange(max(r1 + 1, count - n2), min(n1, count) + 1)
    num = special.comb(n1 - 1, x1 - 1) * special.comb(n2, count - x1)
    den = special.comb(n1, x1) * special.comb(n2, count - x1)
    return float(np.sum(num) / np.sum(den))


def estimate_simon_inference(
    design: SimonDesign, *, responses: int, stage: int, conf_level: float = 0.95
) -> SimonInference:
    """Exact p-value, confidence interval and UMVUE after a two-stage trial.

    Parameters
    ----------
    design
        The design that was run.
    responses
        Stage 1 responses if the trial stopped at stage 1 (``stage=1``), else the total
        responses over both stages (``stage=2``).
    stage
        1 (stopped for futility) or 2 (completed).
    conf_level
        Two-sided level; each tail holds ``(1 - conf_level) / 2`` (Koyama & Chen 2008).

    Returns
    -------
    SimonInference
        The exact one-sided p-value against p0, the UMVUE of the response rate, its exact
        interval under the stage-wise ordering, and the naive single-stage interval beside them.

    Raises
    ------
    DesignError
        If the outcome is impossible under the design.

    Examples
    --------
    LEADER's design 0/10, 3/29 completed with 5 responses in 29 patients:

    >>> from oncotrial.stats import design_simon_two_stage, estimate_simon_inference
    >>> design = design_simon_two_stage(0.05, 0.20, alpha=0.05, beta=0.20).optimal
    >>> (design.r1, design.n1, design.r, design.n)
    (0, 10, 3, 29)
    >>> result = estimate_simon_inference(design, responses=5, stage=2)
    >>> round(result.p_value, 4), round(result.umvue, 3)
    (0.0124, 0.191)
    >>> round(result.lower, 3), round(result.upper, 3)
    (0.06, 0.371)
    """
    n1, r1, n = design.n1, design.r1, design.n
    if stage == 1 and not 0 <= responses <= r1:
        raise DesignError(f"responses={responses!r}: a stage-1 stop needs 0..r1={r1} responses")
    if stage == 2 and not r1 + 1 <= responses <= n:
        raise DesignError(f"responses={responses!r}: a completed trial has {r1 + 1}..{n}")
    if stage not in (1, 2):
        raise DesignError(f"stage={stage!r} must be 1 or 2")
    tail = (1.0 - conf_level) / 2.0
    p_value = _tail_prob(design, stage, responses, design.p0)
    eps = 1e-12

    def upper_eq(p: float) -> float:  # P(>= obs) - tail, increasing in p
        return _tail_prob(design, stage, responses, p) - tail

    def lower_eq(p: float) -> float:  # P(<= obs) - tail, decreasing in p
        above = _tail_prob(design, stage, responses, p) - _point_prob(design, stage, responses, p)
        return 1.0 - above - tail

    is_min = stage == 1 and responses == 0
    is_max = stage == 2 and responses == n
    lower = 0.0 if is_min else float(optimize.brentq(upper_eq, eps, 1 - eps, xtol=1e-12))
    upper = 1.0 if is_max else float(optimize.brentq(lower_eq, eps, 1 - eps, xtol=1e-12))
    patients = n1 if stage == 1 else n
    return SimonInference(
        stage=stage, responses=responses, patients=patients, p0=design.p0, p_value=p_value,
        umvue=_umvue(design, stage, responses), lower=lower, upper=upper, conf_level=conf_level,
        naive=estimate_binomial_ci(responses, patients, conf_level=conf_level),
    )
