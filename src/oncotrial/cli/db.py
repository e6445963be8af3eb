"""``oncotrial db``: create or migrate a database, grant the PostgreSQL application role."""

from __future__ import annotations

from typing import Annotated

import typer

from oncotrial.services.database import DEFAULT_DB_URL, grant_role, upgrade_database

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

DbOption = Annotated[str, typer.Option("--db", help="SQLAlchemy URL (SQLite file or PostgreSQL).")]


@app.command("upgrade")
def upgrade_command(db: DbOption = DEFAULT_DB_URL) -> None:
    """Create the database or migrate it to the newest schema."""
    revision = upgrade_database(db)
    typer.echo(f"database at revision {revision}")


@app.command("grant")
def grant_command(
    role: Annotated[str, typer.Option("--role", help="Existing PostgreSQL role of the app.")],
    db: DbOption = DEFAULT_DB_URL,
) -> None:
    """PostgreSQL: let ROLE read/write the casebook but only append to the change log."""
    grant_role(db, role)
    typer.echo(f"granted {role}: no UPDATE/DELETE on audit_log")
