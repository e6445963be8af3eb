"""Values typed into a form, checked against the protocol's field definitions.

Every field of a submission is checked and every problem reported at once, beside its field:
the type (a date, a partial ISO 8601 date, a number, a whole number, one of the choices), the
range, the length, whether it is required — a field hidden by skip logic is neither required
nor stored. A date may not lie in the future (nothing in a casebook happens tomorrow) nor
before 1900.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from oncotrial.protocol.edc import FormField

__all__ = [
    "FieldProblem",
    "ParsedForm",
    "parse_fields",
    "parse_partial_date",
    "visible_fields",
]

Value = date | str | float | int | bool | None
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_EARLIEST = date(1900, 1, 1)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = ("true", "yes", "y", "1", "on")
_FALSE = ("false", "no", "n", "0", "off")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field, worded for the person at the keyboard."""

    field: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedForm:
    """Typed values of the visible fields, and the problems found."""

    values: dict[str, Value]
    problems: tuple[FieldProblem, ...]

    @property
    def ok(self) -> bool:
        """Whether every field passed its checks."""
        return not self.problems


def parse_partial_date(text: str) -> str:
    """Check an ISO 8601 date that may lack its day or month (``2019``, ``2019-03``,
    ``2019-03-04``), as SDTM --DTC allows; return it, or raise ``ValueError``.

    Parameters
    ----------
    text
        The date as typed, already stripped.

    Returns
    -------
    str
        *text* unchanged.

    Raises
    ------
    ValueError
        If it is not ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, or names a month or day that
        does not exist (services turn this into a :class:`~oncotrial.errors.DataError`).

    Examples
    --------
    >>> parse_partial_date("2019-03")
    '2019-03'
    >>> parse_partial_date("2019-02-30")
    Traceback (most recent call last):
    ...
    ValueError: day is out of range for month
    """
    match = _PARTIAL.match(text)
    if match is None:
        raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist")
    date(year, month or 1, day or 1)  # raises ValueError for 2019-02-30
    return text


def visible_fields(fields: Sequence[FormField], raw: Mapping[str, str]) -> list[FormField]:
    """The fields the skip logic shows, given the raw values entered so far.

    Parameters
    ----------
    fields
        The form's fields, in order.
    raw
        Field name → text entered; a field with ``show_if`` is shown when the named field's
        text (stripped, any case) is one of the rule's values.

    Returns
    -------
    list[FormField]
        The shown fields, in order.
    """
    shown: list[FormField] = []
    for f in fields:
        rule = f.show_if
        if rule is None or raw.get(rule.field, "").strip().lower() in \
                {v.lower() for v in rule.values}:
            shown.append(f)
    return shown


def _number(f: FormField, text: str) -> float | int:
    if f.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("expected a whole number")
        number: float | int = int(text)
    else:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
    unit = f" {f.unit}" if f.unit else ""
    if f.min is not None and number < f.min:
        raise ValueError(f"below the lowest allowed value {f.min:g}{unit}")
    if f.max is not None and number > f.max:
        raise ValueError(f"above the highest allowed value {f.max:g}{unit}")
    return number


def _date(text: str, today: date) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a calendar date (expected YYYY-MM-DD)") from None
    if value > today:
        raise ValueError(f"in the future (today is {today.isoformat()})")
    if value < _EARLIEST:
        raise ValueError("before 1900")
    return value


def _partial_date(text: str, today: date) -> str:
    value = parse_partial_date(text)
    if value > today.isoformat()[: len(value)]:
        raise ValueError(f"in the future (today is {today.isoformat()})")
    return value


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise ValueError("expected yes or no")


def _choice(f: FormField, text: str, choices: Sequence[str]) -> str:
    allowed = list(choices or f.choices)
    if text not in allowed:
        shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
        raise ValueError(f"not one of the choices ({shown})")
    return text


def _text(f: FormField, text: str) -> str:
    if len(text) > f.max_length:
        raise ValueError(f"longer than {f.max_length} characters")
    if _CONTROL.search(text):
        raise ValueError("contains control characters")
    return text


def _one(f: FormField, text: str, *, today: date, choices: Sequence[str]) -> Value:
    kind = f.type
    if kind == "date":
        return _date(text, today)
    if kind == "partial_date":
        return _partial_date(text, today)
    if kind in ("number", "integer"):
        return _number(f, text)
    if kind == "boolean":
        return _boolean(text)
    if kind == "choice":
        return _choice(f, text, choices)
    return _text(f, text)


def parse_fields(
    fields: Sequence[FormField], raw: Mapping[str, str], *, today: date,
    vocabularies: Mapping[str, Sequence[str]] | None = None,
) -> ParsedForm:
    """Type and check the raw text of every visible field; blank optional fields are None.

    Parameters
    ----------
    fields
        The form's fields (protocol EDC definitions).
    raw
        Field name → text as submitted; fields hidden by skip logic are ignored.
    today
        Dates after this day are refused (and dates before 1900).
    vocabularies
        Choice lists for fields with a ``vocabulary`` (``ctcae_terms``, ``lab_units``,
        ``sites``); a field without one uses its own ``choices``.

    Returns
    -------
    ParsedForm
        Typed values of the visible fields (``date``, ``str``, ``float``, ``int``, ``bool`` or
        ``None``) and one :class:`FieldProblem` per field that failed (required, type, range,
        length, control characters, choice); never raises for bad input.

    Examples
    --------
    >>> from datetime import date
    >>> from oncotrial.protocol.edc import FormField
    >>> fields = [FormField(name="weight", label="Weight", type="number", unit="kg", min=20,
    ...                     max=300, required=True),
    ...           FormField(name="measured_on", label="Date", type="date", required=True)]
    >>> form = parse_fields(fields, {"weight": "64,5", "measured_on": "2031-01-01"},
    ...                     today=date(2024, 5, 1))
    >>> form.values["weight"], [str(p) for p in form.problems]
    (64.5, ["measured_on='2031-01-01': in the future (today is 2024-05-01)"])
    """
    values: dict[str, Value] = {}
    problems: list[FieldProblem] = []
    for f in visible_fields(fields, raw):
        text = raw.get(f.name, "").strip()
        if not text:
            values[f.name] = None
            if f.required:
                problems.append(FieldProblem(f.name, text, "required"))
            continue
        choices = (vocabularies or {}).get(f.vocabulary or "", ())
        try:
            values[f.name] = _one(f, text, today=today, choices=choices)
        except ValueError as exc:
            problems.append(FieldProblem(f.name, text, str(exc)))
    return ParsedForm(values=values, problems=tuple(problems))
