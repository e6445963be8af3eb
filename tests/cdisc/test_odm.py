"""ODM 1.3.2: XSD-valid export, all-or-nothing import, and an identical round trip."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from oncotrial.cdisc.odm import validate_odm
from oncotrial.errors import AccessError, DataError
from oncotrial.services import admin, data_management, interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, read_tables, upgrade, verify_chain
from oncotrial.store.schema import AuditLog, RecordLock
from oncotrial.types import Channel, Role
from tests.cdisc.test_sdtm_export import _trial
from tests.store.backends import (
    CLI_PASSWORD,
    World,
    admin_actor,
    backend,
    give_password,
    store,
    world,
)

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest


def _target(tmp_path: Path) -> tuple[Store, object]:
    url = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(url)
    target = Store(url)
    boss = admin.bootstrap_admin(target, username="importer", full_name="Ida Importer")
    return target, boss


def test_odm_round_trip_is_identical(store: Store, world: World, tmp_path: Path) -> None:
    """Export → import into an empty database → the same rows, ids and values."""
    _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        document = interchange.export_odm(unit, study_oid="LEADER")
        source = read_tables(unit.session, site_ids=world.inv_a.site_ids)
    validate_odm(document)
    target, boss = _target(tmp_path)
    with open_unit(target, boss) as unit:  # type: ignore[arg-type]
        report = interchange.import_odm(unit, document)
    assert report.ok, report.errors
    assert report.imported["subject"] == len(source["subject"])
    with target.session(boss) as session:  # type: ignore[arg-type]
        copied = read_tables(session)
        assert verify_chain(session).ok
    assert copied == source
    target.dispose()


def test_bad_value_rejects_whole_import(store: Store, world: World, tmp_path: Path) -> None:
    """One unreadable value: a row-level error naming it, and nothing written."""
    _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        document = interchange.export_odm(unit, study_oid="LEADER")
    broken = document.replace(b'Value="0.9"', b'Value="zero point nine"', 1)
    assert broken != document
    target, boss = _target(tmp_path)
    with open_unit(target, boss) as unit:  # type: ignore[arg-type]
        report = interchange.import_odm(unit, broken)
    assert not report.ok
    assert report.errors[0].item == "IT.LAB_RESULT.VALUE"
    assert report.errors[0].table == "lab_result"
    with target.session(boss) as session:  # type: ignore[arg-type]
        assert read_tables(session)["subject"] == []
    target.dispose()


def test_invalid_odm_is_refused() -> None:
    """A document that breaks the ODM 1.3.2 schema is refused before anything is read."""
    with pytest.raises(DataError, match="not valid ODM"):
        validate_odm(b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Nonsense/></ODM>')
    assert Channel.IMPORT.value == "import"


@pytest.mark.parametrize(
    ("old", "new", "item"),
    [
        (b'ItemOID="IT.LAB_RESULT.VALUE" Value="0.9"', b'ItemOID="IT.LAB_RESULT.VALUE" Value="INF"',
         "IT.LAB_RESULT.VALUE"),
        (b'ItemOID="IT.LAB_RESULT.VALUE" Value="0.9"', b'ItemOID="IT.LAB_RESULT.VALUE" Value="-5"',
         "IT.LAB_RESULT.VALUE"),
        (b'ItemOID="IT.LAB_RESULT.GRADE" Value="3"', b'ItemOID="IT.LAB_RESULT.GRADE" Value="9"',
         "IT.LAB_RESULT.GRADE"),
        (b'ItemOID="IT.SUBJECT.STATUS" Value="off_treatment"',
         b'ItemOID="IT.SUBJECT.STATUS" Value="bogus"', "IT.SUBJECT.STATUS"),
        (b'ItemOID="IT.VISIT.ACTUAL_DATE" Value="2019-04-01"',
         b'ItemOID="IT.VISIT.ACTUAL_DATE" Value="2999-04-01"', "IT.VISIT.ACTUAL_DATE"),
    ],
    ids=["inf", "negative", "grade-9", "status", "year-2999"],
)
def test_import_refuses_what_the_services_refuse(
    store: Store, world: World, tmp_path: Path, *, old: bytes, new: bytes, item: str
) -> None:
    """INF, -5, grade 9, status "bogus", year 2999: a row-level error naming the item and the
    subject, and nothing written."""
    number = _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        document = interchange.export_odm(unit, study_oid="LEADER")
    assert old in document
    target, boss = _target(tmp_path)
    with open_unit(target, boss) as unit:  # type: ignore[arg-type]
        report = interchange.import_odm(unit, document.replace(old, new, 1))
    assert not report.ok
    assert [(e.item, e.subject) for e in report.errors] == [(item, number)]
    with target.session(boss) as session:  # type: ignore[arg-type]
        assert read_tables(session)["subject"] == []
    target.dispose()


def test_importing_the_same_file_twice_is_refused_cleanly(
    store: Store, world: World, tmp_path: Path
) -> None:
    """A second import of one file lists the rows already there (no PendingRollbackError), the
    first import stays whole and the unit can still commit other work."""
    _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        document = interchange.export_odm(unit, study_oid="LEADER")
    target, boss = _target(tmp_path)
    with open_unit(target, boss) as unit:  # type: ignore[arg-type]
        assert interchange.import_odm(unit, document).ok
        admin.create_user(unit, "dm", full_name="Dana Manager", role=Role.DATA_MANAGER,
                          sites=[])
    with open_unit(target, boss) as unit, pytest.raises(  # type: ignore[arg-type]
            AccessError, match="only into an empty database"):
        interchange.import_odm(unit, document)  # the administrator restores, once
    manager = admin.log_in(target, "dm", channel="API")
    with open_unit(target, manager) as unit:
        again = interchange.import_odm(unit, document)
        lock_id = data_management.lock(unit, level="study", reason="after the refused import")
    assert not again.ok
    assert any("already in this database" in e.message for e in again.errors)
    with target.session(boss) as session:  # type: ignore[arg-type]
        tables = read_tables(session)
        assert verify_chain(session).ok
        assert session.get(RecordLock, lock_id) is not None  # committed after the refusal
    assert len(tables["subject"]) == 1
    target.dispose()


def test_a_row_the_database_refuses_is_an_import_error(
    store: Store, world: World, tmp_path: Path
) -> None:
    """Two visits of one subject with one name pass every value check but break a unique
    constraint: one error, nothing written, and the unit still commits (no traceback)."""
    _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        document = interchange.export_odm(unit, study_oid="LEADER")
    root = etree.fromstring(document)
    ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
    visit = root.xpath("//o:FormData[@FormOID='F.VISIT']", namespaces=ns)[0]
    twin = copy.deepcopy(visit)
    twin.set("FormRepeatKey", "99999")
    twin.xpath("o:ItemGroupData/o:ItemData[@ItemOID='IT.VISIT.ID']",
               namespaces=ns)[0].set("Value", "99999")
    visit.addnext(twin)
    target, boss = _target(tmp_path)
    with open_unit(target, boss) as unit:  # type: ignore[arg-type]
        report = interchange.import_odm(unit, etree.tostring(root))
        admin.create_site(unit, "ZZ", name="Committed after the refused import")
    assert not report.ok
    assert "refused by the database" in report.errors[0].message
    with target.session(boss) as session:  # type: ignore[arg-type]
        tables = read_tables(session)
        assert verify_chain(session).ok
    assert tables["subject"] == []
    assert [s["code"] for s in tables["site"]] == ["ZZ"]
    target.dispose()


def test_failed_export_is_not_audited_and_leaves_no_file(
    store: Store, world: World, tmp_path: Path
) -> None:
    """An ODM export into a folder that does not exist fails with one error naming the path;
    no export is entered in the audit trail and no partial or temporary file is left."""
    _trial(store, world)
    give_password(store, world.data_manager.username)
    out = tmp_path / "missing" / "odm.xml"
    with store.session(world.data_manager) as session:
        before = session.scalar(select(func.count()).select_from(AuditLog)
                                .where(AuditLog.action == "export"))
    with pytest.raises(DataError, match="cannot write") as caught:
        interchange.export_odm_file(store.url, out, username=world.data_manager.username,
                                    password=CLI_PASSWORD, study_oid="LEADER")
    assert caught.value.value == str(out)
    with store.session(world.data_manager) as session:
        after = session.scalar(select(func.count()).select_from(AuditLog)
                               .where(AuditLog.action == "export"))
    assert after == before
    assert not out.parent.exists()
    good = tmp_path / "odm.xml"
    interchange.export_odm_file(store.url, good, username=world.data_manager.username,
                                password=CLI_PASSWORD, study_oid="LEADER")
    validate_odm(good.read_bytes())
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["odm.xml"]
    with store.session(world.data_manager) as session:
        detail = session.scalar(select(AuditLog.new_value).where(AuditLog.action == "export")
                                .order_by(AuditLog.seq.desc()).limit(1))
    assert str(good) in str(detail)
