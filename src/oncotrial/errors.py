"""The one exception tree of oncotrial.

::

    OncotrialError               every error the package raises on purpose
    ├── ProtocolError            a protocol file or value is invalid
    ├── DataError                input data are wrong: field, value, allowed values, subject, visit
    │   ├── ConcurrencyError     a record changed since it was read (optimistic locking)
    │   ├── AccessError          the user may not read or write this record
    │   ├── NotFoundError        no such record (or one the user may not know exists)
    │   └── LockedError          the record is locked or signed and cannot change
    ├── RuleError                a clinical rule cannot be applied (unknown unit, gap in a table)
    └── DesignError              a statistical design or estimate cannot be computed

    StatisticalWarning           a caveat on a statistical result (small n, extrapolation)

The web and CLI layers map these to HTTP codes or exit codes in one place each. Any other
exception is a defect; :func:`failure_context` lets the code say which step, dataset or subject
it was working on, so that the one-line message the CLI prints can name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "AccessError",
    "ConcurrencyError",
    "DataError",
    "DesignError",
    "LockedError",
    "NotFoundError",
    "OncotrialError",
    "ProtocolError",
    "RuleError",
    "StatisticalWarning",
    "failure_context",
]


class OncotrialError(Exception):
    """Base of every error oncotrial raises on purpose."""


class ProtocolError(OncotrialError):
    """A protocol file or one of its values is invalid."""


class DataError(OncotrialError):
    """Input data are wrong.

    The message names the field, the value received and what is allowed, plus the subject and
    visit when they are known. The same facts are kept as attributes for programs.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        allowed: str | None = None,
        subject: str | None = None,
        visit: str | None = None,
    ) -> None:
        self.problem = message  # the words alone, for a form that shows them at the field
        self.field = field
        self.value = value
        self.allowed = allowed
        self.subject = subject
        self.visit = visit
        where = ", ".join(
            part
            for part in (
                f"subject {subject}" if subject else "",
                f"visit {visit}" if visit else "",
            )
            if part
        )
        full = message
        if field is not None:
            full = f"{field}={value!r}: {message}"
            if allowed:
                full += f" (allowed: {allowed})"
        if where:
            full = f"{where}: {full}"
        super().__init__(full)


class ConcurrencyError(DataError):
    """The record was changed by someone else since it was read."""


class AccessError(DataError):
    """The user may not read or write this record."""


class LockedError(DataError):
    """The record is locked and cannot be changed without unlocking."""


class RuleError(OncotrialError):
    """A clinical rule cannot be applied to the input (unknown unit, no matching rule)."""


class DesignError(OncotrialError):
    """A statistical design or estimate cannot be computed for the given parameters."""


class StatisticalWarning(UserWarning):
    """A caveat on a statistical result (small sample, extrapolation, approximation)."""


class NotFoundError(DataError):
    """No such record, or one at a site the user may not see (answered alike, so that the
    existence of another site's subject does not leak)."""


@contextmanager
def failure_context(what: str) -> Iterator[None]:
    """Note *what* was being done (``"writing ADRS"``, ``"deriving ADEX for subject 01"``) on
    any unexpected exception that leaves the block; oncotrial's own errors already say it."""
    try:
        yield
    except OncotrialError:
        raise
    except Exception as exc:
        exc.add_note(what)
        raise
