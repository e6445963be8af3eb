"""The trial database: typed casebook tables, the hash-chained change log, audited sessions.

Only this package imports SQLAlchemy. Writes go through :class:`Store` sessions, which record
every change with old and new values in the same transaction (see :mod:`.session`).
"""

from oncotrial.store.audit import (
    AuditEntry,
    ChainVerification,
    grant_application_role,
    history_of_row,
    history_of_subject,
    value_as_of,
    verify_chain,
)
from oncotrial.store.migrate import current_revision, head_revision, upgrade
from oncotrial.store.session import (
    Actor,
    Store,
    record_event,
    reason_for_change,
    savepoint,
    utc_now,
)

__all__ = [
    "Actor",
    "AuditEntry",
    "ChainVerification",
    "Store",
    "current_revision",
    "grant_application_role",
    "head_revision",
    "history_of_row",
    "history_of_subject",
    "reason_for_change",
    "record_event",
    "savepoint",
    "upgrade",
    "utc_now",
    "value_as_of",
    "verify_chain",
]
