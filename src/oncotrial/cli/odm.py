"""``oncotrial odm``: CDISC ODM 1.3.2 export (Snapshot or Transactional) and Snapshot import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncotrial.cli._options import DbOption, UserOption, password
from oncotrial.protocol import load_protocol
from oncotrial.services.database import resolve_db_url
from oncotrial.services.interchange import OdmKind, export_odm_file, import_odm_file

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="ODM XML file to write.")],
    user: UserOption,
    kind: Annotated[str, typer.Option(
        "--type", help="snapshot (current data) or transactional (every change, with audit "
        "records and signatures).")] = "snapshot",
    db: DbOption = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", help="Protocol YAML.")] = None,
) -> None:
    """Write the casebooks USER may see as an XSD-valid ODM 1.3.2 file."""
    if kind not in ("snapshot", "transactional"):
        raise typer.BadParameter(f"--type {kind!r}: allowed are snapshot, transactional")
    chosen: OdmKind = "transactional" if kind == "transactional" else "snapshot"
    size = export_odm_file(resolve_db_url(db), out, username=user,
                           password=password(f"Password for {user}"),
                           study_oid=load_protocol(protocol).id, kind=chosen)
    typer.echo(f"wrote ODM 1.3.2 {kind} ({size:,} bytes) to {out}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Option("--file", help="ODM 1.3.2 Snapshot to import.",
                                       exists=True, dir_okay=False)],
    user: UserOption,
    db: DbOption = None,
) -> None:
    """Import an ODM Snapshot: every row or none; row-level errors are listed."""
    report = import_odm_file(resolve_db_url(db), file, username=user,
                             password=password(f"Password for {user}"))
    if not report.ok:
        for e in report.errors:
            typer.echo(f"subject {e.subject or '-'}, {e.table} row {e.repeat_key or '-'}, "
                       f"{e.item or '-'}: {e.message}", err=True)
        typer.echo(f"nothing imported: {len(report.errors)} error(s)", err=True)
        raise typer.Exit(1)
    rows = sum(report.imported.values())
    typer.echo(f"imported {rows} rows ({report.imported.get('subject', 0)} subjects)")
