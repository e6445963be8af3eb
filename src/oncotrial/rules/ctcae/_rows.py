"""Grade rows of text (e.g. a CSV file) one by one, keeping every row's outcome.

Each row has ``term``, ``value``, ``unit`` and optionally ``lln``, ``uln``, ``baseline``,
``symptomatic``, ``previously_normal``. "Hypertension" rows give the reading as ``value``
``"SBP/DBP"`` in mmHg (or in ``systolic`` and ``diastolic`` columns). Urine dipstick rows may
write ``negative``, ``trace``, ``1+`` ... ``4+``. A row that cannot be graded keeps its error;
the others are still graded unless ``strict`` is set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from oncotrial.errors import DataError, OncotrialError, RuleError
from oncotrial.rules.ctcae._grade import HYPERTENSION, CtcaeGrade, grade_hypertension, grade_lab
from oncotrial.rules.units import normalize_unit

__all__ = ["REQUIRED_COLUMNS", "RESULT_COLUMNS", "RowGrade", "grade_lab_rows"]

REQUIRED_COLUMNS = ("term", "value", "unit")
RESULT_COLUMNS = ("grade", "rule", "reason")

_TRUE = {"y", "yes", "true", "1"}
_FALSE = {"n", "no", "false", "0"}
_DIPSTICK = {"negative": 0.0, "neg": 0.0, "-": 0.0, "trace": 0.5, "+/-": 0.5}


@dataclass(frozen=True)
class RowGrade:
    """The outcome of one input row: a grade, or the error that stopped it."""

    row: int
    grade: CtcaeGrade | None
    error: str | None


def grade_lab_rows(rows: Iterable[Mapping[str, str]], *, strict: bool = False) -> list[RowGrade]:
    """Grade each row by CTCAE v5.0; collect per-row errors unless *strict*.

    Parameters
    ----------
    rows
        Mappings of column name to text, in file order (row 1 is the first data row).
    strict
        Raise the first row's error instead of recording it.

    Returns
    -------
    list[RowGrade]
        One entry per row, in order.

    Raises
    ------
    DataError, RuleError
        Only when *strict*; the message starts with the row number.
    """
    out: list[RowGrade] = []
    for number, row in enumerate(rows, start=1):
        try:
            out.append(RowGrade(number, _graded_or_refused(row), None))
        except OncotrialError as exc:
            message = " ".join(f"row {number}: {exc}".split())  # one message, one line
            if strict:
                raise type(exc)(message) from exc
            out.append(RowGrade(number, None, message))
    return out


def _graded_or_refused(row: Mapping[str, str]) -> CtcaeGrade:
    """The row's grade; a grade that needs a limit of normal (or baseline) the row does not
    give is a row error naming it, since the file's author can add it."""
    graded = _grade_row(row)
    if graded.grade is None and graded.missing:
        needed = " and ".join(graded.missing)
        raise DataError(f"{graded.term}: this value needs {needed} to be graded",
                        field=graded.missing[0], value=_text(row, graded.missing[0]),
                        allowed="the lab's limit of normal (or baseline) in the unit of value")
    return graded


def _grade_row(row: Mapping[str, str]) -> CtcaeGrade:
    missing = [c for c in REQUIRED_COLUMNS if c not in row]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}",
            field="columns",
            value=sorted(row),
            allowed=", ".join(REQUIRED_COLUMNS),
        )
    term = _text(row, "term")
    if not term:
        raise DataError("the term is empty", field="term", value="", allowed="a CTCAE v5.0 term")
    if term == HYPERTENSION:
        return _grade_blood_pressure(row)
    unit = _text(row, "unit")
    value = _value(row, unit)
    return grade_lab(
        term,
        value,
        unit,
        lln=_number(row, "lln"),
        uln=_number(row, "uln"),
        baseline=_number(row, "baseline"),
        symptomatic=_flag(row, "symptomatic"),
    )


def _grade_blood_pressure(row: Mapping[str, str]) -> CtcaeGrade:
    unit = _text(row, "unit")
    if normalize_unit(unit) != "mmHg":
        raise RuleError(f"{HYPERTENSION}: unit {unit!r} is not allowed (allowed: mmHg)")
    systolic, diastolic = _number(row, "systolic"), _number(row, "diastolic")
    text = _text(row, "value")
    if text:
        parts = text.split("/")
        if len(parts) != 2:
            raise DataError(
                f"{HYPERTENSION}: value must be 'systolic/diastolic'",
                field="value",
                value=text,
                allowed="e.g. 150/95",
            )
        systolic, diastolic = (_parse_number("value", p, text) for p in parts)
    if systolic is None or diastolic is None:
        raise DataError(
            f"{HYPERTENSION}: blood pressure is missing",
            field="value",
            value=text,
            allowed="'systolic/diastolic' in value, or systolic and diastolic columns",
        )
    return grade_hypertension(
        systolic, diastolic, previously_normal=_flag(row, "previously_normal")
    )


def _text(row: Mapping[str, str], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _value(row: Mapping[str, str], unit: str) -> float:
    text = _text(row, "value")
    if not text:
        raise DataError(
            f"{_text(row, 'term')}: the value is missing",
            field="value",
            value="",
            allowed="a number",
        )
    if unit.strip() and _is_dipstick(unit):
        lowered = text.casefold()
        if lowered in _DIPSTICK:
            return _DIPSTICK[lowered]
        if lowered.endswith("+"):
            text = lowered.rstrip("+")
    return _parse_number("value", text, text)


def _is_dipstick(unit: str) -> bool:
    try:
        return normalize_unit(unit) == "dipstick"
    except RuleError:
        return False


def _number(row: Mapping[str, str], column: str) -> float | None:
    text = _text(row, column)
    return _parse_number(column, text, text) if text else None


def _parse_number(column: str, text: str, shown: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DataError("not a number", field=column, value=shown, allowed="a finite number")
    return number


def _flag(row: Mapping[str, str], column: str) -> bool | None:
    text = _text(row, column).casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise DataError(
        "not a yes/no flag",
        field=column,
        value=text,
        allowed="Y/N, yes/no, true/false, 1/0 or empty",
    )
