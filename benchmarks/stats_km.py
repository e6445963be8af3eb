"""Benchmark: Kaplan-Meier at n = 1e5, 1e6, 1e7 against lifelines and a bare numpy sort.

Each repetition times, interleaved on the same data: ``np.sort(t)`` (the floor),
``oncotrial.stats.estimate_kaplan_meier`` (table, Greenwood SE, log-log CI, median with
Brookmeyer-Crowley CI, R timefix) and lifelines ``KaplanMeierFitter().fit`` (table,
exponential-Greenwood = log-log CI, median). Data as in performance_anchors.md: exponential
event times (median 12 months) and independent exponential censoring at 3/7 of the event
rate (about 30% censored), continuous times.

Run:  .venv/bin/python -m benchmarks.stats_km [--sizes 1e5 1e6 1e7] [--lifelines-max 1e7]
Writes benchmarks/results/stats_km.json.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.stats_timing import environment, summary, time_call, write_json
from oncotrial.stats import estimate_kaplan_meier

REPEATS = {100_000: 7, 1_000_000: 5, 10_000_000: 3}


def make_data(n: int, seed: int = 20180601) -> tuple[np.ndarray, np.ndarray]:
    """Continuous exponential event and censoring times."""
    rng = np.random.default_rng(seed)
    scale = 12.0 / np.log(2.0)
    event_t = rng.exponential(scale, n)
    censor_t = rng.exponential(scale / (3.0 / 7.0), n)
    return np.minimum(event_t, censor_t), (event_t <= censor_t).astype(np.int32)


def check_against_lifelines(t: np.ndarray, e: np.ndarray) -> float:
    """Max |difference| in survival and log-log limits vs lifelines (no timefix on our side)."""
    from lifelines import KaplanMeierFitter

    ours = estimate_kaplan_meier(t, e, timefix=False)
    fit = KaplanMeierFitter().fit(t, e)
    surv = fit.survival_function_.to_numpy()[1:, 0]
    ci = fit.confidence_interval_.to_numpy()[1:]
    inside = (ours.survival > 0) & (ours.survival < 1)
    return float(max(np.max(np.abs(ours.survival - surv)),
                     np.max(np.abs(ours.lower[inside] - ci[inside, 0])),
                     np.max(np.abs(ours.upper[inside] - ci[inside, 1]))))


def main() -> None:
    """Run the benchmark and write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--lifelines-max", type=float, default=1e7,
                        help="largest n at which lifelines is timed (it takes ~25 s at 1e7)")
    args = parser.parse_args()
    from lifelines import KaplanMeierFitter

    rows = []
    for size in args.sizes:
        n = int(size)
        t, e = make_data(n)
        reps = REPEATS.get(n, 3)
        run_lifelines = n <= args.lifelines_max
        sort_t: list[float] = []
        ours_t: list[float] = []
        life_t: list[float] = []
        for rep in range(reps):
            sort_t += time_call(lambda t=t: np.sort(t), 1)
            ours_t += time_call(lambda t=t, e=e: estimate_kaplan_meier(t, e), 1)
            if run_lifelines and (n < 10_000_000 or rep == 0):
                life_t += time_call(
                    lambda t=t, e=e: KaplanMeierFitter().fit(t, e).median_survival_time_, 1)
        row: dict[str, object] = {"n": n, "sort": summary(sort_t), "oncotrial": summary(ours_t),
                                  "lifelines": summary(life_t) if life_t else None}
        if n <= 1_000_000:
            row["max_abs_diff_vs_lifelines"] = check_against_lifelines(t, e)
        rows.append(row)
        print(row, flush=True)
    path = write_json("stats_km", {"environment": environment(), "rows": rows,
                                   "command": ".venv/bin/python -m benchmarks.stats_km"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
