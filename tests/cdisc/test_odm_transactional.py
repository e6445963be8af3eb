"""ODM 1.3.2 Transactional export: the change log with audit records and signatures; the
``oncotrial odm`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select
from typer.testing import CliRunner

from oncotrial.cdisc.odm import read_odm, validate_odm
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.services import data_management as dm
from oncotrial.services import interchange
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, read_tables, upgrade
from oncotrial.store.schema import LabResult
from oncotrial.types import Role
from tests.cdisc.test_sdtm_export import _trial
from tests.store.backends import World, admin_actor, backend, give_password, store, world

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest
NS = {"o": "http://www.cdisc.org/ns/odm/v1.3"}


def _signed_and_corrected(store: Store, world: World) -> tuple[str, int]:
    """A casebook that is signed, then corrected with a reason (invalidating the signature)."""
    number = _trial(store, world)
    with open_unit(store, world.inv_a) as unit:
        owner = unit.subject(number, write=False)
        lab = unit.session.scalars(
            select(LabResult).where(LabResult.subject_id == owner.id).order_by(LabResult.id)
        ).first()
        assert lab is not None
        lab_id, version = lab.id, lab.version
        dm.sign_casebook(unit, number, meaning="I approve this casebook")
    with open_unit(store, world.coord_a) as unit:
        dm.correct_record(unit, "lab_result", lab_id, version=version,
                          changes={"value": 0.95}, reason="transcription error")
    return number, lab_id


def _groups(root: etree._Element, table: str, key: str) -> list[etree._Element]:
    return root.xpath(
        f"//o:FormData[@FormOID='F.{table.upper()}'][@FormRepeatKey='{key}']/o:ItemGroupData",
        namespaces=NS)


def test_transactional_export_replays_the_change_log(store: Store, world: World) -> None:
    """XSD-valid; the lab row appears as its Insert then an Update carrying the reason, the
    user, the site and the new value; every item group has exactly one audit record."""
    number, lab_id = _signed_and_corrected(store, world)
    with open_unit(store, world.data_manager) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    validate_odm(document)
    root = etree.fromstring(document)
    assert root.get("FileType") == "Transactional"
    groups = _groups(root, "lab_result", str(lab_id))
    assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
    update = groups[1]
    assert update.xpath("string(o:AuditRecord/o:ReasonForChange)", namespaces=NS) == (
        "transcription error")
    assert update.xpath("string(o:AuditRecord/o:UserRef/@UserOID)", namespaces=NS) == (
        f"USR.{world.coord_a.username}")
    assert update.xpath("o:ItemData[@ItemOID='IT.LAB_RESULT.VALUE']/@Value",
                        namespaces=NS) == ["0.95"]
    insert_value = groups[0].xpath("o:ItemData[@ItemOID='IT.LAB_RESULT.VALUE']/@Value",
                                   namespaces=NS)
    assert insert_value == ["0.9"]
    subject = update.getparent().getparent().getparent()
    assert subject.get("SubjectKey") == number
    every_group = root.xpath("//o:ItemGroupData", namespaces=NS)
    assert all(len(g.xpath("o:AuditRecord", namespaces=NS)) == 1 for g in every_group)
    sources = root.xpath("//o:AuditRecord/o:SourceID/text()", namespaces=NS)
    assert len(sources) == len(set(sources)) == len(every_group)


def test_signature_and_its_invalidation_are_in_the_file(store: Store, world: World) -> None:
    """The sign-off is a Signature referring to a SignatureDef with the signed meaning; the
    correction after it shows as an Update of the signature row to state 'invalidated'."""
    number, _ = _signed_and_corrected(store, world)
    with open_unit(store, world.data_manager) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    root = etree.fromstring(document)
    signatures = root.xpath(f"//o:SubjectData[@SubjectKey='{number}']/o:Signature",
                            namespaces=NS)
    assert len(signatures) == 1
    ref = signatures[0].xpath("string(o:SignatureRef/@SignatureOID)", namespaces=NS)
    meaning = root.xpath(f"string(//o:SignatureDef[@OID='{ref}']/o:Meaning)", namespaces=NS)
    assert meaning == "I approve this casebook"
    user = signatures[0].xpath("string(o:UserRef/@UserOID)", namespaces=NS)
    assert root.xpath(f"//o:AdminData/o:User[@OID='{user}']", namespaces=NS)
    states = root.xpath(f"//o:SubjectData[@SubjectKey='{number}']"
                        "//o:FormData[@FormOID='F.SIGNATURE']/o:ItemGroupData"
                        "/o:ItemData[@ItemOID='IT.SIGNATURE.STATE']/@Value", namespaces=NS)
    assert states == ["valid", "invalidated"]


def test_transactional_file_is_not_imported(store: Store, world: World) -> None:
    """Importing the audit trail as data would duplicate every row: refused, naming FileType."""
    _trial(store, world)
    with open_unit(store, world.data_manager) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    with pytest.raises(DataError, match="FileType"):
        read_odm(document)


def test_site_user_sees_only_their_sites_changes(store: Store, world: World) -> None:
    """An investigator of site B exports no change of site A's subject."""
    number = _trial(store, world)
    with open_unit(store, world.inv_b) as unit:
        document = interchange.export_odm_transactional(unit, study_oid="LEADER")
    root = etree.fromstring(document)
    assert not root.xpath(f"//o:SubjectData[@SubjectKey='{number}']", namespaces=NS)


def test_cli_exports_both_kinds_and_imports_a_snapshot(store: Store, world: World,
                                                       tmp_path: Path) -> None:
    """`oncotrial odm export --type snapshot|transactional` then `odm import` into an empty
    database copies the casebook; a bad --type is refused with the allowed values."""
    _trial(store, world)
    user = world.data_manager.username
    runner = CliRunner(env=give_password(store, user))
    for kind in ("snapshot", "transactional"):
        out = tmp_path / f"{kind}.xml"
        result = runner.invoke(app, ["odm", "export", "--db", store.url, "--out", str(out),
                                     "--user", user, "--type", kind])
        assert result.exit_code == 0, result.output
        validate_odm(out.read_bytes())
    bad = runner.invoke(app, ["odm", "export", "--db", store.url, "--out", str(tmp_path / "x"),
                              "--user", user, "--type", "full"])
    assert bad.exit_code != 0
    assert "snapshot, transactional" in bad.output
    target = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade(target)
    target_store = Store(target)
    from oncotrial.services import admin
    admin.bootstrap_admin(target_store, username="importer", full_name="Ida Importer")
    give_password(target_store, "importer")
    target_store.dispose()
    result = runner.invoke(app, ["odm", "import", "--db", target, "--file",
                                 str(tmp_path / "snapshot.xml"), "--user", "importer"])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output
    with open_unit(store, world.data_manager) as unit:
        source = read_tables(unit.session)
    copied_store = Store(target)
    with copied_store.session(world.data_manager) as session:
        copied = read_tables(session)
    copied_store.dispose()
    assert len(copied["subject"]) == len(source["subject"])
    again = runner.invoke(app, ["odm", "import", "--db", target, "--file",
                                str(tmp_path / "snapshot.xml"), "--user", "importer"])
    assert again.exit_code != 0  # an administrator restores into an empty database only
    assert "only into an empty database" in str(again.exception) + again.output
    target_store = Store(target)
    with open_unit(target_store, admin.log_in(target_store, "importer", channel="API")) as unit:
        admin.create_user(unit, "dana", full_name="Dana Manager", role=Role.DATA_MANAGER,
                          sites=[])
    manager = give_password(target_store, "dana")
    target_store.dispose()
    refused = CliRunner(env=manager).invoke(app, [
        "odm", "import", "--db", target, "--file", str(tmp_path / "transactional.xml"),
        "--user", "dana"])
    assert refused.exit_code != 0
    assert "FileType" in str(refused.exception) + refused.output
