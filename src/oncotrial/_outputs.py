"""How oncotrial writes output files: all at once or not at all, and CSV cells that are safe to
open in a spreadsheet.

Every command that writes files writes into a temporary name beside the target and renames it
at the end (:func:`atomic_folder`, :func:`atomic_file`). A failure, an interrupt or a kill
therefore leaves the previous output untouched and nothing half-written under the final name;
at worst a ``.NAME.tmp-…`` entry beside it, which a failure that Python sees removes.

CSV cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are read as
formulas by spreadsheet programs; :func:`safe_cell` prefixes them with ``'`` (the OWASP "CSV
injection" rule), except plain numbers such as ``-1.5``.

This module sits in the bottom layer, beside :mod:`oncotrial.errors`, so that every layer that
writes files can use it; it imports pandas only inside :func:`write_csv`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from oncotrial.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MANIFEST",
    "atomic_file",
    "atomic_folder",
    "final_path",
    "safe_cell",
    "safe_frame",
    "write_csv",
]

# Written into every output folder: the entries this command produced, one per line. The next
# run into the same folder removes those it does not produce again (a stale adtr.xpt from an
# earlier run would otherwise sit beside a new adsl.xpt); anything else in the folder is left.
MANIFEST = ".oncotrial-outputs"
_TEMP = ".tmp-"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(text: str) -> str:
    """*text* with a leading ``'`` when a spreadsheet would read it as a formula.

    OWASP "CSV Injection": a cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return is prefixed with a single quote; a plain number (``-1.5``, ``+3e-2``) is left alone.
    """
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of *frame* whose text cells, column names and index labels pass
    :func:`safe_cell`; numeric and date columns are unchanged."""
    import pandas as pd  # noqa: PLC0415 - only when a frame is written (light CLI start)

    out = frame.copy()
    for position in range(out.shape[1]):
        values = out.iloc[:, position]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            cells = [safe_cell(v) if isinstance(v, str) else v for v in values]
            out.isetitem(position, cells)
    out.columns = pd.Index([safe_cell(c) if isinstance(c, str) else c for c in out.columns])
    if out.index.dtype == object:
        out.index = pd.Index([safe_cell(v) if isinstance(v, str) else v for v in out.index],
                             name=out.index.name)
    return out


def write_csv(frame: pd.DataFrame, path: Path, *, index: bool = False) -> Path:
    """Write *frame* as UTF-8 CSV with formula-leading text neutralised (:func:`safe_frame`)."""
    safe_frame(frame).to_csv(path, index=index)
    return path


def _refuse_file(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise DataError("is a file, not a folder", field="out", value=str(target),
                        allowed="a folder (created if missing)")


def _make_parents(folder: Path) -> list[Path]:
    """Create *folder* and its missing parents; return those created, deepest first."""
    created: list[Path] = []
    current = folder
    while not current.exists():
        created.append(current)
        current = current.parent
    if not current.is_dir():
        raise DataError("a parent of the output is a file", field="out", value=str(current),
                        allowed="a folder")
    for path in reversed(created):
        path.mkdir()
    return created


def _remove_created(created: list[Path]) -> None:
    for path in created:  # deepest first; only folders this call made, and only when empty
        with suppress(OSError):
            path.rmdir()


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_created(path: Path, mode: int) -> None:
    """Give a temporary file or folder the permissions an ordinary create would: tempfile
    makes them private (0600/0700), which would keep a team from reading the outputs."""
    path.chmod(mode & ~_umask())


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside *target*; on success its entries replace
    *target*'s, on any failure it is removed and *target* is left as it was.

    When *target* does not exist (or is empty) the temporary folder is renamed to it. When it
    holds files, each produced entry replaces the entry of the same name, entries that the
    previous run listed in :data:`MANIFEST` and this run did not produce are removed, and any
    other file is kept (so ``--out .`` never deletes a user's files).

    Raises
    ------
    DataError
        When *target* is an existing file.
    """
    target = Path(target)
    _refuse_file(target)
    created = _make_parents(target.parent)
    try:
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}{_TEMP}", dir=target.parent))
    except OSError:
        _remove_created(created)
        raise
    try:
        _as_created(temp, 0o777)
        yield temp
        _write_manifest(temp)
        _commit_folder(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        _remove_created(created)
        raise


def _write_manifest(folder: Path) -> None:
    entries = sorted(p.name for p in folder.iterdir() if p.name != MANIFEST)
    (folder / MANIFEST).write_text("".join(f"{e}\n" for e in entries), encoding="utf-8")


def _previous_entries(target: Path) -> set[str]:
    manifest = target / MANIFEST
    if not manifest.is_file():
        return set()
    names = manifest.read_text(encoding="utf-8").splitlines()
    return {n for n in names if n and "/" not in n and n not in {".", ".."}}


def _commit_folder(temp: Path, target: Path) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        temp.rename(target)
        return
    stale = _previous_entries(target)
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    try:
        for entry in sorted(temp.iterdir()):
            old = target / entry.name
            if old.exists() or old.is_symlink():
                old.rename(trash / entry.name)
            entry.rename(old)
            stale.discard(entry.name)
        for name in sorted(stale):
            old = target / name
            if old.exists() or old.is_symlink():
                old.rename(trash / name)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    temp.rmdir()


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside *target* (same suffix); on success it replaces *target*
    in one rename, on any failure it is removed and *target* is left as it was.

    Raises
    ------
    DataError
        When *target* is a folder or its folder does not exist.
    """
    target = Path(target)
    if target.is_dir():
        raise DataError("is a folder, not a file", field="out", value=str(target),
                        allowed="a file path")
    if not target.parent.is_dir():
        raise DataError("the folder of the output file does not exist", field="out",
                        value=str(target), allowed="a file in an existing folder")
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}{_TEMP}", suffix=target.suffix,
                                    dir=target.parent)
    os.close(handle)
    temp = Path(name)
    try:
        _as_created(temp, 0o666)
        yield temp
        temp.replace(target)
    except BaseException:
        with suppress(OSError):
            temp.unlink()
        raise


def final_path(path: Path, temp: Path, target: Path) -> Path:
    """Where *path*, written under the temporary folder *temp*, lives once *target* is
    committed (for messages that name the written files)."""
    return target / path.relative_to(temp)
