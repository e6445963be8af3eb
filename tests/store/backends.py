"""Database fixtures shared by the store, services and interchange tests.

Every test that takes ``store`` runs twice: on SQLite (always) and on PostgreSQL when
``ONCOTRIAL_TEST_PG_ADMIN_URL`` names a superuser (``.ci/run`` sets it; locally the
PostgreSQL half is skipped). On PostgreSQL one database per test session is migrated once and
the tests connect as an application role that has no UPDATE/DELETE right on the change log.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from oncotrial.services import admin
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store, grant_application_role, upgrade
from oncotrial.types import Channel, Role
from tests.conftest import require_env

APP_ROLE = "oncotrial_test_app"
_COUNTER = itertools.count(1)


def pg_admin_url() -> str:
    """The PostgreSQL superuser URL (skips locally, fails in CI when missing)."""
    return require_env("ONCOTRIAL_TEST_PG_ADMIN_URL", "a PostgreSQL superuser URL")


def create_pg_database(admin_url: str, name: str) -> str:
    """Create an empty database *name* and return its superuser URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, name: str) -> None:
    """Drop database *name*."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@dataclass(frozen=True)
class Backend:
    """A migrated database: the URL the application uses and the owner's URL."""

    name: str
    url: str
    owner_url: str


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A database migrated to head, once per test session and backend."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("store") / "oncotrial.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield Backend("sqlite", url, url)
        return
    admin_url = pg_admin_url()
    name = f"oncotrial_test_{os.getpid()}"
    owner_url = create_pg_database(admin_url, name)
    upgrade(owner_url)
    engine = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        )
        if not exists:
            connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN"))
        grant_application_role(connection, APP_ROLE)
    engine.dispose()
    app_url = make_url(owner_url).set(username=APP_ROLE).render_as_string(hide_password=False)
    try:
        yield Backend("postgresql", app_url, owner_url)
    finally:
        drop_pg_database(admin_url, name)


@pytest.fixture(scope="session")
def store(backend: Backend) -> Iterator[Store]:
    """The application's store on the session database."""
    st = Store(backend.url)
    yield st
    st.dispose()


@pytest.fixture(scope="session")
def admin_actor(store: Store) -> Actor:
    """The first administrator, created once per database."""
    return admin.bootstrap_admin(store, username="admin", full_name="Ada Admin")


@dataclass(frozen=True)
class World:
    """Two sites and their users, unique to one test."""

    site_a: str
    site_b: str
    inv_a: Actor
    inv_b: Actor
    coord_a: Actor
    monitor_a: Actor
    data_manager: Actor
    statistician: Actor
    tag: str

    def subject_number(self, n: int) -> str:
        """A screening number unique to this test."""
        return f"{self.tag}-{n:03d}"


@pytest.fixture
def world(store: Store, admin_actor: Actor) -> World:
    """Fresh sites A and B with an investigator each, a coordinator and monitor at A, a DM."""
    tag = f"T{next(_COUNTER)}"
    site_a, site_b = f"{tag}A", f"{tag}B"
    users = {
        "inv_a": (Role.INVESTIGATOR, [site_a]),
        "inv_b": (Role.INVESTIGATOR, [site_b]),
        "coord_a": (Role.COORDINATOR, [site_a]),
        "monitor_a": (Role.MONITOR, [site_a]),
        "data_manager": (Role.DATA_MANAGER, []),
        "statistician": (Role.STATISTICIAN, []),
    }
    with open_unit(store, admin_actor) as unit:
        admin.create_site(unit, site_a, name=f"Site A {tag}")
        admin.create_site(unit, site_b, name=f"Site B {tag}")
        for key, (role, sites) in users.items():
            admin.create_user(
                unit, f"{key}_{tag}", full_name=f"{key} {tag}", role=role, sites=sites
            )
    actors = {key: admin.log_in(store, f"{key}_{tag}", channel=Channel.API) for key in users}
    return World(site_a=site_a, site_b=site_b, tag=tag, **actors)


CLI_PASSWORD = "quiet harbour casebook 7"  # noqa: S105 - the test users' password


def give_password(store: Store, username: str) -> dict[str, str]:
    """Give *username* the password :data:`CLI_PASSWORD` (set by the user themself, so it
    works for any role) and return the environment a CLI command reads it from."""
    from oncotrial.services import auth

    actor = admin.log_in(store, username, channel=Channel.CLI)
    with open_unit(store, actor) as unit:
        auth.set_password(unit, username, CLI_PASSWORD)
    return {"ONCOTRIAL_PASSWORD": CLI_PASSWORD}
