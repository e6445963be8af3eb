"""Eligibility evaluation against the LEADER criteria: every failed or missing one is listed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.protocol import Protocol
from oncotrial.rules.eligibility import Measured, Screening, evaluate_eligibility

ELIGIBLE: dict[str, Any] = {
    "histology": "LMS",
    "age_years": 59,
    "prior_systemic_lines": 2,
    "measurable_disease": True,
    "karnofsky": 70,
    "anc": {"value": 1.5, "unit": "10^9/L"},
    "platelets": {"value": 100, "unit": "10^9/L"},
    "hemoglobin": {"value": 9.0, "unit": "g/dL"},
    "bilirubin": {"value": 1.5, "unit": "mg/dL", "uln": 1.0},
    "alt": {"value": 120, "unit": "U/L", "uln": 40},
    "ast": {"value": 30, "unit": "U/L", "uln": 40},
    "creatinine_clearance": {"value": 30, "unit": "mL/min"},
    "systolic_bp": {"value": 150, "unit": "mmHg"},
    "diastolic_bp": {"value": 90, "unit": "mmHg"},
    "urine_protein_dipstick": "1+",
    "qtc_ms": {"value": 480, "unit": "msec"},
    "informed_consent": True,
    "prior_eribulin_or_lenvatinib": False,
    "active_brain_metastases": False,
    "pregnant_or_breastfeeding": False,
}


def _screen(**changes: Any) -> Screening:
    values = {k: v for k, v in (ELIGIBLE | changes).items() if v is not None}
    return Screening.model_validate({"subject": "01-001", "values": values})


def test_all_boundaries_met_is_eligible(leader: Protocol) -> None:
    """A subject exactly at every inclusive limit is eligible."""
    result = evaluate_eligibility(_screen(), protocol=leader)
    assert result.eligible, [r for r in result.results if r.status != "pass"]
    assert len(result.results) == len(leader.eligibility)


# One step past each limit fails that criterion only (limits from the protocol's criteria;
# LEADER-published ones: histology LMS/LPS, ≤ 2 prior lines, measurable disease — ASCO abstract).
FAILS = [
    ("histology", "UPS", "INC-01"),
    ("age_years", 19, "INC-02"),
    ("prior_systemic_lines", 3, "INC-03"),
    ("measurable_disease", False, "INC-04"),
    ("karnofsky", 60, "INC-05"),
    ("anc", {"value": 1.49, "unit": "10^9/L"}, "INC-06"),
    ("anc", {"value": 1490, "unit": "/mm3"}, "INC-06"),
    ("platelets", {"value": 99, "unit": "10^9/L"}, "INC-07"),
    ("hemoglobin", {"value": 89, "unit": "g/L"}, "INC-08"),
    ("bilirubin", {"value": 1.51, "unit": "mg/dL", "uln": 1.0}, "INC-09"),
    ("alt", {"value": 121, "unit": "U/L", "uln": 40}, "INC-10"),
    ("creatinine_clearance", {"value": 29.9, "unit": "mL/min"}, "INC-12"),
    ("systolic_bp", {"value": 151, "unit": "mmHg"}, "INC-13"),
    ("urine_protein_dipstick", "2+", "INC-15"),
    ("qtc_ms", {"value": 481, "unit": "msec"}, "INC-16"),
    ("active_brain_metastases", True, "EXC-02"),
]


@pytest.mark.parametrize(("field", "value", "crit"), FAILS, ids=[f"{f[2]}-{f[0]}" for f in FAILS])
def test_one_step_past_a_limit_fails_that_criterion(
    leader: Protocol, field: str, value: Any, crit: str
) -> None:
    """Crossing one limit fails exactly that criterion, in either unit system."""
    result = evaluate_eligibility(_screen(**{field: value}), protocol=leader)
    assert not result.eligible
    assert result.failed == (crit,)


def test_converted_units_pass(leader: Protocol) -> None:
    """Conventional units are converted: ANC 1500/mm3 and Hb 90 g/L meet 1.5 ×10^9/L and 9 g/dL."""
    result = evaluate_eligibility(
        _screen(anc={"value": 1500, "unit": "/mm3"}, hemoglobin={"value": 90, "unit": "g/L"}),
        protocol=leader,
    )
    assert result.eligible


def test_every_failed_and_missing_criterion_is_listed(leader: Protocol) -> None:
    """Several problems at once are all reported, with reasons."""
    result = evaluate_eligibility(
        _screen(
            histology="UPS",
            qtc_ms=None,
            karnofsky=None,
            alt={"value": 100, "unit": "U/L"},
            anc={"value": 1.6, "unit": "g/dL"},
            platelets=150,
        ),
        protocol=leader,
    )
    assert result.failed == ("INC-01",)
    assert set(result.missing) == {"INC-05", "INC-06", "INC-07", "INC-10", "INC-16"}
    reasons = {r.id: r.reason for r in result.results}
    assert "ULN" in reasons["INC-10"]
    assert "needs its unit" in reasons["INC-07"]
    assert "no value" in reasons["INC-16"]


def test_wrong_type_is_unevaluable_not_passed(leader: Protocol) -> None:
    """A string where a yes/no is expected is reported, never coerced."""
    result = evaluate_eligibility(_screen(informed_consent="yes"), protocol=leader)
    status = {r.id: r.status for r in result.results}
    assert status["INC-17"] == "unevaluable"
    assert not result.eligible


def test_measured_model_requires_unit() -> None:
    """A measured value without a unit is rejected at input."""
    with pytest.raises(ValueError, match="unit"):
        Measured.model_validate({"value": 1.0})


@settings(max_examples=60, deadline=None)
@given(anc=st.floats(0.1, 10.0), more=st.floats(0.0, 5.0))
def test_higher_anc_never_turns_pass_into_fail(leader: Protocol, anc: float, more: float) -> None:
    """The ANC criterion is monotone: if a count passes, every higher count passes too."""

    def status(value: float) -> str:
        result = evaluate_eligibility(
            _screen(anc={"value": value, "unit": "10^9/L"}), protocol=leader
        )
        return next(r.status for r in result.results if r.id == "INC-06")

    if status(anc) == "pass":
        assert status(anc + more) == "pass"
