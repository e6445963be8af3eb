"""Labs, vitals, AEs and tumour assessments: rules applied, results stored with their rule."""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.services import assessments, safety
from oncotrial.services._unit import open_unit
from oncotrial.store import Store
from oncotrial.store.schema import BodyMeasurement, VitalSign
from tests.services.helpers import reading, register
from tests.store.backends import World

R = reading


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    """The shipped LEADER protocol."""
    return load_protocol()


@pytest.mark.parametrize(
    ("value", "grade"),
    [(1.0, 2), (0.99, 3), (0.5, 3), (0.49, 4)],
    ids=["anc-1.0-g2", "anc-0.99-g3", "anc-0.5-g3", "anc-0.49-g4"],
)
def test_lab_grade_stored_with_rule(store: Store, world: World, value: float, grade: int) -> None:
    """CTCAE v5.0 Neutrophil count decreased: <1.0-0.5 x10e9/L is grade 3 (both edges)."""
    number = register(store, world)
    with open_unit(store, world.coord_a) as unit:
        row = safety.record_lab(
            unit,
            number,
            collected_on=date(2019, 4, 8),
            test_code="NEUT",
            value=value,
            unit_of_measure="10^9/L",
            lln=1.8,
            uln=7.5,
        )
    assert row.grade == grade
    assert row.ctcae_term == "Neutrophil count decreased"
    assert row.grade_rule


def test_lab_wrong_unit_or_test_is_refused(store: Store, world: World) -> None:
    """An unknown test code or a unit the engine refuses writes nothing."""
    number = register(store, world)
    with open_unit(store, world.coord_a) as unit:
        with pytest.raises(DataError, match="test_code"):
            safety.record_lab(
                unit,
                number,
                collected_on=date(2019, 4, 8),
                test_code="XYZ",
                value=1.0,
                unit_of_measure="10^9/L",
            )
        with pytest.raises(DataError, match=r"unit='furlongs'.*10\^9/L"):
            safety.record_lab(
                unit,
                number,
                collected_on=date(2019, 4, 8),
                test_code="NEUT",
                value=1.0,
                unit_of_measure="furlongs",
                lln=1.8,
            )


def test_blood_pressure_graded_for_hypertension(store: Store, world: World) -> None:
    """160/100 mmHg is CTCAE v5.0 Hypertension grade 3 on both BP rows."""
    number = register(store, world)
    with open_unit(store, world.coord_a) as unit:
        ids = safety.record_vital_signs(
            unit,
            number,
            measured_on=date(2019, 4, 8),
            systolic_mmhg=160,
            diastolic_mmhg=100,
            pulse_bpm=80,
        )
        rows = [unit.session.get(VitalSign, i) for i in ids]
    graded = {r.test_code: r.grade for r in rows if r is not None}
    assert graded == {"SYSBP": 3, "DIABP": 3, "PULSE": None}


def test_bsa_uses_protocol_policy(store: Store, world: World, protocol: Protocol) -> None:
    """BSA is computed by the protocol's formula and stored with its name."""
    number = register(store, world)
    with open_unit(store, world.coord_a) as unit:
        bid = safety.record_body_measurement(
            unit,
            number,
            measured_on=date(2019, 4, 1),
            height_cm=170,
            weight_kg=70,
            protocol=protocol,
        )
        row = unit.session.get(BodyMeasurement, bid)
    assert row is not None
    assert row.bsa_formula == protocol.bsa.formula
    assert row.bsa_m2 == pytest.approx(1.82, abs=0.01)  # Mosteller: sqrt(170*70/3600)=1.818


def test_adverse_event_validation(store: Store, world: World) -> None:
    """Grade outside 1-5, unknown attribution and grade 5 without FATAL are refused."""
    number = register(store, world)
    base = {
        "term": "Fatigue",
        "start_date": date(2019, 4, 3),
        "related_lenvatinib": "possible",
        "related_eribulin": "unlikely",
    }
    with open_unit(store, world.coord_a) as unit:
        with pytest.raises(DataError, match="grade"):
            safety.record_adverse_event(unit, number, grade=6, **base)  # type: ignore[arg-type]
        with pytest.raises(DataError, match="related_eribulin"):
            safety.record_adverse_event(
                unit, number, grade=2, **{**base, "related_eribulin": "maybe"}
            )  # type: ignore[arg-type]
        with pytest.raises(DataError, match="FATAL"):  # CTCAE v5.0 defines grade 5 for sepsis
            safety.record_adverse_event(unit, number, grade=5, **{**base, "term": "Sepsis"})  # type: ignore[arg-type]
        with pytest.raises(DataError, match=r"does not define this grade for Fatigue.*1, 2, 3"):
            safety.record_adverse_event(unit, number, grade=4, **base)  # type: ignore[arg-type]
        row = safety.record_adverse_event(unit, number, grade=3, serious=True, **base)  # type: ignore[arg-type]
    assert (row.grade, row.serious) == (3, True)


def test_tumour_response_computed_beside_investigator(
    store: Store, world: World, protocol: Protocol
) -> None:
    """A 30 % fall in the sum of diameters is PR (RECIST 1.1 §4.3.1); 29 % is SD."""
    number = register(store, world)
    baseline = [
        R("T01", "TARGET", "LUNG", 50.0),
        R("T02", "TARGET", "LIVER", 50.0),
        R("NT01", "NON-TARGET", "BONE", state="PRESENT"),
    ]
    with open_unit(store, world.inv_a) as unit:
        base = assessments.record_tumour_assessment(
            unit,
            number,
            visit="BASELINE",
            visitnum=0,
            assessed_on=date(2019, 3, 20),
            lesions=baseline,
            protocol=protocol,
        )
        assert base.computed_response is None
        pr = assessments.record_tumour_assessment(
            unit,
            number,
            visit="WEEK 6",
            visitnum=6,
            assessed_on=date(2019, 5, 13),
            lesions=[
                R("T01", "TARGET", "LUNG", 35.0),
                R("T02", "TARGET", "LIVER", 35.0),
                R("NT01", "NON-TARGET", "BONE", state="PRESENT"),
            ],
            protocol=protocol,
            investigator_response="PR",
        )
        sd = assessments.record_tumour_assessment(
            unit,
            number,
            visit="WEEK 12",
            visitnum=12,
            assessed_on=date(2019, 6, 24),
            lesions=[
                R("T01", "TARGET", "LUNG", 35.5),
                R("T02", "TARGET", "LIVER", 35.5),
                R("NT01", "NON-TARGET", "BONE", state="PRESENT"),
            ],
            protocol=protocol,
            investigator_response="PR",
        )
    assert (pr.computed_target, pr.computed_response, pr.investigator_response) == (
        "PR",
        "PR",
        "PR",
    )
    assert pr.sum_diameters_mm == 70.0
    assert sd.computed_target == "SD"  # 71/100: -29 % from baseline, +1.4 % from nadir
    assert pr.computed_rule


def test_new_lesion_is_progression(store: Store, world: World, protocol: Protocol) -> None:
    """An unequivocal new lesion makes the overall response PD (RECIST 1.1 §4.3.3)."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        assessments.record_tumour_assessment(
            unit,
            number,
            visit="BASELINE",
            visitnum=0,
            assessed_on=date(2019, 3, 20),
            lesions=[R("T01", "TARGET", "LUNG", 40.0)],
            protocol=protocol,
        )
        pd_ = assessments.record_tumour_assessment(
            unit,
            number,
            visit="WEEK 6",
            visitnum=6,
            assessed_on=date(2019, 5, 13),
            lesions=[
                R("T01", "TARGET", "LUNG", 40.0),
                R("N01", "NEW", "LIVER", state="UNEQUIVOCAL"),
            ],
            protocol=protocol,
        )
    assert (pd_.computed_new_lesion, pd_.computed_response) == ("Y", "PD")
