"""nSolver-style normalisation of nCounter counts, with every factor recorded per sample.

Order (NanoStringNorm ``man/NanoStringNorm.Rd``: CodeCount → Background → SampleContent; the
nSolver workflow in translational.md §2.2):

1. **Positive-control scaling.** ``g_j`` = geometric mean of lane *j*'s POS counts (all six by
   default, as NanoStringNCTools and NanoTube; ``include_pos_f=False`` drops POS_F as NACHO
   does). Target ``T`` = arithmetic mean of ``g_j`` over the batch, or a fixed number.
   Factor ``f_j = T / g_j`` multiplies every count of the lane.
2. **Background** from the POS-scaled NEG controls: ``b_j`` = mean + 2·SD (sample SD, n−1),
   mean, or max (NanoStringNorm ``Background = mean.2sd | mean | max``). ``threshold``
   (default) raises counts below ``b_j`` to ``b_j`` (nSolver background thresholding; no zeros
   are created); ``subtract`` subtracts ``b_j`` and floors at 0; ``none`` leaves counts.
3. **Housekeeping scaling.** ``h_j`` = geometric mean of the housekeeping genes after steps
   1–2; target ``H`` = arithmetic mean of ``h_j`` or a fixed number; ``c_j = H / h_j``
   multiplies endogenous and housekeeping counts.
4. **log2** of the normalised counts floored at 1.

Zero handling: every geometric mean floors counts at 1 first (NACHO convention), so a zero
count contributes log 1 = 0 with the full n kept in the divisor.

Fixed targets (``pos_target``, ``hk_target``) make a lane's result independent of the other
lanes in the batch, so batches normalised at different times are comparable; the targets used
are returned so that a later batch can reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.translational._numeric import GEOMEAN_FLOOR, geometric_mean_columns

__all__ = [
    "HK_FACTOR_RANGE",
    "POS_FACTOR_RANGE",
    "GenormResult",
    "Normalization",
    "NormalizationSettings",
    "derive_normalized_counts",
    "estimate_genorm",
]

# Flag ranges for the normalisation factors: POS 0.3–3 and content (HK) 0.1–10
# (NanoString guideline values as documented by NanoStringNormalizeR norm_fc and NanoTube
# normalize_pos_controls; translational.md §2.1).
POS_FACTOR_RANGE = (0.3, 3.0)
HK_FACTOR_RANGE = (0.1, 10.0)

Background = Literal["threshold", "subtract", "none"]
BackgroundEstimate = Literal["mean_2sd", "mean", "max"]


@dataclass(frozen=True)
class NormalizationSettings:
    """Options of :func:`derive_normalized_counts` (defaults = primary LEADER pipeline)."""

    background: Background = "threshold"
    background_estimate: BackgroundEstimate = "mean_2sd"
    include_pos_f: bool = True
    pos_target: float | None = None
    hk_target: float | None = None
    housekeepers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        """Validate option values."""
        if self.background not in ("threshold", "subtract", "none"):
            raise DataError("unknown background mode", field="background",
                            value=self.background, allowed="threshold, subtract, none")
        if self.background_estimate not in ("mean_2sd", "mean", "max"):
            raise DataError("unknown background estimate", field="background_estimate",
                            value=self.background_estimate, allowed="mean_2sd, mean, max")
        for name in ("pos_target", "hk_target"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise DataError("target must be a positive number", field=name, value=value,
                                allowed="> 0 or None (mean of the batch)")


@dataclass(frozen=True)
class Normalization:
    """Normalised counts and every factor used.

    Attributes
    ----------
    counts
        Normalised linear counts of Endogenous and Housekeeping probes (rows indexed by
        ``code_class, name, accession``; columns = samples).
    log2
        ``log2(max(counts, 1))``.
    below_background
        True where the POS-scaled count was below the lane's background ``b_j``.
    factors
        One row per sample: ``pos_geomean``, ``pos_target``, ``pos_factor``,
        ``pos_factor_in_range``, ``background``, ``hk_geomean``, ``hk_target``,
        ``hk_factor``, ``hk_factor_in_range``, ``n_housekeepers``.
    pos_target, hk_target
        Targets used (reuse them as fixed targets for later batches).
    housekeepers
        Housekeeping probe names used.
    settings
        The options used.
    """

    counts: pd.DataFrame = field(repr=False)
    log2: pd.DataFrame = field(repr=False)
    below_background: pd.DataFrame = field(repr=False)
    factors: pd.DataFrame = field(repr=False)
    pos_target: float
    hk_target: float
    housekeepers: tuple[str, ...]
    settings: NormalizationSettings


def _rows(matrix: pd.DataFrame, code_class: str) -> pd.DataFrame:
    classes = matrix.index.get_level_values("code_class")
    return matrix[classes == code_class]


def _positive_rows(matrix: pd.DataFrame, *, include_pos_f: bool) -> pd.DataFrame:
    pos = _rows(matrix, "Positive")
    if pos.empty:
        raise DataError("no Positive probes in the count matrix", field="code_class",
                        value=sorted(set(matrix.index.get_level_values("code_class"))),
                        allowed="a gene-expression codeset with POS_A … POS_F")
    if include_pos_f:
        return pos
    names = pos.index.get_level_values("name").str.upper()
    return pos[~names.str.startswith("POS_F")]


def _background(
    neg: npt.NDArray[np.float64], estimate: BackgroundEstimate
) -> npt.NDArray[np.float64]:
    if neg.shape[0] == 0:
        return np.zeros(neg.shape[1])
    if estimate == "max":
        return np.asarray(neg.max(axis=0), dtype=float)
    mean = neg.mean(axis=0)
    if estimate == "mean":
        return np.asarray(mean, dtype=float)
    sd = neg.std(axis=0, ddof=1) if neg.shape[0] > 1 else np.zeros(neg.shape[1])
    return np.asarray(mean + 2.0 * sd, dtype=float)


def _housekeeper_rows(
    target: pd.DataFrame, housekeepers: tuple[str, ...] | None
) -> npt.NDArray[np.bool_]:
    classes = target.index.get_level_values("code_class")
    names = target.index.get_level_values("name")
    if housekeepers is None:
        mask = np.asarray(classes == "Housekeeping")
        if not mask.any():
            raise DataError("no Housekeeping probes; pass housekeepers=(names…)",
                            field="housekeepers", value=None,
                            allowed="a codeset with Housekeeping probes or explicit names")
        return mask
    missing = sorted(set(housekeepers) - set(names))
    if missing:
        raise DataError("housekeeping gene(s) not in the codeset", field="housekeepers",
                        value=missing, allowed="Endogenous or Housekeeping probe names")
    return np.asarray(names.isin(housekeepers))


def derive_normalized_counts(
    matrix: pd.DataFrame, *, settings: NormalizationSettings | None = None
) -> Normalization:
    """Normalise a count matrix nSolver-style (see module docstring for each step).

    Parameters
    ----------
    matrix
        Counts; rows indexed by ``code_class, name, accession``, columns = samples (as from
        :func:`oncotrial.translational.derive_count_matrix`).
    settings
        Options; defaults are POS geomean (all six) → background threshold at mean + 2 SD of
        NEG → HK geomean → log2, targets = batch means.

    Returns
    -------
    Normalization
        Normalised counts, log2 values and per-sample factors.
    """
    settings = settings or NormalizationSettings()
    values = matrix.to_numpy(dtype=float)
    pos = _positive_rows(matrix, include_pos_f=settings.include_pos_f).to_numpy(dtype=float)
    pos_geomean = geometric_mean_columns(pos)
    pos_target = settings.pos_target or float(np.mean(pos_geomean))
    pos_factor = pos_target / pos_geomean
    scaled = values * pos_factor
    classes = matrix.index.get_level_values("code_class")
    background = _background(scaled[np.asarray(classes == "Negative")],
                             settings.background_estimate)
    target_mask = np.asarray(classes.isin(["Endogenous", "Housekeeping"]))
    target = scaled[target_mask]
    below = target < background
    if settings.background == "threshold":
        target = np.maximum(target, background)
    elif settings.background == "subtract":
        target = np.maximum(target - background, 0.0)
    frame_index = matrix.index[target_mask]
    hk_mask = _housekeeper_rows(matrix[target_mask], settings.housekeepers)
    hk_geomean = geometric_mean_columns(target[hk_mask])
    hk_target = settings.hk_target or float(np.mean(hk_geomean))
    hk_factor = hk_target / hk_geomean
    normalized = target * hk_factor
    columns = matrix.columns
    counts = pd.DataFrame(normalized, index=frame_index, columns=columns)
    factors = pd.DataFrame(
        {
            "pos_geomean": pos_geomean,
            "pos_target": pos_target,
            "pos_factor": pos_factor,
            "pos_factor_in_range": (pos_factor >= POS_FACTOR_RANGE[0])
            & (pos_factor <= POS_FACTOR_RANGE[1]),
            "background": background,
            "hk_geomean": hk_geomean,
            "hk_target": hk_target,
            "hk_factor": hk_factor,
            "hk_factor_in_range": (hk_factor >= HK_FACTOR_RANGE[0])
            & (hk_factor <= HK_FACTOR_RANGE[1]),
            "n_housekeepers": int(hk_mask.sum()),
        },
        index=pd.Index(columns, name="sample"),
    )
    return Normalization(
        counts=counts,
        log2=pd.DataFrame(np.log2(np.maximum(normalized, GEOMEAN_FLOOR)), index=frame_index,
                          columns=columns),
        below_background=pd.DataFrame(below, index=frame_index, columns=columns),
        factors=factors,
        pos_target=pos_target,
        hk_target=hk_target,
        housekeepers=tuple(frame_index[hk_mask].get_level_values("name")),
        settings=settings,
    )


@dataclass(frozen=True)
class GenormResult:
    """geNorm housekeeping selection (Vandesompele et al., Genome Biol 2002;3:research0034).

    Attributes
    ----------
    m_values
        M of each gene at each elimination step (rows = step, columns = gene; NaN once
        eliminated).
    ranking
        Genes from most to least stable (the final pair first, in name order).
    pairwise_variation
        ``V_{n/n+1}`` for n = 2 … (number of genes − 1), indexed by n.
    selected
        The n most stable genes, n the smallest with ``V_{n/n+1} < cutoff`` (all genes if no
        V falls below the cut-off).
    cutoff
        The V cut-off used (0.15 in the paper's recommendation).
    """

    m_values: pd.DataFrame = field(repr=False)
    ranking: tuple[str, ...]
    pairwise_variation: pd.Series = field(repr=False)
    selected: tuple[str, ...]
    cutoff: float


def _m_values(logs: pd.DataFrame) -> pd.Series:
    genes = list(logs.index)
    result = {}
    for gene in genes:
        others = logs.drop(index=gene)
        ratios = others.to_numpy() - logs.loc[gene].to_numpy()
        result[gene] = float(np.mean(np.std(ratios, axis=1, ddof=1)))
    return pd.Series(result)


def estimate_genorm(expression: pd.DataFrame, *, cutoff: float = 0.15) -> GenormResult:
    """Rank candidate housekeeping genes by geNorm stability M and choose how many to use.

    Parameters
    ----------
    expression
        Linear expression (e.g. POS-normalised counts) of candidate genes: rows = genes,
        columns = samples. Counts are floored at 1 before log2.
    cutoff
        Pairwise-variation cut-off ``V_{n/n+1}`` (Vandesompele 2002 suggest 0.15).

    Returns
    -------
    GenormResult
        M values per step, stability ranking, pairwise variations and selected genes.

    Notes
    -----
    M of gene j = mean over the other genes k of the SD (n − 1) across samples of
    ``log2(x_j / x_k)``; the gene with the largest M is removed and M recomputed until two
    genes remain. ``V_{n/n+1}`` = SD across samples of ``log2(NF_n / NF_{n+1})`` where
    ``NF_n`` is the geometric mean of the n most stable genes.
    """
    if expression.shape[0] < 3 or expression.shape[1] < 2:
        raise DataError("geNorm needs ≥ 3 candidate genes and ≥ 2 samples", field="expression",
                        value=expression.shape, allowed="(≥ 3 genes, ≥ 2 samples)")
    logs = pd.DataFrame(
        np.log2(np.maximum(expression.to_numpy(dtype=float), GEOMEAN_FLOOR)),
        index=expression.index,
        columns=expression.columns,
    )
    remaining = logs
    steps = []
    eliminated: list[str] = []
    while remaining.shape[0] > 2:
        m = _m_values(remaining)
        steps.append(m)
        worst = str(m.idxmax())
        eliminated.append(worst)
        remaining = remaining.drop(index=worst)
    steps.append(_m_values(remaining))
    ranking = (*sorted(str(g) for g in remaining.index), *reversed(eliminated))
    variation = {}
    for n in range(2, len(ranking)):
        nf_n = logs.loc[list(ranking[:n])].mean(axis=0)
        nf_next = logs.loc[list(ranking[: n + 1])].mean(axis=0)
        variation[n] = float(np.std(nf_n - nf_next, ddof=1))
    pairwise = pd.Series(variation, name="V")
    below = [n for n, v in variation.items() if v < cutoff]
    chosen = below[0] if below else len(ranking)
    return GenormResult(
        m_values=pd.DataFrame(steps).reset_index(drop=True),
        ranking=ranking,
        pairwise_variation=pairwise,
        selected=ranking[:chosen],
        cutoff=cutoff,
    )
