"""``oncotrial recist assess``: RECIST 1.1 timepoint and best responses from SDTM TU/TR."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol YAML. Default: the shipped LEADER protocol for LEADER "
        "data, else the generic oncology analysis profile.")] = None,
    confirmation_days: Annotated[int | None, typer.Option(
        help="Minimum days between a response and its confirmation (RECIST 1.1 §4.6).")] = None,
    min_sd_days: Annotated[int | None, typer.Option(
        help="Minimum days from the start for SD to count as best response.")] = None,
) -> None:
    """Compute timepoint responses from TU/TR, write them as SDTM RS with a summary and issues."""
    from oncotrial.cdisc.sdtm.tumour import (
        derive_tumour_assessment,
        read_tumour_domains,
        write_tumour_assessment,
    )
    from oncotrial.protocol import choose_profile, override_profile
    from oncotrial.rules.recist import RecistSettings

    domains = read_tumour_domains(sdtm)
    found = domains.get("DM", domains["TU"])
    studies: list[str] = (found["STUDYID"].astype(str).unique().tolist()
                          if "STUDYID" in found.columns else [])
    profile = override_profile(choose_profile(protocol, studies),
                               confirmation_interval_days=confirmation_days,
                               min_sd_duration_days=min_sd_days)
    settings = RecistSettings.from_protocol(profile)
    assessment = derive_tumour_assessment(domains, settings=settings)
    typer.echo(f"analysis profile: {profile.name} ({profile.origin}); confirmation "
               f"{settings.confirmation_interval_days} days, SD minimum "
               f"{settings.min_sd_duration_days} days")
    for path in write_tumour_assessment(assessment, out):
        typer.echo(f"wrote {path}")
    n_subjects = assessment.summary["USUBJID"].nunique()
    typer.echo(
        f"{n_subjects} subject(s), {len(assessment.timepoints)} timepoint(s), "
        f"{len(assessment.issues)} data issue(s)"
    )
