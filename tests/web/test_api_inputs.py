"""One input model per write, shared by the service, the JSON API and the web form: the same
value is refused by each with the same words, and the API's schema is the models' own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from oncotrial.errors import DataError
from oncotrial.protocol import load_protocol
from oncotrial.services import assessments, safety
from oncotrial.services._unit import open_unit
from oncotrial.services.admin import log_in
from oncotrial.services.auth import create_api_token
from oncotrial.services.inputs import LabsInput, TumourAssessmentInput
from oncotrial.store import Store
from oncotrial.web import create_app
from oncotrial.web.settings import WebSettings
from tests.web.conftest import AS_OF, Trial

PROTOCOL = load_protocol()


def test_api_request_bodies_are_the_service_models() -> None:
    """The OpenAPI schema of the two write operations is the services' input models'."""
    schema = create_app(WebSettings(db_url="sqlite://", as_of=AS_OF)).openapi()
    bodies = {path: op["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
              for path, op in schema["paths"].items() if "post" in op}
    assert bodies == {"/api/subjects/{subject}/labs": "#/components/schemas/LabsInput",
                      "/api/subjects/{subject}/tumour-assessments":
                      "#/components/schemas/TumourAssessmentInput"}
    components = schema["components"]["schemas"]
    for model in (LabsInput, TumourAssessmentInput):
        own = model.model_json_schema(ref_template="#/components/schemas/{model}")
        served = components[model.__name__]["properties"]
        assert served.keys() == own["properties"].keys()
        for name, spec in own["properties"].items():  # FastAPI leaves out "default": null
            assert {k: v for k, v in served[name].items() if k != "default"} == {
                k: v for k, v in spec.items() if k != "default"}
    lesion = components["LesionReading"]["properties"]
    assert lesion["category"]["enum"] == ["TARGET", "NON-TARGET", "NEW"]
    assert components["LabInput"]["additionalProperties"] is False


LAB_DAY = {"collected_on": "2019-03-06"}
# (lab sent, the words every path must use)
BAD_LABS = [
    ({"test_code": "NEUT", "value": -0.1, "unit": "10^9/L"},
     "value=-0.1: out of range (allowed: >= 0)"),
    ({"test_code": "NEUT", "value": 1.0, "unit": "furlongs"},
     "unit 'furlongs' is not known (allowed: 10^9/L, 10^3/uL, /mm3)"),
    ({"test_code": "NEUT", "value": 1.0, "unit": "10^9/L", "lln": 7.5, "uln": 7.5},
     "lln=7.5: not below the upper limit of normal 7.5 (allowed: below 7.5)"),
    ({"test_code": "XYZ", "value": 1.0, "unit": "10^9/L"},
     "test_code='XYZ': not an allowed value"),
]
BAD_LESIONS = [
    ({"link_id": "NT01", "category": "NON-TARGET", "location": "BONE", "state": "PRESENT",
      "density_hu": 40.0},
     "density_hu=40.0: lesion NT01: density (HU) is measured on target lesions, not NON-TARGET"),
    ({"link_id": "T01", "category": "TARGET", "location": "LUNG", "diameter_mm": 2000.5},
     "diameter_mm=2000.5: lesion T01: out of range (allowed: 0 to 2000 mm)"),
    ({"link_id": "T01", "category": "TUMOUR", "location": "LUNG", "diameter_mm": 20.0},
     "category='TUMOUR': lesion T01: not an allowed value (allowed: TARGET, NON-TARGET, NEW)"),
]


Post = Callable[[str, dict[str, Any]], Any]


@pytest.fixture
def post(client: TestClient, store: Store, trial: Trial) -> Post:
    """POST to the API as the site-A coordinator (bearer token)."""
    with open_unit(store, log_in(store, trial.user("coordinator"), channel="API")) as unit:
        token = create_api_token(unit, label="inputs")
    return lambda path, body: client.post(path, json=body,
                                          headers={"Authorization": f"Bearer {token}"})


def _by_service(store: Store, trial: Trial, call: Any) -> str:
    actor = log_in(store, trial.user("coordinator"), channel="UI")
    with open_unit(store, actor) as unit, pytest.raises(DataError) as refused:
        call(unit)
    return str(refused.value)


@pytest.mark.parametrize(("lab", "words"), BAD_LABS)
def test_a_lab_is_refused_alike_by_the_service_and_the_api(
    post: Post, store: Store, trial: Trial, lab: dict[str, Any], words: str,
) -> None:
    """Both sides of each rule: the API answers 422 naming the field, in the service's words."""
    kwargs = {("unit_of_measure" if k == "unit" else k): v for k, v in lab.items()}
    by_service = _by_service(store, trial, lambda unit: safety.record_lab(
        unit, trial.subject_a, collected_on=date(2019, 3, 6), **kwargs))
    answer = post(f"/api/subjects/{trial.subject_a}/labs", {**LAB_DAY, "results": [lab]})
    assert answer.status_code == 422, answer.text
    assert words in by_service
    assert words in answer.json()["error"]
    assert answer.json()["field"].startswith("results.0.")
    assert by_service.startswith(f"subject {trial.subject_a}: ")
    fixed = {**lab, "value": 1.0, "unit": "10^9/L", "test_code": "NEUT", "lln": 0.0,
             "uln": 7.5}  # a range from 0 is a range
    accepted = post(f"/api/subjects/{trial.subject_a}/labs", {**LAB_DAY, "results": [fixed]})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()[0]["grade"] == 2  # CTCAE v5.0: <1.5-1.0 x 10^9/L is grade 2


@pytest.mark.parametrize(("lesion", "words"), BAD_LESIONS)
def test_a_lesion_is_refused_alike_by_the_service_and_the_api(
    post: Post, store: Store, trial: Trial, lesion: dict[str, Any], words: str,
) -> None:
    body = {"visit": "BASELINE", "visitnum": 1, "assessed_on": "2019-03-06",
            "lesions": [lesion]}
    by_service = _by_service(store, trial, lambda unit: assessments.record_tumour_assessment(
        unit, trial.subject_a, visit="BASELINE", visitnum=1, assessed_on=date(2019, 3, 6),
        lesions=[lesion], protocol=PROTOCOL))
    answer = post(f"/api/subjects/{trial.subject_a}/tumour-assessments", body)
    assert answer.status_code == 422, answer.text
    assert words in by_service
    assert "visit BASELINE" in by_service
    assert words in answer.json()["error"]
    assert answer.json()["field"].startswith("lesions.0.")
