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


def _time(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def main() -> None:
    """Generate the SDTM once, then time the floor and the derivation (median of repeats)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sources", default="RS,TR", help="RS, or RS,TR to time TR too")
    args = parser.parse_args()
    protocol = load_protocol()
    rows: list[tuple[str, float]] = []  # (task, median seconds)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_sdtm(directory, args.subjects, np.random.default_rng(20180601))
        tr_rows = sum(1 for _ in (directory / "tr.csv").open()) - 1

        def floor() -> object:
            tr = pd.read_csv(directory / "tr.csv")
            return tr.sort_values(["USUBJID", "TRLNKID", "VISITNUM"])

        floor_s = _time(floor, args.repeat)
        rows.append(("pandas: read TR CSV + sort (floor)", floor_s))
        rs_domains = read_sdtm(directory, domains=domains_for("RS"))
        rows.append(("oncotrial: read SDTM without TR (cdisc.io)",
                     _time(lambda: read_sdtm(directory, domains=domains_for("RS")), args.repeat)))
        rows.append(("oncotrial: derive ADSL + ADRS + ADTTE from RS (in memory)",
                     _time(lambda: derive_adam(rs_domains, protocol=protocol), args.repeat)))
        rows.append(("oncotrial: read SDTM + derive (`--source RS`, end to end)",
                     _time(lambda: derive_adam(read_sdtm(directory, domains=domains_for("RS")),
                                               protocol=protocol), args.repeat)))
        if "TR" in args.sources.split(","):
            tr_domains = read_sdtm(directory, domains=domains_for("TR"))
            rows.append(("oncotrial: read SDTM with TR (cdisc.io)",
                         _time(lambda: read_sdtm(directory, domains=domains_for("TR")),
                               args.repeat)))
            settings = RecistSettings.from_protocol(protocol)
            rows.append(("RECIST engine: RS from TU/TR (cdisc.sdtm.derive_rs_from_tr)",
                         _time(lambda: derive_rs_from_tr(tr_domains, settings=settings),
                               args.repeat)))
            rows.append(("oncotrial: read SDTM + derive (`--source TR`, end to end)",
                         _time(lambda: derive_adam(read_sdtm(directory,
                                                             domains=domains_for("TR")),
                                                   protocol=protocol, source="TR"),
                               args.repeat)))
    lines = [
        "# ADaM derivation benchmark",
        "",
        (f"Command: `.venv/bin/python benchmarks/adam_benchmark.py --subjects {args.subjects} "
         f"--repeat {args.repeat}`"),
        "",
        (f"{args.subjects:,} subjects × {ASSESSMENTS} assessments × {LESIONS} target lesions "
         f"({tr_rows:,} TR rows incl. baseline, {args.subjects * ASSESSMENTS:,} RS OVRLRESP "
         "records). Median wall time of the repeats on the shared 2-core machine; ratio = "
         "time ÷ floor (goal ≤ 5 for the ADaM derivation). Reading goes through "
         "`oncotrial.cdisc.io.read_domain` (text first, then numbers), and `--source TR` "
         "adds the RECIST engine; both are timed separately."),
        "",
        "| task | seconds | ratio to floor |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {secs:.2f} | {secs / floor_s:.1f}× |" for name, secs in rows]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
