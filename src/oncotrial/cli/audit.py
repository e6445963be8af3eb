"""``oncotrial audit verify``: check the hash chain of the change log."""

from __future__ import annotations

from typing import Annotated

import typer

from oncotrial.services.database import DEFAULT_DB_URL, verify_audit_chain

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


@app.command("verify")
def verify_command(
    db: Annotated[str, typer.Option("--db", help="SQLAlchemy URL.")] = DEFAULT_DB_URL,
) -> None:
    """Recompute every entry's hash; exit 1 at the first altered, missing or inserted entry."""
    result = verify_audit_chain(db)
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} entries, head {result.last_hash}")
        return
    typer.echo(
        f"audit chain BROKEN at entry {result.first_bad_seq}: {result.problem} "
        f"({result.checked} entries verified before it)",
        err=True,
    )
    raise typer.Exit(code=1)
