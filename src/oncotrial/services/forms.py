"""Case report forms: what a form page shows and what saving it does.

A form page is built from the protocol's form definition and the rows that make it up (see
:mod:`oncotrial.services.casebook`). Saving parses every field at once
(:mod:`oncotrial.services.form_fields`), then calls the domain service of the form's kind —
labs are graded, doses decided, tumour responses assessed there, never here. A change to a
saved entry needs the version that was read (a stale page is refused, nothing lost) and a
reason; derived values (grades, BSA, DLT verdicts, RECIST responses) are derived again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from oncotrial.errors import DataError, LockedError, NotFoundError
from oncotrial.protocol import Protocol
from oncotrial.protocol.edc import FormDef, FormField
from oncotrial.rules.ae_terms import load_ctcae_terms
from oncotrial.services import _form_kinds as kinds
from oncotrial.services._form_kinds import Entry, FieldView
from oncotrial.services._unit import Unit
from oncotrial.services.casebook import (
    VERIFIABLE,
    FormStatus,
    visit_status,
)
from oncotrial.services.form_fields import FieldProblem, parse_fields, visible_fields
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.services.subjects import record_visit
from oncotrial.services.visits import LOG_VISIT, PlannedVisit
from oncotrial.store.schema import DataQuery, Site, SourceVerification, Subject, Visit

__all__ = [
    "Entry",
    "FieldView",
    "FormError",
    "FormPage",
    "SaveOutcome",
    "form_page",
    "save_form",
]

NEW = "new"


class FormError(DataError):
    """A submission with problems beside its fields (nothing was saved)."""

    def __init__(self, problems: Sequence[FieldProblem], *, subject: str, visit: str) -> None:
        self.problems = tuple(problems)
        listing = "; ".join(str(p) for p in problems)
        super().__init__(f"{len(self.problems)} problem(s): {listing}", subject=subject,
                         visit=visit)


@dataclass(frozen=True, slots=True)
class FormPage:
    """Everything a form page shows."""

    subject: str
    site: str
    subject_status: str
    visit: PlannedVisit
    day: date | None
    form: FormDef
    status: FormStatus
    layout: str
    entries: tuple[Entry, ...]
    notices: tuple[str, ...]
    allowed: frozenset[Action]
    needs_visit_date: bool
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What a save did: the messages the rules returned (grades, responses, decisions)."""

    messages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Ctx:
    unit: Unit
    protocol: Protocol
    subject: Subject
    visit: PlannedVisit
    day: date | None
    form: FormDef
    status: FormStatus
    today: date


def vocabularies() -> dict[str, tuple[str, ...]]:
    """The named choice lists forms may use."""
    return {"ctcae_terms": tuple(sorted(load_ctcae_terms()))}


def _context(unit: Unit, subject: str, visit: str, form: str, *, protocol: Protocol,
             today: date, write: bool) -> _Ctx:
    owner = unit.subject(subject, write=write, action=Action.VIEW_CASEBOOK)
    if protocol.edc is None:
        raise NotFoundError("the protocol defines no case report forms", field="form",
                            value=form)
    try:
        status = visit_status(unit, owner, visit, protocol=protocol, today=today)
    except KeyError as exc:
        raise NotFoundError("no such visit for this subject", field="visit", value=visit,
                            subject=subject) from exc
    if form not in status.visit.forms:
        raise NotFoundError("no such form at this visit", field="form", value=form,
                            allowed=", ".join(status.visit.forms), subject=subject, visit=visit)
    form_status = next(f for f in status.forms if f.form == form)
    return _Ctx(unit=unit, protocol=protocol, subject=owner, visit=status.visit,
                day=status.actual, form=protocol.edc.form(form), status=form_status,
                today=today)


def _allowed(unit: Unit, subject: Subject) -> frozenset[Action]:
    role = unit.actor.role_at(subject.site_id)
    return frozenset(a for a, roles in PERMISSIONS.items() if role in roles)


def _overlay(unit: Unit, entries: list[Entry], subject_id: int) -> list[Entry]:
    """Mark each field with its verification and open queries."""
    refs = {f.row.id for e in entries for f in e.fields if f.row is not None}
    if not refs:
        return entries
    verified = {
        (t, r, c) for t, r, c in unit.session.execute(
            select(SourceVerification.table_name, SourceVerification.row_id,
                   SourceVerification.field)
            .where(SourceVerification.subject_id == subject_id,
                   SourceVerification.state == "verified",
                   SourceVerification.row_id.in_(refs)))
    }
    queried: dict[tuple[str, int, str], int] = {}
    for t, r, c in unit.session.execute(
        select(DataQuery.table_name, DataQuery.row_id, DataQuery.field)
        .where(DataQuery.subject_id == subject_id, DataQuery.state.in_(("Open", "Answered")),
               DataQuery.row_id.in_(refs))):
        queried[(t, r, c)] = queried.get((t, r, c), 0) + 1
    marked: list[Entry] = []
    for entry in entries:
        fields = []
        for f in entry.fields:
            if f.row is None or f.column is None:
                fields.append(f)
                continue
            key = (f.row.table, f.row.id, f.column)
            fields.append(FieldView(field=f.field, value=f.value, problem=f.problem, row=f.row,
                                    column=f.column, verified=key in verified,
                                    open_queries=queried.get(key, 0)))
        marked.append(Entry(key=entry.key, title=entry.title, fields=tuple(fields),
                            version=entry.version, derived=entry.derived, saved=entry.saved))
    return marked


def form_page(
    unit: Unit, subject: str, visit: str, form: str, *, protocol: Protocol, today: date,
    raw: Mapping[str, str] | None = None, problems: Sequence[FieldProblem] = (),
    entry_key: str | None = None,
) -> FormPage:
    """The page of *form* at *visit* of *subject*; with *raw* and *problems*, the values a
    refused submission carried, shown back with the problem beside each field.

    Parameters
    ----------
    unit
        A unit of work of a user who may view the casebook at the subject's site.
    subject
        The subject's screening number.
    visit
        The visit's name in the subject's plan (or the log visit for log forms).
    form
        The form's name; it must be one of the visit's forms.
    protocol
        The trial protocol with its case report forms.
    today
        The date against which the visit is overdue.
    raw
        The field texts of a refused submission, shown back (default none).
    problems
        The problems found in *raw*, shown beside their fields.
    entry_key
        The entry *raw* belongs to (default: every entry of the page).

    Returns
    -------
    FormPage
        Subject, site, visit and day, the form's definition and status, its entries with each
        field's value, problem, verification and open queries, notices, and the actions the
        user may take there.

    Raises
    ------
    NotFoundError
        If the subject, the visit in its plan or the form at the visit does not exist for the
        user, or the protocol has no case report forms.
    AccessError
        If the user's role at the subject's site may not view the casebook.
    """
    ctx = _context(unit, subject, visit, form, protocol=protocol, today=today, write=False)
    kind = kinds.kind_of(ctx.form.kind)
    entries = kind.entries(_view(ctx))
    if raw is not None:
        entries = _with_submission(entries, raw, problems, entry_key)
    site = unit.session.scalar(select(Site.code).where(Site.id == ctx.subject.site_id)) or "?"
    return FormPage(
        subject=ctx.subject.screening_number, site=site, subject_status=ctx.subject.status,
        visit=ctx.visit, day=ctx.day, form=ctx.form, status=ctx.status, layout=kind.layout,
        entries=tuple(_overlay(unit, entries, ctx.subject.id)),
        notices=kind.notices(_view(ctx)), allowed=_allowed(unit, ctx.subject),
        needs_visit_date=_needs_visit_date(ctx), vocabularies=vocabularies())


def _view(ctx: _Ctx) -> kinds.View:
    return kinds.View(unit=ctx.unit, protocol=ctx.protocol, subject=ctx.subject,
                      visit=ctx.visit, day=ctx.day, form=ctx.form, rows=ctx.status.rows,
                      today=ctx.today)


def _with_submission(entries: list[Entry], raw: Mapping[str, str],
                     problems: Sequence[FieldProblem], entry_key: str | None) -> list[Entry]:
    wrong = {p.field: p.message for p in problems}
    shown: list[Entry] = []
    for entry in entries:
        if entry_key is not None and entry.key != entry_key:
            shown.append(entry)
            continue
        fields = tuple(FieldView(field=f.field, value=raw.get(f.field.name, f.value),
                                 problem=wrong.get(f.field.name), row=f.row, column=f.column)
                       for f in entry.fields)
        shown.append(Entry(key=entry.key, title=entry.title, fields=fields,
                           version=entry.version, derived=entry.derived, saved=entry.saved))
    return shown


def _needs_visit_date(ctx: _Ctx) -> bool:
    return ctx.visit.kind in ("screening", "treatment", "follow_up") and ctx.day is None


VISIT_DATE = FormField(name="visit_date", label="Visit date", type="date", required=True)


def save_form(
    unit: Unit, subject: str, visit: str, form: str, raw: Mapping[str, str], *,
    protocol: Protocol, today: date, entry: str = NEW, version: int | None = None,
    reason: str | None = None,
) -> SaveOutcome:
    """Save a submission of *form* (a new entry, or a change to entry *entry* of *version*,
    with a *reason*). Raises :class:`FormError` listing every field problem, nothing saved.

    At a screening, treatment or follow-up visit without a date, the submission carries the
    ``visit_date`` too, and the visit is recorded with it. The form kind's domain service does
    the saving (labs are graded, doses decided, tumour responses assessed there).

    Parameters
    ----------
    unit
        A unit of work of a user who may enter data at the subject's site.
    subject
        The subject's screening number.
    visit
        The visit's name in the subject's plan.
    form
        The form's name at that visit.
    raw
        Field name → text as submitted.
    protocol
        The trial protocol with its case report forms.
    today
        Dates after this day are refused.
    entry
        ``"new"`` (default) for a new entry, else the key of the entry being changed.
    version
        For a change: the entry's version as read.
    reason
        For a change: the reason, non-blank.

    Returns
    -------
    SaveOutcome
        The messages the rules returned (grades, responses, dose decisions).

    Raises
    ------
    FormError
        Every field problem at once (type, range, required, a missing reason or version for a
        change, a value the domain service refused); nothing is saved.
    LockedError
        If a lock covers the form.
    NotFoundError
        If the subject, visit or form does not exist for the user.
    AccessError
        If the user may not enter data at the subject's site.
    ConcurrencyError
        If *version* is stale.
    """
    ctx = _context(unit, subject, visit, form, protocol=protocol, today=today, write=True)
    if ctx.status.locked:
        raise LockedError("this form is locked; ask the data manager to unlock it",
                          field="form", value=form, subject=subject, visit=visit)
    kind = kinds.kind_of(ctx.form.kind)
    view = _view(ctx)
    fields = kind.fields(view, entry)
    problems: list[FieldProblem] = []
    day = ctx.day
    if _needs_visit_date(ctx):
        date_part = parse_fields([VISIT_DATE], raw, today=today)
        problems += date_part.problems
        visit_day = date_part.values.get("visit_date")
        day = visit_day if isinstance(visit_day, date) else None
        if day is not None and ctx.visit.earliest and day < ctx.visit.earliest.replace(
                year=ctx.visit.earliest.year - 1):
            problems.append(FieldProblem("visit_date", day.isoformat(),
                                         "more than a year before the visit window"))
    parsed = parse_fields(fields, raw, today=today, vocabularies=vocabularies())
    problems += parsed.problems
    if entry != NEW and not (reason and reason.strip()):
        problems.append(FieldProblem("reason", reason or "",
                                     "a reason is required to change saved data"))
    if entry != NEW and version is None:
        problems.append(FieldProblem("version", "", "the version read is required"))
    if problems:
        raise FormError(problems, subject=subject, visit=visit)
    with unit.step(reason=reason if entry != NEW else None):
        if day is not None and _needs_visit_date(ctx):
            _record_visit_day(unit, ctx, day)
        values = {f.name: parsed.values.get(f.name) for f in visible_fields(fields, raw)}
        view = kinds.View(unit=unit, protocol=protocol, subject=ctx.subject, visit=ctx.visit,
                          day=day, form=ctx.form, rows=ctx.status.rows, today=today)
        try:
            if entry == NEW:
                messages = kind.create(view, values, raw)
            else:
                assert version is not None
                assert reason is not None
                messages = kind.update(view, entry, values, version=version,
                                       reason=reason.strip())
        except kinds.FieldRefused as exc:
            raise FormError([FieldProblem(exc.field, exc.value, exc.message)],
                            subject=subject, visit=visit) from exc
    return SaveOutcome(messages=tuple(messages))


def _record_visit_day(unit: Unit, ctx: _Ctx, day: date) -> None:
    existing = unit.session.scalar(select(Visit).where(
        Visit.subject_id == ctx.subject.id, Visit.name == ctx.visit.name,
        Visit.deleted.is_(False)))
    if existing is not None and existing.actual_date is not None:
        return
    if ctx.visit.name == LOG_VISIT:
        return
    record_visit(unit, ctx.subject.screening_number, name=ctx.visit.name,
                 visitnum=ctx.visit.visitnum, actual_date=day, planned_date=ctx.visit.planned,
                 cycle=ctx.visit.cycle, day=ctx.visit.day,
                 version=None if existing is None else existing.version,
                 reason=None if existing is None else "visit date entered")


def verifiable_fields(table: str) -> tuple[str, ...]:
    """The source fields of *table* a monitor verifies."""
    return VERIFIABLE.get(table, ())

