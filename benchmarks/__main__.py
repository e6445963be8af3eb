"""Run every benchmark in turn (``make bench``): ``python -m benchmarks [--only NAME ...]``.

Each benchmark runs in its own process with its default settings and writes its figures to
``benchmarks/results/``. The store load benchmark runs on SQLite, and on PostgreSQL too when
``ONCOTRIAL_BENCH_PG_ADMIN_URL`` names a superuser URL; the web load benchmark runs only then.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

# (name, module, extra arguments); the order puts the quick ones first.
BENCHMARKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cli", "benchmarks.cli_startup", ()),
    ("simon", "benchmarks.stats_simon", ()),
    ("km", "benchmarks.stats_km", ()),
    ("logrank", "benchmarks.stats_logrank", ()),
    ("cox", "benchmarks.stats_cox", ()),
    ("cli-km", "benchmarks.cli_km", ()),
    ("binomial", "benchmarks.stats_binomial", ()),
    ("stats-report", "benchmarks.stats_report", ()),
    ("nanostring", "benchmarks.nanostring_benchmark", ()),
    ("adam", "benchmarks.adam_benchmark", ()),
    ("sim", "benchmarks.sim_benchmark", ()),
    ("report", "benchmarks.report_benchmark", ()),
    ("store", "benchmarks.store_load", ("--admin-url",)),
    ("web", "benchmarks.web_benchmark", ()),
    ("web-load", "benchmarks.web_load", ("--postgresql-only",)),
)


def main() -> None:
    """Run the selected benchmarks; exit non-zero if one of them failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=[b[0] for b in BENCHMARKS], default=None)
    args = parser.parse_args()
    failed: list[str] = []
    for name, module, extra in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        arguments = list(extra)
        url = os.environ.get("ONCOTRIAL_BENCH_PG_ADMIN_URL")
        if extra == ("--postgresql-only",):
            if not url:
                print(
                    f"[{name}] left out: it runs on PostgreSQL only; set "
                    "ONCOTRIAL_BENCH_PG_ADMIN_URL to a PostgreSQL superuser URL",
                    flush=True,
                )
                continue
            arguments = ["--admin-url", url]
        elif extra == ("--admin-url",):
            if url:
                arguments += [url, "--backend", "both"]
            else:
                print(
                    f"[{name}] PostgreSQL left out: set ONCOTRIAL_BENCH_PG_ADMIN_URL to a "
                    "PostgreSQL superuser URL to run it too",
                    flush=True,
                )
                arguments = ["--backend", "sqlite"]
        print(f"[{name}] python -m {module} {' '.join(arguments)}", flush=True)
        began = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *arguments])
        print(f"[{name}] exit {code} after {time.perf_counter() - began:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        sys.exit(f"benchmarks that failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
