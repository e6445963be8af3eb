"""Reading nCounter Reporter Code Count (RCC) files, RCC-collector CSV exports and count tables.

An RCC file is plain text with XML-like section tags (``<Header>``, ``<Sample_Attributes>``,
``<Lane_Attributes>``, ``<Code_Summary>``, ``<Messages>``) enclosing comma-separated lines.
Section schema: NanoStringNCTools ``R/RccMetadata.R`` and ``R/readRccFile.R``
(github.com/Nanostring-Biostats/NanoStringNCTools); FileVersion 1.7 and 2.0 differ only in
extra attribute keys (``SystemType``, ``AssayType``), so unknown keys are kept, not refused.

A batch of lanes is represented as a *count matrix*: a :class:`pandas.DataFrame` whose rows
are indexed by ``(code_class, name, accession)`` and whose columns are sample (file) names.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from oncotrial.errors import DataError

__all__ = [
    "COUNT_INDEX",
    "POSITIVE_CONCENTRATION_FM",
    "Rcc",
    "RccBatch",
    "compute_positive_concentration",
    "derive_count_matrix",
    "read_count_table",
    "read_rcc",
    "read_rcc_batch",
    "read_rcc_collector_csv",
    "read_rcc_text",
    "validate_gene_expression",
    "validate_same_codeset",
]

COUNT_INDEX = ("code_class", "name", "accession")

# Standard ERCC positive-control concentrations by letter, in fM; NEG controls are 0 fM.
# Source: shared/reference/translational.md §1.1 (NanoStringNCTools R/readRccFile.R uses the
# concentration in parentheses; the letter map is the standard nCounter spike-in ladder).
POSITIVE_CONCENTRATION_FM: Mapping[str, float] = {
    "A": 128.0,
    "B": 32.0,
    "C": 8.0,
    "D": 2.0,
    "E": 0.5,
    "F": 0.125,
}

_SECTIONS = ("Header", "Sample_Attributes", "Lane_Attributes", "Code_Summary", "Messages")
_SECTION_RE = re.compile(r"<(/?)([A-Za-z_]+)>")
_POS_NAME_RE = re.compile(r"^POS_([A-Z])(?:\(([0-9.]+)\))?$")
# PlexSet (8-plex) classes: Endogenous1s … Endogenous8s, Housekeeping8s (NACHO plexset data).
_PLEXSET_CLASS_RE = re.compile(r"^(Endogenous|Housekeeping)\d+s$")
_REQUIRED_CLASSES = ("Endogenous", "Positive", "Negative")


@dataclass(frozen=True)
class Rcc:
    """One parsed RCC file (one lane).

    Attributes
    ----------
    source
        The file name (or label) the lane was read from.
    header, sample_attributes, lane_attributes
        Every key/value pair of the section as written (empty values kept as ``""``).
    probes
        One row per ``Code_Summary`` line with columns ``code_class``, ``name``,
        ``accession``, ``count`` (int), in file order, duplicates kept.
    messages
        Text of the ``<Messages>`` section.
    duplicates
        ``(code_class, name, accession)`` keys that occur more than once.
    """

    source: str
    header: Mapping[str, str]
    sample_attributes: Mapping[str, str]
    lane_attributes: Mapping[str, str]
    probes: pd.DataFrame = field(repr=False)
    messages: str = ""
    duplicates: tuple[tuple[str, str, str], ...] = ()

    @property
    def file_version(self) -> str:
        """``FileVersion`` from the header (``1.7`` or ``2.0``)."""
        return self.header.get("FileVersion", "")

    @property
    def codeset(self) -> str:
        """``GeneRLF``: the codeset (RLF name without extension)."""
        return self.sample_attributes.get("GeneRLF", "")

    @property
    def code_classes(self) -> tuple[str, ...]:
        """Distinct code classes in file order."""
        return tuple(dict.fromkeys(self.probes["code_class"]))


def _split_sections(text: str, *, source: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        match = _SECTION_RE.fullmatch(line)
        if match:
            closing, name = match.groups()
            current = None if closing else name
            if current is not None:
                sections.setdefault(current, [])
            continue
        if current is not None and line:
            sections[current].append(line)
    missing = [s for s in ("Header", "Code_Summary") if s not in sections]
    if missing:
        raise DataError(
            "not an RCC file: required section(s) missing",
            field=f"{source}: sections",
            value=sorted(sections),
            allowed="Header, Sample_Attributes, Lane_Attributes, Code_Summary, Messages",
        )
    return sections


def _attributes(lines: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        key, _, value = line.partition(",")
        out[key.strip()] = value.strip()
    return out


def _count(text: str, *, source: str, where: str) -> int:
    try:
        value = int(text)
    except ValueError:
        try:
            value = int(float(text))
        except ValueError:
            value = -1
    if value < 0:
        raise DataError(
            "count is not a non-negative number",
            field=f"{source}: Code_Summary {where} Count",
            value=text,
            allowed="a non-negative integer",
        )
    return value


def _probe_rows(lines: Sequence[str], *, source: str) -> pd.DataFrame:
    classes: list[str] = []
    names: list[str] = []
    accessions: list[str] = []
    counts: list[int] = []
    body = lines[1:] if lines and lines[0].lower().startswith("codeclass") else lines
    for number, line in enumerate(body, start=1):
        # First field = class, last = count, second-last = accession, the rest = name
        # (names may contain '|', spaces and parentheses).
        parts = line.rsplit(",", 2)
        code_class, sep, name = parts[0].partition(",")
        if len(parts) < 3 or not sep:
            raise DataError(
                "Code_Summary row needs at least CodeClass,Name,Accession,Count",
                field=f"{source}: Code_Summary row {number}",
                value=line,
                allowed="4 or more comma-separated fields",
            )
        classes.append(code_class.strip())
        names.append(name.strip())
        accessions.append(parts[1].strip())
        counts.append(_count(parts[2].strip(), source=source, where=f"{code_class}/{name}"))
    return pd.DataFrame(
        {"code_class": classes, "name": names, "accession": accessions,
         "count": np.asarray(counts, dtype="int64")}
    )


def read_rcc_text(text: str, *, source: str = "<text>") -> Rcc:
    """Parse the text of one RCC file (CRLF or LF line endings).

    Parameters
    ----------
    text
        The whole file content.
    source
        Label used in messages and as the sample column name (normally the file name).

    Returns
    -------
    Rcc
        Parsed lane with every attribute, every probe row and the duplicated keys.

    Raises
    ------
    DataError
        When a required section is missing or a row cannot be read.
    """
    sections = _split_sections(text, source=source)
    probes = _probe_rows(sections["Code_Summary"], source=source)
    keys = Counter(zip(probes["code_class"], probes["name"], probes["accession"], strict=True))
    duplicates = tuple(sorted(key for key, n in keys.items() if n > 1))
    return Rcc(
        source=source,
        header=_attributes(sections.get("Header", [])),
        sample_attributes=_attributes(sections.get("Sample_Attributes", [])),
        lane_attributes=_attributes(sections.get("Lane_Attributes", [])),
        probes=probes,
        messages="\n".join(sections.get("Messages", [])),
        duplicates=duplicates,
    )


def read_rcc(path: Path | str) -> Rcc:
    """Read one RCC file; the sample label is the file name.

    Parameters
    ----------
    path
        The ``.RCC`` file (UTF-8, with or without BOM; Latin-1 accepted).

    Returns
    -------
    Rcc
        The parsed lane (see :func:`read_rcc_text`), ``source`` = the file name.

    Raises
    ------
    DataError
        When the file cannot be read or is not an RCC file.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise DataError(
            f"cannot read file: {exc.strerror}", field="path", value=str(path)
        ) from exc
    return read_rcc_text(text, source=path.name)


def compute_positive_concentration(name: str) -> float | None:
    """Concentration in fM of a positive/negative control, from its *name* only.

    ``POS_A(128)`` gives 128; a bare ``POS_A`` gives the standard letter value (A=128, B=32,
    C=8, D=2, E=0.5, F=0.125 fM); ``NEG_*`` gives 0. Anything else (e.g. PlexSet ``POS_1``)
    gives ``None``. The accession is never used: the same ERCC accession stands for different
    concentrations in different codesets (translational.md §1.1).

    Parameters
    ----------
    name
        The probe name as in the RCC (text after a ``|`` is ignored; case-insensitive).

    Returns
    -------
    float or None
        The concentration in fM, or ``None`` when it cannot be read from the name.

    Examples
    --------
    The standard nCounter ERCC ladder (POS_A 128 fM down to POS_F 0.125 fM; NEG = 0 fM):

    >>> from oncotrial.translational import compute_positive_concentration
    >>> [compute_positive_concentration(n) for n in ("POS_A(128)", "POS_E", "NEG_C(0)")]
    [128.0, 0.5, 0.0]
    >>> compute_positive_concentration("POS_1") is None
    True
    """
    name = name.split("|", 1)[0].strip()
    if name.upper().startswith("NEG_"):
        return 0.0
    match = _POS_NAME_RE.fullmatch(name.upper())
    if match is None:
        return None
    letter, number = match.groups()
    if number is not None:
        return float(number)
    return POSITIVE_CONCENTRATION_FM.get(letter)


def validate_gene_expression(rcc: Rcc) -> None:
    """Raise unless *rcc* is a standard gene-expression RCC (refuses PlexSet and the like).

    A standard file has Endogenous, Positive and Negative classes and positive controls whose
    concentration can be read from the name. Extra classes (PROTEIN, SNV_*, Binding, …) are
    allowed and ignored by QC and normalisation.

    Parameters
    ----------
    rcc
        One parsed lane.

    Returns
    -------
    None
        Nothing is changed; returning means the file may be QC'd and normalised.

    Raises
    ------
    DataError
        Naming the file and the reason (PlexSet classes, missing classes, unknown controls).
    """
    plex = sorted({c for c in rcc.code_classes if _PLEXSET_CLASS_RE.fullmatch(c)})
    if plex:
        raise DataError(
            "PlexSet (multiplexed) RCC is not a standard gene-expression file; standard QC "
            "and normalisation do not apply",
            field=f"{rcc.source}: CodeClass",
            value=plex,
            allowed="Endogenous, Housekeeping, Positive, Negative (+ extra classes)",
        )
    missing = [c for c in _REQUIRED_CLASSES if c not in rcc.code_classes]
    if missing:
        raise DataError(
            "not a gene-expression RCC: code class(es) missing",
            field=f"{rcc.source}: CodeClass",
            value=missing,
            allowed="files with Endogenous, Positive and Negative probes",
        )
    pos = rcc.probes.loc[rcc.probes["code_class"] == "Positive", "name"]
    unknown = [n for n in pos if compute_positive_concentration(n) is None]
    if unknown:
        raise DataError(
            "positive-control concentration cannot be read from the probe name",
            field=f"{rcc.source}: Positive names",
            value=unknown,
            allowed="POS_A … POS_F, optionally with '(fM)' as in POS_A(128)",
        )


def validate_same_codeset(rccs: Sequence[Rcc], *, rlf_name: str | None = None) -> str:
    """Check that all lanes share one codeset (and match *rlf_name* when given).

    The codeset is the ``GeneRLF`` attribute and the set of probe keys.

    Parameters
    ----------
    rccs
        The lanes of a batch.
    rlf_name
        Name of the RLF the batch should use (compared case-insensitively with ``GeneRLF``).

    Returns
    -------
    str
        The codeset name (``GeneRLF`` of the lanes).

    Raises
    ------
    DataError
        No lanes, lanes with different ``GeneRLF`` (listing them), a ``GeneRLF`` that does not
        match *rlf_name*, or lanes whose probe sets differ.
    """
    if not rccs:
        raise DataError("no RCC files in the batch", field="rccs", value=0, allowed="≥ 1 file")
    first = rccs[0]
    names = {r.source: r.codeset for r in rccs}
    odd = {src: name for src, name in names.items() if name != first.codeset}
    if odd:
        raise DataError(
            f"batch mixes codesets; {first.source} uses {first.codeset!r}",
            field="GeneRLF",
            value=odd,
            allowed=f"one codeset ({first.codeset!r})",
        )
    if rlf_name is not None and first.codeset.lower() != rlf_name.lower():
        raise DataError(
            "RCC codeset does not match the RLF",
            field="GeneRLF",
            value=first.codeset,
            allowed=f"the RLF's name {rlf_name!r}",
        )
    ref = _probe_keys(first)
    odd_probes = [r.source for r in rccs if _probe_keys(r) != ref]
    if odd_probes:
        raise DataError(
            f"probe list differs from {first.source} although GeneRLF is the same",
            field="Code_Summary",
            value=odd_probes,
            allowed="identical probe sets within a codeset",
        )
    return first.codeset


def _probe_keys(rcc: Rcc) -> frozenset[tuple[str, str, str]]:
    return frozenset(
        zip(rcc.probes["code_class"], rcc.probes["name"], rcc.probes["accession"], strict=True)
    )


def derive_count_matrix(rccs: Sequence[Rcc]) -> pd.DataFrame:
    """Merge lanes into one count matrix (rows ``code_class, name, accession``; columns source).

    Duplicated probe keys within a lane keep their first row (as NanoStringNCTools does);
    use :attr:`Rcc.duplicates` to report them.

    Parameters
    ----------
    rccs
        The lanes to merge (one codeset).

    Returns
    -------
    pandas.DataFrame
        Integer counts; rows indexed by ``(code_class, name, accession)``, one column per lane
        named by its ``source``.

    Raises
    ------
    DataError
        No lanes, or lanes that do not share the same probes.
    """
    if not rccs:
        raise DataError("no RCC files to merge", field="rccs", value=0, allowed="≥ 1 file")
    first = rccs[0].probes
    keys = first[list(COUNT_INDEX)].to_numpy()
    same_layout = all(
        not r.duplicates and len(r.probes) == len(first)
        and np.array_equal(r.probes[list(COUNT_INDEX)].to_numpy(), keys)
        for r in rccs
    )
    if same_layout and not rccs[0].duplicates:
        # Fast path: every lane lists the same probes in the same order.
        counts = np.column_stack([r.probes["count"].to_numpy() for r in rccs])
        index = pd.MultiIndex.from_frame(first[list(COUNT_INDEX)])
        return pd.DataFrame(counts, index=index, columns=[r.source for r in rccs]).astype("int64")
    columns = {}
    for rcc in rccs:
        probes = rcc.probes.drop_duplicates(subset=list(COUNT_INDEX), keep="first")
        columns[rcc.source] = probes.set_index(list(COUNT_INDEX))["count"]
    matrix = pd.concat(columns, axis=1, sort=False)
    if matrix.isna().any().any():
        raise DataError(
            "lanes do not share the same probes",
            field="Code_Summary",
            value=[c for c in matrix.columns if matrix[c].isna().any()],
            allowed="lanes of one codeset",
        )
    return matrix.astype("int64")


_ATTRIBUTE_ROWS = {
    "File Name": "file",
    "Sample ID": "ID",
    "Owner": "Owner",
    "Sample Date": "Date",
    "File Version": "FileVersion",
    "Gene RLF": "GeneRLF",
    "Comments": "Comments",
    "Lane ID": "lane_ID",
    "FOV Count": "FovCount",
    "FOV Counted": "FovCounted",
    "Scanner ID": "ScannerID",
    "Stage Position": "StagePosition",
    "Binding Density": "BindingDensity",
    "Cartridge ID": "CartridgeID",
    "Messages": "Messages",
    "Description": "Description",
}


def read_rcc_collector_csv(path: Path | str) -> list[Rcc]:
    """Read an nSolver / RCC Collector CSV export into one :class:`Rcc` per sample column.

    Layout (translational.md §1.3; NanoStringQCPro ``inst/extdata/nSolver``): attribute rows
    ``<label>,,,v1,v2,…`` (``File Name``, ``Sample ID``, ``Binding Density``, …) followed by
    count rows ``CodeClass,Name,Accession,c1,c2,…``. The ``File Name`` row names the samples.

    Parameters
    ----------
    path
        The CSV export (UTF-8, with or without BOM).

    Returns
    -------
    list of Rcc
        One lane per sample column, in column order, ``source`` = its file name.

    Raises
    ------
    DataError
        When the ``File Name`` row is missing or a count is not numeric.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    attributes: dict[str, list[str]] = {}
    count_rows: list[list[str]] = []
    for row in rows:
        label = row[0].strip()
        if label in _ATTRIBUTE_ROWS and not row[1].strip() and not row[2].strip():
            attributes[_ATTRIBUTE_ROWS[label]] = [c.strip() for c in row[3:]]
        else:
            count_rows.append(row)
    files = attributes.get("file")
    if not files:
        raise DataError(
            "RCC collector export has no 'File Name' row",
            field=f"{path.name}: File Name",
            value=None,
            allowed="an nSolver / RCC Collector CSV export",
        )
    lanes = []
    for j, file_name in enumerate(files):
        def value(key: str, j: int = j) -> str:
            cells = attributes.get(key, [])
            return cells[j] if j < len(cells) else ""

        text = io.StringIO()
        text.write("<Header>\nFileVersion," + value("FileVersion") + "\n</Header>\n")
        text.write("<Sample_Attributes>\n")
        for key in ("ID", "Owner", "Comments", "Date", "GeneRLF"):
            text.write(f"{key},{value(key)}\n")
        text.write("</Sample_Attributes>\n<Lane_Attributes>\n")
        text.write(f"ID,{value('lane_ID')}\n")
        for key in ("FovCount", "FovCounted", "ScannerID", "StagePosition", "BindingDensity",
                    "CartridgeID"):
            text.write(f"{key},{value(key)}\n")
        text.write("</Lane_Attributes>\n<Code_Summary>\nCodeClass,Name,Accession,Count\n")
        for row in count_rows:
            text.write(f"{row[0]},{row[1]},{row[2]},{row[3 + j]}\n")
        text.write("</Code_Summary>\n")
        lanes.append(read_rcc_text(text.getvalue(), source=file_name))
    return lanes


def read_count_table(path: Path | str) -> pd.DataFrame:
    """Read a merged count table: class, name, accession columns, then one column per sample.

    The first three column headers may be anything (``CodeClass,Name,Accession`` is usual).

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        A count matrix: rows indexed by ``(code_class, name, accession)``, one column per
        sample; integer dtype when every count is whole, else float.

    Raises
    ------
    DataError
        When fewer than four columns are present or a count is not a non-negative number.
    """
    path = Path(path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if table.shape[1] < 4:
        raise DataError(
            "count table needs class, name, accession and ≥ 1 sample column",
            field=f"{path.name}: columns",
            value=list(table.columns),
            allowed="CodeClass,Name,Accession,<sample>…",
        )
    index = pd.MultiIndex.from_frame(table.iloc[:, :3], names=list(COUNT_INDEX))
    values = table.iloc[:, 3:].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any().any():
        column = str(values.columns[bad.any().to_numpy()][0])
        raise DataError(
            "count is not a non-negative number",
            field=f"{path.name}: column {column}",
            value=table.loc[bad[column].to_numpy(), column].iloc[0],
            allowed="non-negative numbers",
        )
    matrix = pd.DataFrame(values.to_numpy(), index=index, columns=list(values.columns))
    raw = matrix.to_numpy(dtype=float)
    if not np.allclose(raw, np.round(raw)):
        return matrix.astype(float)
    return matrix.astype("int64")


@dataclass(frozen=True)
class RccBatch:
    """The usable gene-expression lanes of a folder and the files refused, with reasons."""

    rccs: tuple[Rcc, ...]
    refused: Mapping[str, str]


def read_rcc_batch(directory: Path | str, *, pattern: str = "*.RCC") -> RccBatch:
    """Read every RCC in *directory* (case-insensitive ``.rcc``); unreadable files and files
    that are not standard gene-expression RCCs are refused with the reason, never raised.

    Parameters
    ----------
    directory
        The folder to read (not recursive).
    pattern
        Glob-like suffix of the files to read; only the part after ``*`` is used, compared
        case-insensitively with the end of each file name.

    Returns
    -------
    RccBatch
        The usable lanes sorted by file name and the refused files (name → reason).

    Raises
    ------
    DataError
        When *directory* is not a folder.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError("not a folder", field="RCC_DIR", value=str(directory),
                        allowed="a folder of .RCC files")
    suffix = pattern.lstrip("*").lower()
    rccs: list[Rcc] = []
    refused: dict[str, str] = {}
    for path in sorted(p for p in directory.iterdir() if p.name.lower().endswith(suffix)):
        try:
            rcc = read_rcc(path)
            validate_gene_expression(rcc)
        except DataError as exc:
            refused[path.name] = str(exc)
            continue
        rccs.append(rcc)
    return RccBatch(rccs=tuple(rccs), refused=refused)
