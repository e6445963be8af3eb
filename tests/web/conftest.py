"""A small trial behind the web app, on SQLite and on PostgreSQL (as the application role):
two sites, one account per role with a password, subjects at both sites."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient

from oncotrial.services import admin, auth, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from oncotrial.types import Role
from oncotrial.web import create_app
from oncotrial.web.settings import WebSettings
from tests.store.backends import Backend, admin_actor, backend, store

__all__ = ["admin_actor", "backend", "store"]

PASSWORD = "correct horse battery staple"  # noqa: S105  (the test accounts' password)
AS_OF = date(2019, 6, 1)
ROLES = ("coordinator", "investigator", "monitor", "data_manager", "statistician", "admin")
_TAGS = itertools.count(1)


@dataclass(frozen=True)
class Trial:
    """Who and what the web tests use."""

    tag: str
    site_a: str
    site_b: str
    users: dict[str, str]  # role -> user name (site A for site roles)
    subject_a: str
    subject_b: str

    def user(self, role: str) -> str:
        """The account holding *role* (at site A)."""
        return self.users[role]


@pytest.fixture
def trial(store: Store, admin_actor: Actor) -> Trial:
    """A trial of its own for each test."""
    return build_trial(store, admin_actor)


def build_trial(store: Store, admin_actor: Actor) -> Trial:
    """Sites A and B, one user per role (site roles at A, a coordinator at B), two subjects."""
    tag = f"W{next(_TAGS)}"
    site_a, site_b = f"{tag}A", f"{tag}B"
    users = {role: f"{role}_{tag}".lower() for role in ROLES}
    with open_unit(store, admin_actor) as unit:
        admin.create_site(unit, site_a, name=f"Site A {tag}")
        admin.create_site(unit, site_b, name=f"Site B {tag}")
        for role, name in users.items():
            sites = [site_a] if role in ("coordinator", "investigator", "monitor") else []
            admin.create_user(unit, name, full_name=f"{role.title()} {tag}", role=Role(role),
                              sites=sites)
        admin.create_user(unit, f"coord_b_{tag}".lower(), full_name=f"Coordinator B {tag}",
                          role=Role.COORDINATOR, sites=[site_b])
        for name in [*users.values(), f"coord_b_{tag}".lower()]:
            auth.set_password(unit, name, PASSWORD)
    numbers = []
    for site, who in ((site_a, users["coordinator"]), (site_b, f"coord_b_{tag}".lower())):
        number = f"{site}-001"
        actor = admin.log_in(store, who, channel="UI")
        with open_unit(store, actor) as unit:
            subjects.register_subject(unit, number, site=site, consent_date=date(2019, 3, 4),
                                      consent_version="2.0", sex="F",
                                      birth_date=date(1960, 5, 6), histology="LMS", ecog=1)
        numbers.append(number)
    users["coordinator_b"] = f"coord_b_{tag}".lower()
    return Trial(tag=tag, site_a=site_a, site_b=site_b, users=users, subject_a=numbers[0],
                 subject_b=numbers[1])


@pytest.fixture(scope="session")
def app_url(backend: Backend) -> str:
    """The database URL the app uses (the application role on PostgreSQL)."""
    return backend.url


@pytest.fixture
def client(app_url: str, trial: Trial) -> Iterator[TestClient]:
    """A browser-like client over HTTPS (Secure cookies) against a fresh app."""
    app = create_app(WebSettings(db_url=app_url, as_of=AS_OF))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    """The CSRF token a page carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": csrf_of(page.text), "next": "/"})
    assert answer.status_code == 303, answer.text[:500]
    home = client.get("/account")
    assert home.status_code == 200
    return csrf_of(home.text)
