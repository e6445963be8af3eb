"""Every route of the web EDC and its API with the permission it needs.

This is documentation and test input, not enforcement: the services decide (see
:mod:`oncotrial.services.permissions`). The authorisation-matrix test sends each route as
each role, for a subject of the user's own site and of another site and with no session, and
expects what this table and the permission table imply; ``oncotrial user roles --routes``
prints it for the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.types import Role

__all__ = ["OPEN_ROUTES", "ROUTES", "RouteAccess", "route_table"]


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """One route: what it needs, and whether it is about one subject (then a subject of a site
    the user may not see answers 404)."""

    method: Literal["GET", "POST"]
    path: str
    action: Action | None  # None: any signed-in user
    about_subject: bool = False

    @property
    def api(self) -> bool:
        """Whether the route belongs to the JSON API (bearer token, 401 without one)."""
        return self.path.startswith("/api/")


_F = "/subjects/{subject}/visits/{visit}/forms/{form}"
A = Action
ROUTES: tuple[RouteAccess, ...] = (
    RouteAccess("GET", "/", A.VIEW_CASEBOOK),
    RouteAccess("GET", "/subjects/new", A.ENTER_DATA),
    RouteAccess("POST", "/subjects", A.ENTER_DATA),
    RouteAccess("GET", "/subjects/{subject}", A.VIEW_CASEBOOK, about_subject=True),
    RouteAccess("GET", _F, A.VIEW_CASEBOOK, about_subject=True),
    RouteAccess("POST", _F, A.ENTER_DATA, about_subject=True),
    RouteAccess("POST", _F + "/verify", A.VERIFY, about_subject=True),
    RouteAccess("POST", _F + "/query", A.RAISE_QUERY, about_subject=True),
    RouteAccess("POST", "/preview/lab", None),
    RouteAccess("GET", "/queries", A.VIEW_CASEBOOK),
    RouteAccess("POST", "/queries/{query_id}/answer", A.ANSWER_QUERY, about_subject=True),
    RouteAccess("POST", "/queries/{query_id}/close", A.RAISE_QUERY, about_subject=True),
    RouteAccess("POST", "/queries/{query_id}/cancel", A.RAISE_QUERY, about_subject=True),
    RouteAccess("POST", "/queries/{query_id}/reopen", A.RAISE_QUERY, about_subject=True),
    RouteAccess("POST", "/subjects/{subject}/sign", A.SIGN, about_subject=True),
    RouteAccess("POST", "/subjects/{subject}/visits/{visit}/sign", A.SIGN, about_subject=True),
    RouteAccess("GET", "/audit", A.VIEW_AUDIT),
    RouteAccess("GET", "/audit/export.csv", A.VIEW_AUDIT),
    RouteAccess("GET", "/exports", A.EXPORT),
    RouteAccess("GET", "/exports/sdtm.zip", A.EXPORT),
    RouteAccess("GET", "/exports/odm.xml", A.EXPORT),
    RouteAccess("GET", "/dashboard", A.VIEW_DASHBOARD),
    RouteAccess("GET", "/locks", A.LOCK),
    RouteAccess("POST", "/locks", A.LOCK),
    RouteAccess("POST", "/locks/{lock_id}/unlock", A.LOCK),
    RouteAccess("GET", "/admin/users", A.MANAGE_USERS),
    RouteAccess("POST", "/admin/users", A.MANAGE_USERS),
    RouteAccess("POST", "/admin/users/{username}/disable", A.MANAGE_USERS),
    RouteAccess("POST", "/admin/users/{username}/password", A.MANAGE_USERS),
    RouteAccess("GET", "/account", None),
    RouteAccess("POST", "/account/password", None),
    RouteAccess("POST", "/account/tokens", None),
    RouteAccess("GET", "/api/subjects", A.VIEW_CASEBOOK),
    RouteAccess("GET", "/api/subjects/{subject}", A.VIEW_CASEBOOK, about_subject=True),
    RouteAccess("GET", "/api/subjects/{subject}/visits/{visit}/forms/{form}", A.VIEW_CASEBOOK,
                about_subject=True),
    RouteAccess("GET", "/api/subjects/{subject}/audit", A.VIEW_AUDIT, about_subject=True),
    RouteAccess("POST", "/api/subjects/{subject}/labs", A.ENTER_DATA, about_subject=True),
    RouteAccess("POST", "/api/subjects/{subject}/tumour-assessments", A.ENTER_DATA,
                about_subject=True),
)

#: routes open to everyone (signing in, static files, the API's schema)
OPEN_ROUTES = frozenset({("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
                         ("GET", "/api/openapi.json")})


def route_table() -> str:
    """The routes × roles table as Markdown (yes: permitted; a subject of a site the user
    does not see answers 404 whatever the role)."""
    roles = list(Role)
    lines = ["| route | needs | " + " | ".join(r.value for r in roles) + " |",
             "|---|---|" + "---|" * len(roles)]
    for r in ROUTES:
        needs = "signed in" if r.action is None else r.action.value
        cells = ["yes" if r.action is None or role in PERMISSIONS[r.action] else "-"
                 for role in roles]
        lines.append(f"| `{r.method} {r.path}` | {needs} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m oncotrial.web.access: the README's route table
    print(route_table())
