"""Tamper evidence over data and log: `audit verify` finds a direct edit of the data, and with
signed checkpoints kept outside the database a truncated log and a recomputed chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, select, text
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.services import admin, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.services.database import create_checkpoint_key, verify_audit
from oncotrial.store import Store, upgrade
from oncotrial.store.audit import _entry_hash
from oncotrial.store.schema import AuditLog, LabResult
from oncotrial.types import Channel, Role
from tests.store.backends import create_pg_database, drop_pg_database, pg_admin_url


@pytest.fixture(params=["sqlite", "postgresql"])
def trial_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database (owner URL) with one subject, one lab result and two log-ins last."""
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'trial.db'}"
    else:
        name = f"oncotrial_tamper_{os.getpid()}"
        url = create_pg_database(pg_admin_url(), name)
    try:
        upgrade(url)
        store = Store(url)
        boss = admin.bootstrap_admin(store, username="admin", full_name="Ada Admin")
        with open_unit(store, boss) as unit:
            admin.create_site(unit, "01", name="Site one")
            admin.create_user(unit, "inv", full_name="Ivy Investigator",
                              role=Role.INVESTIGATOR, sites=["01"])
        inv = admin.log_in(store, "inv", channel=Channel.API)
        with open_unit(store, inv) as unit:
            subjects.register_subject(unit, "01-001", site="01", consent_date=date(2019, 3, 4),
                                      consent_version="2.0", sex="F")
            safety.record_lab(unit, "01-001", collected_on=date(2019, 4, 8), test_code="NEUT",
                              value=0.9, unit_of_measure="10^9/L", lln=1.8, uln=7.5)
        admin.log_in(store, "inv", channel=Channel.API)
        admin.log_in(store, "inv", channel=Channel.API)
        store.dispose()
        yield url
    finally:
        if name:
            drop_pg_database(pg_admin_url(), name)


def _tamper(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # the superuser passes the trigger
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _recompute_chain(connection: Connection, start: int) -> None:
    """What an attacker with database access does: rehash every entry from *start* on."""
    prev = connection.scalar(select(AuditLog.entry_hash).where(AuditLog.seq == start - 1))
    rows = connection.execute(
        select(AuditLog.__table__).where(AuditLog.seq >= start).order_by(AuditLog.seq)
    ).mappings()
    for row in [dict(r) for r in rows]:
        row["prev_hash"] = prev
        prev = row["entry_hash"] = _entry_hash(row)
        connection.execute(
            text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE seq = :s"),
            {"p": row["prev_hash"], "h": row["entry_hash"], "s": row["seq"]},
        )


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """A new checkpoint key, kept outside the database."""
    path = tmp_path / "audit.key"
    create_checkpoint_key(path)
    return path


def test_intact_database_verifies_and_says_what_it_checked(trial_db: str, tmp_path: Path,
                                                           key: Path) -> None:
    """Chain, every row and the checkpoints agree; the report counts entries, rows, tables."""
    checkpoints = tmp_path / "audit.checkpoints"
    first = verify_audit(trial_db, checkpoints=checkpoints, key_file=key, record=True)
    assert first.ok
    assert first.checkpoint_written is not None
    report = verify_audit(trial_db, checkpoints=checkpoints, key_file=key)
    assert report.ok
    assert report.checkpoints_checked == 1
    assert report.store.entries == first.checkpoint_written.entries > 0
    assert report.store.rows >= 6  # site, 2 users, user_site, subject, lab result
    assert report.store.tables >= 20
    assert report.seconds >= 0


def test_direct_edit_of_a_lab_value_is_reported(trial_db: str) -> None:
    """An UPDATE behind the application's back: table, row, field, logged and stored value;
    the CLI exits 1 and prints the same."""
    _tamper(trial_db, "UPDATE lab_result SET value = 9.9")
    report = verify_audit(trial_db)
    assert report.store.chain.ok
    assert not report.ok
    engine = create_engine(trial_db)
    with engine.connect() as connection:
        lab_id = connection.scalar(select(LabResult.id))
    engine.dispose()
    assert [(m.table, m.row_id, m.field, m.logged, m.stored)
            for m in report.store.mismatches] == [("lab_result", lab_id, "value", 0.9, 9.9)]
    result = CliRunner().invoke(app, ["audit", "verify", "--db", trial_db])
    assert result.exit_code == 1
    assert f"lab_result row {lab_id} value: log says 0.9, database holds 9.9" in result.output


def test_row_inserted_behind_the_log_is_reported(trial_db: str) -> None:
    """A row the log never saw inserted is a whole-row difference."""
    _tamper(trial_db, "INSERT INTO site (id, code, name, version, deleted) "
                      "VALUES (77, 'X', 'Ghost', 1, false)")
    report = verify_audit(trial_db)
    assert [(m.table, m.row_id, m.field) for m in report.store.mismatches] == [("site", 77, "*")]


def test_truncated_log_is_detected_by_the_checkpoint(trial_db: str, tmp_path: Path,
                                                      key: Path) -> None:
    """Deleting the newest entries (two log-in events) leaves a valid chain and matching rows;
    the checkpoint taken before shows the log is shorter than it was."""
    checkpoints = tmp_path / "audit.checkpoints"
    assert verify_audit(trial_db, checkpoints=checkpoints, key_file=key, record=True).ok
    _tamper(trial_db, "DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)")
    assert verify_audit(trial_db).ok  # the chain and the data alone cannot tell
    report = verify_audit(trial_db, checkpoints=checkpoints, key_file=key)
    assert not report.ok
    assert "entries were removed" in report.checkpoint_problems[0]


def test_recomputed_chain_is_detected_by_the_checkpoint(trial_db: str, tmp_path: Path,
                                                        key: Path) -> None:
    """A lab value rewritten in the data and in its log entry, every later hash recomputed:
    chain and data agree, the checkpoint does not; `audit checkpoint` then refuses to sign."""
    checkpoints = tmp_path / "audit.checkpoints"
    assert verify_audit(trial_db, checkpoints=checkpoints, key_file=key, record=True).ok
    engine = create_engine(trial_db)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        seq = connection.scalar(select(AuditLog.seq).where(
            AuditLog.table_name == "lab_result", AuditLog.field == "value"))
        connection.execute(text("UPDATE audit_log SET new_value = '2.5' WHERE seq = :s"),
                           {"s": seq})
        connection.execute(text("UPDATE lab_result SET value = 2.5"))
        _recompute_chain(connection, seq)
    engine.dispose()
    assert verify_audit(trial_db).ok  # the chain and the data alone cannot tell
    report = verify_audit(trial_db, checkpoints=checkpoints, key_file=key)
    assert not report.ok
    assert "recomputed" in report.checkpoint_problems[0]
    lines = checkpoints.read_text().splitlines()
    result = CliRunner().invoke(app, ["audit", "checkpoint", "--db", trial_db,
                                      "--checkpoints", str(checkpoints), "--key-file", str(key)])
    assert result.exit_code == 1
    assert checkpoints.read_text().splitlines() == lines


def test_edited_checkpoint_file_is_detected(trial_db: str, tmp_path: Path, key: Path) -> None:
    """A checkpoint whose numbers were edited no longer matches its signature."""
    checkpoints = tmp_path / "audit.checkpoints"
    written = verify_audit(trial_db, checkpoints=checkpoints, key_file=key, record=True)
    assert written.checkpoint_written is not None
    entries = written.checkpoint_written.entries
    checkpoints.write_text(checkpoints.read_text().replace(
        f'"entries": {entries}', f'"entries": {entries - 2}'))
    report = verify_audit(trial_db, checkpoints=checkpoints, key_file=key)
    assert not report.ok
    assert "signature does not match" in report.checkpoint_problems[0]


def test_checkpoints_need_the_key(trial_db: str, tmp_path: Path, key: Path) -> None:
    """A checkpoint file without its key, or a key that is not a key, is one clear error; a
    key file is never overwritten."""
    with pytest.raises(DataError, match="key"):
        verify_audit(trial_db, checkpoints=tmp_path / "cp")
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(DataError, match="too short"):
        verify_audit(trial_db, checkpoints=tmp_path / "cp", key_file=short, record=True)
    with pytest.raises(DataError, match="never overwritten"):
        create_checkpoint_key(key)
