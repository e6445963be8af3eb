"""RUVg normalisation of nCounter counts, with the housekeeping genes as negative controls.

RUVg (Risso D, Ngai J, Speed TP, Dudoit S. Normalization of RNA-seq data using factor analysis
of control genes or samples. Nat Biotechnol 2014;32:896–902) estimates *k* factors of unwanted
variation from genes assumed not to change with the biology (here the codeset's housekeeping
genes, as Bhattacharya et al., Brief Bioinform 2021;22:bbaa163 do for nCounter data) and
removes them from every gene by least squares. Steps, as in the RUVSeq package's ``RUVg``
method for a count matrix (defaults ``drop=0, center=TRUE, epsilon=1, tolerance=1e-8``):

1. ``Y = log(counts + ε)`` with samples as rows (natural log);
2. ``Yc`` = ``Y`` with each gene's mean over samples removed;
3. SVD of ``Yc`` restricted to the control genes; ``W`` = the first *k* left singular vectors
   (k lowered to the number of singular values above the tolerance);
4. ``α = (WᵀW)⁻¹ Wᵀ Y`` over all genes (uncentred ``Y``); corrected ``Y − W α``;
5. counts ``exp(Y − W α) − ε`` (floored at 0, not rounded: ``round=FALSE``), and here
   ``log2(max(count, 1))`` as for the nSolver-style path so that both feed the same scores.

No positive-control or housekeeping scaling is applied first: the unwanted factors absorb
lane-wide technical and RNA-content differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.translational._numeric import GEOMEAN_FLOOR

__all__ = ["RuvResult", "derive_ruvg_normalized"]

_TOLERANCE = 1e-8  # RUVSeq RUVg default: singular values ≤ this are not factors


@dataclass(frozen=True)
class RuvResult:
    """RUVg-normalised counts and the factors removed.

    Attributes
    ----------
    counts
        Corrected linear counts (same rows/columns as the input).
    log2
        ``log2(max(counts, 1))``.
    unwanted
        ``W``: samples × k factors (``W_1`` …).
    controls
        Names of the control (housekeeping) genes used.
    k
        Number of factors removed (≤ the number asked for).
    """

    counts: pd.DataFrame = field(repr=False)
    log2: pd.DataFrame = field(repr=False)
    unwanted: pd.DataFrame = field(repr=False)
    controls: tuple[str, ...]
    k: int


def derive_ruvg_normalized(
    counts: pd.DataFrame, *, controls: list[str] | tuple[str, ...], k: int = 1,
    epsilon: float = 1.0, center: bool = True,
) -> RuvResult:
    """RUVg (module docstring) on *counts*: rows = genes, columns = samples.

    Parameters
    ----------
    counts
        Non-negative counts; the row labels (or a ``name`` index level) identify the genes.
    controls
        Row names of the negative-control genes (housekeeping genes).
    k
        Number of unwanted factors; must be ≥ 1, below the number of samples and at most the
        number of controls.
    epsilon
        Added to the counts before the natural log (RUVSeq's ``epsilon``, default 1).
    center
        Centre each gene's log counts over samples before the SVD of the controls (RUVSeq's
        ``center``, default true).

    Returns
    -------
    RuvResult
        Corrected counts (not rounded, floored at 0), their log2 (floored at 1 count), the
        unwanted factors ``W`` per sample, the control genes found and the *k* used (lowered
        when the controls have fewer singular values above 1e-8).

    Raises
    ------
    DataError
        *k* outside 1 … samples − 1, fewer controls than *k*, negative or missing counts, or
        controls that do not vary between samples.
    """
    names = (counts.index.get_level_values("name") if isinstance(counts.index, pd.MultiIndex)
             else counts.index)
    is_control = np.asarray(names.isin(list(controls)))
    n_samples = counts.shape[1]
    if not 1 <= k < n_samples:
        raise DataError("k must be at least 1 and below the number of samples", field="k",
                        value=k, allowed=f"1 … {n_samples - 1}")
    if int(is_control.sum()) < k:
        raise DataError("fewer control genes than factors", field="controls",
                        value=int(is_control.sum()), allowed=f"≥ k = {k}")
    values = counts.to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise DataError("counts must be non-negative numbers", field="counts",
                        value="negative or missing", allowed="counts ≥ 0")
    y = np.log(values.T + epsilon)  # samples × genes
    yc = y - y.mean(axis=0) if center else y
    u, d, _ = np.linalg.svd(yc[:, is_control], full_matrices=False)
    usable = int(np.max(np.nonzero(d > _TOLERANCE)[0], initial=-1)) + 1
    k_used = min(k, usable)
    if k_used < 1:
        raise DataError("the control genes do not vary between samples", field="controls",
                        value=list(controls), allowed="controls with some variation")
    w = u[:, :k_used]
    alpha = np.linalg.solve(w.T @ w, w.T @ y)
    corrected = np.maximum(np.exp(y - w @ alpha) - epsilon, 0.0).T
    frame = pd.DataFrame(corrected, index=counts.index, columns=counts.columns)
    return RuvResult(
        counts=frame,
        log2=pd.DataFrame(np.log2(np.maximum(corrected, GEOMEAN_FLOOR)), index=counts.index,
                          columns=counts.columns),
        unwanted=pd.DataFrame(w, index=pd.Index(counts.columns, name="sample"),
                              columns=[f"W_{i + 1}" for i in range(k_used)]),
        controls=tuple(str(n) for n in names[is_control]),
        k=k_used,
    )
