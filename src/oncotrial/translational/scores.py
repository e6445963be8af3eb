"""Immune cell-type scores (Danaher 2017), the 18-gene T-cell-inflamed signature and DC genes.

* Cell-type score = mean of the log2 normalised expression of the type's marker genes present
  (Danaher P et al., J Immunother Cancer 2017;5:18, Table 1 and Methods). A score is left
  empty when fewer than ``ceil(min_fraction × n_markers)`` (at least 1) markers are present;
  the genes used are reported.
* CD4 cells = T-cells score − CD8 T cells score (Danaher 2017 Table 1 footnote).
* TIS (GEP weights, Cristescu 2018) = Σ wᵢ · log2 expressionᵢ over the 18 genes present
  (weights: Cristescu R et al., Science 2018;362:eaar3593 Table S2B). It is computed on the
  codeset-housekeeping-normalised log2 values, not re-normalised to the 11 GEP housekeepers,
  and is not the vendor's IO 360 TIS.
* Each DC marker (CCL13, CD209, HSD11B1) is also reported alone, since the DC signature has
  only three genes and the weakest marker quality in Danaher 2017.
* Background awareness: given which normalised values were below the lane's background
  (:attr:`Normalization.below_background`), every score counts, per sample, how many of its
  genes are above background. Fewer than ``ceil(min_above_fraction × genes used)`` (at least
  1) makes the score *not estimable* in that sample: its value is left empty and the reason is
  written (a mean of genes at the background floor measures the floor, not the cells; the
  nSolver advanced-analysis cell-type module likewise drops genes below background).

Probe names are mapped to marker symbols case-insensitively after removing any ``|…``
probe-correction suffix, then through a per-codeset alias table
(``data/probe_aliases.csv``; ``*`` = any codeset).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from oncotrial.errors import DataError

__all__ = [
    "CD4_SCORE",
    "DC_GENES",
    "TIS_SCORE",
    "ScoreResult",
    "compute_scores",
    "derive_marker_expression",
    "read_danaher_markers",
    "read_probe_aliases",
    "read_tis_signature",
]

CD4_SCORE = "CD4 cells"
TIS_SCORE = "TIS (GEP weights, Cristescu 2018)"
DC_GENES = ("CCL13", "CD209", "HSD11B1")


def _data_csv(name: str) -> pd.DataFrame:
    with resources.files("oncotrial.translational.data").joinpath(name).open(
        encoding="utf-8"
    ) as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def read_danaher_markers() -> dict[str, tuple[str, ...]]:
    """Danaher 2017 Table 1 markers: cell type → marker symbols (60 genes, 14 types).

    Returns
    -------
    dict of str to tuple of str
        Cell type → upper-case marker symbols, in the order of the shipped table.

    Examples
    --------
    >>> from oncotrial.translational import read_danaher_markers
    >>> markers = read_danaher_markers()
    >>> len(markers), sum(len(genes) for genes in markers.values())
    (14, 60)
    """
    table = _data_csv("danaher_2017_cell_markers.csv")
    out: dict[str, tuple[str, ...]] = {}
    for cell_type, genes in table.groupby("cell_type", sort=False)["gene"]:
        out[str(cell_type)] = tuple(g.upper() for g in genes)
    return out


def read_tis_signature() -> tuple[dict[str, float], tuple[str, ...]]:
    """18 TIS/GEP genes with Cristescu 2018 weights, and the 11 GEP housekeeping genes.

    Returns
    -------
    tuple
        ``(weights, housekeepers)``: upper-case gene → weight, and the housekeeping genes.

    Examples
    --------
    >>> from oncotrial.translational import read_tis_signature
    >>> weights, housekeepers = read_tis_signature()
    >>> len(weights), len(housekeepers), weights["CD276"]
    (18, 11, -0.0239)
    """
    table = _data_csv("tis_18_gene_signature.csv")
    signature = table[table["role"] == "signature"]
    weights = {g.upper(): float(w) for g, w in zip(signature["gene"], signature["weight"],
                                                  strict=True)}
    housekeepers = tuple(table.loc[table["role"] == "housekeeping_for_GEP", "gene"].str.upper())
    return weights, housekeepers


def read_probe_aliases(codeset: str | None = None) -> dict[str, str]:
    """Probe name (upper case) → marker symbol, for *codeset* (and the ``*`` rows).

    Parameters
    ----------
    codeset
        Codeset name as in the shipped ``probe_aliases.csv``; ``None`` = only the aliases
        that hold for every codeset (``*``).

    Returns
    -------
    dict
        Upper-case probe name → upper-case marker symbol.
    """
    table = _data_csv("probe_aliases.csv")
    keep = table["codeset"].isin(["*", codeset or "*"])
    return {p.upper(): s.upper() for p, s in zip(table.loc[keep, "probe_name"],
                                                 table.loc[keep, "symbol"], strict=True)}


def derive_marker_expression(
    log2: pd.DataFrame, *, aliases: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rows of *log2* (indexed by ``code_class, name, accession`` or by name) keyed by symbol.

    Names are upper-cased, stripped of a ``|…`` suffix and mapped through *aliases* (default:
    the shipped table for all codesets). When two probes map to one symbol the first is kept.

    Parameters
    ----------
    log2
        Normalised log2 expression; rows = probes, columns = samples.
    aliases
        Upper-case probe name → symbol (:func:`read_probe_aliases`); names not in it are kept
        as they are (upper-cased).

    Returns
    -------
    pandas.DataFrame
        The same columns, rows indexed by ``symbol``, one row per symbol.
    """
    aliases = read_probe_aliases() if aliases is None else aliases
    names = (log2.index.get_level_values("name") if isinstance(log2.index, pd.MultiIndex)
             else log2.index)
    symbols = [aliases.get(n, n) for n in (str(n).split("|", 1)[0].strip().upper()
                                           for n in names)]
    out = log2.copy()
    out.index = pd.Index(symbols, name="symbol")
    return out[~out.index.duplicated(keep="first")]


@dataclass(frozen=True)
class ScoreResult:
    """Scores per sample and the genes behind them.

    Attributes
    ----------
    scores
        Rows = samples, columns = score names (cell types, ``CD4 cells``, TIS, ``gene:<DC>``);
        NaN where coverage was below the minimum.
    coverage
        One row per score: ``n_markers``, ``n_used``, ``min_required``, ``computed``,
        ``genes_used``, ``genes_missing`` (``;``-separated).
    detection
        One row per sample and score: ``n_genes`` (used), ``n_above_background`` (empty when
        no background table was given), ``min_above_background``, ``estimable`` and
        ``reason`` (empty when estimable).
    """

    scores: pd.DataFrame = field(repr=False)
    coverage: pd.DataFrame = field(repr=False)
    detection: pd.DataFrame = field(repr=False)


def _coverage_row(name: str, markers: tuple[str, ...], present: list[str],
                  minimum: int) -> dict[str, object]:
    return {
        "score": name,
        "n_markers": len(markers),
        "n_used": len(present),
        "min_required": minimum,
        "computed": len(present) >= minimum,
        "genes_used": ";".join(present),
        "genes_missing": ";".join(g for g in markers if g not in present),
    }


def _detect(
    name: str, genes: list[str], values: pd.Series, above: pd.DataFrame | None, *,
    min_above_fraction: float, present_minimum: int,
) -> tuple[pd.Series, list[dict[str, object]]]:
    """Mask *values* where too few of *genes* are above background; the detection rows."""
    n_genes = len(genes)
    minimum = max(1, math.ceil(min_above_fraction * n_genes))
    rows: list[dict[str, object]] = []
    out = values.copy()
    for sample in values.index:
        n_above = float("nan") if above is None else float(above.loc[genes, sample].sum())
        if n_genes < present_minimum:
            reason = (f"{n_genes} of its genes in the codeset, fewer than the "
                      f"{present_minimum} required")
        elif above is None or n_above >= minimum:
            reason = ""
        else:
            reason = (f"{int(n_above)} of {n_genes} genes above background, fewer than the "
                      f"{minimum} required")
        if reason:
            out[sample] = np.nan
        rows.append({"sample": sample, "score": name, "n_genes": n_genes,
                     "n_above_background": n_above, "min_above_background": minimum,
                     "estimable": not reason, "reason": reason})
    return out, rows


def compute_scores(
    expression: pd.DataFrame,
    *,
    markers: Mapping[str, tuple[str, ...]] | None = None,
    min_fraction: float = 0.5,
    min_tis_fraction: float = 0.5,
    above_background: pd.DataFrame | None = None,
    min_above_fraction: float = 0.5,
) -> ScoreResult:
    """Danaher cell-type scores, CD4, TIS (GEP weights) and single DC genes.

    Parameters
    ----------
    expression
        log2 normalised expression keyed by marker symbol (rows) × samples (columns), as from
        :func:`derive_marker_expression`.
    markers
        Cell type → symbols; default Danaher 2017 Table 1.
    min_fraction
        Minimum share of a cell type's markers that must be present (rounded up, ≥ 1).
    min_tis_fraction
        Minimum share of the 18 TIS genes that must be present.
    above_background
        Same shape as *expression*: True where the value is above the lane's background
        (``~Normalization.below_background`` keyed by symbol). None: not checked.
    min_above_fraction
        Minimum share of a score's genes above background in a sample (rounded up, ≥ 1);
        below it the score is not estimable in that sample.

    Returns
    -------
    ScoreResult
        Per sample (log2 scale): each cell type's score as the mean of its present markers
        (Danaher et al., J Immunother Cancer 2017), ``CD4 cells`` = T-cells − CD8 T cells,
        TIS as the sum of the present TIS genes weighted as in Cristescu et al. (Science
        2018) and the single DC genes; with the coverage of each score and whether it was
        estimable in each sample (NaN where not).

    Raises
    ------
    DataError
        A fraction outside (0, 1] (field named).
    """
    for label, value in (("min_fraction", min_fraction), ("min_tis_fraction", min_tis_fraction),
                         ("min_above_fraction", min_above_fraction)):
        if not 0 < value <= 1:
            raise DataError("fraction must be in (0, 1]", field=label, value=value,
                            allowed="0 < f ≤ 1")
    if above_background is not None:
        above_background = above_background.reindex(index=expression.index,
                                                    columns=expression.columns,
                                                    fill_value=False).astype(bool)
    markers = read_danaher_markers() if markers is None else markers
    available = set(expression.index)
    scores: dict[str, pd.Series] = {}
    coverage = []
    detection: list[dict[str, object]] = []
    for cell_type, genes in markers.items():
        present = [g for g in genes if g in available]
        minimum = max(1, math.ceil(min_fraction * len(genes)))
        coverage.append(_coverage_row(cell_type, tuple(genes), present, minimum))
        raw = (expression.loc[present].mean(axis=0) if len(present) >= minimum
               else pd.Series(np.nan, index=expression.columns))
        scores[cell_type], rows = _detect(cell_type, present, raw, above_background,
                                          min_above_fraction=min_above_fraction,
                                          present_minimum=minimum)
        detection.extend(rows)
    if "T-cells" in scores and "CD8 T cells" in scores:
        scores[CD4_SCORE] = scores["T-cells"] - scores["CD8 T cells"]
        coverage.append({"score": CD4_SCORE, "n_markers": 0, "n_used": 0, "min_required": 0,
                         "computed": bool(scores[CD4_SCORE].notna().any()),
                         "genes_used": "T-cells − CD8 T cells", "genes_missing": ""})
        for sample in expression.columns:
            ok = bool(pd.notna(scores[CD4_SCORE][sample]))
            detection.append({"sample": sample, "score": CD4_SCORE, "n_genes": 0,
                              "n_above_background": float("nan"),
                              "min_above_background": 0, "estimable": ok,
                              "reason": "" if ok else "T-cells or CD8 T cells not estimable"})
    weights, _ = read_tis_signature()
    tis_genes = tuple(weights)
    present = [g for g in tis_genes if g in available]
    minimum = max(1, math.ceil(min_tis_fraction * len(tis_genes)))
    coverage.append(_coverage_row(TIS_SCORE, tis_genes, present, minimum))
    w = pd.Series({g: weights[g] for g in present}, dtype=float)
    raw = (expression.loc[present].mul(w, axis=0).sum(axis=0) if len(present) >= minimum
           else pd.Series(np.nan, index=expression.columns))
    scores[TIS_SCORE], rows = _detect(TIS_SCORE, present, raw, above_background,
                                      min_above_fraction=min_above_fraction,
                                      present_minimum=minimum)
    detection.extend(rows)
    for gene in DC_GENES:
        name = f"gene:{gene}"
        found = [gene] if gene in available else []
        coverage.append(_coverage_row(name, (gene,), found, 1))
        raw = (expression.loc[[gene]].iloc[0] if found
               else pd.Series(np.nan, index=expression.columns))
        scores[name], rows = _detect(name, found, raw, above_background,
                                     min_above_fraction=min_above_fraction, present_minimum=1)
        detection.extend(rows)
    table = pd.DataFrame(scores)
    table.index.name = "sample"
    return ScoreResult(scores=table, coverage=pd.DataFrame(coverage),
                       detection=pd.DataFrame(detection))
