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
    """Danaher 2017 Table 1 markers: cell type → marker symbols (60 genes, 14 types)."""
    table = _data_csv("danaher_2017_cell_markers.csv")
    out: dict[str, tuple[str, ...]] = {}
    for cell_type, genes in table.groupby("cell_type", sort=False)["gene"]:
        out[str(cell_type)] = tuple(g.upper() for g in genes)
    return out


def read_tis_signature() -> tuple[dict[str, float], tuple[str, ...]]:
    """18 TIS/GEP genes with Cristescu 2018 weights, and the 11 GEP housekeeping genes."""
    table = _data_csv("tis_18_gene_signature.csv")
    signature = table[table["role"] == "signature"]
    weights = {g.upper(): float(w) for g, w in zip(signature["gene"], signature["weight"],
                                                  strict=True)}
    housekeepers = tuple(table.loc[table["role"] == "housekeeping_for_GEP", "gene"].str.upper())
    return weights, housekeepers


def read_probe_aliases(codeset: str | None = None) -> dict[str, str]:
    """Probe name (upper case) → marker symbol, for *codeset* (and the ``*`` rows)."""
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
    """

    scores: pd.DataFrame = field(repr=False)
    coverage: pd.DataFrame = field(repr=False)


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


def compute_scores(
    expression: pd.DataFrame,
    *,
    markers: Mapping[str, tuple[str, ...]] | None = None,
    min_fraction: float = 0.5,
    min_tis_fraction: float = 0.5,
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
    """
    if not 0 < min_fraction <= 1 or not 0 < min_tis_fraction <= 1:
        raise DataError("fraction must be in (0, 1]", field="min_fraction",
                        value=(min_fraction, min_tis_fraction), allowed="0 < f ≤ 1")
    markers = read_danaher_markers() if markers is None else markers
    available = set(expression.index)
    scores: dict[str, pd.Series] = {}
    coverage = []
    for cell_type, genes in markers.items():
        present = [g for g in genes if g in available]
        minimum = max(1, math.ceil(min_fraction * len(genes)))
        coverage.append(_coverage_row(cell_type, tuple(genes), present, minimum))
        scores[cell_type] = (expression.loc[present].mean(axis=0) if len(present) >= minimum
                             else pd.Series(np.nan, index=expression.columns))
    if "T-cells" in scores and "CD8 T cells" in scores:
        scores[CD4_SCORE] = scores["T-cells"] - scores["CD8 T cells"]
        coverage.append({"score": CD4_SCORE, "n_markers": 0, "n_used": 0, "min_required": 0,
                         "computed": bool(scores[CD4_SCORE].notna().any()),
                         "genes_used": "T-cells − CD8 T cells", "genes_missing": ""})
    weights, _ = read_tis_signature()
    tis_genes = tuple(weights)
    present = [g for g in tis_genes if g in available]
    minimum = max(1, math.ceil(min_tis_fraction * len(tis_genes)))
    coverage.append(_coverage_row(TIS_SCORE, tis_genes, present, minimum))
    w = pd.Series({g: weights[g] for g in present}, dtype=float)
    scores[TIS_SCORE] = (expression.loc[present].mul(w, axis=0).sum(axis=0)
                         if len(present) >= minimum
                         else pd.Series(np.nan, index=expression.columns))
    for gene in DC_GENES:
        name = f"gene:{gene}"
        found = [gene] if gene in available else []
        coverage.append(_coverage_row(name, (gene,), found, 1))
        scores[name] = (expression.loc[[gene]].iloc[0] if found
                        else pd.Series(np.nan, index=expression.columns))
    table = pd.DataFrame(scores)
    table.index.name = "sample"
    return ScoreResult(scores=table, coverage=pd.DataFrame(coverage))
