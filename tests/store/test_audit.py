"""The change log: every change with old and new values, reasons, hash chain, as-of queries."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, select, text

from oncotrial.errors import DataError
from oncotrial.services import data_management as dm
from oncotrial.services import subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, history_of_row, verify_chain
from oncotrial.store.schema import AuditLog, Subject
from tests.store.backends import Backend, World


def _register(store: Store, world: World, n: int = 1) -> str:
    number = world.subject_number(n)
    with open_unit(store, world.inv_a) as unit:
        subjects.register_subject(
            unit,
            number,
            site=world.site_a,
            consent_date=date(2019, 3, 4),
            consent_version="2.0",
            sex="F",
            birth_date=date(1960, 5, 6),
            histology="LMS",
            ecog=1,
        )
    return number


def _subject_id(store: Store, world: World, number: str) -> tuple[int, int]:
    with open_unit(store, world.inv_a) as unit:
        s = unit.subject(number, write=False)
        return s.id, s.version


def test_insert_logs_every_field_with_user_role_channel(store: Store, world: World) -> None:
    """An insert writes one entry per non-empty field with the new value and who/how."""
    number = _register(store, world)
    sid, _ = _subject_id(store, world, number)
    with store.session(world.inv_a) as session:
        entries = history_of_row(session, table_name="subject", row_id=sid)
    fields = {e.field: e for e in entries}
    assert fields["screening_number"].new_value == number
    assert fields["consent_date"].new_value == "2019-03-04"
    assert fields["ecog"].new_value == 1
    assert {e.action for e in entries} == {"insert"}
    assert all(e.old_value is None for e in entries)
    assert {e.username for e in entries} == {world.inv_a.username}
    assert {e.role for e in entries} == {"investigator"}
    assert {e.channel for e in entries} == {"API"}
    assert all(e.at.tzinfo is not None for e in entries)


def test_update_logs_old_and_new_value_and_reason(store: Store, world: World) -> None:
    """A correction logs the old value, the new value and the reason given."""
    number = _register(store, world)
    sid, version = _subject_id(store, world, number)
    with open_unit(store, world.inv_a) as unit:
        dm.correct_record(
            unit,
            "subject",
            sid,
            version=version,
            changes={"ecog": 2},
            reason="source document says ECOG 2",
        )
    with store.session(world.inv_a) as session:
        updates = [
            e
            for e in history_of_row(session, table_name="subject", row_id=sid)
            if e.action == "update"
        ]
    assert [(e.field, e.old_value, e.new_value, e.reason) for e in updates] == [
        ("ecog", 1, 2, "source document says ECOG 2")
    ]


def test_change_after_first_save_needs_a_reason(store: Store, world: World) -> None:
    """Changing a saved row without a reason is refused and nothing is written."""
    number = _register(store, world)
    sid, version = _subject_id(store, world, number)
    with store.session(world.inv_a) as session:
        before = session.scalar(select(AuditLog.seq).order_by(AuditLog.seq.desc()).limit(1))
        subject = session.get(Subject, sid)
        assert subject is not None
        subject.ecog = 3
        with pytest.raises(DataError, match="reason for change is required"):
            session.flush()
        session.rollback()
    with pytest.raises(DataError, match="reason"), open_unit(store, world.inv_a) as unit:
        dm.correct_record(
            unit, "subject", sid, version=version, changes={"ecog": 3}, reason="  "
        )
    _, after_version = _subject_id(store, world, number)
    assert after_version == version
    with store.session(world.inv_a) as session:
        ecog_updates = session.scalars(
            select(AuditLog).where(
                AuditLog.table_name == "subject",
                AuditLog.row_id == sid,
                AuditLog.action == "update",
                AuditLog.seq > (before or 0),
            )
        )
        assert list(ecog_updates) == []


def test_delete_is_logical_and_logged(store: Store, world: World) -> None:
    """A delete sets deleted=True, keeps the row and logs a delete entry; physical delete fails."""
    number = _register(store, world)
    sid, version = _subject_id(store, world, number)
    with open_unit(store, world.inv_a) as unit:
        dm.delete_record(unit, "subject", sid, version=version, reason="registered twice")
    with store.session(world.inv_a) as session:
        row = session.get(Subject, sid)
        assert row is not None
        assert row.deleted is True
        deletes = [
            e
            for e in history_of_row(session, table_name="subject", row_id=sid)
            if e.action == "delete"
        ]
        assert [(e.old_value, e.new_value, e.reason) for e in deletes] == [
            (False, True, "registered twice")
        ]
        session.delete(row)
        with pytest.raises(DataError, match="never deleted physically"):
            session.flush()


def test_value_as_of_time_and_subject_history(store: Store, world: World) -> None:
    """The value of a field at a past time and a subject's whole history are one call each."""
    number = _register(store, world)
    sid, version = _subject_id(store, world, number)
    between = store.clock()
    with open_unit(store, world.inv_a) as unit:
        dm.correct_record(
            unit, "subject", sid, version=version, changes={"ecog": 0}, reason="re-assessed"
        )
    with open_unit(store, world.inv_a) as unit:
        assert dm.field_as_of(unit, "subject", sid, field="ecog", at=between) == 1
        assert dm.field_as_of(unit, "subject", sid, field="ecog", at=store.clock()) == 0
        history = dm.subject_history(unit, number)
    assert [e.seq for e in history] == sorted(e.seq for e in history)
    assert ("ecog", 1, 0) in [(e.field, e.old_value, e.new_value) for e in history]


def test_chain_verifies_and_detects_a_tampered_row(
    store: Store, backend: Backend, world: World
) -> None:
    """verify_chain passes on an intact log and names the first altered entry."""
    number = _register(store, world)
    sid, _ = _subject_id(store, world, number)
    with store.session(world.inv_a) as session:
        assert verify_chain(session).ok
        seq, original = session.execute(
            select(AuditLog.seq, AuditLog.new_value).where(
                AuditLog.table_name == "subject", AuditLog.row_id == sid, AuditLog.field == "sex"
            )
        ).one()
    owner = create_engine(backend.owner_url)
    tamper = backend.name == "postgresql"  # superuser bypasses the append-only trigger
    try:
        with owner.begin() as connection:
            if tamper:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(
                text("UPDATE audit_log SET new_value = :v WHERE seq = :s"), {"v": '"M"', "s": seq}
            )
        with store.session(world.inv_a) as session:
            result = verify_chain(session)
        assert not result.ok
        assert result.first_bad_seq == seq
        assert "altered" in result.problem
    finally:
        with owner.begin() as connection:
            if tamper:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(
                text("UPDATE audit_log SET new_value = :v WHERE seq = :s"),
                {"v": original, "s": seq},
            )
        owner.dispose()
    with store.session(world.inv_a) as session:
        assert verify_chain(session).ok


def test_failed_service_call_leaves_no_rows_and_no_log(store: Store, world: World) -> None:
    """A refused call inside a unit rolls back its savepoint: rows and log entries both."""
    number = _register(store, world)
    with store.session(world.inv_a) as session:
        before = session.scalar(select(AuditLog.seq).order_by(AuditLog.seq.desc()).limit(1))
    with open_unit(store, world.inv_a) as unit:
        with pytest.raises(DataError, match="no such site"):
            subjects.register_subject(
                unit,
                world.subject_number(2),
                site="NOPE",
                consent_date=date(2019, 1, 1),
                consent_version="1",
                sex="M",
            )
        subjects.record_visit(
            unit, number, name="SCREENING", visitnum=0, actual_date=date(2019, 3, 5)
        )
    with store.session(world.inv_a) as session:
        new = list(session.scalars(select(AuditLog).where(AuditLog.seq > (before or 0))))
        assert {e.table_name for e in new} == {"visit"}
        assert verify_chain(session).ok
