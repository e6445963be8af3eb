"""CDISC ODM 1.3.2 Snapshot and Transactional export, and Snapshot import, of casebook tables,
validated against the XSD.

Layout (stable OIDs, so files from different exports line up): one StudyEvent ``SE.CASEBOOK``
per subject; one repeating Form ``F.<TABLE>`` per casebook table, ``FormRepeatKey`` = row id;
one ItemGroup ``IG.<TABLE>``; items ``IT.<TABLE>.<COLUMN>`` whose ``DataType`` (integer,
float, boolean, date, datetime, text) drives conversion on import. Sites are AdminData
``Location`` elements (``LOC.<id>.<code>``, Name = site name). Every file written or read is
validated against the ODM 1.3.2 schema shipped in ``cdisc/data/odm`` (copied from odmlib 0.2.1).

A Transactional file (:func:`write_odm_transactional`) replays the change log: one
``SubjectData`` per committed change of one row, in the order of the log, whose
``ItemGroupData`` carries ``TransactionType`` (Insert, Update, Remove), the changed items with
their new values and an ``AuditRecord`` (user, site, UTC time, reason for change, the log
entries as ``SourceID``); casebook sign-offs are ``Signature`` elements referring to a
``SignatureDef`` per meaning; users, sites and signature meanings are ``AdminData`` (ODM 1.3.2
§3.1.5, §3.1.6, §4.3).
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

__all__ = [
    "OdmChange",
    "OdmColumn",
    "OdmRowError",
    "OdmSignature",
    "OdmUser",
    "format_value",
    "item_oid",
    "location_oid",
    "read_odm",
    "validate_odm",
    "write_odm",
    "write_odm_transactional",
]

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
    """Raise :class:`DataError` listing the XSD violations of an ODM 1.3.2 document.

    Parameters
    ----------
    document
        The ODM XML bytes (external entities are not resolved).

    Returns
    -------
    None
        The call only checks; it returns when the document is valid.

    Raises
    ------
    DataError
        When the document is not well-formed XML, or not valid against the ODM 1.3.2 XSD
        (the first five violations with their lines).
    """
    try:
        root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise DataError(f"not well-formed XML: {exc}", field="odm", value=None) from exc
    schema = _schema()
    if not schema.validate(root):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise DataError(f"not valid ODM 1.3.2: {problems}", field="odm", value=None)


def format_value(value: object) -> str:
    """ODM text of a value: ``true``/``false``, ISO 8601 dates and times, else ``str``.

    Parameters
    ----------
    value
        A casebook cell (not ``None``: empty items are left out of ODM).

    Returns
    -------
    str
        The ``ItemData/@Value`` text (ODM 1.3.2 ``boolean``, ``date``, ``datetime``).

    Examples
    --------
    >>> from datetime import date, datetime
    >>> [format_value(v) for v in (True, date(2024, 2, 29), datetime(2024, 3, 1, 9, 5), 1.5)]
    ['true', '2024-02-29', '2024-03-01T09:05:00', '1.5']
    """
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
            _sub(group, "ItemRef", ItemOID=item_oid(table, col.name), Mandatory="No")
    for table, cols in columns.items():
        for col in cols:
            _sub(
                mdv,
                "ItemDef",
                OID=item_oid(table, col.name),
                Name=col.name,
                DataType=col.data_type,
            )


def item_oid(table: str, column: str) -> str:
    """The ItemOID of a table's column (``IT.<TABLE>.<COLUMN>``).

    Parameters
    ----------
    table, column
        Store table and column names, any case.

    Returns
    -------
    str
        The OID, upper case.

    Examples
    --------
    >>> item_oid("lab_result", "value")
    'IT.LAB_RESULT.VALUE'
    """
    return f"IT.{table.upper()}.{column.upper()}"


def location_oid(site: Mapping[str, Any]) -> str:
    """The ``Location`` OID of a site row (``id``, ``code``).

    Parameters
    ----------
    site
        A ``site`` table row with ``id`` and ``code``.

    Returns
    -------
    str
        ``LOC.<id>.<code>``, from which :func:`read_odm` reads the site back.

    Examples
    --------
    >>> location_oid({"id": 3, "code": "GB01"})
    'LOC.3.GB01'
    """
    return f"LOC.{site['id']}.{site['code']}"


def _locations(
    admin: etree._Element, sites: Rows, *, study_oid: str, created: datetime
) -> None:
    for site in sites:
        loc = _sub(
            admin, "Location", OID=location_oid(site), Name=str(site["name"]), LocationType="Site"
        )
        _sub(
            loc,
            "MetaDataVersionRef",
            StudyOID=study_oid,
            MetaDataVersionOID="MDV.1",
            EffectiveDate=created.date().isoformat(),
        )


def _root(file_type: str, *, study_oid: str, file_oid: str, created: datetime,
          columns: Mapping[str, Sequence[OdmColumn]]) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(_Q + "ODM", nsmap={None: NS})
    root.attrib.update(
        {
            "FileType": file_type,
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
    return root, study


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

    Parameters
    ----------
    subjects
        Subject row id -> SubjectKey.
    tables
        Store table name -> rows; each row becomes one FormData ``F.<TABLE>`` (FormRepeatKey
        its ``id``) in the subject's StudyEventData ``SE.CASEBOOK``, with one ItemData per
        non-null column of *columns*.
    sites
        ``site`` rows, written as AdminData Locations (:func:`location_oid`).
    columns
        Table name -> its columns and ODM DataTypes (the MetaDataVersion ItemDefs).
    study_oid, file_oid
        Study/@OID and ODM/@FileOID.
    created
        ODM/@CreationDateTime and the Locations' EffectiveDate.

    Returns
    -------
    bytes
        The ODM document (UTF-8, with XML declaration).

    Raises
    ------
    DataError
        When the document does not validate against the ODM 1.3.2 XSD (:func:`validate_odm`).
    """
    root, _study = _root(
        "Snapshot", study_oid=study_oid, file_oid=file_oid, created=created, columns=columns
    )
    admin = _sub(root, "AdminData")
    _locations(admin, sites, study_oid=study_oid, created=created)
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
                        ItemOID=item_oid(table, col.name),
                        Value=format_value(row[col.name]),
                    )
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_odm(document)
    return bytes(document)


@dataclass(frozen=True, slots=True)
class OdmUser:
    """A user named in audit records and signatures (``AdminData/User``)."""

    oid: str
    login: str
    full_name: str
    user_type: str  # ODM UserType: Sponsor, Investigator, Lab, Other


@dataclass(frozen=True, slots=True)
class OdmChange:
    """One committed change of one casebook row, as the change log recorded it."""

    subject_key: str
    table: str
    repeat_key: str
    transaction: str  # Insert, Update or Remove
    at: datetime
    user_oid: str
    location_oid: str
    reason: str | None
    source_id: str
    items: tuple[tuple[str, str | None], ...]  # column, new value as text (None: now null)


@dataclass(frozen=True, slots=True)
class OdmSignature:
    """A casebook sign-off: who, where, when, and the meaning (``SignatureDef``) signed."""

    subject_key: str
    at: datetime
    user_oid: str
    location_oid: str
    meaning: str


_LEGAL_REASON = "Electronic signature under 21 CFR Part 11 (11.50, 11.70)"


def _audit_record(parent: etree._Element, change: OdmChange) -> None:
    record = _sub(parent, "AuditRecord", EditPoint="DBAudit", UsedImputationMethod="No")
    _sub(record, "UserRef", UserOID=change.user_oid)
    _sub(record, "LocationRef", LocationOID=change.location_oid)
    _sub(record, "DateTimeStamp").text = change.at.isoformat()
    if change.reason:
        _sub(record, "ReasonForChange").text = change.reason
    _sub(record, "SourceID").text = change.source_id


def _change(clinical: etree._Element, change: OdmChange) -> None:
    inserted = change.transaction == "Insert"
    outer = "Insert" if inserted and change.table == "subject" else "Context"
    subject = _sub(clinical, "SubjectData", SubjectKey=change.subject_key, TransactionType=outer)
    event = _sub(subject, "StudyEventData", StudyEventOID="SE.CASEBOOK", TransactionType=outer)
    form = _sub(event, "FormData", FormOID=f"F.{change.table.upper()}",
                FormRepeatKey=change.repeat_key,
                TransactionType="Insert" if inserted else "Context")
    group = _sub(form, "ItemGroupData", ItemGroupOID=f"IG.{change.table.upper()}",
                 TransactionType=change.transaction)
    _audit_record(group, change)
    if change.transaction == "Remove":
        return
    for column, value in change.items:
        attrs = {"ItemOID": item_oid(change.table, column),
                 "TransactionType": change.transaction}
        attrs |= {"IsNull": "Yes"} if value is None else {"Value": value}
        _sub(group, "ItemData", **attrs)


def _signature(clinical: etree._Element, signature: OdmSignature, def_oid: str) -> None:
    subject = _sub(clinical, "SubjectData", SubjectKey=signature.subject_key,
                   TransactionType="Context")
    element = _sub(subject, "Signature")
    _sub(element, "UserRef", UserOID=signature.user_oid)
    _sub(element, "LocationRef", LocationOID=signature.location_oid)
    _sub(element, "SignatureRef", SignatureOID=def_oid)
    _sub(element, "DateTimeStamp").text = signature.at.isoformat()


def write_odm_transactional(
    changes: Sequence[OdmChange],
    signatures: Sequence[OdmSignature],
    *,
    users: Sequence[OdmUser],
    sites: Rows,
    columns: Mapping[str, Sequence[OdmColumn]],
    study_oid: str,
    file_oid: str,
    created: datetime,
) -> bytes:
    """An ODM 1.3.2 Transactional file: every change in log order, each with its audit record,
    and every signature in time order among them; XSD-valid.

    Parameters
    ----------
    changes
        The change log: each an Insert, Update or Remove of one casebook row with its
        AuditRecord (user, location, time, reason, source id).
    signatures
        Casebook sign-offs, each a Signature with its SignatureDef (meaning, Electronic
        methodology, the 21 CFR Part 11 legal reason).
    users
        The AdminData Users named by *changes* and *signatures*.
    sites
        ``site`` rows, written as Locations.
    columns
        Table name -> its columns and ODM DataTypes.
    study_oid, file_oid
        Study/@OID and ODM/@FileOID.
    created
        ODM/@CreationDateTime.

    Returns
    -------
    bytes
        The ODM document (UTF-8, with XML declaration); changes and signatures ordered by time,
        ties in the given order with changes first.

    Raises
    ------
    DataError
        When the document does not validate against the ODM 1.3.2 XSD.
    """
    root, _study = _root(
        "Transactional", study_oid=study_oid, file_oid=file_oid, created=created, columns=columns
    )
    admin = _sub(root, "AdminData")
    for user in users:
        element = _sub(admin, "User", OID=user.oid, UserType=user.user_type)
        _sub(element, "LoginName").text = user.login
        _sub(element, "FullName").text = user.full_name
    _locations(admin, sites, study_oid=study_oid, created=created)
    meanings = {m: f"SD.{k + 1}" for k, m in enumerate(sorted({s.meaning for s in signatures}))}
    for meaning, oid in meanings.items():
        definition = _sub(admin, "SignatureDef", OID=oid, Methodology="Electronic")
        _sub(definition, "Meaning").text = meaning
        _sub(definition, "LegalReason").text = _LEGAL_REASON
    clinical = _sub(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID="MDV.1")
    stream: list[tuple[datetime, int, OdmChange | OdmSignature]] = [
        (c.at, k, c) for k, c in enumerate(changes)
    ] + [(s.at, len(changes) + k, s) for k, s in enumerate(signatures)]
    for _at, _order, item in sorted(stream, key=lambda t: (t[0], t[1])):
        if isinstance(item, OdmChange):
            _change(clinical, item)
        else:
            _signature(clinical, item, meanings[item.meaning])
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
    """Validate and read an ODM Snapshot written by :func:`write_odm` (or shaped like it).

    Parameters
    ----------
    document
        The ODM XML bytes.

    Returns
    -------
    OdmContent
        The sites (from ``LOC.<id>.<code>`` Locations), rows per table with values converted
        to their ItemDef DataType, subject row id -> SubjectKey, and an
        :class:`OdmRowError` for each value that has no ItemDef or cannot be converted (the
        row is kept without it).

    Raises
    ------
    DataError
        When the document is not valid ODM 1.3.2 or is not a Snapshot.
    """

    validate_odm(document)
    root = etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False))
    if root.get("FileType") != "Snapshot":
        raise DataError(
            "only an ODM Snapshot can be imported (a Transactional file is the audit trail)",
            field="FileType",
            value=root.get("FileType"),
            allowed="Snapshot",
        )
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
