"""The casebook matrix, a subject's casebook, and registering a subject."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncotrial.errors import DataError
from oncotrial.services import casebook, review, subjects
from oncotrial.services.form_fields import parse_partial_date
from oncotrial.services.permissions import Action
from oncotrial.web.deps import CurrentUser, State, render
from oncotrial.web.security import CsrfChecked

router = APIRouter(include_in_schema=False)

SUBJECT_STATUSES = ("screening", "screen_failed", "enrolled", "off_treatment", "off_study")


def _cycles(text: str) -> tuple[int, int]:
    """``"4-6"`` → (4, 6); a single number is one cycle."""
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise DataError("not a cycle range", field="cycles", value=text,
                        allowed="e.g. 1-3 or 4") from None
    if not 1 <= low <= high <= 200:
        raise DataError("not a cycle range", field="cycles", value=text, allowed="1–200")
    return low, high


@router.get("/")
def matrix(
    request: Request, current: CurrentUser, state: State,
    site: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    visit: Annotated[str, Query(max_length=40)] = "",
    cell: Annotated[str, Query(max_length=20, alias="state")] = "",
    cycles: Annotated[str, Query(max_length=9)] = "1-3",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Subjects × visits of the user's sites, with the counts a coordinator needs first."""
    with state.unit(current) as unit:
        sites = casebook.visible_sites(unit)
        grid = casebook.casebook_matrix(
            unit, protocol=state.protocol, today=state.today(), site=site or None,
            status=status or None, visit=visit or None, state=cell or None,
            cycles=_cycles(cycles), page=page)
        open_queries = review.count_open_queries(unit)
    return render(request, "matrix.html", current, grid=grid, sites=sites,
                  statuses=SUBJECT_STATUSES, states=casebook.STATES,
                  filters={"site": site, "status": status, "visit": visit, "state": cell,
                           "cycles": cycles}, open_queries=open_queries)


@router.get("/subjects/new")
def new_subject(request: Request, current: CurrentUser, state: State) -> Response:
    """The registration form (consent, demographics) of a new subject."""
    with state.unit(current) as unit:
        sites = casebook.registration_sites(unit)
    return render(request, "register.html", current, sites=sites, values={}, problem=None)


@router.post("/subjects")
def register(
    request: Request, current: CsrfChecked, state: State,
    screening_number: Annotated[str, Form(max_length=40)],
    site: Annotated[str, Form(max_length=20)],
    consent_date: Annotated[str, Form(max_length=10)],
    consent_version: Annotated[str, Form(max_length=40)],
    sex: Annotated[str, Form(max_length=1)],
    birth_date: Annotated[str, Form(max_length=10)] = "",
    histology: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Register a consented subject (coordinator or investigator at that site)."""
    values = {"screening_number": screening_number, "site": site, "consent_date": consent_date,
              "consent_version": consent_version, "sex": sex, "birth_date": birth_date,
              "histology": histology}
    try:
        consent = _date("consent_date", consent_date, state.today())
        born = _date("birth_date", birth_date, state.today()) if birth_date else None
        with state.unit(current) as unit:
            subjects.register_subject(
                unit, screening_number.strip(), site=site, consent_date=consent,
                consent_version=consent_version.strip(), sex=sex, birth_date=born,
                histology=histology or None)
    except DataError as exc:
        with state.unit(current) as unit:
            sites = casebook.registration_sites(unit)
        return render(request, "register.html", current, status=422, sites=sites,
                      values=values, problem=str(exc))
    return RedirectResponse(f"/subjects/{screening_number.strip()}", status_code=303)


def _date(field: str, text: str, today: date) -> date:
    try:
        parse_partial_date(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise DataError("not a calendar date", field=field, value=text,
                        allowed="YYYY-MM-DD") from None
    if value > today:
        raise DataError("in the future", field=field, value=text,
                        allowed=f"on or before {today.isoformat()}")
    return value


@router.get("/subjects/{subject}")
def subject_page(request: Request, subject: str, current: CurrentUser,
                 state: State) -> Response:
    """One subject's casebook: every visit and the status of each form."""
    with state.unit(current) as unit:
        book = casebook.subject_casebook(unit, subject, protocol=state.protocol,
                                         today=state.today())
        signatures = review.list_signatures(unit, subject)
    forms = {f.id: f.title for f in state.protocol.edc.forms} if state.protocol.edc else {}
    return render(request, "subject.html", current, book=book, forms=forms,
                  signatures=signatures, may_sign=current.may(Action.SIGN),
                  meaning=review.signature_meaning("casebook"))
