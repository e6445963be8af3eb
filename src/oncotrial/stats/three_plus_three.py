"""The 3+3 design with de-escalation and its exact operating characteristics.

Storer BE (1989) Biometrics 45:925-937; Lin Y, Shih WJ (2001) Biostatistics 2:203-215 (exact OC
by enumeration; variant with de-escalation: the MTD needs >= 6 patients with <= 1 DLT, adding
3 at the lower dose when it has only 3). Doses are indexed 0..K-1 in order of increasing
toxicity; a trial may start at any index (LEADER starts at the top regimen).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oncotrial.stats._dose_common import (
    DoseFindingOC,
    FloatArray,
    binomial_pmf,
    check_p_true,
    dose_labels,
)

__all__ = ["compute_3plus3_oc"]

State = tuple[tuple[tuple[int, int], ...], int, int]  # per-dose (n, y), current dose, ceiling
Outcome = tuple[tuple[float, ...], tuple[float, ...]]  # selection (no-MTD last), patients




class _ThreePlusThree:
    """Exact enumeration of the 3+3 rules (DLT counts capped at 2: enough to decide)."""

    def __init__(self, p: FloatArray) -> None:
        self.k = p.size
        self.pmf = [np.array([binomial_pmf(k, 3, pi) for k in range(4)]) for pi in p.tolist()]
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
    p = check_p_true(p_true, start)
    k = p.size
    names = dose_labels(k, labels)
    empty = tuple((0, 0) for _ in range(k))
    sel, pts = _ThreePlusThree(p).treat((empty, start, k))
    return DoseFindingOC(
        design="3+3", labels=names, p_true=tuple(p.tolist()), selection=tuple(sel[:k]),
        no_mtd=float(sel[k]), mean_patients=tuple(pts),
        mean_dlt=tuple((np.asarray(pts) * p).tolist()), exact=True, n_trials=None,
    )
