"""CDISC ODM 1.3.2 Snapshot export and import of casebook tables, validated against the XSD.

Layout (stable OIDs, so files from different exports line up): one StudyEvent ``SE.CASEBOOK``
per subject; one repeating Form ``F.<TABLE>`` per casebook table, ``FormRepeatKey`` = row id;
one ItemGroup ``IG.<TABLE>``; items ``IT.<TABLE>.<COLUMN>`` whose ``DataType`` (integer,
float, boolean, date, datetime, text) drives conversion on import. Sites are AdminData
``Location`` elements (``LOC.<id>.<code>``, Name = site name). Every file written or read is
validated against the ODM 1.3.2 schema shipped in ``cdisc/data/odm`` (copied from odmlib 0.2.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from oncotrial.errors import DataError

__all__ = ["OdmColumn", "OdmRowError", "read_odm", "validate_odm", "write_odm"]

NS = "http://www.cdisc.org/ns/odm/v1.3"
_Q = f"{{{NS}}}"
Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class OdmColumn:
    """One column of a table: name and ODM DataType."""

    name: str
    data_type: str  # integer, float, boolean, date, datetime, text


@dataclass(frozen=True, slots=True)
class OdmRowError:
    """A value that cannot be read: where (subject, table, repeat key, item) and why."""

    subject: str
    table: str
    repeat_key: str
    item: str
    message: str


@cache
def _schema() -> etree.XMLSchema:
    path = resources.files("oncotrial.cdisc") / "data" / "odm" / "ODM1-3-2.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def validate_odm(document: bytes) -> None:
    """Raise :class:`DataError` listing the XSD violations of an ODM 1.3.2 document."""
    try:
        root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DataError(f"not well-formed XML: {exc}", field="odm", value=None) from exc
    schema = _schema()
    if not schema.validate(root):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise DataError(f"not valid ODM 1.3.2: {problems}", field="odm", value=None)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, _Q + tag, dict(attrs))


def _metadata(study: etree._Element, columns: Mapping[str, Sequence[OdmColumn]]) -> None:
    mdv = _sub(study, "MetaDataVersion", OID="MDV.1", Name="oncotrial casebook")
    protocol = _sub(mdv, "Protocol")
    _sub(protocol, "StudyEventRef", StudyEventOID="SE.CASEBOOK", Mandatory="Yes")
    event = _sub(
        mdv, "StudyEventDef", OID="SE.CASEBOOK", Name="Casebook", Repeating="No", Type="Common"
    )
    for table in columns:
        _sub(event, "FormRef", FormOID=f"F.{table.upper()}", Mandatory="No")
    for table in columns:
        form = _sub(mdv, "FormDef", OID=f"F.{table.upper()}", Name=table, Repeating="Yes")
        _sub(form, "ItemGroupRef", ItemGroupOID=f"IG.{table.upper()}", Mandatory="Yes")
    for table, cols in columns.items():
        group = _sub(mdv, "ItemGroupDef", OID=f"IG.{table.upper()}", Name=table, Repeating="No")
        for col in cols:
            _sub(group, "ItemRef", ItemOID=_item_oid(table, col.name), Mandatory="No")
    for table, cols in columns.items():
        for col in cols:
            _sub(
                mdv,
                "ItemDef",
                OID=_item_oid(table, col.name),
                Name=col.name,
                DataType=col.data_type,
            )


def _item_oid(table: str, column: str) -> str:
    return f"IT.{table.upper()}.{column.upper()}"


def write_odm(
    subjects: Mapping[int, str],
    tables: Mapping[str, Rows],
    sites: Rows,
    *,
    columns: Mapping[str, Sequence[OdmColumn]],
    study_oid: str,
    file_oid: str,
    created: datetime,
) -> bytes:
    """An ODM 1.3.2 Snapshot of *tables* (rows carry ``id`` and ``subject_id``), XSD-valid.

    *subjects* maps subject row ids to SubjectKeys (screening numbers); the ``subject`` table
    itself is keyed by its ``id``.
    """
    root = etree.Element(_Q + "ODM", nsmap={None: NS})
    root.attrib.update(
        {
            "FileType": "Snapshot",
            "Granularity": "All",
            "FileOID": file_oid,
            "CreationDateTime": created.isoformat(),
            "ODMVersion": "1.3.2",
            "SourceSystem": "oncotrial",
        }
    )
    study = _sub(root, "Study", OID=study_oid)
    gv = _sub(study, "GlobalVariables")
    for tag in ("StudyName", "StudyDescription", "ProtocolName"):
        _sub(gv, tag).text = study_oid
    _metadata(study, columns)
    admin = _sub(root, "AdminData")
    for site in sites:
        loc = _sub(
            admin,
            "Location",
            OID=f"LOC.{site['id']}.{site['code']}",
            Name=str(site["name"]),
            LocationType="Site",
        )
        _sub(
            loc,
            "MetaDataVersionRef",
            StudyOID=study_oid,
            MetaDataVersionOID="MDV.1",
            EffectiveDate=created.date().isoformat(),
        )
    clinical = _sub(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID="MDV.1")
    events: dict[int, etree._Element] = {}
    for sid, key in subjects.items():
        subject = _sub(clinical, "SubjectData", SubjectKey=key)
        events[sid] = _sub(subject, "StudyEventData", StudyEventOID="SE.CASEBOOK")
    for table, rows in tables.items():
        for row in rows:
            sid = int(row["id"] if table == "subject" else row["subject_id"])
            form = _sub(
                events[sid], "FormData", FormOID=f"F.{table.upper()}", FormRepeatKey=str(row["id"])
            )
            group = _sub(form, "ItemGroupData", ItemGroupOID=f"IG.{table.upper()}")
            for col in columns[table]:
                if row.get(col.name) is not None:
                    _sub(
                        group,
                        "ItemData",
                        ItemOID=_item_oid(table, col.name),
                        Value=_text(row[col.name]),
                    )
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_odm(document)
    return bytes(document)


def _convert(value: str, data_type: str) -> object:
    converters: dict[str, Any] = {
        "integer": int,
        "float": float,
        "text": str,
        "date": date.fromisoformat,
        "datetime": datetime.fromisoformat,
        "boolean": lambda v: {"true": True, "false": False}[v.lower()],
    }
    return converters[data_type](value)


@dataclass(frozen=True, slots=True)
class OdmContent:
    """What :func:`read_odm` found: sites, rows per table, and every unreadable value."""

    sites: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]
    subject_keys: dict[int, str]
    errors: list[OdmRowError]


def _item_types(root: etree._Element) -> dict[str, tuple[str, str, str]]:
    types: dict[str, tuple[str, str, str]] = {}
    for item in root.iter(_Q + "ItemDef"):
        oid = item.get("OID", "")
        parts = oid.split(".")
        types[oid] = (parts[1].lower(), item.get("Name", ""), item.get("DataType", "text"))
    return types


def _read_group(
    form: etree._Element,
    key: str,
    types: Mapping[str, tuple[str, str, str]],
    errors: list[OdmRowError],
) -> tuple[str, dict[str, Any]]:
    table = form.get("FormOID", "F.").split(".", 1)[1].lower()
    repeat = form.get("FormRepeatKey", "")
    row: dict[str, Any] = {}
    for item in form.iter(_Q + "ItemData"):
        oid = item.get("ItemOID", "")
        if oid not in types:
            errors.append(OdmRowError(key, table, repeat, oid, "no ItemDef for this item"))
            continue
        _, name, data_type = types[oid]
        try:
            row[name] = _convert(item.get("Value", ""), data_type)
        except (ValueError, KeyError):
            errors.append(
                OdmRowError(
                    key, table, repeat, oid, f"{item.get('Value')!r} is not a valid {data_type}"
                )
            )
    return table, row


def read_odm(document: bytes) -> OdmContent:
    """Validate and read an ODM Snapshot written by :func:`write_odm` (or shaped like it)."""
    validate_odm(document)
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    types = _item_types(root)
    sites = [
        {"id": int(oid.split(".", 2)[1]), "code": oid.split(".", 2)[2], "name": loc.get("Name")}
        for loc in root.iter(_Q + "Location")
        if (oid := loc.get("OID", "")).count(".") >= 2
    ]
    tables: dict[str, list[dict[str, Any]]] = {}
    keys: dict[int, str] = {}
    errors: list[OdmRowError] = []
    for subject in root.iter(_Q + "SubjectData"):
        key = subject.get("SubjectKey", "")
        for form in subject.iter(_Q + "FormData"):
            table, row = _read_group(form, key, types, errors)
            tables.setdefault(table, []).append(row)
            if table == "subject" and "id" in row:
                keys[int(row["id"])] = key
    return OdmContent(sites=sites, tables=tables, subject_keys=keys, errors=errors)
