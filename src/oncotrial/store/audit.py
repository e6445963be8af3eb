"""The append-only, hash-chained change log.

Field changes are captured from the ORM unit of work after each flush (old and new value per
column, or every non-null value of an inserted row) and held on the session; at commit they
are numbered, time-stamped with the store's UTC clock and chained under a lock (a PostgreSQL
transaction-scoped advisory lock; SQLite serialises writers itself), then inserted in the same
transaction as the data. Entry ``n`` stores ``sha256(canonical(entry n) + hash(n-1))``, so
changing, inserting or removing any row breaks every later link (:func:`verify_chain`).

On PostgreSQL the log is also protected in the database: a trigger refuses UPDATE, DELETE and
TRUNCATE for every role, and :func:`grant_application_role` grants the application role only
SELECT and INSERT on it (21 CFR 11.10(e); ICH E6(R3) Annex 1 §4.2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from oncotrial.errors import ConcurrencyError, DataError
from oncotrial.store.schema import AuditLog

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "ChainCheck",
    "ChainVerification",
    "PendingEntry",
    "chain_pending",
    "decode_value",
    "encode_value",
    "grant_application_role",
    "history_of_row",
    "history_of_subject",
    "install_pg_protection",
    "is_lock_wait_timeout",
    "iter_log",
    "value_as_of",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 5_208_661_997  # any constant shared by every writer of one database
_VERIFY_BATCH = 5000
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL SQLSTATE of a lock_timeout


def encode_value(value: object) -> str | None:
    """Canonical JSON text of a column value (dates as ISO 8601); ``None`` stays ``None``.

    Parameters
    ----------
    value
        A column value: ``None``, a bool, int, float or str (JSON as is), a ``date`` or
        ``datetime`` (its ISO 8601 text), or anything else (its ``str``).

    Returns
    -------
    str or None
        The JSON text stored in ``audit_log.old_value``/``new_value`` and hashed into the chain;
        ``None`` for ``None``.

    Examples
    --------
    >>> from datetime import date
    >>> encode_value(date(2026, 3, 2)), encode_value(7.5), encode_value(None)
    ('"2026-03-02"', '7.5', None)
    """
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, bool | int | float | str):
        return json.dumps(value)
    return json.dumps(str(value))


def decode_value(encoded: str | None) -> Any:
    """Inverse of :func:`encode_value` (dates come back as ISO strings).

    Parameters
    ----------
    encoded
        JSON text as stored in the change log, or ``None``.

    Returns
    -------
    Any
        The decoded value (``None`` for ``None``); a date stays its ISO 8601 text.

    Examples
    --------
    >>> decode_value('"2026-03-02"'), decode_value("7.5"), decode_value(None)
    ('2026-03-02', 7.5, None)
    """
    return None if encoded is None else json.loads(encoded)


@dataclass(slots=True)
class PendingEntry:
    """One change waiting for the commit to be numbered and chained."""

    action: str
    table_name: str
    row_id: int | None
    subject_id: int | None
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    user_id: int | None
    username: str
    role: str
    channel: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change-log entry as read back."""

    seq: int
    at: datetime
    username: str
    role: str
    action: str
    table_name: str
    row_id: int | None
    subject_id: int | None
    field: str | None
    old_value: Any
    new_value: Any
    reason: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """Result of :func:`verify_chain`: ``ok`` or the first broken entry and why."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    last_hash: str = GENESIS_HASH
    problems: tuple[str, ...] = field(default=())


def _entry_hash(row: Mapping[str, Any]) -> str:
    payload = json.dumps(
        [
            row["seq"],
            row["at"].isoformat(),
            row["user_id"],
            row["username"],
            row["role"],
            row["action"],
            row["table_name"],
            row["row_id"],
            row["subject_id"],
            row["field"],
            row["old_value"],
            row["new_value"],
            row["reason"],
            row["channel"],
            row["prev_hash"],
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_lock_wait_timeout(exc: DBAPIError) -> bool:
    """Whether PostgreSQL gave up waiting for a lock (``lock_timeout``).

    Parameters
    ----------
    exc
        A driver error raised through SQLAlchemy.

    Returns
    -------
    bool
        True when the driver's SQLSTATE is ``55P03`` (lock not available), as set by
        ``lock_timeout``; False for every other error and on SQLite.
    """
    return getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE


def _take_chain_lock(connection: Connection, timeout_s: float) -> None:
    """PostgreSQL: the advisory transaction lock every appender takes, waiting at most
    *timeout_s* (released at commit or rollback)."""
    connection.execute(
        text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{int(timeout_s * 1000)}ms"}
    )
    try:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    except OperationalError as exc:
        if not is_lock_wait_timeout(exc):
            raise
        raise ConcurrencyError(
            f"the change log's chain lock was not free within {timeout_s:g} s (another "
            "transaction is committing and holds it); nothing was written, try again",
            field="audit_log",
        ) from exc


def chain_pending(
    session: Session,
    pending: Sequence[PendingEntry],
    *,
    now: datetime,
    lock_timeout_s: float = 30.0,
) -> int:
    """Number, time-stamp, hash and insert *pending* entries in the session's transaction.

    Takes the chain lock first (PostgreSQL advisory transaction lock, waiting at most
    *lock_timeout_s*; released at commit), so concurrent writers append one after the other.
    Each entry gets the next ``seq``, the time *now*, the previous entry's hash as ``prev_hash``
    (:data:`GENESIS_HASH` for the first) and ``entry_hash`` = SHA-256 of its canonical JSON
    content plus ``prev_hash``.

    Parameters
    ----------
    session
        The writing session; the rows are inserted into ``audit_log`` in its transaction, so
        they are committed or rolled back with the data.
    pending
        The entries captured since the last commit, in the order they happened.
    now
        Aware UTC time stamped on every entry (the store's clock).
    lock_timeout_s
        PostgreSQL: seconds to wait for the chain lock (ignored on SQLite, which serialises
        writers itself).

    Returns
    -------
    int
        The last sequence number written (the previous last one if *pending* is empty).

    Raises
    ------
    ConcurrencyError
        The chain lock was not free in time.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _take_chain_lock(connection, lock_timeout_s)
    last = connection.execute(
        select(AuditLog.seq, AuditLog.entry_hash).order_by(AuditLog.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last is not None else (0, GENESIS_HASH)
    rows: list[dict[str, Any]] = []
    for entry in pending:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": now,
            "user_id": entry.user_id,
            "username": entry.username,
            "role": entry.role,
            "action": entry.action,
            "table_name": entry.table_name,
            "row_id": entry.row_id,
            "subject_id": entry.subject_id,
            "field": entry.field,
            "old_value": entry.old_value,
            "new_value": entry.new_value,
            "reason": entry.reason,
            "channel": entry.channel,
            "prev_hash": prev,
        }
        prev = row["entry_hash"] = _entry_hash(row)
        rows.append(row)
    if rows:
        connection.execute(insert(AuditLog), rows)
    return seq


def iter_log(connection: Connection | Session) -> Iterator[dict[str, Any]]:
    """Every change-log row as a mapping, in sequence order (read in batches).

    Parameters
    ----------
    connection
        A connection or session on the trial database.

    Yields
    ------
    dict[str, Any]
        One ``audit_log`` row per entry, every column (``seq``, ``at``, ``prev_hash``,
        ``entry_hash``, values still JSON-encoded), read 5000 rows at a time.
    """
    after = 0
    while True:
        batch = connection.execute(
            select(AuditLog.__table__)
            .where(AuditLog.seq > after)
            .order_by(AuditLog.seq)
            .limit(_VERIFY_BATCH)
        ).mappings()
        rows = [dict(r) for r in batch]
        if not rows:
            return
        yield from rows
        after = rows[-1]["seq"]


class ChainCheck:
    """Checks change-log rows one by one, in sequence order, against the hash chain.

    Detects an altered entry (its hash no longer matches its content), a removed or inserted
    entry (a gap in ``seq`` or a ``prev_hash`` that is not the previous entry's hash). Feeding
    continues after the first break (so a caller can go on replaying the log); the result
    names the first one.
    """

    def __init__(self) -> None:
        self._prev = GENESIS_HASH
        self._expected_seq = 1
        self._checked = 0
        self._bad: tuple[int, str] | None = None

    def feed(self, row: Mapping[str, Any]) -> None:
        """Check the next entry."""
        if self._bad is None:
            problem = ""
            if row["seq"] != self._expected_seq:
                problem = f"sequence gap: expected {self._expected_seq}, found {row['seq']}"
            elif row["prev_hash"] != self._prev:
                problem = "prev_hash does not match the previous entry's hash"
            elif _entry_hash(row) != row["entry_hash"]:
                problem = "content does not match its hash (entry altered)"
            if problem:
                self._bad = (row["seq"], problem)
            else:
                self._checked += 1
        self._prev = row["entry_hash"]
        self._expected_seq = row["seq"] + 1

    def result(self) -> ChainVerification:
        """The verdict over every entry fed so far."""
        if self._bad is not None:
            return ChainVerification(
                ok=False, checked=self._checked, first_bad_seq=self._bad[0], problem=self._bad[1]
            )
        return ChainVerification(ok=True, checked=self._checked, last_hash=self._prev)


def verify_chain(connection: Connection | Session) -> ChainVerification:
    """Recompute every hash of the change log in sequence order and check every link.

    Detects an altered entry (its hash no longer matches its content), a removed or inserted
    entry (a gap in ``seq`` or a ``prev_hash`` that is not the previous entry's hash). Reading
    stops at the first break.

    Parameters
    ----------
    connection
        A connection or session on the trial database (a snapshot session for one consistent
        state).

    Returns
    -------
    ChainVerification
        ``ok`` with the number of entries checked and the head hash, or the first broken
        ``seq`` and why. Nothing is written.

    Examples
    --------
    See :func:`value_as_of` (a new chain of three entries checks as ``ok``).
    """
    check = ChainCheck()
    for row in iter_log(connection):
        check.feed(row)
        if not check.result().ok:
            break
    return check.result()


def _to_entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        username=row.username,
        role=row.role,
        action=row.action,
        table_name=row.table_name,
        row_id=row.row_id,
        subject_id=row.subject_id,
        field=row.field,
        old_value=decode_value(row.old_value),
        new_value=decode_value(row.new_value),
        reason=row.reason,
        channel=row.channel,
    )


def value_as_of(session: Session, *, table_name: str, row_id: int, field: str, at: datetime) -> Any:
    """The value of one field of one row as it stood at UTC time *at* (``None`` if unset).

    Read from the change log alone: the newest logged value of *field* with a time stamp at or
    before *at*.

    Parameters
    ----------
    session
        A session on the trial database.
    table_name, row_id
        The row: its table's name (e.g. ``"lab_result"``) and its ``id``.
    field
        The column name.
    at
        Aware UTC time.

    Returns
    -------
    Any
        The decoded value (dates as ISO 8601 text), or ``None`` if the field had no value then.

    Raises
    ------
    DataError
        If the row did not exist yet at *at* (field ``at``).

    Examples
    --------
    A new SQLite database; a site is entered on 2 March and its name corrected on 9 March with a
    reason. The log answers what the name was in between, and its chain checks:

    >>> import tempfile
    >>> from datetime import UTC, datetime
    >>> from pathlib import Path
    >>> from oncotrial.store.migrate import upgrade
    >>> from oncotrial.store.schema import Site
    >>> from oncotrial.store.session import Actor, Store, reason_for_change
    >>> url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'trial.db'}"
    >>> _ = upgrade(url)
    >>> now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    >>> store = Store(url, clock=lambda: now[0])
    >>> dm = Actor(user_id=None, username="dm1", role="data_manager", channel="cli")
    >>> with store.transaction(dm) as session:
    ...     site = Site(code="S01", name="Mlian")
    ...     session.add(site)
    >>> now[0] = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    >>> with store.transaction(dm) as session, reason_for_change(session, "typing error"):
    ...     session.get(Site, site.id).name = "Milan"
    >>> with store.snapshot() as session:
    ...     before = value_as_of(session, table_name="site", row_id=site.id, field="name",
    ...                          at=datetime(2026, 3, 5, tzinfo=UTC))
    ...     log = history_of_row(session, table_name="site", row_id=site.id)
    ...     chain = verify_chain(session)
    >>> before
    'Mlian'
    >>> [(e.seq, e.action, e.field, e.old_value, e.new_value, e.reason) for e in log]
    [(1, 'insert', 'code', None, 'S01', None), (2, 'insert', 'name', None, 'Mlian', None),
     (3, 'update', 'name', 'Mlian', 'Milan', 'typing error')]
    >>> chain.ok, chain.checked
    (True, 3)
    >>> with store.snapshot() as session:
    ...     value_as_of(session, table_name="site", row_id=site.id, field="name",
    ...                 at=datetime(2026, 3, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: at=...: site row 1 did not exist at 2026-03-01T00:00:00+00:00
    >>> store.dispose()
    """
    created = session.scalar(
        select(AuditLog.at)
        .where(AuditLog.table_name == table_name, AuditLog.row_id == row_id)
        .order_by(AuditLog.seq)
        .limit(1)
    )
    if created is None or created > at:
        raise DataError(
            f"{table_name} row {row_id} did not exist at {at.isoformat()}",
            field="at",
            value=at.isoformat(),
        )
    latest = session.scalar(
        select(AuditLog.new_value)
        .where(
            AuditLog.table_name == table_name,
            AuditLog.row_id == row_id,
            AuditLog.field == field,
            AuditLog.at <= at,
        )
        .order_by(AuditLog.seq.desc())
        .limit(1)
    )
    return decode_value(latest)


def history_of_subject(session: Session, subject_id: int) -> list[AuditEntry]:
    """Every change-log entry about one subject, oldest first.

    Parameters
    ----------
    session
        A session on the trial database.
    subject_id
        The subject's ``id``; entries of every table whose row belongs to that subject, and
        events (sign, lock, export) recorded against them.

    Returns
    -------
    list[AuditEntry]
        The entries in ``seq`` order, values decoded (empty if none).
    """
    rows = session.scalars(
        select(AuditLog).where(AuditLog.subject_id == subject_id).order_by(AuditLog.seq)
    )
    return [_to_entry(r) for r in rows]


def history_of_row(session: Session, *, table_name: str, row_id: int) -> list[AuditEntry]:
    """Every change-log entry about one row, oldest first.

    Parameters
    ----------
    session
        A session on the trial database.
    table_name, row_id
        The row: its table's name and its ``id``.

    Returns
    -------
    list[AuditEntry]
        The entries in ``seq`` order (one per field inserted or changed, plus events on the
        row), values decoded; empty if the row was never logged.

    Examples
    --------
    See :func:`value_as_of`.
    """
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.table_name == table_name, AuditLog.row_id == row_id)
        .order_by(AuditLog.seq)
    )
    return [_to_entry(r) for r in rows]


_PG_PROTECT = (
    """
    CREATE OR REPLACE FUNCTION oncotrial_audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    """
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION oncotrial_audit_log_append_only()
    """,
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION oncotrial_audit_log_append_only()
    """,
)


def install_pg_protection(connection: Connection) -> None:
    """Create the PostgreSQL trigger that refuses UPDATE/DELETE/TRUNCATE on the log.

    Parameters
    ----------
    connection
        A connection to a PostgreSQL database, as the owner of ``audit_log`` (the migrations
        call this).

    Returns
    -------
    None
        Creates (or replaces) the function ``oncotrial_audit_log_append_only`` and the triggers
        ``audit_log_no_change`` (row UPDATE, DELETE) and ``audit_log_no_truncate``, which raise
        ``insufficient_privilege`` for every role.
    """
    for statement in _PG_PROTECT:
        connection.execute(text(statement))


def grant_application_role(connection: Connection, role: str) -> None:
    """Grant *role* exactly what the application's commands need, and nothing more.

    - casebook tables: SELECT, INSERT, UPDATE (rows are never deleted: deletes are logical);
    - ``audit_log``: SELECT and INSERT only (append-only; the trigger refuses the rest anyway);
    - ``alembic_version``: SELECT (commands check the schema revision; ``db upgrade`` runs as
      the owner);
    - sequences: USAGE and SELECT (new ids) and UPDATE (an ODM import keeps the file's row ids
      and moves the sequence past them with ``setval``);
    - no DELETE, TRUNCATE, REFERENCES, TRIGGER or DDL anywhere.

    Earlier grants are revoked first, so running it again after ``db upgrade`` (new tables)
    leaves exactly this. PostgreSQL only. *role* must be an existing role name (letters,
    digits, underscore).

    Parameters
    ----------
    connection
        A connection to the PostgreSQL trial database as its owner, in a transaction.
    role
        Name of the existing login role the application connects as.

    Returns
    -------
    None
        Revokes and grants privileges on the ``public`` schema's tables and sequences in the
        connection's transaction.

    Raises
    ------
    DataError
        On SQLite (field ``db``), for a name that is not letters, digits and underscores, or for
        a role that does not exist (field ``role``).
    """
    if connection.dialect.name != "postgresql":
        raise DataError("roles exist on PostgreSQL only", field="db", value=connection.dialect.name)
    if not role.replace("_", "").isascii() or not role.replace("_", "").isalnum():
        raise DataError("not a plain role name", field="role", value=role, allowed="[A-Za-z0-9_]")
    exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if not exists:
        raise DataError(
            "no such PostgreSQL role; create it first (CREATE ROLE ... LOGIN)",
            field="role",
            value=role,
        )
    quoted = f'"{role}"'
    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE ON audit_log FROM {quoted}",
        f"REVOKE INSERT, UPDATE ON alembic_version FROM {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ):
        connection.execute(text(statement))
