"""``oncotrial derive``: SDTM directory → ADSL, ADRS, ADTTE (XPT v5 and CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from oncotrial.cdisc.adam import derive_adam, domains_for, write_adam
from oncotrial.cdisc.sdtm import ANALYSIS_DOMAINS, read_sdtm
from oncotrial.protocol import load_protocol

__all__ = ["derive"]


def derive(
    *,
    sdtm: Annotated[Path, typer.Option(help="Directory with SDTM domains (dm.xpt/dm.csv, …).")],
    out: Annotated[Path, typer.Option(help="Directory to write adsl/adrs/adtte .xpt and .csv.")],
    evaluator: Annotated[str, typer.Option(help="RSEVAL of the reader.")] = "INVESTIGATOR",
    source: Annotated[
        Literal["RS", "TR"], typer.Option(help="Responses as recorded (RS) or computed from TR.")
    ] = "RS",
    start_date: Annotated[
        Literal["RANDDT", "TRTSDT", "ENRLDT"] | None,
        typer.Option(help="Reference start date (default RANDDT, else ENRLDT, else TRTSDT)."),
    ] = None,
    pfs_rules: Annotated[
        Literal["FDA", "EMA"], typer.Option(help="PFS censoring rules.")
    ] = "FDA",
    supporting: Annotated[
        bool, typer.Option(help="Also derive ADAE, ADEX, ADLB and ADTR (reads TR).")
    ] = True,
    protocol: Annotated[
        Path | None, typer.Option(help="Protocol YAML (default: the shipped LEADER protocol).")
    ] = None,
) -> None:
    """Derive the ADaM datasets from SDTM and write them as XPT v5 and CSV."""
    domains = ANALYSIS_DOMAINS if supporting else domains_for(source)
    datasets = derive_adam(
        read_sdtm(sdtm, domains=domains), protocol=load_protocol(protocol),
        evaluator=evaluator.upper(), source=source, start_date=start_date, pfs_rules=pfs_rules,
        supporting=supporting,
    )
    paths = write_adam(datasets, out)
    typer.echo(
        f"{len(datasets.adsl)} subjects; start date {datasets.start_date}; "
        f"evaluator {datasets.evaluator}; PFS rules {datasets.pfs_rules}; "
        f"{len(datasets.issues)} data issue(s) listed in adam_issues.csv"
    )
    for path in paths:
        typer.echo(f"wrote {path}")
