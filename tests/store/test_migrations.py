"""Migrations create an empty database and upgrade one from the previous revision."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select

from oncotrial.store import current_revision, head_revision, upgrade
from oncotrial.store.schema import Base, Site, Subject
from tests.store.backends import create_pg_database, drop_pg_database, pg_admin_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url = pg_admin_url()
    name = f"oncotrial_migr_{os.getpid()}"
    try:
        yield create_pg_database(admin_url, name)
    finally:
        drop_pg_database(admin_url, name)


def _assert_matches_models(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}),
                Base.metadata,
            )
        assert diffs == []
    finally:
        engine.dispose()


def test_upgrade_creates_an_empty_database(empty_url: str) -> None:
    """From nothing to head; the schema equals the models exactly."""
    assert current_revision(empty_url) is None
    assert upgrade(empty_url) == head_revision()
    _assert_matches_models(empty_url)


def test_upgrade_from_previous_revision_keeps_data(empty_url: str) -> None:
    """A database at revision 0001 holding data upgrades to head with its rows intact."""
    assert upgrade(empty_url, revision="0001") == "0001"
    engine = create_engine(empty_url)
    try:
        assert "biospecimen" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            connection.execute(
                insert(Site),
                [{"id": 1, "code": "S1", "name": "One", "version": 1, "deleted": False}],
            )
            connection.execute(
                insert(Subject),
                [
                    {
                        "id": 1,
                        "site_id": 1,
                        "screening_number": "S1-001",
                        "consent_date": date(2019, 1, 2),
                        "consent_version": "1",
                        "sex": "F",
                        "status": "screening",
                        "version": 1,
                        "deleted": False,
                    }
                ],
            )
        assert upgrade(empty_url) == head_revision()
        assert "til_assessment" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.scalar(select(Subject.screening_number)) == "S1-001"
    finally:
        engine.dispose()
    _assert_matches_models(empty_url)
