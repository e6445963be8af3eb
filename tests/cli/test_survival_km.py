"""``oncotrial survival km`` on an ADTTE: one parameter at a time, CNSR as a censoring flag,
the curve drawn to a file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.test_errors import run

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "km_aml_data.csv"


def _adtte(tmp_path: Path) -> Path:
    """R's ``aml`` data as an ADTTE: Maintained as OS, Nonmaintained as PFS, CNSR = 1 - status
    (1 = censored, as ADaM codes it)."""
    aml = pd.read_csv(REFERENCE, comment="#")
    frame = pd.DataFrame({
        "USUBJID": [f"S{i:02d}" for i in range(len(aml))],
        "PARAMCD": aml["x"].map({"Maintained": "OS", "Nonmaintained": "PFS"}),
        "AVAL": aml["time"], "CNSR": 1 - aml["status"],
    })
    path = tmp_path / "adtte.csv"
    frame.to_csv(path, index=False)
    return path


def test_param_and_censor_coded_give_r_survfit_of_that_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """--param OS --event CNSR --censor-coded fits R's survfit(Surv(time, status) ~ 1) on the
    Maintained arm of aml: n = 11, 7 events, median 31 weeks (survival 2.x)."""
    code, out, err = run(["survival", "km", str(_adtte(tmp_path)), "--param", "OS",
                          "--time", "AVAL", "--event", "CNSR", "--censor-coded", "--json"], capsys)
    assert code == 0, err
    group = json.loads(out)["groups"][0]
    assert (group["n"], group["events"], group["median"]["estimate"]) == (11, 7, 31.0)


def test_mixed_parameters_are_refused_without_param(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """An ADTTE with OS and PFS rows is not fitted as one sample: the error lists the
    parameters to choose from; an unknown --param is refused the same way."""
    path = _adtte(tmp_path)
    code, _out, err = run(["survival", "km", str(path), "--time", "AVAL", "--event", "CNSR",
                           "--censor-coded"], capsys)
    assert code == 1
    assert "several parameters" in err
    assert "allowed: OS, PFS" in err
    code, _out, err = run(["survival", "km", str(path), "--param", "DOR", "--time", "AVAL",
                           "--event", "CNSR", "--censor-coded"], capsys)
    assert code == 1
    assert "param='DOR'" in err


def test_cnsr_is_never_taken_as_the_event(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--event CNSR without --censor-coded is refused; a censoring flag other than 0/1 is
    refused naming the value."""
    path = _adtte(tmp_path)
    code, _out, err = run(["survival", "km", str(path), "--param", "OS", "--time", "AVAL",
                           "--event", "CNSR"], capsys)
    assert code == 1
    assert "--censor-coded" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("AVAL,CENS\n5,0\n7,2\n", encoding="utf-8")
    code, _out, err = run(["survival", "km", str(bad), "--time", "AVAL", "--event", "CENS",
                           "--censor-coded"], capsys)
    assert code == 1
    assert "CENS=2.0" in err


def test_plot_and_out_write_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--plot writes the curve (PNG by suffix) and --out the table; a plot file of another
    type is refused before anything is written."""
    path = _adtte(tmp_path)
    args = ["survival", "km", str(path), "--param", "PFS", "--time", "AVAL", "--event", "CNSR",
            "--censor-coded", "--time-unit", "months"]
    code, _out, err = run([*args, "--plot", str(tmp_path / "km.png"), "--out",
                           str(tmp_path / "km.csv")], capsys)
    assert code == 0, err
    assert (tmp_path / "km.png").read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(tmp_path / "km.csv")
    assert int(table["n_event"].sum()) == 11  # Nonmaintained: 12 subjects, 11 relapses
    code, _out, err = run([*args, "--plot", str(tmp_path / "km.txt"), "--out",
                           str(tmp_path / "other.csv")], capsys)
    assert code == 1
    assert "plot=" in err
    assert not (tmp_path / "other.csv").exists()
