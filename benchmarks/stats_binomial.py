"""Benchmark: Clopper-Pearson intervals for 1e6 (x, n) pairs, vectorised.

Timed on the same pairs: ``estimate_binomial_ci_array`` (work once per distinct pair),
scipy.special.betaincinv on every pair, scipy.stats.beta.ppf on every pair, and
scipy.stats.binomtest(...).proportion_ci in a loop (200 calls, scaled to 1e6). Two data sets:
n uniform in 1..1000 (about 400k distinct pairs) and trial-sized n in 10..60.

Run:  .venv/bin/python -m benchmarks.stats_binomial
Writes benchmarks/results/stats_binomial.json.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from benchmarks.stats_timing import environment, summary, time_call, write_json
from oncotrial.stats import estimate_binomial_ci_array

PAIRS = 1_000_000
LOOP_CALLS = 200


def scipy_betaincinv(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson by direct incomplete-beta inversion on every pair."""
    with np.errstate(all="ignore"):
        lo = np.where(x == 0, 0.0, special.betaincinv(np.maximum(x, 1), n - x + 1, 0.025))
        hi = np.where(x == n, 1.0, special.betaincinv(x + 1, np.maximum(n - x, 1), 0.975))
    return lo, hi


def scipy_beta_ppf(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson through scipy.stats.beta.ppf on every pair."""
    with np.errstate(all="ignore"):
        lo = np.where(x == 0, 0.0, stats.beta.ppf(0.025, np.maximum(x, 1), n - x + 1))
        hi = np.where(x == n, 1.0, stats.beta.ppf(0.975, x + 1, np.maximum(n - x, 1)))
    return lo, hi


def main() -> None:
    """Run the benchmark and write the JSON result."""
    rng = np.random.default_rng(4)
    rows = []
    for label, n in (("n 1..1000", rng.integers(1, 1001, PAIRS)),
                     ("n 10..60", rng.integers(10, 61, PAIRS))):
        x = rng.binomial(n, rng.random(PAIRS))
        ours = estimate_binomial_ci_array(x, n)
        ref_lo, ref_hi = scipy_betaincinv(x, n)
        diff = float(max(np.max(np.abs(ours.lower - ref_lo)), np.max(np.abs(ours.upper - ref_hi))))
        loop_pairs = list(zip(x[:LOOP_CALLS].tolist(), n[:LOOP_CALLS].tolist(), strict=True))
        loop = time_call(lambda lp=loop_pairs: [
            stats.binomtest(a, b).proportion_ci(method="exact") for a, b in lp], 1)
        row = {"data": label, "pairs": PAIRS,
               "distinct_pairs": int(np.unique(x * 1001 + n).size),
               "oncotrial": summary(time_call(lambda x=x, n=n: estimate_binomial_ci_array(x, n),
                                              3)),
               "scipy_betaincinv": summary(time_call(lambda x=x, n=n: scipy_betaincinv(x, n), 3)),
               "scipy_beta_ppf": summary(time_call(lambda x=x, n=n: scipy_beta_ppf(x, n), 3)),
               "scipy_binomtest_loop_scaled_s": loop[0] * PAIRS / LOOP_CALLS,
               "max_abs_diff_vs_betaincinv": diff}
        rows.append(row)
        print(row, flush=True)
    command = ".venv/bin/python -m benchmarks.stats_binomial"
    path = write_json("stats_binomial",
                      {"environment": environment(), "rows": rows, "command": command})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
