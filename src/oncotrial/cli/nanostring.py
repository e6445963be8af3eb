"""``oncotrial nanostring qc|normalize|score RCC_DIR [--rlf FILE] [--samples SHEET.csv] --out DIR``.

Thin adapter over :mod:`oncotrial.translational`: reads a folder of RCC files, writes CSV tables
and PNG/SVG figures. Files that cannot be used get ``pass=false`` and a ``reason`` in
``qc.csv``; the other files are still processed. The sample sheet is read and checked before any
work; every output is written into a temporary folder that replaces the ``--out`` entries at the
end, so a failure leaves nothing half-written. CSV cells are spreadsheet-safe.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from matplotlib.figure import Figure

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import atomic_folder, write_csv
from oncotrial.errors import DataError
from oncotrial.translational import (
    DC_GENES,
    Normalization,
    NormalizationSettings,
    TestTable,
    compute_scores,
    derive_marker_expression,
    derive_paired_values,
    estimate_genorm,
    estimate_paired_tests,
    estimate_pfs_association,
    estimate_response_association,
    plot_paired_lines,
    plot_qc_panel,
    plot_score_heatmap,
    plot_volcano,
    read_probe_aliases,
    read_rcc_batch,
    read_rlf,
    validate_sample_sheet,
)
from oncotrial.translational.pipeline import BatchRun, derive_batch_run

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

RccDir = Annotated[Path, typer.Argument(help="Folder of .RCC files (one per lane).",
                                        exists=True, file_okay=False)]
RlfOpt = Annotated[Path | None, typer.Option("--rlf", help="RLF of the codeset to check against.",
                                             exists=True, dir_okay=False)]
SamplesOpt = Annotated[Path | None, typer.Option(
    "--samples", help="CSV: file, subject, timepoint (pre/post)[, response, pfs_months, "
    "pfs_event].", exists=True, dir_okay=False)]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (created).")]
BackgroundOpt = Annotated[str, typer.Option(help="threshold | subtract | none")]
TargetOpt = Annotated[float | None, typer.Option(help="Fixed target (default: batch mean).")]
GenormOpt = Annotated[bool, typer.Option("--genorm/--no-genorm",
                                         help="Select housekeeping genes with geNorm.")]

_QC_METRICS = ("fov_ratio", "binding_density", "pos_linearity_r2", "hk_geomean", "pos_factor",
               "hk_factor")


def _save(fig: Figure, out: Path, stem: str) -> None:
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for suffix in ("png", "svg"):
        fig.savefig(out / "figures" / f"{stem}.{suffix}", dpi=120, bbox_inches="tight")


def _read_sheet(path: Path | None) -> pd.DataFrame | None:
    """The sample sheet, checked before any work (UTF-8 CSV, file/subject/timepoint columns,
    known timepoints, no file or subject/timepoint twice)."""
    if path is None:
        return None
    text = read_csv_text(path, field="samples")
    csv_header(text, path, fold_case=False)
    sheet = pd.read_csv(io.StringIO(text), dtype={"file": str, "subject": str})
    validate_sample_sheet(sheet)
    return sheet


def _write_qc(run: BatchRun, out: Path, *, shown: Path) -> None:
    table = run.qc.copy()
    for column in [c for c in table.columns if c == "pass" or c.startswith("flag_")]:
        table[column] = table[column].map({True: "true", False: "false"})
    write_csv(table, out / "qc.csv")
    if not run.duplicates.empty:
        write_csv(run.duplicates, out / "duplicate_probes.csv")
    fig = Figure(figsize=(12, 7))
    for i, metric in enumerate(_QC_METRICS, start=1):
        plot_qc_panel(run.qc, ax=fig.add_subplot(2, 3, i), metric=metric)
    fig.tight_layout()
    _save(fig, out, "qc_panel")
    passed = int(run.qc["pass"].astype(bool).sum())
    typer.echo(f"QC: {passed}/{len(run.qc)} files pass → {shown / 'qc.csv'}")


def _run(rcc_dir: Path, rlf: Path | None, settings: NormalizationSettings, *,
         normalize: bool) -> BatchRun:
    batch = read_rcc_batch(rcc_dir)
    return derive_batch_run(batch, rlf=read_rlf(rlf) if rlf else None, settings=settings,
                            normalize=normalize)


def _write_normalization(norm: Normalization, out: Path) -> None:
    def flat(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.reset_index()

    write_csv(flat(norm.counts), out / "normalized_counts.csv")
    write_csv(flat(norm.log2), out / "normalized_log2.csv")
    write_csv(flat(norm.below_background), out / "below_background.csv")
    write_csv(norm.factors, out / "normalization_factors.csv", index=True)
    typer.echo(f"normalised {norm.counts.shape[1]} lanes; POS target {norm.pos_target:.6g}, "
               f"HK target {norm.hk_target:.6g} (reuse with --pos-target/--hk-target)")


def _settings(background: str, pos_target: float | None,
              hk_target: float | None) -> NormalizationSettings:
    return NormalizationSettings(background=background,  # type: ignore[arg-type]  # validated
                                 pos_target=pos_target, hk_target=hk_target)


def _normalized_run(rcc_dir: Path, rlf: Path | None, out: Path, settings: NormalizationSettings,
                    genorm: bool, *, shown: Path) -> BatchRun:
    run = _run(rcc_dir, rlf, settings, normalize=True)
    _write_qc(run, out, shown=shown)
    if run.normalization is not None and genorm:
        norm = run.normalization
        hk_rows = norm.counts.index.get_level_values("name").isin(norm.housekeepers)
        pos_only = norm.counts[hk_rows].div(norm.factors["hk_factor"], axis=1)
        pos_only.index = pos_only.index.get_level_values("name")
        result = estimate_genorm(pos_only)
        write_csv(pd.DataFrame({"gene": result.ranking}), out / "genorm_ranking.csv")
        settings = NormalizationSettings(
            background=settings.background, pos_target=settings.pos_target,
            hk_target=settings.hk_target, housekeepers=result.selected)
        run = _run(rcc_dir, rlf, settings, normalize=True)
    if run.normalization is not None:
        _write_normalization(run.normalization, out)
    return run


@app.command("qc")
def qc(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None) -> None:
    """Per-lane QC: writes DIR/qc.csv (one row per file) and a QC panel figure."""
    _read_sheet(samples)  # accepted for a uniform interface; checked, not used by QC
    with atomic_folder(out) as temp:
        _write_qc(_run(rcc_dir, rlf, NormalizationSettings(), normalize=False), temp, shown=out)


@app.command("normalize")
def normalize(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None,
              background: BackgroundOpt = "threshold", pos_target: TargetOpt = None,
              hk_target: TargetOpt = None, genorm: GenormOpt = False) -> None:
    """QC, then normalise passing lanes (POS → background → HK → log2) with all factors."""
    _read_sheet(samples)  # checked for a uniform interface; normalisation does not use it
    with atomic_folder(out) as temp:
        _normalized_run(rcc_dir, rlf, temp, _settings(background, pos_target, hk_target),
                        genorm, shown=out)


def _write_tests(result: TestTable, out: Path, name: str) -> None:
    write_csv(result.table, out / f"{name}.csv")


def _paired_outputs(scores: pd.DataFrame, genes: pd.DataFrame, sheet: pd.DataFrame,
                    out: Path) -> None:
    cell = estimate_paired_tests(scores, samples=sheet, family="cell types + TIS")
    gene = estimate_paired_tests(genes, samples=sheet, family="genes")
    _write_tests(cell, out, "paired_tests_scores")
    _write_tests(gene, out, "paired_tests_genes")
    paired = derive_paired_values(scores, samples=sheet)
    write_csv(paired, out / "paired_values.csv")
    features = [f for f in scores.columns if scores[f].notna().any()]
    ncol = 4
    fig = Figure(figsize=(3 * ncol, 3 * ((len(features) + ncol - 1) // ncol)))
    table = cell.table.set_index("feature")
    p_values = table["wilcoxon_p"].astype(float).to_dict()
    q_values = table["wilcoxon_q"].astype(float).to_dict()
    nrow = -(-len(features) // ncol)
    for i, feature in enumerate(features, start=1):
        plot_paired_lines(paired, feature=feature, ax=fig.add_subplot(nrow, ncol, i),
                          p_value=p_values[feature], q_value=q_values[feature])
    fig.tight_layout()
    _save(fig, out, "paired_lines")
    fig = Figure(figsize=(6, 5))
    plot_volcano(gene.table, ax=fig.add_subplot())
    _save(fig, out, "volcano")
    if "response" in sheet.columns:
        _write_tests(estimate_response_association(scores, samples=sheet), out,
                     "response_baseline_mannwhitney")
        _write_tests(estimate_response_association(scores, samples=sheet, timepoint="delta"),
                     out, "response_delta_mannwhitney")
    if {"pfs_months", "pfs_event"} <= set(sheet.columns):
        _write_tests(estimate_pfs_association(scores, samples=sheet), out, "baseline_pfs_cox")


@app.command("score")
def score(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None,
          background: BackgroundOpt = "threshold", pos_target: TargetOpt = None,
          hk_target: TargetOpt = None, genorm: GenormOpt = False) -> None:
    """QC, normalise, score (Danaher cell types, CD4, TIS, DC genes); with --samples also
    paired pre/post tests, responder tests, baseline-PFS Cox and figures."""
    sheet = _read_sheet(samples)
    with atomic_folder(out) as temp:
        run = _normalized_run(rcc_dir, rlf, temp, _settings(background, pos_target, hk_target),
                              genorm, shown=out)
        if run.normalization is None:
            raise DataError("no lane passed QC: nothing to score", field="rcc_dir",
                            value=str(rcc_dir), allowed="at least one lane passing QC "
                            "(see qc.csv of `oncotrial nanostring qc`)")
        aliases = read_probe_aliases(run.codeset)
        expression = derive_marker_expression(run.normalization.log2, aliases=aliases)
        result = compute_scores(expression)
        write_csv(result.scores, temp / "scores.csv", index=True)
        write_csv(result.coverage, temp / "score_coverage.csv")
        fig = Figure(figsize=(8, 6))
        plot_score_heatmap(result.scores, ax=fig.add_subplot())
        _save(fig, temp, "score_heatmap")
        if sheet is not None:
            genes = run.normalization.log2.copy()
            endogenous = genes.index.get_level_values("code_class") == "Endogenous"
            genes = genes[endogenous]
            genes.index = genes.index.get_level_values("name")
            _paired_outputs(result.scores, genes.T, sheet, temp)
    typer.echo(f"scores for {len(result.scores)} samples → {out / 'scores.csv'} "
               f"(DC genes reported alone: {', '.join(DC_GENES)})")
