"""``oncotrial nanostring qc|normalize|score`` on real and synthetic RCC folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from oncotrial.cli import app
from tests.report.synthetic import build_adam
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


def test_mixed_codesets_split_into_batches_the_same_way_in_every_command(
        rcc_dir: Path, nanostring_dir: Path, tmp_path: Path) -> None:
    """Issue 23: qc computed factors across codesets while normalize refused the folder. Now
    both split the folder into codeset batches with their own factors: with every QC'd lane
    normalised (--keep-flagged) a lane's POS factor in qc.csv equals the one normalize used,
    and a codeset's factors equal those of that codeset alone."""
    runner = CliRunner()
    qc_run = runner.invoke(app, ["nanostring", "qc", str(rcc_dir), "--out", str(tmp_path / "q")])
    norm_run = runner.invoke(app, ["nanostring", "normalize", str(rcc_dir), "--keep-flagged",
                                   "--out", str(tmp_path / "n")])
    assert qc_run.exit_code == 0, qc_run.output
    assert norm_run.exit_code == 0, norm_run.output
    qc = pd.read_csv(tmp_path / "q" / "qc.csv").set_index("file")
    factors = pd.read_csv(tmp_path / "n" / "normalization_factors.csv").set_index("sample")
    assert set(factors["batch"]) == {"3D_SolidTumor_Sig", "NQCP_example",
                                     "NS_Immunology_v2_C2328", "OTTA2017_C6082"}
    for sample, row in factors.iterrows():
        assert qc.at[sample, "batch"] == row["batch"]
        assert qc.at[sample, "pos_factor"] == pytest.approx(row["pos_factor"])
    # The two NanoTube lanes alone (one codeset) give the same factors as in the mixed folder.
    alone = tmp_path / "alone"
    alone.mkdir()
    for path in rcc_dir.glob("NanoTube__*.RCC"):
        (alone / path.name).write_bytes(path.read_bytes())
    one = runner.invoke(app, ["nanostring", "normalize", str(alone), "--out", str(tmp_path / "o")])
    assert one.exit_code == 0, one.output
    single = pd.read_csv(tmp_path / "o" / "normalization_factors.csv").set_index("sample")
    for sample in single.index:
        assert factors.at[sample, "pos_factor"] == pytest.approx(single.at[sample, "pos_factor"])
        assert factors.at[sample, "hk_factor"] == pytest.approx(single.at[sample, "hk_factor"])
    # With --rlf the other codesets are refused, in qc and normalize alike.
    rlf = nanostring_dir / "rlf" / "NanoStringQCPro__NQCP_example.rlf"
    for command in ("qc", "normalize"):
        out = tmp_path / f"rlf-{command}"
        ok = runner.invoke(app, ["nanostring", command, str(rcc_dir), "--rlf", str(rlf),
                                 "--out", str(out)])
        assert ok.exit_code == 0, ok.output
        table = pd.read_csv(out / "qc.csv")
        assert table["reason"].str.contains("codeset differs").sum() == 5


_PAIRS = (("NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC", "P01", "pre"),
          ("NanoStringQCPro__20140604_C1-unstim_C1-unstim_04.RCC", "P01", "post"),
          ("NanoStringQCPro__20140604_C2-unstim_C2-unstim_10_2.RCC", "P02", "pre"),
          ("NanoStringQCPro__20140604_C3-stim_C3-stim_02.RCC", "P02", "post"),
          ("NanoTube__GSM3308226_20160715_5609WV-C.RCC", "P03", "pre"),
          ("NanoTube__GSM3308254_20170504_5885SL-D2.RCC", "P03", "post"))


def _error(result: Result) -> str:
    """The error a command ended with (CliRunner leaves DataError as the exception)."""
    return f"{result.output}{result.exception}"


def _public_sheet(path: Path, rows: tuple[tuple[str, str, str], ...] = _PAIRS) -> Path:
    pd.DataFrame(rows, columns=["file", "subject", "timepoint"]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("rows", "message"), [
    ((*_PAIRS, ("missing.RCC", "P09", "pre")), "not in the RCC folder"),
    ((("NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC", "P01", "pre"),
      ("NanoTube__GSM3308254_20170504_5885SL-D2.RCC", "P01", "post")), "different codeset"),
])
def test_bad_sheet_refused_before_any_output(rcc_dir: Path, tmp_path: Path,
                                             rows: tuple[tuple[str, str, str], ...],
                                             message: str) -> None:
    """Issue 23: a bad --samples sheet was refused only after 8 files had been written. A sheet
    naming a file not in the folder, or pairing lanes of two codeset batches, is refused with
    the field named and nothing is written to --out (in every command)."""
    sheet = _public_sheet(tmp_path / "sheet.csv", rows)
    for command in ("qc", "normalize", "score"):
        out = tmp_path / f"out-{command}"
        result = CliRunner().invoke(app, ["nanostring", command, str(rcc_dir), "--samples",
                                          str(sheet), "--out", str(out)])
        assert result.exit_code != 0
        assert message in _error(result)
        assert "file" in _error(result)
        assert not out.exists()


def test_bad_sheet_values_refused(rcc_dir: Path, tmp_path: Path) -> None:
    """Response and PFS values are checked with the sheet, before any work."""
    frame = pd.DataFrame(_PAIRS, columns=["file", "subject", "timepoint"])
    for column, value, allowed in (("response", "maybe", "CR, PR"), ("pfs_months", "-2", "≥ 0"),
                                   ("pfs_event", "2", "0 (censored)")):
        frame_bad = frame.assign(**{column: value})
        frame_bad.to_csv(tmp_path / "s.csv", index=False)
        result = CliRunner().invoke(app, ["nanostring", "score", str(rcc_dir), "--samples",
                                          str(tmp_path / "s.csv"), "--out", str(tmp_path / "o")])
        assert result.exit_code != 0
        assert column in _error(result)
        assert allowed in _error(result)
        assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_score_public_files_keep_flagged_background_ruvg_pca(rcc_dir: Path,
                                                              tmp_path: Path) -> None:
    """score on the public RCC files with --keep-flagged: the flag is in every table, DC is not
    estimable (its genes are below background), RUVg ran beside nSolver-style normalisation
    with a comparison, and PCA was drawn for the 4-lane QCPro batch."""
    sheet = _public_sheet(tmp_path / "sheet.csv")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["nanostring", "score", str(rcc_dir), "--samples",
                                      str(sheet), "--keep-flagged", "--out", str(out)])
    assert result.exit_code == 0, result.output
    flagged = {"NanoStringQCPro__20140604_C1-unstim_C1-unstim_04.RCC",
               "NanoStringQCPro__20140604_C2-unstim_C2-unstim_10_2.RCC",
               "NanoStringQCPro__20140604_C3-stim_C3-stim_02.RCC"}
    for name, key in (("scores.csv", "sample"), ("score_detection.csv", "sample"),
                      ("normalization_factors.csv", "sample"), ("pca.csv", "sample"),
                      ("scores_ruvg.csv", "sample"), ("ruvg_unwanted_factors.csv", "sample"),
                      ("lanes.csv", "sample")):
        table = pd.read_csv(out / name, dtype={"qc_pass": str})
        marked = set(table.loc[table["qc_pass"].eq("false"), key])
        assert marked == flagged & set(table[key]), name
        assert marked, name
    paired = pd.read_csv(out / "paired_values.csv", dtype={"qc_pass_pre": str,
                                                            "qc_pass_post": str})
    assert set(paired["qc_pass_pre"]) | set(paired["qc_pass_post"]) <= {"true", "false"}
    tests = pd.read_csv(out / "paired_tests_genes.csv")
    assert "n_pairs_qc_flagged" in tests.columns
    # Background: the NanoTube lanes' DC genes (CCL13, CD209) are at the background floor.
    detection = pd.read_csv(out / "score_detection.csv")
    dc = detection[(detection["score"] == "DC") & detection["sample"].str.startswith("NanoTube")]
    assert list(dc["n_genes"]) == [2, 2]
    assert list(dc["n_above_background"]) == [0, 0]
    assert not dc["estimable"].any()
    assert dc["reason"].str.contains("0 of 2 genes above background").all()
    scores = pd.read_csv(out / "scores.csv").set_index("sample")
    assert scores.loc[dc["sample"], "DC"].isna().all()
    assert scores.loc[dc["sample"], "T-cells"].notna().all()
    comparison = pd.read_csv(out / "normalization_comparison_genes.csv")
    assert {"median_delta_nsolver", "median_delta_ruvg", "direction_agrees"} <= set(
        comparison.columns)
    assert comparison["median_delta_ruvg"].notna().sum() > 0
    pca = pd.read_csv(out / "pca.csv")
    assert set(pca["batch"]) == {"NQCP_example"}
    assert pca.groupby("normalisation").size().to_dict() == {"RUVg": 4, "nSolver-style": 4}
    # After RUVg (as after nSolver-style normalisation) the one stimulated lane (C3-stim)
    # stands apart on PC1 from the three unstimulated ones.
    ruvg = pca[pca["normalisation"] == "RUVg"].set_index("sample")["PC1"]
    stim = "NanoStringQCPro__20140604_C3-stim_C3-stim_02.RCC"
    others = ruvg.drop(stim)
    assert (np.sign(others) != np.sign(ruvg[stim])).all()
    for figure in ("pca", "qc_panel", "score_heatmap", "paired_lines"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 0
    svg = (out / "figures" / "qc_panel.svg").read_text()
    assert "NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC" in svg
    assert "NACHO__plexset_01_01.RCC" in svg


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
    # scores.csv (with its batch and qc_pass columns) still feeds the report.
    adam_dir = tmp_path / "adam"
    adam_dir.mkdir()
    for name, frame in build_adam(12, seed=3).items():
        frame.to_csv(adam_dir / f"{name.lower()}.csv", index=False)
    report = CliRunner().invoke(app, ["report", "--adam", str(adam_dir), "--out",
                                      str(tmp_path / "report"), "--format", "html",
                                      "--scores", str(out / "scores.csv"),
                                      "--samples", str(tmp_path / "sheet.csv")])
    assert report.exit_code == 0, report.output
    paired = pd.read_csv(tmp_path / "report" / "tables" / "translational_paired.csv")
    assert paired["Pairs"].max() == 6


def test_genorm_per_codeset_batch(rcc_dir: Path, tmp_path: Path) -> None:
    """--genorm on the mixed public folder: each batch of ≥ 2 lanes gets its own geNorm
    ranking and housekeepers; a one-lane batch keeps its codeset's housekeeping genes."""
    out = tmp_path / "g"
    result = CliRunner().invoke(app, ["nanostring", "normalize", str(rcc_dir), "--genorm",
                                      "--out", str(out)])
    assert result.exit_code == 0, _error(result)
    assert "geNorm not run on batch OTTA2017_C6082" in result.output
    rankings = sorted(p.name for p in out.glob("genorm_ranking__*.csv"))
    assert rankings == ["genorm_ranking__3D_SolidTumor_Sig.csv",
                        "genorm_ranking__NS_Immunology_v2_C2328.csv"]
    factors = pd.read_csv(out / "normalization_factors.csv").set_index("sample")
    assert factors.at["nanostringr__example.RCC", "n_housekeepers"] == 5
    chosen = pd.read_csv(out / "genorm_ranking__NS_Immunology_v2_C2328.csv")
    assert set(chosen["batch"]) == {"NS_Immunology_v2_C2328"}
    assert len(chosen) == 15
