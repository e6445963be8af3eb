"""Options shared by the commands that open the trial database."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["DbOption"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL (SQLite file or PostgreSQL). Default: $ONCOTRIAL_DB_URL, else the "
        "first line of the file named by $ONCOTRIAL_DB_URL_FILE, else sqlite:///oncotrial.db. "
        "Prefer those two for a URL with a password (not visible in ps or the shell history).",
        show_default=False,
    ),
]
