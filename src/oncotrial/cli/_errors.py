"""The one place the CLI maps oncotrial errors to messages and exit codes."""

from __future__ import annotations

import sys

import typer

from oncotrial.errors import OncotrialError

__all__ = ["run"]

EXIT_ERROR = 1


def run(app: typer.Typer) -> None:
    """Run *app*; an :class:`OncotrialError` prints ``error: message`` and exits 1."""
    try:
        app()
    except OncotrialError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(EXIT_ERROR) from exc
