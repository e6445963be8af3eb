"""Read and validate protocol files; every problem is reported with its location."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from oncotrial._yaml import YAMLError, read_yaml
from oncotrial.errors import ProtocolError
from oncotrial.protocol.edc import EdcDefinition
from oncotrial.protocol.models import (
    Assessment,
    Criterion,
    Drug,
    PhaseIb,
    PhaseII,
    Population,
    Protocol,
    ProtocolParts,
    RecistParameters,
    find_section_problems,
)

__all__ = ["LEADER_PROTOCOL", "format_location", "load_protocol", "read_protocol_problems"]

LEADER_PROTOCOL = "leader.yaml"


def format_location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as ``drugs[1].dose_levels[2]``.

    Parameters
    ----------
    loc
        The location parts: field names and list indices.

    Returns
    -------
    str
        Names joined by ``.``, indices in brackets; ``(protocol)`` for the empty location
        (a problem of the whole file).

    Examples
    --------
    >>> from oncotrial.protocol.loader import format_location
    >>> format_location(("drugs", 1, "dose_levels", 2))
    'drugs[1].dose_levels[2]'
    >>> format_location(())
    '(protocol)'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(protocol)"


def _error_lines(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        cause = ctx.get("error")
        if err["type"] == "value_error" and cause is not None and not err["loc"]:
            # Cross-field checks already carry their own "location: problem" lines.
            lines.extend(str(cause).splitlines())
            continue
        lines.append(f"{format_location(tuple(err['loc']))}: {err['msg']}")
    return lines


def _section(raw: dict[str, Any], key: str, adapter: TypeAdapter[Any]) -> Any:
    try:
        return adapter.validate_python(raw.get(key))
    except ValidationError:
        return None


def _section_problems(raw: dict[str, Any]) -> list[str]:
    """Cross-field problems among the sections that parse on their own."""
    parts = ProtocolParts(
        cycle_length_days=_section(raw, "cycle_length_days", TypeAdapter(int)),
        drugs=_section(raw, "drugs", TypeAdapter(list[Drug])),
        phase_ib=_section(raw, "phase_ib", TypeAdapter(PhaseIb)),
        phase_ii=_section(raw, "phase_ii", TypeAdapter(PhaseII)),
        eligibility=_section(raw, "eligibility", TypeAdapter(list[Criterion])),
        edc=_section(raw, "edc", TypeAdapter(EdcDefinition)),
        population=_section(raw, "population", TypeAdapter(Population)),
        recist=_section(raw, "recist", TypeAdapter(RecistParameters)),
        schedule=_section(raw, "schedule", TypeAdapter(list[Assessment])),
    )
    return find_section_problems(parts)


def _read_yaml(path: Path | None) -> tuple[str, Any]:
    if path is None:
        ref = resources.files("oncotrial.protocol").joinpath("protocols", LEADER_PROTOCOL)
        return f"<shipped {LEADER_PROTOCOL}>", read_yaml(ref.read_text(encoding="utf-8"))
    if not path.is_file():
        raise ProtocolError(f"{path}: protocol file not found")
    try:
        return str(path), read_yaml(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise ProtocolError(f"{path}: not valid YAML: {exc}") from exc


def read_protocol_problems(path: Path | None = None) -> tuple[Protocol | None, list[str]]:
    """Parse *path* and return ``(protocol or None, problems)`` without raising on bad content.

    The problem list is empty exactly when the protocol is valid.

    Parameters
    ----------
    path
        A YAML protocol file, or ``None`` for the shipped ``protocols/leader.yaml``.

    Returns
    -------
    tuple of (Protocol or None, list of str)
        The validated protocol and ``[]``, or ``None`` and every problem found as
        ``"location: problem"`` lines: structural errors first, then the cross-field problems
        of the sections that parse on their own.

    Raises
    ------
    ProtocolError
        When the file does not exist or is not valid YAML (there is no content to check).
    """
    name, raw = _read_yaml(path)
    if not isinstance(raw, dict):
        return None, [f"(protocol): {name} must hold a mapping, got {type(raw).__name__}"]
    try:
        return Protocol.model_validate(raw), []
    except ValidationError as exc:
        lines = _error_lines(exc)
    # Structural errors stop the model's own cross-field check: run it on the sections that
    # parse, so every problem is reported in one pass.
    lines += [line for line in _section_problems(raw) if line not in lines]
    return None, lines


def load_protocol(path: Path | None = None) -> Protocol:
    """Load and validate a protocol file (``None`` = the shipped LEADER protocol).

    Parameters
    ----------
    path
        A YAML protocol file, or ``None`` for ``protocols/leader.yaml``.

    Returns
    -------
    Protocol
        The frozen, validated protocol.

    Raises
    ------
    ProtocolError
        Listing every problem found, one per line, each prefixed with its location.
    """
    protocol, problems = read_protocol_problems(path)
    if protocol is None:
        where = "shipped LEADER protocol" if path is None else str(path)
        listing = "\n".join(f"  {p}" for p in problems)
        raise ProtocolError(f"{where}: {len(problems)} problem(s)\n{listing}")
    return protocol
