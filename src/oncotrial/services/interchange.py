"""CDISC ODM 1.3.2 export and all-or-nothing import of casebooks (audited, channel import)."""

from __future__ import annotations

from dataclasses import dataclass

from oncotrial.cdisc.odm import OdmColumn, OdmRowError, read_odm, write_odm
from oncotrial.errors import DataError
from oncotrial.services._unit import Unit, require_role
from oncotrial.store import CASEBOOK_TABLES, read_tables, record_event, table_columns
from oncotrial.store.rows import new_row, sync_sequences
from oncotrial.store.schema import Site
from oncotrial.types import Role

__all__ = ["ImportReport", "export_odm", "import_odm"]

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
