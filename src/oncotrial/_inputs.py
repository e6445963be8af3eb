"""How oncotrial reads text input files: UTF-8 CSV, or a clear error saying what is wrong.

Shared by the commands that read CSV (``derive``'s SDTM, ``ctcae grade``, ``survival km``,
the nanostring sample sheet) so that a Latin-1 or binary file, an empty file, a file separated
by semicolons or a header with a repeated or unnamed column is refused in one line naming the
file, never with a traceback. No pandas here: ``ctcae grade`` stays light.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from oncotrial.errors import DataError

__all__ = ["csv_header", "read_csv_text"]

_SNIFF_BYTES = 65536


def read_csv_text(path: Path, *, field: str = "file") -> str:
    """The text of the CSV file *path* (UTF-8, with or without a byte-order mark).

    Raises
    ------
    DataError
        When the file is missing, empty, binary or not UTF-8 (naming the byte and line).
    """
    if not path.is_file():
        raise DataError("file not found", field=field, value=str(path),
                        allowed="an existing CSV file")
    data = path.read_bytes()
    if not data.strip():
        raise DataError("the file is empty", field=field, value=str(path),
                        allowed="a CSV file with a header row")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise DataError("not a text file (binary content)", field=field, value=str(path),
                        allowed="a CSV file in UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}; Latin-1 or "
            "Windows-1252 perhaps)", field=field, value=str(path),
            allowed="a CSV file saved as UTF-8") from exc


def csv_header(text: str, path: Path, *, fold_case: bool = True) -> list[str]:
    """The header of CSV *text* (from *path*), names stripped.

    Raises
    ------
    DataError
        For no header, a header separated by ``;``, an unnamed column, or a column named twice
        (ignoring case when *fold_case*).
    """
    try:
        row = next(csv.reader(io.StringIO(text)))
    except (StopIteration, csv.Error) as exc:
        raise DataError("no header row", field="file", value=str(path),
                        allowed="a CSV file with a header row") from exc
    header = [c.strip() for c in row]
    if len(header) == 1 and ";" in header[0]:
        raise DataError("columns are separated by ';', not ','", field="file", value=str(path),
                        allowed="comma-separated values")
    if any(c == "" for c in header):
        raise DataError("a column has no name", field="columns", value=header,
                        allowed=f"a name for every column of {path.name}")
    keys = [c.upper() for c in header] if fold_case else header
    repeated = sorted({c for i, c in enumerate(keys) if c in keys[:i]})
    if repeated:
        raise DataError(f"column(s) named twice in {path.name}", field="columns",
                        value=repeated, allowed="each column once"
                        + (" (case is ignored)" if fold_case else ""))
    return header
