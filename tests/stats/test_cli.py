"""The ``oncotrial design`` and ``oncotrial survival km`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncotrial.cli import app
from tests.stats.conftest import REFERENCE

runner = CliRunner()


def test_design_simon_json_shape() -> None:
    """--json prints {"designs": [...]} with the agreed fields; minimax and optimal once each."""
    res = runner.invoke(app, ["design", "simon", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.05",
                              "--beta", "0.2", "--json"])
    assert res.exit_code == 0, res.output
    designs = json.loads(res.stdout)["designs"]
    assert [d["kind"] for d in designs] == ["minimax", "admissible", "optimal"]
    assert set(designs[0]) == {"kind", "r1", "n1", "r", "n", "en0", "pet0", "alpha", "power"}
    assert (designs[-1]["r1"], designs[-1]["n1"], designs[-1]["r"], designs[-1]["n"]) == (
        3, 13, 12, 43)


def test_design_simon_same_minimax_optimal_listed_twice() -> None:
    """When minimax = optimal, both kinds still appear once each."""
    res = runner.invoke(app, ["design", "simon", "--p0", "0.1", "--p1", "0.3", "--alpha", "0.1",
                              "--beta", "0.2", "--json"])
    kinds = [d["kind"] for d in json.loads(res.stdout)["designs"]]
    assert kinds == ["minimax", "optimal"]


def test_design_simon_table_and_bad_input() -> None:
    """The table names each design; p0 >= p1 exits 1 with an error message."""
    ok = runner.invoke(app, ["design", "simon", "--p0", "0.05", "--p1", "0.25"])
    assert ok.exit_code == 0
    assert "optimal" in ok.stdout
    assert "proven" in ok.stdout
    bad = runner.invoke(app, ["design", "simon", "--p0", "0.4", "--p1", "0.2"])
    assert bad.exit_code != 0


def test_design_boin_json_table() -> None:
    """BOIN JSON carries lambda_e/lambda_d and the integer table of get.boundary."""
    res = runner.invoke(app, ["design", "boin", "--target", "0.30", "--cohort-size", "3",
                              "--max-n", "12", "--json"])
    out = json.loads(res.stdout)
    assert [r["n"] for r in out["table"]] == [3, 6, 9, 12]
    assert [r["eliminate_at_least"] for r in out["table"]] == [3, 4, 5, 7]
    assert out["lambda_e"] == pytest.approx(0.2365, abs=5e-5)


def test_design_oc_leader_is_seeded() -> None:
    """design oc over the LEADER ladder is reproducible with the same seed."""
    args = ["design", "oc", "--scenario", "0.1,0.25,0.5", "--leader", "--ntrial", "50",
            "--seed", "3", "--json"]
    a = json.loads(runner.invoke(app, args).stdout)
    b = json.loads(runner.invoke(app, args).stdout)
    assert a == b
    assert a["scenarios"][0]["labels"] == ["L10E1.1", "L14E1.1", "L18E1.1"]
    three = runner.invoke(app, [*args[:-1], "--design", "3+3", "--json"])
    assert json.loads(three.stdout)["scenarios"][0]["exact"] is True


def _aml_csv(tmp_path: Path) -> Path:
    lines = (REFERENCE / "km_aml_data.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "aml.csv"
    path.write_text("\n".join(line for line in lines if not line.startswith("#")) + "\n",
                    encoding="utf-8")
    return path


def test_survival_km_json_matches_r(tmp_path: Path) -> None:
    """survival km --json: per-group n, events, median (null if not reached), landmarks."""
    res = runner.invoke(app, ["survival", "km", str(_aml_csv(tmp_path)), "--time", "time",
                              "--event", "status", "--group", "x", "--conf-type", "log",
                              "--landmarks", "9,18,45", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    maintained = out["groups"][0]
    assert (maintained["group"], maintained["n"], maintained["events"]) == ("Maintained", 11, 7)
    assert maintained["median"] == {"estimate": 31.0, "lower": 18.0, "upper": None}
    assert "table" not in maintained  # the curve goes to --table FILE, not stdout
    at_9, at_18, _ = maintained["landmarks"]
    # R: summary(survfit(Surv(time, status) ~ x, aml, conf.type = "log"), times = c(9, 18))
    assert (at_9["time"], at_9["n_risk"]) == (9.0, 11)
    assert at_9["survival"] == pytest.approx(10 / 11)
    assert at_9["lower"] == pytest.approx(0.7541, abs=5e-5)
    assert at_18["survival"] == pytest.approx(0.7159091, abs=1e-7)
    assert out["groups"][1]["landmarks"][2]["survival"] == 0.0  # last death at 45
    assert out["log_rank"]["p_value"] == pytest.approx(0.0653, abs=5e-5)


def test_survival_km_table_file_holds_the_curve(tmp_path: Path) -> None:
    """--table FILE writes every distinct time of every group; stdout stays a summary."""
    table = tmp_path / "curve.csv"
    res = runner.invoke(app, ["survival", "km", str(_aml_csv(tmp_path)), "--time", "time",
                              "--event", "status", "--group", "x", "--table", str(table)])
    assert res.exit_code == 0, res.output
    assert "median" in res.stdout
    assert len(res.stdout.splitlines()) < 30
    lines = table.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "group,time,n_risk,n_event,n_censor,survival,std_err,lower,upper"
    assert len(lines) == 1 + 10 + 10  # distinct times: 10 per group (aml has ties)
    assert lines[-1].startswith("Nonmaintained,45.0,1,1,0,0.0,,")


@pytest.mark.parametrize(("last", "expected"), [
    (161.0, [50.0, 100.0, 150.0]), (12.0, [2.0, 4.0, 6.0, 8.0]), (1.0, [0.2, 0.4, 0.6, 0.8]),
    (30.0, [5.0, 10.0, 15.0, 20.0]), (0.0, []),
])
def test_default_landmarks_are_round_times_within_follow_up(
    last: float, expected: list[float]
) -> None:
    """Three or four multiples of 1, 2 or 5 x 10^k, none past the last time."""
    from oncotrial.cli.survival import _default_landmarks

    assert _default_landmarks(last) == pytest.approx(expected)


def test_survival_km_bad_landmark_is_named(tmp_path: Path) -> None:
    """A landmark that is not a number >= 0 exits 1 naming the option and value."""
    res = runner.invoke(app, ["survival", "km", str(_aml_csv(tmp_path)), "--time", "time",
                              "--event", "status", "--landmarks", "6,soon"])
    assert res.exit_code != 0
    assert "--landmarks='soon'" in str(res.exception)


def test_survival_km_missing_column(tmp_path: Path) -> None:
    """A missing column exits 1 with a message naming it."""
    res = runner.invoke(app, ["survival", "km", str(_aml_csv(tmp_path)), "--time", "weeks",
                              "--event", "status"])
    assert res.exit_code != 0
