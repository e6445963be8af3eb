"""Benchmark: log-rank test at n = 1e5, 1e6 against lifelines and a bare numpy sort.

Data as performance_anchors.md §2: two groups at random, hazard ratio 0.75, exponential
event times (median 12 months in the reference group), independent exponential censoring at
3/7 of that rate, continuous times. Also three groups and three groups within four strata
(lifelines has no stratified log-rank: no peer for that row). Each repetition times, on the
same data: ``np.sort(t)`` (the floor), ``oncotrial.stats.estimate_log_rank`` and lifelines
(``logrank_test`` for two groups, ``multivariate_logrank_test`` for three).

Run:  .venv/bin/python -m benchmarks.stats_logrank [--sizes 1e5 1e6]
Writes benchmarks/results/stats_logrank.json.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from benchmarks.stats_timing import environment, summary, time_call, write_json
from oncotrial.stats import estimate_log_rank

REPEATS = {100_000: 7, 1_000_000: 5}


def make_data(n: int, k: int, seed: int = 20180601) -> tuple[np.ndarray, ...]:
    """Times, events, groups (0..k-1, hazard ratio 0.75 per step) and 4 strata."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    scale = 12.0 / np.log(2.0) / 0.75 ** g
    event_t = rng.exponential(scale)
    censor_t = rng.exponential(12.0 / np.log(2.0) / (3.0 / 7.0), n)
    return (np.minimum(event_t, censor_t), (event_t <= censor_t).astype(np.int32), g,
            rng.integers(0, 4, n))


def main() -> None:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6])
    args = parser.parse_args()
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    warnings.simplefilter("ignore")
    rows = []
    for size in args.sizes:
        n = int(size)
        for k, stratified in ((2, False), (3, False), (3, True)):
            t, e, g, s = make_data(n, k)
            sort_t: list[float] = []
            ours_t: list[float] = []
            life_t: list[float] = []

            def ours(t=t, e=e, g=g, s=s, stratified=stratified) -> object:
                return estimate_log_rank(t, e, g, strata=s if stratified else None)

            def peer(t=t, e=e, g=g, k=k) -> object:
                if k == 2:
                    a = g == 0
                    return logrank_test(t[a], t[~a], e[a], e[~a]).test_statistic
                return multivariate_logrank_test(t, g, e).test_statistic

            for _ in range(REPEATS.get(n, 3)):
                sort_t += time_call(lambda t=t: np.sort(t), 1)
                ours_t += time_call(ours, 1)
                if not stratified:
                    life_t += time_call(peer, 1)
            row: dict[str, object] = {
                "n": n, "groups": k, "strata": 4 if stratified else 1,
                "sort": summary(sort_t), "oncotrial": summary(ours_t),
                "lifelines": summary(life_t) if life_t else None,
                "chisq": ours().chisq,  # type: ignore[attr-defined]
            }
            if not stratified:
                row["chisq_rel_diff_vs_lifelines"] = abs(
                    ours().chisq / float(peer()) - 1.0)  # type: ignore[attr-defined]
            rows.append(row)
            print(row, flush=True)
    path = write_json("stats_logrank", {"environment": environment(), "rows": rows,
                                        "command": ".venv/bin/python -m benchmarks.stats_logrank"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
