"""Case report form pages: show, save, verify against source, raise a query, preview a grade.

Saving follows post/redirect/get: a good save redirects back to the page, which shows what the
rules derived (grades, BSA, DLT verdicts, the RECIST response); a refused save shows the page
again with every problem beside its field and nothing saved.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from oncotrial.errors import DataError
from oncotrial.services import forms, review
from oncotrial.services._form_kinds import lab_preview
from oncotrial.web.deps import CurrentUser, State, render
from oncotrial.web.security import CsrfChecked

router = APIRouter(include_in_schema=False)
_PAGE = "/subjects/{subject}/visits/{visit}/forms/{form}"
_RESERVED = {"csrf_token", "entry", "version", "reason"}


def _url(subject: str, visit: str, form: str) -> str:
    return _PAGE.format(subject=quote(subject), visit=quote(visit), form=quote(form))


@router.get(_PAGE)
def form_page(request: Request, subject: str, visit: str, form: str, current: CurrentUser,
              state: State, saved: int = 0) -> Response:
    """The form, its entries with what the rules derived, queries and verification marks."""
    with state.unit(current) as unit:
        page = forms.form_page(unit, subject, visit, form, protocol=state.protocol,
                               today=state.today())
        queries = review.list_queries(unit, subject=subject)
    mine = [q for q in queries
            if any(f.row is not None and (f.row.table, f.row.id) == (q.table, q.row_id)
                   for e in page.entries for f in e.fields)]
    return render(request, "form.html", current, page=page, queries=mine, saved=saved,
                  url=_url(subject, visit, form), problems=())


@router.post(_PAGE)
async def save(request: Request, subject: str, visit: str, form: str, current: CsrfChecked,
               state: State) -> Response:
    """Save a new entry, or a change (entry, version and reason) to a saved one."""
    data = await request.form()
    raw = {k: v for k, v in data.items() if isinstance(v, str) and k not in _RESERVED}
    entry = str(data.get("entry") or forms.NEW)
    version_text = str(data.get("version") or "")
    version = int(version_text) if version_text.isdigit() else None
    reason = str(data.get("reason") or "") or None
    try:
        with state.unit(current) as unit:
            outcome = forms.save_form(unit, subject, visit, form, raw, protocol=state.protocol,
                                      today=state.today(), entry=entry, version=version,
                                      reason=reason)
    except forms.FormError as exc:
        with state.unit(current) as unit:
            page = forms.form_page(unit, subject, visit, form, protocol=state.protocol,
                                   today=state.today(), raw=raw, problems=exc.problems,
                                   entry_key=None if entry == forms.NEW else entry)
        return render(request, "form.html", current, status=422, page=page, queries=[],
                      saved=0, url=_url(subject, visit, form), problems=exc.problems,
                      failed_entry=entry, reason=reason or "",
                      visit_date=raw.get("visit_date", ""))
    return RedirectResponse(f"{_url(subject, visit, form)}?saved={len(outcome.messages)}",
                            status_code=303)


@router.post(_PAGE + "/verify")
def verify(request: Request, subject: str, visit: str, form: str, current: CsrfChecked,
           state: State, table: Annotated[str, Form(max_length=40)] = "",
           row: Annotated[int, Form(ge=0)] = 0,
           field: Annotated[str, Form(max_length=60)] = "") -> Response:
    """Verify one field, or (no table given) every source field of the form, against source."""
    with state.unit(current) as unit:
        if table:
            refs = [(table, row, field or None)]
        else:
            page = forms.form_page(unit, subject, visit, form, protocol=state.protocol,
                                   today=state.today())
            refs = list(dict.fromkeys((r.table, r.id, None) for r in page.status.rows))
        review.verify_fields(unit, subject, refs)
    return RedirectResponse(_url(subject, visit, form), status_code=303)


@router.post(_PAGE + "/query")
def raise_query(request: Request, subject: str, visit: str, form: str, current: CsrfChecked,
                state: State, target: Annotated[str, Form(max_length=120)],
                text: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    """Raise a query on one field (monitor or data manager); *target* is table|row|field."""
    table, _, rest = target.partition("|")
    row, _, field = rest.partition("|")
    if not row.isdigit():
        raise DataError("not a field of this form", field="target", value=target)
    with state.unit(current) as unit:
        review.raise_field_query(unit, subject, table=table, row_id=int(row), field=field,
                                 text=text)
    return RedirectResponse(_url(subject, visit, form), status_code=303)


@router.post("/preview/lab", response_class=HTMLResponse)
async def preview_lab(request: Request, current: CsrfChecked) -> HTMLResponse:
    """The CTCAE v5.0 grade of a lab value as it is typed (nothing is saved)."""
    data = await request.form()
    code = str(data.get("code", ""))[:8]
    key = code.lower()
    text = lab_preview(code, str(data.get(f"{key}_value", "")), str(data.get(f"{key}_unit", "")),
                       str(data.get(f"{key}_lln", "")), str(data.get(f"{key}_uln", "")))
    from markupsafe import escape  # noqa: PLC0415  (only this route builds HTML by hand)

    return HTMLResponse(f'<span class="derived">{escape(text)}</span>')
