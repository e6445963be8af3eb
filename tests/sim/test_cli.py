"""``oncotrial sim calibrate|oc`` print their tables."""

from __future__ import annotations

from typer.testing import CliRunner

from oncotrial.cli import app

WIDE = {"COLUMNS": "200"}  # rich wraps tables to the terminal width


def test_calibrate_prints_published_and_simulated() -> None:
    """The calibration table shows the published ORR and its exact CI beside the simulation."""
    result = CliRunner().invoke(app, ["sim", "calibrate", "--trials", "100"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "20.0 %" in result.output
    assert "7.7 % – 38.6 %" in result.output
    assert "8.56" in result.output


def test_oc_in_process_prints_each_scenario() -> None:
    """The OC table has one row per --kill-factor scenario and the protocol's Simon design."""
    result = CliRunner().invoke(app, ["sim", "oc", "--trials", "40", "--in-process",
                                      "--kill-factor", "0.5", "--kill-factor", "1.2"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "r1/n1 = 0/10" in result.output
    assert "kill × 0.5" in result.output
    assert "kill × 1.2" in result.output


def test_calibrate_prints_the_phase_ib_course() -> None:
    """Beside ORR and PFS: the published 1 DLT and 4/6 reductions of LEADER's phase Ib against
    simulated 6-patient cohorts at the start regimen."""
    result = CliRunner().invoke(app, ["sim", "calibrate", "--trials", "50", "--ib-cohorts", "8"],
                                env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Phase Ib course: 8 simulated cohorts of 6 at L18E1.1" in result.output
    assert "1/6" in result.output
    assert "4/6" in result.output
