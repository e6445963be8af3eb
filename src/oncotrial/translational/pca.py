"""Principal components of normalised samples (for a first look at batch and timepoint).

PCA as R's ``prcomp(t(x), center = TRUE, scale. = FALSE)``: genes centred over samples, SVD of
the samples × genes matrix; sample scores ``U·D``, standard deviations ``D / √(n − 1)``,
explained share ``D² / ΣD²``. Genes constant over all samples are left out (they carry no
variance); a sample's sign per component follows the SVD (the gene loading of largest
magnitude is made positive, so the result does not depend on the LAPACK build).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oncotrial.errors import DataError

__all__ = ["PcaResult", "estimate_pca"]


@dataclass(frozen=True)
class PcaResult:
    """Sample scores, gene loadings, standard deviations and explained variance share."""

    scores: pd.DataFrame = field(repr=False)
    loadings: pd.DataFrame = field(repr=False)
    sdev: pd.Series = field(repr=False)
    explained: pd.Series = field(repr=False)


def estimate_pca(values: pd.DataFrame, *, n_components: int = 2) -> PcaResult:
    """PCA of *values*: rows = genes (log2), columns = samples.

    Parameters
    ----------
    values
        Log2 expression, complete (no NaN); rows = genes, columns = samples.
    n_components
        Number of components kept in ``scores`` and ``loadings`` (at most the number of
        singular values); ``sdev`` and ``explained`` always cover every component.

    Returns
    -------
    PcaResult
        ``scores`` (samples × PCs, R ``prcomp()$x``), ``loadings`` (varying genes × PCs,
        ``$rotation``), ``sdev`` (``$sdev``) and ``explained`` (share of variance).

    Raises
    ------
    DataError
        Fewer than 3 samples, fewer than 2 varying genes, or missing values.
    """
    data = values.to_numpy(dtype=float)
    if np.isnan(data).any():
        raise DataError("missing values cannot enter a PCA", field="values",
                        value=int(np.isnan(data).sum()), allowed="complete data")
    varying = data.std(axis=1) > 0
    if values.shape[1] < 3 or varying.sum() < 2:
        raise DataError("PCA needs at least 3 samples and 2 varying genes", field="values",
                        value=(int(varying.sum()), values.shape[1]),
                        allowed="(≥ 2 genes, ≥ 3 samples)")
    x = data[varying].T
    x = x - x.mean(axis=0)
    u, d, vt = np.linalg.svd(x, full_matrices=False)
    n = min(n_components, d.size)
    flip = np.sign(vt[np.arange(d.size), np.argmax(np.abs(vt), axis=1)])
    u, vt = u * flip, vt * flip[:, None]
    names = [f"PC{i + 1}" for i in range(n)]
    genes = values.index[varying]
    return PcaResult(
        scores=pd.DataFrame(u[:, :n] * d[:n], index=values.columns, columns=names),
        loadings=pd.DataFrame(vt[:n].T, index=genes, columns=names),
        sdev=pd.Series(d / np.sqrt(x.shape[0] - 1), index=[f"PC{i + 1}" for i in
                                                            range(d.size)]),
        explained=pd.Series(d**2 / np.sum(d**2), index=[f"PC{i + 1}" for i in range(d.size)]),
    )
