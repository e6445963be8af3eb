"""The JSON API for integrations: read subjects, visits, forms and the audit trail of one's own
sites; submit lab results and tumour measurements. A personal bearer token identifies the user
(``Authorization: Bearer otk_…``); the same services decide what the user may do, so the API
can do nothing the pages could not. Request bodies are the services' own input models
(:mod:`oncotrial.services.inputs`), so the API accepts exactly what the services and the web
forms accept. OpenAPI schema: ``/api/openapi.json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from oncotrial.errors import AccessError, DataError
from oncotrial.services import assessments, auth, casebook, forms, review, safety
from oncotrial.services._unit import open_unit
from oncotrial.services.inputs import LabsInput, TumourAssessmentInput
from oncotrial.store import Actor
from oncotrial.web.deps import NotSignedIn, State, state_of


class ErrorOut(BaseModel):
    """A refusal: what was wrong, and the field when one is to blame."""

    model_config = ConfigDict(frozen=True)

    error: str
    field: str | None = None


_REFUSALS = {401: "not signed in (no or a bad bearer token)", 403: "not allowed for this user",
             404: "no such record (or one at a site the user may not see)",
             409: "changed by someone else", 422: "the request or a value is not accepted",
             423: "locked"}
router = APIRouter(prefix="/api", tags=["api"], responses={
    code: {"model": ErrorOut, "description": text} for code, text in _REFUSALS.items()})


def api_user(request: Request) -> Actor:
    """The user of the bearer token, or 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotSignedIn
    try:
        return auth.resolve_api_token(state_of(request).store, token.strip())
    except AccessError as exc:
        raise NotSignedIn from exc


ApiUser = Annotated[Actor, Depends(api_user)]
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 ._-]+$")]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubjectOut(_Out):
    """A subject as listed."""

    screening_number: str
    site: str
    status: str
    phase: str | None


class FormStateOut(_Out):
    """A form at a visit and its state."""

    form: str
    title: str
    state: str
    entries: int
    open_queries: int


class VisitOut(_Out):
    """A visit with its forms."""

    name: str
    label: str
    planned: date | None
    actual: date | None
    overdue: bool
    state: str
    forms: list[FormStateOut]


class CasebookOut(_Out):
    """One subject's casebook."""

    screening_number: str
    site: str
    status: str
    phase: str | None
    regimen: str | None
    visits: list[VisitOut]


class EntryOut(_Out):
    """One entry of a form: its field values and what the rules derived."""

    key: str
    title: str
    version: int | None
    values: dict[str, str]
    derived: list[str]


class FormOut(_Out):
    """A form at a visit."""

    form: str
    title: str
    state: str
    entries: list[EntryOut]
    notices: list[str]


class AuditOut(_Out):
    """One audit trail entry."""

    seq: int
    at: datetime
    user: str
    role: str
    action: str
    table: str
    row_id: int | None
    field: str | None
    old: str
    new: str
    reason: str | None
    channel: str


class LabOut(_Out):
    """A stored lab result with its CTCAE v5.0 grade."""

    id: int
    test_code: str
    grade: int | None
    rule: str | None
    reason: str | None


class TumourOut(_Out):
    """The stored timepoint with the RECIST 1.1 response (none at baseline)."""

    id: int
    response: str | None
    rule: str | None
    sum_diameters_mm: float | None


def _not_future(day: date, state: State, field: str) -> None:
    if day > state.today():
        raise DataError("in the future", field=field, value=day.isoformat(),
                        allowed=f"on or before {state.today().isoformat()}")


@router.get("/subjects", response_model=list[SubjectOut])
def subjects(user: ApiUser, state: State,
             site: Annotated[str | None, Query(max_length=20)] = None) -> list[SubjectOut]:
    """Subjects of the sites the token's user sees."""
    with open_unit(state.store, user) as unit:
        found = casebook.list_subjects(unit, site=site)
    return [SubjectOut(screening_number=s.screening_number, site=s.site, status=s.status,
                       phase=s.phase) for s in found]


@router.get("/subjects/{subject}", response_model=CasebookOut)
def subject(subject: Name, user: ApiUser, state: State) -> CasebookOut:
    """One subject's visits and the state of each form."""
    with open_unit(state.store, user) as unit:
        book = casebook.subject_casebook(unit, subject, protocol=state.protocol,
                                         today=state.today())
    return CasebookOut(
        screening_number=book.screening_number, site=book.site, status=book.status,
        phase=book.phase, regimen=book.regimen,
        visits=[VisitOut(name=v.visit.name, label=v.visit.label, planned=v.visit.planned,
                         actual=v.actual, overdue=v.overdue, state=v.state,
                         forms=[FormStateOut(form=f.form, title=f.title, state=f.state,
                                             entries=len(f.rows), open_queries=f.open_queries)
                                for f in v.forms])
                for v in book.visits])


@router.get("/subjects/{subject}/visits/{visit}/forms/{form}", response_model=FormOut)
def form(subject: Name, visit: Name, form: Annotated[str, Field(max_length=40)],
         user: ApiUser, state: State) -> FormOut:
    """One form at one visit: entries, values and what the rules derived."""
    with open_unit(state.store, user) as unit:
        page = forms.form_page(unit, subject, visit, form, protocol=state.protocol,
                               today=state.today())
    return FormOut(form=page.form.id, title=page.form.title, state=page.status.state,
                   notices=list(page.notices),
                   entries=[EntryOut(key=e.key, title=e.title, version=e.version,
                                     values={f.field.name: f.value for f in e.fields},
                                     derived=list(e.derived))
                            for e in page.entries if e.saved])


@router.get("/subjects/{subject}/audit", response_model=list[AuditOut])
def subject_audit(subject: Name, user: ApiUser, state: State,
                  after: Annotated[int, Query(ge=0, le=2**31)] = 0,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditOut]:
    """The subject's audit trail, oldest first, *limit* entries after sequence *after*."""
    with open_unit(state.store, user) as unit:
        rows = review.audit_rows(unit, subject=subject, after_seq=after, limit=limit)
    return [AuditOut(seq=r.seq, at=r.at, user=r.username, role=r.role, action=r.action,
                     table=r.table, row_id=r.row_id, field=r.field, old=r.old, new=r.new,
                     reason=r.reason, channel=r.channel) for r in rows]


@router.post("/subjects/{subject}/labs", response_model=list[LabOut], status_code=201)
def submit_labs(subject: Name, body: LabsInput, user: ApiUser, state: State) -> list[LabOut]:
    """Store lab results (all or none) and return each CTCAE v5.0 grade."""
    _not_future(body.collected_on, state, "collected_on")
    with open_unit(state.store, user) as unit, unit.step():
        rows = [safety.record_lab(unit, subject, collected_on=body.collected_on,
                                  **r.arguments())
                for r in body.results]
        return [LabOut(id=r.id, test_code=r.test_code, grade=r.grade, rule=r.grade_rule,
                      reason=r.grade_reason) for r in rows]


@router.post("/subjects/{subject}/tumour-assessments", response_model=TumourOut,
             status_code=201)
def submit_tumour(subject: Name, body: TumourAssessmentInput, user: ApiUser,
                  state: State) -> TumourOut:
    """Store one imaging timepoint and return its RECIST 1.1 response."""
    _not_future(body.assessed_on, state, "assessed_on")
    with open_unit(state.store, user) as unit:
        row = assessments.record_tumour_assessment(
            unit, subject, **body.arguments(), protocol=state.protocol)
        return TumourOut(id=row.id, response=row.computed_response, rule=row.computed_rule,
                        sum_diameters_mm=row.sum_diameters_mm)
