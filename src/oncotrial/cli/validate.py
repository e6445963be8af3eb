"""``oncotrial validate``: conformance checks of SDTM and ADaM folders (FDA technical rejection
criteria, define.xml, required variables, ISO 8601, --SEQ, controlled terminology, ADSL and
PARAMCD/PARAM rules); see :mod:`oncotrial.cdisc.conformance`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["validate"]


def validate(
    *,
    sdtm: Annotated[Path | None, typer.Option(help="Folder of SDTM datasets.")] = None,
    adam: Annotated[Path | None, typer.Option(help="Folder of ADaM datasets.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write every finding to this CSV file (RULE, SEVERITY, DATASET, VARIABLE, ...).")
    ] = None,
) -> None:
    """Check SDTM and ADaM folders against the conformance rules that matter most."""
    import pandas as pd

    from oncotrial._outputs import atomic_file, write_csv
    from oncotrial.cdisc.conformance import FINDING_COLUMNS, check_folder
    from oncotrial.errors import DataError

    if sdtm is None and adam is None:
        raise DataError("nothing to check", field="--sdtm/--adam", value="",
                        allowed="--sdtm DIR and/or --adam DIR")
    parts = []
    if sdtm is not None:
        parts.append(check_folder(sdtm, standard="SDTM"))
    if adam is not None:
        parts.append(check_folder(adam, standard="ADaM"))
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=list(FINDING_COLUMNS))
    for row in findings.itertuples(index=False):
        where = ".".join(x for x in (str(row.DATASET), str(row.VARIABLE)) if x)
        value = f" {row.VALUE!r}" if row.VALUE else ""
        typer.echo(f"{row.SEVERITY:7} {row.RULE:12} {row.STANDARD:4} {where}{value} "
                   f"(x{row.COUNT}): {row.MESSAGE}")
    errors = int((findings["SEVERITY"] == "error").sum())
    warnings = int((findings["SEVERITY"] == "warning").sum())
    if out is not None:
        with atomic_file(out) as temp:
            write_csv(findings, temp)
        typer.echo(f"wrote {out}")
    typer.echo(f"{errors} error(s), {warnings} warning(s)")
    if errors:
        raise typer.Exit(code=1)
