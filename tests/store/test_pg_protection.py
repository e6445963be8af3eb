"""On PostgreSQL the change log cannot be altered: by privilege (app role) and by trigger."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from oncotrial.store import Store
from tests.store.backends import Backend, World


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
    ids=["update", "delete", "truncate"],
)
def test_application_role_cannot_alter_the_log(
    backend: Backend, store: Store, world: World, statement: str
) -> None:
    """UPDATE, DELETE and TRUNCATE on audit_log fail for the application role."""
    if backend.name != "postgresql":
        pytest.skip("database roles and triggers are PostgreSQL features")
    engine = create_engine(backend.url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT current_user")) == "oncotrial_test_app"
            assert connection.scalar(text("SELECT count(*) FROM audit_log")) > 0
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
    ids=["update", "delete", "truncate"],
)
def test_even_the_owner_is_stopped_by_the_trigger(
    backend: Backend, store: Store, world: World, statement: str
) -> None:
    """The append-only trigger refuses the change for the table owner too."""
    if backend.name != "postgresql":
        pytest.skip("database roles and triggers are PostgreSQL features")
    engine = create_engine(backend.owner_url)
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_application_role_can_append(backend: Backend, store: Store, world: World) -> None:
    """The same role still writes data and log entries (the world fixture did so)."""
    if backend.name != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature")
    engine = create_engine(backend.url)
    try:
        with engine.connect() as connection:
            users = connection.scalar(
                text("SELECT count(*) FROM audit_log WHERE username = :u"),
                {"u": world.inv_a.username},
            )
        assert users >= 1  # the log-in of the world fixture, written as the app role
    finally:
        engine.dispose()
