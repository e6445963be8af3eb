"""RUVg (Risso et al., Nat Biotechnol 2014;32:896) with housekeeping genes as controls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.translational.ruv import derive_ruvg_normalized


def _planted(rng: np.random.Generator, n: int = 12) -> tuple[pd.DataFrame, np.ndarray,
                                                                 np.ndarray]:
    """Counts whose log has one unwanted factor (loading differs per gene) on every gene
    and a biological group effect on the non-controls only."""
    group = np.repeat([0.0, 1.0], n // 2)
    unwanted = rng.normal(0, 0.8, n)
    for g in (0.0, 1.0):  # unwanted variation unrelated to the groups (RUVg's assumption)
        unwanted[group == g] -= unwanted[group == g].mean()
    genes = [f"HK{i}" for i in range(8)] + [f"G{i}" for i in range(20)]
    loading = rng.uniform(0.5, 1.5, len(genes))
    effect = np.r_[np.zeros(8), np.full(20, 1.5)]
    base = rng.uniform(5, 9, len(genes))
    log_mean = base[:, None] + loading[:, None] * unwanted[None, :] + effect[:, None] * group
    counts = np.round(np.exp(log_mean))
    return pd.DataFrame(counts, index=genes, columns=[f"s{i}" for i in range(n)]), unwanted, group


def test_ruvg_removes_the_planted_factor_and_keeps_the_biology() -> None:
    """W recovers the unwanted factor (|r| > 0.99); after correction the genes no longer
    follow it, while the 1.5 log-unit group effect on non-controls survives."""
    rng = np.random.default_rng(7)
    counts, unwanted, group = _planted(rng)
    result = derive_ruvg_normalized(counts, controls=[f"HK{i}" for i in range(8)], k=1)
    assert result.k == 1
    assert list(result.unwanted.columns) == ["W_1"]
    assert abs(np.corrcoef(result.unwanted["W_1"], unwanted)[0, 1]) > 0.99
    corrected = np.log(result.counts.to_numpy() + 1)
    before = np.log(counts.to_numpy() + 1)
    r_before = abs(np.corrcoef(before[10], unwanted)[0, 1])
    r_after = abs(np.corrcoef(corrected[10], unwanted)[0, 1])
    assert r_before > 0.5
    assert r_after < 0.2
    effect = corrected[8:, group == 1].mean() - corrected[8:, group == 0].mean()
    assert effect == pytest.approx(1.5, abs=0.3)
    assert result.controls == tuple(f"HK{i}" for i in range(8))


def test_ruvg_matches_the_ruvseq_algorithm_written_out() -> None:
    """The corrected log counts equal Y − W(WᵀW)⁻¹WᵀY with W from the SVD of the centred
    control columns (RUVSeq RUVg, center=TRUE, epsilon=1, round=FALSE), and k factors give a
    W with k columns (RUVSeq tests/RUVg.R)."""
    rng = np.random.default_rng(3)
    counts = pd.DataFrame(rng.poisson(40, size=(10, 10)).astype(float),
                          index=[f"g{i}" for i in range(10)])
    for k in range(1, 6):
        result = derive_ruvg_normalized(counts, controls=list(counts.index), k=k)
        assert result.unwanted.shape == (10, k)
        y = np.log(counts.to_numpy().T + 1)
        u = np.linalg.svd(y - y.mean(axis=0))[0][:, :k]
        expected = np.exp(y - u @ np.linalg.lstsq(u, y, rcond=None)[0]) - 1
        assert np.allclose(result.counts.to_numpy().T, np.maximum(expected, 0))
        # W is unique up to sign: compare the projection it defines.
        w = result.unwanted.to_numpy()
        assert np.allclose(w @ w.T, u @ u.T)


@pytest.mark.parametrize(("k", "message"), [(0, "k must be"), (10, "k must be"),
                                            (3, "fewer control genes")])
def test_ruvg_refuses_bad_k(k: int, message: str) -> None:
    """k ≥ 1, below the number of samples, at most the number of controls."""
    counts = pd.DataFrame(np.arange(1, 51, dtype=float).reshape(5, 10),
                          index=["HK1", "HK2", "g1", "g2", "g3"])
    with pytest.raises(DataError, match=message):
        derive_ruvg_normalized(counts, controls=["HK1", "HK2"], k=k)
    with pytest.raises(DataError, match="non-negative"):
        derive_ruvg_normalized(-counts, controls=["HK1", "HK2"], k=1)
