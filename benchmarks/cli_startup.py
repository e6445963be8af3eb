"""Time whole ``oncotrial`` processes against ``python -c pass`` in the same run.

Goals (issue: a CLI that starts at once), whole process on the 2-core machine:
``oncotrial --help`` <= 0.3 s; ``oncotrial design boin``, ``oncotrial dose decide STATE.json``
and ``oncotrial ctcae grade`` of 10 rows <= 0.6 s. Also: forty dose decisions as forty
processes against one ``dose decide STATES.jsonl`` call.

Command::

    .venv/bin/python -m benchmarks.cli_startup [--repeat 15]

Each command runs once to warm the file cache, then ``--repeat`` times; the table gives the
median and the fastest wall time and the median's ratio to ``python -c pass``. The package's
sources are byte-compiled first, as ``make`` does after installing. Results go to
``benchmarks/results/cli_startup.md``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "cli_startup.md"
ONCOTRIAL = str(Path(sys.executable).with_name("oncotrial"))
GOALS = {"oncotrial --help": 0.3, "design boin": 0.6, "dose decide STATE.json": 0.6,
         "ctcae grade, 10 rows": 0.6}

STATE = {
    "subject": "01-003", "cycle": 2, "day": 8, "height_cm": 170, "weight_kg": 70,
    "drugs": {"eribulin": {"level": 1.1}, "lenvatinib": {"level": 14}},
    "labs": [{"term": "Neutrophil count decreased", "value": 990, "unit": "/mm3"},
             {"term": "Platelet count decreased", "value": 150, "unit": "10^9/L"}],
    "adverse_events": [{"term": "Diarrhea", "grade": 3, "attributed_to": ["lenvatinib"]}],
}
LAB_ROWS = [
    ("Neutrophil count decreased", "0.9", "10^9/L", "1.8", "7.5"),
    ("Platelet count decreased", "60", "10^9/L", "150", "400"),
    ("Alanine aminotransferase increased", "130", "U/L", "7", "40"),
    ("Creatinine increased", "2.1", "mg/dL", "0.6", "1.2"),
    ("Anemia", "95", "g/L", "120", "160"),
]


def _inputs(folder: Path) -> dict[str, Path]:
    state = folder / "state.json"
    state.write_text(json.dumps(STATE), encoding="utf-8")
    states = folder / "states.jsonl"
    days = [(cycle, day) for cycle in range(1, 21) for day in (1, 8)]
    states.write_text("".join(
        json.dumps(STATE | {"subject": f"01-{i:03d}", "cycle": c, "day": d}) + "\n"
        for i, (c, d) in enumerate(days, start=1)), encoding="utf-8")
    labs = folder / "labs.csv"
    rows = [",".join(r) for r in LAB_ROWS * 2]
    labs.write_text("term,value,unit,lln,uln\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return {"state": state, "states": states, "labs": labs}


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _measure(argv: list[str], repeat: int) -> tuple[float, float]:
    _wall(argv)
    times = [_wall(argv) for _ in range(repeat)]
    return statistics.median(times), min(times)


def main() -> None:
    """Run every case and write the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        files = _inputs(Path(tmp))
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "oncotrial --help": [ONCOTRIAL, "--help"],
            "design boin": [ONCOTRIAL, "design", "boin", "--target", "0.3"],
            "dose decide STATE.json": [ONCOTRIAL, "dose", "decide", str(files["state"])],
            "ctcae grade, 10 rows": [ONCOTRIAL, "ctcae", "grade", str(files["labs"])],
            "dose decide, 40 states in one .jsonl": [ONCOTRIAL, "dose", "decide",
                                                      str(files["states"])],
        }
        results = {name: _measure(argv, args.repeat) for name, argv in cases.items()}
    floor = results["python -c pass"][0]
    lines = [
        "# CLI start-up", "",
        f"Command: `.venv/bin/python -m benchmarks.cli_startup --repeat {args.repeat}`", "",
        "| command (whole process) | median (s) | fastest (s) | × `python -c pass` | goal (s) |",
        "|---|---|---|---|---|",
    ]
    for name, (median, fastest) in results.items():
        goal = GOALS.get(name)
        verdict = "" if goal is None else f"≤ {goal} ({'met' if median <= goal else 'MISSED'})"
        lines.append(f"| `{name}` | {median:.3f} | {fastest:.3f} | {median / floor:.1f} | "
                     f"{verdict} |")
    single = results["dose decide STATE.json"][0]
    batch = results["dose decide, 40 states in one .jsonl"][0]
    load = os.getloadavg()[0]
    lines += ["", (f"Forty decisions: 40 processes ≈ {40 * single:.1f} s, one `.jsonl` call "
              f"{batch:.2f} s ({40 * single / batch:.0f}× fewer seconds)."), "",
              (f"Run on {time.strftime('%Y-%m-%d')} (load average {load:.2f}, "
              f"{os.cpu_count()} CPUs), Python {sys.version.split()[0]}.")]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
