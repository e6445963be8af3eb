"""Benchmark: derive ADSL/ADRS/ADTTE for 10,000 subjects × 10 assessments × 5 lesions.

The floor is what pandas alone needs to read the same TR rows from CSV and sort them by
subject, lesion and visit; the goal is a derivation within 5× of that floor.

Run:  .venv/bin/python benchmarks/adam_benchmark.py [--subjects 10000] [--repeat 3]
Writes the figures to benchmarks/results/adam.md.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam import derive_adam, domains_for
from oncotrial.cdisc.sdtm import derive_rs_from_tr, read_sdtm
from oncotrial.protocol import load_protocol
from oncotrial.rules.recist import RecistSettings

ASSESSMENTS = 10
LESIONS = 5
RESULTS = Path(__file__).resolve().parent / "results" / "adam.md"


def _dates(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("2020-01-01") + days.astype("timedelta64[D]")).astype(str)


def write_sdtm(directory: Path, subjects: int, rng: np.random.Generator) -> None:
    """Write DM, DS, EX, TU, TR and RS as CSV for *subjects* simulated subjects."""
    ids = np.char.add("LEADER-", np.arange(1, subjects + 1).astype(str))
    start = rng.integers(0, 720, subjects)
    pd.DataFrame({"STUDYID": "LEADER", "USUBJID": ids, "SUBJID": ids, "SITEID": "01",
                  "AGE": rng.integers(25, 80, subjects), "SEX": rng.choice(["F", "M"], subjects),
                  "ARM": "L14E1.1", "DTHDTC": np.where(rng.random(subjects) < 0.3,
                                                       _dates(start + rng.integers(30, 900,
                                                                                   subjects)),
                                                       "")}).to_csv(directory / "dm.csv",
                                                                     index=False)
    pd.DataFrame({"USUBJID": ids, "DSCAT": "PROTOCOL MILESTONE", "DSDECOD": "ENROLLED",
                  "DSSTDTC": _dates(start - 3)}).to_csv(directory / "ds.csv", index=False)
    pd.DataFrame({"USUBJID": ids, "EXTRT": "LENVATINIB", "EXDOSE": 14.0,
                  "EXSTDTC": _dates(start), "EXENDTC": _dates(start + 180)}).to_csv(
        directory / "ex.csv", index=False)
    lesion_subject = np.repeat(ids, LESIONS)
    lesion_id = np.tile(np.char.add("T", np.arange(1, LESIONS + 1).astype(str)), subjects)
    pd.DataFrame({"USUBJID": lesion_subject, "TULNKID": lesion_id, "TUSTRESC": "TARGET",
                  "TULOC": np.tile(["LUNG", "LIVER", "BONE", "PERITONEUM", "SOFT TISSUE"],
                                   subjects),
                  "TUEVAL": "INVESTIGATOR"}).to_csv(directory / "tu.csv", index=False)
    # lesion sizes: baseline 10-50 mm, a per-subject trend per assessment plus noise
    visits = ASSESSMENTS + 1  # baseline + 10 post-baseline assessments
    baseline = rng.uniform(10, 50, (subjects, LESIONS))
    trend = rng.normal(0.0, 0.08, (subjects, 1))
    steps = np.arange(visits)[None, :, None]
    sizes = baseline[:, None, :] * np.exp(trend[:, :, None] * steps
                                          + rng.normal(0, 0.03, (subjects, visits, LESIONS)))
    sizes[:, 0, :] = baseline
    day = start[:, None] + 42 * np.arange(visits)[None, :] + rng.integers(-3, 4, (subjects, visits))
    day[:, 0] = start - 7
    pd.DataFrame({
        "USUBJID": np.repeat(ids, visits * LESIONS),
        "TRLNKID": np.tile(lesion_id.reshape(subjects, LESIONS), (1, visits)).ravel(),
        "TRTESTCD": "LDIAM", "TRSTRESN": np.round(sizes.ravel(), 1), "TRSTRESU": "mm",
        "VISITNUM": np.repeat(np.tile(np.arange(visits), subjects), LESIONS).astype(float),
        "TRDTC": np.repeat(_dates(day.ravel()), LESIONS), "TREVAL": "INVESTIGATOR",
    }).to_csv(directory / "tr.csv", index=False)
    total = sizes.sum(axis=2)
    nadir = np.minimum.accumulate(total, axis=1)
    previous_nadir = np.concatenate([total[:, :1], nadir[:, :-1]], axis=1)
    response = np.where((total >= 1.2 * previous_nadir) & (total - previous_nadir >= 5), "PD",
                        np.where(total <= 0.7 * total[:, :1], "PR", "SD"))[:, 1:]
    pd.DataFrame({
        "USUBJID": np.repeat(ids, ASSESSMENTS), "RSTESTCD": "OVRLRESP",
        "RSSTRESC": response.ravel(), "RSDTC": _dates(day[:, 1:].ravel()),
        "RSEVAL": "INVESTIGATOR",
        "VISITNUM": np.tile(np.arange(1, visits), subjects).astype(float),
    }).to_csv(directory / "rs.csv", index=False)


def _measure(tasks: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per task; tasks run interleaved A B C A B C … so that load
    from other jobs on the shared machine hits every task alike (one untimed warm-up each)."""
    for action in tasks.values():
        action()
    walls: dict[str, list[float]] = {name: [] for name in tasks}
    cpus: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeat):
        for name, action in tasks.items():
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]))
            for name in tasks}


def main() -> None:
    """Generate the SDTM once, then time the floor and the derivation (median of repeats)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sources", default="RS,TR", help="RS, or RS,TR to time TR too")
    args = parser.parse_args()
    protocol = load_protocol()
    settings = RecistSettings.from_protocol(protocol)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_sdtm(directory, args.subjects, np.random.default_rng(20180601))
        tr_rows = sum(1 for _ in (directory / "tr.csv").open()) - 1
        rs_domains = read_sdtm(directory, domains=domains_for("RS"))
        tasks: dict[str, Callable[[], object]] = {
            "pandas: read TR CSV + sort by subject, lesion, visit (floor)": lambda: pd.read_csv(
                directory / "tr.csv").sort_values(["USUBJID", "TRLNKID", "VISITNUM"]),
            "read SDTM without TR (cdisc.io.read_domain)": lambda: read_sdtm(
                directory, domains=domains_for("RS")),
            "**derive ADSL + ADRS + ADTTE from RS** (in memory)": lambda: derive_adam(
                rs_domains, protocol=protocol),
            "`oncotrial derive --source RS` work: read SDTM + derive": lambda: derive_adam(
                read_sdtm(directory, domains=domains_for("RS")), protocol=protocol),
        }
        if "TR" in args.sources.split(","):
            tr_domains = read_sdtm(directory, domains=domains_for("TR"))
            tasks |= {
                "read SDTM with TR (cdisc.io.read_domain)": lambda: read_sdtm(
                    directory, domains=domains_for("TR")),
                "RECIST engine: RS from TU/TR (cdisc.sdtm.derive_rs_from_tr)": lambda: (
                    derive_rs_from_tr(tr_domains, settings=settings)),
                "`oncotrial derive --source TR` work: read + RECIST + derive": lambda: (
                    derive_adam(read_sdtm(directory, domains=domains_for("TR")),
                                protocol=protocol, source="TR")),
            }
        results = _measure(tasks, args.repeat)
    floor_wall, floor_cpu = next(iter(results.values()))
    lines = [
        "# ADaM derivation benchmark",
        "",
        (f"Command: `.venv/bin/python benchmarks/adam_benchmark.py --subjects {args.subjects} "
         f"--repeat {args.repeat}`"),
        "",
        (f"{args.subjects:,} subjects × {ASSESSMENTS} assessments × {LESIONS} target lesions "
         f"({tr_rows:,} TR rows incl. baseline, {args.subjects * ASSESSMENTS:,} RS OVRLRESP "
         "records). Median of the repeats, tasks interleaved, one warm-up each, on the shared "
         "2-core machine; CPU time is the steadier figure when other jobs run. Ratio = time ÷ "
         "floor; the goal is ≤ 5 for the ADaM derivation (bold). Reading goes through "
         "`oncotrial.cdisc.io.read_domain` (parser types, CDISC character variables kept as "
         "text) and `--source TR` adds the RECIST engine; both are timed separately."),
        "",
        "| task | wall s | CPU s | ratio (wall) | ratio (CPU) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / floor_wall:.1f}× | "
              f"{cpu / floor_cpu:.1f}× |" for name, (wall, cpu) in results.items()]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
