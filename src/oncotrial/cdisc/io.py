"""Read and write CDISC datasets as SAS transport (XPT), SAS7BDAT or CSV, one file per domain.

Readers take SDTM as it is delivered: ``dm.xpt``, ``DM.XPT``, ``dm.sas7bdat`` or ``dm.csv``
(or one file named ``dm_<suffix>``, as the pharmaverse example data name theirs), variable
names in any case (upper-cased on reading), CSV in UTF-8. A file that cannot be read is a
:class:`DataError` naming it and saying why (not UTF-8, binary, empty, not a SAS file, duplicate
variables, a number too large for a double).

The writer puts XPT v5 through :func:`oncotrial.cdisc._transport.prepare_transport`, so any
frame can be written; what it had to change is returned by :func:`transport_issues`. CSV cells
pass :func:`oncotrial._outputs.safe_cell`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import write_csv
from oncotrial.cdisc._transport import prepare_transport
from oncotrial.errors import DataError

__all__ = [
    "DATASET_SUFFIXES",
    "locate_domain",
    "read_dataset",
    "read_domain",
    "read_domains",
    "transport_issues",
    "write_dataset",
]

DATASET_SUFFIXES = ("xpt", "sas7bdat", "csv")  # preference when a domain has several files


def locate_domain(directory: Path, domain: str) -> Path | None:
    """The file holding *domain* in *directory*, or ``None``.

    ``<domain>.xpt``, ``.sas7bdat`` or ``.csv`` in any case, in that order of preference;
    failing those, the one file named ``<domain>_<anything>`` with such a suffix.

    Parameters
    ----------
    directory
        Folder of SDTM or ADaM datasets.
    domain
        Domain or dataset name, in any case.

    Returns
    -------
    pathlib.Path or None
        The file, or ``None`` when the folder has none for *domain*.

    Raises
    ------
    DataError
        When several ``<domain>_…`` files could hold the domain.
    """
    files = {p.name.lower(): p for p in directory.iterdir() if p.is_file()}
    stem = domain.lower()
    for suffix in DATASET_SUFFIXES:
        if f"{stem}.{suffix}" in files:
            return files[f"{stem}.{suffix}"]
    candidates = [p for name, p in files.items()
                  if name.startswith(f"{stem}_") and name.rsplit(".", 1)[-1] in DATASET_SUFFIXES]
    stems = sorted({p.name.rsplit(".", 1)[0].lower() for p in candidates})
    if len(stems) > 1:
        raise DataError(f"several files could hold domain {domain.upper()}", field="files",
                        value=sorted(p.name for p in candidates),
                        allowed=f"one file per domain, e.g. {stem}.xpt")
    if not candidates:
        return None
    rank = {suffix: order for order, suffix in enumerate(DATASET_SUFFIXES)}
    return min(candidates, key=lambda p: rank[p.name.rsplit(".", 1)[-1].lower()])


def read_domain(directory: Path, domain: str) -> pd.DataFrame | None:
    """Read one domain from *directory* (see :func:`locate_domain`); ``None`` if absent.

    Column names are upper-cased; character columns keep empty strings as ``""``.

    Parameters
    ----------
    directory
        Folder of SDTM or ADaM datasets.
    domain
        Domain or dataset name, in any case (``DM``, ``adsl``).

    Returns
    -------
    pandas.DataFrame or None
        The dataset with upper-case column names, or ``None`` when the folder has no such file.

    Examples
    --------
    See :func:`write_dataset`, which writes DM and reads it back.
    """
    path = locate_domain(directory, domain)
    return None if path is None else read_dataset(path)


def read_dataset(path: Path) -> pd.DataFrame:
    """Read one dataset file (``.xpt`` v5/v8, ``.sas7bdat`` or ``.csv``) with upper-case names.

    Parameters
    ----------
    path
        The file; its suffix (any case) decides how it is read. XPT and SAS7BDAT are read
        in the file's own encoding, failing that as Latin-1; CSV must be UTF-8.

    Returns
    -------
    pandas.DataFrame
        The dataset with upper-case column names; empty character values as ``""`` and SAS
        date/datetime columns as datetime64 (when in its range).

    Raises
    ------
    DataError
        For an unknown suffix or a file that cannot be read as its suffix says (not UTF-8,
        binary, empty, duplicate variables, an infinite number), naming the file and the reason.
    """
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "csv":
        frame = _read_csv(path)
    elif suffix in ("xpt", "sas7bdat"):
        frame = _read_sas(path, suffix)
    else:
        raise DataError("unknown dataset file type", field="file", value=path.name,
                        allowed=", ".join(f".{s}" for s in DATASET_SUFFIXES))
    return frame


def _read_sas(path: Path, suffix: str) -> pd.DataFrame:
    reader = pyreadstat.read_xport if suffix == "xpt" else pyreadstat.read_sas7bdat
    kind = "a SAS transport (XPT) file" if suffix == "xpt" else "a SAS7BDAT file"
    frame: pd.DataFrame | None = None
    for encoding in (None, "LATIN1"):  # XPT v5 is ASCII; older files are often Latin-1
        try:
            frame, _meta = reader(str(path), encoding=encoding)
            break
        except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError) as exc:
            failure = exc
    if frame is None:
        raise DataError(f"not readable as {kind}: {failure}", field="file", value=path.name,
                        allowed=f"{kind} (or a .csv)")
    _upper_names(frame, path)
    return _blank_strings(_dates_as_datetimes(frame))


def _dates_as_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """SAS date and datetime columns (read as ``date``/``datetime`` objects) as datetime64,
    unless a value lies outside its range (before 1677 or after 2262), which stays as read.

    pyreadstat's own conversion fails on the whole file for one such value."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        present = values.dropna()
        if present.empty or not all(isinstance(v, date | datetime) for v in present):
            continue
        try:
            frame[column] = pd.to_datetime(values).astype("datetime64[ns]")
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            continue
    return frame


def _upper_names(frame: pd.DataFrame, path: Path) -> None:
    """Upper-case the names of *frame* (read just now, changed in place) and refuse
    duplicates."""
    names = [str(c).strip().upper() for c in frame.columns]
    repeated = sorted({n for i, n in enumerate(names) if n in names[:i]})
    if repeated:
        raise DataError("duplicate variable(s) in the file (case is ignored)", field=path.name,
                        value=repeated, allowed="each variable once")
    frame.columns = names


def _is_character(column: str) -> bool:
    return column.endswith(_CHARACTER_SUFFIXES) or column in {"DOMAIN", "STUDYID"}


def _read_csv(path: Path) -> pd.DataFrame:
    """CDISC character variables (identifiers, codes, ``--DTC``, flags) stay text with empty
    strings for blanks; every other column becomes numeric when all its non-empty values are
    numbers (the parser's own inference, with only the empty string as missing), else text."""
    text = read_csv_text(path)
    header = csv_header(text, path)
    character = [c for c in header if _is_character(c.upper())]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=dict.fromkeys(character, str),
            keep_default_na=False,
            na_values={c: [""] for c in header if c not in character},
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"not a readable CSV file: {exc}", field="file", value=path.name,
                        allowed="comma-separated values with one header row") from exc
    flags = [c for c in header if frame[c].dtype == bool]  # the parser reads True/False as bool
    if flags:
        frame[flags] = pd.read_csv(io.StringIO(text), usecols=flags, dtype=str,
                                   keep_default_na=False)
    frame.columns = [c.upper() for c in header]
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
            if column not in {c.upper() for c in character}:
                _refuse_infinite(frame[column], column, path)
        elif pd.api.types.is_float_dtype(frame[column]):
            _refuse_infinite(frame[column], column, path)
    return frame


def _as_float(value: object) -> float:
    try:
        return float(str(value))  # float("1e400") is inf; pandas would give NaN
    except ValueError:
        return float("nan")


def _refuse_infinite(values: pd.Series, column: str, path: Path) -> None:
    """Refuse a number column holding a value no double can hold (``1e400``, ``inf``): the
    parser keeps such a column as text, and any later conversion would make it infinite."""
    numbers = values.map(_as_float) if values.dtype == object else values.astype(float)
    given = values.astype(str).str.strip() != ""
    if values.dtype == object and (numbers.isna() & given).any():
        return  # a text column, not a number column
    infinite = np.isinf(numbers.to_numpy(dtype=float))
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0]) + 1
        raise DataError(f"number too large for a double in {path.name}, data row {row}",
                        field=column, value=str(values.iloc[row - 1]),
                        allowed="a finite number (at most about 1.8e308)")


def read_domains(directory: Path, domains: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Read every domain in *domains* that exists in *directory* (keys upper-case).

    Parameters
    ----------
    directory
        Folder of SDTM or ADaM datasets.
    domains
        Domain names to look for.

    Returns
    -------
    dict of str to pandas.DataFrame
        The domains found, keyed by upper-case name; missing ones are left out.

    Raises
    ------
    DataError
        If *directory* is not a folder.
    """
    if not directory.is_dir():
        raise DataError("not a directory", field="sdtm", value=str(directory))
    found: dict[str, pd.DataFrame] = {}
    for domain in domains:
        frame = read_domain(directory, domain)
        if frame is not None:
            found[domain.upper()] = frame
    return found


def transport_issues(
    frame: pd.DataFrame, name: str, *, labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """What writing *frame* as XPT v5 dataset *name* changes (transliterated text, values cut
    to 200 characters, labels cut to 40, numbers beyond the IBM range), one row per variable
    and kind (columns DATASET, VARIABLE, NVALUES, VALUE, ISSUE, ACTION).

    Parameters
    ----------
    frame
        The dataset as it would be passed to :func:`write_dataset`.
    name
        Dataset name (upper-cased in the DATASET column).
    labels
        Variable labels that would be stored.

    Returns
    -------
    pandas.DataFrame
        One row per variable and kind of change (NVALUES: how many values, VALUE: the first
        of them); empty when the XPT file would hold everything as it is.

    Examples
    --------
    XPT v5 holds ASCII text of at most 200 bytes per value (SAS TS-140); the CSV file keeps
    the original:

    >>> import pandas as pd
    >>> ae = pd.DataFrame({"AETERM": ["Œdème", "x" * 201]})
    >>> transport_issues(ae, "ae")["ACTION"].tolist()
    ['transliterated to ASCII in XPT (CSV keeps the original)',
     'cut to 200 characters in XPT (CSV keeps the full text)']
    """

    return prepare_transport(frame, name=name.upper(), labels=labels).issues


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

    XPT: see :mod:`oncotrial.cdisc._transport` (dates as DATE9, text in ASCII up to 200
    characters, labels up to 40; :func:`transport_issues` lists what changed). A variable name
    XPT v5 cannot hold is a :class:`DataError`, never a silent rename. CSV keeps every value as
    it is, UTF-8, with formula-leading text neutralised.

    Parameters
    ----------
    frame
        The dataset, one column per variable (upper-case SDTM/ADaM names).
    directory
        Folder to write into (created if needed).
    name
        Dataset name (``dm``, ``adsl``, …); the files are named in lower case.
    labels, table_label
        Variable labels and the dataset label stored in the XPT file.
    formats
        ``"xpt"`` and/or ``"csv"``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from oncotrial.cdisc import read_domain, write_dataset
    >>> folder = tempfile.TemporaryDirectory()
    >>> dm = pd.DataFrame({"STUDYID": ["LEADER"], "USUBJID": ["LEADER-01-001"], "AGE": [63.0]})
    >>> [p.name for p in write_dataset(dm, Path(folder.name), "DM", labels={"AGE": "Age"})]
    ['dm.xpt', 'dm.csv']
    >>> (Path(folder.name) / "dm.csv").unlink()      # read the transport file back
    >>> read_domain(Path(folder.name), "DM").to_dict("records")
    [{'STUDYID': 'LEADER', 'USUBJID': 'LEADER-01-001', 'AGE': 63.0}]
    >>> read_domain(Path(folder.name), "AE") is None
    True
    >>> folder.cleanup()
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    stem = name.lower()
    for fmt in formats:
        if fmt == "csv":
            written.append(write_csv(frame, directory / f"{stem}.csv"))
        elif fmt == "xpt":
            ready = prepare_transport(frame, name=name.upper(), labels=labels,
                                      table_label=table_label)
            path = directory / f"{stem}.xpt"
            pyreadstat.write_xport(
                ready.frame,
                str(path),
                file_label=ready.table_label,
                column_labels=ready.labels,  # type: ignore[arg-type]
                table_name=name.upper(),
                file_format_version=5,
                variable_format=ready.formats,
            )
            written.append(path)
        else:
            raise DataError("unknown output format", field="format", value=fmt, allowed="xpt, csv")
    return written


def _blank_strings(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
    return frame


# CDISC character variables that may hold digits only (identifiers, codes, original results,
# partial dates such as "2019"): never converted to numbers.
_CHARACTER_SUFFIXES = ("ID", "CD", "C", "ORRES", "DTC", "DTF", "TMF", "FL")
