"""CDISC ODM 1.3.2 export (Snapshot, Transactional) and all-or-nothing Snapshot import of
casebooks (audited; imports run on channel import)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import select

from oncotrial.cdisc.odm import (
    OdmChange,
    OdmColumn,
    OdmContent,
    OdmRowError,
    OdmSignature,
    OdmUser,
    format_value,
    item_oid,
    location_oid,
    read_odm,
    write_odm,
    write_odm_transactional,
)
from oncotrial.errors import AccessError, DataError
from oncotrial.services._unit import Unit, open_unit, require_role
from oncotrial.services._validation import row_problems
from oncotrial.services.auth import signed_in
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import CASEBOOK_TABLES, read_tables, record_event, table_columns
from oncotrial.store.audit import AuditEntry, history_of_subject
from oncotrial.store.rows import new_row, sync_sequences
from oncotrial.store.schema import AppUser, Signature, Site, Subject
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
    """An XSD-valid ODM 1.3.2 Snapshot of every casebook the actor may see (the export is
    audited in the same unit).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may export (data manager, statistician,
        investigator); site-scoped roles export their own sites only.
    study_oid
        The ODM Study OID (e.g. the protocol id); the FileOID is it plus the store time.

    Returns
    -------
    bytes
        The ODM document, UTF-8 XML: the sites as locations and every casebook row as
        ItemGroupData, keyed by row id.

    Raises
    ------
    AccessError
        If the actor's role may not export.

    See Also
    --------
    import_odm : read such a file into another database.

    Examples
    --------
    A casebook exported from one database and imported, all or nothing, into an empty one:

    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.interchange import export_odm, import_odm
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> def new_trial(name):
    ...     url = f"sqlite:///{folder.name}/{name}.sqlite"
    ...     _ = upgrade_database(url)
    ...     store = Store(url)
    ...     ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    ...     with open_unit(store, ada) as unit:
    ...         _ = create_user(unit, "dana", full_name="Dana Data", role="data_manager")
    ...     return store, ada, log_in(store, "dana", channel="CLI")
    >>> store, ada, dana = new_trial("leader")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "grace", full_name="Grace Chen", role="coordinator", sites=["01"])
    >>> with open_unit(store, log_in(store, "grace", channel="UI")) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     _ = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                      actual_date=date(2024, 1, 15))
    >>> with open_unit(store, dana) as unit:
    ...     document = export_odm(unit, study_oid="LEADER")
    >>> document.count(b"<SubjectData ")
    1
    >>> copy, _, dana_copy = new_trial("copy")
    >>> with open_unit(copy, dana_copy) as unit:
    ...     report = import_odm(unit, document)
    >>> report.ok, {table: n for table, n in report.imported.items() if n}
    (True, {'subject': 1, 'visit': 1})
    >>> with open_unit(copy, dana_copy) as unit:    # a second import is refused, row by row
    ...     report = import_odm(unit, document)
    >>> report.ok, report.errors[0].message
    (False, 'subject 01-001 is already in this database')
    >>> store.dispose(); copy.dispose(); folder.cleanup()
    """
    document, detail = _snapshot(unit, study_oid=study_oid)
    _record_export(unit, detail)
    return document


def _record_export(unit: Unit, detail: str) -> None:
    with unit.step():
        record_event(unit.session, action="export", table_name="odm", detail=detail)


def _snapshot(unit: Unit, *, study_oid: str) -> tuple[bytes, str]:
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
    return document, f"ODM snapshot, {len(subjects)} subjects"


def import_odm(unit: Unit, document: bytes) -> ImportReport:
    """Import an ODM Snapshot: every row or none. Row ids and subject keys are kept.

    Every row passes the checks of every other write path (:mod:`.._validation`) before
    anything is written, and again as it is written. Invalid XML/XSD raises
    :class:`DataError`; unreadable or refused values, unknown forms and columns, rows whose id
    or screening number is already in the database, sites that clash with this database's, and
    rows the database refuses are reported per row (subject, table, repeat key, item), and
    nothing is written.

    Parameters
    ----------
    unit
        A unit of work of a data manager or administrator (normally on channel import).
    document
        The ODM 1.3.2 Snapshot, as bytes.

    Returns
    -------
    ImportReport
        Rows written per casebook table, or the row-level errors (then nothing was written).

    Raises
    ------
    AccessError
        If the actor is neither a data manager nor an administrator, or is an administrator
        and the database already holds subjects (administrators hold no clinical data: they
        only restore a casebook into an empty database).
    DataError
        If the document is not well-formed XML or not valid against the ODM 1.3.2 schema.

    Examples
    --------
    See :func:`export_odm`, which exports a casebook and imports it into an empty database.
    """
    require_role(unit.actor, _IMPORTERS, what="import data")
    if unit.actor.role == Role.ADMIN and unit.session.scalar(select(Subject.id).limit(1)):
        # administrators hold no clinical data; they may only restore into an empty database
        raise AccessError("an administrator restores a casebook only into an empty database; "
                          "a data manager imports into a trial that has subjects",
                          field="role", value=str(unit.actor.role), allowed="data_manager")
    content = read_odm(document)
    errors = list(content.errors) or _file_problems(unit, content)
    if errors:
        return ImportReport(imported={}, errors=errors)
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
            subject=exc.subject or "", table="", repeat_key="", item=str(exc.field or ""),
            message=str(exc),
        )
        return ImportReport(imported={}, errors=[error])
    return ImportReport(imported=counts, errors=[])


_FORMS = {m.__tablename__: m for m in CASEBOOK_TABLES}
_ID_CHUNK = 500


def _existing(session: Any, column: Any, values: Sequence[object]) -> set[object]:
    found: set[object] = set()
    for start in range(0, len(values), _ID_CHUNK):
        chunk = list(values[start : start + _ID_CHUNK])
        found |= set(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _site_problems(unit: Unit, sites: list[dict[str, Any]]) -> list[OdmRowError]:
    """A site of the file must be new to this database or the same site (id and code)."""
    errors = []
    for site in sites:
        held = unit.session.get(Site, site["id"])
        clash = held if held is not None and held.code != site["code"] else unit.session.scalar(
            select(Site).where(Site.code == site["code"], Site.id != site["id"]))
        if clash is not None:
            errors.append(OdmRowError(
                "", "site", str(site["id"]), location_oid(site),
                f"site {site['id']} {site['code']!r} clashes with this database's site "
                f"{clash.id} {clash.code!r}"))
    return errors


def _row_problems(
    name: str, rows: list[dict[str, Any]], subjects: Mapping[int, dict[str, Any]],
    existing: set[object], keys: Mapping[int, str],
) -> list[OdmRowError]:
    known = {c.name for c in table_columns(name)}
    errors = []
    for row in rows:
        owner = row.get("id") if name == "subject" else row.get("subject_id")
        key = keys.get(owner, "") if isinstance(owner, int) else ""
        repeat = str(row.get("id", ""))

        def add(item: str, message: str, key: str = key, repeat: str = repeat) -> None:
            errors.append(OdmRowError(key, name, repeat, item, message))

        if not isinstance(row.get("id"), int):
            add(item_oid(name, "id"), "every row needs its id")
        elif row["id"] in existing:
            add(item_oid(name, "id"), f"{name} row {row['id']} is already in this database")
        if name != "subject" and owner not in subjects:
            add(item_oid(name, "subject_id"), f"subject_id={owner!r}: not a subject of this file")
        for column in sorted(set(row) - known):
            add(item_oid(name, column), f"{column}: not a column of {name}")
        consent = subjects.get(owner, {}).get("consent_date") if isinstance(owner, int) else None
        for problem in row_problems(name, row, consent_date=consent):
            add(item_oid(name, problem.field), str(problem.error()))
    return errors


def _file_problems(unit: Unit, content: OdmContent) -> list[OdmRowError]:
    """Everything in the file any write path would refuse, before anything is written."""
    errors = _site_problems(unit, content.sites)
    errors += [OdmRowError("", name, "", f"F.{name.upper()}", "not a casebook form")
               for name in sorted(set(content.tables) - set(_FORMS))]
    subject_rows = content.tables.get("subject", [])
    subjects = {r["id"]: r for r in subject_rows if isinstance(r.get("id"), int)}
    numbers = [r.get("screening_number") for r in subject_rows]
    taken = _existing(unit.session, Subject.screening_number, numbers)
    errors += [
        OdmRowError(str(n), "subject", "", item_oid("subject", "screening_number"),
                    f"subject {n} is already in this database")
        for n in numbers if n in taken
    ]
    for name, model in _FORMS.items():
        rows = content.tables.get(name, [])
        column: Any = model.id
        ids = [r["id"] for r in rows if isinstance(r.get("id"), int)]
        existing = _existing(unit.session, column, ids)
        errors += _row_problems(name, rows, subjects, existing, content.subject_keys)
    return errors


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
    change with its audit record (user, site, UTC time, reason), and every signature (the
    export is audited in the same unit).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may export; site-scoped roles export their own
        sites only.
    study_oid
        The ODM Study OID; the FileOID is it plus ``.TX.`` and the store time.

    Returns
    -------
    bytes
        The ODM document: one ClinicalData change (Insert, Update or Remove) per commit and
        row with its AuditRecord, the signatures, and the users and sites they name.

    Raises
    ------
    AccessError
        If the actor's role may not export.
    """
    document, detail = _transactional(unit, study_oid=study_oid)
    _record_export(unit, detail)
    return document


def _transactional(unit: Unit, *, study_oid: str) -> tuple[bytes, str]:
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
    return document, f"ODM transactional, {len(keys)} subjects, {len(changes)} changes"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write *data* to a temporary file beside *path*, then rename it: *path* is either the
    whole new file or untouched."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DataError(f"cannot write the file: {exc.strerror}", field="out",
                        value=str(path)) from exc


def export_odm_file(url: str, path: Path, *, username: str, password: str, study_oid: str,
                    kind: OdmKind = "snapshot") -> int:
    """Write an ODM file of the database at *url* as *username*, once their password is
    checked; returns its size in bytes.

    The file is written under a temporary name and renamed; the export is entered in the audit
    trail only once the file is in place (and the file is removed if that entry fails).

    Parameters
    ----------
    url
        URL of the trial database.
    path
        The file to write (replaced if it exists).
    username, password
        A user whose role may export, and their password.
    study_oid
        The ODM Study OID.
    kind
        ``"snapshot"`` (default, :func:`export_odm`) or ``"transactional"``
        (:func:`export_odm_transactional`).

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    AccessError
        If the log-in is refused or the user's role may not export.
    DataError
        If *kind* is not one of the two, the database cannot be reached or the file cannot be
        written.
    """
    if kind not in get_args(OdmKind):
        raise DataError("unknown kind of ODM file", field="kind", value=kind,
                        allowed=", ".join(get_args(OdmKind)))
    with signed_in(url, username, password) as (store, actor):
        builder = _transactional if kind == "transactional" else _snapshot
        with open_unit(store, actor) as unit:
            document, detail = builder(unit, study_oid=study_oid)
        _write_atomically(path, document)
        try:
            with open_unit(store, actor) as unit:
                _record_export(unit, f"{detail} to {path}")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return len(document)


def import_odm_file(url: str, path: Path, *, username: str, password: str) -> ImportReport:
    """Import an ODM Snapshot file into the database at *url* as *username*, once their
    password is checked (channel import).

    Parameters
    ----------
    url
        URL of the trial database.
    path
        The ODM 1.3.2 Snapshot file.
    username, password
        A data manager or administrator, and their password.

    Returns
    -------
    ImportReport
        As :func:`import_odm`: rows written per table, or the row-level errors (nothing
        written).

    Raises
    ------
    DataError
        If the file cannot be read, is not valid ODM 1.3.2, or the database cannot be reached.
    AccessError
        If the log-in is refused or the user may not import.
    """
    try:
        document = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror}", field="file",
                        value=str(path)) from exc
    with (signed_in(url, username, password, channel=Channel.IMPORT) as (store, actor),
          open_unit(store, actor) as unit):
        return import_odm(unit, document)
