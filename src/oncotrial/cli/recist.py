"""``oncotrial recist assess``: RECIST 1.1 timepoint and best responses from SDTM TU/TR."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncotrial.cdisc.sdtm.tumour import (
    derive_tumour_assessment,
    read_tumour_domains,
    write_tumour_assessment,
)
from oncotrial.protocol import load_protocol
from oncotrial.rules.recist import RecistSettings

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


SdtmOption = Annotated[
    Path, typer.Option("--sdtm", help="Directory with tu/tr (+dm/ex) as .xpt or .csv.")
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Directory for rs.xpt, rs.csv, summary.csv, issues.csv.")
]


@app.command("assess")
def assess(
    sdtm: SdtmOption,
    out: OutOption,
    protocol: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol YAML (default: the shipped LEADER protocol)."),
    ] = None,
) -> None:
    """Compute timepoint responses from TU/TR, write them as SDTM RS with a summary and issues."""
    settings = RecistSettings.from_protocol(load_protocol(protocol))
    assessment = derive_tumour_assessment(read_tumour_domains(sdtm), settings=settings)
    for path in write_tumour_assessment(assessment, out):
        typer.echo(f"wrote {path}")
    n_subjects = assessment.summary["USUBJID"].nunique()
    typer.echo(
        f"{n_subjects} subject(s), {len(assessment.timepoints)} timepoint(s), "
        f"{len(assessment.issues)} data issue(s)"
    )
