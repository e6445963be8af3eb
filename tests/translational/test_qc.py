"""Lane QC: metrics vs SOURCES.md, verdicts on the real files, both sides of every threshold."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from oncotrial.translational import (
    QcThresholds,
    classify_scanner,
    compute_lane_metrics,
    derive_qc_table,
    grade_batch_qc,
    grade_lane_qc,
    read_rcc,
    read_rcc_batch,
)
from oncotrial.translational.pipeline import derive_batch_run

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "nanostring_sources_qc.csv"
TOLERANCE = {"fov_ratio": 0.0005, "binding_density": 0.005, "pos_linearity_r2": 0.00005,
             "pos_e": 0.0, "lod_cutoff": 0.005, "pos_geomean": 0.05, "hk_geomean": 0.05,
             "n_housekeeping": 0.0}
REF = pd.read_csv(REFERENCE, comment="#")


@pytest.mark.parametrize("row", REF.to_dict("records"), ids=list(REF["file"]))
def test_metrics_match_sources_md(rcc_dir: Path, row: dict[str, object]) -> None:
    """Each QC metric equals the SOURCES.md reference value to its printed precision."""
    metrics = compute_lane_metrics(read_rcc(rcc_dir / str(row["file"])))
    for metric, tol in TOLERANCE.items():
        assert metrics[metric] == pytest.approx(float(row[metric]), abs=tol), metric  # type: ignore[arg-type]


def test_verdicts_on_real_files(rcc_dir: Path) -> None:
    """Good lane passes; blank, BD 4.12 and HK 31.9 lanes fail; PlexSet refused."""
    run = derive_batch_run(read_rcc_batch(rcc_dir), normalize=False)
    table = run.qc.set_index("file")
    assert len(table) == 10
    for row in REF.itertuples():
        assert bool(table.at[row.file, "pass"]) == (str(row.expected_pass) == "True"), row.file
    blank = table.loc["NanoStringQCPro__20140604_C1-unstim_C1-unstim_04.RCC"]
    assert bool(blank["flag_housekeeping"])
    assert blank["threshold_housekeeping"] == "< 32"
    bd = table.loc["NanoStringQCPro__20140604_C2-unstim_C2-unstim_10_2.RCC"]
    assert bool(bd["flag_binding_density_high"])
    assert not bool(bd["flag_imaging"])  # FOV 230/280 = 0.82 passes 0.75
    assert "binding_density=4.12 > 2.25" in bd["reason"]
    good = table.loc["NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC"]
    assert bool(good["flag_housekeeping_borderline"])  # 55.7 is in the 32-100 warning band
    assert good["reason"] == ""
    plex = table.loc["NACHO__plexset_01_01.RCC"]
    assert not plex["pass"]
    assert "PlexSet" in plex["reason"]


def test_c3_stim_would_fail_sprint_limit(rcc_dir: Path) -> None:
    """BD 1.99 passes MAX/FLEX (2.25) but fails the SPRINT limit (1.8)."""
    rcc = read_rcc(rcc_dir / "NanoStringQCPro__20140604_C3-stim_C3-stim_02.RCC")
    metrics = compute_lane_metrics(rcc)
    assert not grade_lane_qc("c3", metrics).flags[2].flagged
    sprint = dict(metrics, binding_density_limit=QcThresholds().max_binding_density_sprint)
    lane = grade_lane_qc("c3", sprint, scanner="SPRINT")
    flag = next(f for f in lane.flags if f.rule == "binding_density_high")
    assert flag.flagged
    assert flag.threshold == 1.8


@pytest.mark.parametrize(("scanner", "kind"), [("1202C0037", "MAX/FLEX"), ("1412P0228", "SPRINT"),
                                                ("1412p0228", "SPRINT"), ("", "MAX/FLEX")])
def test_scanner_type(scanner: str, kind: str) -> None:
    """A 'P' as 5th scanner-ID character means SPRINT (NanoStringNCTools)."""
    assert classify_scanner(scanner) == kind


BASE = {"fov_ratio": 1.0, "binding_density": 1.0, "binding_density_limit": 2.25,
        "pos_linearity_r2": 0.99, "pos_e": 100.0, "lod_cutoff": 20.0, "hk_geomean": 500.0,
        "pos_factor": 1.0, "hk_factor": 1.0}


@pytest.mark.parametrize(
    ("metric", "ok", "bad", "rule"),
    [
        ("fov_ratio", 0.75, 0.7499, "imaging"),
        ("binding_density", 0.1, 0.0999, "binding_density_low"),
        ("binding_density", 2.25, 2.2501, "binding_density_high"),
        ("pos_linearity_r2", 0.95, 0.9499, "linearity"),
        ("pos_e", 20.0, 19.99, "limit_of_detection"),
        ("hk_geomean", 32.0, 31.99, "housekeeping"),
        ("hk_geomean", 100.0, 99.99, "housekeeping_borderline"),
        ("pos_factor", 0.3, 0.2999, "pos_factor_low"),
        ("pos_factor", 3.0, 3.0001, "pos_factor_high"),
        ("hk_factor", 0.1, 0.0999, "hk_factor_low"),
        ("hk_factor", 10.0, 10.001, "hk_factor_high"),
    ],
    ids=str,
)
def test_threshold_both_sides(metric: str, ok: float, bad: float, rule: str) -> None:
    """At the threshold the lane is not flagged; just beyond it the named rule flags."""
    at = {f.rule: f for f in grade_lane_qc("x", dict(BASE, **{metric: ok})).flags}
    beyond = {f.rule: f for f in grade_lane_qc("x", dict(BASE, **{metric: bad})).flags}
    assert not at[rule].flagged
    assert beyond[rule].flagged
    assert beyond[rule].value == bad
    expected_pass = beyond[rule].severity == "warn"
    assert grade_lane_qc("x", dict(BASE, **{metric: bad})).passed is expected_pass


def test_missing_metric_skips_rule() -> None:
    """Factor rules are skipped when no factor is known (QC of a single lane)."""
    lane = grade_lane_qc("x", {k: v for k, v in BASE.items() if "factor" not in k})
    assert not {f.rule for f in lane.flags} & {"pos_factor_low", "hk_factor_high"}


def test_factor_flags_from_batch(rcc_dir: Path) -> None:
    """Batch QC fills POS/HK factors; the QCPro C3 lane's POS factor is ~2.0 (in range)."""
    lanes = grade_batch_qc([read_rcc(p) for p in sorted(rcc_dir.glob("NanoStringQCPro__*"))])
    table = derive_qc_table(lanes).set_index("file")
    c3 = table.loc["NanoStringQCPro__20140604_C3-stim_C3-stim_02.RCC"]
    # g = 413.46, T = mean(826.43, 1154.85, 925.67, 413.46) = 830.10 → f = 2.0077
    assert c3["pos_factor"] == pytest.approx(830.1044 / 413.4632, rel=1e-4)
    assert not bool(c3["flag_pos_factor_high"])
