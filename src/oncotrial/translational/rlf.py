"""Reading nCounter Reporter Library Files (RLF): the codeset definition.

An RLF is INI-like with ``;`` comments: ``[Header]`` (``ClassCount``, then ``ClassKey<k>``,
``ClassName<k>``, ``ClassActive<k>`` …) and ``[Content]`` (``Columns=…`` and ``Record<i>=…``).
``ClassActive`` is 1 for inactive classes (Binding, Purification, Reserved), 2 for targets and
3 for controls; NanoStringNCTools ``R/readRlfFile.R`` keeps classes 2 and 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from oncotrial.errors import DataError

__all__ = ["ACTIVE_CLASS_CODES", "Rlf", "read_rlf"]

# ClassActive codes kept for counting (NanoStringNCTools R/readRlfFile.R).
ACTIVE_CLASS_CODES = frozenset({2, 3})
_RECORD_RE = re.compile(r"Record\d+")


@dataclass(frozen=True)
class Rlf:
    """A parsed RLF.

    Attributes
    ----------
    name
        Codeset name: the file name without extension (matches the RCC ``GeneRLF``).
    header
        Every ``[Header]`` key/value.
    classes
        One row per class: ``key``, ``name``, ``active`` (int).
    records
        One row per probe with the ``Columns`` of ``[Content]`` plus ``code_class``
        (the class name resolved from ``Classification``).
    """

    name: str
    header: dict[str, str]
    classes: pd.DataFrame = field(repr=False)
    records: pd.DataFrame = field(repr=False)

    def active_probes(self) -> pd.DataFrame:
        """Records whose class is active (ClassActive 2 or 3)."""
        active = set(self.classes.loc[self.classes["active"].isin(ACTIVE_CLASS_CODES), "name"])
        return self.records[self.records["code_class"].isin(active)]


def _sections(text: str, *, source: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    for required in ("Header", "Content"):
        if required not in sections:
            raise DataError(
                "not an RLF file: section missing",
                field=f"{source}: [{required}]",
                value=sorted(sections),
                allowed="[Header] and [Content]",
            )
    return sections


def _int(value: str, *, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DataError("not an integer", field=where, value=value, allowed="integer") from None


def read_rlf(path: Path | str) -> Rlf:
    """Read an RLF file.

    Parameters
    ----------
    path
        The ``.rlf`` file; its name without extension is the codeset name.

    Returns
    -------
    Rlf
        The header, the class table and one record per probe with its class name.

    Raises
    ------
    DataError
        When a section, a class definition or a record is malformed, a record names an
        undefined class, or ``RecordCount`` differs from the records present.
    """
    path = Path(path)
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    sections = _sections(text, source=path.name)
    header, content = sections["Header"], sections["Content"]
    count = _int(header.get("ClassCount", ""), where=f"{path.name}: ClassCount")
    classes = pd.DataFrame(
        [
            {
                "key": _int(header.get(f"ClassKey{k}", str(k)), where=f"{path.name}: ClassKey{k}"),
                "name": header.get(f"ClassName{k}", ""),
                "active": _int(header.get(f"ClassActive{k}", "0"),
                               where=f"{path.name}: ClassActive{k}"),
            }
            for k in range(count)
        ]
    )
    columns = [c.strip() for c in content.get("Columns", "").split(",") if c.strip()]
    if "Classification" not in columns or "GeneName" not in columns:
        raise DataError(
            "RLF [Content] Columns lacks Classification/GeneName",
            field=f"{path.name}: Columns",
            value=columns,
            allowed="Classification,TargetSeq,BarCode,GeneName,ProbeID,Species,Accession,Comments",
        )
    rows = []
    for key, value in content.items():
        if not _RECORD_RE.fullmatch(key):
            continue
        parts = value.split(",")
        if len(parts) < len(columns):
            raise DataError("RLF record has too few fields", field=f"{path.name}: {key}",
                            value=value, allowed=f"{len(columns)} fields")
        # Extra commas belong to the free-text last column.
        head = parts[: len(columns) - 1]
        rows.append([*head, ",".join(parts[len(columns) - 1 :])])
    records = pd.DataFrame(rows, columns=columns)
    names = dict(zip(classes["key"].astype(str), classes["name"], strict=True))
    unknown = sorted(set(records["Classification"]) - set(names))
    if unknown:
        raise DataError("record refers to an undefined class", field=f"{path.name}: Classification",
                        value=unknown, allowed=f"class keys {sorted(names)}")
    records["code_class"] = records["Classification"].map(names)
    declared = content.get("RecordCount")
    if declared is not None and _int(declared, where=f"{path.name}: RecordCount") != len(records):
        raise DataError("RecordCount does not match the records present",
                        field=f"{path.name}: RecordCount", value=declared,
                        allowed=f"{len(records)} (records found)")
    return Rlf(name=path.stem, header=header, classes=classes, records=records)
