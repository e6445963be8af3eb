"""``oncotrial export sdtm``: the store as SDTM XPT v5 + CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncotrial.cli._options import DbOption, UserOption, password
from oncotrial.protocol import load_protocol
from oncotrial.services.database import export_sdtm_from, resolve_db_url

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS


@app.command("sdtm")
def sdtm_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for the SDTM files.")],
    user: UserOption,
    db: DbOption = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", help="Protocol YAML.")] = None,
) -> None:
    """Write DM, DS, EX, AE, LB, VS, TU, TR, RS, SV and CM as XPT v5 and CSV."""
    written = export_sdtm_from(resolve_db_url(db), out, username=user,
                               password=password(f"Password for {user}"),
                               protocol=load_protocol(protocol))
    typer.echo(f"wrote {len(written)} files to {out}")
