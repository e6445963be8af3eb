"""The ``oncotrial`` command: a thin Typer adapter over the services and pure layers.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import typer

from oncotrial.cli import _errors

__all__ = ["app", "main"]

app = typer.Typer(
    name="oncotrial",
    help="Run a single-arm phase Ib/II oncology trial from protocol to published analysis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Command groups (one module each). Keep this list sorted.
from oncotrial.cli import audit as _audit  # noqa: E402  (groups register after app exists)
from oncotrial.cli import ctcae as _ctcae  # noqa: E402  (groups register after app exists)
from oncotrial.cli import db as _db  # noqa: E402  (groups register after app exists)
from oncotrial.cli import demo as _demo  # noqa: E402  (groups register after app exists)
from oncotrial.cli import derive as _derive  # noqa: E402  (groups register after app exists)
from oncotrial.cli import design as _design  # noqa: E402  (groups register after app exists)
from oncotrial.cli import dose as _dose  # noqa: E402  (groups register after app exists)
from oncotrial.cli import export as _export  # noqa: E402  (groups register after app exists)
from oncotrial.cli import nanostring as _nanostring  # noqa: E402  (groups register after app exists)
from oncotrial.cli import odm as _odm  # noqa: E402  (groups register after app exists)
from oncotrial.cli import protocol as _protocol  # noqa: E402  (groups register after app exists)
from oncotrial.cli import recist as _recist  # noqa: E402  (groups register after app exists)
from oncotrial.cli import report as _report  # noqa: E402  (groups register after app exists)
from oncotrial.cli import sim as _sim  # noqa: E402  (groups register after app exists)
from oncotrial.cli import survival as _survival  # noqa: E402  (groups register after app exists)

app.add_typer(_audit.app, name="audit")
app.add_typer(_ctcae.app, name="ctcae")
app.add_typer(_db.app, name="db")
app.command("demo")(_demo.demo)
app.command("derive")(_derive.derive)
app.add_typer(_design.app, name="design")
app.add_typer(_export.app, name="export")
app.add_typer(_dose.app, name="dose")
app.add_typer(_nanostring.app, name="nanostring")
app.add_typer(_odm.app, name="odm")
app.add_typer(_protocol.app, name="protocol")
app.add_typer(_recist.app, name="recist")
app.command("report")(_report.report)
app.add_typer(_sim.app, name="sim")
app.add_typer(_survival.app, name="survival")


def main() -> None:
    """Console entry point: run the app and turn oncotrial errors into exit code 1."""
    _errors.run(app)
