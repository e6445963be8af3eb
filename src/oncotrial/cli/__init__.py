"""The ``oncotrial`` command: a thin Typer adapter over the services and pure layers.

Each command group lives in its own module, listed in :data:`COMMANDS`. A module is imported
only when its command runs (or its own ``--help`` is asked for), so ``oncotrial --help`` and a
single decision start at once: nothing here imports pandas, SQLAlchemy, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from oncotrial.cli import _errors

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter

__all__ = ["COMMANDS", "app", "load_command", "main"]


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a command lives: ``module.attr`` is a Typer group (``app``) or a function."""

    module: str
    attr: str
    help: str


# Keep sorted. ``help`` is the line `oncotrial --help` shows; for a group it is also the
# group's own help, for a single command it must equal the function's docstring first line.
COMMANDS: dict[str, Entry] = {
    "audit": Entry("oncotrial.cli.audit", "app", "Audit trail checks."),
    "ctcae": Entry("oncotrial.cli.ctcae", "app",
                   "Grade lab values and vital signs by CTCAE v5.0."),
    "db": Entry("oncotrial.cli.db", "app", "Create, migrate and secure the trial database."),
    "demo": Entry("oncotrial.cli.demo", "demo", "Simulate LEADER, enter it through the services, "
                  "export SDTM, derive ADaM, estimate."),
    "derive": Entry("oncotrial.cli.derive", "derive",
                    "Derive the ADaM datasets from SDTM and write them as XPT v5 and CSV."),
    "design": Entry("oncotrial.cli.design", "app", "Trial designs: Simon two-stage, BOIN, 3+3."),
    "dose": Entry("oncotrial.cli.dose", "app",
                  "Dose decisions from the protocol's dose-modification rules."),
    "export": Entry("oncotrial.cli.export", "app", "Export the trial database."),
    "nanostring": Entry("oncotrial.cli.nanostring", "app",
                        "NanoString nCounter QC, normalisation and immune scores."),
    "odm": Entry("oncotrial.cli.odm", "app",
                 "CDISC ODM 1.3.2 interchange of the trial database."),
    "protocol": Entry("oncotrial.cli.protocol", "app", "Check and show trial protocol files."),
    "recist": Entry("oncotrial.cli.recist", "app",
                    "RECIST 1.1 response evaluation from lesion measurements."),
    "report": Entry("oncotrial.cli.report", "report",
                    "Write report.html, a paginated report.pdf and numbered TLFs (RTF, CSV)."),
    "serve": Entry("oncotrial.cli.serve", "serve",
                   "Serve the web EDC and the JSON API (http://HOST:PORT)."),
    "sim": Entry("oncotrial.cli.sim", "app",
                 "Virtual LEADER trials: calibration and operating characteristics."),
    "survival": Entry("oncotrial.cli.survival", "app",
                      "Survival estimates: Kaplan-Meier, log-rank."),
    "user": Entry("oncotrial.cli.user", "app",
                  "Accounts, sites and roles (as an authenticated administrator)."),
    "validate": Entry("oncotrial.cli.validate", "validate",
                      "Check SDTM and ADaM folders against the conformance rules that matter "
                      "most."),
}


def load_command(name: str) -> Command:
    """Import the module of command *name* and build its click command."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attr)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.help = entry.help
        command: Command = group
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyCommands(Mapping[str, "Command"]):
    """The command table: names are known up front, a command is built on first lookup."""

    def __init__(self) -> None:
        self._loaded: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class _LazyGroup(TyperGroup):
    """A Typer group whose subcommands import on demand; the listing needs no import."""

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.commands = _LazyCommands()  # type: ignore[assignment]

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """List every command with its one-line help, without importing any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.help) for name, entry in COMMANDS.items()])


# Plain (non-rich) help: rich's help renderer alone costs more than the rest of start-up.
app = typer.Typer(
    name="oncotrial",
    cls=_LazyGroup,
    help="Run a single-arm phase Ib/II oncology trial from protocol to published analysis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    debug: bool = typer.Option(  # read by _errors.run from the arguments
        False, _errors.DEBUG_OPTION,
        help="Print the full traceback of an unexpected error (it is always logged)."),
) -> None:
    """Run a single-arm phase Ib/II oncology trial from protocol to published analysis."""
    del debug  # _errors.run reads it from the arguments, before any command runs


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app; errors become one line on stderr and exit code 1."""
    groups = frozenset(name for name, entry in COMMANDS.items() if entry.attr == "app")
    _errors.run(app, argv, groups=groups)
