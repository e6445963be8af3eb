"""Rows as plain dictionaries: casebook snapshots for export, signatures and import."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, select, text
from sqlalchemy.orm import Session

from oncotrial.errors import DataError
from oncotrial.store.schema import (
    AdverseEvent,
    AssayFile,
    Biospecimen,
    BodyMeasurement,
    CasebookRow,
    ConcomitantTherapy,
    Disposition,
    DrugAdministration,
    EcgResult,
    EligibilityResult,
    Enrolment,
    LabResult,
    Lesion,
    LesionMeasurement,
    MedicalHistory,
    PerformanceStatus,
    ProtocolDeviation,
    Site,
    Subject,
    SurvivalContact,
    TilAssessment,
    TumourAssessment,
    Visit,
    VitalSign,
)

__all__ = [
    "CASEBOOK_TABLES",
    "DATE_COLUMNS",
    "ColumnSpec",
    "casebook_hash",
    "model_for",
    "read_tables",
    "row_date",
    "row_to_dict",
    "sync_sequences",
    "table_columns",
    "visit_hash",
]

#: a subject's casebook, parents before children (the order rows are imported in)
CASEBOOK_TABLES: tuple[type[CasebookRow], ...] = (
    Subject,
    EligibilityResult,
    Enrolment,
    Visit,
    BodyMeasurement,
    VitalSign,
    LabResult,
    AdverseEvent,
    DrugAdministration,
    ConcomitantTherapy,
    MedicalHistory,
    PerformanceStatus,
    EcgResult,
    ProtocolDeviation,
    SurvivalContact,
    Disposition,
    Lesion,
    TumourAssessment,
    LesionMeasurement,
    Biospecimen,
    TilAssessment,
    AssayFile,
)
#: the column that dates a row of a visit-based form: a row belongs to the visit of its
#: subject whose actual date is that day (tumour assessments also name their visit)
DATE_COLUMNS: dict[str, str] = {
    "visit": "actual_date",
    "body_measurement": "measured_on",
    "vital_sign": "measured_on",
    "lab_result": "collected_on",
    "drug_administration": "administered_on",
    "performance_status": "assessed_on",
    "ecg_result": "performed_on",
    "tumour_assessment": "assessed_on",
    "survival_contact": "contacted_on",
}
_ALL: tuple[type[CasebookRow], ...] = (*CASEBOOK_TABLES, Site)
_BY_NAME: dict[str, type[CasebookRow]] = {m.__tablename__: m for m in _ALL}
_HIDDEN = frozenset({"version", "deleted"})


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column as interchange formats see it: name, data type, nullability, length."""

    name: str
    data_type: str  # integer, float, boolean, date, datetime, text
    nullable: bool
    length: int | None


def model_for(table_name: str) -> type[CasebookRow]:
    """The mapped class of a casebook table (or ``site``).

    Parameters
    ----------
    table_name
        A table name of :data:`CASEBOOK_TABLES` or ``"site"``.

    Returns
    -------
    type[CasebookRow]
        Its SQLAlchemy mapped class.

    Raises
    ------
    DataError
        For any other name (field ``table``, the allowed names listed).

    Examples
    --------
    >>> model_for("lab_result").__name__
    'LabResult'
    """
    try:
        return _BY_NAME[table_name]
    except KeyError as exc:
        allowed = ", ".join(sorted(_BY_NAME))
        raise DataError("unknown table", field="table", value=table_name, allowed=allowed) from exc


def _data_type(column_type: object) -> str:
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, Float):
        return "float"
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    impl = getattr(column_type, "impl", None)
    if isinstance(impl, DateTime):
        return "datetime"
    return "text"


def table_columns(table_name: str) -> list[ColumnSpec]:
    """The exported columns of a casebook table (``id`` first; no version/deleted).

    Parameters
    ----------
    table_name
        A table name of :data:`CASEBOOK_TABLES` or ``"site"``.

    Returns
    -------
    list[ColumnSpec]
        ``id`` and then the other columns in name order, each with its interchange data type
        (integer, float, boolean, date, datetime or text), nullability and string length.

    Raises
    ------
    DataError
        For an unknown table (field ``table``).

    Examples
    --------
    >>> [(c.name, c.data_type, c.length) for c in table_columns("site")]
    [('id', 'integer', None), ('code', 'text', 20), ('name', 'text', 200)]
    """
    table = model_for(table_name).__table__
    return [
        ColumnSpec(
            name=c.name,
            data_type=_data_type(c.type),
            nullable=bool(c.nullable),
            length=getattr(c.type, "length", None),
        )
        for c in sorted(table.columns, key=lambda c: (c.name != "id", c.name))
        if c.name not in _HIDDEN
    ]


def row_to_dict(row: CasebookRow) -> dict[str, Any]:
    """The exported columns of one row.

    Parameters
    ----------
    row
        A casebook (or site) row.

    Returns
    -------
    dict[str, Any]
        Column name to Python value for the columns of :func:`table_columns`.
    """
    return {spec.name: getattr(row, spec.name) for spec in table_columns(row.__tablename__)}


def read_tables(
    session: Session,
    *,
    site_ids: Iterable[int] | None = None,
    tables: Iterable[type[CasebookRow]] = CASEBOOK_TABLES,
) -> dict[str, list[dict[str, Any]]]:
    """Every non-deleted row of *tables* (and the sites), limited to *site_ids* when given.

    Parameters
    ----------
    session
        A session on the trial database.
    site_ids
        Only sites with these ids and the rows of their subjects; ``None`` for every site.
    tables
        The casebook tables to read (default all of :data:`CASEBOOK_TABLES`).

    Returns
    -------
    dict[str, list[dict[str, Any]]]
        Table name (``"site"`` first, then *tables* in order) to its rows as from
        :func:`row_to_dict`, in ``id`` order. Rows of deleted subjects are left out.
    """
    allowed = None if site_ids is None else set(site_ids)
    subject_ids = select(Subject.id).where(Subject.deleted.is_(False))
    if allowed is not None:
        subject_ids = subject_ids.where(Subject.site_id.in_(allowed))
    out: dict[str, list[dict[str, Any]]] = {}
    sites = select(Site).where(Site.deleted.is_(False)).order_by(Site.id)
    if allowed is not None:
        sites = sites.where(Site.id.in_(allowed))
    out["site"] = [row_to_dict(s) for s in session.scalars(sites)]
    for model in tables:
        key = model.id if model is Subject else model.__table__.c.subject_id
        query = (
            select(model).where(model.deleted.is_(False), key.in_(subject_ids)).order_by(model.id)
        )
        out[model.__tablename__] = [row_to_dict(r) for r in session.scalars(query)]
    return out


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def casebook_hash(session: Session, subject_id: int) -> str:
    """SHA-256 of a subject's whole casebook (every non-deleted row, canonical JSON).

    Parameters
    ----------
    session
        A session on the trial database.
    subject_id
        The subject's ``id``.

    Returns
    -------
    str
        64 hex digits over the rows of every table of :data:`CASEBOOK_TABLES` that belong to
        the subject (sorted keys, dates as ISO 8601); the content a casebook signature covers.
    """
    content: dict[str, list[dict[str, object]]] = {}
    for model in CASEBOOK_TABLES:
        key = model.id if model is Subject else model.__table__.c.subject_id
        rows = session.scalars(
            select(model).where(key == subject_id, model.deleted.is_(False)).order_by(model.id)
        )
        content[model.__tablename__] = [
            {k: _jsonable(v) for k, v in row_to_dict(r).items()} for r in rows
        ]
    text_ = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def row_date(row: CasebookRow) -> date | None:
    """The visit day of a row of a visit-based form (``None`` for subject-level rows).

    Parameters
    ----------
    row
        A casebook row.

    Returns
    -------
    date or None
        The value of the row's dating column in :data:`DATE_COLUMNS` (e.g. ``collected_on``
        of a lab result), or ``None`` for a table without one or an empty date.
    """
    column = DATE_COLUMNS.get(row.__tablename__)
    value = None if column is None else getattr(row, column)
    return value if isinstance(value, date) else None


def visit_hash(session: Session, subject_id: int, day: date) -> str:
    """SHA-256 of the rows of one visit of a subject: every non-deleted row dated *day*
    (canonical JSON), the content a visit signature covers.

    Parameters
    ----------
    session
        A session on the trial database.
    subject_id
        The subject's ``id``.
    day
        The visit's date; rows of the tables of :data:`DATE_COLUMNS` dated that day are hashed.

    Returns
    -------
    str
        64 hex digits.
    """
    content: dict[str, list[dict[str, object]]] = {}
    for model in CASEBOOK_TABLES:
        column = DATE_COLUMNS.get(model.__tablename__)
        if column is None:
            continue
        rows = session.scalars(
            select(model).where(
                model.__table__.c.subject_id == subject_id,
                model.__table__.c[column] == day,
                model.deleted.is_(False),
            ).order_by(model.id)
        )
        content[model.__tablename__] = [
            {k: _jsonable(v) for k, v in row_to_dict(r).items()} for r in rows
        ]
    text_ = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def sync_sequences(session: Session, tables: Iterable[str] | None = None) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL id sequences past them.

    Parameters
    ----------
    session
        A writing session on the trial database.
    tables
        Table names to fix (each checked by :func:`model_for`); ``None`` for every casebook
        table and ``site``.

    Returns
    -------
    None
        On PostgreSQL sets each table's ``id`` sequence so the next id is ``MAX(id) + 1``;
        does nothing on SQLite.

    Raises
    ------
    DataError
        For an unknown table name (field ``table``).
    """
    if session.connection().dialect.name != "postgresql":
        return
    for name in tables if tables is not None else _BY_NAME:
        model_for(name)  # only known table names reach the SQL below
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )


def new_row(table_name: str, values: Mapping[str, Any]) -> CasebookRow:
    """A new, unsaved row of *table_name* from column values (unknown columns refused)."""
    model = model_for(table_name)
    known = {spec.name for spec in table_columns(table_name)}
    unknown = set(values) - known
    if unknown:
        raise DataError(
            f"unknown column(s) for {table_name}",
            field="column",
            value=sorted(unknown),
            allowed=", ".join(sorted(known)),
        )
    return model(**dict(values))
