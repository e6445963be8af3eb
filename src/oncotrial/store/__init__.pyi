# Public names of oncotrial.store, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .audit import (
    AuditEntry as AuditEntry,
)
from .audit import (
    ChainVerification as ChainVerification,
)
from .audit import (
    grant_application_role as grant_application_role,
)
from .audit import (
    history_of_row as history_of_row,
)
from .audit import (
    history_of_subject as history_of_subject,
)
from .audit import (
    value_as_of as value_as_of,
)
from .audit import (
    verify_chain as verify_chain,
)
from .checkpoint import (
    Checkpoint as Checkpoint,
)
from .connect import (
    check_database_url as check_database_url,
)
from .connect import (
    open_store as open_store,
)
from .connect import (
    redact_url as redact_url,
)
from .migrate import (
    current_revision as current_revision,
)
from .migrate import (
    head_revision as head_revision,
)
from .migrate import (
    upgrade as upgrade,
)
from .rows import (
    CASEBOOK_TABLES as CASEBOOK_TABLES,
)
from .rows import (
    casebook_hash as casebook_hash,
)
from .rows import (
    read_tables as read_tables,
)
from .rows import (
    row_to_dict as row_to_dict,
)
from .rows import (
    table_columns as table_columns,
)
from .session import (
    Actor as Actor,
)
from .session import (
    Store as Store,
)
from .session import (
    reason_for_change as reason_for_change,
)
from .session import (
    record_event as record_event,
)
from .session import (
    savepoint as savepoint,
)
from .session import (
    set_actor as set_actor,
)
from .session import (
    utc_now as utc_now,
)
from .verify import (
    StoreVerification as StoreVerification,
)
from .verify import (
    verify_store as verify_store,
)

__all__ = [
    "CASEBOOK_TABLES",
    "Actor",
    "AuditEntry",
    "ChainVerification",
    "Checkpoint",
    "Store",
    "StoreVerification",
    "casebook_hash",
    "check_database_url",
    "current_revision",
    "grant_application_role",
    "head_revision",
    "history_of_row",
    "history_of_subject",
    "open_store",
    "read_tables",
    "reason_for_change",
    "record_event",
    "redact_url",
    "row_to_dict",
    "savepoint",
    "set_actor",
    "table_columns",
    "upgrade",
    "utc_now",
    "value_as_of",
    "verify_chain",
    "verify_store",
]
