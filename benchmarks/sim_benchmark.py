"""Benchmark: virtual patients per second through the pure simulator.

Goal (issue 6): 10,000 simulated 30-patient trials (300,000 patients, no database) in < 60 s
on 2 cores.  Measures the fast path in one process and on a local Dask cluster (2 workers ×
1 thread), and the detailed path (every dose from ``decide_dose``) for whole trials.

Also times the whole demo (simulate, enter every record through the services, export SDTM,
derive ADaM) into SQLite and, with ``--pg-url``, into PostgreSQL.

Run:  .venv/bin/python -m benchmarks.sim_benchmark [--trials 10000] [--detailed 3]
          [--demo-patients 30] [--pg-url postgresql+psycopg://user@host/db]
Writes the figures to benchmarks/results/sim.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from oncotrial.protocol import load_protocol
from oncotrial.sim import (
    DEFAULT_PARAMETERS,
    Scenario,
    design_from_protocol,
    simulate_trial,
    simulate_trials_parallel,
)

RESULTS = Path(__file__).resolve().parent / "results" / "sim.md"


def _fast(trials: int, client: object | None) -> tuple[float, np.ndarray]:
    design = design_from_protocol(load_protocol())
    start = time.perf_counter()
    out = simulate_trials_parallel(Scenario("calibrated"), n_trials=trials, seed=1,
                                   design=design, params=DEFAULT_PARAMETERS, client=client)
    return time.perf_counter() - start, out.responders


def _detailed(n_trials: int) -> float:
    protocol = load_protocol()
    start = time.perf_counter()
    for seed in range(n_trials):
        simulate_trial(protocol, n_patients=30, seed=seed)
    return time.perf_counter() - start


def _demo(patients: int, db_url: str | None) -> float:
    import tempfile

    from oncotrial.services.simulation import run_demo

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_demo(Path(tmp), protocol=load_protocol(), n_patients=patients, seed=1,
                 db_url=db_url)
        return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--detailed", type=int, default=3)
    parser.add_argument("--demo-patients", type=int, default=30)
    parser.add_argument("--pg-url", default=None, help="empty PostgreSQL database URL")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    t_local, resp_local = _fast(args.trials, None)
    print(f"in-process: {t_local:.1f} s")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        t_dask, resp_dask = _fast(args.trials, client)
    print(f"dask 2 workers: {t_dask:.1f} s")
    same = bool(np.array_equal(resp_local, resp_dask))
    t_detail = _detailed(args.detailed)
    print(f"detailed: {t_detail:.1f} s")
    t_sqlite = _demo(args.demo_patients, None)
    print(f"demo SQLite: {t_sqlite:.1f} s")
    t_pg = _demo(args.demo_patients, args.pg_url) if args.pg_url else None
    patients = args.trials * 30
    load = os.getloadavg()[0]
    rows = [
        ("fast path, in-process (1 core)", t_local, patients / t_local),
        ("fast path, Dask LocalCluster 2 workers × 1 thread", t_dask, patients / t_dask),
        ("detailed path (decide_dose per visit), in-process", t_detail,
         args.detailed * 30 / t_detail),
    ]
    lines = [
        "# Simulator benchmark",
        "",
        (f"Command: `.venv/bin/python -m benchmarks.sim_benchmark --trials {args.trials} "
        f"--detailed {args.detailed}" + (f" --pg-url {args.pg_url}" if args.pg_url else "")
         + "` (PostgreSQL 15: throw-away local cluster, trust auth)"),
        (f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python "
        f"{platform.python_version()}, numpy {np.__version__}; 1-min load average at the end "
        f"{load:.1f}."),
        "",
        (f"Goal: {args.trials:,} trials × 30 patients (= {patients:,} patients) in < 60 s on "
        "2 cores, without a database."),
        "",
        "| path | trials | wall time (s) | virtual patients / s |",
        "|---|---|---|---|",
    ]
    for name, secs, rate in rows:
        n = args.detailed if name.startswith("detailed") else args.trials
        lines.append(f"| {name} | {n:,} | {secs:.1f} | {rate:,.0f} |")
    lines.append(f"| demo end to end into SQLite (services, SDTM, ADaM) | 1 | {t_sqlite:.1f} | "
                 f"{args.demo_patients / t_sqlite:,.1f} |")
    if t_pg is not None:
        lines.append(f"| demo end to end into PostgreSQL | 1 | {t_pg:.1f} | "
                     f"{args.demo_patients / t_pg:,.1f} |")
    lines += ["", f"Dask and in-process runs gave identical responders per trial: {same}.", ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
