"""Web hardening: security headers, a request body limit and CSRF checks.

- Headers (OWASP ASVS V14.4): a Content-Security-Policy with no inline script or style,
  ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff``, a same-origin referrer,
  and ``Cache-Control: no-store`` (pages hold patient data).
- Bodies larger than the limit are refused with 413 before they are read.
- Every state-changing request of a signed-in browser carries the session's CSRF token, in
  the ``X-CSRF-Token`` header (htmx sends it) or the ``csrf_token`` form field; the sign-in
  form carries a token bound to a cookie (double submit). The API uses bearer tokens, no
  cookies, and needs none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncotrial.errors import AccessError
from oncotrial.services.auth import tokens_match
from oncotrial.web.deps import Current, current_user

__all__ = ["CSP", "CsrfChecked", "SecurityMiddleware", "check_csrf"]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class BodyTooLarge(Exception):  # noqa: N818
    """The request body passed the limit."""


class SecurityMiddleware:
    """Adds the security headers to every response and limits request bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise BodyTooLarge
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name for name, _ in headers}
                headers += [h for h in _HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited, with_headers)
        except BodyTooLarge:
            await _too_large(send, self.max_body_bytes)


async def _too_large(send: Send, limit: int) -> None:
    body = f"request body larger than {limit} bytes".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def check_csrf(request: Request, current: Annotated[Current, Depends(current_user)],
                     ) -> Current:
    """The signed-in user, if the request carries their session's CSRF token."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not tokens_match(current.session.csrf_token, given):
        raise AccessError("the form is out of date or was not sent by this site (CSRF token "
                          "missing or wrong); reload the page", field="csrf_token", value=None)
    return current


CsrfChecked = Annotated[Current, Depends(check_csrf)]
