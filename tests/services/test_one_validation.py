"""One validation for every write path: a form's service, a correction and an ODM import
accept and refuse the same values (a property over random values), and a correction checks
site ownership and links like every other write."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from oncotrial.cdisc.odm import OdmColumn, write_odm
from oncotrial.errors import AccessError, DataError, OncotrialError
from oncotrial.protocol import load_protocol
from oncotrial.services import assessments, interchange, safety, subjects
from oncotrial.services import data_management as dm
from oncotrial.services._unit import Unit, open_unit
from oncotrial.store import CASEBOOK_TABLES, Store, row_to_dict, table_columns
from oncotrial.store.schema import CasebookRow, LabResult, LesionMeasurement, Site, Subject
from tests.services.helpers import register
from tests.store.backends import World

PROTOCOL = load_protocol()
_N = itertools.count(1)
_LINKS = {"subject_id": "subject", "assessment_id": "tumour_assessment",
          "lesion_id": "lesion", "biospecimen_id": "biospecimen"}
_UNIQUE_TEXT = ("screening_number", "specimen_code")

# --- the three paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One field of one table, the service that enters it, and a valid value for a base row."""

    table: str
    field: str
    values: st.SearchStrategy[Any]
    enter: Callable[[Unit, str, Any], None]  # the form's service, with the field set to a value
    valid: Any
    own_subject: bool = False  # the service creates a subject of its own


def _subject(unit: Unit, number: str, **values: Any) -> None:
    kwargs: dict[str, Any] = {"consent_date": date(2019, 3, 4), "consent_version": "2.0",
                              "sex": "F", "birth_date": date(1960, 5, 6), "histology": "LMS",
                              "ecog": 1} | values
    site = unit.session.get(Site, next(iter(unit.actor.site_ids)))
    assert site is not None
    subjects.register_subject(unit, number, site=site.code, **kwargs)


def _lab(unit: Unit, number: str, **values: Any) -> None:
    kwargs: dict[str, Any] = {"collected_on": date(2019, 4, 8), "test_code": "NEUT", "value": 1.2,
                              "unit_of_measure": "10^9/L", "lln": 1.8, "uln": 7.5} | values
    safety.record_lab(unit, number, **kwargs)


def _ae(unit: Unit, number: str, **values: Any) -> None:
    kwargs: dict[str, Any] = {"term": "Fatigue", "grade": 2, "start_date": date(2019, 4, 8),
                              "end_date": date(2019, 4, 20), "related_lenvatinib": "possible",
                              "related_eribulin": "unlikely"} | values
    safety.record_adverse_event(unit, number, **kwargs)


def _visit(unit: Unit, number: str, **values: Any) -> None:
    kwargs: dict[str, Any] = {"name": f"V{next(_N)}", "visitnum": 1.0, "cycle": 1, "day": 1,
                              "actual_date": date(2019, 4, 1)} | values
    subjects.record_visit(unit, number, **kwargs)


def _tumour(unit: Unit, number: str, diameter: Any) -> None:
    lesion = {"link_id": "T01", "category": "TARGET", "location": "LUNG", "diameter_mm": diameter}
    assessments.record_tumour_assessment(
        unit, number, visit="BASELINE", visitnum=0, assessed_on=date(2019, 3, 20),
        lesions=[lesion], protocol=PROTOCOL)


def _til(unit: Unit, number: str, percent: Any) -> None:
    code = f"BX-{number}-{next(_N)}"
    subjects.record_biospecimen(unit, number, specimen_code=code, timepoint="PRE",
                                specimen_type="FFPE BIOPSY", collected_on=date(2019, 3, 1))
    subjects.record_til_assessment(unit, number, specimen_code=code, stromal_til_percent=percent,
                                   section_type="FULL SECTION", assessed_by="Dr P",
                                   assessed_on=date(2019, 3, 10))


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-5.0, -0.0, 0.0, 1e-300, 100.0, 100.0001, 2000.0, 2000.5, 1e308]),
    st.integers(-10, 10),
    st.booleans(),
)
DATES = st.one_of(
    st.dates(),
    st.sampled_from([date(1899, 12, 31), date(1900, 1, 1), date(2099, 12, 31),
                     date(2100, 1, 1), date(2999, 1, 1)]),
)
INTS = st.one_of(st.integers(-3, 10), st.sampled_from([2**31, -(2**31) - 1]), st.booleans())

CASES = [
    Case("subject", "ecog", INTS,
         lambda u, n, v: _subject(u, n, ecog=v), 1, own_subject=True),
    Case("subject", "birth_date", DATES,
         lambda u, n, v: _subject(u, n, birth_date=v), date(1960, 5, 6), own_subject=True),
    Case("subject", "sex", st.sampled_from(["F", "M", "U", "X", "f", ""]),
         lambda u, n, v: _subject(u, n, sex=v), "F", own_subject=True),
    Case("lab_result", "value", FLOATS, lambda u, n, v: _lab(u, n, value=v), 1.2),
    Case("lab_result", "collected_on", DATES, lambda u, n, v: _lab(u, n, collected_on=v),
         date(2019, 4, 8)),
    Case("lab_result", "unit", st.sampled_from(["10^9/L", "10^3/uL", "/L", "mg/dL", "", "x"]),
         lambda u, n, v: _lab(u, n, unit_of_measure=v), "10^9/L"),
    Case("adverse_event", "grade", INTS, lambda u, n, v: _ae(u, n, grade=v), 2),
    Case("adverse_event", "end_date", DATES, lambda u, n, v: _ae(u, n, end_date=v),
         date(2019, 4, 20)),
    Case("adverse_event", "outcome",
         st.sampled_from(["RECOVERED/RESOLVED", "FATAL", "UNKNOWN", "bogus", ""]),
         lambda u, n, v: _ae(u, n, outcome=v), "NOT RECOVERED/NOT RESOLVED"),
    Case("visit", "day", INTS, lambda u, n, v: _visit(u, n, day=v), 1),
    Case("visit", "visitnum", FLOATS, lambda u, n, v: _visit(u, n, visitnum=v), 1.0),
    Case("visit", "actual_date", DATES, lambda u, n, v: _visit(u, n, actual_date=v),
         date(2019, 4, 1)),
    Case("til_assessment", "stromal_til_percent", FLOATS, _til, 30.0),
    Case("lesion_measurement", "diameter_mm", FLOATS, _tumour, 40.0, own_subject=True),
]


def _accepts(action: Callable[[], object]) -> tuple[bool, str]:
    """Whether a write path accepted (anything but an oncotrial error fails the test)."""
    try:
        action()
    except OncotrialError as exc:
        return False, str(exc)
    return True, ""


def _new_subject(store: Store, world: World) -> str:
    number = world.subject_number(100 + next(_N))
    with open_unit(store, world.inv_a) as unit:
        _subject(unit, number)
    return number


def _by_service(store: Store, world: World, case: Case, value: Any) -> tuple[bool, str]:
    def run() -> None:
        if case.table == "subject":
            number = world.subject_number(100 + next(_N))
        else:
            number = _new_subject(store, world) if case.own_subject else world.subject_number(1)
        with open_unit(store, world.inv_a) as unit:  # one unit at a time (SQLite: one writer)
            case.enter(unit, number, value)

    return _accepts(run)


def _base_row(store: Store, world: World, case: Case) -> tuple[int, int]:
    """A fresh valid row of the case's table; returns (row id, subject id)."""
    model = next(m for m in CASEBOOK_TABLES if m.__tablename__ == case.table)
    if case.table == "subject":
        number = world.subject_number(100 + next(_N))
    else:
        number = _new_subject(store, world) if case.own_subject else world.subject_number(1)
    with open_unit(store, world.inv_a) as unit:
        before = unit.session.scalar(select(func.max(model.id))) or 0
        case.enter(unit, number, case.valid)
        unit.session.flush()
        row = unit.session.scalars(
            select(model).where(model.id > before).order_by(model.id)).first()
        assert row is not None
        owner = row.id if isinstance(row, Subject) else row.subject_id  # type: ignore[attr-defined]
        return row.id, owner


def _by_correction(store: Store, world: World, case: Case, row_id: int,
                   value: Any) -> tuple[bool, str]:
    def run() -> None:
        with open_unit(store, world.inv_a) as unit:
            model = next(m for m in CASEBOOK_TABLES if m.__tablename__ == case.table)
            row = unit.session.get(model, row_id)
            assert row is not None
            dm.correct_record(unit, case.table, row_id, version=row.version,
                              changes={case.field: value}, reason="property test")

    return _accepts(run)


def _casebook(store: Store, world: World, subject_id: int) -> dict[str, list[dict[str, Any]]]:
    with store.session(world.data_manager) as session:
        out = {}
        for model in CASEBOOK_TABLES:
            key = model.id if model is Subject else model.__table__.c.subject_id
            rows = session.scalars(select(model).where(key == subject_id).order_by(model.id))
            out[model.__tablename__] = [row_to_dict(r) for r in rows]
        return out


def _renumbered(store: Store, world: World, casebook: dict[str, list[dict[str, Any]]], *,
                case: Case, row_id: int, value: Any) -> dict[str, list[dict[str, Any]]]:
    """The same casebook under new ids and keys, with the case's field set to *value*."""
    n = next(_N)
    new: dict[tuple[str, int], int] = {}
    with store.session(world.data_manager) as session:
        for model in CASEBOOK_TABLES:
            top = session.scalar(select(func.max(model.id))) or 0
            for k, row in enumerate(casebook[model.__tablename__]):
                new[(model.__tablename__, row["id"])] = top + 1000 + k
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rows in casebook.items():
        copies = []
        for row in rows:
            copy = dict(row)
            if table == case.table and row["id"] == row_id:
                copy[case.field] = value
            copy["id"] = new[(table, row["id"])]
            for column, target in _LINKS.items():
                if copy.get(column) is not None and column in row:
                    copy[column] = new[(target, row[column])]
            for column in _UNIQUE_TEXT:
                if column in copy:
                    copy[column] = f"{copy[column]}-I{n}"
            copies.append(copy)
        out[table] = copies
    return out


def _by_import(store: Store, world: World, case: Case, *, row_id: int, subject_id: int,
               value: Any) -> tuple[bool, str]:
    casebook = _renumbered(store, world, _casebook(store, world, subject_id), case=case,
                           row_id=row_id, value=value)
    subject = casebook["subject"][0]
    with store.session(world.data_manager) as session:
        site = session.get(Site, subject["site_id"])
        assert site is not None
        sites = [{"id": site.id, "code": site.code, "name": site.name}]
    columns = {m.__tablename__: [OdmColumn(c.name, c.data_type)
                                 for c in table_columns(m.__tablename__)]
               for m in CASEBOOK_TABLES}
    document = write_odm({subject["id"]: subject["screening_number"]}, casebook, sites,
                         columns=columns, study_oid="LEADER", file_oid=f"PT.{next(_N)}",
                         created=datetime(2019, 6, 1, tzinfo=UTC))
    with open_unit(store, world.data_manager) as unit:
        report = interchange.import_odm(unit, document)
    return report.ok, "; ".join(e.message for e in report.errors)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.table}.{c.field}" for c in CASES])
def test_service_correction_and_import_agree(store: Store, world: World, case: Case) -> None:
    """For random values of one field, the form's service, correct_record and an ODM import
    all accept or all refuse (finite numbers, ranges, grades, dates, vocabularies)."""
    with open_unit(store, world.inv_a) as unit:
        _subject(unit, world.subject_number(1))

    @settings(max_examples=12, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(value=case.values)
    def agree(value: Any) -> None:
        service = _by_service(store, world, case, value)
        row_id, subject_id = _base_row(store, world, case)
        correction = _by_correction(store, world, case, row_id, value)
        imported = _by_import(store, world, case, row_id=row_id, subject_id=subject_id,
                              value=value)
        verdicts = {"service": service, "correction": correction, "import": imported}
        assert len({ok for ok, _ in verdicts.values()}) == 1, (value, verdicts)

    agree()


# --- correct_record: validation and ownership, one defect each -------------------------------


def _lab_row(store: Store, world: World) -> tuple[str, int, int]:
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        _lab(unit, number)
    with open_unit(store, world.inv_a) as unit:
        owner = unit.subject(number, write=False)
        lab = unit.session.scalars(select(LabResult).where(LabResult.subject_id == owner.id)).one()
        return number, lab.id, lab.version


@pytest.mark.parametrize(
    ("table", "changes", "field"),
    [
        ("lab_result", {"value": float("inf")}, "value"),
        ("lab_result", {"value": -5.0}, "value"),
        ("lab_result", {"grade": 9}, "grade"),
        ("lab_result", {"collected_on": date(2999, 1, 1)}, "collected_on"),
        ("lab_result", {"unit": "furlongs"}, "unit"),
        ("subject", {"status": "bogus"}, "status"),
        ("subject", {"ecog": 9}, "ecog"),
        ("subject", {"ecog": True}, "ecog"),
        ("subject", {"sex": "X"}, "sex"),
        ("subject", {"consent_version": "x" * 41}, "consent_version"),
    ],
    ids=["inf", "negative", "lab-grade-9", "year-2999", "unit", "status", "ecog-9", "ecog-bool",
         "sex", "too-long"],
)
def test_correction_refuses_what_the_services_refuse(
    store: Store, world: World, table: str, changes: dict[str, Any], field: str
) -> None:
    """correct_record refuses non-finite, negative, out-of-range, implausible, unknown and
    derived values, naming the field and the subject; nothing changes."""
    number, lab_id, version = _lab_row(store, world)
    with open_unit(store, world.inv_a) as unit:
        owner = unit.subject(number, write=False)
        row_id, row_version = (lab_id, version) if table == "lab_result" else (
            owner.id, owner.version)
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError) as caught:
        dm.correct_record(unit, table, row_id, version=row_version, changes=changes,
                          reason="probe")
    assert caught.value.field == field
    assert caught.value.subject == number
    with open_unit(store, world.inv_a) as unit:
        model = next(m for m in CASEBOOK_TABLES if m.__tablename__ == table)
        row: CasebookRow | None = unit.session.get(model, row_id)
        assert row is not None
        assert row.version == row_version


def test_correction_cannot_move_a_subject_to_another_site(store: Store, world: World) -> None:
    """A site-A investigator cannot move a subject to site B (AccessError), the subject stays."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        owner = unit.subject(number, write=False)
        site_b = unit.session.scalar(select(Site.id).where(Site.code == world.site_b))
        sid, version, site_a = owner.id, owner.version, owner.site_id
    with open_unit(store, world.inv_a) as unit, pytest.raises(AccessError, match="site"):
        dm.correct_record(unit, "subject", sid, version=version,
                          changes={"site_id": site_b}, reason="moved")
    with open_unit(store, world.inv_a) as unit:
        assert unit.subject(number, write=False).site_id == site_a


def test_correction_cannot_link_to_another_sites_assessment(store: Store, world: World) -> None:
    """A measurement cannot be linked to a tumour assessment of a subject at another site."""
    mine, theirs = register(store, world), register(store, world, site_b=True)
    with open_unit(store, world.inv_a) as unit:
        _tumour(unit, mine, 40.0)
    with open_unit(store, world.inv_b) as unit:
        other = assessments.record_tumour_assessment(
            unit, theirs, visit="BASELINE", visitnum=0, assessed_on=date(2019, 3, 20),
            lesions=[assessments.LesionReading(link_id="T01", category="TARGET", location="LIVER",
                                                diameter_mm=30.0)],
            protocol=PROTOCOL)
        other_id = other.id
    with open_unit(store, world.inv_a) as unit:
        owner = unit.subject(mine, write=False)
        measurement = unit.session.scalars(
            select(LesionMeasurement).where(LesionMeasurement.subject_id == owner.id)).one()
        mid, version, assessment = measurement.id, measurement.version, measurement.assessment_id
    with open_unit(store, world.inv_a) as unit, pytest.raises(AccessError, match="another"):
        dm.correct_record(unit, "lesion_measurement", mid, version=version,
                          changes={"assessment_id": other_id}, reason="relink")
    with open_unit(store, world.inv_a) as unit:
        row = unit.session.get(LesionMeasurement, mid)
        assert row is not None
        assert row.assessment_id == assessment


def test_derived_fields_are_not_correctable(store: Store, world: World) -> None:
    """A lab grade is the engine's: a correction of it is refused with the fields allowed."""
    number, lab_id, version = _lab_row(store, world)
    with open_unit(store, world.inv_a) as unit, pytest.raises(DataError, match="derived") as c:
        dm.correct_record(unit, "lab_result", lab_id, version=version, changes={"grade": 1},
                          reason="probe")
    assert c.value.allowed is not None
    assert "value" in c.value.allowed
    assert "grade" not in c.value.allowed.split(", ")
    assert c.value.subject == number
