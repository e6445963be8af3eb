"""``oncotrial recist assess``: RECIST 1.1 (or Choi, or iRECIST) timepoint and best responses
from SDTM TU/TR."""

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
    *,
    sdtm: SdtmOption,
    out: OutOption,
    protocol: Annotated[Path | None, typer.Option(
        "--protocol", help="Protocol YAML. Default: the shipped LEADER protocol for LEADER "
        "data, else the generic oncology analysis profile.")] = None,
    confirmation_days: Annotated[int | None, typer.Option(
        help="Minimum days between a response and its confirmation (RECIST 1.1 §4.6).")] = None,
    min_sd_days: Annotated[int | None, typer.Option(
        help="Minimum days from the start for SD to count as best response.")] = None,
    criteria: Annotated[str, typer.Option(
        "--criteria", help="recist (RECIST 1.1), choi (Choi 2007: size -10 % or density "
        "-15 %), mchoi (modified Choi: both) or irecist (Seymour 2017: iUPD/iCPD; new "
        "lesions TU NEW measured in TR); Choi needs TR TRTESTCD ATTEN (HU).")] = "recist",
    choi_pd_reference: Annotated[str, typer.Option(
        help="Choi size-progression reference: baseline (Choi 2007) or nadir.")] = "baseline",
    choi_density_average: Annotated[str, typer.Option(
        help="Choi timepoint density: mean_of_lesions (default) or diameter_weighted.")
    ] = "mean_of_lesions",
) -> None:
    """Compute timepoint responses from TU/TR, write them as SDTM RS with a summary and issues."""
    from oncotrial.cdisc.sdtm.tumour import (
        derive_tumour_assessment,
        read_tumour_domains,
        write_tumour_assessment,
    )
    from oncotrial.errors import DataError
    from oncotrial.protocol import choose_profile, override_profile
    from oncotrial.rules.choi import ChoiSettings
    from oncotrial.rules.recist import RecistSettings

    criteria = criteria.strip().lower()
    allowed = ("recist", "choi", "mchoi", "irecist")
    if criteria not in allowed:
        raise DataError("unknown response criteria", field="--criteria", value=criteria,
                        allowed=", ".join(allowed))
    choi = ChoiSettings(
        variant="modified" if criteria == "mchoi" else "choi",
        pd_reference=choi_pd_reference,  # type: ignore[arg-type]  # checked by ChoiSettings
        density_average=choi_density_average,  # type: ignore[arg-type]
    )

    domains = read_tumour_domains(sdtm)
    found = domains.get("DM", domains["TU"])
    studies: list[str] = (found["STUDYID"].astype(str).unique().tolist()
                          if "STUDYID" in found.columns else [])
    profile = override_profile(choose_profile(protocol, studies),
                               confirmation_interval_days=confirmation_days,
                               min_sd_duration_days=min_sd_days)
    settings = RecistSettings.from_protocol(profile)
    assessment = derive_tumour_assessment(
        domains, settings=settings, criteria="choi" if criteria == "mchoi" else criteria,
        choi=choi)
    typer.echo(f"analysis profile: {profile.name} ({profile.origin}); confirmation "
               f"{settings.confirmation_interval_days} days, SD minimum "
               f"{settings.min_sd_duration_days} days")
    if criteria == "irecist":
        typer.echo("criteria: iRECIST (Seymour 2017; new-lesion targets ≤ 5, ≤ 2 per organ)")
    elif criteria != "recist":
        typer.echo(f"criteria: {'modified Choi' if criteria == 'mchoi' else 'Choi'} "
                   f"(PD reference {choi.pd_reference}, density {choi.density_average})")
    for path in write_tumour_assessment(assessment, out):
        typer.echo(f"wrote {path}")
    n_subjects = assessment.summary["USUBJID"].nunique()
    typer.echo(
        f"{n_subjects} subject(s), {len(assessment.timepoints)} timepoint(s), "
        f"{len(assessment.issues)} data issue(s)"
    )
    if criteria == "irecist":
        summary = assessment.summary
        counts = summary["ICBOR"].value_counts()
        typer.echo("confirmed best iRECIST response: " + ", ".join(
            f"{r} {int(counts.get(r, 0))}" for r in ("iCR", "iPR", "iSD", "iUPD", "iCPD", "NE")))
        typer.echo(f"treated beyond iUPD: {int((summary['TRTBIUPD'] == 'Y').sum())} of "
                   f"{int((summary['IUPDDT'] != '').sum())} subject(s) with iUPD")
