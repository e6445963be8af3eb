"""Stromal TIL CRF fields (International TILs Working Group, Salgado 2015)."""

from __future__ import annotations

import pytest

from oncotrial.errors import DataError
from oncotrial.translational import TilAssessment, validate_til_assessment

VALID: dict[str, object] = {
    "subject_id": "01-001", "specimen_id": "B1-A", "timepoint": "baseline",
    "anatomic_site": "retroperitoneum", "lesion_origin": "primary", "histology": "LPS",
    "histology_subtype": "dedifferentiated", "specimen_type": "core_needle", "n_cores": 3,
    "section_thickness_um": 4, "magnification": 200, "evaluable": True,
    "stromal_tils_pct": 15, "exclusions": ["necrosis"],
    "scoring_adaptation": "stroma = collagenous septa between tumour fascicles",
    "pathologist_id": "PATH1", "assessment_date": "2024-03-02", "biopsy_date": "2024-02-20",
}


def test_valid_record_has_no_deviations() -> None:
    """A baseline 4 µm ×200 reading is valid and follows the method."""
    record = validate_til_assessment(VALID)
    assert isinstance(record, TilAssessment)
    assert record.deviations == ()
    assert record.scoring_scope == "whole_tumour_average"


@pytest.mark.parametrize(("value", "ok"), [(0, True), (100, True), (13.5, True), (-0.1, False),
                                           (100.5, False)])
def test_stromal_percent_bounds(value: float, ok: bool) -> None:
    """0–100 accepted on both edges (continuous, no step enforced); outside raises DataError."""
    data = dict(VALID, stromal_tils_pct=value)
    if ok:
        assert validate_til_assessment(data).stromal_tils_pct == value
    else:
        with pytest.raises(DataError, match="stromal_tils_pct") as err:
            validate_til_assessment(data)
        assert err.value.subject == "01-001"


@pytest.mark.parametrize(
    ("change", "message"),
    [({"stromal_tils_pct": None}, "required when evaluable"),
     ({"evaluable": False}, "must be empty"),
     ({"evaluable": False, "stromal_tils_pct": None}, "not_evaluable_reason"),
     ({"tls_count": 2}, "tls_present"),
     ({"granulocytes_excluded": False}, "granulocytes_excluded"),
     ({"scoring_adaptation": ""}, "scoring_adaptation"),
     ({"assessment_date": "2024-01-01"}, "before biopsy_date"),
     ({"exclusions": ["hotspot"]}, "exclusions")],
)
def test_inconsistent_records_raise(change: dict[str, object], message: str) -> None:
    """Inconsistent or method-breaking entries raise DataError with the reason."""
    with pytest.raises(DataError, match=message):
        validate_til_assessment(dict(VALID, **change))


def test_deviations_are_listed_not_refused() -> None:
    """3 µm sections, ×100 and on-treatment timepoints are recorded as deviations."""
    record = validate_til_assessment(dict(VALID, section_thickness_um=3, magnification=100,
                                          timepoint="on_treatment"))
    assert len(record.deviations) == 3
    assert any("after treatment" in d for d in record.deviations)
