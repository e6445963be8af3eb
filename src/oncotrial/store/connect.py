"""Database URLs at the edge: checked before use, never echoed with their password.

Every command that opens a database goes through :func:`check_database_url` (and
:func:`open_store` for the commands that read or write the casebook), so a wrong URL, a missing
SQLite file, an unknown driver or an unreachable server is one :class:`DataError` naming the URL
(password hidden) and what is allowed, not a traceback. Only ``db upgrade`` creates a SQLite
file; every other command refuses a missing one instead of leaving an empty file behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from oncotrial.errors import DataError
from oncotrial.store.migrate import current_revision, head_revision
from oncotrial.store.session import Store, utc_now

__all__ = [
    "ALLOWED_URLS",
    "check_database_url",
    "database_errors",
    "open_store",
    "redact_url",
]

ALLOWED_URLS = "sqlite:///PATH or postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
_DRIVERS = "sqlite, postgresql+psycopg"


def redact_url(raw: str) -> str:
    """*raw* with any password replaced by ``***``, even when the URL is malformed.

    Everything between the first ``:`` of the user part and the last ``@`` is taken as the
    password, so an unescaped ``@``, ``:`` or ``/`` in it is hidden too.

    Parameters
    ----------
    raw
        A database URL as typed (it need not parse).

    Returns
    -------
    str
        The text to show in messages and logs; *raw* unchanged when it holds no password.

    Examples
    --------
    >>> redact_url("postgresql+psycopg://trial:s3cr@t@db.example.org/leader")
    'postgresql+psycopg://trial:***@db.example.org/leader'
    >>> redact_url("sqlite:///trial.db")
    'sqlite:///trial.db'
    """
    scheme, sep, rest = raw.partition("://")
    if not sep:
        scheme, rest = "", raw
    at = rest.rfind("@")
    if at < 0:
        return raw
    userinfo = rest[:at]
    if ":" not in userinfo:
        return raw
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{rest[at + 1 :]}"


def _secrets(raw: str, url: URL | None) -> list[str]:
    """Strings that must never appear in a message: the password as typed and as parsed."""
    found = []
    _scheme, _sep, rest = raw.partition("://")
    at = rest.rfind("@")
    if at >= 0 and ":" in rest[:at]:
        found.append(rest[:at].split(":", 1)[1])
    if url is not None and url.password:
        found.append(str(url.password))
    return [s for s in found if s]


def _scrub(message: str, secrets: list[str]) -> str:
    line = " ".join(message.split())  # one line
    for secret in sorted(secrets, key=len, reverse=True):
        line = line.replace(secret, "***")
    return line


def _refuse(raw: str, message: str) -> DataError:
    return DataError(message, field="db", value=redact_url(raw), allowed=ALLOWED_URLS)


def check_database_url(raw: str, *, must_exist: bool = True) -> str:
    """Check a database URL and return it; raise :class:`DataError` naming what is wrong.

    Refused: text that is not a URL (no ``scheme://``), an unknown dialect or driver, a user or
    password with an unescaped ``@`` or ``:`` (percent-encode them as ``%40`` and ``%3A``), and,
    with *must_exist*, a SQLite file that does not exist (only ``db upgrade`` creates one).

    Parameters
    ----------
    raw
        The URL as given on the command line or in the configuration.
    must_exist
        Refuse a SQLite file that does not exist yet (False only for ``db upgrade``, which
        creates it; its folder must exist either way).

    Returns
    -------
    str
        *raw* itself, once checked. Nothing is connected to or created.

    Raises
    ------
    DataError
        Field ``db``, the URL with its password hidden, and :data:`ALLOWED_URLS` or the
        allowed drivers.

    Examples
    --------
    >>> check_database_url("trial.db")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: db='trial.db': not a database URL (no scheme://) (allowed: ...)
    >>> check_database_url("nosuchdb://u@h/d")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: db=...: unknown ... driver 'nosuchdb' (allowed: ...)
    """
    if "://" not in raw:
        raise _refuse(raw, "not a database URL (no scheme://)")
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise _refuse(raw, "not a database URL (user, password, host or port unreadable; "
                      "percent-encode @ as %40 and : as %3A)") from exc
    if url.host is not None and "@" in url.host:
        raise _refuse(raw, "the user or password holds an unescaped @ or : "
                      "(percent-encode @ as %40 and : as %3A)")
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except (NoSuchModuleError, ImportError) as exc:
        raise DataError(
            f"unknown or uninstalled database driver {url.drivername!r}",
            field="db",
            value=redact_url(raw),
            allowed=_DRIVERS,
        ) from exc
    if url.get_backend_name() == "sqlite":
        _check_sqlite_path(raw, url, must_exist=must_exist)
    return raw


def _check_sqlite_path(raw: str, url: URL, *, must_exist: bool) -> None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database)
    if must_exist and not path.is_file():
        raise DataError(
            f"no SQLite database file at {path}; create it with `oncotrial db upgrade`",
            field="db",
            value=redact_url(raw),
            allowed="an existing SQLite file, or a PostgreSQL URL",
        )
    if not path.parent.is_dir():
        raise DataError(
            f"the folder {path.parent} does not exist",
            field="db",
            value=redact_url(raw),
            allowed="a SQLite file in an existing folder",
        )


@contextmanager
def database_errors(raw: str) -> Iterator[None]:
    """Turn a database failure inside the block into one :class:`DataError` line: the URL with
    its password hidden and the driver's first message (scrubbed of the password).

    Parameters
    ----------
    raw
        The URL the block connects to (used only to name it and to find the password to hide).

    Returns
    -------
    Iterator[None]
        A context manager; it changes nothing when the block succeeds.

    Raises
    ------
    DataError
        Field ``db``, for any SQLAlchemy ``DBAPIError`` raised in the block (server
        unreachable, login refused, SQL error).
    """
    try:
        yield
    except DBAPIError as exc:
        url = None
        try:
            url = make_url(raw)
        except (ArgumentError, ValueError):
            url = None
        detail = _scrub(str(exc.orig) if exc.orig is not None else str(exc), _secrets(raw, url))
        raise DataError(f"database error: {detail}", field="db", value=redact_url(raw)) from exc


def open_store(
    raw: str,
    *,
    clock: Callable[[], datetime] = utc_now,
    pool_size: int = 5,
    lock_timeout_s: float = 30.0,
) -> Store:
    """A :class:`Store` on an existing database at the schema this oncotrial needs.

    Parameters
    ----------
    raw
        Database URL (checked by :func:`check_database_url`; a SQLite file must exist).
    clock, pool_size, lock_timeout_s
        Passed to :class:`Store`: the UTC clock stamping the change log, the PostgreSQL
        connection pool size and how long a commit waits for the chain lock (seconds).

    Returns
    -------
    Store
        The open store; the caller disposes of it (:meth:`Store.dispose`).

    Raises
    ------
    DataError
        A bad URL, a missing SQLite file, a server that cannot be reached or refuses the
        login, or a database that is empty or at another schema revision.
    """
    check_database_url(raw, must_exist=True)
    store = Store(raw, clock=clock, pool_size=pool_size, lock_timeout_s=lock_timeout_s)
    try:
        with database_errors(raw):
            revision = current_revision(store.engine)
        head = head_revision()
        if revision != head:
            state = "is empty" if revision is None else f"is at schema revision {revision}"
            raise DataError(
                f"the database {state}; this oncotrial needs {head}: run `oncotrial db upgrade`",
                field="db",
                value=redact_url(raw),
            )
    except BaseException:
        store.dispose()
        raise
    return store
