"""Cox PH (lifelines wrapper) against R coxph on the aml data."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.stats.cox import estimate_cox_ph
from tests.stats.conftest import read_reference

AML = read_reference("km_aml_data.csv")
R = {row["quantity"]: row for row in read_reference("km_r_survdiff_aml.csv")}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "time": [float(r["time"]) for r in AML],
        "status": [int(r["status"]) for r in AML],
        "nonmaintained": [int(r["x"] == "Nonmaintained") for r in AML],
    })


def test_cox_matches_r_coxph_aml() -> None:
    """coef, SE and Wald p equal R coxph(Surv(time, status) ~ x, data = aml) (Efron ties)."""
    res = estimate_cox_ph(_frame(), duration_col="time", event_col="status",
                          covariates=["nonmaintained"])
    for field, key in (("coef", "cox_coef"), ("std_err", "cox_se"), ("p_value", "cox_p")):
        assert float(getattr(res, field)[0]) == pytest.approx(
            float(R[key]["value"]), abs=float(R[key]["tolerance"]))
    assert res.hazard_ratio[0] == pytest.approx(2.4981, abs=5e-4)
    assert res.lower[0] < res.hazard_ratio[0] < res.upper[0]
    assert (res.n, res.events) == (23, 18)


def test_cox_missing_column_is_named() -> None:
    """A covariate not in the data raises DataError naming it."""
    with pytest.raises(DataError, match="score"):
        estimate_cox_ph(_frame(), duration_col="time", event_col="status", covariates=["score"])
