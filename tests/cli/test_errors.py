"""No traceback reaches a user: every bad input is one line on stderr and a non-zero exit;
an unexpected exception is one line naming the step, plus a log file with the traceback."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from oncotrial.cli import main

LAB = "term,value,unit,lln,uln\nAlanine aminotransferase increased,130,U/L,0,40\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``oncotrial ARGS`` in-process as the console script does; (exit code, out, err)."""
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private log folder for unexpected errors."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("ONCOTRIAL_LOG_DIR", str(folder))
    return folder


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"term;value;unit\nAnemia;9;g/dL\n", "separated by ';'"),
        (b"term,value,unit\nAn\xe9mie,9,g/dL\n", "not UTF-8 text (byte 0xE9 on line 2"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary content"),
        (b"", "the file is empty"),
        (b"term,value,unit\n", "no data rows"),
        (b"term,value\nAnemia,9\n", "lacks column(s) unit"),
        (b"term,value,unit,term\nAnemia,9,g/dL,x\n", "named twice"),
    ],
    ids=["semicolon", "latin-1", "binary", "empty", "header-only", "wrong-columns",
         "duplicate-column"],
)
def test_ctcae_grade_refuses_bad_files_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    """A file ctcae grade cannot read exits 1 with one line saying why."""
    path = tmp_path / "labs.csv"
    path.write_bytes(content)
    code, out, err = run(["ctcae", "grade", str(path)], capsys)
    assert code == 1
    assert out == ""
    assert message in _one_error_line(err)


@pytest.mark.parametrize("where", ["folder", "missing folder"])
def test_ctcae_grade_out_must_be_a_file_in_an_existing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """--out naming a folder, or a file in a folder that does not exist, is one error line."""
    labs = tmp_path / "labs.csv"
    labs.write_text(LAB)
    out = tmp_path if where == "folder" else tmp_path / "nope" / "graded.csv"
    code, _out, err = run(["ctcae", "grade", str(labs), "--out", str(out)], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert ("is a folder" if where == "folder" else "does not exist") in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labs.csv"]


def test_ctcae_grade_output_cells_are_spreadsheet_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cell that would run as a formula is written with a leading quote; numbers are not."""
    labs = tmp_path / "labs.csv"
    labs.write_text("USUBJID,term,value,unit,lln,uln\n"
                    "=HYPERLINK(\"x\"),Alanine aminotransferase increased,130,U/L,-0,40\n")
    out = tmp_path / "graded.csv"
    code, _out, _err = run(["ctcae", "grade", str(labs), "--out", str(out)], capsys)
    assert code == 0
    row = next(iter(csv.DictReader(io.StringIO(out.read_text()))))
    assert row["USUBJID"] == "'=HYPERLINK(\"x\")"
    assert (row["value"], row["lln"], row["grade"]) == ("130", "-0", "2")


def test_unexpected_exception_is_one_line_and_a_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], logs: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A defect shows as one line naming the command, the step and the exception, with the
    path of a log file that holds the traceback; --debug also prints the traceback."""
    from oncotrial.cdisc.adam import pipeline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("TRTSDT")

    monkeypatch.setattr(pipeline, "derive_adsl", broken)
    sdtm = tmp_path / "sdtm"
    sdtm.mkdir()
    (sdtm / "dm.csv").write_text("STUDYID,USUBJID\nX,1\n")
    code, _out, err = run(["derive", "--sdtm", str(sdtm), "--out", str(tmp_path / "a")], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "oncotrial derive failed while deriving ADSL: KeyError: 'TRTSDT'" in line
    (log,) = logs.iterdir()
    assert str(log) in line
    text = log.read_text()
    assert "Traceback" in text
    assert "broken" in text
    assert not (tmp_path / "a").exists()
    code, _out, err = run(["--debug", "derive", "--sdtm", str(sdtm), "--out",
                           str(tmp_path / "a")], capsys)
    assert code == 1
    assert "Traceback (most recent call last)" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,event\n", "no rows to estimate from"),
        ("", "the file is empty"),
        ("time,event\n5,1\nsix,0\n", "time='six': not a number in km.csv, data row 2"),
        ("time,event\n5,1\n7,yes\n", "event='yes': not a number in km.csv, data row 2"),
        ("time,event\n5,1\n1e400,0\n", "time='1e400': not a number"),
        ("t,e\n5,1\n", "column not in km.csv"),
    ],
    ids=["header-only", "empty", "text-time", "text-event", "huge", "wrong-columns"],
)
def test_survival_km_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    """survival km on an empty file or a non-numeric time/event exits 1 with one line naming
    the column, the row and the value."""
    path = tmp_path / "km.csv"
    path.write_text(content)
    code, out, err = run(["survival", "km", str(path), "--time", "time", "--event", "event"],
                         capsys)
    assert code == 1
    assert out == ""
    assert message in _one_error_line(err)


def test_survival_km_writes_its_table_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--out writes the Kaplan-Meier table per group (R survfit columns) as CSV; an --out in a
    missing folder is one error line and writes nothing."""
    path = tmp_path / "km.csv"
    path.write_text("time,event,arm\n5,1,A\n8,0,A\n3,1,B\n9,1,B\n")
    out = tmp_path / "km_table.csv"
    args = ["survival", "km", str(path), "--time", "time", "--event", "event", "--group", "arm"]
    assert run([*args, "--out", str(out)], capsys)[0] == 0
    table = out.read_text().splitlines()
    assert table[0] == "group,time,n_risk,n_event,n_censor,survival,std_err,lower,upper"
    assert table[1].startswith("A,5.0,2,1,0,0.5,")
    code, _out, err = run([*args, "--out", str(tmp_path / "no" / "t.csv")], capsys)
    assert code == 1
    assert "does not exist" in _one_error_line(err)
