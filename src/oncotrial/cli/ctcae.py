"""``oncotrial ctcae grade INPUT.csv [--out OUTPUT.csv] [--strict]``: CTCAE v5.0 grades for rows.

Input columns: ``term`` (CTCAE v5.0 spelling), ``value``, ``unit`` (CDISC LBSTRESU or a common
synonym) and, where relevant, ``lln``, ``uln``, ``baseline`` (same unit as ``value``),
``symptomatic`` and ``previously_normal`` (Y/N). "Hypertension" rows give ``value`` as
``SBP/DBP`` with unit ``mmHg``. The output keeps every input column and adds ``grade`` (empty
when the value alone cannot determine it), ``rule`` and ``reason``. A bad row is reported with
its row number (data rows count from 1; the header is not a row) on stderr, one per line, and
in ``reason``; the other rows are still graded, unless ``--strict``, which stops at the first bad
row with exit code 1. A file that cannot be graded at all (not UTF-8, binary, empty, separated
by ``;``, without a term, value or unit column, a column named twice) exits 1 with one line
saying why. ``--out`` is written all at once (a temporary file renamed at the end) with
spreadsheet-safe cells.
"""

from __future__ import annotations

import csv
import io
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import atomic_file, safe_cell
from oncotrial.errors import DataError
from oncotrial.rules.ctcae import REQUIRED_COLUMNS, RESULT_COLUMNS, RowGrade, grade_lab_rows

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


@app.command("grade")
def grade(
    input_csv: Annotated[
        Path, typer.Argument(help="CSV with term, value, unit [, lln, uln, baseline].")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the graded CSV here (default: stdout).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad row with exit code 1.")
    ] = False,
) -> None:
    """Grade every row of INPUT_CSV by CTCAE v5.0 and write it back with grade, rule, reason."""
    fieldnames, rows = _read(input_csv)
    with atomic_file(out) if out is not None else nullcontext() as target:
        results = grade_lab_rows(rows, strict=strict)
        for result in results:
            if result.error:
                typer.echo(result.error, err=True)
        text = _render(fieldnames, rows, results)
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8")
    if out is not None:
        bad = sum(1 for r in results if r.error)
        typer.echo(f"{len(results)} row(s) graded into {out}; {bad} bad row(s)", err=True)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = read_csv_text(path, field="INPUT_CSV")
    header = csv_header(text, path, fold_case=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{path.name} lacks column(s) {', '.join(missing)}", field="columns",
                        value=header, allowed=f"at least {', '.join(REQUIRED_COLUMNS)}")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise DataError(f"not readable as CSV: {exc}", field="INPUT_CSV", value=str(path),
                        allowed="comma-separated values") from exc
    if not rows:
        raise DataError("no data rows to grade", field="INPUT_CSV", value=str(path),
                        allowed="a header and at least one row")
    fieldnames = header
    clash = [c for c in RESULT_COLUMNS if c in fieldnames]
    if clash:
        raise DataError(
            "input already has result column(s)",
            field="columns",
            value=clash,
            allowed=f"any columns except {', '.join(RESULT_COLUMNS)}",
        )
    return fieldnames, rows


def _render(fieldnames: list[str], rows: list[dict[str, str]], results: list[RowGrade]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=[*fieldnames, *RESULT_COLUMNS],
        lineterminator="\n",
        extrasaction="ignore",
    )
    writer.writerow({c: safe_cell(c) for c in writer.fieldnames})
    for row, result in zip(rows, results, strict=True):
        graded = result.grade
        cells = {
            **row,
            "grade": "" if graded is None or graded.grade is None else str(graded.grade),
            "rule": "" if graded is None else graded.rule,
            "reason": result.error if graded is None else graded.reason,
        }
        writer.writerow({k: safe_cell(v) if isinstance(v, str) else v for k, v in cells.items()})
    return buffer.getvalue()
