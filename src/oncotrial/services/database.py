"""Database administration use cases: where the database is, create/migrate, grant the
application role, verify the data against the audit trail, checkpoint the trail.

The database URL is taken from the command line, else from ``$ONCOTRIAL_DB_URL``, else from the
first line of the file named by ``$ONCOTRIAL_DB_URL_FILE`` (so a password need not appear in
``ps`` or the shell history), else ``sqlite:///oncotrial.db``. No message shows its password.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.services._unit import open_unit
from oncotrial.services.auth import signed_in
from oncotrial.services.export import export_sdtm
from oncotrial.store import grant_application_role, upgrade
from oncotrial.store.checkpoint import (
    Checkpoint,
    append_checkpoint,
    check_checkpoint,
    create_key,
    read_checkpoints,
    read_key,
    take_checkpoint,
)
from oncotrial.store.connect import check_database_url, database_errors, open_store, redact_url
from oncotrial.store.verify import StoreVerification, verify_store

__all__ = [
    "DB_URL_ENV",
    "DB_URL_FILE_ENV",
    "DEFAULT_DB_URL",
    "AuditReport",
    "create_checkpoint_key",
    "export_sdtm_from",
    "grant_role",
    "resolve_db_url",
    "upgrade_database",
    "verify_audit",
]

DEFAULT_DB_URL = "sqlite:///oncotrial.db"
DB_URL_ENV = "ONCOTRIAL_DB_URL"
DB_URL_FILE_ENV = "ONCOTRIAL_DB_URL_FILE"


def resolve_db_url(given: str | None) -> str:
    """The database URL: *given*, else ``$ONCOTRIAL_DB_URL``, else the first line of the file
    named by ``$ONCOTRIAL_DB_URL_FILE``, else :data:`DEFAULT_DB_URL`.

    Parameters
    ----------
    given
        The URL from the command line, or ``None`` / empty to look further.

    Returns
    -------
    str
        The URL (not checked here; :func:`upgrade_database` and the stores check it).

    Raises
    ------
    DataError
        If the URL file cannot be read or has no non-blank line.
    """
    if given:
        return given
    from_env = os.environ.get(DB_URL_ENV, "").strip()
    if from_env:
        return from_env
    file_name = os.environ.get(DB_URL_FILE_ENV, "").strip()
    if not file_name:
        return DEFAULT_DB_URL
    try:
        lines = Path(file_name).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read the database URL file: {exc.strerror}",
                        field=DB_URL_FILE_ENV, value=file_name) from exc
    url = next((line.strip() for line in lines if line.strip()), "")
    if not url:
        raise DataError("the database URL file is empty", field=DB_URL_FILE_ENV,
                        value=file_name, allowed="a file whose first line is the URL")
    return url


def upgrade_database(url: str = DEFAULT_DB_URL) -> str:
    """Create or migrate the database at *url*; returns the revision it is now at.

    The one command that creates a SQLite file (in an existing folder).

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://...`` (default
        :data:`DEFAULT_DB_URL`).

    Returns
    -------
    str
        The Alembic revision the schema is at.

    Raises
    ------
    DataError
        If the URL is malformed or of another database, the SQLite folder does not exist,
        or the server cannot be reached or refuses (the message hides the password).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> revision = upgrade_database(f"sqlite:///{folder.name}/trial.sqlite")
    >>> revision == upgrade_database(f"sqlite:///{folder.name}/trial.sqlite")  # idempotent
    True
    >>> upgrade_database(f"sqlite:///{folder.name}/no/such/folder/trial.sqlite")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: ...
    >>> folder.cleanup()
    """
    check_database_url(url, must_exist=False)
    with database_errors(url):
        return upgrade(url)


def grant_role(url: str, role: str) -> None:
    """PostgreSQL: grant *role* exactly what the application needs
    (:func:`oncotrial.store.grant_application_role`).

    Parameters
    ----------
    url
        URL of the upgraded PostgreSQL database, as its owner.
    role
        An existing PostgreSQL role the application connects as.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If the URL is not PostgreSQL, the database cannot be reached, or the role name is
        invalid or does not exist.
    """
    check_database_url(url, must_exist=True)
    if make_url(url).get_backend_name() != "postgresql":
        raise DataError("roles exist on PostgreSQL only", field="db", value=redact_url(url),
                        allowed="a postgresql+psycopg:// URL")
    engine = create_engine(url)
    try:
        with database_errors(url), engine.begin() as connection:
            grant_application_role(connection, role)
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What ``audit verify`` checked, what it found and how long it took."""

    store: StoreVerification
    checkpoints_checked: int
    checkpoint_problems: tuple[str, ...]
    checkpoint_written: Checkpoint | None
    seconds: float

    @property
    def ok(self) -> bool:
        """Chain, rows and every checkpoint agree."""
        return self.store.ok and not self.checkpoint_problems


def _key_for(checkpoints: Path | None, key_file: Path | None, *, record: bool) -> bytes | None:
    if checkpoints is None and key_file is None and not record:
        return None
    if checkpoints is None or key_file is None:
        raise DataError(
            "checkpoints need both the checkpoint file and the key that signs them",
            field="key_file" if key_file is None else "checkpoints",
            value=None,
            allowed="--checkpoints FILE and --key-file FILE",
        )
    return read_key(key_file)


def verify_audit(
    url: str,
    *,
    checkpoints: Path | None = None,
    key_file: Path | None = None,
    record: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> AuditReport:
    """Verify the change log of the database at *url* against itself, the data and the
    checkpoints kept outside the database; with *record*, append a new checkpoint when all
    agree.

    Everything is read from one consistent snapshot (writers may carry on meanwhile).

    Parameters
    ----------
    url
        URL of the trial database.
    checkpoints
        The checkpoint file kept outside the database; needs *key_file*. A missing file is
        allowed only with *record* (the first checkpoint creates it).
    key_file
        The key that signs checkpoints (:func:`create_checkpoint_key`).
    record
        Append a new checkpoint when chain, rows and checkpoints agree (needs both files).
    progress
        Called with (step, done, total) while the log is read, for a progress display.

    Returns
    -------
    AuditReport
        The store's verification (hash chain, rows against the log), how many checkpoints
        were checked and their problems, the checkpoint written if any, and the seconds taken;
        ``ok`` says whether everything agrees.

    Raises
    ------
    DataError
        If only one of *checkpoints* and *key_file* is given (or neither with *record*), a file
        cannot be read, the key is too short, or the database cannot be opened.
    """
    began = time.perf_counter()
    key = _key_for(checkpoints, key_file, record=record)
    known: list[Checkpoint] = []
    if checkpoints is not None and (checkpoints.exists() or not record):
        known = read_checkpoints(checkpoints)
    with database_errors(url):
        store = open_store(url)
        try:
            with store.snapshot() as session:
                result = verify_store(session, progress=progress)
                found = [check_checkpoint(session, cp, key) for cp in known if key is not None]
                problems = tuple(p for p in found if p)
                written = None
                agreed = result.ok and not problems
                if record and agreed and key is not None and checkpoints is not None:
                    written = take_checkpoint(session, key, now=store.clock())
                    append_checkpoint(checkpoints, written)
        finally:
            store.dispose()
    return AuditReport(
        store=result,
        checkpoints_checked=len(known),
        checkpoint_problems=problems,
        checkpoint_written=written,
        seconds=time.perf_counter() - began,
    )


def create_checkpoint_key(path: Path) -> None:
    """Write a new checkpoint key to *path* (never overwrites one).

    Parameters
    ----------
    path
        Where to write the key; keep it outside the database server.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If *path* exists or cannot be written.
    """
    create_key(path)


def export_sdtm_from(url: str, directory: Path, *, username: str, password: str,
                     protocol: Protocol) -> list[Path]:
    """Export SDTM from the database at *url* as *username*, once their password is checked
    (audited; site access applies).

    Parameters
    ----------
    url
        URL of the trial database.
    username, password
        A user whose role may export, and their password.
    directory
        Folder the domains are written to.
    protocol
        The trial protocol (trial design domains, routes, DLT criteria).

    Returns
    -------
    list[Path]
        The files written (see :func:`oncotrial.services.export.export_sdtm`).

    Raises
    ------
    AccessError
        If the log-in is refused or the user's role may not export.
    DataError
        If the database cannot be reached.
    """
    with signed_in(url, username, password) as (store, actor), open_unit(store, actor) as unit:
        return export_sdtm(unit, directory, protocol=protocol)
