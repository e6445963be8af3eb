"""``oncotrial db``: create or migrate a database, grant the PostgreSQL application role."""

from __future__ import annotations

from typing import Annotated

import typer

from oncotrial.cli._options import DbOption
from oncotrial.services.database import grant_role, resolve_db_url, upgrade_database

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


@app.command("upgrade")
def upgrade_command(db: DbOption = None) -> None:
    """Create the database or migrate it to the newest schema."""
    revision = upgrade_database(resolve_db_url(db))
    typer.echo(f"database at revision {revision}")


@app.command("grant")
def grant_command(
    role: Annotated[str, typer.Option("--role", help="Existing PostgreSQL role of the app.")],
    db: DbOption = None,
) -> None:
    """PostgreSQL: grant ROLE exactly what the application needs (the change log append-only,
    no DELETE anywhere); run it again after every `db upgrade`."""
    grant_role(resolve_db_url(db), role)
    typer.echo(f"granted {role}: SELECT/INSERT/UPDATE on the casebook, SELECT/INSERT on "
               "audit_log, sequences; no DELETE, TRUNCATE or DDL")
