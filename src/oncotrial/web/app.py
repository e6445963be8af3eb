"""``create_app(settings)``: the web EDC on the services.

Errors become responses in one place (:func:`_errors`): a missing or hidden record is 404, a
refusal 403, a stale or concurrent change 409, a locked record 423, bad input 422; an HTML
page shows the message, the API answers JSON. No traceback reaches a browser.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncotrial.errors import (
    AccessError,
    ConcurrencyError,
    DataError,
    LockedError,
    NotFoundError,
    OncotrialError,
)
from oncotrial.protocol import load_protocol
from oncotrial.store import Store
from oncotrial.web.deps import AppState, NotSignedIn, PasswordChangeRequired, render
from oncotrial.web.security import SecurityMiddleware
from oncotrial.web.settings import WebSettings

__all__ = ["create_app"]

_LOG = logging.getLogger("oncotrial.web")


def _status(exc: OncotrialError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AccessError):
        return 403
    if isinstance(exc, ConcurrencyError):
        return 409
    if isinstance(exc, LockedError):
        return 423
    return 422  # bad input: a value the rules refuse (DataError, RuleError, ProtocolError…)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"error": "not signed in"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def _password_change_required(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=403, headers={"HX-Redirect": "/account"})
    return RedirectResponse("/account", status_code=303)


def _answer(request: Request, status: int, message: str,
            field: str | None = None) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message, "field": field}, status_code=status)
    return render(request, "error.html", None, status=status, message=message, code=status)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OncotrialError)
    return _answer(request, _status(exc), str(exc), getattr(exc, "field", None))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return _answer(request, exc.status_code, str(exc.detail))


def _refusal(error: Mapping[str, Any]) -> tuple[str, str]:
    """One refused value of a request, in the words a service uses (field=value: why)."""
    where = [str(p) for p in error["loc"][1:]]
    ctx = error.get("ctx") or {}
    if error["type"] == "oncotrial":  # a rule of the services' input models
        field = ".".join([*where, str(ctx["field"])])
        text = DataError(str(ctx["message"]), field=field, value=ctx.get("value"),
                         allowed=str(ctx.get("allowed")) or None)
        return field, str(text)
    field = ".".join(where) or "request"
    if error["type"] == "missing" or not where:
        return field, f"{field}: {error['msg']}"
    return field, str(DataError(error["msg"], field=field, value=error.get("input")))


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [_refusal(e) for e in exc.errors()]
    return _answer(request, 422, "; ".join(text for _, text in problems),
                   problems[0][0] if problems else None)


async def _unexpected(request: Request, exc: Exception) -> Response:
    _LOG.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _answer(request, 500, "an unexpected error occurred; it has been logged")


def _errors(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    app.add_exception_handler(OncotrialError, _refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _unexpected)


_GC_YOUNG = 20_000  # allocations between young collections (CPython's default is 700)


def _tune_gc() -> None:
    """A long-lived server: the objects alive after start-up (protocol, templates, mappers)
    move to the permanent generation, so full collections stop rescanning them on every
    request (the Python docs' advice for ``gc.freeze``), and young collections run less often
    on pages that make thousands of small objects (p95 of the casebook matrix: about 200 →
    130 ms, ``benchmarks/web_benchmark.py``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, 20, 20)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The web EDC for *settings* (``None``: from the ``ONCOTRIAL_*`` environment)."""
    settings = settings or WebSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_url)
        app.state.oncotrial = AppState(settings=settings, store=store,
                                       protocol=load_protocol(settings.protocol_path))
        if settings.tune_gc:
            _tune_gc()
        try:
            yield
        finally:
            store.dispose()

    app = FastAPI(title="oncotrial API", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Read subjects, visits, forms and the audit trail of your sites; "
                              "submit lab results and tumour measurements. Bearer token per "
                              "user (create one under Account).")
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_body_bytes)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")),
              name="static")
    _errors(app)
    from oncotrial.web.routers import ROUTERS  # noqa: PLC0415  (routers need the app's deps)

    for router in ROUTERS:
        app.include_router(router)
    return app
