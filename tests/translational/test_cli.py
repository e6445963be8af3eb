"""``oncotrial nanostring qc|normalize|score`` on real and synthetic RCC folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cli import app
from tests.translational.conftest import rcc_text, synthetic_matrix
from tests.translational.test_stats import _sheet


def test_qc_writes_one_row_per_file(rcc_dir: Path, tmp_path: Path) -> None:
    """qc.csv has one row per RCC (10), pass true/false, PlexSet refused with a reason."""
    result = CliRunner().invoke(app, ["nanostring", "qc", str(rcc_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    qc = pd.read_csv(tmp_path / "qc.csv", dtype={"pass": str}).set_index("file")
    assert len(qc) == 10
    assert set(qc["pass"]) == {"true", "false"}
    assert qc.at["NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC", "pass"] == "true"
    for failing in ("NanoStringQCPro__20140604_C1-unstim_C1-unstim_04.RCC",
                    "NanoStringQCPro__20140604_C2-unstim_C2-unstim_10_2.RCC",
                    "NACHO__plexset_01_01.RCC"):
        assert qc.at[failing, "pass"] == "false"
        assert isinstance(qc.at[failing, "reason"], str)
    assert {"fov_ratio", "binding_density", "flag_imaging", "threshold_imaging"} <= set(qc.columns)
    assert (tmp_path / "figures" / "qc_panel.png").stat().st_size > 0
    assert (tmp_path / "figures" / "qc_panel.svg").stat().st_size > 0


def test_normalize_needs_one_codeset_or_rlf(rcc_dir: Path, nanostring_dir: Path,
                                            tmp_path: Path) -> None:
    """A mixed folder cannot be normalised without --rlf; with the QCPro RLF it can."""
    runner = CliRunner()
    mixed = runner.invoke(app, ["nanostring", "normalize", str(rcc_dir), "--out",
                                str(tmp_path / "a")])
    assert mixed.exit_code != 0
    rlf = nanostring_dir / "rlf" / "NanoStringQCPro__NQCP_example.rlf"
    ok = runner.invoke(app, ["nanostring", "normalize", str(rcc_dir), "--rlf", str(rlf),
                             "--out", str(tmp_path / "b")])
    assert ok.exit_code == 0, ok.output
    factors = pd.read_csv(tmp_path / "b" / "normalization_factors.csv")
    assert list(factors["sample"]) == ["NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC"]
    qc = pd.read_csv(tmp_path / "b" / "qc.csv", dtype={"pass": str})
    assert len(qc) == 10
    assert qc["reason"].str.contains("codeset differs").sum() == 5


@pytest.mark.slow
def test_score_with_sample_sheet(tmp_path: Path, rng: np.random.Generator) -> None:
    """score on a synthetic paired folder writes scores, paired tests, Cox and figures."""
    sheet = _sheet(6)
    genes = ["CCL13", "CD209", "HSD11B1", "CD3D", "CD3E", "CD6", "CD8A", "CD8B", "STAT1"]
    truth = pd.DataFrame(rng.normal(9, 1, size=(len(genes), 12)), index=genes,
                         columns=sheet["file"])
    matrix = synthetic_matrix(rng, truth, technical=np.ones(12), content=np.ones(12))
    folder = tmp_path / "rcc"
    folder.mkdir()
    for file in sheet["file"]:
        (folder / f"{file}.RCC").write_text(rcc_text(matrix[file], sample_id=file))
    sheet = sheet.assign(file=sheet["file"] + ".RCC")
    sheet.to_csv(tmp_path / "sheet.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["nanostring", "score", str(folder), "--samples",
                                      str(tmp_path / "sheet.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "scores.csv", index_col=0)
    assert scores["DC"].notna().all()
    tests = pd.read_csv(out / "paired_tests_scores.csv").set_index("feature")
    assert tests.at["DC", "n_pairs"] == 6
    for name in ("paired_tests_genes.csv", "baseline_pfs_cox.csv",
                 "response_baseline_mannwhitney.csv", "figures/volcano.svg",
                 "figures/paired_lines.png", "figures/score_heatmap.png"):
        assert (out / name).exists(), name
