"""Queries, signatures and locks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from oncotrial.errors import AccessError
from oncotrial.services import auth, data_management, review
from oncotrial.services.casebook import FORM_TABLES, visible_sites
from oncotrial.web.deps import CurrentUser, State, render
from oncotrial.web.security import CsrfChecked

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(min_length=1, max_length=2000)]


@router.get("/queries")
def queries(request: Request, current: CurrentUser, state: State,
            status: Annotated[str, Query(max_length=12, alias="state")] = "",
            site: Annotated[str, Query(max_length=20)] = "",
            subject: Annotated[str, Query(max_length=40)] = "",
            min_age: Annotated[int | None, Query(ge=0, le=3650)] = None) -> Response:
    """Queries of the user's sites with their age, filtered by state, site and age."""
    with state.unit(current) as unit:
        found = review.list_queries(unit, state=status or None,
                                    site=site or None, subject=subject or None,
                                    min_age_days=min_age)
        sites = visible_sites(unit)
    return render(request, "queries.html", current, queries=found, sites=sites,
                  states=list(review.QUERY_STATES.values()),
                  filters={"state": status, "site": site, "subject": subject,
                           "min_age": "" if min_age is None else min_age})


def _back(request: Request, query_id: int) -> Response:
    target = request.headers.get("referer", "")
    path = target.split("//", 1)[-1].partition("/")[2] if target else ""
    return RedirectResponse(f"/{path}#query-{query_id}" if path else f"/queries#query-{query_id}",
                            status_code=303)


@router.post("/queries/{query_id}/answer")
def answer(request: Request, query_id: int, current: CsrfChecked, state: State,
           text: Text) -> Response:
    """Site staff answer a new query (New → Updated)."""
    with state.unit(current) as unit:
        data_management.answer_query(unit, query_id, text=text)
    return _back(request, query_id)


@router.post("/queries/{query_id}/close")
def close(request: Request, query_id: int, current: CsrfChecked, state: State,
          text: Text) -> Response:
    """The raiser's side closes an answered query (Updated → Closed)."""
    with state.unit(current) as unit:
        data_management.close_query(unit, query_id, text=text)
    return _back(request, query_id)


@router.post("/queries/{query_id}/cancel")
def cancel(request: Request, query_id: int, current: CsrfChecked, state: State,
           text: Text) -> Response:
    """The raiser's side cancels a query raised in error."""
    with state.unit(current) as unit:
        data_management.close_query(unit, query_id, text=text, cancel=True)
    return _back(request, query_id)


@router.post("/queries/{query_id}/reopen")
def reopen(request: Request, query_id: int, current: CsrfChecked, state: State,
           text: Text) -> Response:
    """Re-open a closed query (Closed → New)."""
    with state.unit(current) as unit:
        review.reopen_query(unit, query_id, text=text)
    return _back(request, query_id)


def _sign(state: State, current: CsrfChecked, subject: str, visit: str | None,
          password: str) -> Response:
    try:
        proof = auth.confirm_password(state.store, current.actor, password)
    except AccessError as exc:
        raise AccessError("signature refused: the password was not confirmed",
                          field="password", value=None) from exc
    with state.unit(current) as unit:
        review.sign(unit, subject, visit=visit, proof=proof)
    return RedirectResponse(f"/subjects/{quote(subject)}#signatures", status_code=303)


@router.post("/subjects/{subject}/sign")
def sign_casebook(subject: str, current: CsrfChecked, state: State,
                  password: Annotated[str, Form(max_length=256)]) -> Response:
    """The investigator signs the casebook after re-entering the password."""
    return _sign(state, current, subject, None, password)


@router.post("/subjects/{subject}/visits/{visit}/sign")
def sign_visit(subject: str, visit: str, current: CsrfChecked, state: State,
               password: Annotated[str, Form(max_length=256)]) -> Response:
    """The investigator signs one visit after re-entering the password."""
    return _sign(state, current, subject, visit, password)


@router.get("/locks")
def locks(request: Request, current: CurrentUser, state: State) -> Response:
    """Active and past locks, and the form to lock a site, subject or form."""
    with state.unit(current) as unit:
        rows = review.list_locks(unit)
        sites = visible_sites(unit)
    tables = sorted(set(FORM_TABLES.values()) - {"subject"})
    return render(request, "locks.html", current, locks=rows, sites=sites, tables=tables)


@router.post("/locks")
def add_lock(current: CsrfChecked, state: State, level: Annotated[str, Form(max_length=10)],
             reason: Text, site: Annotated[str, Form(max_length=20)] = "",
             subject: Annotated[str, Form(max_length=40)] = "",
             form: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Lock a site, a subject or one form of a subject (data manager)."""
    with state.unit(current) as unit:
        data_management.lock(unit, level=level, reason=reason, site=site or None,
                             subject=subject or None, form=form or None)
    return RedirectResponse("/locks", status_code=303)


@router.post("/locks/{lock_id}/unlock")
def unlock(lock_id: int, current: CsrfChecked, state: State, reason: Text) -> Response:
    """Unlock, with the reason (data manager)."""
    with state.unit(current) as unit:
        data_management.unlock(unit, lock_id, reason=reason)
    return RedirectResponse("/locks", status_code=303)
