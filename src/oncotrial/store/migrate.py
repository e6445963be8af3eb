"""Create or migrate a database with the Alembic revisions shipped in the package."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine

__all__ = ["current_revision", "head_revision", "upgrade"]


def _config() -> Config:
    config = Config()
    location = resources.files("oncotrial.store") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of oncotrial.

    Returns
    -------
    str
        The Alembic head revision id of the package's ``migrations`` folder (e.g. ``"0006"``).
    """
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migrations shipped")
    return head


def upgrade(target: str | Engine, *, revision: str = "head") -> str:
    """Upgrade the database at *target* (URL or engine) to *revision*; return the new revision.

    An empty database is created from scratch; an older one is migrated step by step. On
    PostgreSQL the change log's append-only trigger is part of the migrations.

    Parameters
    ----------
    target
        SQLAlchemy URL (an engine is made and disposed of) or an engine (left open). A SQLite
        file is created if missing.
    revision
        Alembic revision to reach, ``"head"`` for the newest shipped.

    Returns
    -------
    str
        The revision the database is at afterwards (``""`` if it ends empty). All steps run in
        one transaction.
    """
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return current_revision(engine) or ""
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(target: str | Engine) -> str | None:
    """The revision the database at *target* is at (``None`` for an empty database).

    Parameters
    ----------
    target
        SQLAlchemy URL (an engine is made and disposed of) or an engine (left open).

    Returns
    -------
    str or None
        The ``alembic_version`` revision id, or ``None`` when the database has no schema yet.
        Nothing is written.
    """
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if isinstance(target, str):
            engine.dispose()
