"""``oncotrial derive``: SDTM directory → ADSL, ADRS, ADTTE (+ ADAE, ADEX, ADLB, ADTR) as XPT v5
and CSV, with ``adam_issues.csv`` and ``analysis_profile.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

__all__ = ["derive"]

_ALIVE_HELP = ("Comma-separated DOMAIN.VARIABLE dates that show a subject alive for LSTALVDT "
               "(ADSL.TRTEDT = last dose), or 'admiral' for the admiral ADSL template's "
               "AE.AESTDTC,AE.AEENDTC,LB.LBDTC,ADSL.TRTEDT.")


def derive(
    *,
    sdtm: Annotated[Path, typer.Option(help="Directory with SDTM domains (dm.xpt/dm.csv, …).")],
    out: Annotated[Path, typer.Option(help="Directory to write the ADaM .xpt and .csv into.")],
    evaluator: Annotated[str, typer.Option(help="RSEVAL of the reader.")] = "INVESTIGATOR",
    source: Annotated[
        Literal["RS", "TR"], typer.Option(help="Responses as recorded (RS) or computed from TR.")
    ] = "RS",
    supporting: Annotated[
        bool, typer.Option(help="Also derive ADAE, ADEX, ADLB and ADTR (reads TR).")
    ] = True,
    protocol: Annotated[Path | None, typer.Option(
        help="Protocol YAML. Default: the shipped LEADER protocol for LEADER data, else the "
             "generic oncology analysis profile.")] = None,
    start_date: Annotated[
        Literal["RANDDT", "TRTSDT", "ENRLDT"] | None,
        typer.Option(help="Reference start date (default RANDDT, else ENRLDT, else TRTSDT)."),
    ] = None,
    pfs_rules: Annotated[str | None, typer.Option(
        help="PFS censoring rule set of the censoring rule table: FDA (default) or EMA.")
    ] = None,
    death_without_assessment: Annotated[Literal["fda", "event"] | None, typer.Option(
        help="PFS of a death without adequate tumour assessment: 'fda' (FDA 2018 table: "
             "censored after more than one missed assessment or without baseline; default) or "
             "'event' (admiralonco template).")] = None,
    confirmation_days: Annotated[int | None, typer.Option(
        help="Minimum days between a response and its confirmation (RECIST 1.1 §4.6).")] = None,
    min_sd_days: Annotated[int | None, typer.Option(
        help="Minimum days from the start for SD to count as best response.")] = None,
    imaging_interval_days: Annotated[int | None, typer.Option(
        help="Planned days between tumour assessments (missed-assessment rule).")] = None,
    imaging_window_days: Annotated[int | None, typer.Option(
        help="Allowed window around each planned assessment, in days.")] = None,
    alive_dates: Annotated[str | None, typer.Option(help=_ALIVE_HELP)] = None,
    criteria: Annotated[str, typer.Option(
        help="Response criteria of ADRS: 'recist', optionally with 'choi' (adds CHOIOVR, "
             "CHOIBOR, CHOICBOR, CHOICRSP from TU/TR, which must carry TRTESTCD ATTEN in HU; "
             "ADTTE CHOITTR; ADTR DENSITY with --supporting) and 'irecist' (adds IOVR, ICPD, "
             "IUPD, IRSP, ICB, IBOR, ICRSP, ICCB, ICBOR from TU/TR and ADTTE IPFS), e.g. "
             "recist,choi,irecist.")] = "recist",
    choi_variant: Annotated[Literal["choi", "modified"], typer.Option(
        help="Choi PR: size OR density (choi, Choi 2007) or both (modified).")] = "choi",
    choi_pd_reference: Annotated[Literal["baseline", "nadir"], typer.Option(
        help="Choi size-progression reference (Choi 2007: baseline).")] = "baseline",
    choi_density_average: Annotated[Literal["mean_of_lesions", "diameter_weighted"],
                                    typer.Option(help="Choi timepoint density.")
                                    ] = "mean_of_lesions",
) -> None:
    """Derive the ADaM datasets from SDTM and write them as XPT v5 and CSV."""
    from oncotrial.cdisc.adam import derive_adam, domains_for, write_adam
    from oncotrial.cdisc.io import locate_domain
    from oncotrial.cdisc.sdtm import ANALYSIS_DOMAINS, read_sdtm
    from oncotrial.protocol import choose_profile, override_profile
    from oncotrial.protocol.analysis import ADMIRAL_ALIVE_DATES
    from oncotrial.rules.choi import ChoiSettings

    chosen = tuple(c.strip().lower() for c in criteria.split(",") if c.strip())
    needs_tr = supporting or "choi" in chosen or "irecist" in chosen
    domains = read_sdtm(sdtm, domains=ANALYSIS_DOMAINS if needs_tr else domains_for(source))
    dm = domains["DM"]
    studies: list[str] = (dm["STUDYID"].astype(str).unique().tolist()
                          if "STUDYID" in dm.columns else [])
    alive = ADMIRAL_ALIVE_DATES if alive_dates == "admiral" else alive_dates
    profile = override_profile(
        choose_profile(protocol, studies), start_date=start_date, pfs_rules=pfs_rules,
        death_without_assessment=death_without_assessment,
        confirmation_interval_days=confirmation_days, min_sd_duration_days=min_sd_days,
        imaging_interval_days=imaging_interval_days, imaging_window_days=imaging_window_days,
        alive_dates=alive,
    )
    datasets = derive_adam(domains, protocol=profile, evaluator=evaluator.upper(),
                           source=source, supporting=supporting, criteria=chosen,
                           choi=ChoiSettings(variant=choi_variant,
                                             pd_reference=choi_pd_reference,
                                             density_average=choi_density_average))
    paths = write_adam(datasets, out)
    files = [p.name for d in domains if (p := locate_domain(sdtm, d)) is not None]
    typer.echo(f"read {', '.join(files)}")
    typer.echo(f"analysis profile: {profile.name} ({profile.origin}); settings in "
               f"{out / 'analysis_profile.csv'}")
    typer.echo(
        f"{len(datasets.adsl)} subjects; start date {datasets.start_date}; "
        f"evaluator {datasets.evaluator}; PFS rules {datasets.pfs_rules}; "
        f"{len(datasets.issues)} data issue(s) listed in adam_issues.csv"
    )
    for path in paths:
        typer.echo(f"wrote {path}")
