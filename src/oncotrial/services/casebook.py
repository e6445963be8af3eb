"""The casebook as sites and monitors see it: visits × forms with their status.

A form's status comes from the data, whichever path wrote it (web, API, import, simulation):
its rows are found by kind — a lab form's rows are the subject's lab results of the form's
tests dated on the visit's day, a tumour form's rows the assessment of that visit, a log's
rows the subject's entries — and it is

- ``not_started`` with no row, ``in_progress`` while a required part is missing (a test of
  the panel, a drug due that day, a criterion), ``complete`` otherwise;

with overlays, in this order of precedence for display: ``locked`` (a lock covers it),
``signed`` (a valid visit or casebook signature), ``queried`` (an open query on one of its
rows), ``verified`` (every source field of every row verified). A visit past its window with a
form not started is overdue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.protocol.edc import FormDef
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.services.visits import LOG_VISIT, PlannedVisit, SubjectDates, plan_visits
from oncotrial.store.schema import (
    AdverseEvent,
    BodyMeasurement,
    ConcomitantTherapy,
    DataQuery,
    Disposition,
    DrugAdministration,
    EcgResult,
    EligibilityResult,
    Enrolment,
    LabResult,
    LesionMeasurement,
    MedicalHistory,
    PerformanceStatus,
    ProtocolDeviation,
    RecordLock,
    Signature,
    Site,
    SourceVerification,
    Subject,
    SurvivalContact,
    TumourAssessment,
    Visit,
    VitalSign,
)

__all__ = [
    "FORM_TABLES",
    "STATES",
    "VERIFIABLE",
    "FormStatus",
    "Matrix",
    "MatrixRow",
    "RowRef",
    "SubjectCasebook",
    "SubjectSummary",
    "VisitStatus",
    "casebook_matrix",
    "list_subjects",
    "registration_sites",
    "subject_casebook",
    "visible_sites",
    "visit_status",
]

#: the table a form kind writes
FORM_TABLES: dict[str, str] = {
    "demographics": "subject", "eligibility": "eligibility_result",
    "body_measurement": "body_measurement", "medical_history": "medical_history",
    "prior_therapy": "concomitant_therapy", "labs": "lab_result", "vital_signs": "vital_sign",
    "ecog": "performance_status", "adverse_event": "adverse_event",
    "concomitant_medication": "concomitant_therapy", "dosing": "drug_administration",
    "tumour": "tumour_assessment", "end_of_treatment": "disposition", "death": "disposition",
    "survival_contact": "survival_contact", "ecg": "ecg_result",
    "protocol_deviation": "protocol_deviation",
}

#: the fields a monitor verifies against source, per table (derived values are not source)
VERIFIABLE: dict[str, tuple[str, ...]] = {
    "subject": ("consent_date", "consent_version", "birth_date", "sex", "histology", "ecog"),
    "eligibility_result": ("met",),
    "body_measurement": ("measured_on", "height_cm", "weight_kg"),
    "medical_history": ("term", "start_dtc", "end_dtc", "ongoing"),
    "concomitant_therapy": ("name", "start_date", "end_date", "indication"),
    "lab_result": ("collected_on", "value", "unit", "lln", "uln"),
    "vital_sign": ("measured_on", "value", "unit"),
    "performance_status": ("assessed_on", "score"),
    "ecg_result": ("performed_on", "test_code", "value"),
    "protocol_deviation": ("start_date", "category", "term"),
    "adverse_event": ("term", "grade", "start_date", "end_date", "serious",
                      "related_lenvatinib", "related_eribulin", "action_taken", "outcome"),
    "drug_administration": ("administered_on", "given_dose", "reason"),
    "tumour_assessment": ("assessed_on", "investigator_response"),
    "lesion_measurement": ("diameter_mm", "perpendicular_mm", "state", "density_hu"),
    "disposition": ("occurred_on", "reason"),
    "survival_contact": ("contacted_on", "status", "new_anticancer_therapy"),
}

#: display states, most important first
STATES = ("locked", "signed", "queried", "verified", "complete", "in_progress", "not_started")
_OPEN_QUERY_STATES = ("Open", "Answered")
_THERAPY = {"prior_therapy": "PRIOR ANTICANCER", "concomitant_medication": "CONCOMITANT"}
_EVENTS = {"end_of_treatment": "END OF TREATMENT", "death": "DEATH"}
_DEMOGRAPHICS_REQUIRED = ("consent_date", "consent_version", "birth_date", "sex", "histology",
                          "ecog")


@dataclass(frozen=True, slots=True)
class RowRef:
    """A row of the casebook, with what places it in a form."""

    table: str
    id: int
    subject_id: int
    day: date | None = None
    code: str | None = None  # test, drug, visit name, category, event or assessment id


@dataclass(frozen=True, slots=True)
class FormStatus:
    """One form at one visit."""

    form: str
    title: str
    entry: str  # not_started / in_progress / complete
    rows: tuple[RowRef, ...]
    open_queries: int
    verified: bool
    signed: bool
    locked: bool

    @property
    def state(self) -> str:
        """The state to display (the highest overlay that applies)."""
        if self.locked:
            return "locked"
        if self.signed and self.entry != "not_started":
            return "signed"
        if self.open_queries:
            return "queried"
        if self.verified:
            return "verified"
        return self.entry


@dataclass(frozen=True, slots=True)
class VisitStatus:
    """One visit of one subject with its forms."""

    visit: PlannedVisit
    actual: date | None
    forms: tuple[FormStatus, ...]
    overdue: bool

    @property
    def state(self) -> str:
        """The visit's state: the least advanced entry state, then overlays common to all."""
        entries = {f.entry for f in self.forms}
        if not self.forms or entries == {"not_started"}:
            return "not_started"
        if any(f.open_queries for f in self.forms):
            return "queried"
        if "not_started" in entries or "in_progress" in entries:
            return "in_progress"
        for overlay in ("locked", "signed", "verified"):
            if all(f.state == overlay for f in self.forms):
                return overlay
        return "complete"

    @property
    def missing(self) -> tuple[str, ...]:
        """Forms of an overdue visit not started."""
        return tuple(f.form for f in self.forms if f.entry == "not_started") if self.overdue \
            else ()


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One subject across the visible visits."""

    screening_number: str
    site: str
    status: str
    phase: str | None
    visits: dict[str, VisitStatus]


@dataclass(frozen=True, slots=True)
class Matrix:
    """The casebook matrix of one page, with the counts a coordinator needs first."""

    columns: tuple[str, ...]
    labels: dict[str, str]
    rows: tuple[MatrixRow, ...]
    subjects_total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubjectCasebook:
    """One subject's whole casebook."""

    screening_number: str
    site: str
    status: str
    phase: str | None
    regimen: str | None
    visits: tuple[VisitStatus, ...]


# --- loading ----------------------------------------------------------------------------------

_DATED = (
    (BodyMeasurement, BodyMeasurement.measured_on, None),
    (VitalSign, VitalSign.measured_on, VitalSign.test_code),
    (LabResult, LabResult.collected_on, LabResult.test_code),
    (DrugAdministration, DrugAdministration.administered_on, DrugAdministration.drug),
    (PerformanceStatus, PerformanceStatus.assessed_on, None),
    (EcgResult, EcgResult.performed_on, EcgResult.test_code),
    (SurvivalContact, SurvivalContact.contacted_on, None),
)
_SUBJECT_LEVEL = (
    (EligibilityResult, None, None),
    (MedicalHistory, None, None),
    (ProtocolDeviation, None, ProtocolDeviation.category),
    (ConcomitantTherapy, None, ConcomitantTherapy.category),
    (AdverseEvent, None, None),
    (Disposition, Disposition.occurred_on, Disposition.event),
    (TumourAssessment, TumourAssessment.assessed_on, TumourAssessment.visit_name),
)
Window = tuple[date, date]


@dataclass
class _Index:
    """The rows of a set of subjects, grouped for the form rules; overlays by row."""

    subjects: dict[int, Subject]
    by_table: dict[tuple[int, str], list[RowRef]] = field(
        default_factory=lambda: defaultdict(list))
    by_day: dict[tuple[int, str, date | None], list[RowRef]] = field(
        default_factory=lambda: defaultdict(list))
    by_code: dict[tuple[int, str, str | None], list[RowRef]] = field(
        default_factory=lambda: defaultdict(list))
    visit_days: dict[tuple[int, str], date | None] = field(default_factory=dict)
    enrolment: dict[int, Enrolment] = field(default_factory=dict)
    queries: dict[tuple[str, int], int] = field(default_factory=dict)
    verified: dict[tuple[str, int], int] = field(default_factory=dict)
    casebook_signed: set[int] = field(default_factory=set)
    visit_signed: set[tuple[int, str]] = field(default_factory=set)
    locks: list[RecordLock] = field(default_factory=list)

    def add(self, row: RowRef) -> None:
        """File a row under its table, its day and its code."""
        self.by_table[(row.subject_id, row.table)].append(row)
        self.by_day[(row.subject_id, row.table, row.day)].append(row)
        self.by_code[(row.subject_id, row.table, row.code)].append(row)


def _select_rows(unit: Unit, index: _Index, model: type[Any], ids: list[int], *,
                 day_col: Any, code_col: Any, where: Any = None,
                 windows: dict[int, Window] | None = None) -> None:
    """File the rows of *model* for subjects *ids* in *index* (with *windows*, only the rows
    dated inside their subject's window: the SQL reads the span of all of them)."""
    columns = [model.id, model.__table__.c.subject_id, day_col, code_col]
    query = select(*[c for c in columns if c is not None]).where(
        model.__table__.c.subject_id.in_(ids), model.deleted.is_(False))
    if where is not None:
        query = query.where(where)
    table = model.__tablename__
    for values in unit.session.connection().execute(query).all():
        row_id, subject_id, *rest = values
        day = rest.pop(0) if day_col is not None else None
        code = rest.pop(0) if code_col is not None else None
        if windows is not None:
            window = windows.get(subject_id)
            if window is None or day is None or not window[0] <= day <= window[1]:
                continue
        index.add(RowRef(table, row_id, subject_id, day, None if code is None else str(code)))


def _load_dates(unit: Unit, subjects: Sequence[Subject]) -> _Index:
    """Subjects with what their visit plans hang on, and every subject-level row."""
    index = _Index(subjects={s.id: s for s in subjects})
    ids = list(index.subjects)
    if not ids:
        return index
    unit.session.flush()  # the row queries run on the connection (no ORM loading, no autoflush)
    for model, day_col, code_col in _SUBJECT_LEVEL:
        _select_rows(unit, index, model, ids, day_col=day_col, code_col=code_col)
    for subject_id, name, day in unit.session.execute(
        select(Visit.subject_id, Visit.name, Visit.actual_date)
        .where(Visit.subject_id.in_(ids), Visit.deleted.is_(False))
    ):
        index.visit_days[(subject_id, name)] = day
    index.enrolment = {e.subject_id: e for e in unit.session.scalars(
        select(Enrolment).where(Enrolment.subject_id.in_(ids), Enrolment.deleted.is_(False)))}
    return index


def _load_rows(unit: Unit, index: _Index, *, windows: dict[int, Window] | None,
               assessments: Iterable[str] | None) -> None:
    """The visit rows (dated inside each subject's window in *windows*, all without it) and
    the overlays.

    *assessments* limits lesion measurements to the tumour visits of those names.
    """
    ids = list(index.subjects)
    if not ids:
        return
    span = None if not windows else (min(w[0] for w in windows.values()),
                                     max(w[1] for w in windows.values()))
    for model, day_col, code_col in _DATED:
        where = None if span is None else day_col.between(*span)
        _select_rows(unit, index, model, ids, day_col=day_col, code_col=code_col, where=where,
                     windows=windows)
    tumour = select(TumourAssessment.id).where(TumourAssessment.subject_id.in_(ids))
    if assessments is not None:
        tumour = tumour.where(TumourAssessment.visit_name.in_(list(assessments)))
    _select_rows(unit, index, LesionMeasurement, ids, day_col=None,
                 code_col=LesionMeasurement.assessment_id,
                 where=LesionMeasurement.assessment_id.in_(tumour))
    _load_overlays(unit, ids, index)


def _load(unit: Unit, subjects: Sequence[Subject]) -> _Index:
    index = _load_dates(unit, subjects)
    _load_rows(unit, index, windows=None, assessments=None)
    return index


def _load_overlays(unit: Unit, ids: list[int], index: _Index) -> None:
    session = unit.session
    for table, row_id, n in session.execute(
        select(DataQuery.table_name, DataQuery.row_id, func.count())
        .where(DataQuery.subject_id.in_(ids), DataQuery.state.in_(_OPEN_QUERY_STATES),
               DataQuery.deleted.is_(False))
        .group_by(DataQuery.table_name, DataQuery.row_id)
    ):
        index.queries[(table, row_id)] = n
    for table, row_id, n in session.execute(
        select(SourceVerification.table_name, SourceVerification.row_id,
               func.count(func.distinct(SourceVerification.field)))
        .where(SourceVerification.subject_id.in_(ids), SourceVerification.state == "verified",
               SourceVerification.deleted.is_(False))
        .group_by(SourceVerification.table_name, SourceVerification.row_id)
    ):
        index.verified[(table, row_id)] = n
    for subject_id, scope, visit_name in session.execute(
        select(Signature.subject_id, Signature.scope, Signature.visit_name)
        .where(Signature.subject_id.in_(ids), Signature.state == "valid",
               Signature.deleted.is_(False))
    ):
        if scope == "visit" and visit_name:
            index.visit_signed.add((subject_id, visit_name))
        else:
            index.casebook_signed.add(subject_id)
    site_ids = {s.site_id for s in index.subjects.values()}
    index.locks = list(session.scalars(select(RecordLock).where(
        RecordLock.active.is_(True),
        or_(RecordLock.level == "study",
            and_(RecordLock.level == "site", RecordLock.site_id.in_(site_ids)),
            RecordLock.subject_id.in_(ids)))))


# --- form rules ---------------------------------------------------------------------------------


def _visit_day(index: _Index, subject: Subject, visit: PlannedVisit) -> date | None:
    if visit.kind in ("baseline_imaging", "imaging"):
        found = index.by_code.get((subject.id, "tumour_assessment", visit.name))
        return found[0].day if found else None
    if visit.kind == "end_of_treatment":
        found = index.by_code.get((subject.id, "disposition", _EVENTS["end_of_treatment"]))
        return found[0].day if found else None
    return index.visit_days.get((subject.id, visit.name))


def _rows_of_form(form: FormDef, index: _Index, subject: Subject, visit: PlannedVisit,
                 day: date | None) -> list[RowRef]:
    """The rows that make up *form* at *visit* of *subject*.

    Parameters
    ----------
    form
        The form's definition from the protocol's EDC forms.
    index
        The subject's rows as loaded by this module (an internal index, filled by
        :func:`subject_casebook` and :func:`casebook_matrix`).
    subject
        The subject's row.
    visit
        The planned visit.
    day
        The visit's actual date (``None`` if not done): dated forms (labs, vitals, doses, ...)
        take the rows of that day; subject-level forms and logs ignore it.

    Returns
    -------
    list[RowRef]
        The rows (a tumour form adds its lesion measurements; a lab form keeps only the form's
        tests); empty when none.
    """
    kind = form.kind
    table = FORM_TABLES[kind]
    sid = subject.id
    if kind == "demographics":
        return [RowRef("subject", sid, sid)]
    if kind == "tumour":
        found = list(index.by_code.get((sid, table, visit.name), ()))
        return found + [m for r in found
                        for m in index.by_code.get((sid, "lesion_measurement", str(r.id)), ())]
    if kind in _THERAPY:
        return list(index.by_code.get((sid, table, _THERAPY[kind]), ()))
    if kind in _EVENTS:
        return list(index.by_code.get((sid, table, _EVENTS[kind]), ()))
    if visit.kind == "log" or kind == "eligibility":
        return list(index.by_table.get((sid, table), ()))
    if day is None:
        return []
    found = list(index.by_day.get((sid, table, day), ()))
    if kind == "labs":
        found = [r for r in found if r.code in form.tests or r.code in form.optional_tests]
    return found


def _entry(form: FormDef, rows: list[RowRef], protocol: Protocol, subject: Subject,
           visit: PlannedVisit) -> str:
    if not rows:
        return "not_started"
    codes = {r.code for r in rows}
    kind = form.kind
    needed: set[str | None] = set()
    if kind == "labs":
        needed = set(form.tests)
    elif kind == "vital_signs":
        needed = {"SYSBP", "DIABP"}
    elif kind == "dosing" and visit.day is not None:
        needed = {d.name for d in protocol.drugs if visit.day in d.days}
    elif kind == "eligibility":
        return "complete" if len(rows) >= len(protocol.eligibility) else "in_progress"
    elif kind == "demographics":
        filled = all(getattr(subject, name) is not None for name in _DEMOGRAPHICS_REQUIRED)
        return "complete" if filled else "in_progress"
    return "complete" if needed <= codes else "in_progress"


def _locked(index: _Index, subject: Subject, table: str) -> bool:
    for lock in index.locks:
        if lock.level == "study" or (lock.level == "site" and lock.site_id == subject.site_id):
            return True
        if lock.subject_id == subject.id and (
                lock.level == "subject" or (lock.level == "form" and lock.form_name == table)):
            return True
    return False


def _form_status(form: FormDef, index: _Index, subject: Subject, visit: PlannedVisit, *,
                 day: date | None, protocol: Protocol) -> FormStatus:
    rows = _rows_of_form(form, index, subject, visit, day)
    queries = sum(index.queries.get((r.table, r.id), 0) for r in rows)
    verified = bool(rows) and all(
        index.verified.get((r.table, r.id), 0) >= len(VERIFIABLE.get(r.table, ())) for r in rows)
    signed = subject.id in index.casebook_signed or (subject.id, visit.name) in index.visit_signed
    return FormStatus(
        form=form.id, title=form.title, entry=_entry(form, rows, protocol, subject, visit),
        rows=tuple(rows), open_queries=queries, verified=verified, signed=signed,
        locked=_locked(index, subject, FORM_TABLES[form.kind]),
    )


def _subject_dates(index: _Index, subject: Subject) -> SubjectDates:
    enrolment = index.enrolment.get(subject.id)
    events = {r.code: r.day for r in index.by_table.get((subject.id, "disposition"), ())}
    study_end = events.get("DEATH") or events.get("END OF STUDY")
    end = events.get("END OF TREATMENT") or study_end
    # Until the first dose fixes cycle 1 day 1, the enrolment date stands in for it.
    start = None if enrolment is None else (enrolment.reference_start_date
                                             or enrolment.enrolled_on)
    return SubjectDates(consent=subject.consent_date, reference_start=start,
                        treatment_end=end, study_end=study_end)


def _planned(index: _Index, subject: Subject, protocol: Protocol, today: date,
             keep: Callable[[PlannedVisit], bool], *,
             last_cycle: int | None = None) -> list[PlannedVisit]:
    dates = _subject_dates(index, subject)
    return [v for v in plan_visits(protocol, dates, through=today, last_cycle=last_cycle)
            if keep(v)]


def _visits(index: _Index, subject: Subject, protocol: Protocol, today: date,
            planned: Iterable[PlannedVisit]) -> list[VisitStatus]:
    assert protocol.edc is not None
    grace = protocol.edc.overdue_grace_days
    statuses: list[VisitStatus] = []
    for visit in planned:
        day = _visit_day(index, subject, visit)
        forms = tuple(_form_status(protocol.edc.form(f), index, subject, visit, day=day,
                                   protocol=protocol) for f in visit.forms)
        not_started = any(f.entry == "not_started" for f in forms)
        overdue = visit.kind != "log" and not_started and visit.overdue(today, grace_days=grace)
        statuses.append(VisitStatus(visit=visit, actual=day, forms=forms, overdue=overdue))
    return statuses


# --- the pages' services ------------------------------------------------------------------------


def _visible_subjects(unit: Unit, *, site: str | None, status: str | None) -> list[Subject]:
    require_role(unit.actor, PERMISSIONS[Action.VIEW_CASEBOOK], what="view the casebook")
    query = select(Subject).where(Subject.deleted.is_(False)).order_by(Subject.screening_number)
    if not unit.actor.all_sites:
        query = query.where(Subject.site_id.in_(unit.actor.site_ids))
    if site:
        query = query.where(Subject.site_id == select(Site.id).where(Site.code == site)
                            .scalar_subquery())
    if status:
        query = query.where(Subject.status == status)
    subjects = list(unit.session.scalars(query))
    return [s for s in subjects
            if Action.VIEW_CASEBOOK in _actions_at(unit, s.site_id)]


def _actions_at(unit: Unit, site_id: int) -> set[Action]:
    role = unit.actor.role_at(site_id)
    return {a for a, roles in PERMISSIONS.items() if role in roles}


def _site_codes(unit: Unit) -> dict[int, str]:
    return dict(unit.session.execute(select(Site.id, Site.code)).all())


def _matches_visit(name: str, wanted: str | None) -> bool:
    """``C3`` matches C3D1, C3D8, C3D15 but not C30D1; ``IMAGING`` every imaging visit."""
    if not wanted or name == wanted:
        return True
    rest = name[len(wanted):]
    return name.startswith(wanted) and not rest[:1].isdigit()


def _in_cycles(visit: PlannedVisit, cycles: tuple[int, int], cycle_length: int,
               start: date | None) -> bool:
    """Whether a visit belongs to the cycle range shown (non-cycle visits by their date)."""
    first, last = cycles
    if visit.kind == "log":
        return True
    if visit.cycle is not None:
        return first <= visit.cycle <= last
    if visit.kind in ("screening", "baseline_imaging"):
        return first == 1
    if start is None or visit.planned is None:
        return False
    cycle = (visit.planned - start).days // cycle_length + 1
    return first <= cycle <= last or (visit.kind != "imaging" and cycle > last and first == 1)


def _windows(index: _Index, plans: dict[int, list[PlannedVisit]]) -> dict[int, Window]:
    """Per subject, the days spanned by the windows and actual dates of the visits shown
    (each subject's own span: subjects enrolled years apart would otherwise read it all)."""
    windows: dict[int, Window] = {}
    for subject_id, visits in plans.items():
        days: list[date] = []
        for v in visits:
            days += [d for d in (v.earliest, v.latest) if d is not None]
            actual = index.visit_days.get((subject_id, v.name))
            if actual is not None:
                days.append(actual)
        if days:
            windows[subject_id] = (min(days), max(days))
    return windows


def casebook_matrix(
    unit: Unit, *, protocol: Protocol, today: date, site: str | None = None,
    status: str | None = None, visit: str | None = None, state: str | None = None,
    cycles: tuple[int, int] = (1, 3), page: int = 1, per_page: int = 25,
) -> Matrix:
    """Subjects × visits of the sites the user sees, one page of subjects at a time.

    The visits shown are those of *cycles* (screening and baseline with cycle 1, imaging and
    follow-up by their date, logs always), narrowed by *visit* (a name, or a prefix such as
    ``C3`` or ``IMAGING``); *state* keeps the subjects with a visit in that state (or
    ``overdue``). Only the page's subjects and the days of the visits shown are read.

    Parameters
    ----------
    unit
        A unit of work of a user who may view the casebook.
    protocol
        The trial protocol (visit schedule, forms, cycle length).
    today
        The date against which visits are overdue.
    site
        A site code to keep (default: every site the user sees).
    status
        A subject status to keep: ``screening``, ``screen_failed``, ``enrolled``,
        ``off_treatment`` or ``off_study`` (default all).
    visit
        A visit name or name prefix to keep (default all).
    state
        Keep the subjects with a visit in this state, one of :data:`STATES` or ``overdue``
        (default all).
    cycles
        First and last treatment cycle shown, inclusive (default 1–3).
    page
        1-based page of subjects; clamped to the pages that exist.
    per_page
        Subjects per page (default 25; must be positive).

    Returns
    -------
    Matrix
        The page's rows, the visit columns in schedule order with their labels, the total of
        subjects, the page and page count, and counts (subjects by status; overdue visits and
        open queries of the page).

    Raises
    ------
    AccessError
        If the actor's role may not view the casebook.
    DataError
        If *per_page* is not positive.
    """
    if per_page < 1:
        raise DataError("subjects per page must be positive", field="per_page",
                        value=per_page, allowed="1 or more")
    subjects = _visible_subjects(unit, site=site, status=status)
    counts: dict[str, int] = defaultdict(int)
    for s in subjects:
        counts[f"subjects {s.status}"] += 1
    if not state:
        pages = max(1, -(-len(subjects) // per_page))
        page = min(max(page, 1), pages)
        subjects = subjects[(page - 1) * per_page: page * per_page]
    index = _load_dates(unit, subjects)
    plans: dict[int, list[PlannedVisit]] = {}
    for subject in subjects:
        start = _subject_dates(index, subject).reference_start

        def shown(v: PlannedVisit, start: date | None = start) -> bool:
            return _in_cycles(v, cycles, protocol.cycle_length_days, start) and \
                _matches_visit(v.name, visit)

        plans[subject.id] = _planned(index, subject, protocol, today, shown,
                                     last_cycle=cycles[1])
    names = {v.name for visits in plans.values() for v in visits if v.kind != "log"}
    _load_rows(unit, index, windows=_windows(index, plans), assessments=names)
    rows = _matrix_rows(unit, index, plans, protocol=protocol, today=today, counts=counts)
    if state:
        rows = [r for r in rows
                if any(v.state == state or (state == "overdue" and v.overdue)
                       for v in r.visits.values())]
        pages = max(1, -(-len(rows) // per_page))
        page = min(max(page, 1), pages)
        rows = rows[(page - 1) * per_page: page * per_page]
    columns, labels = _columns(rows)
    total = sum(v for k, v in counts.items() if k.startswith("subjects "))
    return Matrix(columns=columns, labels=labels, rows=tuple(rows), subjects_total=total,
                  page=page, pages=pages, counts=dict(counts))


def _matrix_rows(unit: Unit, index: _Index, plans: dict[int, list[PlannedVisit]], *,
                 protocol: Protocol, today: date, counts: dict[str, int]) -> list[MatrixRow]:
    codes = _site_codes(unit)
    rows: list[MatrixRow] = []
    for subject_id, planned in plans.items():
        subject = index.subjects[subject_id]
        visits = _visits(index, subject, protocol, today, planned)
        for v in visits:
            counts["overdue visits (page)"] += v.overdue
            counts["open queries (page)"] += sum(f.open_queries for f in v.forms)
        enrolment = index.enrolment.get(subject.id)
        rows.append(MatrixRow(
            screening_number=subject.screening_number, site=codes.get(subject.site_id, "?"),
            status=subject.status, phase=None if enrolment is None else enrolment.phase,
            visits={v.visit.name: v for v in visits}))
    return rows


def _columns(rows: Iterable[MatrixRow]) -> tuple[tuple[str, ...], dict[str, str]]:
    order: dict[str, tuple[bool, float]] = {}
    labels: dict[str, str] = {}
    for row in rows:
        for name, status in row.visits.items():
            order[name] = (status.visit.kind == "log", status.visit.visitnum)
            labels[name] = status.visit.label
    return tuple(sorted(order, key=order.__getitem__)), labels


def subject_casebook(unit: Unit, subject: str, *, protocol: Protocol,
                     today: date) -> SubjectCasebook:
    """Every visit of one subject with the status of each form.

    Parameters
    ----------
    unit
        A unit of work of a user who may view the casebook at the subject's site.
    subject
        The screening number.
    protocol
        The trial protocol.
    today
        The date against which visits are overdue.

    Returns
    -------
    SubjectCasebook
        Site, status, phase and regimen of the subject and every planned visit with its forms.

    Raises
    ------
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not view the casebook.
    """
    owner = unit.subject(subject, write=False, action=Action.VIEW_CASEBOOK)
    index = _load(unit, [owner])
    enrolment = index.enrolment.get(owner.id)
    planned = _planned(index, owner, protocol, today, lambda _v: True)
    return SubjectCasebook(
        screening_number=owner.screening_number, site=_site_codes(unit).get(owner.site_id, "?"),
        status=owner.status, phase=None if enrolment is None else enrolment.phase,
        regimen=None if enrolment is None else enrolment.regimen,
        visits=tuple(_visits(index, owner, protocol, today, planned)))


def visit_status(unit: Unit, subject: Subject, visit: str, *, protocol: Protocol,
                 today: date) -> VisitStatus:
    """One visit of a loaded subject (the form page's context); ``KeyError`` if not planned.

    Parameters
    ----------
    unit
        The unit of work that loaded *subject* (access is checked by the caller).
    subject
        The subject's row.
    visit
        The visit name (e.g. ``"C1D1"``), or the log visit for log forms.
    protocol
        The trial protocol.
    today
        The date against which the visit is overdue.

    Returns
    -------
    VisitStatus
        The visit with its actual date, its forms' statuses and whether it is overdue.

    Raises
    ------
    KeyError
        If *visit* is not in the subject's plan.
    """
    index = _load(unit, [subject])
    planned = _planned(index, subject, protocol, today, lambda v: v.name == visit)
    for status in _visits(index, subject, protocol, today, planned):
        return status
    if visit == LOG_VISIT:
        raise KeyError(visit)
    raise KeyError(f"visit {visit!r} is not in this subject's plan")


def visible_sites(unit: Unit) -> list[tuple[str, str]]:
    """(code, name) of the sites the user sees.

    Parameters
    ----------
    unit
        A unit of work of any user.

    Returns
    -------
    list[tuple[str, str]]
        By site code; every site for study-wide roles.
    """
    query = select(Site.code, Site.name).where(Site.deleted.is_(False)).order_by(Site.code)
    if not unit.actor.all_sites:
        query = query.where(Site.id.in_(unit.actor.site_ids))
    return [(code, name) for code, name in unit.session.execute(query)]


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    """A subject as listed."""

    screening_number: str
    site: str
    status: str
    phase: str | None


def list_subjects(unit: Unit, *, site: str | None = None) -> list[SubjectSummary]:
    """The subjects of the sites the user sees (a site filter within them).

    Parameters
    ----------
    unit
        A unit of work of a user who may view the casebook.
    site
        A site code to keep (default all the user sees); a site the user does not see gives
        no subjects.

    Returns
    -------
    list[SubjectSummary]
        Screening number, site code, status and phase (``None`` before enrolment), by
        screening number; subjects at sites where the user's role may not view the casebook
        are left out.

    Raises
    ------
    AccessError
        If the actor's role may not view the casebook.
    """
    subjects = _visible_subjects(unit, site=site, status=None)
    codes = _site_codes(unit)
    phases = dict(unit.session.execute(select(Enrolment.subject_id, Enrolment.phase).where(
        Enrolment.subject_id.in_([s.id for s in subjects]), Enrolment.deleted.is_(False))).all())
    return [SubjectSummary(screening_number=s.screening_number, site=codes.get(s.site_id, "?"),
                           status=s.status, phase=phases.get(s.id)) for s in subjects]


def registration_sites(unit: Unit) -> list[tuple[str, str]]:
    """(code, name) of the sites where the user may register subjects.

    Parameters
    ----------
    unit
        A unit of work of a data-entry user.

    Returns
    -------
    list[tuple[str, str]]
        The visible sites where the user's role enters data, by code.

    Raises
    ------
    AccessError
        If the actor holds no data-entry role at any site.
    """
    require_role(unit.actor, PERMISSIONS[Action.ENTER_DATA], what="register subjects")
    ids = dict(unit.session.execute(select(Site.code, Site.id)).all())
    return [(code, name) for code, name in visible_sites(unit)
            if unit.actor.role_at(ids[code]) in PERMISSIONS[Action.ENTER_DATA]]
