"""The services' input models: strict in Python, lax from JSON, the row rules reused, and the
few rules across rows (each test once, each lesion once, limits of normal in order)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from oncotrial.errors import DataError
from oncotrial.services._validation import row_problems
from oncotrial.services.inputs import (
    AdverseEventInput,
    LabInput,
    LabsInput,
    LesionReading,
    TumourAssessmentInput,
    VitalSignsInput,
)

NEUT = {"test_code": "NEUT", "value": 1.2, "unit_of_measure": "10^9/L"}


@pytest.mark.parametrize(("lln", "uln", "accepted"), [
    (0.0, 7.5, True),     # a range that starts at 0 is a range
    (1.8, 7.5, True),
    (7.49, 7.5, True),
    (7.5, 7.5, False),    # no range at all
    (7.6, 7.5, False),
])
def test_limits_of_normal_in_order_on_every_path(lln: float, uln: float,
                                                 accepted: bool) -> None:
    """The input model and the row rules (corrections, ODM import) agree on both sides."""
    rows = row_problems("lab_result", {"test_code": "NEUT", "value": 1.2, "unit": "10^9/L",
                                       "lln": lln, "uln": uln})
    assert (rows == []) is accepted
    if accepted:
        LabInput.checked({**NEUT, "lln": lln, "uln": uln})
        return
    with pytest.raises(DataError, match=f"lln={lln!r}: not below the upper limit of normal"):
        LabInput.checked({**NEUT, "lln": lln, "uln": uln}, subject="01-001")


def test_strict_in_python_lax_from_json() -> None:
    """A service's caller passes Python values (no True for a number, no text for a date); the
    API reads JSON, where dates are text."""
    with pytest.raises(DataError, match="value=True: Input should be a valid number"):
        LabInput.checked({**NEUT, "value": True})
    with pytest.raises(DataError, match="collected_on='2019-03-06'"):
        LabsInput.checked({"collected_on": "2019-03-06", "results": [NEUT]})
    with pytest.raises(DataError, match="a valid date"):
        LabsInput.checked({"collected_on": datetime(2019, 3, 6, 9), "results": [NEUT]})
    read = LabsInput.model_validate_json(
        '{"collected_on": "2019-03-06", "results": [{"test_code": "NEUT", "value": 1.2, '
        '"unit": "10^9/L"}]}')
    assert read.collected_on == date(2019, 3, 6)
    assert read.results[0].unit_of_measure == "10^9/L"
    assert read.results[0].arguments() == {**NEUT, "lln": None, "uln": None, "baseline": None}


def test_what_one_row_cannot_say() -> None:
    """Each test once per collection, each lesion once per reading; unknown fields refused."""
    with pytest.raises(DataError, match="results='NEUT': test listed twice"):
        LabsInput.checked({"collected_on": date(2019, 3, 6), "results": [NEUT, NEUT]})
    lesion = {"link_id": "T01", "category": "TARGET", "location": "LUNG", "diameter_mm": 20.0}
    base = {"visit": "WEEK 6", "visitnum": 2.0, "assessed_on": date(2019, 4, 1)}
    with pytest.raises(DataError, match="subject 01-001, visit WEEK 6: lesions='T01': "
                                        "lesion listed twice"):
        TumourAssessmentInput.checked({**base, "lesions": [lesion, lesion]},
                                      subject="01-001", visit="WEEK 6")
    with pytest.raises(DataError, match=r"lesions=\[\]: List should have at least 1 item"):
        TumourAssessmentInput.checked({**base, "lesions": []})
    kept = TumourAssessmentInput.checked({**base, "lesions": (lesion, LesionReading(
        link_id="NT01", category="NON-TARGET", location="BONE", state="PRESENT"))})
    assert [r.link_id for r in kept.lesions] == ["T01", "NT01"]
    with pytest.raises(DataError, match="sise_mm=1: Extra inputs are not permitted"):
        TumourAssessmentInput.checked({**base, "lesions": [{**lesion, "sise_mm": 1}]})


@pytest.mark.parametrize(("systolic", "diastolic", "accepted"), [
    (120.0, 119.0, True), (120.0, 120.0, False), (120.0, 130.0, False)])
def test_diastolic_below_systolic(systolic: float, diastolic: float, accepted: bool) -> None:
    values = {"measured_on": date(2019, 4, 1), "systolic_mmhg": systolic,
              "diastolic_mmhg": diastolic}
    if accepted:
        VitalSignsInput.checked(values)
        return
    with pytest.raises(DataError, match="diastolic must be below systolic"):
        VitalSignsInput.checked(values)


def test_adverse_event_rules_are_the_row_rules() -> None:
    """Grade against the CTCAE term (Fatigue has no grade 4), FATAL only with grade 5, end not
    before start: the same problems the row rules report."""
    base = {"term": "Fatigue", "grade": 3, "start_date": date(2019, 4, 3),
            "related_lenvatinib": "possible", "related_eribulin": "unlikely"}
    AdverseEventInput.checked(base)
    for change, words in (({"grade": 4}, "Fatigue"), ({"outcome": "FATAL"}, "FATAL"),
                          ({"end_date": date(2019, 4, 2)}, "before start_date")):
        with pytest.raises(DataError, match=words):
            AdverseEventInput.checked({**base, **change})
    with pytest.raises(DataError, match="flags"):
        AdverseEventInput.checked({**base, "flags": ["bored"]})
