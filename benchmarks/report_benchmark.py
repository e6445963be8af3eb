"""Time the clinical study report: ADaM in, HTML + PDF + CSV tables out.

Goals (issue: clinical study report): the default 30-patient trial renders in under 30 s and a
1,000-patient trial in under 2 minutes on this 2-core machine. There is no peer tool that
renders the same report; the figure of merit is the wall time, split into building the
content (tables, statistics, figures) and writing each format.

Command::

    .venv/bin/python -m benchmarks.report_benchmark [--adam DIR ...] [--sizes 30 1000]

With ``--adam`` the ADaM folders given (e.g. ``out/demo/adam`` from ``make demo``) are timed;
otherwise synthetic trials of the given sizes are built from a seeded generator.
Results go to ``benchmarks/results/report.md``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from tests.report.synthetic import build_adam

from oncotrial.report import read_adam, render_report

RESULTS = Path(__file__).resolve().parent / "results" / "report.md"


def _time(adam: dict[str, pd.DataFrame], label: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        render_report(adam, out / "html", formats=("html",))
        html = time.perf_counter() - started
        started = time.perf_counter()
        render_report(adam, out / "both", formats=("html", "pdf"))
        both = time.perf_counter() - started
        size = (out / "both" / "report.pdf").stat().st_size / 1e6
    subjects = len(adam["ADSL"])
    return {"trial": label, "subjects": str(subjects), "HTML only (s)": f"{html:.2f}",
            "HTML + PDF + CSV (s)": f"{both:.2f}", "PDF size (MB)": f"{size:.2f}"}


def _markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adam", type=Path, nargs="*", default=[])
    parser.add_argument("--sizes", type=int, nargs="*", default=[30, 1000])
    args = parser.parse_args()
    rows = [_time(read_adam(path), str(path)) for path in args.adam]
    rows += [_time(build_adam(n, seed=7), "synthetic, seed 7") for n in args.sizes]
    table = pd.DataFrame(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Report rendering\n\n"
        "Command: `.venv/bin/python -m benchmarks.report_benchmark "
        + " ".join(f"--adam {p}" for p in args.adam)
        + f" --sizes {' '.join(map(str, args.sizes))}`\n\n"
        + _markdown(table) + "\n",
        encoding="utf-8",
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
