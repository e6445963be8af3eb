"""PCA of normalised samples, checked against an eigen-decomposition of the covariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.translational.pca import estimate_pca


def test_pca_agrees_with_covariance_eigenvalues() -> None:
    """sdev² = eigenvalues of the gene covariance (n − 1), explained shares sum to 1, scores
    of PC1 = centred data · first eigenvector (up to sign), constant genes left out."""
    rng = np.random.default_rng(11)
    values = pd.DataFrame(rng.normal(8, 1, size=(30, 6)), columns=[f"s{i}" for i in range(6)])
    values.loc[30] = 5.0  # a constant gene
    result = estimate_pca(values)
    x = values.iloc[:30].to_numpy().T
    x = x - x.mean(axis=0)
    eigen, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    order = np.argsort(eigen)[::-1]
    eigen, vectors = eigen[order], vectors[:, order]
    assert result.sdev.iloc[:5].to_numpy() ** 2 == pytest.approx(eigen[:5])
    assert result.explained.sum() == pytest.approx(1.0)
    pc1 = x @ vectors[:, 0]
    assert np.abs(result.scores["PC1"].to_numpy()) == pytest.approx(np.abs(pc1))
    assert 30 not in result.loadings.index


def test_pca_separates_two_planted_groups() -> None:
    """Two groups 3 log2 units apart on half the genes: PC1 splits them."""
    rng = np.random.default_rng(2)
    values = pd.DataFrame(rng.normal(0, 0.3, size=(40, 8)))
    values.iloc[:20, 4:] += 3.0
    pc1 = estimate_pca(values).scores["PC1"]
    assert (np.sign(pc1.iloc[:4]) != np.sign(pc1.iloc[4:].mean())).all()


def test_pca_refuses_too_little_data() -> None:
    """Fewer than 3 samples, or missing values, are refused with the reason."""
    with pytest.raises(DataError, match="at least 3 samples"):
        estimate_pca(pd.DataFrame(np.ones((5, 2)) * [[1, 2]]))
    with pytest.raises(DataError, match="missing"):
        estimate_pca(pd.DataFrame([[1.0, np.nan, 2.0], [2.0, 3.0, 1.0]]))
