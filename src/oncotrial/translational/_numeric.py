"""Small numeric helpers shared by QC and normalisation (private)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["GEOMEAN_FLOOR", "geometric_mean", "geometric_mean_columns"]

# Zero handling for geometric means: counts are floored at 1 before taking logs (the NACHO
# convention, translational.md §2.2). A zero count therefore contributes log(1) = 0 and the
# divisor stays the full n, unlike NanoTube's gm_mean, which drops zeros but keeps n.
GEOMEAN_FLOOR = 1.0


def geometric_mean(values: npt.ArrayLike, *, floor: float = GEOMEAN_FLOOR) -> float:
    """Geometric mean of *values* after raising each below *floor* to *floor*."""
    array = np.maximum(np.asarray(values, dtype=float), floor)
    if array.size == 0:
        return float("nan")
    return float(np.exp(np.mean(np.log(array))))


def geometric_mean_columns(
    matrix: npt.NDArray[np.float64], *, floor: float = GEOMEAN_FLOOR
) -> npt.NDArray[np.float64]:
    """Column-wise geometric mean of a 2-D array (rows = probes, columns = lanes), floored."""
    array = np.maximum(np.asarray(matrix, dtype=float), floor)
    if array.shape[0] == 0:
        return np.full(array.shape[1], np.nan)
    result: npt.NDArray[np.float64] = np.exp(np.mean(np.log(array), axis=0))
    return result
