"""``oncotrial dose decide STATE.json|STATES.jsonl`` and ``oncotrial dose schema``.

One state (a ``.json`` file) prints one decision as indented JSON. Many states, one JSON object
per line (a ``.jsonl``/``.ndjson`` file, or ``-`` for standard input), print one decision per
line in the same order, so a site system can send a day's decisions in one call. A bad line is
reported on stderr with its line number, subject and visit, and its output line is
``{"line": N, "error": "..."}``; the other lines are still decided, unless ``--strict``, which
stops at the first bad line with exit code 1 before anything is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncotrial.errors import DataError, OncotrialError

if TYPE_CHECKING:
    from oncotrial.protocol import Protocol
    from oncotrial.rules.dosing import DoseState

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

BATCH_SUFFIXES = (".jsonl", ".ndjson")


def _subject_visit(raw: object) -> tuple[str | None, str | None]:
    """The subject and visit (cycle C day D) a raw state names, as far as it names them."""
    if not isinstance(raw, dict):
        return None, None
    subject = raw.get("subject")
    visit = " ".join(f"{key} {raw[key]}" for key in ("cycle", "day") if raw.get(key) is not None)
    return (None if subject is None else str(subject)), (visit or None)


def _problem(error: Mapping[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(state)"
    value = error.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {error['msg']}{shown}"


def _parse_state(text: str, label: str = "") -> DoseState:
    from pydantic import ValidationError

    from oncotrial.rules.dosing import DoseState

    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{label}{': ' if label else ''}not valid JSON ({exc.msg} at line "
                        f"{exc.lineno} column {exc.colno})") from exc
    try:
        return DoseState.model_validate(raw)
    except ValidationError as exc:
        subject, visit = _subject_visit(raw)
        problems = "; ".join(_problem(e) for e in exc.errors(include_url=False))
        raise DataError(f"{label}{': ' if label else ''}invalid dose state: {problems}",
                        subject=subject, visit=visit) from exc


class _Protocols:
    """Protocols by the path a state names (relative to the input's folder), loaded once."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._loaded: dict[Path | None, Protocol] = {}

    def for_state(self, state: DoseState) -> Protocol:
        from oncotrial.protocol import load_protocol

        path = None
        if state.protocol is not None:
            path = Path(state.protocol)
            if not path.is_absolute():
                path = self._base / path
        if path not in self._loaded:
            self._loaded[path] = load_protocol(path)
        return self._loaded[path]


def _decide(state: DoseState, protocols: _Protocols) -> dict[str, Any]:
    from oncotrial.rules.dosing import decide_dose

    return decide_dose(state, protocol=protocols.for_state(state)).to_dict()


def _lines(source: Path) -> Iterator[tuple[int, str]]:
    text = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _decide_batch(source: Path, *, strict: bool) -> tuple[list[str], int]:
    """One output line per input line; the number of bad lines."""
    protocols = _Protocols(Path.cwd() if str(source) == "-" else source.parent)
    out: list[str] = []
    bad = 0
    for number, line in _lines(source):
        try:
            decision = _decide(_parse_state(line), protocols)
        except OncotrialError as exc:
            message = f"line {number}: {exc}"
            if strict:
                raise DataError(message) from exc
            typer.echo(message, err=True)
            bad += 1
            out.append(json.dumps({"line": number, "error": message}, ensure_ascii=False))
            continue
        out.append(json.dumps(decision, ensure_ascii=False))
    return out, bad


@app.command("decide")
def decide(
    state_file: Annotated[Path, typer.Argument(
        metavar="STATE.json|STATES.jsonl",
        help="One dose state (see `dose schema`), or one state per line (.jsonl, - = stdin).")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the decision(s) here (default: stdout).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Many states: stop at the first bad line with exit code 1.")] = False,
) -> None:
    """Print the dose decision for each state as JSON (one line per state for .jsonl)."""
    batch = str(state_file) == "-" or state_file.suffix.lower() in BATCH_SUFFIXES
    if str(state_file) != "-" and not state_file.is_file():
        raise DataError("state file not found", field="STATE", value=str(state_file),
                        allowed="an existing .json file, a .jsonl file or - for stdin")
    if batch:
        lines, bad = _decide_batch(state_file, strict=strict)
        text = "".join(f"{line}\n" for line in lines)
    else:
        protocols = _Protocols(state_file.parent)
        state = _parse_state(state_file.read_text(encoding="utf-8"), str(state_file))
        text = json.dumps(_decide(state, protocols), indent=2, ensure_ascii=False) + "\n"
        bad = 0
    if out is None:
        sys.stdout.write(text)
        return
    from oncotrial._outputs import atomic_file

    with atomic_file(out) as temp:
        temp.write_text(text, encoding="utf-8")
    if batch:
        typer.echo(f"{len(lines)} state(s) decided into {out}; {bad} bad line(s)", err=True)


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of STATE.json (generated from the DoseState model)."""
    from oncotrial.rules.dosing import DoseState

    typer.echo(json.dumps(DoseState.model_json_schema(), indent=2, ensure_ascii=False))
