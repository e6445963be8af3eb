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
from oncotrial.store.rows import (
    CASEBOOK_TABLES,
    casebook_hash,
    read_tables,
    row_to_dict,
    table_columns,
)
from oncotrial.store.session import (
    Actor,
    Store,
    reason_for_change,
    record_event,
    savepoint,
    set_actor,
    utc_now,
)

__all__ = [
    "CASEBOOK_TABLES",
    "Actor",
    "AuditEntry",
    "ChainVerification",
    "Store",
    "casebook_hash",
    "current_revision",
    "grant_application_role",
    "head_revision",
    "history_of_row",
    "history_of_subject",
    "read_tables",
    "reason_for_change",
    "record_event",
    "row_to_dict",
    "savepoint",
    "set_actor",
    "table_columns",
    "upgrade",
    "utc_now",
    "value_as_of",
    "verify_chain",
]
