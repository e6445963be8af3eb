"""The CLI commands that act on the casebook as a named user (`export sdtm`, `odm export`,
`odm import`) check that user's password like the web sign-in does: a wrong or missing
password, or an unknown user, is refused with the sign-in's one message, nothing is written,
and the refusal is in the change log; the password is asked without echo when
ONCOTRIAL_PASSWORD is not set."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from oncotrial.cli import app
from oncotrial.errors import AccessError
from oncotrial.store import Actor, Store
from oncotrial.store.schema import AuditLog
from tests.services.helpers import register
from tests.store.backends import (
    CLI_PASSWORD,
    World,
    admin_actor,
    backend,
    give_password,
    store,
    world,
)

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest


def _commands(url: str, user: str, tmp_path: Path) -> dict[str, list[str]]:
    (tmp_path / "in.xml").write_text("<ODM/>", encoding="utf-8")
    return {
        "export-sdtm": ["export", "sdtm", "--db", url, "--user", user,
                        "--out", str(tmp_path / "sdtm")],
        "odm-export": ["odm", "export", "--db", url, "--user", user,
                       "--out", str(tmp_path / "out.xml")],
        "odm-import": ["odm", "import", "--db", url, "--user", user,
                      "--file", str(tmp_path / "in.xml")],
    }


def _failures(store: Store, username: str) -> list[str]:
    probe = Actor(user_id=None, username="reader", role="admin", channel="CLI")
    with store.transaction(probe) as session:
        return [row.new_value or "" for row in session.scalars(
            select(AuditLog).where(AuditLog.action == "login_failed",
                                   AuditLog.username == username))]


@pytest.mark.parametrize("command", ["export-sdtm", "odm-export", "odm-import"])
def test_wrong_password_is_refused_and_nothing_written(
    store: Store, world: World, tmp_path: Path, command: str,
) -> None:
    """A wrong password: AccessError with the sign-in message, no output file, and a
    login_failed entry in the change log naming the user."""
    register(store, world)
    user = world.data_manager.username
    give_password(store, user)
    args = _commands(store.url, user, tmp_path)[command]
    result = CliRunner(env={"ONCOTRIAL_PASSWORD": "not the right one at all"}).invoke(app, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, AccessError)
    assert "user name or password" in str(result.exception)
    assert not (tmp_path / "sdtm").exists()
    assert not (tmp_path / "out.xml").exists()
    assert any("wrong password" in f for f in _failures(store, user))


def test_user_without_a_password_cannot_export(store: Store, world: World,
                                               tmp_path: Path) -> None:
    """A user who never set a password (only trusted in-process code could act for them
    before) is refused, whatever is typed."""
    user = world.statistician.username
    args = _commands(store.url, user, tmp_path)["odm-export"]
    result = CliRunner(env={"ONCOTRIAL_PASSWORD": CLI_PASSWORD}).invoke(app, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, AccessError)
    assert not (tmp_path / "out.xml").exists()


def test_unknown_user_gets_the_same_message(store: Store, world: World, tmp_path: Path) -> None:
    """An unknown user name is refused exactly like a wrong password (no account probing)."""
    del world
    args = _commands(store.url, "nobody-here", tmp_path)["export-sdtm"]
    result = CliRunner(env={"ONCOTRIAL_PASSWORD": CLI_PASSWORD}).invoke(app, args)
    assert result.exit_code == 1
    assert isinstance(result.exception, AccessError)
    assert "user name or password" in str(result.exception)


def test_password_is_asked_without_echo(store: Store, world: World, tmp_path: Path) -> None:
    """Without ONCOTRIAL_PASSWORD the command asks for the password; what is typed is not
    shown back, and the export runs as that user."""
    register(store, world)
    user = world.data_manager.username
    give_password(store, user)
    args = _commands(store.url, user, tmp_path)["odm-export"]
    result = CliRunner(env={"ONCOTRIAL_PASSWORD": ""}).invoke(
        app, args, input=CLI_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Password for {user}" in result.output
    assert CLI_PASSWORD not in result.output
    assert (tmp_path / "out.xml").stat().st_size > 0
