"""``oncotrial serve``: the web EDC (uvicorn) on SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from oncotrial.errors import DataError

app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)  # help: cli.COMMANDS
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve(
    *,
    db: Annotated[str, typer.Option("--db", envvar="ONCOTRIAL_DB_URL",
                                    help="Database URL (or ONCOTRIAL_DB_URL).")
                  ] = "sqlite:///oncotrial.db",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The casebook's 'today' (YYYY-MM-DD) for a virtual trial.")] = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", help="Protocol file.")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="Server processes (up to one per CPU core the server "
        "may use).")] = 1,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Send cookies over plain HTTP to a non-local host (only "
        "behind a trusted proxy that adds TLS).")] = False,
) -> None:
    """Serve the web EDC and the JSON API (http://HOST:PORT)."""
    if as_of is not None:
        try:
            date.fromisoformat(as_of)
        except ValueError:
            raise DataError("not a date", field="--as-of", value=as_of,
                            allowed="YYYY-MM-DD") from None
    if protocol is not None and not protocol.is_file():
        raise DataError("protocol file not found", field="--protocol", value=str(protocol))
    if db.startswith("sqlite:///") and not Path(db.removeprefix("sqlite:///")).is_file():
        raise DataError("no database file there; create it with `oncotrial db upgrade` or run "
                        "`make demo`", field="--db", value=db)
    os.environ["ONCOTRIAL_DB_URL"] = db
    for name, value in (("ONCOTRIAL_AS_OF", as_of),
                        ("ONCOTRIAL_PROTOCOL", None if protocol is None else str(protocol))):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if insecure_cookies:
        os.environ["ONCOTRIAL_INSECURE_COOKIES"] = "1"
    if host not in _LOOPBACK and not insecure_cookies:
        typer.echo("note: cookies are Secure: put a TLS proxy in front of a non-local host",
                   err=True)
    import uvicorn

    os.environ["ONCOTRIAL_SERVER_GC"] = "1"
    typer.echo(f"oncotrial web EDC on http://{host}:{port} (database {db.split('@')[-1]})")
    uvicorn.run("oncotrial.web:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=False)
