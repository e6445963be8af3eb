"""``oncotrial user``: accounts and sites, as an authenticated administrator.

Every command but ``roles`` and ``first-admin`` names the administrator running it (``--as``)
and asks for their password (or reads ``ONCOTRIAL_PASSWORD``); new passwords are asked twice
(or read from ``ONCOTRIAL_NEW_PASSWORD``). Nothing is shown back.
"""

from __future__ import annotations

from typing import Annotated

import typer

from oncotrial.cli._options import password
from oncotrial.errors import DataError

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

DbOption = Annotated[str, typer.Option("--db", envvar="ONCOTRIAL_DB_URL",
                                       help="Database URL (or ONCOTRIAL_DB_URL).")]
AsOption = Annotated[str, typer.Option("--as", help="The administrator running the command.")]
DEFAULT_DB = "sqlite:///oncotrial.db"


def _admin_password() -> str:
    return password("Your password", env="ONCOTRIAL_PASSWORD")


def _new_password() -> str:
    return password("New password", env="ONCOTRIAL_NEW_PASSWORD", confirm=True)


def _site_roles(values: list[str]) -> tuple[list[str], dict[str, str]]:
    plain, other = [], {}
    for value in values:
        code, _, role = value.partition(":")
        if not code:
            raise DataError("not a site", field="--site", value=value,
                            allowed="CODE or CODE:ROLE")
        if role:
            other[code] = role
        else:
            plain.append(code)
    return plain, other


@app.command("first-admin")
def first_admin(username: str, name: Annotated[str, typer.Option("--name")],
                db: DbOption = DEFAULT_DB) -> None:
    """Create the first administrator of an empty database."""
    from oncotrial.services.accounts import create_first_admin

    create_first_admin(db, username, full_name=name, password=_new_password())
    typer.echo(f"administrator {username} created")


@app.command("add")
def add(
    username: str, *, name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[str, typer.Option("--role", help="coordinator, investigator, monitor, "
                                      "data_manager, statistician or admin.")],
    as_user: AsOption,
    site: Annotated[list[str] | None, typer.Option(
        "--site", help="A site code, or CODE:ROLE for another role there; repeat.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create a user (they change the first password at first sign-in)."""
    from oncotrial.services.accounts import add_user, as_admin

    sites, roles = _site_roles(site or [])
    password = _admin_password()
    new = _new_password()
    with as_admin(db, as_user, password) as unit:
        add_user(unit, username, full_name=name, role=role, password=new, sites=sites,
                 site_roles=roles)
    typer.echo(f"user {username} created")


@app.command("disable")
def disable(username: str, reason: Annotated[str, typer.Option("--reason")], as_user: AsOption,
            db: DbOption = DEFAULT_DB) -> None:
    """Disable a user and end their sessions and API tokens."""
    from oncotrial.services.accounts import as_admin, disable_user

    with as_admin(db, as_user, _admin_password()) as unit:
        ended = disable_user(unit, username, reason=reason)
    typer.echo(f"user {username} disabled; {ended} session(s) and token(s) ended")


@app.command("reset-password")
def reset(username: str, as_user: AsOption, db: DbOption = DEFAULT_DB) -> None:
    """Set a new password that the user must change at next sign-in."""
    from oncotrial.services.accounts import as_admin, reset_password

    password = _admin_password()
    new = _new_password()
    with as_admin(db, as_user, password) as unit:
        reset_password(unit, username, password=new)
    typer.echo(f"password of {username} reset; it must be changed at next sign-in")


@app.command("list")
def list_users(as_user: AsOption, db: DbOption = DEFAULT_DB) -> None:
    """Every account with role, state and sites."""
    from rich.console import Console
    from rich.table import Table

    from oncotrial.services.accounts import as_admin, list_accounts

    with as_admin(db, as_user, _admin_password()) as unit:
        users = list_accounts(unit)
    table = Table(title="Accounts")
    for column in ("user", "name", "role", "sites (role there)", "state"):
        table.add_column(column)
    for u in users:
        table.add_row(u.username, u.full_name, u.role,
                      ", ".join(f"{c} ({r})" for c, r in u.sites),
                      "active" if u.active else "disabled")
    Console().print(table)


@app.command("site")
def add_site(code: str, name: Annotated[str, typer.Option("--name")], as_user: AsOption,
             db: DbOption = DEFAULT_DB) -> None:
    """Create a site."""
    from oncotrial.services.accounts import add_site as create
    from oncotrial.services.accounts import as_admin

    with as_admin(db, as_user, _admin_password()) as unit:
        create(unit, code, name=name)
    typer.echo(f"site {code} created")


@app.command("roles")
def roles() -> None:
    """Print who may do what (the permission table the services enforce) as Markdown."""
    from oncotrial.services.permissions import permission_table

    rows = permission_table()
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    typer.echo("\n".join(lines))
