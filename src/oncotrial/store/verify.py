"""Tamper evidence over the data and the log: replay the change log and compare every row.

The hash chain (:class:`oncotrial.store.audit.ChainCheck`) shows that the log agrees with
itself. :func:`verify_store` also replays it: folding every field entry in sequence order gives
the value each field of each row must hold now, and every current row of every audited table
is compared with it. A direct ``UPDATE`` of a lab value, a row inserted or removed behind the
application's back, or a log entry rewritten without the data is reported with table, row,
field and both values. Truncating the newest entries or rewriting the log *and* recomputing the
chain need a reference kept outside the database: :mod:`oncotrial.store.checkpoint`.

Run it in a snapshot session (:meth:`oncotrial.store.Store.snapshot`), so the log and the rows
are read from one consistent state while writers carry on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncotrial.store.audit import ChainCheck, ChainVerification, encode_value, iter_log
from oncotrial.store.schema import AuditLog, Base, CasebookRow, UTCDateTime

__all__ = ["Mismatch", "StoreVerification", "audited_tables", "verify_store"]

_BATCH = 5000
_NOT_LOGGED = frozenset({"id", "version"})
_MISSING = object()
#: (phase, done, total): phase is "log" or "rows"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A difference between the replayed log and the database: ``field`` is ``*`` for a whole
    row that one side has and the other has not."""

    table: str
    row_id: int
    field: str
    logged: Any
    stored: Any

    def describe(self) -> str:
        """One line: table, row, field, the logged and the stored value."""
        return (
            f"{self.table} row {self.row_id} {self.field}: log says {self.logged!r}, "
            f"database holds {self.stored!r}"
        )


@dataclass(frozen=True, slots=True)
class StoreVerification:
    """What :func:`verify_store` checked and found."""

    chain: ChainVerification
    entries: int
    tables: int
    rows: int
    mismatches: tuple[Mismatch, ...]
    mismatch_count: int
    per_table: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The chain holds and every row equals the replayed log."""
        return self.chain.ok and self.mismatch_count == 0


def audited_tables() -> list[type[CasebookRow]]:
    """Every table whose changes are written to the change log, in name order.

    Returns
    -------
    list[type[CasebookRow]]
        Every mapped subclass of :class:`~oncotrial.store.schema.CasebookRow` (casebook forms,
        sites, users, signatures, queries, locks), sorted by table name.
    """
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, CasebookRow)),
        key=lambda cls: cls.__tablename__,
    )


def _replay(
    session: Session, total: int, progress: Progress | None
) -> tuple[ChainVerification, int, dict[tuple[str, int], dict[str, str | None]]]:
    chain = ChainCheck()
    state: dict[tuple[str, int], dict[str, str | None]] = {}
    seen = 0
    for row in iter_log(session):
        chain.feed(row)
        seen += 1
        if row["field"] is not None and row["row_id"] is not None:
            fields = state.setdefault((row["table_name"], row["row_id"]), {})
            fields[row["field"]] = row["new_value"]
        if progress is not None and seen % _BATCH == 0:
            progress("log", seen, total)
    if progress is not None:
        progress("log", seen, total)
    return chain.result(), seen, state


def _comparable(column: Any, encoded: str | None) -> Any:
    """A logged or stored value in one canonical form for comparison."""
    if encoded is None:
        return None
    value = json.loads(encoded)
    if isinstance(column.type, UTCDateTime) and isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return value


def _rows(session: Session, model: type[CasebookRow]) -> Iterator[CasebookRow]:
    after = 0
    while True:
        batch = list(
            session.scalars(select(model).where(model.id > after).order_by(model.id).limit(_BATCH))
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].id
        session.expunge_all()


def _compare_row(
    model: type[CasebookRow], row: CasebookRow, logged: dict[str, str | None]
) -> Iterator[Mismatch]:
    for column in model.__table__.columns:
        if column.name in _NOT_LOGGED:
            continue
        default = encode_value(False) if column.name == "deleted" else None
        expected = _comparable(column, logged.get(column.name, default))
        stored = _comparable(column, encode_value(getattr(row, column.key)))
        same = (
            expected == stored
            and (expected is None) == (stored is None)
            and isinstance(expected, bool) == isinstance(stored, bool)
        )
        if not same:
            yield Mismatch(model.__tablename__, row.id, column.name, expected, stored)


def verify_store(
    session: Session, *, progress: Progress | None = None, keep: int = 1000
) -> StoreVerification:
    """Check the hash chain, replay the log and compare every audited row with it.

    Parameters
    ----------
    session
        A snapshot session (one consistent state).
    progress
        Called as ``progress(phase, done, total)`` while the log and the rows are read.
    keep
        At most this many mismatches are returned (all are counted).

    Returns
    -------
    StoreVerification
        The chain's verdict, the number of log entries replayed, audited tables and rows
        compared, the first *keep* mismatches (a field whose stored value differs from the
        last logged one, a row missing on either side) and the total count of them, and the
        row count per table. Nothing is written.
    """
    total_entries = session.scalar(select(func.count()).select_from(AuditLog)) or 0
    chain, entries, state = _replay(session, total_entries, progress)
    tables = audited_tables()
    counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
              for m in tables}
    total_rows = sum(counts.values())
    found: list[Mismatch] = []
    count = 0
    done = 0
    for model in tables:
        name = model.__tablename__
        for row in _rows(session, model):
            logged = state.pop((name, row.id), _MISSING)
            if logged is _MISSING:
                issues: list[Mismatch] = [Mismatch(name, row.id, "*", "no such row", "row")]
            else:
                assert isinstance(logged, dict)
                issues = list(_compare_row(model, row, logged))
            count += len(issues)
            found.extend(issues[: max(0, keep - len(found))])
            done += 1
            if progress is not None and done % _BATCH == 0:
                progress("rows", done, total_rows)
    audited = {m.__tablename__ for m in tables}
    for (name, row_id) in sorted(k for k in state if k[0] in audited):
        count += 1
        if len(found) < keep:
            found.append(Mismatch(name, row_id, "*", "row", "no such row"))
    if progress is not None:
        progress("rows", done, total_rows)
    return StoreVerification(
        chain=chain,
        entries=entries,
        tables=len(tables),
        rows=done,
        mismatches=tuple(found),
        mismatch_count=count,
        per_table=counts,
    )
