"""Cox proportional hazards for biomarker association, through lifelines.

Why lifelines (``lifelines.CoxPHFitter``, Davidson-Pilon, MIT licence) rather than our own code:
it handles tied event times with Efron's method (the R ``coxph`` default), uses a safeguarded
Newton-Raphson, reports Wald p-values, confidence intervals, the partial log-likelihood and
Harrell's concordance, and is validated against R ``survival`` in its own test suite; it is
already a declared dependency. Biomarker analyses in a ~30-patient phase II are small, so its
speed (about 17x slower than R ``coxph`` at 1e5 rows, see performance_anchors.md §3) does not
matter here, while a home-grown fitter would need its own validation. lifelines imports pandas,
so it is imported lazily inside the function; this module itself never imports pandas (the
"Statistics stay pure numerics" contract): the caller passes the data frame it already has
(ADaM ADTTE merged with biomarker scores).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from oncotrial.errors import DataError, DesignError

__all__ = ["CoxResult", "estimate_cox_ph"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CoxResult:
    """Cox model coefficients (log hazard ratios) with Wald inference, one entry per covariate."""

    covariates: tuple[str, ...]
    coef: FloatArray
    std_err: FloatArray
    hazard_ratio: FloatArray
    lower: FloatArray  # hazard-ratio scale
    upper: FloatArray
    z: FloatArray
    p_value: FloatArray
    log_likelihood: float
    concordance: float
    n: int
    events: int
    conf_level: float
    ties: str


def estimate_cox_ph(
    data: Any,
    *,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    conf_level: float = 0.95,
) -> CoxResult:
    """Fit a Cox proportional hazards model (Efron ties) with lifelines.

    Parameters
    ----------
    data
        A pandas DataFrame holding the duration, event and covariate columns (numeric).
    duration_col, event_col
        Column names of follow-up time (>= 0) and event indicator (1 event, 0 censored).
    covariates
        Numeric covariate columns (dummy-code categories beforehand).
    conf_level
        Two-sided level of the hazard-ratio intervals.

    Returns
    -------
    CoxResult

    Raises
    ------
    DataError
        If a column is missing or holds missing values.
    DesignError
        If the model cannot be fitted (e.g. no events, perfect separation).
    """
    from lifelines import CoxPHFitter  # noqa: PLC0415 — lazy: lifelines imports pandas (slow)
    from lifelines.exceptions import ConvergenceError  # noqa: PLC0415 — same reason

    columns = [duration_col, event_col, *covariates]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError("column not found", field="column", value=missing,
                        allowed=", ".join(map(str, data.columns)))
    frame = data[columns]
    if bool(frame.isna().to_numpy().any()):
        raise DataError("missing values in the model columns", field="column", value=columns)
    if not 0.0 < conf_level < 1.0:
        raise DesignError(f"conf_level={conf_level!r} must lie strictly between 0 and 1")
    fitter = CoxPHFitter(alpha=1.0 - conf_level)
    try:
        fitter.fit(frame, duration_col=duration_col, event_col=event_col)
    except ConvergenceError as exc:
        raise DesignError(f"the Cox model did not converge: {exc}") from exc
    summary = fitter.summary
    coef = summary["coef"].to_numpy(dtype=np.float64)
    ci = fitter.confidence_intervals_.to_numpy(dtype=np.float64)
    return CoxResult(
        covariates=tuple(str(c) for c in summary.index),
        coef=coef,
        std_err=summary["se(coef)"].to_numpy(dtype=np.float64),
        hazard_ratio=np.exp(coef),
        lower=np.exp(ci[:, 0]),
        upper=np.exp(ci[:, 1]),
        z=summary["z"].to_numpy(dtype=np.float64),
        p_value=summary["p"].to_numpy(dtype=np.float64),
        log_likelihood=float(fitter.log_likelihood_),
        concordance=float(fitter.concordance_index_),
        n=int(frame.shape[0]),
        events=int(frame[event_col].sum()),
        conf_level=conf_level,
        ties="efron",
    )
