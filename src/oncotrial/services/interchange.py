"""CDISC ODM 1.3.2 export (Snapshot, Transactional) and all-or-nothing Snapshot import of
casebooks (audited; imports run on channel import)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from oncotrial.cdisc.odm import (
    OdmChange,
    OdmColumn,
    OdmRowError,
    OdmSignature,
    OdmUser,
    format_value,
    location_oid,
    read_odm,
    write_odm,
    write_odm_transactional,
)
from oncotrial.errors import DataError
from oncotrial.services._unit import Unit, open_unit, require_role
from oncotrial.services.admin import log_in
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import CASEBOOK_TABLES, Store, read_tables, record_event, table_columns
from oncotrial.store.audit import AuditEntry, history_of_subject
from oncotrial.store.rows import new_row, sync_sequences
from oncotrial.store.schema import AppUser, Signature, Site
from oncotrial.types import Channel, Role

__all__ = [
    "ImportReport",
    "OdmKind",
    "export_odm",
    "export_odm_file",
    "export_odm_transactional",
    "import_odm",
    "import_odm_file",
]

OdmKind = Literal["snapshot", "transactional"]
_USER_TYPES = {Role.INVESTIGATOR: "Investigator", Role.COORDINATOR: "Investigator"}

_IMPORTERS = frozenset({Role.DATA_MANAGER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of an import: rows written per table, or the row-level errors (nothing written)."""

    imported: dict[str, int]
    errors: list[OdmRowError]

    @property
    def ok(self) -> bool:
        """True when every row was valid and written."""
        return not self.errors


def _columns() -> dict[str, list[OdmColumn]]:
    return {
        m.__tablename__: [OdmColumn(c.name, c.data_type) for c in table_columns(m.__tablename__)]
        for m in CASEBOOK_TABLES
    }


def export_odm(unit: Unit, *, study_oid: str) -> bytes:
    """An XSD-valid ODM 1.3.2 Snapshot of every casebook the actor may see."""
    require_role(unit.actor, PERMISSIONS[Action.EXPORT], what="export data")
    sites = None if unit.actor.all_sites else unit.actor.site_ids
    tables = read_tables(unit.session, site_ids=sites)
    subjects = {int(s["id"]): str(s["screening_number"]) for s in tables["subject"]}
    casebook = {k: v for k, v in tables.items() if k != "site"}
    document = write_odm(
        subjects,
        casebook,
        tables["site"],
        columns=_columns(),
        study_oid=study_oid,
        file_oid=f"{study_oid}.{unit.now():%Y%m%dT%H%M%S}",
        created=unit.now(),
    )
    with unit.step():
        record_event(
            unit.session,
            action="export",
            table_name="odm",
            detail=f"ODM snapshot, {len(subjects)} subjects",
        )
    return document


def import_odm(unit: Unit, document: bytes) -> ImportReport:
    """Import an ODM Snapshot: every row or none. Row ids and subject keys are kept.

    Invalid XML/XSD raises :class:`DataError`; unreadable values and rows the database refuses
    are reported per row (subject, table, repeat key, item) and nothing is written.
    """
    require_role(unit.actor, _IMPORTERS, what="import data")
    content = read_odm(document)
    if content.errors:
        return ImportReport(imported={}, errors=content.errors)
    counts: dict[str, int] = {}
    try:
        with unit.step() as session:
            for site in content.sites:
                if session.get(Site, site["id"]) is None:
                    session.add(Site(id=site["id"], code=site["code"], name=site["name"]))
            session.flush()
            for model in CASEBOOK_TABLES:
                name = model.__tablename__
                for row in content.tables.get(name, []):
                    session.add(new_row(name, row))
                    session.flush()
                counts[name] = len(content.tables.get(name, []))
            sync_sequences(session, ["site", *(m.__tablename__ for m in CASEBOOK_TABLES)])
            record_event(
                session,
                action="import",
                table_name="odm",
                detail=f"ODM snapshot, {counts.get('subject', 0)} subjects",
            )
    except DataError as exc:
        error = OdmRowError(
            subject="", table=str(exc.field or ""), repeat_key="", item="", message=str(exc)
        )
        return ImportReport(imported={}, errors=[error])
    return ImportReport(imported=counts, errors=[])


def _transaction(entries: list[AuditEntry]) -> str:
    if entries[0].action == "insert":
        return "Insert"
    if any(e.field == "deleted" and e.new_value is True for e in entries):
        return "Remove"
    return "Update"


def _signature_columns() -> list[OdmColumn]:
    """Columns of the signature table (not a casebook form, but its changes are audited)."""
    kinds = {bool: "boolean", int: "integer", float: "float", datetime: "datetime",
             date: "date", str: "text"}
    table = Signature.__table__
    return [OdmColumn(c.name, kinds.get(c.type.python_type, "text"))
            for c in sorted(table.columns, key=lambda c: (c.name != "id", c.name))
            if c.name not in {"version", "deleted"}]


def _changes(
    entries: Iterable[AuditEntry],
    *,
    keys: Mapping[int, str],
    locations: Mapping[int, str],
    columns: Mapping[str, list[OdmColumn]],
) -> list[OdmChange]:
    """Field entries of the log, grouped into one change per commit and row, in log order."""
    groups: dict[tuple[object, ...], list[AuditEntry]] = {}
    for entry in entries:
        if entry.field is None or entry.table_name not in columns or entry.subject_id not in keys:
            continue
        key = (entry.at, entry.table_name, entry.row_id, entry.action, entry.username)
        groups.setdefault(key, []).append(entry)
    out = []
    for group in sorted(groups.values(), key=lambda g: g[0].seq):
        first = group[0]
        subject = first.subject_id
        assert subject is not None  # filtered above
        known = {c.name for c in columns[first.table_name]}
        out.append(OdmChange(
            subject_key=keys[subject],
            table=first.table_name,
            repeat_key=str(first.row_id),
            transaction=_transaction(group),
            at=first.at,
            user_oid=f"USR.{first.username}",
            location_oid=locations[subject],
            reason=first.reason,
            source_id=f"audit_log seq {group[0].seq}-{group[-1].seq}",
            items=tuple((e.field, None if e.new_value is None else format_value(e.new_value))
                        for e in group
                        if e.field is not None and e.field in known),
        ))
    return out


def export_odm_transactional(unit: Unit, *, study_oid: str) -> bytes:
    """An XSD-valid ODM 1.3.2 Transactional file of the casebooks the actor may see: every
    change with its audit record (user, site, UTC time, reason), and every signature."""
    require_role(unit.actor, PERMISSIONS[Action.EXPORT], what="export data")
    sites = None if unit.actor.all_sites else unit.actor.site_ids
    tables = read_tables(unit.session, site_ids=sites)
    keys = {int(s["id"]): str(s["screening_number"]) for s in tables["subject"]}
    by_site = {int(site["id"]): location_oid(site) for site in tables["site"]}
    locations = {int(s["id"]): by_site[int(s["site_id"])] for s in tables["subject"]}
    entries = [e for sid in keys for e in history_of_subject(unit.session, sid)]
    entries.sort(key=lambda e: e.seq)
    columns = _columns() | {"signature": _signature_columns()}
    changes = _changes(entries, keys=keys, locations=locations, columns=columns)
    accounts = {u.id: u for u in unit.session.scalars(select(AppUser))}
    signed = unit.session.scalars(
        select(Signature).where(Signature.subject_id.in_(list(keys))).order_by(Signature.id))
    signatures = [
        OdmSignature(subject_key=keys[row.subject_id], at=row.signed_at,
                     user_oid=f"USR.{accounts[row.signer_id].username}",
                     location_oid=locations[row.subject_id], meaning=row.meaning)
        for row in signed
    ]
    named = {c.user_oid for c in changes} | {s.user_oid for s in signatures}
    users = [OdmUser(oid=f"USR.{u.username}", login=u.username, full_name=u.full_name,
                     user_type=_USER_TYPES.get(Role(u.role), "Sponsor"))
             for u in sorted(accounts.values(), key=lambda u: u.username)
             if f"USR.{u.username}" in named]
    users += [OdmUser(oid=oid, login=oid[4:], full_name=oid[4:], user_type="Other")
              for oid in sorted(named - {u.oid for u in users})]  # e.g. a system account
    document = write_odm_transactional(
        changes, signatures, users=users, sites=tables["site"], columns=columns,
        study_oid=study_oid, file_oid=f"{study_oid}.TX.{unit.now():%Y%m%dT%H%M%S}",
        created=unit.now(),
    )
    with unit.step():
        record_event(unit.session, action="export", table_name="odm",
                     detail=f"ODM transactional, {len(keys)} subjects, {len(changes)} changes")
    return document


def export_odm_file(url: str, path: Path, *, username: str, study_oid: str,
                    kind: OdmKind = "snapshot") -> int:
    """Write an ODM file of the database at *url* as *username*; returns its size in bytes."""
    store = Store(url)
    try:
        actor = log_in(store, username, channel=Channel.CLI)
        with open_unit(store, actor) as unit:
            exporter = export_odm_transactional if kind == "transactional" else export_odm
            document = exporter(unit, study_oid=study_oid)
    finally:
        store.dispose()
    path.write_bytes(document)
    return len(document)


def import_odm_file(url: str, path: Path, *, username: str) -> ImportReport:
    """Import an ODM Snapshot file into the database at *url* as *username* (channel import)."""
    store = Store(url)
    try:
        actor = log_in(store, username, channel=Channel.IMPORT)
        with open_unit(store, actor) as unit:
            return import_odm(unit, path.read_bytes())
    finally:
        store.dispose()
