"""Benchmark: parse, QC and normalise 1,000 nCounter RCC files.

The files are generated in a temporary folder from a real RCC template
(shared/validation/nanostring/rcc/nanostringr__example.RCC, MIT, 354 probes, CRLF) with
perturbed counts: each lane gets a technical factor (0.5–2, all probes), an RNA-content
factor (0.3–3, HK and endogenous probes) and Poisson noise; binding density and FOV counted
are perturbed as well. The floor is reading the same files' bytes and splitting them into
lines (no parsing).

Run:  .venv/bin/python benchmarks/nanostring_benchmark.py [--files 1000] [--repeat 3]
Writes the figures to benchmarks/results/nanostring.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from oncotrial.translational import (
    derive_count_matrix,
    derive_normalized_counts,
    derive_qc_table,
    grade_batch_qc,
    read_rcc,
    read_rcc_batch,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT.parent / "shared" / "validation" / "nanostring" / "rcc" / "nanostringr__example.RCC"
RESULTS = Path(__file__).resolve().parent / "results" / "nanostring.md"


def write_files(directory: Path, n: int, rng: np.random.Generator) -> None:
    """Write *n* perturbed copies of the template RCC into *directory*."""
    template = read_rcc(TEMPLATE)
    text = TEMPLATE.read_bytes().decode()
    head, _, rest = text.partition("CodeClass,Name,Accession,Count\r\n")
    _, _, tail = rest.partition("</Code_Summary>")
    probes = template.probes
    counts = probes["count"].to_numpy(dtype=float)
    rna = probes["code_class"].isin(["Endogenous", "Housekeeping"]).to_numpy()
    for i in range(n):
        scale = rng.uniform(0.5, 2.0) * np.where(rna, rng.uniform(0.3, 3.0), 1.0)
        lane = rng.poisson(counts * scale)
        body = "".join(f"{c},{nm},{a},{v}\r\n" for c, nm, a, v in
                       zip(probes["code_class"], probes["name"], probes["accession"], lane,
                           strict=True))
        density = f"BindingDensity,{rng.uniform(0.05, 2.6):.2f}"
        lane_head = (head.replace("BindingDensity,0.27", density)
                     .replace("FovCounted,542", f"FovCounted,{int(rng.integers(380, 556))}")
                     .replace("ID,TAOC00241-N1", f"ID,SYN{i:04d}"))
        (directory / f"lane_{i:04d}.RCC").write_text(
            lane_head + "CodeClass,Name,Accession,Count\r\n" + body + "</Code_Summary>" + tail,
            newline="")


def _time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Generate the files, time each stage and write the results table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(20180601)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_files(folder, args.files, rng)
        paths = sorted(folder.glob("*.RCC"))
        floor = _time(lambda: [p.read_bytes().decode().splitlines() for p in paths], args.repeat)
        parse = _time(lambda: read_rcc_batch(folder), args.repeat)
        batch = read_rcc_batch(folder)
        qc = _time(lambda: derive_qc_table(grade_batch_qc(batch.rccs)), args.repeat)
        norm = _time(lambda: derive_normalized_counts(derive_count_matrix(batch.rccs)),
                     args.repeat)
        table = derive_qc_table(grade_batch_qc(batch.rccs))
    total = parse + qc + norm
    n = args.files
    rows = [("floor: read bytes + split lines", floor), ("parse (read_rcc_batch)", parse),
            ("QC incl. batch factors (grade_batch_qc + derive_qc_table)", qc),
            ("normalise (derive_count_matrix + derive_normalized_counts)", norm),
            ("parse + QC + normalise", total)]
    lines = [
        "# nCounter RCC benchmark", "",
        (f"Command: `.venv/bin/python benchmarks/nanostring_benchmark.py --files {n} "
         f"--repeat {args.repeat}`"), "",
        (f"{n} RCC files generated from `nanostringr__example.RCC` (354 probes, CRLF) with "
         "perturbed counts, binding density and FOV. Median wall time of the repeats on the "
         "shared 2-core machine (other engineers' jobs running)."), "",
        "| stage | seconds (all files) | ms per file | ratio to floor |", "|---|---|---|---|",
        *(f"| {name} | {sec:.2f} | {1000 * sec / n:.2f} | {sec / floor:.1f}× |"
          for name, sec in rows),
        "", (f"QC verdicts on the synthetic lanes: {int(table['pass'].sum())} of {n} pass "
             "(binding density drawn from 0.05–2.6, so some fail by design)."), "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
