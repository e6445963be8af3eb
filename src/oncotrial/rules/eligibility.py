"""Eligibility: screening data against the protocol's machine-checkable criteria.

Every criterion is evaluated; the result lists each one as pass, fail, missing or
unevaluable (wrong type or unit), so a screening form can show every problem at once. A
measured value must carry its unit; values in another unit of the same analyte are converted
(:func:`oncotrial.rules.units.convert_unit`); anything else is reported, never guessed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oncotrial.errors import RuleError
from oncotrial.protocol import Criterion, Protocol
from oncotrial.rules.units import convert_unit, normalize_unit

__all__ = [
    "CriterionResult",
    "EligibilityResult",
    "Measured",
    "Screening",
    "evaluate_eligibility",
]

Status = Literal["pass", "fail", "missing", "unevaluable"]
Scalar = bool | int | float | str

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Units where a bare number is unambiguous (counts and ages are never converted).
_BARE_NUMBER_UNITS = frozenset({"years"})


class Measured(BaseModel):
    """A measured screening value with its unit (and ULN for × ULN criteria)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    unit: str
    uln: float | None = Field(default=None, gt=0)


class Screening(BaseModel):
    """One subject's screening data, keyed by the criterion ``field`` names of the protocol."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str | None = None
    values: dict[str, Measured | Scalar]


@dataclass(frozen=True)
class CriterionResult:
    """The verdict on one criterion."""

    id: str
    kind: str
    text: str
    status: Status
    reason: str


@dataclass(frozen=True)
class EligibilityResult:
    """Eligible only if every criterion passes; otherwise the failing and missing ones."""

    subject: str | None
    eligible: bool
    results: tuple[CriterionResult, ...]

    @property
    def failed(self) -> tuple[str, ...]:
        """Ids of criteria that are not met."""
        return tuple(r.id for r in self.results if r.status == "fail")

    @property
    def missing(self) -> tuple[str, ...]:
        """Ids of criteria with no data, or data that cannot be evaluated."""
        return tuple(r.id for r in self.results if r.status in ("missing", "unevaluable"))


def _fmt(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number_for(crit: Criterion, raw: Measured | Scalar) -> tuple[float | None, str]:
    """The number to compare for a numeric criterion, or None with the reason."""
    if isinstance(raw, Measured):
        if crit.basis == "xULN":
            if raw.uln is None:
                return None, "× ULN criterion needs the ULN with the value"
            return raw.value / raw.uln, ""
        if crit.unit is None:
            return raw.value, ""
        return _convert(crit, raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None, f"expected a number, got {raw!r}"
    if crit.basis == "xULN":
        return None, "× ULN criterion needs {value, unit, uln}"
    if crit.unit is not None and crit.unit not in _BARE_NUMBER_UNITS:
        return None, f"value needs its unit (criterion unit {crit.unit})"
    return float(raw), ""


def _convert(crit: Criterion, raw: Measured) -> tuple[float | None, str]:
    assert crit.unit is not None
    if raw.unit == crit.unit:  # same spelling: no conversion, even for units outside the table
        return raw.value, ""
    try:
        if normalize_unit(raw.unit) == normalize_unit(crit.unit):
            return raw.value, ""
        if crit.analyte is None:
            return None, f"unit {raw.unit!r} is not the criterion unit {crit.unit!r}"
        return convert_unit(raw.value, raw.unit, crit.unit, analyte=crit.analyte), ""
    except RuleError as exc:
        return None, str(exc)


def _compare(crit: Criterion, raw: Measured | Scalar) -> tuple[Status, str]:
    if crit.op in _NUMERIC_OPS:
        number, why = _number_for(crit, raw)
        if number is None:
            return "unevaluable", why
        limit = float(crit.value)  # type: ignore[arg-type]  # validated numeric on load
        ok = _NUMERIC_OPS[crit.op](round(number, 9), limit)
        suffix = " × ULN" if crit.basis == "xULN" else (f" {crit.unit}" if crit.unit else "")
        detail = f"{number:.4g}{suffix} {crit.op} {_fmt(limit)}{suffix}"
        return ("pass", detail) if ok else ("fail", f"not {detail}")
    if isinstance(raw, Measured):
        return "unevaluable", f"expected {crit.value!r}, got a measurement"
    if crit.op in ("in", "not_in"):
        allowed = crit.value if isinstance(crit.value, list) else [crit.value]
        inside = str(raw) in [str(v) for v in allowed]
        ok = inside if crit.op == "in" else not inside
        detail = f"{raw!r} {crit.op.replace('_', ' ')} {allowed}"
        return ("pass", detail) if ok else ("fail", f"not {detail}")
    if type(raw) is not type(crit.value):
        return "unevaluable", f"expected a {type(crit.value).__name__}, got {raw!r}"
    ok = (raw == crit.value) if crit.op == "==" else (raw != crit.value)
    detail = f"{crit.field} {crit.op} {crit.value!r} (got {raw!r})"
    return ("pass", detail) if ok else ("fail", f"not {detail}")


def evaluate_eligibility(screening: Screening, *, protocol: Protocol) -> EligibilityResult:
    """Evaluate every eligibility criterion of *protocol* on *screening*.

    Parameters
    ----------
    screening
        Values keyed by criterion field; measured values as ``{value, unit[, uln]}``.
    protocol
        Supplies the criteria (id, kind, text, field, operator, value, unit, basis, source).

    Returns
    -------
    EligibilityResult
        ``eligible`` is true only if every criterion passes; ``results`` lists each criterion
        with its status and reason; ``failed`` and ``missing`` list the ids to resolve.

    Examples
    --------
    An absolute neutrophil count of 1.2 × 10⁹/L fails LEADER's INC-06 (≥ 1.5 × 10⁹/L); the
    criteria without a value are listed as missing, not passed.

    >>> from oncotrial.protocol import load_protocol
    >>> from oncotrial.rules import Measured, Screening, evaluate_eligibility
    >>> screening = Screening(values={
    ...     "histology": "LMS", "age_years": 56, "anc": Measured(value=1.2, unit="10^9/L")})
    >>> result = evaluate_eligibility(screening, protocol=load_protocol())
    >>> result.eligible, result.failed, len(result.missing)
    (False, ('INC-06',), 17)
    >>> [c.reason for c in result.results if c.id == "INC-06"]
    ['not 1.2 10^9/L >= 1.5 10^9/L']
    """
    results = []
    for crit in protocol.eligibility:
        raw = screening.values.get(crit.field)
        if raw is None:
            status: Status = "missing"
            reason = f"no value for {crit.field!r}"
        else:
            status, reason = _compare(crit, raw)
        results.append(CriterionResult(crit.id, crit.kind, crit.text, status, reason))
    eligible = all(r.status == "pass" for r in results)
    return EligibilityResult(screening.subject, eligible, tuple(results))
