"""Authentication: password rules (NIST SP 800-63B-4), lockout, sessions with idle and absolute
timeouts, re-authentication for signing, API tokens; every event in the change log and no
password or hash in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from oncotrial.errors import AccessError, DataError
from oncotrial.services import admin, auth
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from oncotrial.store.schema import AuditLog
from tests.store.backends import Backend, World

GOOD = "correct horse battery staple"  # 28 characters, no names, not sequential


@dataclass
class Clock:
    """A settable UTC clock for a store."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(backend: Backend, clock: Clock) -> Iterator[Store]:
    """The test database through a store whose clock the test moves."""
    st = Store(backend.url, clock=clock)
    yield st
    st.dispose()


def _with_password(store: Store, admin_actor: Actor, username: str) -> None:
    with open_unit(store, admin_actor) as unit:
        auth.set_password(unit, username, GOOD)


def _events(store: Store, actions: set[str]) -> list[AuditLog]:
    probe = Actor(user_id=None, username="reader", role="admin", channel="CLI")
    with store.transaction(probe) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action.in_(actions))
                                    .order_by(AuditLog.seq)))


@pytest.mark.parametrize(("password", "problem"), [
    ("a" * 14, "15–128 characters"),
    ("x" * 129, "15–128 characters"),
    ("aaaaaaaaaaaaaaaa", "repeated or sequential"),
    ("abcdefghijklmnopq", "repeated or sequential"),
    ("my oncotrial password!", "'oncotrial'"),
    ("grace_hopper_1906 rocks", "'grace_hopper_1906'"),
])
def test_password_rules_refuse_weak_values(password: str, problem: str) -> None:
    """Length 15–128, no own or system names, no runs; the message hides the password."""
    with pytest.raises(DataError, match=problem) as refused:
        auth.check_password_policy(password, username="grace_hopper_1906",
                                   full_name="Grace Hopper")
    assert password not in str(refused.value)


def test_password_of_exactly_fifteen_characters_is_accepted() -> None:
    """15 characters is the NIST minimum for a single-factor password: accepted; 14 is not."""
    auth.check_password_policy("tqa9 lmbr z2kx!", username="u1")
    with pytest.raises(DataError):
        auth.check_password_policy("tqa9 lmbr z2kx", username="u1")


def test_breached_list_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A password on the optional breached list is refused (case-insensitive)."""
    listed = tmp_path / "breached.txt"
    listed.write_text("Correct Horse Battery Staple\n", encoding="utf-8")
    monkeypatch.setenv(auth.BLOCKLIST_ENV, str(listed))
    with pytest.raises(DataError, match="breached"):
        auth.check_password_policy(GOOD, username="u1")


def test_login_logout_and_audit(timed: Store, world: World, admin_actor: Actor) -> None:
    """A right password gives the user's actor and an audited log-in; the hash never enters
    the change log."""
    name = world.coord_a.username
    _with_password(timed, admin_actor, name)
    actor = auth.authenticate(timed, name, GOOD, client="pytest")
    assert (actor.username, actor.role, actor.site_ids) == (
        name, world.coord_a.role, world.coord_a.site_ids)
    logins = [e for e in _events(timed, {"login"}) if e.user_id == actor.user_id]
    assert logins
    probe = Actor(user_id=None, username="reader", role="admin", channel="CLI")
    with timed.transaction(probe) as session:
        values = session.scalars(select(AuditLog.new_value)).all()
    assert not any(v and "$argon2" in v for v in values)


def test_refusals_look_alike(timed: Store, world: World, admin_actor: Actor) -> None:
    """Unknown user, wrong password and disabled account get the same message."""
    name = world.inv_a.username
    _with_password(timed, admin_actor, name)
    messages = []
    for username, password in ((f"nobody_{world.tag}", GOOD), (name, "wrong " + GOOD)):
        with pytest.raises(AccessError) as refused:
            auth.authenticate(timed, username, password)
        messages.append(str(refused.value).split(":", 1)[1])
    with open_unit(timed, admin_actor) as unit:
        admin.set_user_active(unit, name, active=False, reason="left the site")
    with pytest.raises(AccessError) as refused:
        auth.authenticate(timed, name, GOOD)
    messages.append(str(refused.value).split(":", 1)[1])
    assert len(set(messages)) == 1
    failures = [e.new_value for e in _events(timed, {"login_failed"})]
    assert any("unknown user" in (v or "") for v in failures)
    assert any("account disabled" in (v or "") for v in failures)


def test_lockout_after_five_failures_and_release(
    timed: Store, clock: Clock, world: World, admin_actor: Actor
) -> None:
    """Four wrong passwords leave the account open; the fifth locks it for 15 minutes (the
    right password is refused meanwhile); after 15 minutes the right password works."""
    name = world.monitor_a.username
    _with_password(timed, admin_actor, name)
    for _ in range(4):
        with pytest.raises(AccessError):
            auth.authenticate(timed, name, "not the password at all")
    assert auth.authenticate(timed, name, GOOD).username == name  # 4 failures: still open
    for _ in range(5):
        with pytest.raises(AccessError):
            auth.authenticate(timed, name, "not the password at all")
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AccessError):
        auth.authenticate(timed, name, GOOD)
    lockouts = [e for e in _events(timed, {"lockout"}) if e.row_id == world.monitor_a.user_id]
    assert len(lockouts) == 1
    clock.advance(seconds=2)
    assert auth.authenticate(timed, name, GOOD).username == name


def test_session_idle_and_absolute_timeouts(
    timed: Store, clock: Clock, world: World, admin_actor: Actor
) -> None:
    """A session lives while used within 30 minutes, ends after 30 idle minutes, and ends at
    12 hours however active; each log-in gets a new token."""
    name = world.inv_a.username
    _with_password(timed, admin_actor, name)
    actor = auth.authenticate(timed, name, GOOD)
    first = auth.open_session(timed, actor)
    second = auth.open_session(timed, actor)
    assert first.token != second.token
    assert first.csrf_token != second.csrf_token
    for _ in range(23):  # 23 × 29 min = 11 h 7 min of steady use
        clock.advance(minutes=29)
        assert auth.resolve_session(timed, first.token).actor.username == name
    clock.advance(minutes=29)
    assert auth.resolve_session(timed, first.token).actor.username == name
    clock.advance(minutes=29)  # 12 h 5 min
    with pytest.raises(AccessError, match="absolute"):
        auth.resolve_session(timed, first.token)
    with pytest.raises(AccessError, match="not signed in"):
        auth.resolve_session(timed, first.token)
    third = auth.open_session(timed, actor)
    clock.advance(minutes=29, seconds=59)
    assert auth.resolve_session(timed, third.token).actor.username == name
    clock.advance(minutes=30)
    with pytest.raises(AccessError, match="idle"):
        auth.resolve_session(timed, third.token)


def test_logout_and_password_change_end_sessions(
    timed: Store, world: World, admin_actor: Actor
) -> None:
    """Log-out ends the session; a password reset ends every session of the user."""
    name = world.coord_a.username
    _with_password(timed, admin_actor, name)
    actor = auth.authenticate(timed, name, GOOD)
    one, two = auth.open_session(timed, actor), auth.open_session(timed, actor)
    auth.close_session(timed, one.token)
    with pytest.raises(AccessError):
        auth.resolve_session(timed, one.token)
    assert auth.resolve_session(timed, two.token).actor.user_id == actor.user_id
    with open_unit(timed, admin_actor) as unit:
        auth.set_password(unit, name, "another fine passphrase", must_change=True)
    with pytest.raises(AccessError):
        auth.resolve_session(timed, two.token)
    actor = auth.authenticate(timed, name, "another fine passphrase")
    ticket = auth.open_session(timed, actor)
    assert auth.resolve_session(timed, ticket.token).must_change_password


def test_reauthentication_for_signing(
    timed: Store, clock: Clock, world: World, admin_actor: Actor
) -> None:
    """A signature needs the signer's own password confirmed within 5 minutes."""
    name = world.inv_a.username
    _with_password(timed, admin_actor, name)
    actor = auth.authenticate(timed, name, GOOD)
    with pytest.raises(AccessError, match="not confirmed"):
        auth.confirm_password(timed, actor, "wrong password here")
    proof = auth.confirm_password(timed, actor, GOOD)
    with open_unit(timed, actor) as unit:
        auth.check_reauthentication(unit, proof)
    with open_unit(timed, world.inv_b) as unit, pytest.raises(AccessError, match="signer"):
        auth.check_reauthentication(unit, proof)
    clock.advance(minutes=5, seconds=1)
    with open_unit(timed, actor) as unit, pytest.raises(AccessError, match="expired"):
        auth.check_reauthentication(unit, proof)


def test_api_tokens(timed: Store, clock: Clock, world: World) -> None:
    """A token identifies its user on the API channel until revoked or expired."""
    with open_unit(timed, world.coord_a) as unit:
        token = auth.create_api_token(unit, label="lab interface", days=30)
    actor = auth.resolve_api_token(timed, token)
    assert (actor.username, actor.channel) == (world.coord_a.username, "API")
    with pytest.raises(AccessError):
        auth.resolve_api_token(timed, token + "x")
    clock.advance(days=30)
    with pytest.raises(AccessError):
        auth.resolve_api_token(timed, token)
    with open_unit(timed, world.coord_a) as unit, pytest.raises(DataError, match="lifetime"):
        auth.create_api_token(unit, label="forever", days=5000)
