"""No traceback at the database edges: every command that opens the database, given a missing
SQLite file, text without a scheme, an unknown driver, an unreachable server or a password with
an unescaped @, stops with one line naming the URL (password hidden) and what is allowed, exit
1, and creates nothing. The URL can come from the environment or a file instead of the command
line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import oncotrial.cli
from oncotrial.services import admin
from oncotrial.store import Store, upgrade

SECRET = "s3cret"  # noqa: S105 - a test password that must never be echoed
BAD_URLS = {
    "missing-sqlite-file": "sqlite:///missing.db",
    "no-scheme": f"admin:{SECRET}@localhost/oncotrial",
    "unknown-driver": f"postgresql+nodriver://u:{SECRET}@127.0.0.1/db",
    "unreachable-server": f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/db",
    "unescaped-at": "postgresql+psycopg://u:s3c@ret@127.0.0.1:1/db",
}
COMMANDS = {
    "audit-verify": ["audit", "verify"],
    "audit-checkpoint": ["audit", "checkpoint", "--checkpoints", "cp.jsonl",
                         "--key-file", "key.txt"],
    "export-sdtm": ["export", "sdtm", "--out", "sdtm", "--user", "dm"],
    "odm-export": ["odm", "export", "--out", "odm.xml", "--user", "dm"],
    "odm-import": ["odm", "import", "--file", "in.xml", "--user", "dm"],
    "db-grant": ["db", "grant", "--role", "oncotrial_app"],
    "db-upgrade": ["db", "upgrade"],
}


def run(args: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the console entry point in-process; an uncaught exception fails the test."""
    monkeypatch.setattr(sys, "argv", ["oncotrial", *args])
    with pytest.raises(SystemExit) as stopped:
        oncotrial.cli.main()
    captured = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with the input files the commands name; no URL in the
    environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONCOTRIAL_DB_URL", raising=False)
    monkeypatch.delenv("ONCOTRIAL_DB_URL_FILE", raising=False)
    monkeypatch.setenv("ONCOTRIAL_PASSWORD", "not checked: the database is never reached")
    (tmp_path / "in.xml").write_text("<ODM/>")
    (tmp_path / "key.txt").write_text("k" * 64)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_bad_database_url_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str], url: str,
) -> None:
    """One `error: db=...` line with what is allowed, exit 1, no password, nothing created."""
    if command == ["db", "upgrade"] and url.startswith("sqlite"):
        url = "sqlite:///no/such/folder/new.db"  # upgrade creates a file, in a folder only
    before = sorted(p.name for p in workdir.iterdir())
    code, out, err = run([*command, "--db", url], monkeypatch, capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: db=")
    assert "allowed" in lines[0] or "database error" in lines[0]
    assert "Traceback" not in err
    for fragment in (SECRET, "s3c@", "@ret", "ret@"):
        assert fragment not in out + err
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_upgrade_is_the_command_that_creates_a_sqlite_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`db upgrade` creates the missing file; `audit verify` then reads it."""
    code, out, _ = run(["db", "upgrade", "--db", "sqlite:///new.db"], monkeypatch, capsys)
    assert code == 0
    assert "revision" in out
    assert (workdir / "new.db").is_file()
    code, out, _ = run(["audit", "verify", "--db", "sqlite:///new.db"], monkeypatch, capsys)
    assert code == 0
    assert "0 entries, intact" in out


def test_database_without_schema_is_refused(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty SQLite file is not a trial database: one line pointing to `db upgrade`."""
    (workdir / "empty.db").write_bytes(b"")
    code, _, err = run(["audit", "verify", "--db", "sqlite:///empty.db"], monkeypatch, capsys)
    assert code == 1
    assert "db upgrade" in err
    assert len(err.strip().splitlines()) == 1


def test_grant_on_sqlite_is_refused_without_touching_the_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Roles are PostgreSQL's: `db grant` on SQLite says so."""
    upgrade("sqlite:///trial.db")
    code, _, err = run(["db", "grant", "--role", "app", "--db", "sqlite:///trial.db"],
                       monkeypatch, capsys)
    assert code == 1
    assert "PostgreSQL only" in err


def test_url_from_the_environment_or_a_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db the URL comes from ONCOTRIAL_DB_URL, else from the file named by
    ONCOTRIAL_DB_URL_FILE; --db wins over both; the password never shows."""
    upgrade("sqlite:///trial.db")
    store = Store("sqlite:///trial.db")
    admin.bootstrap_admin(store, username="admin", full_name="Ada Admin")
    store.dispose()
    (workdir / "db-url").write_text("\nsqlite:///trial.db\n")
    monkeypatch.setenv("ONCOTRIAL_DB_URL_FILE", str(workdir / "db-url"))
    code, out, _ = run(["audit", "verify"], monkeypatch, capsys)
    assert code == 0
    assert "entries, intact" in out
    monkeypatch.setenv("ONCOTRIAL_DB_URL", BAD_URLS["unreachable-server"])
    code, out, err = run(["audit", "verify"], monkeypatch, capsys)
    assert code == 1
    assert "u:***@127.0.0.1:1" in err
    assert SECRET not in out + err
    code, _, _ = run(["audit", "verify", "--db", "sqlite:///trial.db"], monkeypatch, capsys)
    assert code == 0
    (workdir / "db-url").write_text("\n")
    monkeypatch.delenv("ONCOTRIAL_DB_URL")
    code, _, err = run(["audit", "verify"], monkeypatch, capsys)
    assert code == 1
    assert "ONCOTRIAL_DB_URL_FILE" in err
