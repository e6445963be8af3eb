"""Benchmark: Cox PH, 3 covariates, n = 1e5 (and 1e6), against lifelines and the sort floor.

Data as performance_anchors.md §3: x1 ~ N(0, 1), x2 ~ Bernoulli(0.4), x3 ~ U(-1, 1),
beta = (0.5, -0.3, 0.2), exponential event times (median 12 months at x = 0) and independent
exponential censoring at 3/7 of that rate (about 70% events), continuous times. Each
repetition times, on the same data: ``np.sort(t)`` (floor), ``estimate_cox_ph_arrays`` (Efron,
timefix, SEs, LR/Wald/score tests, concordance) and lifelines ``CoxPHFitter().fit`` (Efron,
its default). R coxph is not installed here; its figure (0.58 s, Efron, same data design,
this machine) is quoted from performance_anchors.md §3.

Run:  .venv/bin/python -m benchmarks.stats_cox [--sizes 1e5 1e6] [--lifelines-max 1e5]
Writes benchmarks/results/stats_cox.json.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from benchmarks.stats_timing import environment, summary, time_call, write_json
from oncotrial.stats.cox import estimate_cox_ph_arrays

R_COXPH_EFRON_1E5_S = 0.58  # performance_anchors.md §3, R coxph (Efron), median of 10
REPEATS = {100_000: 5, 1_000_000: 3}


def make_data(n: int, seed: int = 20180601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, events and the (n, 3) covariate matrix."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.random(n) < 0.4, rng.uniform(-1, 1, n)])
    scale = 12.0 / np.log(2.0)
    event_t = rng.exponential(scale * np.exp(-(x @ np.array([0.5, -0.3, 0.2]))))
    censor_t = rng.exponential(scale / (3.0 / 7.0), n)
    return np.minimum(event_t, censor_t), (event_t <= censor_t).astype(np.int32), x


def main() -> None:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6])
    parser.add_argument("--lifelines-max", type=float, default=1e5,
                        help="largest n at which lifelines is timed (about 10 s at 1e5)")
    args = parser.parse_args()
    import pandas as pd
    from lifelines import CoxPHFitter

    warnings.simplefilter("ignore")
    rows = []
    for size in args.sizes:
        n = int(size)
        t, e, x = make_data(n)
        frame = pd.DataFrame({"t": t, "e": e, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
        run_lifelines = n <= args.lifelines_max
        sort_t: list[float] = []
        ours_t: list[float] = []
        life_t: list[float] = []
        for rep in range(REPEATS.get(n, 3)):
            sort_t += time_call(lambda t=t: np.sort(t), 1)
            ours_t += time_call(lambda t=t, e=e, x=x: estimate_cox_ph_arrays(t, e, x), 1)
            if run_lifelines and rep < 3:
                life_t += time_call(lambda f=frame: CoxPHFitter().fit(f, "t", "e"), 1)
        ours = estimate_cox_ph_arrays(t, e, x)
        row: dict[str, object] = {
            "n": n, "events": ours.events, "sort": summary(sort_t),
            "oncotrial": summary(ours_t), "lifelines": summary(life_t) if life_t else None,
            "coef": ours.coef.tolist(), "iterations": ours.iterations,
            "r_coxph_quoted_s": R_COXPH_EFRON_1E5_S if n == 100_000 else None,
        }
        if run_lifelines:
            fit = CoxPHFitter().fit(frame, "t", "e")
            row["max_abs_coef_diff_vs_lifelines"] = float(
                np.max(np.abs(ours.coef - fit.params_.to_numpy())))
            row["max_abs_se_diff_vs_lifelines"] = float(
                np.max(np.abs(ours.std_err - fit.standard_errors_.to_numpy())))
            row["concordance_diff_vs_lifelines"] = abs(ours.concordance - fit.concordance_index_)
        rows.append(row)
        print(row, flush=True)
    path = write_json("stats_cox", {"environment": environment(), "rows": rows,
                                    "command": ".venv/bin/python -m benchmarks.stats_cox"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
