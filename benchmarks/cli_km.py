"""Benchmark: `oncotrial survival km` on a 1e6-row CSV, whole process, vs a floor and lifelines.

Three processes per repetition on the same file (id, time, status, arm; continuous times as
in stats_km, two arms):

- floor: ``python -c`` that imports pandas, reads the time and status columns with
  ``pandas.read_csv`` and sorts the times (no estimate at all);
- oncotrial: ``python -m oncotrial survival km FILE --time time --event status --group arm``
  (summary: n, events, median with CI, landmarks, log-rank);
- lifelines: a ``python -c`` that reads the same columns with pandas, fits
  ``KaplanMeierFitter`` per arm and prints the medians with their CIs, and runs
  ``logrank_test``.

Run:  .venv/bin/python -m benchmarks.cli_km [--rows 1e6]
Writes benchmarks/results/cli_km.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.stats_km import make_data
from benchmarks.stats_timing import environment, summary, write_json

FLOOR = ("import sys, numpy as np, pandas as pd; "
         "d = pd.read_csv(sys.argv[1], usecols=['time', 'status']); np.sort(d['time'].to_numpy())")
PEER = (
    "import sys, pandas as pd\n"
    "from lifelines import KaplanMeierFitter\n"
    "from lifelines.statistics import logrank_test\n"
    "from lifelines.utils import median_survival_times\n"
    "d = pd.read_csv(sys.argv[1], usecols=['time', 'status', 'arm'])\n"
    "for arm, part in d.groupby('arm'):\n"
    "    f = KaplanMeierFitter().fit(part['time'], part['status'])\n"
    "    print(arm, len(part), f.median_survival_time_,\n"
    "          median_survival_times(f.confidence_interval_).to_numpy())\n"
    "a = d['arm'] == 'A'\n"
    "print(logrank_test(d['time'][a], d['time'][~a], d['status'][a], d['status'][~a]).p_value)\n"
)


def _run(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    """Write the CSV, time the three processes interleaved, write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = int(args.rows)
    t, e = make_data(n)
    arm = np.where(np.random.default_rng(7).random(n) < 0.5, "A", "B")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "km.csv"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("id,time,status,arm\n")
            handle.writelines(f"{i},{ti:.4f},{ei},{ai}\n"
                              for i, (ti, ei, ai) in enumerate(zip(t, e, arm, strict=True)))
        size_mb = path.stat().st_size / 1e6
        ours_cmd = [sys.executable, "-m", "oncotrial", "survival", "km", str(path), "--time",
                    "time", "--event", "status", "--group", "arm"]
        floor_t: list[float] = []
        ours_t: list[float] = []
        peer_t: list[float] = []
        for _ in range(args.repeats):
            floor_t.append(_run([sys.executable, "-c", FLOOR, str(path)]))
            ours_t.append(_run(ours_cmd))
            peer_t.append(_run([sys.executable, "-c", PEER, str(path)]))
        table = Path(folder) / "curve.csv"
        table_s = _run([*ours_cmd, "--table", str(table)])
    row = {"rows": n, "csv_mb": round(size_mb, 1), "floor_read_and_sort": summary(floor_t),
           "oncotrial_summary": summary(ours_t), "lifelines": summary(peer_t),
           "oncotrial_with_table_s": table_s}
    print(row)
    path_out = write_json("cli_km", {"environment": environment(), "rows": [row],
                                     "command": ".venv/bin/python -m benchmarks.cli_km"})
    print(f"wrote {path_out}")


if __name__ == "__main__":
    main()
