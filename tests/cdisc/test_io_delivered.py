"""SDTM as delivered: .xpt, .sas7bdat and .csv, names in any case, suffixed file names, and
files that cannot be read refused in one line naming the file and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from oncotrial.cdisc import read_domain
from oncotrial.cdisc.io import locate_domain
from oncotrial.errors import DataError
from tests.cli.test_errors import run

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def test_sas7bdat_is_read_with_upper_case_names(tmp_path: Path) -> None:
    """A SAS7BDAT written by SAS (pyreadstat's test file) reads with its values; dates before
    1677 do not stop the read (pyreadstat's datetime conversion would fail on them)."""
    shutil.copy(REFERENCE / "pyreadstat_sample.sas7bdat", tmp_path / "dm.sas7bdat")
    frame = read_domain(tmp_path, "DM")
    assert frame is not None
    assert list(frame.columns) == ["MYCHAR", "MYNUM", "MYDATE", "DTIME", "MYLABL", "MYORD",
                                   "MYTIME"]
    assert frame["MYCHAR"].tolist() == ["a", "b", "c", "d", "e"]
    assert frame["MYNUM"].tolist() == [1.1, 1.2, -1000.3, -1.4, 1000.3]
    assert str(frame["MYDATE"].iloc[3]) == "1583-01-01"


def test_lower_and_mixed_case_names_are_upper_cased(tmp_path: Path) -> None:
    """CSV and XPT variables written in lower or mixed case read as CDISC upper-case names."""
    (tmp_path / "DM.CSV").write_text("studyid,UsubjId,age\nX,01,54\n")
    frame = read_domain(tmp_path, "dm")
    assert frame is not None
    assert list(frame.columns) == ["STUDYID", "USUBJID", "AGE"]
    assert frame["USUBJID"].tolist() == ["01"]
    pyreadstat.write_xport(pd.DataFrame({"usubjid": ["01"], "aeTerm": ["Nausea"]}),
                           str(tmp_path / "ae.xpt"), file_format_version=5)
    ae = read_domain(tmp_path, "AE")
    assert ae is not None
    assert list(ae.columns) == ["USUBJID", "AETERM"]


def test_suffixed_file_names_are_found_once(tmp_path: Path) -> None:
    """rs_onco.csv holds RS when no rs.csv exists; two candidates are an error naming both;
    supptr_onco.csv is never taken for TR."""
    (tmp_path / "rs_onco.csv").write_text("USUBJID\n1\n")
    (tmp_path / "supptr_onco.csv").write_text("USUBJID\n1\n")
    assert locate_domain(tmp_path, "RS") == tmp_path / "rs_onco.csv"
    assert locate_domain(tmp_path, "TR") is None
    (tmp_path / "rs.csv").write_text("USUBJID\n1\n")
    assert locate_domain(tmp_path, "RS") == tmp_path / "rs.csv"
    (tmp_path / "rs.csv").unlink()
    (tmp_path / "rs_recist.csv").write_text("USUBJID\n1\n")
    with pytest.raises(DataError, match=r"rs_onco\.csv.*rs_recist\.csv"):
        locate_domain(tmp_path, "RS")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("dm.csv", "USUBJID,AGE\n01,54\n".encode("utf-16"), "binary content"),
        ("dm.csv", b"USUBJID,SITE\n01,K\xf6ln\n", "not UTF-8 text (byte 0xF6 on line 2"),
        ("dm.csv", b"", "the file is empty"),
        ("dm.csv", b"USUBJID;AGE\n01;54\n", "separated by ';'"),
        ("dm.csv", b"USUBJID,AGE,age\n01,54,54\n", "named twice"),
        ("dm.csv", b"USUBJID,AGE\n01,1e400\n", "number too large for a double"),
        ("dm.xpt", b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!\n" * 3,
         "not readable as a SAS transport (XPT) file"),
        ("dm.sas7bdat", b"\x00\x01garbage" * 50, "not readable as a SAS7BDAT file"),
    ],
    ids=["utf-16", "latin-1", "empty", "semicolon", "duplicate", "huge", "garbage-xpt",
         "garbage-sas7bdat"],
)
def test_unreadable_sdtm_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes,
    message: str,
) -> None:
    """derive on a file it cannot read exits 1 with one line naming the file and why."""
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    (sdtm / name).write_bytes(content)
    code, _out, err = run(["derive", "--sdtm", str(sdtm), "--out", str(tmp_path / "a")],
                          capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0]
    assert name in lines[0]
    assert not (tmp_path / "a").exists()
