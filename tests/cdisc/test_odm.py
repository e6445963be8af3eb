"""ODM 1.3.2: XSD-valid export, all-or-nothing import, and an identical round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncotrial.cdisc.odm import validate_odm
from oncotrial.errors import DataError
from oncotrial.services import admin, interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, read_tables, upgrade, verify_chain
from oncotrial.types import Channel
from tests.cdisc.test_sdtm_export import _trial
from tests.store.backends import World, admin_actor, backend, store, world

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
