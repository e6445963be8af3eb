"""Sign in and out, change one's password, manage one's API tokens."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from oncotrial.errors import AccessError, DataError
from oncotrial.services import auth
from oncotrial.services.auth import tokens_match
from oncotrial.web.deps import SESSION_COOKIE, CurrentUser, State, render
from oncotrial.web.security import CsrfChecked

router = APIRouter(include_in_schema=False)
LOGIN_CSRF = "oncotrial_login_csrf"


def _safe_next(target: str) -> str:
    """Only a path on this site (no open redirect)."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form, with a fresh token bound to a cookie (login CSRF)."""
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, next=_safe_next(next), username="",
                      problem=None, csrf=token)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                        secure=request.app.state.oncotrial.settings.secure_cookies, path="/login")
    return response


@router.post("/login")
def login(
    request: Request, state: State, username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password; a new session (and a new cookie: no fixation) on success."""
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not tokens_match(expected, csrf_token):
        return _login_again(request, next, username, "the sign-in form expired; try again", 403)
    host = request.client.host if request.client else "?"
    client = f"{host} {request.headers.get('user-agent', '')[:80]}"
    try:
        actor = auth.authenticate(state.store, username, password, client=client)
    except AccessError as exc:
        return _login_again(request, next, username, str(exc).split(": ", 1)[-1], 401)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        auth.close_session(state.store, previous, reason="replaced by a new sign-in")
    ticket = auth.open_session(state.store, actor, client=client)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, ticket.token, httponly=True, samesite="strict",
                        secure=state.settings.secure_cookies, path="/")
    response.delete_cookie(LOGIN_CSRF, path="/login")
    return response


def _login_again(request: Request, target: str, username: str, problem: str,
                 status: int) -> Response:
    """The sign-in form again, with the problem and a fresh login token."""
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status=status, next=_safe_next(target),
                      username=username, problem=problem, csrf=token)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                        secure=request.app.state.oncotrial.settings.secure_cookies, path="/login")
    return response


@router.post("/logout")
def logout(current: CsrfChecked, state: State) -> Response:
    """End the session."""
    auth.close_session(state.store, current.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, current: CurrentUser, state: State) -> Response:
    """The user's account: password and API tokens."""
    return render(request, "account.html", current, message=None, problem=None, token=None)


@router.post("/account/password")
def change_password(
    request: Request, current: CsrfChecked, state: State,
    old_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Change one's own password (the old one is checked first)."""
    try:
        auth.confirm_password(state.store, current.actor, old_password)
        with state.unit(current) as unit:
            auth.set_password(unit, current.actor.username, new_password)
    except (AccessError, DataError) as exc:
        return render(request, "account.html", current, status=422, message=None,
                      problem=str(exc), token=None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/tokens")
def new_token(request: Request, current: CsrfChecked, state: State,
              label: Annotated[str, Form(max_length=80)],
              days: Annotated[int, Form(ge=1, le=366)] = 90) -> Response:
    """Create an API token; it is shown once."""
    with state.unit(current) as unit:
        token = auth.create_api_token(unit, label=label, days=days)
    return render(request, "account.html", current, message="Copy the token now: it is not "
                  "shown again.", problem=None, token=token)
