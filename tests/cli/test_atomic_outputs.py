"""No command leaves a half-written output: a failure injected after some files were written
leaves the previous output byte for byte and no temporary entry beside it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.cdisc import write_dataset
from tests.cdisc.adam.test_adsl import sdtm_domains
from tests.cli.test_errors import run
from tests.translational.conftest import rcc_text, synthetic_matrix
from tests.translational.test_stats import _sheet


class InjectedError(RuntimeError):
    """The failure a test injects half-way through a command."""


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under *folder* (hidden ones too) by relative path → SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _fail_after_writing(monkeypatch: pytest.MonkeyPatch, module: object, name: str,
                        *, after: int = 1) -> None:
    """Let *module.name* (a writer) run *after* times, then write a stray file and fail."""
    original = getattr(module, name)
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > after:
            raise InjectedError(f"{name} failed on call {calls['n']}")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


def _sdtm(tmp_path: Path) -> Path:
    folder = tmp_path / "sdtm"
    for name, frame in sdtm_domains().items():
        write_dataset(frame, folder, name, formats=("csv",))
    return folder


def _check_untouched(parent: Path, out: Path, before: dict[str, str]) -> None:
    assert _snapshot(out) == before
    assert [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name] == []


def test_derive_failure_keeps_previous_adam(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing ADRS (after ADSL was written) leaves the last ADaM as it was."""
    from oncotrial.cdisc.adam import pipeline

    sdtm, out = _sdtm(tmp_path), tmp_path / "adam"
    assert run(["derive", "--sdtm", str(sdtm), "--out", str(out)], capsys)[0] == 0
    before = _snapshot(out)
    assert "adsl.xpt" in before
    _fail_after_writing(monkeypatch, pipeline, "write_dataset", after=1)
    code, _out, err = run(["derive", "--sdtm", str(sdtm), "--out", str(out),
                           "--pfs-rules", "EMA"], capsys)
    assert code == 1
    assert "while writing ADRS" in err
    _check_untouched(tmp_path, out, before)


def test_report_failure_keeps_previous_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PDF writer that dies half-way leaves no truncated report.pdf: the previous report
    and its tables are unchanged."""
    from oncotrial.report import render

    adam, out = tmp_path / "adam", tmp_path / "report"
    assert run(["derive", "--sdtm", str(_sdtm(tmp_path)), "--out", str(adam)], capsys)[0] == 0
    assert run(["report", "--adam", str(adam), "--out", str(out)], capsys)[0] == 0
    before = _snapshot(out)
    assert {"report.pdf", "report.html"} <= set(before)

    def truncated_pdf(sections: object, path: Path, meta: object) -> Path:
        path.write_bytes(b"%PDF-1.4 truncated")
        raise InjectedError("killed while writing the PDF")

    monkeypatch.setattr(render, "_write_pdf", truncated_pdf)
    code, _out, err = run(["report", "--adam", str(adam), "--out", str(out)], capsys)
    assert code == 1
    assert "while writing report.pdf" in err
    _check_untouched(tmp_path, out, before)


def test_report_out_onto_a_file_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """report --out naming an existing file is refused in one line and the file is kept."""
    adam = tmp_path / "adam"
    assert run(["derive", "--sdtm", str(_sdtm(tmp_path)), "--out", str(adam)], capsys)[0] == 0
    target = tmp_path / "report.pdf"
    target.write_text("mine")
    code, _out, err = run(["report", "--adam", str(adam), "--out", str(target)], capsys)
    assert code == 1
    expected = (f"error: out='{target}': is a file, not a folder (allowed: a folder (created "
                "if missing))")
    assert err.strip().splitlines() == [expected]
    assert target.read_text() == "mine"


def test_recist_assess_failure_keeps_previous_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure writing summary.csv (after rs.xpt and rs.csv) leaves the last output."""
    from oncotrial.cdisc.sdtm import tumour
    from tests.cdisc.test_sdtm_tumour import _sdtm as tumour_sdtm

    sdtm, out = tmp_path / "tumour", tmp_path / "recist"
    for name, frame in tumour_sdtm().items():
        write_dataset(frame, sdtm, name, formats=("csv",))
    assert run(["recist", "assess", "--sdtm", str(sdtm), "--out", str(out)], capsys)[0] == 0
    before = _snapshot(out)
    _fail_after_writing(monkeypatch, tumour, "write_csv", after=0)
    code, _out, err = run(["recist", "assess", "--sdtm", str(sdtm), "--out", str(out)], capsys)
    assert code == 1
    assert "InjectedError" in err
    _check_untouched(tmp_path, out, before)


def _rcc_folder(tmp_path: Path, rng: np.random.Generator) -> tuple[Path, pd.DataFrame]:
    sheet = _sheet(6)  # fewer pairs make the baseline-PFS Cox fit overflow
    genes = ["CCL13", "CD209", "HSD11B1", "CD3D", "CD3E", "CD6", "CD8A", "CD8B", "STAT1"]
    truth = pd.DataFrame(rng.normal(9, 1, size=(len(genes), 12)), index=genes,
                         columns=sheet["file"])
    matrix = synthetic_matrix(rng, truth, technical=np.ones(12), content=np.ones(12))
    folder = tmp_path / "rcc"
    folder.mkdir()
    for file in sheet["file"]:
        (folder / f"{file}.RCC").write_text(rcc_text(matrix[file], sample_id=file))
    return folder, sheet.assign(file=sheet["file"] + ".RCC")


def test_nanostring_score_bad_sheet_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rng: np.random.Generator
) -> None:
    """A sample sheet with an unknown timepoint stops score before any file is written."""
    folder, sheet = _rcc_folder(tmp_path, rng)
    sheet.loc[0, "timepoint"] = "baseline"
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    out = tmp_path / "scores"
    code, _out, err = run(["nanostring", "score", str(folder), "--samples",
                           str(tmp_path / "sheet.csv"), "--out", str(out)], capsys)
    assert code == 1
    assert "timepoint='baseline'" in err
    assert not out.exists()


def test_nanostring_score_failure_keeps_previous_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rng: np.random.Generator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure in the paired analysis (after QC, normalisation and scores were written)
    leaves the previous score folder as it was."""
    from oncotrial.cli import nanostring

    folder, sheet = _rcc_folder(tmp_path, rng)
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    out = tmp_path / "scores"
    args = ["nanostring", "score", str(folder), "--samples", str(tmp_path / "sheet.csv"),
            "--out", str(out)]
    assert run(args, capsys)[0] == 0
    before = _snapshot(out)
    assert {"scores.csv", "qc.csv", "paired_values.csv"} <= set(before)
    _fail_after_writing(monkeypatch, nanostring, "_paired_outputs", after=0)
    code, _out, err = run(args, capsys)
    assert code == 1
    assert "InjectedError" in err
    _check_untouched(tmp_path, out, before)


def test_ctcae_grade_failure_keeps_previous_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while rendering the graded CSV leaves the earlier --out file unchanged."""
    from oncotrial.cli import ctcae

    labs = tmp_path / "labs.csv"
    labs.write_text("term,value,unit,uln\nAlanine aminotransferase increased,130,U/L,40\n")
    out = tmp_path / "graded.csv"
    assert run(["ctcae", "grade", str(labs), "--out", str(out)], capsys)[0] == 0
    before = out.read_bytes()
    _fail_after_writing(monkeypatch, ctcae, "_render", after=0)
    assert run(["ctcae", "grade", str(labs), "--out", str(out)], capsys)[0] == 1
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graded.csv", "labs.csv"]
