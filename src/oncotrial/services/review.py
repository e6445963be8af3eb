"""What monitors, data managers and investigators do to entered data: queries, source data
verification, signatures by visit and casebook, and reading the audit trail.

Queries follow the ODM 2.0 states as the store keeps them (Open → Answered → Closed, or
Cancelled), shown to users as New → Updated → Closed, and a closed query can be re-opened.
A verified field stays verified until its value changes (the store revokes it, with the
change as reason). A signature needs the signer's password confirmed moments before
(21 CFR 11.200(a)(1)); any later change to what it covers revokes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select

from oncotrial.errors import DataError, NotFoundError
from oncotrial.services._unit import Unit, require_role, require_text
from oncotrial.services.auth import Reauthentication, check_reauthentication
from oncotrial.services.casebook import VERIFIABLE
from oncotrial.services.data_management import raise_query
from oncotrial.services.permissions import PERMISSIONS, Action
from oncotrial.store import casebook_hash, record_event
from oncotrial.store.audit import decode_value
from oncotrial.store.rows import model_for, visit_hash
from oncotrial.store.schema import (
    AppUser,
    AuditLog,
    DataQuery,
    QueryMessage,
    RecordLock,
    Signature,
    Site,
    SourceVerification,
    Subject,
    Visit,
)

__all__ = [
    "QUERY_STATES",
    "AuditRow",
    "LockRow",
    "QueryRow",
    "SignatureRow",
    "audit_count",
    "audit_csv",
    "audit_rows",
    "count_open_queries",
    "list_locks",
    "list_queries",
    "list_signatures",
    "query_thread",
    "raise_field_query",
    "reopen_query",
    "sign",
    "signature_meaning",
    "verify_fields",
]

#: store state -> the name users see
QUERY_STATES = {"Open": "New", "Answered": "Updated", "Closed": "Closed",
                "Cancelled": "Cancelled"}
_MEANINGS = {
    "visit": "I approve the data of this visit as complete and accurate (review and approval)",
    "casebook": "I approve this casebook as complete and accurate (principal investigator "
                "attestation)",
}


@dataclass(frozen=True, slots=True)
class QueryRow:
    """A query as listed."""

    id: int
    subject: str
    site: str
    table: str
    row_id: int
    field: str
    state: str
    text: str
    raised_by: str
    raised_at: datetime | None
    age_days: int
    messages: tuple[tuple[str, str, str, datetime], ...]  # kind, author, text, at


def _query_base(unit: Unit) -> Select[DataQuery, Subject, Site]:
    query = (select(DataQuery, Subject, Site)
             .join(Subject, Subject.id == DataQuery.subject_id)
             .join(Site, Site.id == Subject.site_id)
             .where(DataQuery.deleted.is_(False)))
    if not unit.actor.all_sites:
        query = query.where(Subject.site_id.in_(unit.actor.site_ids))
    return query


def list_queries(
    unit: Unit, *, state: str | None = None, site: str | None = None,
    subject: str | None = None, min_age_days: int | None = None, limit: int = 500,
) -> list[QueryRow]:
    """Queries of the sites the user sees, oldest first, with their thread.

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the casebook.
    state
        Keep one state, by the name users see (``New``, ``Updated``, ``Closed``,
        ``Cancelled``) or the stored one (``Open``, ``Answered``, ...); default all.
    site
        Keep one site code (default all the user sees).
    subject
        Keep one screening number.
    min_age_days
        Keep queries raised at least this many days ago (store clock).
    limit
        At most this many queries are read (default 500), before *min_age_days* filters them.

    Returns
    -------
    list[QueryRow]
        Each with subject, site, row and field, the state as users see it, the raiser, age in
        days and the thread of (kind, author, text, UTC time) messages.

    Raises
    ------
    AccessError
        If the actor's role may not view the casebook.
    """
    require_role(unit.actor, PERMISSIONS[Action.VIEW_CASEBOOK], what="see queries")
    query = _query_base(unit)
    if state:
        store_states = [k for k, v in QUERY_STATES.items() if state in (v, k)]
        query = query.where(DataQuery.state.in_(store_states or [state]))
    if site:
        query = query.where(Site.code == site)
    if subject:
        query = query.where(Subject.screening_number == subject)
    found = unit.session.execute(query.order_by(DataQuery.id).limit(limit)).all()
    ids = [q.id for q, _s, _site in found]
    names = dict(unit.session.execute(select(AppUser.id, AppUser.username)).all())
    threads: dict[int, list[tuple[str, str, str, datetime]]] = {i: [] for i in ids}
    for m in unit.session.scalars(select(QueryMessage).where(QueryMessage.query_id.in_(ids))
                                  .order_by(QueryMessage.id)):
        threads[m.query_id].append((m.kind, names.get(m.author_id, "?"), m.text, m.at))
    rows = []
    for q, s, site_row in found:
        raised = threads[q.id][0][3] if threads[q.id] else None
        age = (unit.now().date() - raised.date()).days if raised else 0  # the store clock
        if min_age_days is not None and age < min_age_days:
            continue
        rows.append(QueryRow(
            id=q.id, subject=s.screening_number, site=site_row.code, table=q.table_name,
            row_id=q.row_id, field=q.field, state=QUERY_STATES.get(q.state, q.state),
            text=q.text, raised_by=names.get(q.raised_by, "?"), raised_at=raised,
            age_days=age, messages=tuple(threads[q.id])))
    return rows


def query_thread(unit: Unit, query_id: int) -> QueryRow:
    """One query with its thread (a query at a hidden site is not found).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the casebook.
    query_id
        The query's id.

    Returns
    -------
    QueryRow
        As :func:`list_queries` gives it.

    Raises
    ------
    NotFoundError
        If there is no such query or it is at a site the user does not see.
    AccessError
        If the actor's role may not view the casebook.
    """
    found = unit.session.execute(_query_base(unit).where(DataQuery.id == query_id)).first()
    if found is None:
        raise NotFoundError("no such query", field="query_id", value=query_id)
    rows = list_queries(unit, subject=found[1].screening_number)
    return next(r for r in rows if r.id == query_id)


def raise_field_query(unit: Unit, subject: str, *, table: str, row_id: int, field: str,
                      text: str) -> int:
    """Raise a query on one field (monitor or data manager at the subject's site).

    Parameters
    ----------
    unit
        A unit of work of a user whose role at the subject's site may raise queries.
    subject
        The subject's screening number.
    table, row_id, field
        The casebook table, the row's id (a row of *subject*) and the queried column.
    text
        The question, non-blank.

    Returns
    -------
    int
        The query's id (state ``Open``, shown as "New").

    Raises
    ------
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not raise queries.
    DataError
        If the text is blank, the table unknown, the row not the subject's or the field not a
        column of the table.
    """
    unit.subject(subject, write=False, action=Action.RAISE_QUERY)
    return raise_query(unit, subject, table=table, row_id=row_id, field=field, text=text)


def reopen_query(unit: Unit, query_id: int, *, text: str) -> None:
    """Re-open a closed query (its raiser's side), with the reason in the thread.

    Parameters
    ----------
    unit
        A unit of work of a user whose role at the subject's site may raise queries.
    query_id
        The query's id.
    text
        Why it is re-opened, non-blank.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If the text is blank or the query is not ``Closed``.
    NotFoundError
        If there is no such query or its subject is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not raise queries.
    """
    text = require_text(text, field="text")
    with unit.step(reason="query re-opened") as session:
        query = session.get(DataQuery, query_id)
        subject = None if query is None else session.get(Subject, query.subject_id)
        if query is None or subject is None:
            raise NotFoundError("no such query", field="query_id", value=query_id)
        unit.subject(subject.screening_number, write=False, action=Action.RAISE_QUERY)
        if query.state != "Closed":
            raise DataError(f"query is {QUERY_STATES.get(query.state, query.state)}",
                            field="state", value=query.state, allowed="Closed")
        query.state = "Open"
        session.add(QueryMessage(query_id=query.id, subject_id=query.subject_id,
                                 author_id=unit.actor.user_id or 0, kind="reopen", text=text,
                                 at=unit.now()))


# --- source data verification -------------------------------------------------------------------


def verify_fields(unit: Unit, subject: str, refs: Sequence[tuple[str, int, str | None]]) -> int:
    """Verify fields against source: ``(table, row id, field)``, a ``None`` field meaning every
    source field of the row. Returns how many fields were newly verified.

    A field already verified is not counted again; a change to its value later revokes the
    verification.

    Parameters
    ----------
    unit
        A unit of work of a user whose role at the subject's site may verify source data
        (monitors).
    subject
        The subject's screening number.
    refs
        ``(table, row id, field or None)`` triples, each row the subject's.

    Returns
    -------
    int
        How many fields were newly verified.

    Raises
    ------
    DataError
        If a table has no source fields or a field is not one of its source fields.
    NotFoundError
        If the subject or a row of it does not exist for the user.
    AccessError
        If the user's role at the subject's site may not verify.
    """
    owner = unit.subject(subject, write=False, action=Action.VERIFY)
    wanted: list[tuple[str, int, str]] = []
    for table, row_id, name in refs:
        fields = VERIFIABLE.get(table)
        if fields is None:
            raise DataError("no source fields to verify in this table", field="table",
                            value=table, allowed=", ".join(sorted(VERIFIABLE)))
        if name is not None and name not in fields:
            raise DataError("not a source field of this table", field="field", value=name,
                            allowed=", ".join(fields))
        wanted += [(table, row_id, f) for f in ((name,) if name else fields)]
    with unit.step() as session:
        for table, row_id in {(t, r) for t, r, _f in wanted}:
            row = session.get(model_for(table), row_id)
            row_subject = getattr(row, "subject_id", getattr(row, "id", None))
            if row is None or row_subject != owner.id:
                raise NotFoundError(f"no such {table} row for this subject", field="row_id",
                                    value=row_id, subject=subject)
        done = {(t, r, f) for t, r, f in session.execute(
            select(SourceVerification.table_name, SourceVerification.row_id,
                   SourceVerification.field)
            .where(SourceVerification.subject_id == owner.id,
                   SourceVerification.state == "verified"))}
        new = [w for w in dict.fromkeys(wanted) if w not in done]
        for table, row_id, name in new:
            session.add(SourceVerification(
                subject_id=owner.id, table_name=table, row_id=row_id, field=name,
                verified_by=unit.actor.user_id, verified_at=unit.now(), state="verified"))
        session.flush()
        return len(new)


# --- signatures ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignatureRow:
    """A signature as listed: what it covers and whether it still stands."""

    id: int
    scope: str
    visit: str | None
    signer: str
    meaning: str
    signed_at: datetime
    state: str
    reason: str | None


def list_signatures(unit: Unit, subject: str) -> list[SignatureRow]:
    """Every signature of a subject, newest first (revoked ones with their reason).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the casebook.
    subject
        The subject's screening number.

    Returns
    -------
    list[SignatureRow]
        Scope (``visit`` or ``casebook``), visit, signer, meaning, UTC time, state and the
        reason it was revoked.

    Raises
    ------
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role at the subject's site may not view the casebook.
    """
    owner = unit.subject(subject, write=False, action=Action.VIEW_CASEBOOK)
    return [SignatureRow(id=s.id, scope=s.scope, visit=s.visit_name, signer=s.signer_name,
                         meaning=s.meaning, signed_at=s.signed_at, state=s.state,
                         reason=s.invalidated_reason)
            for s in unit.session.scalars(select(Signature).where(
                Signature.subject_id == owner.id).order_by(Signature.id.desc()))]


def signature_meaning(scope: str) -> str:
    """The meaning a signature of *scope* carries, shown before signing (21 CFR 11.50).

    Parameters
    ----------
    scope
        ``"visit"`` or ``"casebook"``.

    Returns
    -------
    str
        The sentence the signer approves.

    Raises
    ------
    KeyError
        If *scope* is neither.

    Examples
    --------
    >>> signature_meaning("visit")
    'I approve the data of this visit as complete and accurate (review and approval)'
    """
    return _MEANINGS[scope]


def sign(unit: Unit, subject: str, *, visit: str | None, proof: Reauthentication | None) -> int:
    """The investigator signs one visit (*visit*) or the whole casebook (``None``).

    The signature keeps the signer's printed name, the meaning
    (:func:`signature_meaning`), the UTC time and the SHA-256 of what it covers (the visit's
    day of data, or the whole casebook); any later change to that content revokes it.

    Parameters
    ----------
    unit
        A unit of work of a user whose role at the subject's site may sign (investigators).
    subject
        The subject's screening number.
    visit
        The visit's name, or ``None`` for the casebook.
    proof
        From :func:`oncotrial.services.auth.confirm_password`, moments before (5 minutes).

    Returns
    -------
    int
        The signature's id.

    Raises
    ------
    NotFoundError
        If there is no such subject or it is at a site the user does not see.
    AccessError
        If the user's role may not sign there, or the proof is missing, another user's or
        expired.
    DataError
        If the visit has no recorded date.

    Examples
    --------
    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.auth import confirm_password, set_password
    >>> from oncotrial.services.data_management import correct_record
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.review import list_signatures, sign
    >>> from oncotrial.services.subjects import record_visit, register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_user(unit, "ines", full_name="Ines Ito", role="investigator", sites=["01"])
    ...     set_password(unit, "ines", "correct horse battery staple")
    >>> ines = log_in(store, "ines", channel="UI")
    >>> with open_unit(store, ines) as unit:
    ...     _ = register_subject(unit, "01-001", site="01", sex="F",
    ...                          consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     visit_id = record_visit(unit, "01-001", name="C1D1", visitnum=1,
    ...                             actual_date=date(2024, 1, 15))
    >>> proof = confirm_password(store, ines, "correct horse battery staple")
    >>> with open_unit(store, ines) as unit:
    ...     signature_id = sign(unit, "01-001", visit="C1D1", proof=proof)
    ...     [(s.scope, s.visit, s.signer, s.state) for s in list_signatures(unit, "01-001")]
    [('visit', 'C1D1', 'Ines Ito', 'valid')]
    >>> with open_unit(store, ines) as unit:
    ...     sign(unit, "01-001", visit=None, proof=None)
    Traceback (most recent call last):
    ...
    oncotrial.errors.AccessError: password=None: signing needs the signer's password
    >>> store.dispose(); folder.cleanup()
    """
    owner = unit.subject(subject, write=False, action=Action.SIGN)
    check_reauthentication(unit, proof)
    scope = "casebook" if visit is None else "visit"
    with unit.step() as session:
        content = casebook_hash(session, owner.id)
        if visit is not None:
            day = session.scalar(select(Visit.actual_date).where(
                Visit.subject_id == owner.id, Visit.name == visit, Visit.deleted.is_(False)))
            if day is None:
                raise DataError("a visit is signed once it has a date and data", field="visit",
                                value=visit, subject=subject)
            content = visit_hash(session, owner.id, day)
        user = session.get(AppUser, unit.actor.user_id)
        assert user is not None
        signature = Signature(subject_id=owner.id, signer_id=user.id,
                              signer_name=user.full_name, meaning=_MEANINGS[scope],
                              signed_at=unit.now(), content_hash=content, state="valid",
                              scope=scope, visit_name=visit)
        session.add(signature)
        session.flush()
        record_event(session, action="sign", table_name="signature", row_id=signature.id,
                     subject_id=owner.id, detail=f"{scope} {visit or ''}".strip())
        return signature.id


# --- audit trail --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One change-log entry as the viewer shows it."""

    seq: int
    at: datetime
    username: str
    role: str
    action: str
    table: str
    row_id: int | None
    subject: str | None
    field: str | None
    old: str
    new: str
    reason: str | None
    channel: str


def _audit_query(unit: Unit, *, subject: str | None, table: str | None, row_id: int | None,
                 field: str | None, since: datetime | None,
                 until: datetime | None) -> Select[AuditLog, str]:
    query = select(AuditLog, Subject.screening_number).outerjoin(
        Subject, Subject.id == AuditLog.subject_id)
    if subject is not None:
        owner = unit.subject(subject, write=False, action=Action.VIEW_AUDIT)
        query = query.where(AuditLog.subject_id == owner.id)
    elif not unit.actor.all_sites:
        query = query.where(and_(AuditLog.subject_id.is_not(None),
                                 Subject.site_id.in_(unit.actor.site_ids)))
    if table:
        query = query.where(AuditLog.table_name == table)
    if row_id is not None:
        query = query.where(AuditLog.row_id == row_id)
    if field:
        query = query.where(or_(AuditLog.field == field, AuditLog.field.is_(None)))
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    return query


def _row(entry: AuditLog, screening: str | None) -> AuditRow:
    def text(raw: str | None) -> str:
        value = decode_value(raw)
        return "" if value is None else str(value)

    return AuditRow(seq=entry.seq, at=entry.at, username=entry.username, role=entry.role,
                    action=entry.action, table=entry.table_name, row_id=entry.row_id,
                    subject=screening, field=entry.field, old=text(entry.old_value),
                    new=text(entry.new_value), reason=entry.reason, channel=entry.channel)


def audit_rows(
    unit: Unit, *, subject: str | None = None, table: str | None = None,
    row_id: int | None = None, field: str | None = None, since: datetime | None = None,
    until: datetime | None = None, after_seq: int = 0, limit: int = 200,
) -> list[AuditRow]:
    """A page of the audit trail the user may read (who, what old → new, when UTC, why).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the audit trail (for one subject: at the
        subject's site).
    subject
        Keep one subject's entries; without it, every entry of the sites the user sees
        (study-wide roles: every entry, including users and sites).
    table, row_id
        Keep one table, one row id.
    field
        Keep the changes of one column (and the row-level events without a column).
    since, until
        UTC time range, *since* included, *until* excluded.
    after_seq
        Keep entries after this sequence number (the last one of the previous page).
    limit
        At most this many entries (default 200).

    Returns
    -------
    list[AuditRow]
        In sequence order: user, role, action, table, row, subject, field, old and new value
        as text, reason, channel.

    Raises
    ------
    AccessError
        If the user's role may not view the audit trail.
    NotFoundError
        If *subject* does not exist or is at a site the user does not see.
    """
    if subject is None:
        _require_audit(unit)
    query = _audit_query(unit, subject=subject, table=table, row_id=row_id, field=field,
                         since=since, until=until)
    found = unit.session.execute(query.where(AuditLog.seq > after_seq)
                                 .order_by(AuditLog.seq).limit(limit)).all()
    return [_row(entry, screening) for entry, screening in found]


def _require_audit(unit: Unit) -> None:
    require_role(unit.actor, PERMISSIONS[Action.VIEW_AUDIT], what="read the audit trail")


AUDIT_COLUMNS = ("seq", "at_utc", "user", "role", "action", "table", "row_id", "subject",
                 "field", "old_value", "new_value", "reason", "channel")


def audit_csv(unit: Unit, *, since: datetime | None, until: datetime | None,
              batch: int = 2000) -> Iterator[str]:
    """The audit trail between two UTC times as CSV text, a batch of rows at a time (never
    all in memory); formula-leading text is neutralised (OWASP CSV injection).

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the audit trail; only the entries of the
        sites they see are written.
    since, until
        UTC time range (*since* included, *until* excluded); ``None`` leaves that end open.
    batch
        Entries read and written per chunk (default 2000).

    Returns
    -------
    Iterator[str]
        The header line, then one chunk of CSV lines per batch; text starting with ``=``,
        ``+``, ``-``, ``@``, tab or carriage return (other than a number) is prefixed with
        ``'``.

    Raises
    ------
    AccessError
        If the user's role may not view the audit trail (raised when iteration starts).
    """
    _require_audit(unit)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    yield buffer.getvalue()
    after = 0
    while True:
        rows = audit_rows(unit, since=since, until=until, after_seq=after, limit=batch)
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for r in rows:
            writer.writerow([_safe(v) for v in (
                r.seq, r.at.isoformat(), r.username, r.role, r.action, r.table, r.row_id,
                r.subject, r.field, r.old, r.new, r.reason, r.channel)])
        yield buffer.getvalue()
        after = rows[-1].seq


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def audit_count(unit: Unit, *, since: datetime | None, until: datetime | None) -> int:
    """How many entries an export between two times holds.

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the audit trail.
    since, until
        UTC time range (*since* included, *until* excluded); ``None`` leaves that end open.

    Returns
    -------
    int
        The count of entries :func:`audit_csv` would write.

    Raises
    ------
    AccessError
        If the user's role may not view the audit trail.
    """
    _require_audit(unit)
    query = _audit_query(unit, subject=None, table=None, row_id=None, field=None, since=since,
                         until=until).subquery()
    return int(unit.session.scalar(select(func.count()).select_from(query)) or 0)


@dataclass(frozen=True, slots=True)
class LockRow:
    """A lock as listed."""

    id: int
    level: str
    site: str | None
    subject: str | None
    form: str | None
    active: bool
    reason: str
    locked_by: str
    unlock_reason: str | None


def list_locks(unit: Unit) -> list[LockRow]:
    """Every lock, newest first (data manager).

    Parameters
    ----------
    unit
        A unit of work of a data manager.

    Returns
    -------
    list[LockRow]
        Level, site, subject, form, whether active, reasons and who locked.

    Raises
    ------
    AccessError
        If the actor is not a data manager.
    """
    require_role(unit.actor, PERMISSIONS[Action.LOCK], what="see locks")
    names = dict(unit.session.execute(select(AppUser.id, AppUser.username)).all())
    sites = dict(unit.session.execute(select(Site.id, Site.code)).all())
    subjects = dict(unit.session.execute(select(Subject.id, Subject.screening_number)).all())
    return [LockRow(id=r.id, level=r.level, site=sites.get(r.site_id) if r.site_id else None,
                    subject=subjects.get(r.subject_id) if r.subject_id else None,
                    form=r.form_name, active=r.active, reason=r.reason,
                    locked_by=names.get(r.locked_by, "?"), unlock_reason=r.unlock_reason)
            for r in unit.session.scalars(select(RecordLock).order_by(RecordLock.id.desc()))]


def count_open_queries(unit: Unit) -> int:
    """New and updated queries of the sites the user sees.

    Parameters
    ----------
    unit
        A unit of work of a user whose role may view the casebook.

    Returns
    -------
    int
        Queries in state ``Open`` or ``Answered``.

    Raises
    ------
    AccessError
        If the actor's role may not view the casebook.
    """
    require_role(unit.actor, PERMISSIONS[Action.VIEW_CASEBOOK], what="see queries")
    query = _query_base(unit).where(DataQuery.state.in_(("Open", "Answered"))).subquery()
    return int(unit.session.scalar(select(func.count()).select_from(query)) or 0)
