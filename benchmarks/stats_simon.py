"""Benchmark: Simon two-stage search against a straightforward exact search.

Settings (issues 4 and 18): p0/p1 = 0.05/0.25, 0.20/0.40 and 0.30/0.45, alpha 0.05, beta 0.20.
Timed: oncotrial's search (grows its bound until the optimum is proven), the same search
kernel forced to scan every design with n <= 100 (as clinfun's nmax = 100), and the peer: a
straightforward exact search vectorised per (n, n1) over (r1, r) with precomputed binomial
tables (the "numpy" row of design_stats.md §1.9). The first call in the process (scipy
warm-up, table building) is reported separately from the warm median. Both searches must
return the same minimax and optimal designs.

Run:  .venv/bin/python -m benchmarks.stats_simon [--peer-repeat 3]
Writes benchmarks/results/stats_simon.json.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from scipy import stats

from benchmarks.stats_timing import environment, summary, time_call, write_json
from oncotrial.stats import design_simon_two_stage
from oncotrial.stats._simon_search import BestByN, build_tables, search_range

SETTINGS = [(0.05, 0.25, 0.05, 0.20), (0.20, 0.40, 0.05, 0.20), (0.30, 0.45, 0.05, 0.20)]
# clinfun 1.1.5 ph2simon (Fortran via R), nmax = 100, measured on this machine: design_stats.md
# section 1.9 (14 ms for the first two settings) and issue 18 (20.5 ms for 0.30/0.45); R is not
# installed here now, so these are quoted, not re-timed.
CLINFUN_S = {(0.05, 0.25): 0.014, (0.20, 0.40): 0.014, (0.30, 0.45): 0.0205}


def straightforward_search(
    p0: float, p1: float, alpha: float, beta: float, nmax: int = 100
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Exhaustive exact search, one numpy evaluation per (n, n1) over all (r1, r).

    Returns (minimax, optimal) as (r1, n1, r, n); ties as clinfun (smallest EN0, first found).
    """
    m = np.arange(nmax + 1)
    x = np.arange(nmax + 1)
    pmf = {p: stats.binom.pmf(x[None, :], m[:, None], p) for p in (p0, p1)}
    tail = {p: stats.binom.sf(np.arange(-nmax - 1, nmax + 1)[None, :], m[:, None], p)
            for p in (p0, p1)}
    best: dict[int, tuple[float, tuple[int, int, int, int]]] = {}
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            n2 = n - n1
            r1 = np.arange(n1)[:, None]
            r = np.arange(n)[None, :]
            xs = np.arange(n1 + 1)
            rej = {}
            for p in (p0, p1):
                # contribution of stage-1 count x at final cut r: b(x) P(X2 > r - x)
                contrib = pmf[p][n1, xs][:, None] * tail[p][n2, (r - xs[:, None]) + nmax + 1]
                upper = np.cumsum(contrib[::-1], axis=0)[::-1]  # sum over x >= index
                rej[p] = upper[r1[:, 0] + 1]
            ok = (rej[p0] <= alpha) & (rej[p1] >= 1 - beta) & (r >= r1)
            if not ok.any():
                continue
            pet0 = np.cumsum(pmf[p0][n1, : n1 + 1])[:n1]
            en0 = n1 + (1 - pet0) * n2
            rows = np.flatnonzero(ok.any(axis=1))
            i = rows[np.argmin(en0[rows])]
            rr = int(np.flatnonzero(ok[i])[-1])
            if n not in best or en0[i] < best[n][0]:
                best[n] = (float(en0[i]), (int(i), n1, rr, n))
    minimax = best[min(best)][1]
    optimal = min(best.values(), key=lambda v: (v[0], v[1][3]))[1]
    return minimax, optimal


def exhaustive_kernel(p0: float, p1: float, alpha: float, beta: float, nmax: int = 100) -> int:
    """oncotrial's search kernel over every design with n <= nmax (no proof-based stopping)."""
    best = BestByN.empty(nmax)
    search_range(best, 2, nmax, build_tables(nmax, p0), build_tables(nmax, p1),
                 alpha=alpha, beta=beta)
    return int(np.argmin(best.en0))


def _key(design: object) -> tuple[int, int, int, int]:
    return (design.r1, design.n1, design.r, design.n)  # type: ignore[attr-defined]


def main() -> None:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--peer-repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for setting in SETTINGS:
        p0, p1, alpha, beta = setting
        start = time.perf_counter()
        first = design_simon_two_stage(p0, p1, alpha=alpha, beta=beta)
        first_call = time.perf_counter() - start
        auto = time_call(partial(design_simon_two_stage, p0, p1, alpha=alpha, beta=beta),
                         args.repeat)
        full_t = time_call(partial(exhaustive_kernel, p0, p1, alpha, beta), args.repeat)
        peer_result = straightforward_search(p0, p1, alpha, beta)
        peer_t = time_call(partial(straightforward_search, p0, p1, alpha, beta),
                           args.peer_repeat)
        same = (peer_result == (_key(first.minimax), _key(first.optimal))
                and exhaustive_kernel(p0, p1, alpha, beta) == first.optimal.n)
        row = {"setting": {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta},
               "minimax": _key(first.minimax), "optimal": _key(first.optimal),
               "oncotrial_first_call_s": first_call,
               "oncotrial_auto": summary(auto), "auto_bound_n": first.nmax_searched,
               "optimum_proven": first.optimum_proven,
               "oncotrial_kernel_all_n_le_100": summary(full_t),
               "peer_numpy_per_n_n1": summary(peer_t),
               "same_designs": same, "clinfun_quoted_s": CLINFUN_S[(p0, p1)]}
        rows.append(row)
        print(row, flush=True)
    path = write_json("stats_simon", {"environment": environment(), "rows": rows,
                                      "command": ".venv/bin/python -m benchmarks.stats_simon"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
