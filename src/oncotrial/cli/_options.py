"""Options shared by the commands that open the trial database."""

from __future__ import annotations

import os
from typing import Annotated

import typer

__all__ = ["DbOption", "UserOption", "password"]

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

UserOption = Annotated[
    str,
    typer.Option(
        "--user",
        help="The user running the command (audited; their site access applies). Their "
        "password is asked for, or read from $ONCOTRIAL_PASSWORD.",
    ),
]


def password(prompt: str = "Password", *, env: str = "ONCOTRIAL_PASSWORD",
             confirm: bool = False) -> str:
    """A password from *env* if set (scripts, CI), else asked on the terminal without echo."""
    value = os.environ.get(env)
    if value:
        return value
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))
