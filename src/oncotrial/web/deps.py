"""What every request needs: the store, the protocol, the signed-in user, a unit of work, and
the templates. Permission decisions are not made here: the services make them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from oncotrial.errors import AccessError
from oncotrial.protocol import Protocol
from oncotrial.services import auth
from oncotrial.services._unit import Unit, open_unit
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import Store
from oncotrial.web.settings import WebSettings

__all__ = [
    "SESSION_COOKIE",
    "AppState",
    "Current",
    "CurrentUser",
    "NotSignedIn",
    "PasswordChangeRequired",
    "render",
]

SESSION_COOKIE = "oncotrial_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True


class NotSignedIn(Exception):  # noqa: N818  (a state of the request, answered by a redirect)
    """No live session: HTML pages redirect to the sign-in page, the API answers 401."""


class PasswordChangeRequired(Exception):  # noqa: N818  (a state, answered by a redirect)
    """The session's password is a first or reset one: only the account page (to change
    it) and signing out are open until it is changed."""


# What a user with a first or administrator-reset password may reach: changing it, and
# leaving (NIST SP 800-63B §6.1.2.3: a temporary secret must be replaced at first use).
TEMPORARY_PASSWORD_PATHS = frozenset({"/account", "/account/password", "/logout"})


@dataclass
class AppState:
    """The application's long-lived objects (created at start-up, not at import)."""

    settings: WebSettings
    store: Store
    protocol: Protocol

    def today(self) -> date:
        """The day the casebook is seen from."""
        return self.settings.today()

    @contextmanager
    def unit(self, current: Current) -> Iterator[Unit]:
        """A unit of work (one transaction) acting as the signed-in user."""
        with open_unit(self.store, current.session.actor) as unit:
            yield unit


@dataclass(frozen=True)
class Current:
    """The signed-in user of a request and their session."""

    session: auth.SessionContext
    token: str

    @property
    def actor(self) -> Any:
        """The acting user."""
        return self.session.actor

    def may(self, action: Action) -> bool:
        """Whether the user holds a role anywhere that permits *action* (for menus only; the
        services decide at the subject's site)."""
        return bool(self.session.actor.roles & {str(r) for r in PERMISSIONS[action]})


def state_of(request: Request) -> AppState:
    """The application state."""
    app_state: AppState = request.app.state.oncotrial
    return app_state


def current_user(request: Request) -> Current:
    """The session of the request's cookie, or :class:`NotSignedIn`."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn
    try:
        session = auth.resolve_session(state_of(request).store, token)
    except AccessError as exc:
        raise NotSignedIn from exc
    if session.must_change_password and request.url.path not in TEMPORARY_PASSWORD_PATHS:
        raise PasswordChangeRequired
    return Current(session=session, token=token)


CurrentUser = Annotated[Current, Depends(current_user)]
State = Annotated[AppState, Depends(state_of)]


def render(request: Request, template: str, current: Current | None, *, status: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a page with the user, their CSRF token and the menu they may see."""
    return TEMPLATES.TemplateResponse(
        request, template,
        {"current": current, "Action": Action,
         "csrf": current.session.csrf_token if current else request.cookies.get(
             "oncotrial_login_csrf", ""),
         "today": state_of(request).today(), **context},
        status_code=status)
