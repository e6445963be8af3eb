"""Make any data frame writable as SAS transport v5 (XPT), and say what had to change.

XPT v5 (SAS TS-140) stores names of at most 8 characters, labels of at most 40, ASCII text of at
most 200 bytes per value, and numbers as IBM floating point (about ±7.2e75). pyreadstat writes
what it is given and fails on some frames (an object column whose first values are missing,
``datetime.date`` objects after many blanks) or writes files other readers mis-read (a text
variable that is blank in every row gets width 0). :func:`prepare_transport` turns a frame into
one pyreadstat writes and both pyreadstat and ``pandas.read_sas`` read back:

- names: at most 8 characters, a SAS name (letter or ``_`` first, then letters, digits, ``_``),
  unique ignoring case; anything else is a :class:`DataError` naming every offending variable
  (renaming would silently break references to it);
- dates (``*DT`` variables, date objects, datetimes at midnight) → SAS day numbers with format
  DATE9, datetimes (``*DTM`` or with a time) → SAS seconds with DATETIME20 (ADaMIG v1.2 §3.1.2);
- numbers (also booleans, nullable integers) → doubles; a value beyond what readstat writes as
  an IBM double (about ±9.0e74) is written missing, with an issue;
- text: non-ASCII transliterated (``≥`` → ``>=``, ``é`` → ``e``), NUL removed, values cut to 200
  bytes, each with an issue naming the variable and how many values changed (the CSV copy keeps
  the original); labels cut to 40 characters, with an issue; trailing white space dropped (XPT
  pads text with blanks, so readers cannot keep it);
- a record of at most 80 bytes is widened (trailing blanks in one text value) so that no reader
  can mistake a blank end of record for the padding of the last 80-byte card; an all-text frame
  whose last record is blank throughout cannot be told from padding and is a :class:`DataError`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from oncotrial.errors import DataError

__all__ = ["WRITE_ISSUE_COLUMNS", "TransportFrame", "prepare_transport", "to_ascii"]

MAX_NAME = 8
MAX_LABEL = 40
MAX_TEXT = 200
_CARD = 80  # XPT records are 80-byte cards; the last one is padded with blanks
# IBM doubles reach 16**63 (about 7.2e75), but readstat writes values from 2 * 16**62 upward as
# infinity (measured with pyreadstat 1.3), so that is the largest magnitude written.
_IBM_MAX = 2.0 * 16.0**62
_SAS_EPOCH = np.datetime64("1960-01-01", "ns")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WRITE_ISSUE_COLUMNS = ("DATASET", "VARIABLE", "NVALUES", "VALUE", "ISSUE", "ACTION")

# Common clinical symbols first; anything else by Unicode decomposition (é → e), then "?".
_SYMBOLS = {
    "≥": ">=", "≤": "<=", "±": "+/-", "×": "x", "µ": "u", "μ": "u", "°": " deg", "–": "-",
    "—": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "ß": "ss",
    "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "œ": "oe", "Œ": "OE", "\u00a0": " ", "€": "EUR", "£": "GBP", "²": "2", "³": "3",
}


def to_ascii(text: str) -> str:
    """*text* in ASCII: clinical symbols spelled out, accents dropped, other characters ``?``,
    NUL removed."""
    if text.isascii():
        return text.replace("\x00", "")
    spelled = "".join(_SYMBOLS.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", spelled)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return kept.encode("ascii", "replace").decode("ascii").replace("\x00", "")


@dataclass(frozen=True, slots=True)
class TransportFrame:
    """A frame ready for ``pyreadstat.write_xport`` with its formats, labels and the issues met
    (columns :data:`WRITE_ISSUE_COLUMNS`)."""

    frame: pd.DataFrame
    formats: dict[str, str]
    labels: list[str]
    table_label: str
    issues: pd.DataFrame


class _Issues:
    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.rows: list[dict[str, object]] = []

    def add(self, variable: str, count: int, example: object, issue: str, action: str) -> None:
        self.rows.append({"DATASET": self.dataset, "VARIABLE": variable, "NVALUES": count,
                          "VALUE": str(example), "ISSUE": issue, "ACTION": action})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(WRITE_ISSUE_COLUMNS))


def prepare_transport(
    frame: pd.DataFrame,
    *,
    name: str,
    labels: Mapping[str, str] | None = None,
    table_label: str = "",
) -> TransportFrame:
    """Make *frame* writable as XPT v5 dataset *name*; see the module docstring for the rules.

    Raises
    ------
    DataError
        For a dataset or variable name XPT v5 cannot hold, duplicate names, no variables, or an
        all-text frame whose last record is blank throughout.
    """
    _check_names(frame, name)
    issues = _Issues(name.upper())
    columns: dict[str, pd.Series] = {}
    formats: dict[str, str] = {}
    for position, column in enumerate(frame.columns):
        variable = str(column)
        values, fmt = _prepare_column(variable, frame.iloc[:, position], issues)
        columns[variable] = values
        if fmt:
            formats[variable] = fmt
    ready = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    _widen_short_records(ready, name)
    given = dict(labels or {})
    label_list = [_label(variable, given.get(variable, ""), issues) for variable in ready.columns]
    table = _label("(dataset label)", table_label, issues)
    return TransportFrame(ready, formats, label_list, table, issues.frame())


def _check_names(frame: pd.DataFrame, name: str) -> None:
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise DataError("not a SAS transport v5 dataset name", field="dataset", value=name,
                        allowed="at most 8 letters, digits or _, starting with a letter or _")
    if frame.shape[1] == 0:
        raise DataError(f"{name} has no variables", field="dataset", value=name,
                        allowed="at least one variable")
    names = [str(c) for c in frame.columns]
    bad = [n for n in names if len(n) > MAX_NAME or not _NAME.fullmatch(n)]
    if bad:
        raise DataError(f"variable name(s) not allowed in XPT v5 in {name}", field="variable",
                        value=bad[0] if len(bad) == 1 else bad,
                        allowed="at most 8 characters: letters, digits or _, not a digit first")
    upper = pd.Series([n.upper() for n in names])
    repeated = sorted(set(upper[upper.duplicated()]))
    if repeated:
        raise DataError(f"duplicate variable name(s) in {name}", field="variable",
                        value=repeated, allowed="each name once (case is ignored)")


def _label(variable: str, label: object, issues: _Issues) -> str:
    text = "" if label is None else str(label)
    ascii_text = to_ascii(text)
    if ascii_text != text:
        issues.add(variable, 1, text, "label has characters XPT v5 cannot hold",
                   "transliterated to ASCII")
    if len(ascii_text) > MAX_LABEL:
        issues.add(variable, 1, ascii_text, "label longer than 40 characters",
                   "cut to 40 characters in XPT")
        ascii_text = ascii_text[:MAX_LABEL]
    return ascii_text


def _prepare_column(
    variable: str, values: pd.Series, issues: _Issues
) -> tuple[pd.Series, str]:
    """The column as pyreadstat writes it (float, or str) and its SAS format ("" for none)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
        dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return _numbers(variable, values.astype("float64"), issues), ""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetimes(variable, values)
    present = values[values.notna()]
    kinds = {_kind(v) for v in present}
    if kinds == {"date"}:
        return _datetimes(variable, pd.Series(pd.to_datetime(list(values)), index=values.index))
    if variable.upper().endswith("DT") and not kinds:
        return pd.Series(np.nan, index=values.index, dtype="float64"), "DATE9"
    if kinds == {"number"}:
        numbers = pd.to_numeric(values.where(values.notna(), np.nan), errors="coerce")
        return _numbers(variable, numbers.astype("float64"), issues), ""
    return _text(variable, values, issues), ""


def _kind(value: object) -> str:
    if isinstance(value, datetime | date | pd.Timestamp | np.datetime64):
        return "date"
    if isinstance(value, bool | np.bool_):
        return "text"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number" if not (isinstance(value, float) and math.isnan(value)) else "missing"
    return "text"


def _numbers(variable: str, numbers: pd.Series, issues: _Issues) -> pd.Series:
    outside = numbers.notna() & ~(numbers.abs() <= _IBM_MAX)
    if outside.any():
        issues.add(variable, int(outside.sum()), numbers[outside].iloc[0],
                   "number beyond the SAS transport range (about ±9.0e74) or infinite",
                   "written as missing in XPT")
        numbers = numbers.where(~outside)
    return numbers


def _datetimes(variable: str, values: pd.Series) -> tuple[pd.Series, str]:
    stamps = pd.to_datetime(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    stamps = stamps.astype("datetime64[ns]")
    upper = variable.upper()
    at_midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
    as_date = upper.endswith("DT") or (at_midnight and not upper.endswith("DTM"))
    offset = (stamps.to_numpy() - _SAS_EPOCH).astype("timedelta64[s]").astype("float64")
    offset[stamps.isna().to_numpy()] = np.nan
    if as_date:
        return pd.Series(np.floor(offset / 86400.0), index=values.index), "DATE9"
    return pd.Series(offset, index=values.index), "DATETIME20"


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if value is pd.NaT:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _text(variable: str, values: pd.Series, issues: _Issues) -> pd.Series:
    text = pd.Series([_as_text(v).rstrip() for v in values], index=values.index, dtype=object)
    not_ascii = ~text.map(lambda s: s.isascii() and "\x00" not in s).astype(bool)
    if not_ascii.any():
        issues.add(variable, int(not_ascii.sum()), text[not_ascii].iloc[0],
                   "text with characters XPT v5 cannot hold (non-ASCII or NUL)",
                   "transliterated to ASCII in XPT (CSV keeps the original)")
        text = text.where(~not_ascii, text[not_ascii].map(lambda s: to_ascii(s).rstrip()))
    long = text.str.len() > MAX_TEXT
    if long.any():
        issues.add(variable, int(long.sum()), text[long].iloc[0][:60] + "…",
                   "text longer than 200 characters",
                   "cut to 200 characters in XPT (CSV keeps the full text)")
        text = text.where(~long, text[long].str.slice(0, MAX_TEXT).str.rstrip())
    return text


def _width(values: pd.Series) -> int:
    if values.dtype != object:
        return 8
    return max(1, int(values.str.len().max()) if len(values) else 1)


def _widen_short_records(ready: pd.DataFrame, name: str) -> None:
    """Make each record longer than one 80-byte card (see the module docstring); *ready* is the
    frame being built and is changed in place."""
    text_columns = [c for c in ready.columns if ready[c].dtype == object]
    if not len(ready):
        return
    if len(text_columns) == ready.shape[1]:
        last = ready.iloc[-1]
        if all(str(v).strip() == "" for v in last):
            raise DataError(f"the last record of {name} is blank in every variable",
                            field="record", value=len(ready),
                            allowed="a record with at least one value (XPT v5 pads its last "
                                    "card with blanks, so a blank last record is lost)")
    widths = {c: _width(ready[c]) for c in ready.columns}
    for column in text_columns:  # a blank text variable still needs a width of 1
        if widths[column] == 1 and (ready[column] == "").all():
            ready.loc[ready.index[0], column] = " "
    total = sum(widths.values())
    if total > _CARD:
        return
    if not text_columns:
        return
    column = text_columns[-1]
    first = ready.index[0]
    extra = _CARD + 1 - total
    ready.loc[first, column] = str(ready.loc[first, column]).ljust(widths[column] + extra)
