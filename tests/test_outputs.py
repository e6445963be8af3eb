"""Atomic output folders and files, and spreadsheet-safe CSV cells (oncotrial._outputs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncotrial._outputs import (
    MANIFEST,
    atomic_file,
    atomic_folder,
    safe_cell,
    safe_frame,
    write_csv,
)
from oncotrial.errors import DataError


class BoomError(RuntimeError):
    """The failure a test injects half-way through writing."""


def _fail_writing(target: Path, names: list[str]) -> None:
    """Write *names* into an atomic folder for *target*, then fail."""
    with atomic_folder(target) as temp:
        for name in names:
            (temp / name).write_text("new\n")
        raise BoomError


def _fail_writing_file(target: Path) -> None:
    with atomic_file(target) as temp:
        temp.write_text("trunc")
        raise BoomError


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_new_folder_appears_only_when_complete(tmp_path: Path) -> None:
    """Files are written under a temporary name and the folder appears at the end."""
    target = tmp_path / "deep" / "out"
    with atomic_folder(target) as temp:
        (temp / "a.csv").write_text("x\n")
        assert not target.exists()
        assert temp.parent == target.parent
    assert _listing(target) == [MANIFEST, "a.csv"]
    assert _listing(tmp_path / "deep") == ["out"]


def test_failure_leaves_previous_output_and_no_trace(tmp_path: Path) -> None:
    """An exception half-way leaves the earlier output byte for byte and no temporary entry."""
    target = tmp_path / "out"
    with atomic_folder(target) as temp:
        (temp / "a.csv").write_text("old\n")
    with pytest.raises(BoomError):
        _fail_writing(target, ["a.csv", "b.csv"])
    assert (target / "a.csv").read_text() == "old\n"
    assert _listing(target) == [MANIFEST, "a.csv"]
    assert _listing(tmp_path) == ["out"]


def test_failure_into_new_folder_creates_nothing(tmp_path: Path) -> None:
    """A failed first run leaves neither the folder nor the parents it created."""
    with pytest.raises(BoomError):
        _fail_writing(tmp_path / "a" / "b" / "out", ["x"])
    assert _listing(tmp_path) == []


def test_rerun_replaces_own_entries_and_keeps_user_files(tmp_path: Path) -> None:
    """A second run replaces what the first wrote, drops what it no longer writes, and keeps
    files the user put there."""
    target = tmp_path / "out"
    with atomic_folder(target) as temp:
        (temp / "adsl.csv").write_text("1\n")
        (temp / "adtr.csv").write_text("stale\n")
        (temp / "tables").mkdir()
        (temp / "tables" / "t1.csv").write_text("t\n")
    (target / "notes.txt").write_text("mine")
    with atomic_folder(target) as temp:
        (temp / "adsl.csv").write_text("2\n")
        (temp / "tables").mkdir()
        (temp / "tables" / "t2.csv").write_text("t\n")
    assert _listing(target) == [MANIFEST, "adsl.csv", "notes.txt", "tables"]
    assert (target / "adsl.csv").read_text() == "2\n"
    assert _listing(target / "tables") == ["t2.csv"]
    assert _listing(tmp_path) == ["out"]


def test_folder_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """An output folder path naming an existing file is a DataError naming it."""
    path = tmp_path / "report"
    path.write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"), atomic_folder(path):
        pass
    assert path.read_text() == "x"


def test_atomic_file_replaces_in_one_step(tmp_path: Path) -> None:
    """A file is complete under its final name or absent; a failure keeps the old one."""
    target = tmp_path / "report.pdf"
    with atomic_file(target) as temp:
        assert temp.suffix == ".pdf"
        temp.write_text("v1")
    with pytest.raises(BoomError):
        _fail_writing_file(target)
    assert target.read_text() == "v1"
    assert _listing(tmp_path) == ["report.pdf"]


@pytest.mark.parametrize("where", ["folder", "missing parent"])
def test_atomic_file_refuses_bad_targets(tmp_path: Path, where: str) -> None:
    """A folder, or a file in a folder that does not exist, is a DataError."""
    target = tmp_path if where == "folder" else tmp_path / "nope" / "x.csv"
    with pytest.raises(DataError, match="out="), atomic_file(target):
        pass


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-cmd", "'-cmd"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1.5", "-1.5"),
        ("+3e-2", "+3e-2"),
        ("-", "'-"),
        ("a=b", "a=b"),
        ("", ""),
        ("2019-01-02", "2019-01-02"),
    ],
)
def test_safe_cell_follows_owasp(text: str, expected: str) -> None:
    """Formula-leading text gets a leading quote; plain numbers and other text do not."""
    assert safe_cell(text) == expected


def test_write_csv_neutralises_cells_names_and_index(tmp_path: Path) -> None:
    """Text cells, column names and index labels are neutralised; numbers stay numbers."""
    frame = pd.DataFrame({"=x": ["=HYPERLINK()", "ok"], "n": [-1.0, 2.0]},
                         index=pd.Index(["@a", "b"], name="id"))
    write_csv(frame, tmp_path / "t.csv", index=True)
    text = (tmp_path / "t.csv").read_text()
    assert text.splitlines() == ["id,'=x,n", "'@a,'=HYPERLINK(),-1.0", "b,ok,2.0"]
    assert frame.iloc[0, 0] == "=HYPERLINK()"  # the caller's frame is not changed
    assert safe_frame(frame).iloc[1, 1] == 2.0


def test_outputs_get_the_permissions_of_an_ordinary_create(tmp_path: Path) -> None:
    """Not tempfile's private 0600/0700: under umask 022 a file is 0644, a folder 0755."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "table.csv") as temp:
            temp.write_text("a\n", encoding="utf-8")
        with atomic_folder(tmp_path / "report") as folder:
            (folder / "x.txt").write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "table.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "report").stat().st_mode) == 0o755
