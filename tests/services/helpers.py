"""Small builders for services tests."""

from __future__ import annotations

from datetime import date

from oncotrial.protocol import Protocol
from oncotrial.services import enrolment, safety, subjects
from oncotrial.services._unit import Unit, open_unit
from oncotrial.store import Store
from tests.store.backends import World


def register(store: Store, world: World, n: int = 1, *, site_b: bool = False) -> str:
    """Register subject *n* at site A (or B) and return its screening number."""
    number = world.subject_number(n + (500 if site_b else 0))
    actor = world.inv_b if site_b else world.inv_a
    with open_unit(store, actor) as unit:
        subjects.register_subject(
            unit,
            number,
            site=world.site_b if site_b else world.site_a,
            consent_date=date(2019, 3, 4),
            consent_version="2.0",
            sex="F",
            birth_date=date(1960, 5, 6),
            histology="LMS",
            ecog=1,
        )
    return number


def screening_values(**override: object) -> dict[str, object]:
    """LEADER screening values that meet every criterion (override one to fail it)."""
    values: dict[str, object] = {
        "histology": "LMS",
        "age_years": {"value": 58, "unit": "years"},
        "prior_systemic_lines": 1,
        "measurable_disease": True,
        "karnofsky": 90,
        "anc": {"value": 3.2, "unit": "10^9/L"},
        "platelets": {"value": 250, "unit": "10^9/L"},
        "hemoglobin": {"value": 12.1, "unit": "g/dL"},
        "bilirubin": {"value": 0.6, "unit": "mg/dL", "uln": 1.2},
        "alt": {"value": 22, "unit": "U/L", "uln": 40},
        "ast": {"value": 25, "unit": "U/L", "uln": 40},
        "creatinine_clearance": {"value": 90, "unit": "mL/min"},
        "systolic_bp": {"value": 128, "unit": "mmHg"},
        "diastolic_bp": {"value": 78, "unit": "mmHg"},
        "urine_protein_dipstick": "negative",
        "qtc_ms": {"value": 420, "unit": "msec"},
        "informed_consent": True,
        "prior_eribulin_or_lenvatinib": False,
        "active_brain_metastases": False,
        "pregnant_or_breastfeeding": False,
    }
    values.update(override)
    return values


def enrol_with_body(unit: Unit, number: str, protocol: Protocol, start: date) -> None:
    """Enrol a registered subject in phase II with the first dose on *start*, and record the
    height and weight the per-m² dose needs."""
    enrolment.enrol_subject(unit, number, screening=screening_values(), phase="II",
                            enrolled_on=start, protocol=protocol, reference_start_date=start)
    safety.record_body_measurement(unit, number, measured_on=start, height_cm=170,
                                   weight_kg=70, protocol=protocol)


def reading(link_id: str, category: str, location: str, diameter_mm: float | None = None,
            **more: object) -> dict[str, object]:
    """One lesion reading as a service takes it (validated there by ``LesionReading``)."""
    return {"link_id": link_id, "category": category, "location": location,
            "diameter_mm": diameter_mm, **more}
