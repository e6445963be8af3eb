"""PostgreSQL: `db grant` gives the application role exactly what the commands need, every
store-writing command runs as that role, and the chain lock neither deadlocks one thread's two
units nor waits for ever."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import ConcurrencyError
from oncotrial.services import admin, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade
from oncotrial.store.schema import AuditLog, LabResult
from oncotrial.types import Channel, Role
from tests.store.backends import (
    Backend,
    World,
    create_pg_database,
    drop_pg_database,
    give_password,
    pg_admin_url,
)

ROLE = "oncotrial_grant_test"
_ADVISORY_LOCK_KEY = 5_208_661_997  # the chain lock of oncotrial.store.audit


def _granted_database(name: str) -> tuple[str, str]:
    """A migrated database, the role created, `db grant` run through the CLI; (owner, app) URLs."""
    owner = create_pg_database(pg_admin_url(), name)
    upgrade(owner)
    engine = create_engine(owner, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}):
            connection.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
    engine.dispose()
    result = CliRunner().invoke(app, ["db", "grant", "--role", ROLE, "--db", owner])
    assert result.exit_code == 0, result.output
    return owner, make_url(owner).set(username=ROLE).render_as_string(hide_password=False)


@pytest.fixture
def granted() -> Iterator[tuple[str, str, str]]:
    """Two granted databases: (owner URL, app URL, app URL of an empty import target)."""
    names = [f"oncotrial_roles_{os.getpid()}", f"oncotrial_roles_{os.getpid()}_target"]
    try:
        owner, app_url = _granted_database(names[0])
        _owner2, target = _granted_database(names[1])
        yield owner, app_url, target
    finally:
        for name in names:
            drop_pg_database(pg_admin_url(), name)


def test_grant_is_exactly_what_the_commands_need(granted: tuple[str, str, str]) -> None:
    """SELECT/INSERT/UPDATE on the casebook, SELECT/INSERT on the log, SELECT on the schema
    revision, USAGE/SELECT/UPDATE on sequences; no DELETE, TRUNCATE, REFERENCES, TRIGGER."""
    owner, _app, _target = granted
    engine = create_engine(owner)
    with engine.connect() as connection:
        tables = list(connection.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
        rights = {
            (table, right): connection.scalar(
                text("SELECT has_table_privilege(:r, :t, :p)"),
                {"r": ROLE, "t": table, "p": right})
            for table in tables
            for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                          "TRIGGER")
        }
        sequences = list(connection.scalars(text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")))
        sequence_rights = {
            connection.scalar(text("SELECT has_sequence_privilege(:r, :s, :p)"),
                              {"r": ROLE, "s": s, "p": p})
            for s in sequences for p in ("USAGE", "SELECT", "UPDATE")
        }
    engine.dispose()
    expected = {}
    for table in tables:
        allowed = {"SELECT", "INSERT", "UPDATE"}
        if table == "audit_log":
            allowed = {"SELECT", "INSERT"}
        if table == "alembic_version":
            allowed = {"SELECT"}
        for right in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES",
                      "TRIGGER"):
            expected[(table, right)] = right in allowed
    assert rights == expected
    assert sequences
    assert sequence_rights == {True}


def _populate(url: str) -> None:
    store = Store(url)
    boss = admin.bootstrap_admin(store, username="admin", full_name="Ada Admin")
    with open_unit(store, boss) as unit:
        admin.create_site(unit, "01", name="Site one")
        admin.create_user(unit, "inv", full_name="Ivy Investigator", role=Role.INVESTIGATOR,
                          sites=["01"])
        admin.create_user(unit, "dm", full_name="Dana Manager", role=Role.DATA_MANAGER)
    inv = admin.log_in(store, "inv", channel=Channel.API)
    with open_unit(store, inv) as unit:
        subjects.register_subject(unit, "01-001", site="01", consent_date=date(2019, 3, 4),
                                  consent_version="2.0", sex="F")
        safety.record_lab(unit, "01-001", collected_on=date(2019, 4, 8), test_code="NEUT",
                          value=0.9, unit_of_measure="10^9/L", lln=1.8, uln=7.5)
    store.dispose()


def test_every_store_command_runs_as_the_application_role(
    granted: tuple[str, str, str], tmp_path: Path
) -> None:
    """As the granted role: the services write, `odm export` (both kinds), `export sdtm`,
    `audit verify`, `audit checkpoint` and `odm import` (which moves sequences) all succeed."""
    _owner, app_url, target = granted
    assert make_url(app_url).username == ROLE
    _populate(app_url)
    _populate_target = Store(target)
    admin.bootstrap_admin(_populate_target, username="dm", full_name="Dana Manager")
    give_password(_populate_target, "dm")
    _populate_target.dispose()
    source = Store(app_url)
    env = give_password(source, "dm")
    source.dispose()
    runner = CliRunner(env=env)
    key = tmp_path / "key"
    key.write_text("k" * 64)
    commands = [
        ["odm", "export", "--db", app_url, "--user", "dm", "--out", str(tmp_path / "s.xml")],
        ["odm", "export", "--db", app_url, "--user", "dm", "--type", "transactional",
         "--out", str(tmp_path / "t.xml")],
        ["export", "sdtm", "--db", app_url, "--user", "dm", "--out", str(tmp_path / "sdtm")],
        ["audit", "checkpoint", "--db", app_url, "--checkpoints", str(tmp_path / "cp"),
         "--key-file", str(key)],
        ["audit", "verify", "--db", app_url, "--checkpoints", str(tmp_path / "cp"),
         "--key-file", str(key)],
        ["odm", "import", "--db", target, "--user", "dm", "--file", str(tmp_path / "s.xml")],
        ["audit", "verify", "--db", target],
    ]
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output, result.exception)
    store = Store(target)
    with store.snapshot() as session:
        assert session.scalar(select(func.count()).select_from(LabResult)) == 1
    admin.log_in(store, "dm", channel=Channel.CLI)  # new ids after the import's explicit ones
    store.dispose()


def test_application_role_cannot_delete_casebook_rows(granted: tuple[str, str, str]) -> None:
    """Deletes are logical: the role has no DELETE on any table."""
    _owner, app_url, _target = granted
    _populate(app_url)
    engine = create_engine(app_url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError, match="permission denied"):
            connection.execute(text("DELETE FROM lab_result"))
    finally:
        engine.dispose()


@pytest.mark.timeout(120)
def test_two_units_in_one_thread_do_not_wait_on_each_other(
    backend: Backend, store: Store, world: World
) -> None:
    """Unit A writes, unit B writes and commits, then A commits: the chain lock is taken at
    commit only, so neither waits for the other (it used to be held from A's first step)."""
    if backend.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by design (BEGIN IMMEDIATE)")
    numbers = [world.subject_number(901), world.subject_number(902)]
    with open_unit(store, world.inv_a) as first:
        subjects.register_subject(first, numbers[0], site=world.site_a,
                                  consent_date=date(2019, 3, 4), consent_version="2", sex="F")
        with open_unit(store, world.inv_a) as second:
            subjects.register_subject(second, numbers[1], site=world.site_a,
                                      consent_date=date(2019, 3, 4), consent_version="2",
                                      sex="M")
    with open_unit(store, world.inv_a) as unit:
        assert [unit.subject(n, write=False).screening_number for n in numbers] == numbers


def test_chain_lock_wait_is_bounded(backend: Backend, world: World) -> None:
    """A commit that cannot get the chain lock in time fails with a clear ConcurrencyError and
    writes nothing."""
    if backend.name != "postgresql":
        pytest.skip("the chain lock is a PostgreSQL advisory lock")
    holder = create_engine(backend.url)
    impatient = Store(backend.url, lock_timeout_s=0.5)
    number = world.subject_number(903)
    try:
        with holder.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
            try:
                with (pytest.raises(ConcurrencyError, match="chain lock was not free"),
                      open_unit(impatient, world.inv_a) as unit):
                    subjects.register_subject(unit, number, site=world.site_a,
                                              consent_date=date(2019, 3, 4),
                                              consent_version="2", sex="F")
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"),
                                   {"k": _ADVISORY_LOCK_KEY})
        with impatient.snapshot() as session:
            logged = session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.new_value == f'"{number}"'))
        assert logged == 0
    finally:
        impatient.dispose()
        holder.dispose()


@pytest.mark.parametrize(("role", "plain"), [("oncotrial_app_2", True), ("rôle", False),
                                             ("app-role", False), ("app role", False)])
def test_role_names_are_plain_ascii(role: str, plain: bool) -> None:
    """The role name is letters, digits and underscores of ASCII, as the message says (a
    non-ASCII letter passed ``str.isalnum``); a plain name gets past that check to the
    existence check."""
    from oncotrial.errors import DataError
    from oncotrial.store import grant_application_role

    engine = create_engine(pg_admin_url())
    try:
        with engine.connect() as connection, pytest.raises(DataError) as refused:
            grant_application_role(connection, role)
    finally:
        engine.dispose()
    words = "no such PostgreSQL role" if plain else "not a plain role name"
    assert words in str(refused.value)
