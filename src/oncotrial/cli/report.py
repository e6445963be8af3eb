"""``oncotrial report``: the clinical study report from ADaM datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from oncotrial.services.reporting import write_report

__all__ = ["report"]


def report(
    *,
    adam: Annotated[Path, typer.Option("--adam", help="Folder with adsl.xpt/.csv, adrs, …")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into")],
    format: Annotated[str, typer.Option("--format", help="Comma-separated: html,pdf")] = "html,pdf",
    protocol: Annotated[Path | None, typer.Option("--protocol", help="Protocol YAML")] = None,
    scores: Annotated[Path | None, typer.Option(
        "--scores", help="scores.csv from `oncotrial nanostring score` (translational)")] = None,
    samples: Annotated[Path | None, typer.Option(
        "--samples", help="Sample sheet: file, subject, timepoint (pre/post), response")] = None,
) -> None:
    """Write report.html, a paginated report.pdf and numbered TLFs (RTF, CSV).

    The numbered tables, listings and figures and the TLF index go under tlf/, every table's
    rows as plain CSV under tables/."""
    formats = [f.strip() for f in format.split(",") if f.strip()]
    console = Console(stderr=True)
    # A spinner while the report is computed and laid out (seconds); shown on a terminal only.
    with console.status("computing tables and figures, writing HTML, PDF, RTF and CSV …"):
        written = write_report(adam, out, formats=formats, protocol_path=protocol,
                               scores_path=scores, samples_path=samples)
    console = Console()
    for path in written:
        if path.suffix in {".html", ".pdf"}:
            console.print(f"wrote {path}")
    outputs = sum(p.suffix == ".rtf" for p in written)
    console.print(f"wrote {outputs} numbered tables, listings and figures (RTF, CSV) and the "
                  f"TLF index {out / 'tlf' / 'index.csv'}")
    plain = sum(p.suffix == ".csv" and p.parent.name == "tables" for p in written)
    console.print(f"wrote {plain} tables as plain CSV under {out / 'tables'}")
