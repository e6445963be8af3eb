"""The scipy-free normal quantile and chi-square tail against scipy.special."""

from __future__ import annotations

import pytest
from scipy import special

from oncotrial.stats._distributions import chi2_sf, normal_quantile


@pytest.mark.parametrize("p", [1e-12, 0.001, 0.025, 0.5, 0.8, 0.95, 0.975, 0.995, 1 - 1e-12])
def test_normal_quantile_equals_scipy_ndtri(p: float) -> None:
    """Quantiles agree with scipy.special.ndtri to 1e-13 relative."""
    assert normal_quantile(p) == pytest.approx(float(special.ndtri(p)), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 25])
@pytest.mark.parametrize("x", [1e-8, 0.1, 1.0, 3.84, 10.0, 50.0, 300.0, 1400.0])
def test_chi2_sf_equals_scipy_chdtrc(df: int, x: float) -> None:
    """Upper tails agree with scipy.special.chdtrc to 1e-12 relative, tiny tails included."""
    assert chi2_sf(x, df) == pytest.approx(float(special.chdtrc(df, x)), rel=1e-12, abs=1e-300)


def test_chi2_sf_edges() -> None:
    """x <= 0 gives 1, infinity gives 0, a non-integer df is refused."""
    assert chi2_sf(0.0, 3) == 1.0
    assert chi2_sf(float("inf"), 2) == 0.0
    with pytest.raises(ValueError, match=r"df=1\.5"):
        chi2_sf(1.0, 1.5)  # type: ignore[arg-type]
