"""The authorisation matrix: every route × every role × a subject of the user's own site, a
subject of another site, and no session — each answer as the permission table implies.

Expected: no session → 303 to sign-in (pages) or 401 (API); a subject at a site the user may
not see → 404; a role without the permission → 403; a permitted request → anything but 401,
403, 404 or a server error (a permitted request may still be refused as bad input, 422).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from oncotrial.protocol import load_protocol
from oncotrial.services import data_management as dm
from oncotrial.services import forms
from oncotrial.services._unit import open_unit
from oncotrial.services.admin import create_user, log_in
from oncotrial.services.auth import create_api_token
from oncotrial.services.permissions import PERMISSIONS, STUDY_WIDE_ROLES
from oncotrial.store import Actor, Store
from oncotrial.web import create_app
from oncotrial.web.access import OPEN_ROUTES, ROUTES, RouteAccess
from oncotrial.web.settings import WebSettings
from tests.web.conftest import AS_OF, PASSWORD, ROLES, Trial, build_trial, sign_in


@dataclass
class Seat:
    """One role's signed-in client, its CSRF token and its API token."""

    role: str
    client: TestClient
    csrf: str
    token: str
    site: str = ""


@pytest.fixture(scope="module")
def trial(store: Store, admin_actor: Actor) -> Trial:
    """One trial for the whole matrix (each role signs in once)."""
    return build_trial(store, admin_actor)


@pytest.fixture(scope="module")
def fixtures(store: Store, trial: Trial) -> dict[str, object]:
    """A saved lab row and a query on each subject, and a lock to unlock."""
    protocol = load_protocol()
    ids: dict[str, object] = {}
    for subject, coordinator in ((trial.subject_a, trial.user("coordinator")),
                                 (trial.subject_b, trial.user("coordinator_b"))):
        actor = log_in(store, coordinator, channel="UI")
        with open_unit(store, actor) as unit:
            forms.save_form(unit, subject, "SCREENING", "urine",
                            {"visit_date": "2019-03-05", "prot_value": "0.1",
                             "prot_unit": "g/24h"}, protocol=protocol, today=AS_OF)
        data_manager = log_in(store, trial.user("data_manager"), channel="UI")
        with open_unit(store, data_manager) as unit:
            row = unit.subject(subject, write=False).id
            ids[f"query:{subject}"] = dm.raise_query(unit, subject, table="subject", row_id=row,
                                                     field="sex", text="please check")
            ids[f"lock:{subject}"] = dm.lock(unit, level="form", subject=subject,
                                             form="medical_history", reason="matrix test")
    victim = f"victim_{trial.tag}".lower()
    with open_unit(store, log_in(store, trial.user("admin"), channel="UI")) as unit:
        create_user(unit, victim, full_name="Disposable account", role="coordinator",
                    sites=[trial.site_a])
    ids["victim"] = victim
    return ids


@pytest.fixture(scope="module")
def seats(app_url: str, trial: Trial, store: Store) -> Iterator[dict[str, Seat]]:
    """Every role signed in once, with an API token."""
    app = create_app(WebSettings(db_url=app_url, as_of=AS_OF))
    opened: dict[str, Seat] = {}
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as anonymous:
        for role in ROLES:
            client = TestClient(app, base_url="https://testserver", follow_redirects=False)
            client.__enter__()
            csrf = sign_in(client, trial.user(role))
            with open_unit(store, log_in(store, trial.user(role), channel="API")) as unit:
                token = create_api_token(unit, label="matrix")
            opened[role] = Seat(role, client, csrf, token, trial.site_a)
        opened["anonymous"] = Seat("anonymous", anonymous, "", "")
        yield opened
        for seat in opened.values():
            if seat.role != "anonymous":
                seat.client.__exit__(None, None, None)


def _path(route: RouteAccess, trial: Trial, subject: str, ids: dict[str, object]) -> str:
    values = {"subject": subject, "visit": "SCREENING", "form": "urine",
              "query_id": ids[f"query:{subject}"], "lock_id": ids[f"lock:{subject}"],
              "username": ids["victim"]}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), route.path)


def _send(seat: Seat, route: RouteAccess, path: str) -> int:
    if route.api:
        headers = {"Authorization": f"Bearer {seat.token}"} if seat.token else {}
        if route.method == "GET":
            return seat.client.get(path, headers=headers).status_code
        body = _LABS if path.endswith("/labs") else _TUMOUR
        return seat.client.post(path, headers=headers, json=body).status_code
    if route.method == "GET":
        return seat.client.get(path).status_code
    data = {"csrf_token": seat.csrf, "password": PASSWORD, "text": "matrix", "reason": "matrix",
            "level": "subject", "target": "subject|1|sex", "label": "matrix",
            "username": "new_user_matrix", "full_name": "New", "role": "coordinator",
            "old_password": PASSWORD, "new_password": PASSWORD,
            "screening_number": f"M-{seat.role}", "site": seat.site, "consent_date": "2019-03-01",
            "consent_version": "1", "sex": "F"}
    return seat.client.post(path, data=data).status_code


_LABS = {"collected_on": "2019-03-06",
         "results": [{"test_code": "NEUT", "value": 2.0, "unit": "10^9/L"}]}
_TUMOUR = {"visit": "BASELINE", "visitnum": 1, "assessed_on": "2019-03-06",
           "lesions": [{"link_id": "T01", "category": "TARGET", "location": "LUNG",
                        "diameter_mm": 20}]}


def _expected(role: str, route: RouteAccess, own: bool) -> set[str]:
    """The outcomes that leak nothing and honour the table. A role without the permission may
    be refused before or after the subject is looked up: either answer is the same whatever
    the subject, so both are accepted."""
    if role == "anonymous":
        return {"unsigned"}
    permitted = route.action is None or role in PERMISSIONS[route.action]
    if route.about_subject and not own and role not in STUDY_WIDE_ROLES:
        return {"hidden"} if permitted else {"hidden", "refused"}
    return {"permitted"} if permitted else {"refused"}


def _outcome(status: int, route: RouteAccess) -> str:
    if status in (303, 401) and not (route.method == "POST" and status == 303):
        return "unsigned"
    if status == 404:
        return "hidden"
    if status == 403:
        return "refused"
    return "permitted" if status < 500 else f"server error {status}"


_SAFE_LAST = {"/account/password", "/logout"}  # routes that end the session go last
CASES = [(r, own) for r in ROUTES if r.path not in _SAFE_LAST for own in (True, False)]


@pytest.mark.parametrize(("route", "own"), CASES,
                         ids=[f"{r.method} {r.path} {'own' if o else 'other'}" for r, o in CASES])
def test_route_answers_each_role_as_the_table_says(
    route: RouteAccess, own: bool, seats: dict[str, Seat], trial: Trial,
    fixtures: dict[str, object],
) -> None:
    """Each role, and no session, gets what the permission table implies."""
    subject = trial.subject_a if own else trial.subject_b
    path = _path(route, trial, subject, fixtures)
    seen = {}
    for role, seat in seats.items():
        status = _send(seat, route, path)
        outcome = _outcome(status, route)
        if route.method == "POST" and role == "anonymous" and not route.api:
            outcome = "unsigned" if status in (303, 403) else outcome  # no session: no CSRF
        seen[role] = (outcome, status)
    wrong = {role: got for role, got in seen.items()
             if got[0] not in _expected(role, route, own)}
    assert not wrong, f"{route.method} {path}: {wrong}"


def test_every_route_is_in_the_table() -> None:
    """No route of the app escapes the matrix (new routes must be declared with a permission)."""
    app = create_app(WebSettings(db_url="sqlite://"))
    declared = {(r.method, r.path) for r in ROUTES} | OPEN_ROUTES
    served = {(method, route.path) for route in app.routes
              for method in getattr(route, "methods", set()) - {"HEAD"}
              if not route.path.startswith("/static")}
    assert served - declared == set()
