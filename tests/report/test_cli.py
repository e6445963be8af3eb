"""``oncotrial report`` end to end on ADaM CSV files written by the test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from oncotrial.cli import app
from tests.report.synthetic import build_adam, build_scores


def test_report_command_writes_html_pdf_and_translational(tmp_path: Path) -> None:
    """The command reads ADaM CSVs and paired scores and writes HTML, PDF and tables."""
    adam_dir = tmp_path / "adam"
    adam_dir.mkdir()
    for name, frame in build_adam(20, seed=11).items():
        frame.to_csv(adam_dir / f"{name.lower()}.csv", index=False)
    scores, samples = build_scores(8, seed=2, dc_shift=1.0)
    scores.to_csv(tmp_path / "scores.csv")
    samples.to_csv(tmp_path / "samples.csv", index=False)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--adam", str(adam_dir), "--out", str(out),
                                      "--scores", str(tmp_path / "scores.csv"),
                                      "--samples", str(tmp_path / "samples.csv")])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert (out / "report.pdf").is_file()
    paired = pd.read_csv(out / "tables" / "translational_paired.csv")
    assert paired["Pairs"].max() == 8


def test_report_command_needs_both_scores_and_samples(tmp_path: Path) -> None:
    """Scores without a sample sheet is refused with a message naming the missing option."""
    adam_dir = tmp_path / "adam"
    adam_dir.mkdir()
    build_adam(10, seed=1)["ADSL"].to_csv(adam_dir / "adsl.csv", index=False)
    result = CliRunner().invoke(app, ["report", "--adam", str(adam_dir), "--out",
                                      str(tmp_path / "r"), "--scores", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "samples" in str(result.exception)
