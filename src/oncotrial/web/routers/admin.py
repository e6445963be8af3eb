"""Users and sites (administrator): create, assign, disable, reset a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from oncotrial.errors import DataError
from oncotrial.services import admin, auth
from oncotrial.types import Role
from oncotrial.web.deps import CurrentUser, State, render
from oncotrial.web.security import CsrfChecked

router = APIRouter(include_in_schema=False)


def _page(request: Request, current: CurrentUser, state: State, *, problem: str | None = None,
          message: str | None = None, status: int = 200) -> Response:
    with state.unit(current) as unit:
        users = admin.list_users(unit)
        sites = admin.list_sites(unit)
    return render(request, "users.html", current, status=status, users=users, sites=sites,
                  roles=[r.value for r in Role], problem=problem, message=message)


@router.get("/admin/users")
def users(request: Request, current: CurrentUser, state: State) -> Response:
    """Every user with role and sites."""
    return _page(request, current, state)


@router.post("/admin/users")
def create(request: Request, current: CsrfChecked, state: State,
           username: Annotated[str, Form(max_length=80)],
           full_name: Annotated[str, Form(max_length=200)],
           role: Annotated[str, Form(max_length=20)],
           password: Annotated[str, Form(max_length=256)],
           sites: Annotated[list[str] | None, Form()] = None) -> Response:
    """Create a user with a first password they must change at first sign-in."""
    try:
        with state.unit(current) as unit:
            admin.create_user(unit, username, full_name=full_name, role=role,
                              sites=sites or [])
            auth.set_password(unit, username, password, must_change=True)
    except DataError as exc:
        return _page(request, current, state, problem=str(exc), status=422)
    return _page(request, current, state, message=f"user {username} created")


@router.post("/admin/users/{username}/disable")
def disable(request: Request, username: str, current: CsrfChecked, state: State,
            reason: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    """Disable a user and end their sessions and tokens."""
    with state.unit(current) as unit:
        admin.set_user_active(unit, username, active=False, reason=reason)
        auth.revoke_user_sessions(unit, username, reason=f"account disabled: {reason}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/password")
def reset(request: Request, username: str, current: CsrfChecked, state: State,
          password: Annotated[str, Form(max_length=256)]) -> Response:
    """Reset a password (the user must change it at next sign-in)."""
    try:
        with state.unit(current) as unit:
            auth.set_password(unit, username, password, must_change=True)
    except DataError as exc:
        return _page(request, current, state, problem=str(exc), status=422)
    return _page(request, current, state, message=f"password of {username} reset")
