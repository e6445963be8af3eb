"""One validation for every write path: the value rules of each casebook row and who may write it.

Service calls, corrections (:func:`oncotrial.services.data_management.correct_record`) and ODM
imports all write in a unit of work (:func:`oncotrial.services._unit.open_unit`), which installs
:func:`check_row` in the store session: every row is checked when it is flushed, whichever path
built it, so no path writes what another would refuse.

1. **Columns** (from the schema): the Python type of the column (no ``True`` for a number, no
   date-time for a date), NOT NULL, text length, 32-bit integers, finite numbers, and dates from
   1900-01-01 to 2099-12-31.
2. **Domain rules**, one pydantic model per table: ranges, CTCAE grades, closed vocabularies.
3. **Rules across fields**: end not before start; grade 5 with outcome FATAL and only then; birth
   before consent; disposition not before consent; a lab value its CTCAE term can grade (finite,
   not negative, a unit of the term); height and weight inside the BSA engine's limits.
4. **Who and what it links to**: the actor may write at the subject's site, before and after a
   change (a site-01 investigator cannot move a subject to site 02); a row never moves to another
   subject; a linked row (tumour assessment, lesion, biospecimen, query, the row a query is
   about) exists, is not deleted and belongs to the same subject.

The services still check their own arguments first, for messages in the words of their form;
this module is the guarantee. :func:`row_problems` lists every problem of a row at once (the ODM
import reports them all before writing anything).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from oncotrial.errors import AccessError, DataError, OncotrialError
from oncotrial.rules.ae_terms import check_ae_grade
from oncotrial.rules.bsa import compute_bsa
from oncotrial.rules.ctcae import check_normal_range, grade_lab
from oncotrial.services._vocabulary import (
    AE_ACTIONS,
    AE_OUTCOMES,
    ATTRIBUTIONS,
    CRITERION_KINDS,
    DEVIATION_CATEGORIES,
    DISPOSITION_EVENTS,
    ECG_TESTS,
    LAB_TESTS,
    LESION_CATEGORIES,
    LESION_STATES,
    LOCK_LEVELS,
    QUERY_MESSAGE_KINDS,
    QUERY_STATES,
    SECTION_TYPES,
    SEXES,
    SIGNATURE_STATES,
    SUBJECT_STATUSES,
    SURVIVAL_STATUSES,
    THERAPY_CATEGORIES,
    TIMEPOINTS,
    VITAL_SIGNS,
)
from oncotrial.services.form_fields import parse_partial_date
from oncotrial.store.rows import model_for
from oncotrial.store.schema import (
    Biospecimen,
    CasebookRow,
    DataQuery,
    DrugAdministration,
    Lesion,
    LesionMeasurement,
    RecordLock,
    Site,
    Subject,
    TumourAssessment,
    Visit,
)
from oncotrial.store.session import current_actor
from oncotrial.types import DoseAction, Histology, Phase, Response, Role

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "Problem",
    "check_row",
    "row_problems",
]

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
_INT32 = (-(2**31), 2**31 - 1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused value: the field, the value, why, and what is allowed."""

    field: str
    value: object
    message: str
    allowed: str | None = None

    def error(self, *, subject: str | None = None, visit: str | None = None) -> DataError:
        """This problem as a :class:`DataError`."""
        return DataError(
            self.message,
            field=self.field,
            value=self.value,
            allowed=self.allowed,
            subject=subject,
            visit=visit,
        )


# --- 1. columns ---------------------------------------------------------------------------------


def _column_problem(column: Any, value: object) -> Problem | None:
    """Type, length, range and finiteness of one value of one schema column."""
    name = column.name
    kind = getattr(column.type, "impl", column.type).python_type  # UTCDateTime: its impl
    if value is None:
        required = not column.nullable and column.default is None and not column.primary_key
        return Problem(name, None, "is required") if required else None
    expected = {bool: "true or false", int: "a whole number", float: "a number",
                date: "a date", datetime: "a date and time with zone", str: "text"}[kind]
    wrong = (
        (kind is bool and not isinstance(value, bool))
        or (kind is int and (isinstance(value, bool) or not isinstance(value, int)))
        or (kind is float and (isinstance(value, bool) or not isinstance(value, int | float)))
        or (kind is date and (isinstance(value, datetime) or not isinstance(value, date)))
        or (kind is datetime and not isinstance(value, datetime))
        or (kind is str and not isinstance(value, str))
    )
    if wrong:
        return Problem(name, value, "wrong type", expected)
    return _column_range(column, kind, value)


def _column_range(column: Any, kind: type, value: Any) -> Problem | None:
    name = column.name
    if kind is int and not _INT32[0] <= value <= _INT32[1]:
        return Problem(name, value, "out of range", f"{_INT32[0]} to {_INT32[1]}")
    if kind is float and not math.isfinite(value):
        return Problem(name, value, "must be a finite number", "a finite number")
    if kind is date and not EARLIEST_DATE <= value <= LATEST_DATE:
        return Problem(name, value.isoformat(), "not a plausible date",
                       f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}")
    if kind is datetime and value.tzinfo is None:
        return Problem(name, value.isoformat(), "a time without zone is ambiguous", "UTC")
    length = getattr(column.type, "length", None)
    if kind is str and length is not None and len(value) > length:
        return Problem(name, f"{value[:40]}…", f"longer than {length} characters",
                       f"at most {length} characters")
    return None


# --- 2. domain rules (pydantic) -----------------------------------------------------------------


def _one_of(allowed: Collection[str]) -> AfterValidator:
    listed = ", ".join(allowed)

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError("oncotrial", "not an allowed value", {"allowed": listed})
        return value

    return AfterValidator(check)


def _within(low: float, high: float, unit: str = "") -> AfterValidator:
    span = f"{low:g} to {high:g}{' ' + unit if unit else ''}"

    def check(value: float) -> float:
        if not low <= value <= high:
            raise PydanticCustomError("oncotrial", "out of range", {"allowed": span})
        return value

    return AfterValidator(check)


def _at_least(low: float, unit: str = "") -> AfterValidator:
    floor = f">= {low:g}{' ' + unit if unit else ''}"

    def check(value: float) -> float:
        if value < low:
            raise PydanticCustomError("oncotrial", "out of range", {"allowed": floor})
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("oncotrial", "must not be blank", {"allowed": "text"})
    return value


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise PydanticCustomError(
            "oncotrial", "not a SHA-256", {"allowed": "64 lower-case hex digits"}
        )
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Grade = Annotated[int, _within(1, 5)]
LabGrade = Annotated[int, _within(0, 5)]  # 0 = within normal limits (no adverse event)
NonNegative = Annotated[float, _at_least(0)]
Cycle = Annotated[int, _within(1, 999)]
CycleDay = Annotated[int, _within(1, 366)]
VisitNum = Annotated[float, _within(0, 100_000)]


class _Rules(BaseModel):
    """Domain rules of one table; every field optional (NOT NULL is a column rule)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _SiteRules(_Rules):
    code: Text | None = None
    name: Text | None = None


class _UserRules(_Rules):
    username: Text | None = None
    role: Annotated[str, _one_of([r.value for r in Role])] | None = None


class _SubjectRules(_Rules):
    screening_number: Text | None = None
    consent_version: Text | None = None
    sex: Annotated[str, _one_of(SEXES)] | None = None
    histology: Annotated[str, _one_of([h.value for h in Histology])] | None = None
    ecog: Annotated[int, _within(0, 5)] | None = None
    status: Annotated[str, _one_of(SUBJECT_STATUSES)] | None = None


class _EligibilityRules(_Rules):
    criterion: Text | None = None
    kind: Annotated[str, _one_of(CRITERION_KINDS)] | None = None


class _EnrolmentRules(_Rules):
    phase: Annotated[str, _one_of([p.value for p in Phase])] | None = None
    cohort: Annotated[int, _within(1, 999)] | None = None
    regimen: Text | None = None


class _VisitRules(_Rules):
    name: Text | None = None
    visitnum: VisitNum | None = None
    cycle: Cycle | None = None
    day: CycleDay | None = None


class _BodyRules(_Rules):
    bsa_m2: Annotated[float, _within(0.1, 5.0, "m²")] | None = None
    bsa_formula: Text | None = None


class _VitalRules(_Rules):
    test_code: Annotated[str, _one_of(VITAL_SIGNS)] | None = None
    value: NonNegative | None = None
    grade: LabGrade | None = None


class _LabRules(_Rules):
    test_code: Annotated[str, _one_of(LAB_TESTS)] | None = None
    value: NonNegative | None = None
    lln: NonNegative | None = None
    uln: NonNegative | None = None
    grade: LabGrade | None = None


class _AdverseEventRules(_Rules):
    term: Text | None = None
    grade: Grade | None = None
    related_lenvatinib: Annotated[str, _one_of(ATTRIBUTIONS)] | None = None
    related_eribulin: Annotated[str, _one_of(ATTRIBUTIONS)] | None = None
    action_taken: Annotated[str, _one_of(AE_ACTIONS)] | None = None
    outcome: Annotated[str, _one_of(AE_OUTCOMES)] | None = None


class _DoseRules(_Rules):
    drug: Text | None = None
    cycle: Cycle | None = None
    day: CycleDay | None = None
    planned_level: NonNegative | None = None
    recommended_action: Annotated[str, _one_of([a.value for a in DoseAction])] | None = None
    recommended_dose: NonNegative | None = None
    given_dose: NonNegative | None = None
    unit: Annotated[str, _one_of(("mg",))] | None = None
    action: Annotated[str, _one_of([a.value for a in DoseAction])] | None = None


class _TherapyRules(_Rules):
    name: Text | None = None
    category: Annotated[str, _one_of(THERAPY_CATEGORIES)] | None = None


class _DispositionRules(_Rules):
    event: Annotated[str, _one_of(DISPOSITION_EVENTS)] | None = None


class _LesionRules(_Rules):
    link_id: Text | None = None
    category: Annotated[str, _one_of(LESION_CATEGORIES)] | None = None
    evaluator: Text | None = None


class _AssessmentRules(_Rules):
    visit_name: Text | None = None
    visitnum: VisitNum | None = None
    evaluator: Text | None = None
    investigator_response: Annotated[str, _one_of([r.value for r in Response])] | None = None
    sum_diameters_mm: NonNegative | None = None


class _MeasurementRules(_Rules):
    diameter_mm: Annotated[float, _within(0, 2000, "mm")] | None = None
    perpendicular_mm: Annotated[float, _within(0, 2000, "mm")] | None = None
    # the CT number scale: air −1000 HU to dense bone/metal ~3071 HU (12-bit CT)
    density_hu: Annotated[float, _within(-1000, 3071, "HU")] | None = None
    state: Annotated[str, _one_of(LESION_STATES)] | None = None


class _BiospecimenRules(_Rules):
    specimen_code: Text | None = None
    timepoint: Annotated[str, _one_of(TIMEPOINTS)] | None = None
    specimen_type: Text | None = None


class _TilRules(_Rules):
    stromal_til_percent: Annotated[float, _within(0, 100, "%")] | None = None
    evaluated_area_mm2: Annotated[float, _within(1e-6, 1e6, "mm²")] | None = None
    section_type: Annotated[str, _one_of(SECTION_TYPES)] | None = None
    assessed_by: Text | None = None


class _AssayRules(_Rules):
    assay: Text | None = None
    file_name: Text | None = None
    sha256: Annotated[str, AfterValidator(_sha256)] | None = None
    size_bytes: Annotated[int, _within(0, _INT32[1])] | None = None


class _QueryRules(_Rules):
    state: Annotated[str, _one_of(QUERY_STATES)] | None = None
    field: Text | None = None
    text: Text | None = None


class _MessageRules(_Rules):
    kind: Annotated[str, _one_of(QUERY_MESSAGE_KINDS)] | None = None
    text: Text | None = None


class _SignatureRules(_Rules):
    meaning: Text | None = None
    state: Annotated[str, _one_of(SIGNATURE_STATES)] | None = None
    content_hash: Annotated[str, AfterValidator(_sha256)] | None = None
    scope: Annotated[str, _one_of(("casebook", "visit"))] | None = None


def _partial_dtc(value: str) -> str:
    try:
        return parse_partial_date(value)
    except ValueError as exc:
        raise PydanticCustomError("oncotrial", str(exc),
                                  {"allowed": "YYYY, YYYY-MM or YYYY-MM-DD"}) from exc


PartialDate = Annotated[str, AfterValidator(_partial_dtc)]


class _MedicalHistoryRules(_Rules):
    term: Text | None = None
    start_dtc: PartialDate | None = None
    end_dtc: PartialDate | None = None


class _EcgRules(_Rules):
    test_code: Annotated[str, _one_of(tuple(ECG_TESTS))] | None = None
    # a corrected QT outside 200–800 msec is not a reading of a living heart (typing error)
    value: Annotated[float, _within(200, 800, "msec")] | None = None
    unit: Annotated[str, _one_of(("msec",))] | None = None
    method: Annotated[str, _one_of(("12 LEAD STANDARD",))] | None = None


class _DeviationRules(_Rules):
    category: Annotated[str, _one_of(DEVIATION_CATEGORIES)] | None = None
    term: Text | None = None


class _PerformanceRules(_Rules):
    scale: Annotated[str, _one_of(("ECOG",))] | None = None
    score: Annotated[int, _within(0, 4)] | None = None  # ECOG 5 is death (Oken 1982)


class _SurvivalRules(_Rules):
    status: Annotated[str, _one_of(SURVIVAL_STATUSES)] | None = None


class _VerificationRules(_Rules):
    field: Text | None = None
    state: Annotated[str, _one_of(("verified", "revoked"))] | None = None


class _LockRules(_Rules):
    level: Annotated[str, _one_of(LOCK_LEVELS)] | None = None
    reason: Text | None = None


_RULES: dict[str, type[_Rules]] = {
    "site": _SiteRules,
    "app_user": _UserRules,
    "subject": _SubjectRules,
    "eligibility_result": _EligibilityRules,
    "enrolment": _EnrolmentRules,
    "visit": _VisitRules,
    "body_measurement": _BodyRules,
    "vital_sign": _VitalRules,
    "lab_result": _LabRules,
    "adverse_event": _AdverseEventRules,
    "drug_administration": _DoseRules,
    "concomitant_therapy": _TherapyRules,
    "disposition": _DispositionRules,
    "lesion": _LesionRules,
    "tumour_assessment": _AssessmentRules,
    "lesion_measurement": _MeasurementRules,
    "biospecimen": _BiospecimenRules,
    "til_assessment": _TilRules,
    "assay_file": _AssayRules,
    "data_query": _QueryRules,
    "query_message": _MessageRules,
    "signature": _SignatureRules,
    "record_lock": _LockRules,
    "medical_history": _MedicalHistoryRules,
    "performance_status": _PerformanceRules,
    "ecg_result": _EcgRules,
    "protocol_deviation": _DeviationRules,
    "survival_contact": _SurvivalRules,
    "source_verification": _VerificationRules,
}


def _domain_problems(table: str, values: Mapping[str, Any]) -> list[Problem]:
    rules = _RULES.get(table)
    if rules is None:
        return []
    try:
        rules.model_validate(dict(values))
    except ValidationError as exc:
        return [
            Problem(
                str(error["loc"][0]) if error["loc"] else table,
                error["input"],
                error["msg"],
                (error.get("ctx") or {}).get("allowed"),
            )
            for error in exc.errors(include_url=False)
        ]
    return []


# --- 3. rules across fields ---------------------------------------------------------------------

_Cross = Callable[[Mapping[str, Any], "date | None"], list[Problem]]


def _end_not_before_start(start: str, end: str) -> _Cross:
    def check(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
        first, last = values.get(start), values.get(end)
        if isinstance(first, date) and isinstance(last, date) and last < first:
            return [Problem(end, last.isoformat(), f"before {start} {first.isoformat()}",
                            f"on or after {first.isoformat()}")]
        return []

    return check


def _fatal_grade(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    grade, outcome = values.get("grade"), values.get("outcome")
    if grade is None or outcome is None or (grade == 5) == (outcome == "FATAL"):
        return []
    return [Problem("outcome", outcome, f"grade 5 and outcome FATAL go together (grade {grade})",
                    "FATAL with grade 5, another outcome with grades 1-4")]


def _ctcae_term_grade(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    """A CTCAE v5.0 term, with a grade the term defines (Fatigue has no grade 4)."""
    term, grade = values.get("term"), values.get("grade")
    if not isinstance(term, str) or not isinstance(grade, int):
        return []
    try:
        check_ae_grade(term, grade)
    except DataError as exc:
        return [Problem(exc.field or "term", exc.value, str(exc).split(": ", 1)[-1],
                        exc.allowed)]
    return []


def _birth_before_consent(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    birth, consent = values.get("birth_date"), values.get("consent_date")
    if isinstance(birth, date) and isinstance(consent, date) and birth >= consent:
        return [Problem("birth_date", birth.isoformat(), "birth date must precede consent",
                        f"before {consent.isoformat()}")]
    return []


def _after_consent(name: str) -> _Cross:
    def check(values: Mapping[str, Any], consent: date | None) -> list[Problem]:
        when = values.get(name)
        if isinstance(when, date) and consent is not None and when < consent:
            return [Problem(name, when.isoformat(), "date precedes consent",
                            f"on or after {consent.isoformat()}")]
        return []

    return check


def _gradable_lab(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    code = values.get("test_code")
    test = LAB_TESTS.get(code) if isinstance(code, str) else None
    if test is None:
        return []
    problems = []
    for name, expected in (("test_name", test.name), ("ctcae_term", test.ctcae_term)):
        if name in values and values[name] != expected:
            problems.append(Problem(name, values[name], f"does not belong to test {code}",
                                    str(expected)))
    if test.ctcae_term is None or problems:
        return problems
    value = values.get("value")
    if not isinstance(value, int | float) or _limits_in_order(values, None):
        return problems  # a missing or mistyped value is a column problem; limits: above
    try:
        grade_lab(test.ctcae_term, value, str(values.get("unit")),
                  lln=values.get("lln"), uln=values.get("uln"))
    except DataError as exc:
        return [Problem(exc.field or "value", exc.value, str(exc), exc.allowed)]
    except OncotrialError as exc:  # RuleError: not a unit of this term
        return [Problem("unit", values.get("unit"), str(exc))]
    return []


def _limits_in_order(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    """The lower limit of normal below the upper one, for every test (the CTCAE engine checks
    the same for the tests it grades)."""
    lln, uln = values.get("lln"), values.get("uln")
    if not (isinstance(lln, int | float) and isinstance(uln, int | float)):
        return []
    try:
        check_normal_range(float(lln), float(uln))
    except DataError as exc:
        return [Problem("lln", lln, exc.problem, exc.allowed)]
    return []


def _vital_range(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    code, value, unit = values.get("test_code"), values.get("value"), values.get("unit")
    if code not in VITAL_SIGNS:
        return []
    expected, low, high = VITAL_SIGNS[code]
    problems = []
    if unit is not None and unit != expected:
        problems.append(Problem("unit", unit, f"not the unit of {code}", expected))
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and not low <= value <= high
    ):
        problems.append(Problem("value", value, f"implausible {code}",
                                f"{low:g} to {high:g} {expected}"))
    return problems


def _body_limits(values: Mapping[str, Any], _consent: date | None) -> list[Problem]:
    height, weight = values.get("height_cm"), values.get("weight_kg")
    numbers = [v for v in (height, weight) if isinstance(v, int | float)]
    if len(numbers) < 2 or any(isinstance(v, bool) for v in numbers):
        return []
    try:
        compute_bsa(float(numbers[0]), float(numbers[1]))  # the BSA engine's plausibility limits
    except DataError as exc:
        return [Problem(exc.field or "height_cm", exc.value, str(exc), exc.allowed)]
    return []


_CROSS: dict[str, tuple[_Cross, ...]] = {
    "subject": (_birth_before_consent,),
    "adverse_event": (_end_not_before_start("start_date", "end_date"), _fatal_grade,
                      _ctcae_term_grade),
    "concomitant_therapy": (_end_not_before_start("start_date", "end_date"),),
    "disposition": (_after_consent("occurred_on"),),
    "lab_result": (_limits_in_order, _gradable_lab),
    "vital_sign": (_vital_range,),
    "body_measurement": (_body_limits,),
}


def row_problems(
    table: str, values: Mapping[str, Any], *, consent_date: date | None = None
) -> list[Problem]:
    """Every problem of one row's *values* (column name -> value), in column order.

    *consent_date* is the subject's, for rules that compare with it (disposition).
    """
    table_def = CasebookRow.metadata.tables.get(table)
    if table_def is None:
        return [Problem("table", table, "unknown table")]
    problems = [
        p
        for column in table_def.columns
        if column.name in values and column.name not in {"id", "version"}
        and (p := _column_problem(column, values[column.name])) is not None
    ]
    bad = {p.field for p in problems}
    clean = {k: v for k, v in values.items() if k not in bad}
    problems += _domain_problems(table, clean)
    bad |= {p.field for p in problems}
    clean = {k: v for k, v in values.items() if k not in bad}
    for cross in _CROSS.get(table, ()):
        problems += cross(clean, consent_date)
    return problems


# --- 4. who may write it, and what it links to ----------------------------------------------

#: link columns -> the subject-owned table they point at
_LINKS: dict[str, type[CasebookRow]] = {
    "assessment_id": TumourAssessment,
    "lesion_id": Lesion,
    "biospecimen_id": Biospecimen,
    "query_id": DataQuery,
}


def _owner(session: Session, obj: CasebookRow) -> Subject | None:
    if isinstance(obj, Subject):
        return obj
    subject_id = getattr(obj, "subject_id", None)
    return None if subject_id is None else session.get(Subject, subject_id)


def _visit_of(session: Session, obj: CasebookRow) -> str | None:
    if isinstance(obj, Visit):
        return obj.name
    if isinstance(obj, TumourAssessment):
        return obj.visit_name
    if isinstance(obj, DrugAdministration):
        return f"cycle {obj.cycle} day {obj.day}"
    if isinstance(obj, LesionMeasurement) and obj.assessment_id is not None:
        assessment = session.get(TumourAssessment, obj.assessment_id)
        return None if assessment is None else assessment.visit_name
    return None


def _old(obj: CasebookRow, name: str) -> Any:
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else None


def _check_sites(
    session: Session, obj: CasebookRow, owner: Subject | None, changed: frozenset[str] | None
) -> None:
    actor = current_actor(session)
    sites: set[int] = set()
    if isinstance(obj, Subject):
        sites.add(obj.site_id)
        if changed and "site_id" in changed and _old(obj, "site_id") is not None:
            sites.add(_old(obj, "site_id"))
        site = session.get(Site, obj.site_id) if obj.site_id is not None else None
        if site is None or site.deleted:
            raise DataError("no such site", field="site_id", value=obj.site_id,
                            subject=obj.screening_number)
    elif owner is not None:
        sites.add(owner.site_id)
    elif isinstance(obj, RecordLock) and obj.site_id is not None:
        sites.add(obj.site_id)
    if actor.all_sites:
        return
    for site_id in sites:
        if site_id not in actor.site_ids:
            raise AccessError(
                f"user {actor.username} has no access to this site",
                field="site_id",
                value=site_id,
                allowed=", ".join(str(s) for s in sorted(actor.site_ids)) or "none",
                subject=None if owner is None else owner.screening_number,
            )


def _check_links(
    session: Session, obj: CasebookRow, owner: Subject | None, changed: frozenset[str] | None
) -> None:
    label = None if owner is None else owner.screening_number
    if changed and "subject_id" in changed and not isinstance(obj, Subject):
        raise DataError("a row never moves to another subject", field="subject_id",
                        value=getattr(obj, "subject_id", None), subject=label)
    subject_id = getattr(obj, "subject_id", None)
    if owner is None and subject_id is not None:
        raise DataError("no such subject", field="subject_id", value=subject_id)
    _check_link_columns(session, obj, owner)
    if isinstance(obj, DataQuery):
        about = session.get(model_for(obj.table_name), obj.row_id)
        about_subject = getattr(about, "subject_id", getattr(about, "id", None))
        if about is None or owner is None or about_subject != owner.id:
            raise DataError(f"no such {obj.table_name} row for this subject", field="row_id",
                            value=obj.row_id, subject=label)
    if isinstance(obj, RecordLock) and obj.subject_id is not None:
        subject = session.get(Subject, obj.subject_id)
        if subject is None or subject.site_id != obj.site_id:
            raise DataError("the lock's subject is not at the lock's site", field="subject_id",
                            value=obj.subject_id)


def _check_link_columns(session: Session, obj: CasebookRow, owner: Subject | None) -> None:
    label = None if owner is None else owner.screening_number
    for name, target in _LINKS.items():
        linked_id = getattr(obj, name, None)
        if linked_id is None or not hasattr(type(obj), name):
            continue
        linked = session.get(target, linked_id)
        if linked is None or linked.deleted:
            raise DataError(f"no such {target.__tablename__} row", field=name, value=linked_id,
                            subject=label)
        if owner is None or getattr(linked, "subject_id", None) != owner.id:
            raise AccessError(f"the {target.__tablename__} row belongs to another subject",
                              field=name, value=linked_id, subject=label)


def check_row(session: Session, obj: CasebookRow, changed: frozenset[str] | None) -> None:
    """The check every unit of work runs on each row it writes (*changed* is ``None`` for an
    insert, else the columns changed); raises :class:`DataError` or :class:`AccessError` with
    the field, the value, what is allowed, and the subject and visit."""
    owner = _owner(session, obj)
    _check_sites(session, obj, owner, changed)
    _check_links(session, obj, owner, changed)
    if changed is not None and changed <= {"deleted"}:
        return  # a logical delete (or undelete) changes no value
    values = {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}
    consent = owner.consent_date if owner is not None and owner is not obj else None
    problems = row_problems(obj.__tablename__, values, consent_date=consent)
    if problems:
        raise problems[0].error(
            subject=None if owner is None else owner.screening_number,
            visit=_visit_of(session, obj),
        )
