"""The one place the CLI maps errors to messages and exit codes.

- An :class:`OncotrialError` (bad input, a rule that cannot apply) prints ``error: message``,
  one line per message, and exits 1.
- Any other exception is a defect or an unforeseen input: the user sees one line saying what
  failed (the command, the step and dataset or subject the code named with
  :func:`oncotrial.errors.failure_context`, the exception) and the path of a log file that holds
  the traceback; ``oncotrial --debug …`` prints the traceback as well. Exit code 1.
- Ctrl-C prints ``interrupted`` and exits 130 (the shell convention).

The log folder is ``$ONCOTRIAL_LOG_DIR`` when set, else ``oncotrial-logs`` in the system's
temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import typer

import oncotrial
from oncotrial.errors import OncotrialError

__all__ = ["DEBUG_OPTION", "EXIT_ERROR", "EXIT_INTERRUPTED", "log_folder", "run"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
DEBUG_OPTION = "--debug"
LOG_DIR_ENV = "ONCOTRIAL_LOG_DIR"


def log_folder() -> Path:
    """Where tracebacks of unexpected errors are written."""
    configured = os.environ.get(LOG_DIR_ENV)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "oncotrial-logs"


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _command(argv: list[str], groups: frozenset[str]) -> str:
    """``oncotrial derive`` or, for a command group, ``oncotrial recist assess``."""
    first = _first_command(argv)
    words = argv[first: first + 1]
    if words and words[0] in groups and first + 1 < len(argv):
        following = argv[first + 1]
        if not following.startswith("-"):
            words.append(following)
    return " ".join(["oncotrial", *words])


def _write_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the traceback of *exc* to a new log file; ``None`` if no log can be written."""
    folder = log_folder()
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f"oncotrial-{stamp}-", suffix=".log", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as log:
            log.write(f"oncotrial {oncotrial.__version__}\n")
            log.write(f"command: oncotrial {' '.join(argv)}\n\n")
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return Path(name)


def _report_unexpected(
    exc: Exception, argv: list[str], *, debug: bool, groups: frozenset[str]
) -> None:
    notes = "; ".join(_one_line(n) for n in getattr(exc, "__notes__", ()))
    where = f" while {notes}" if notes else ""
    message = _one_line(str(exc)) or "(no message)"
    log = _write_log(exc, argv)
    detail = f"traceback in {log}" if log else "no log could be written"
    hint = "" if debug else f"; add {DEBUG_OPTION} after oncotrial to print it"
    what = f"{_command(argv, groups)} failed{where}"
    sys.stderr.write(f"error: {what}: {type(exc).__name__}: {message} ({detail}{hint})\n")
    if debug:
        traceback.print_exception(exc, file=sys.stderr)


def run(
    app: typer.Typer, argv: list[str] | None = None, *, groups: frozenset[str] = frozenset()
) -> None:
    """Run *app* on *argv* (default: the process arguments) and map every error to a message
    and an exit code, as the module docstring describes. *groups* are the command names that
    have subcommands (to name ``recist assess`` rather than ``recist`` in a message)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_OPTION in args[: _first_command(args)]
    try:
        app(args=args, prog_name="oncotrial")
    except OncotrialError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            if line.strip():
                sys.stderr.write(f"error: {line.strip()}\n")
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from exc
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # the CLI's last line: no traceback reaches a user
        _report_unexpected(exc, args, debug=debug, groups=groups)
        raise SystemExit(EXIT_ERROR) from None


def _first_command(args: list[str]) -> int:
    """Index of the first argument that is not a root option (the command name)."""
    for index, arg in enumerate(args):
        if not arg.startswith("-"):
            return index
    return len(args)
