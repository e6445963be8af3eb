"""``oncotrial nanostring qc|normalize|score RCC_DIR [--rlf FILE] [--samples SHEET.csv] --out DIR``.

Thin adapter over :mod:`oncotrial.translational`: reads a folder of RCC files, writes CSV tables
and PNG/SVG figures. Files that cannot be used get ``pass=false`` and a ``reason`` in
``qc.csv``; the other files are still processed. Lanes of different codesets (``GeneRLF``) are
split into batches, each with its own QC factors and normalisation, the same way in every
command (``--rlf`` keeps one codeset and refuses the others). Every input (the sample sheet, its
files against the folder, pairs within one batch) is checked and every result computed before
anything is written; the outputs are then written into a temporary folder that replaces the
``--out`` entries at once, so a failure leaves nothing half-written. CSV cells are
spreadsheet-safe.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from matplotlib.figure import Figure

from oncotrial._inputs import csv_header, read_csv_text
from oncotrial._outputs import atomic_folder, write_csv
from oncotrial.errors import DataError
from oncotrial.translational import (
    DC_GENES,
    NormalizationSettings,
    ScoreResult,
    TestTable,
    compute_scores,
    derive_count_matrix,
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
from oncotrial.translational.figures import add_qc_legend, derive_qc_failure, plot_pca
from oncotrial.translational.pca import estimate_pca
from oncotrial.translational.pipeline import BatchRun, derive_batch_run
from oncotrial.translational.ruv import RuvResult, derive_ruvg_normalized

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)  # help: cli.COMMANDS

RccDir = Annotated[Path, typer.Argument(help="Folder of .RCC files (one per lane).",
                                        exists=True, file_okay=False)]
RlfOpt = Annotated[Path | None, typer.Option("--rlf", help="RLF of the codeset to check against.",
                                             exists=True, dir_okay=False)]
SamplesOpt = Annotated[Path | None, typer.Option(
    "--samples", help="CSV: file, subject, timepoint (pre/post)[, response, pfs_months, "
    "pfs_event, til_stromal_percent].", exists=True, dir_okay=False)]
ScoreDbOpt = Annotated[str | None, typer.Option(
    "--db", help="Build the sample sheet from the casebook at this SQLAlchemy URL (biopsies "
    "with their linked RCC files and stromal TILs) instead of --samples; needs --user.",
    show_default=False)]
ScoreUserOpt = Annotated[str | None, typer.Option(
    "--user", help="Casebook user for --db (password asked, or $ONCOTRIAL_PASSWORD).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (created).")]
BackgroundOpt = Annotated[str, typer.Option(help="threshold | subtract | none")]
TargetOpt = Annotated[float | None, typer.Option(help="Fixed target (default: batch mean).")]
GenormOpt = Annotated[bool, typer.Option("--genorm/--no-genorm",
                                         help="Select housekeeping genes with geNorm.")]
KeepFlaggedOpt = Annotated[bool, typer.Option(
    "--keep-flagged", help="Normalise and score lanes that failed QC too; they stay marked "
    "qc_pass=false in every table and '[QC flagged]' in every figure.")]
RuvgKOpt = Annotated[int, typer.Option(
    "--ruvg-k", min=0, help="Unwanted factors for RUVg beside the nSolver-style "
    "normalisation (housekeeping genes as controls; 0 = no RUVg).")]
MinAboveOpt = Annotated[float, typer.Option(
    "--min-above-background", min=0.0, max=1.0, help="Share of a score's genes that must be "
    "above background in a sample (rounded up, ≥ 1 gene); fewer: not estimable.")]

_QC_METRICS = ("fov_ratio", "binding_density", "pos_linearity_r2", "hk_geomean", "pos_factor",
               "hk_factor")
_FLAGGED = " [QC flagged]"


def _save(fig: Figure, out: Path, stem: str) -> None:
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for suffix in ("png", "svg"):
        fig.savefig(out / "figures" / f"{stem}.{suffix}", dpi=120, bbox_inches="tight")


def _read_sheet(path: Path | None) -> pd.DataFrame | None:
    """The sample sheet, checked before any work (UTF-8 CSV, file/subject/timepoint columns,
    known timepoints, no file or subject/timepoint twice, response and PFS values)."""
    if path is None:
        return None
    text = read_csv_text(path, field="samples")
    csv_header(text, path, fold_case=False)
    sheet = pd.read_csv(io.StringIO(text), dtype={"file": str, "subject": str})
    validate_sample_sheet(sheet)
    return sheet


def _check_sheet_against_run(sheet: pd.DataFrame, run: BatchRun) -> list[str]:
    """Refuse a sheet naming files not in the folder or pairing lanes of two batches; return
    notes for sheet files that will not be analysed (QC failed or refused)."""
    known = set(run.qc["file"])
    unknown = [f for f in sheet["file"] if f not in known]
    if unknown:
        raise DataError("sample sheet names file(s) not in the RCC folder", field="file",
                        value=unknown[:5], allowed="names of .RCC files in RCC_DIR")
    batch_of = run.qc.set_index("file")["batch"]
    for subject, rows in sheet.groupby("subject", sort=False):
        batches = {str(batch_of[f]) for f in rows["file"] if pd.notna(batch_of[f])}
        if len(batches) > 1:
            raise DataError("a patient's pre and post lanes are in different codeset batches",
                            field="file", value=list(rows["file"]),
                            allowed="both lanes of a pair from one codeset (one batch)",
                            subject=str(subject))
    used = {s for norm in run.batches.values() for s in norm.counts.columns}
    return [f"{f}: not analysed ({run.qc.set_index('file').at[f, 'reason']})"
            for f in sheet["file"] if f not in used]


def _flag_text(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for column in [c for c in out.columns
                   if c == "pass" or c.startswith(("qc_pass", "flag_"))]:
        out[column] = out[column].map({True: "true", False: "false"})
    return out


def _write_qc(run: BatchRun, out: Path, *, shown: Path) -> None:
    write_csv(_flag_text(run.qc), out / "qc.csv")
    if not run.duplicates.empty:
        write_csv(run.duplicates, out / "duplicate_probes.csv")
    width = max(12.0, 0.35 * len(run.qc) * 3)
    fig = Figure(figsize=(width, 9))
    for i, metric in enumerate(_QC_METRICS, start=1):
        plot_qc_panel(run.qc, ax=fig.add_subplot(2, 3, i), metric=metric)
    add_qc_legend(fig, [derive_qc_failure(row) for _, row in run.qc.iterrows()])
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    _save(fig, out, "qc_panel")
    passed = int(run.qc["pass"].astype(bool).sum())
    batches = run.qc["batch"].dropna().nunique()
    typer.echo(f"QC: {passed}/{len(run.qc)} files pass ({batches} codeset batch"
               f"{'es' if batches != 1 else ''}) → {shown / 'qc.csv'}")


def _run(rcc_dir: Path, rlf: Path | None, settings: NormalizationSettings, *,
         normalize: bool, keep_flagged: bool = False,
         housekeepers: dict[str, tuple[str, ...]] | None = None) -> BatchRun:
    batch = read_rcc_batch(rcc_dir)
    return derive_batch_run(batch, rlf=read_rlf(rlf) if rlf else None, settings=settings,
                            normalize=normalize, keep_flagged=keep_flagged,
                            housekeepers=housekeepers)


def _settings(background: str, pos_target: float | None,
              hk_target: float | None) -> NormalizationSettings:
    return NormalizationSettings(background=background,  # type: ignore[arg-type]  # validated
                                 pos_target=pos_target, hk_target=hk_target)


def _genorm_run(rcc_dir: Path, rlf: Path | None, settings: NormalizationSettings,
                keep_flagged: bool, notes: list[str]
                ) -> tuple[BatchRun, dict[str, tuple[str, ...]]]:
    """Normalise, rank each batch's housekeepers with geNorm, renormalise each batch with its
    chosen genes (batches with fewer than 2 lanes or 3 housekeepers keep theirs)."""
    run = _run(rcc_dir, rlf, settings, normalize=True, keep_flagged=keep_flagged)
    rankings: dict[str, tuple[str, ...]] = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for codeset, norm in run.batches.items():
        if norm.counts.shape[1] < 2 or len(norm.housekeepers) < 3:
            notes.append(f"geNorm not run on batch {codeset}: {norm.counts.shape[1]} lane(s), "
                         f"{len(norm.housekeepers)} housekeeping gene(s) (needs 2 and 3)")
            continue
        hk_rows = norm.counts.index.get_level_values("name").isin(norm.housekeepers)
        pos_only = norm.counts[hk_rows].div(norm.factors["hk_factor"], axis=1)
        pos_only.index = pos_only.index.get_level_values("name")
        result = estimate_genorm(pos_only)
        rankings[codeset] = result.ranking
        chosen[codeset] = result.selected
    if chosen:
        run = _run(rcc_dir, rlf, settings, normalize=True, keep_flagged=keep_flagged,
                   housekeepers=chosen)
    return run, rankings


@dataclass
class _Analysis:
    """Everything computed before anything is written."""

    run: BatchRun
    genorm: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ruvg: dict[str, RuvResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _analyse(rcc_dir: Path, rlf: Path | None, settings: NormalizationSettings, *,
             genorm: bool, keep_flagged: bool, ruvg_k: int) -> _Analysis:
    notes: list[str] = []
    if genorm:
        run, rankings = _genorm_run(rcc_dir, rlf, settings, keep_flagged, notes)
    else:
        run, rankings = _run(rcc_dir, rlf, settings, normalize=True,
                             keep_flagged=keep_flagged), {}
    analysis = _Analysis(run=run, genorm=rankings, notes=notes)
    if ruvg_k > 0:
        rccs = {r.source: r for r in read_rcc_batch(rcc_dir).rccs}
        for codeset, norm in run.batches.items():
            raw = derive_count_matrix([rccs[s] for s in norm.counts.columns])
            raw = raw.loc[norm.counts.index]  # Endogenous + Housekeeping rows
            if norm.counts.shape[1] < ruvg_k + 2:
                # Centred data of n lanes has rank n − 1: with k = n − 1 factors RUVg would
                # remove every difference between the lanes, biology included.
                analysis.notes.append(f"RUVg not run on batch {codeset}: "
                                      f"{norm.counts.shape[1]} lane(s); k={ruvg_k} needs at "
                                      f"least {ruvg_k + 2}")
                continue
            analysis.ruvg[codeset] = derive_ruvg_normalized(raw, controls=norm.housekeepers,
                                                            k=ruvg_k)
    return analysis


def _matrix(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, axis=1).reset_index()


def _write_normalization(analysis: _Analysis, out: Path) -> None:
    run = analysis.run
    lanes = run.lane_table().set_index("sample")
    norms = list(run.batches.values())
    write_csv(_matrix([n.counts for n in norms]), out / "normalized_counts.csv")
    write_csv(_matrix([n.log2 for n in norms]), out / "normalized_log2.csv")
    write_csv(_matrix([n.below_background for n in norms]), out / "below_background.csv")
    factors = pd.concat([n.factors for n in norms])
    factors = lanes.join(factors, how="right")
    factors.index.name = "sample"
    write_csv(_flag_text(factors.reset_index()), out / "normalization_factors.csv")
    write_csv(_flag_text(run.lane_table()), out / "lanes.csv")
    for codeset, ranking in analysis.genorm.items():
        write_csv(pd.DataFrame({"batch": codeset, "gene": ranking}),
                  out / f"genorm_ranking__{codeset}.csv")
    if analysis.ruvg:
        ruv = list(analysis.ruvg.values())
        write_csv(_matrix([r.log2 for r in ruv]), out / "ruvg_normalized_log2.csv")
        unwanted = pd.concat([r.unwanted.assign(controls=";".join(r.controls))
                              for r in analysis.ruvg.values()])
        write_csv(_flag_text(lanes.join(unwanted, how="right").rename_axis("sample")
                             .reset_index()), out / "ruvg_unwanted_factors.csv")
    for codeset, norm in run.batches.items():
        typer.echo(f"batch {codeset}: normalised {norm.counts.shape[1]} lanes; POS target "
                   f"{norm.pos_target:.6g}, HK target {norm.hk_target:.6g} "
                   f"(reuse with --pos-target/--hk-target)")
    if run.kept_flagged:
        typer.echo(f"kept {len(run.kept_flagged)} lane(s) that failed QC (--keep-flagged): "
                   f"{', '.join(run.kept_flagged)}")


def _endogenous(log2: pd.DataFrame) -> pd.DataFrame:
    genes = log2[log2.index.get_level_values("code_class") == "Endogenous"]
    genes.index = genes.index.get_level_values("name")
    return genes[~genes.index.duplicated(keep="first")]


def _pca_tables(analysis: _Analysis, sheet: pd.DataFrame | None
                ) -> list[tuple[str, str, pd.DataFrame, pd.Series]]:
    """PCA of each batch's normalised endogenous genes (batches of ≥ 3 lanes), nSolver-style
    and, where it ran, RUVg: (batch, normalisation, table, explained share)."""
    out = []
    lanes = analysis.run.lane_table().set_index("sample")
    for codeset, norm in analysis.run.batches.items():
        versions = [("nSolver-style", norm.log2)]
        if codeset in analysis.ruvg:
            versions.append(("RUVg", analysis.ruvg[codeset].log2))
        for label, log2 in versions:
            genes = _endogenous(log2)
            if genes.shape[1] < 3:
                analysis.notes.append(f"PCA not drawn for batch {codeset}: {genes.shape[1]} "
                                      "lane(s), at least 3 needed")
                break
            result = estimate_pca(genes)
            table = lanes.join(result.scores, how="right")
            if sheet is not None:
                table = table.join(sheet.set_index("file")[["subject", "timepoint"]])
            out.append((codeset, label, table, result.explained))
    return out


def _write_pca(analysis: _Analysis, sheet: pd.DataFrame | None, out: Path) -> None:
    tables = _pca_tables(analysis, sheet)
    if not tables:
        return
    rows = [t.assign(normalisation=label, pc1_explained=e["PC1"], pc2_explained=e["PC2"])
            for _, label, t, e in tables]
    write_csv(_flag_text(pd.concat(rows).rename_axis("sample").reset_index()), out / "pca.csv")
    fig = Figure(figsize=(6.5 * len(tables), 6))
    for i, (codeset, label, table, explained) in enumerate(tables, start=1):
        ax = fig.add_subplot(1, len(tables), i)
        plot_pca(table, ax=ax, explained=explained, samples=sheet,
                 flagged=set(analysis.run.kept_flagged))
        ax.set_title(f"batch {codeset} ({label} normalisation)", fontsize=9)
    fig.tight_layout()
    _save(fig, out, "pca")


def _check_ruvg_k(ruvg_k: int) -> None:
    if ruvg_k < 0:
        raise DataError("RUVg factors cannot be negative", field="ruvg_k", value=ruvg_k,
                        allowed="0 (no RUVg) or more")


@app.command("qc")
def qc(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None) -> None:
    """Per-lane QC per codeset batch: writes DIR/qc.csv (one row per file, its batch) and a QC
    panel figure."""
    sheet = _read_sheet(samples)
    run = _run(rcc_dir, rlf, NormalizationSettings(), normalize=False)
    if sheet is not None:
        _check_sheet_against_run(sheet, run)
    with atomic_folder(out) as temp:
        _write_qc(run, temp, shown=out)


@app.command("normalize")
def normalize(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None,
              background: BackgroundOpt = "threshold", pos_target: TargetOpt = None,
              hk_target: TargetOpt = None, genorm: GenormOpt = False,
              keep_flagged: KeepFlaggedOpt = False, ruvg_k: RuvgKOpt = 1) -> None:
    """QC, then normalise passing lanes per codeset batch (POS → background → HK → log2) with
    all factors; RUVg beside it; PCA of the normalised samples."""
    _check_ruvg_k(ruvg_k)
    sheet = _read_sheet(samples)
    analysis = _analyse(rcc_dir, rlf, _settings(background, pos_target, hk_target),
                        genorm=genorm, keep_flagged=keep_flagged, ruvg_k=ruvg_k)
    if sheet is not None:
        analysis.notes.extend(_check_sheet_against_run(sheet, analysis.run))
    with atomic_folder(out) as temp:
        _write_qc(analysis.run, temp, shown=out)
        _write_normalization(analysis, temp)
        _write_pca(analysis, sheet, temp)
        for note in analysis.notes:
            typer.echo(note)


def _write_tests(result: TestTable, out: Path, name: str) -> None:
    write_csv(result.table, out / f"{name}.csv")


def _score(log2s: dict[str, pd.DataFrame], run: BatchRun, min_above: float) -> ScoreResult:
    """Scores of every batch (own aliases, own background flags), stacked by sample."""
    scores, coverage, detection = [], [], []
    for codeset, log2 in log2s.items():
        norm = run.batches[codeset]
        aliases = read_probe_aliases(codeset)
        expression = derive_marker_expression(log2, aliases=aliases)
        above = derive_marker_expression(~norm.below_background, aliases=aliases)
        result = compute_scores(expression, above_background=above,
                                min_above_fraction=min_above)
        scores.append(result.scores)
        coverage.append(result.coverage.assign(batch=codeset))
        detection.append(result.detection.assign(batch=codeset))
    return ScoreResult(scores=pd.concat(scores), coverage=pd.concat(coverage),
                       detection=pd.concat(detection))


def _with_lanes(run: BatchRun, table: pd.DataFrame, on: str = "sample") -> pd.DataFrame:
    lanes = run.lane_table()[["sample", "batch", "qc_pass"]].rename(columns={"sample": on})
    if "batch" in table.columns:
        lanes = lanes.drop(columns="batch")
    return _flag_text(lanes.merge(table, on=on, how="right"))


def _paired_tests(scores: pd.DataFrame, sheet: pd.DataFrame, run: BatchRun,
                  family: str) -> tuple[TestTable, pd.DataFrame]:
    tests = estimate_paired_tests(scores, samples=sheet, family=family)
    paired = derive_paired_values(scores, samples=sheet)
    lanes = run.lane_table().set_index("sample")["qc_pass"]
    info = sheet.set_index("file")
    files = {(str(info.at[f, "subject"]), str(info.at[f, "timepoint"]).lower()): f
             for f in info.index}
    for tp in ("pre", "post"):
        paired[f"qc_pass_{tp}"] = [bool(lanes.get(files.get((str(s), tp)), False))
                                   for s in paired["subject"]]
    flagged = paired[~(paired["qc_pass_pre"] & paired["qc_pass_post"])]
    n_flagged = flagged.groupby("feature").size()
    tests.table.insert(2, "n_pairs_qc_flagged",
                       [int(n_flagged.get(f, 0)) for f in tests.table["feature"]])
    return tests, paired


def _paired_outputs(scores: pd.DataFrame, genes: pd.DataFrame, sheet: pd.DataFrame,
                    run: BatchRun, out: Path) -> tuple[TestTable, TestTable]:
    cell, paired = _paired_tests(scores, sheet, run, "cell types + TIS")
    gene, _ = _paired_tests(genes, sheet, run, "genes")
    _write_tests(cell, out, "paired_tests_scores")
    _write_tests(gene, out, "paired_tests_genes")
    write_csv(_flag_text(paired), out / "paired_values.csv")
    features = [f for f in scores.columns if scores[f].notna().any()]
    ncol = 4
    nrow = max(1, -(-len(features) // ncol))
    fig = Figure(figsize=(3 * ncol, 3 * nrow))
    table = cell.table.set_index("feature")
    for i, feature in enumerate(features, start=1):
        ax = fig.add_subplot(nrow, ncol, i)
        plot_paired_lines(paired, feature=feature, ax=ax,
                          p_value=float(table["wilcoxon_p"].astype(float)[feature]),
                          q_value=float(table["wilcoxon_q"].astype(float)[feature]))
        if feature == TIL_FEATURE:
            ax.set_ylabel("% of stromal area")
        if table.at[feature, "n_pairs_qc_flagged"]:
            ax.set_title(ax.get_title() + f"\n{table.at[feature, 'n_pairs_qc_flagged']} "
                         "pair(s) with a QC-flagged lane", fontsize=7)
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
    return cell, gene


def _comparison(nsolver: TestTable, ruvg: TestTable) -> pd.DataFrame:
    """Paired pre/post result per score under each normalisation, side by side."""
    keep = ["feature", "n_pairs", "median_delta", "hodges_lehmann", "wilcoxon_p", "wilcoxon_q"]
    table = nsolver.table[keep].merge(ruvg.table[keep], on="feature", how="outer",
                                      suffixes=("_nsolver", "_ruvg"))
    table["delta_difference"] = table["median_delta_ruvg"] - table["median_delta_nsolver"]
    sig_n = table["wilcoxon_q_nsolver"] < 0.1
    sig_r = table["wilcoxon_q_ruvg"] < 0.1
    both = table["median_delta_nsolver"].notna() & table["median_delta_ruvg"].notna()
    table["direction_agrees"] = (np.sign(table["median_delta_nsolver"])
                                 == np.sign(table["median_delta_ruvg"])).where(both)
    tested = table["wilcoxon_q_nsolver"].notna() & table["wilcoxon_q_ruvg"].notna()
    table["q_below_0.1_agrees"] = (sig_n == sig_r).where(tested)
    return table


def _score_table(run: BatchRun, result: ScoreResult) -> pd.DataFrame:
    return _with_lanes(run, result.scores.rename_axis("sample").reset_index())


TIL_FEATURE = "stromal TILs (%)"


def _with_til(result: ScoreResult, sheet: pd.DataFrame | None) -> ScoreResult:
    """The biopsies' stromal TIL scores (sheet column ``til_stromal_percent``) joined to the
    score table as one more feature (a percentage, not log2)."""
    if sheet is None or "til_stromal_percent" not in sheet.columns:
        return result
    til = pd.to_numeric(sheet.set_index("file")["til_stromal_percent"], errors="coerce")
    scores = result.scores.copy()
    scores[TIL_FEATURE] = [til.get(f, np.nan) for f in scores.index]
    return ScoreResult(scores=scores, coverage=result.coverage, detection=result.detection)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sheet_from_db(db: str, user: str | None, rcc_dir: Path) -> pd.DataFrame:
    """The sample sheet built from the casebook: each RCC linked to a PRE or POST biopsy, its
    subject and TIL score; every linked file must be in *rcc_dir* with the linked content."""
    from oncotrial.cli._options import password
    from oncotrial.services.assays import read_assay_samples_at
    from oncotrial.services.database import resolve_db_url

    if not user:
        raise DataError("--db needs the casebook user", field="user", value=None,
                        allowed="--user NAME (password asked or $ONCOTRIAL_PASSWORD)")
    linked = read_assay_samples_at(resolve_db_url(db), username=user,
                                   password=password(f"Password for {user}"))
    rows = []
    for sample in linked:
        if sample.timepoint not in ("PRE", "POST"):
            continue
        path = rcc_dir / sample.file_name
        if not path.is_file():
            raise DataError("an RCC linked in the casebook is not in the RCC folder",
                            field="file", value=sample.file_name, subject=sample.subject,
                            allowed=f"the linked files in {rcc_dir}")
        if _sha256(path) != sample.sha256:
            raise DataError("the RCC file differs from the one linked in the casebook",
                            field="file", value=sample.file_name, subject=sample.subject,
                            allowed=f"content with SHA-256 {sample.sha256}")
        rows.append({"file": sample.file_name, "subject": sample.subject,
                     "timepoint": sample.timepoint.lower(), "specimen_code":
                     sample.specimen_code, "collected_on": sample.collected_on.isoformat(),
                     "anatomic_site": sample.anatomic_site,
                     "til_stromal_percent": sample.til_stromal_percent})
    if not rows:
        raise DataError("no RCC file is linked to a pre- or post-treatment biopsy", field="db",
                        value=db, allowed="biopsies with RCC files linked "
                        "(oncotrial nanostring link)")
    sheet = pd.DataFrame(rows)
    validate_sample_sheet(sheet)
    return sheet


@app.command("link")
def link(rcc_file: Annotated[Path, typer.Argument(help="The RCC file to link.", exists=True,
                                                  dir_okay=False)], *,
         subject: Annotated[str, typer.Option(help="Screening number of the subject.")],
         specimen: Annotated[str, typer.Option(help="Block id of the biopsy.")],
         user: Annotated[str, typer.Option(help="Casebook user (password asked, or "
                                           "$ONCOTRIAL_PASSWORD).")],
         db: ScoreDbOpt = None) -> None:
    """Import an RCC file into the casebook: checked as a gene-expression RCC, then linked
    (name, SHA-256, size) to the subject's biopsy; a file linked twice is refused."""
    from oncotrial.cli._options import password
    from oncotrial.services.assays import link_assay_file_at
    from oncotrial.services.database import resolve_db_url
    from oncotrial.translational import read_rcc, validate_gene_expression

    validate_gene_expression(read_rcc(rcc_file))
    row = link_assay_file_at(resolve_db_url(db), username=user,
                             password=password(f"Password for {user}"), subject=subject,
                             specimen_code=specimen, file_name=rcc_file.name,
                             sha256=_sha256(rcc_file), size_bytes=rcc_file.stat().st_size)
    typer.echo(f"linked {rcc_file.name} to biopsy {specimen} of {subject} (assay file {row})")


@app.command("score")
def score(rcc_dir: RccDir, *, out: OutOpt, rlf: RlfOpt = None, samples: SamplesOpt = None,
          background: BackgroundOpt = "threshold", pos_target: TargetOpt = None,
          hk_target: TargetOpt = None, genorm: GenormOpt = False,
          keep_flagged: KeepFlaggedOpt = False, ruvg_k: RuvgKOpt = 1,
          min_above_background: MinAboveOpt = 0.5, db: ScoreDbOpt = None,
          user: ScoreUserOpt = None) -> None:
    """QC, normalise, score (Danaher cell types, CD4, TIS, DC genes; each with the number of
    its genes above background per sample); with --samples (or --db: pairs from the casebook's
    biopsies) also paired pre/post tests under nSolver-style and RUVg normalisation, stromal
    TILs beside the scores, responder tests, baseline-PFS Cox and figures."""
    _check_ruvg_k(ruvg_k)
    if db is not None and samples is not None:
        raise DataError("give the pairs once", field="samples", value=str(samples),
                        allowed="--samples SHEET or --db URL, not both")
    sheet = _sheet_from_db(db, user, rcc_dir) if db is not None else _read_sheet(samples)
    analysis = _analyse(rcc_dir, rlf, _settings(background, pos_target, hk_target),
                        genorm=genorm, keep_flagged=keep_flagged, ruvg_k=ruvg_k)
    run = analysis.run
    if sheet is not None:
        analysis.notes.extend(_check_sheet_against_run(sheet, run))
    if not run.batches:
        raise DataError("no lane passed QC: nothing to score", field="rcc_dir",
                        value=str(rcc_dir), allowed="at least one lane passing QC "
                        "(see qc.csv of `oncotrial nanostring qc`, or --keep-flagged)")
    result = _with_til(_score({c: n.log2 for c, n in run.batches.items()}, run,
                              min_above_background), sheet)
    ruv_result = (_with_til(_score({c: r.log2 for c, r in analysis.ruvg.items()}, run,
                                   min_above_background), sheet) if analysis.ruvg else None)
    with atomic_folder(out) as temp:
        _write_qc(run, temp, shown=out)
        _write_normalization(analysis, temp)
        _write_pca(analysis, sheet, temp)
        for note in analysis.notes:
            typer.echo(note)
        write_csv(_score_table(run, result), temp / "scores.csv")
        write_csv(result.coverage, temp / "score_coverage.csv")
        write_csv(_with_lanes(run, result.detection), temp / "score_detection.csv")
        if ruv_result is not None:
            write_csv(_score_table(run, ruv_result), temp / "scores_ruvg.csv")
        fig = Figure(figsize=(max(8.0, 0.3 * len(result.scores) + 4), 6))
        plot_score_heatmap(result.scores, ax=fig.add_subplot(), samples=sheet,
                           flagged=set(run.kept_flagged))
        fig.tight_layout()
        _save(fig, temp, "score_heatmap")
        if sheet is not None:
            genes = pd.concat([_endogenous(n.log2) for n in run.batches.values()], axis=1)
            cell, gene = _paired_outputs(result.scores, genes.T, sheet, run, temp)
            if ruv_result is not None:
                ruv_cell, _ = _paired_tests(ruv_result.scores, sheet, run, "cell types + TIS")
                _write_tests(ruv_cell, temp, "paired_tests_scores_ruvg")
                write_csv(_comparison(cell, ruv_cell), temp / "normalization_comparison.csv")
                ruv_genes = pd.concat([_endogenous(r.log2) for r in analysis.ruvg.values()],
                                      axis=1)
                gene_ruv, _ = _paired_tests(ruv_genes.T, sheet, run, "genes")
                _write_tests(gene_ruv, temp, "paired_tests_genes_ruvg")
                write_csv(_comparison(gene, gene_ruv),
                          temp / "normalization_comparison_genes.csv")
    not_estimable = int((~result.detection["estimable"].astype(bool)).sum())
    typer.echo(f"scores for {len(result.scores)} samples → {out / 'scores.csv'}; "
               f"{not_estimable} sample-score(s) not estimable (see score_detection.csv) "
               f"(DC genes reported alone: {', '.join(DC_GENES)})")
