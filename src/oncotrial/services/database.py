"""Database administration use cases: create/migrate, grant the application role, verify."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from oncotrial.protocol import Protocol
from oncotrial.services._unit import open_unit
from oncotrial.services.admin import log_in
from oncotrial.services.export import export_sdtm
from oncotrial.store import ChainVerification, Store, grant_application_role, upgrade, verify_chain
from oncotrial.store.session import Actor
from oncotrial.types import Channel, Role

__all__ = [
    "DEFAULT_DB_URL",
    "export_sdtm_from",
    "grant_role",
    "upgrade_database",
    "verify_audit_chain",
]

DEFAULT_DB_URL = "sqlite:///oncotrial.db"


def upgrade_database(url: str = DEFAULT_DB_URL) -> str:
    """Create or migrate the database at *url*; returns the revision it is now at."""
    return upgrade(url)


def grant_role(url: str, role: str) -> None:
    """PostgreSQL: grant *role* casebook read/write and only SELECT/INSERT on the change log."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            grant_application_role(connection, role)
    finally:
        engine.dispose()


def verify_audit_chain(url: str) -> ChainVerification:
    """Recompute the hash chain of the change log of the database at *url*."""
    store = Store(url)
    reader = Actor(user_id=None, username="audit-verify", role=Role.ADMIN, channel=Channel.CLI)
    try:
        with store.session(reader) as session:
            return verify_chain(session)
    finally:
        store.dispose()


def export_sdtm_from(url: str, directory: Path, *, username: str, protocol: Protocol) -> list[Path]:
    """Export SDTM from the database at *url* as *username* (audited; site access applies)."""
    store = Store(url)
    try:
        actor = log_in(store, username, channel=Channel.CLI)
        with open_unit(store, actor) as unit:
            return export_sdtm(unit, directory, protocol=protocol)
    finally:
        store.dispose()
