"""Engines, sessions and the unit-of-work hooks that make every write audited.

A :class:`Store` owns one engine and a session factory whose sessions

- refuse to flush without an :class:`Actor` (no unaudited write path),
- refuse physical deletes (deletes are logical: ``deleted = True``),
- refuse changes to rows under an active lock (study, site, subject or form),
- require a reason for a change to a row saved in an earlier transaction,
- record every inserted or changed field with old and new value, and
- run the unit of work's row check (value rules, site ownership; installed by the services)
  on every inserted or changed row before it is written, and
- at the outermost commit invalidate valid signatures of every subject whose casebook changed,
  then number, time-stamp (the store's UTC clock) and hash-chain the entries in the same
  transaction (a savepoint's commit does not chain, so the chain lock is held only for the
  final commit).

On SQLite every writing transaction begins ``IMMEDIATE`` (WAL journal): a second writer waits
for the first at ``BEGIN`` (busy timeout) instead of failing half-way with "database is locked".
Read-only snapshots (:meth:`Store.snapshot`) begin deferred on SQLite and run ``REPEATABLE READ
READ ONLY`` on PostgreSQL, so a long verification sees one consistent state and blocks no writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DataError as SqlDataError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import ConnectionPoolEntry

from oncotrial.errors import ConcurrencyError, DataError, LockedError
from oncotrial.store.audit import PendingEntry, chain_pending, encode_value, is_lock_wait_timeout
from oncotrial.store.rows import DATE_COLUMNS, row_date
from oncotrial.store.schema import (
    CasebookRow,
    RecordLock,
    Signature,
    SourceVerification,
    Subject,
    Visit,
)

__all__ = [
    "Actor",
    "RowCheck",
    "Store",
    "current_actor",
    "reason_for_change",
    "record_event",
    "savepoint",
    "set_actor",
    "set_row_check",
    "utc_now",
]

#: rows of these tables are data management, not signed casebook content
NOT_CASEBOOK = frozenset(
    {"signature", "data_query", "query_message", "record_lock", "source_verification"}
)
_SKIP_FIELDS = frozenset({"id", "version"})
_READ_ONLY = "oncotrial_read_only"  # execution option of snapshot sessions
SQLITE_BUSY_TIMEOUT_S = 30
_PG_CONNECT_TIMEOUT_S = 10
#: checks one row before it is written: (session, row, changed columns or None for an insert)
RowCheck = Callable[[Session, CasebookRow, frozenset[str] | None], None]


def utc_now() -> datetime:
    """The current UTC time (the default clock of a :class:`Store`).

    Returns
    -------
    datetime
        An aware ``datetime`` in UTC.
    """
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing, in which role, through which channel, and which sites they may see.

    ``all_sites`` is True for study-wide roles (data manager, statistician, admin).
    """

    user_id: int | None
    username: str
    role: str
    channel: str
    full_name: str = ""
    site_ids: frozenset[int] = field(default_factory=frozenset)
    all_sites: bool = False
    #: (site id, role) where the user holds a role other than ``role`` at that site
    site_roles: tuple[tuple[int, str], ...] = ()

    def role_at(self, site_id: int) -> str:
        """The role the user holds at *site_id* (their own role unless the site says other)."""
        for site, role in self.site_roles:
            if site == site_id:
                return role
        return self.role

    @property
    def roles(self) -> frozenset[str]:
        """Every role the user holds somewhere."""
        return frozenset({self.role, *(role for _site, role in self.site_roles)})


@dataclass(slots=True)
class _TxState:
    """Per-transaction audit state kept in ``session.info``."""

    actor: Actor
    reason: str | None = None
    pending: list[PendingEntry] = field(default_factory=list)
    inserted: set[tuple[str, int]] = field(default_factory=set)
    touched: dict[int, str] = field(default_factory=dict)  # subject id -> first change
    row_check: RowCheck | None = None
    touched_days: dict[int, set[date]] = field(default_factory=dict)  # subject -> visit days
    changed: list[tuple[str, int, str, Any, Any]] = field(default_factory=list)  # updates

    def mark(self) -> _Mark:
        """What to restore if the current savepoint is rolled back."""
        return _Mark(len(self.pending), set(self.inserted), dict(self.touched),
                     {k: set(v) for k, v in self.touched_days.items()}, len(self.changed))

    def restore(self, mark: _Mark) -> None:
        """Forget everything recorded since *mark*."""
        del self.pending[mark.pending:]
        self.inserted = mark.inserted
        self.touched = mark.touched
        self.touched_days = mark.touched_days
        del self.changed[mark.changed:]

    def clear(self) -> None:
        """Forget everything (after commit or a full rollback)."""
        self.pending.clear()
        self.inserted.clear()
        self.touched.clear()
        self.touched_days.clear()
        self.changed.clear()


@dataclass(frozen=True, slots=True)
class _Mark:
    pending: int
    inserted: set[tuple[str, int]]
    touched: dict[int, str]
    touched_days: dict[int, set[date]]
    changed: int


class Store:
    """One database: engine, audited sessions and the clock that stamps the change log.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``sqlite:///oncotrial.db`` or
        ``postgresql+psycopg://user@host/db``.
    clock
        Returns the current aware UTC time; used for audit time stamps and signatures.
    pool_size
        PostgreSQL connection pool size (concurrent writers).
    lock_timeout_s
        PostgreSQL: how long a commit waits for the change log's chain lock before it fails
        with :class:`ConcurrencyError` (instead of waiting for ever).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        pool_size: int = 5,
        lock_timeout_s: float = 30.0,
    ) -> None:
        self.url = url
        self.clock = clock
        self.lock_timeout_s = lock_timeout_s
        self.engine = _make_engine(url, pool_size=pool_size)
        self._factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        event.listen(self._factory, "before_flush", _before_flush)
        event.listen(self._factory, "after_flush", _after_flush)
        event.listen(self._factory, "before_commit", self._before_commit)
        event.listen(self._factory, "after_rollback", _after_rollback)
        snapshot_engine = self.engine.execution_options(**{_READ_ONLY: True})
        if self.dialect == "postgresql":
            snapshot_engine = snapshot_engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        self._snapshots = sessionmaker(snapshot_engine, expire_on_commit=False, autoflush=False)
        event.listen(self._snapshots, "before_flush", _refuse_write)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def session(self, actor: Actor) -> Session:
        """A new session whose writes are attributed to *actor*."""
        session = self._factory()
        session.info["tx"] = _TxState(actor=actor)
        return session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session on one consistent state of the database (nothing can be written).

        PostgreSQL: ``REPEATABLE READ READ ONLY``; SQLite: a deferred read transaction (WAL).
        """
        with self._snapshots() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def transaction(self, actor: Actor) -> Iterator[Session]:
        """A session that commits on success and rolls back on any exception."""
        with self.session(actor) as session:
            try:
                yield session
                session.commit()
            except StaleDataError as exc:
                session.rollback()
                raise ConcurrencyError(
                    "the record was changed by another user since it was read; reload it",
                    field="version",
                ) from exc
            except OperationalError as exc:
                session.rollback()
                if _is_busy(exc):
                    raise ConcurrencyError(
                        f"the database stayed busy for {SQLITE_BUSY_TIMEOUT_S} s (another "
                        "transaction holds the write lock); try again",
                        field="db",
                    ) from exc
                raise
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _before_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: entries wait for the outermost commit (and its chain lock)
        state = tx_state(session)
        session.flush()
        if state.changed:
            _revoke_verifications(session, state, now=self.clock())
            session.flush()
        if state.touched:
            _invalidate_signatures(session, state, now=self.clock())
            session.flush()
        if state.pending:
            chain_pending(
                session, state.pending, now=self.clock(), lock_timeout_s=self.lock_timeout_s
            )
        state.clear()


def tx_state(session: Session) -> _TxState:
    """The audit state of *session*; a session without an actor cannot write."""
    state = session.info.get("tx")
    if not isinstance(state, _TxState):
        raise DataError("a write needs an authenticated actor", field="actor", value=None)
    return state


def set_actor(session: Session, actor: Actor) -> None:
    """Attribute the session's further writes to *actor* (used once the user is identified).

    Parameters
    ----------
    session
        A session from :meth:`Store.session` or :meth:`Store.transaction`.
    actor
        Who writes from now on.

    Returns
    -------
    None
        Replaces the actor in the session's audit state; entries already pending keep theirs.

    Raises
    ------
    DataError
        If *session* is not a writing session of a :class:`Store` (field ``actor``).
    """
    tx_state(session).actor = actor


def current_actor(session: Session) -> Actor:
    """The actor the session's writes are attributed to.

    Parameters
    ----------
    session
        A session from :meth:`Store.session` or :meth:`Store.transaction`.

    Returns
    -------
    Actor
        The actor set when the session was opened or by :func:`set_actor`.

    Raises
    ------
    DataError
        If *session* is not a writing session of a :class:`Store` (field ``actor``).
    """
    return tx_state(session).actor


def set_row_check(session: Session, check: RowCheck) -> None:
    """Run *check* on every row the session inserts or changes, before it is written.

    Parameters
    ----------
    session
        A session from :meth:`Store.session` or :meth:`Store.transaction`.
    check
        Called as ``check(session, row, changed)`` at each flush, ``changed`` being the names
        of the changed columns (``None`` for an inserted row); it raises to refuse the row.

    Returns
    -------
    None
        Installs *check* in the session's audit state (replacing any earlier one).

    Raises
    ------
    DataError
        If *session* is not a writing session of a :class:`Store` (field ``actor``).
    """
    tx_state(session).row_check = check


def record_event(
    session: Session,
    *,
    action: str,
    table_name: str,
    row_id: int | None = None,
    subject_id: int | None = None,
    detail: str | None = None,
    reason: str | None = None,
) -> None:
    """Add a non-field event (login, export, sign, lock, unlock) to the pending change log.

    Parameters
    ----------
    session
        A writing session; the event is chained and inserted at its outermost commit, and
        dropped if the transaction rolls back.
    action
        The event, e.g. ``"sign"``, ``"lock"``, ``"export"``.
    table_name, row_id, subject_id
        What the event is about (``row_id`` and ``subject_id`` may be ``None``).
    detail
        Free text stored JSON-encoded as the entry's ``new_value``.
    reason
        The reason recorded with it; by default the one of the enclosing
        :func:`reason_for_change` block, if any.

    Returns
    -------
    None
        Appends one pending entry attributed to the session's actor.

    Raises
    ------
    DataError
        If *session* is not a writing session of a :class:`Store` (field ``actor``).
    """
    state = tx_state(session)
    actor = state.actor
    state.pending.append(
        PendingEntry(
            action=action,
            table_name=table_name,
            row_id=row_id,
            subject_id=subject_id,
            field=None,
            old_value=None,
            new_value=encode_value(detail),
            reason=reason if reason is not None else state.reason,
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role,
            channel=actor.channel,
        )
    )


@contextmanager
def reason_for_change(session: Session, reason: str | None) -> Iterator[None]:
    """Attribute the writes inside the block to *reason* (required for later corrections).

    Parameters
    ----------
    session
        A writing session.
    reason
        The reason for change recorded with every field changed in the block (``None`` for
        none); the previous reason is restored afterwards.

    Returns
    -------
    Iterator[None]
        A context manager; the session is flushed at the end of the block so its changes are
        captured while the reason applies.

    Examples
    --------
    See :func:`oncotrial.store.audit.value_as_of`.
    """
    state = tx_state(session)
    previous = state.reason
    state.reason = reason
    try:
        yield
        session.flush()  # capture the changes while the reason still applies
    finally:
        state.reason = previous


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Run the block in a SAVEPOINT; on error undo its rows *and* its pending audit entries.

    Parameters
    ----------
    session
        A writing session inside a transaction.

    Returns
    -------
    Iterator[None]
        A context manager; on success the savepoint is released (the entries wait for the
        outermost commit), on error the savepoint is rolled back and the entries, inserted rows
        and touched subjects recorded in the block are forgotten.

    Raises
    ------
    ConcurrencyError
        A row changed in the block had been changed by another user since it was read.
    DataError
        The database refused a row (constraint, value too long), field ``row``.
    """
    state = tx_state(session)
    marks = state.mark()
    nested = session.begin_nested()
    try:
        yield
        session.flush()
        nested.commit()
    except StaleDataError as exc:
        _undo(session, nested, state, marks)
        raise ConcurrencyError(
            "the record was changed by another user since it was read; reload it",
            field="version",
        ) from exc
    except (IntegrityError, SqlDataError) as exc:
        _undo(session, nested, state, marks)
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
        raise DataError(f"refused by the database: {first}", field="row") from exc
    except BaseException:
        _undo(session, nested, state, marks)
        raise


def _undo(session: Session, nested: Any, state: _TxState, marks: _Mark) -> None:
    if nested.is_active or session.in_nested_transaction():
        # a failed flush leaves the savepoint inactive but open: roll it back all the same,
        # or the enclosing transaction can never commit (PendingRollbackError)
        nested.rollback()
    state.restore(marks)


# --- engine ----------------------------------------------------------------------------------


def _make_engine(url: str, *, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        pooling = {} if in_memory else {"pool_size": pool_size, "max_overflow": pool_size}
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **pooling)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": _PG_CONNECT_TIMEOUT_S},
    )


def _is_busy(exc: OperationalError) -> bool:
    """SQLite's busy timeout ran out, or PostgreSQL's lock timeout did."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return is_lock_wait_timeout(exc)


def _sqlite_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe
    # ("Serializable isolation / Savepoints / Transactional DDL") takes BEGIN over.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock at BEGIN (and wait there for the busy timeout); a deferred
    # BEGIN would upgrade half-way through and fail at once when another writer holds it.
    if connection.get_execution_options().get(_READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- unit-of-work hooks ------------------------------------------------------------------------


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    tx_state(session)  # refuses a write without an actor
    for obj in session.deleted:
        raise DataError(
            "rows are never deleted physically; set deleted=True with a reason",
            field="table",
            value=getattr(obj, "__tablename__", type(obj).__name__),
        )
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, CasebookRow)]
    if not changed:
        return
    state = tx_state(session)
    with session.no_autoflush:
        locks = list(session.scalars(select(RecordLock).where(RecordLock.active.is_(True))))
        for obj in changed:
            if locks and not isinstance(obj, RecordLock):
                _check_locks(session, obj, locks)
        if state.row_check is not None:
            for obj in changed:
                columns = None if obj in session.new else _changed_columns(obj)
                if columns is None or columns:
                    state.row_check(session, obj, columns)


def _refuse_write(session: Session, _context: object, _instances: object) -> None:
    raise DataError("a snapshot session is read-only", field="session", value="snapshot")


def _changed_columns(obj: CasebookRow) -> frozenset[str]:
    insp = inspect(obj)
    return frozenset(
        attr.key
        for attr in insp.mapper.column_attrs
        if attr.key not in _SKIP_FIELDS and insp.attrs[attr.key].history.has_changes()
    )


def _subject_and_site(session: Session, obj: CasebookRow) -> tuple[int | None, int | None]:
    if isinstance(obj, Subject):
        return obj.id, obj.site_id
    subject_id = getattr(obj, "subject_id", None)
    if subject_id is None:
        return None, None
    subject = session.get(Subject, subject_id)
    return subject_id, (subject.site_id if subject is not None else None)


def _check_locks(session: Session, obj: CasebookRow, locks: list[RecordLock]) -> None:
    subject_id, site_id = _subject_and_site(session, obj)
    form = obj.form or obj.__tablename__
    for lock in locks:
        hit = (
            lock.level == "study"
            or (lock.level == "site" and site_id is not None and lock.site_id == site_id)
            or (
                lock.level == "subject" and subject_id is not None and lock.subject_id == subject_id
            )
            or (
                lock.level == "form"
                and lock.subject_id == subject_id
                and lock.form_name == form
                and subject_id is not None
            )
        )
        if hit:
            raise LockedError(
                f"{lock.level} lock {lock.id} is active ({lock.reason}); unlock first",
                field=form,
                value=obj.id,
            )


def _after_flush(session: Session, _context: object) -> None:
    state = tx_state(session)
    for obj in session.new:
        if isinstance(obj, CasebookRow):
            _capture_insert(state, obj)
    for obj in session.dirty:
        if isinstance(obj, CasebookRow) and session.is_modified(obj, include_collections=False):
            _capture_update(state, obj)


def _entry(
    state: _TxState, obj: CasebookRow, action: str, name: str, *, old: Any, new: Any
) -> None:
    actor = state.actor
    subject_id = obj.id if isinstance(obj, Subject) else getattr(obj, "subject_id", None)
    state.pending.append(
        PendingEntry(
            action=action,
            table_name=obj.__tablename__,
            row_id=obj.id,
            subject_id=subject_id,
            field=name,
            old_value=encode_value(old),
            new_value=encode_value(new),
            reason=state.reason,
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role,
            channel=actor.channel,
        )
    )
    if subject_id is not None and obj.__tablename__ not in NOT_CASEBOOK:
        state.touched.setdefault(subject_id, f"{obj.__tablename__} row {obj.id} field {name}")
        day = row_date(obj)
        if day is not None:
            state.touched_days.setdefault(subject_id, set()).add(day)


def _capture_insert(state: _TxState, obj: CasebookRow) -> None:
    state.inserted.add((obj.__tablename__, obj.id))
    for attr in inspect(obj).mapper.column_attrs:
        name = attr.key
        value = getattr(obj, name)
        if name in _SKIP_FIELDS or value is None or (name == "deleted" and value is False):
            continue
        _entry(state, obj, "insert", name, old=None, new=value)


def _capture_update(state: _TxState, obj: CasebookRow) -> None:
    key = (obj.__tablename__, obj.id)
    if key not in state.inserted and not (state.reason and state.reason.strip()):
        raise DataError(
            f"a reason for change is required to change saved {obj.__tablename__} row {obj.id}",
            field="reason",
            value=state.reason,
        )
    insp = inspect(obj)
    for attr in insp.mapper.column_attrs:
        name = attr.key
        if name in _SKIP_FIELDS:
            continue
        history = insp.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new and type(old) is type(new):
            continue
        action = "delete" if name == "deleted" and new is True else "update"
        _entry(state, obj, action, name, old=old, new=new)
        if obj.__tablename__ not in NOT_CASEBOOK:
            state.changed.append((obj.__tablename__, obj.id, name, old, new))
        subject_id = getattr(obj, "subject_id", None)
        if DATE_COLUMNS.get(obj.__tablename__) == name and isinstance(old, date) and subject_id:
            state.touched_days.setdefault(subject_id, set()).add(old)  # the day it left


def _revoke_verifications(session: Session, state: _TxState, *, now: datetime) -> None:
    """A verified value that changed is no longer verified; the reason names the change."""
    changes = {(table, row_id, name): (old, new) for table, row_id, name, old, new in state.changed}
    rows = session.scalars(
        select(SourceVerification).where(
            SourceVerification.state == "verified",
            SourceVerification.row_id.in_({row_id for _t, row_id, _f in changes}),
        )
    ).all()
    previous = state.reason
    who = state.actor.username
    for sdv in rows:
        change = changes.get((sdv.table_name, sdv.row_id, sdv.field))
        if change is None:
            continue
        old, new = change
        state.reason = (f"verified value changed by {who}: {sdv.field} "
                        f"{encode_value(old)} → {encode_value(new)}")
        sdv.state = "revoked"
        sdv.revoked_at = now
        sdv.revoked_reason = state.reason
        session.flush()
    state.reason = previous


def _visit_day(session: Session, signature: Signature) -> date | None:
    return session.scalar(
        select(Visit.actual_date).where(
            Visit.subject_id == signature.subject_id, Visit.name == signature.visit_name
        )
    )


def _invalidate_signatures(session: Session, state: _TxState, *, now: datetime) -> None:
    """A casebook signature falls with any change to the subject's casebook; a visit
    signature with a change to a row of that visit's day (what :func:`visit_hash` covers)."""
    signatures = session.scalars(
        select(Signature).where(
            Signature.subject_id.in_(list(state.touched)), Signature.state == "valid"
        )
    ).all()
    if not signatures:
        return
    previous = state.reason
    for signature in signatures:
        if signature.scope == "visit":
            day = _visit_day(session, signature)
            if day not in state.touched_days.get(signature.subject_id, set()):
                continue
        cause = state.touched[signature.subject_id]
        state.reason = f"signed data changed after signing: {cause}"
        signature.state = "invalidated"
        signature.invalidated_at = now
        signature.invalidated_reason = state.reason
        session.flush()
    state.reason = previous


def _after_rollback(session: Session) -> None:
    state = session.info.get("tx")
    if isinstance(state, _TxState) and not session.in_nested_transaction():
        state.clear()
