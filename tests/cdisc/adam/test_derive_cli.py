"""End to end: ``oncotrial derive`` on SDTM written by the test as CSV and as XPT."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc import write_dataset
from oncotrial.cli import app
from tests.cdisc.adam.test_adsl import sdtm_domains


def _write_sdtm(directory: Path, fmt: str) -> None:
    for name, frame in sdtm_domains().items():
        write_dataset(frame, directory, name, formats=(fmt,))


def _run(sdtm: Path, out: Path, *extra: str) -> None:
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(sdtm), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["csv", "xpt"])
def test_derive_writes_readable_adam(tmp_path: Path, fmt: str) -> None:
    """ADSL/ADRS/ADTTE are written as XPT v5 and CSV with CDISC names, labels and values."""
    _write_sdtm(tmp_path / "sdtm", fmt)
    _run(tmp_path / "sdtm", tmp_path / "adam", "--start-date", "TRTSDT")
    for name in ("adsl", "adrs", "adtte"):
        xpt, meta = pyreadstat.read_xport(str(tmp_path / "adam" / f"{name}.xpt"))
        csv = pd.read_csv(tmp_path / "adam" / f"{name}.csv")
        assert list(xpt.columns) == list(csv.columns)
        assert all(len(c) <= 8 for c in xpt.columns)
        assert all(len(label or "") <= 40 for label in meta.column_labels)
        assert len(xpt) == len(csv)
    adrs = pd.read_csv(tmp_path / "adam" / "adrs.csv", dtype={"USUBJID": str})
    cbor = adrs[adrs["PARAMCD"] == "CBOR"].set_index("USUBJID")
    assert cbor.loc["S1", "AVALC"] == "PR"
    assert cbor.loc["S3", "AVALC"] == "MISSING"
    _xpt, meta = pyreadstat.read_xport(str(tmp_path / "adam" / "adrs.xpt"))
    assert meta.column_names_to_labels["PARAMCD"] == "Parameter Code"
    adtte = pd.read_csv(tmp_path / "adam" / "adtte.csv", dtype={"USUBJID": str})
    pfs = adtte[adtte["PARAMCD"] == "PFS"].set_index("USUBJID")
    assert set(pfs.index) == {"S1", "S2"}  # S3 has no start date and no PFS record
    # S2 died 2020-05-02, 120 days after the start with only an NE scan: ≥ 2 missed assessments
    assert (pfs.loc["S2", "CNSR"], pfs.loc["S2", "ARULE"]) == (1, "censor_missed_assessments")
    assert pfs.loc["S1", "ADT"] == "2020-09-01"


def test_derive_reports_missing_directory(tmp_path: Path) -> None:
    """A missing SDTM directory is an error message and exit code 1, not a traceback."""
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(tmp_path / "nope"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "not a directory" in str(result.exception) + result.output


def test_derive_options_and_errors(tmp_path: Path) -> None:
    """--pfs-rules EMA is honoured; a start date nobody has is an error naming the option."""
    _write_sdtm(tmp_path / "sdtm", "csv")
    _run(tmp_path / "sdtm", tmp_path / "ema", "--pfs-rules", "EMA")
    adtte = pd.read_csv(tmp_path / "ema" / "adtte.csv", dtype={"USUBJID": str})
    pfs = adtte[adtte["PARAMCD"] == "PFS"].set_index("USUBJID")
    assert pfs.loc["S2", "CNSR"] == 0  # EMA counts the death despite the missed assessments
    assert pfs.loc["S2", "STARTDT"] == "2019-12-22"  # default start: enrolment (no RANDDT)
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(tmp_path / "sdtm"), "--out",
                                      str(tmp_path / "bad"), "--start-date", "RANDDT"])
    assert result.exit_code != 0
    assert "start_date='RANDDT'" in str(result.exception) + result.output
