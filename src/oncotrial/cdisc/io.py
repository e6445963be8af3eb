"""Read and write CDISC datasets as SAS transport (XPT) or CSV, one file per domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import pandas as pd
import pyreadstat

from oncotrial.errors import DataError

__all__ = ["read_domain", "read_domains", "write_dataset"]

_MAX_XPT_NAME = 8  # SAS transport v5: variable names of at most 8 characters
_MAX_XPT_LABEL = 40  # and labels of at most 40


def read_domain(directory: Path, domain: str) -> pd.DataFrame | None:
    """Read one domain (``rs.xpt``/``RS.XPT`` or ``rs.csv``) from *directory*; ``None`` if absent.

    XPT v5 and v8 are both read by pyreadstat. Column names are upper-cased; character columns
    keep empty strings as ``""`` (CSV empties are read as ``""``, not NaN).
    """
    for name in (domain.lower(), domain.upper()):
        xpt = directory / f"{name}.xpt"
        xpt_upper = directory / f"{name}.XPT"
        for path in (xpt, xpt_upper):
            if path.is_file():
                frame, _meta = pyreadstat.read_xport(str(path), dates_as_pandas_datetime=True)
                frame.columns = [str(c).upper() for c in frame.columns]
                return _blank_strings(frame)
        csv = directory / f"{name}.csv"
        if csv.is_file():
            return _read_csv(csv)
    return None


def _is_character(column: str) -> bool:
    return column.endswith(_CHARACTER_SUFFIXES) or column in {"DOMAIN", "STUDYID"}


def _read_csv(path: Path) -> pd.DataFrame:
    """CDISC character variables (identifiers, codes, ``--DTC``, flags) stay text with empty
    strings for blanks; every other column becomes numeric when all its non-empty values are
    numbers (the parser's own inference, with only the empty string as missing), else text."""
    header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
    text = [c for c in header if _is_character(c.upper())]
    frame = pd.read_csv(
        path,
        dtype=dict.fromkeys(text, str),
        keep_default_na=False,
        na_values={c: [""] for c in header if c not in text},
    )
    flags = [c for c in header if frame[c].dtype == bool]  # the parser reads True/False as bool
    if flags:
        frame[flags] = pd.read_csv(path, usecols=flags, dtype=str, keep_default_na=False)
    frame.columns = [c.upper() for c in header]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
    return frame


def read_domains(directory: Path, domains: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Read every domain in *domains* that exists in *directory* (keys upper-case)."""
    if not directory.is_dir():
        raise DataError("not a directory", field="sdtm", value=str(directory))
    found: dict[str, pd.DataFrame] = {}
    for domain in domains:
        frame = read_domain(directory, domain)
        if frame is not None:
            found[domain.upper()] = frame
    return found


def write_dataset(
    frame: pd.DataFrame,
    directory: Path,
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    table_label: str = "",
    formats: Iterable[str] = ("xpt", "csv"),
) -> list[Path]:
    """Write *frame* as ``name.xpt`` (SAS transport v5) and/or ``name.csv`` in *directory*.

    Variable names must be at most 8 characters and labels at most 40 for XPT v5; a longer one
    is a :class:`DataError` rather than a silent truncation.
    """
    directory.mkdir(parents=True, exist_ok=True)
    labels = dict(labels or {})
    written: list[Path] = []
    stem = name.lower()
    for fmt in formats:
        if fmt == "csv":
            path = directory / f"{stem}.csv"
            frame.to_csv(path, index=False)
        elif fmt == "xpt":
            path = directory / f"{stem}.xpt"
            _check_xpt_names(frame, labels, name)
            column_labels: list[str | None] = [labels.get(str(c), "") for c in frame.columns]
            ready, date_formats = _xpt_ready(frame)
            pyreadstat.write_xport(
                ready,
                str(path),
                file_label=table_label[:_MAX_XPT_LABEL],
                column_labels=column_labels,
                table_name=name.upper()[:_MAX_XPT_NAME],
                file_format_version=5,
                variable_format=date_formats,
            )
        else:
            raise DataError("unknown output format", field="format", value=fmt, allowed="xpt, csv")
        written.append(path)
    return written


def _check_xpt_names(frame: pd.DataFrame, labels: Mapping[str, str], name: str) -> None:
    for column in frame.columns:
        if len(str(column)) > _MAX_XPT_NAME:
            raise DataError(
                f"variable name too long for XPT v5 in {name}",
                field="variable",
                value=str(column),
                allowed="at most 8 characters",
            )
    for column, label in labels.items():
        if len(label) > _MAX_XPT_LABEL:
            raise DataError(
                f"label too long for XPT v5 in {name}",
                field=f"label of {column}",
                value=label,
                allowed="at most 40 characters",
            )


def _is_date_variable(name: str, values: pd.Series) -> bool:
    """An ADaM date (``*DT``): datetime64 values, date objects, or nothing at all."""
    if not name.endswith("DT"):
        return False
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and all(isinstance(v, date) for v in present)


def _xpt_ready(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """ADaM dates (``*DT``) become SAS dates with format DATE9 (numeric dates: ADaMIG v1.2
    §3.1.2 timing variable conventions), also when every value is missing; missing text
    becomes empty strings so XPT stores them as blanks. Returns the frame and the formats."""
    out = frame.copy()
    formats: dict[str, str] = {}
    for column in out.columns:
        values = out[column]
        if _is_date_variable(str(column), values):
            as_dates = pd.to_datetime(values, errors="raise")
            out[column] = [None if pd.isna(v) else v.date() for v in as_dates]
            if as_dates.isna().all():
                out[column] = values.map(lambda _: float("nan"))
            formats[str(column)] = "DATE9"
        elif values.dtype == object:
            out[column] = values.map(lambda v: "" if v is None or v != v else v)  # noqa: PLR0124
    return out, formats


def _blank_strings(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
    return frame


# CDISC character variables that may hold digits only (identifiers, codes, original results,
# partial dates such as "2019"): never converted to numbers.
_CHARACTER_SUFFIXES = ("ID", "CD", "C", "ORRES", "DTC", "DTF", "TMF", "FL")
