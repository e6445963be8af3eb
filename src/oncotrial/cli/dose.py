"""``oncotrial dose decide STATE.json`` and ``oncotrial dose schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from oncotrial.errors import DataError
from oncotrial.protocol import load_protocol
from oncotrial.rules import DoseState, decide_dose

__all__ = ["app"]

app = typer.Typer(
    help="Dose decisions from the protocol's dose-modification rules.", no_args_is_help=True
)


def _read_state(path: Path) -> DoseState:
    if not path.is_file():
        raise DataError("state file not found", field="STATE", value=str(path))
    try:
        return DoseState.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(state)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise DataError(f"{path}: invalid dose state: {problems}") from exc


@app.command("decide")
def decide(
    state_file: Annotated[
        Path, typer.Argument(metavar="STATE.json", help="Dose state (see `dose schema`).")
    ],
) -> None:
    """Print the dose decision for the state in STATE.json as JSON."""
    state = _read_state(state_file)
    protocol_path = None
    if state.protocol is not None:
        protocol_path = Path(state.protocol)
        if not protocol_path.is_absolute():
            protocol_path = state_file.parent / protocol_path
    protocol = load_protocol(protocol_path)
    decision = decide_dose(state, protocol=protocol)
    typer.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of STATE.json (generated from the DoseState model)."""
    typer.echo(json.dumps(DoseState.model_json_schema(), indent=2, ensure_ascii=False))
