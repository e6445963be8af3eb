"""Authentication: passwords, lockout, server-side sessions, re-authentication, API tokens.

- Passwords are stored as argon2id hashes (RFC 9106; argon2-cffi's defaults, re-hashed when
  the parameters change). The rules follow NIST SP 800-63B-4 §3.1.1.2: at least 15 characters
  when the password is the only factor, at least 64 allowed, no composition rules, no periodic
  change, and a check against values known to be weak (the user's own names, the system's
  names, repeated or sequential characters, and an optional list of breached passwords).
- Repeated failures lock the account for a while (OWASP ASVS 4.0.3 V2.2.1); every log-in,
  failure, lockout, log-out, expiry, password change and token event is in the change log
  (21 CFR 11.10(e), 11.300(d)).
- Sessions are rows; the cookie holds a random token whose SHA-256 is stored. They end after
  an idle time and an absolute time (ASVS V3.3.2), and can be revoked. Each has its own CSRF
  token (double submit: cookie and header or form field must agree).
- Signing re-authenticates with the password (21 CFR 11.200(a)(1)); the proof is valid for a
  few minutes and only for the user who gave it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oncotrial.errors import AccessError, DataError, NotFoundError
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.admin import actor_for
from oncotrial.store import Actor, Store, record_event, set_actor
from oncotrial.store.auth_schema import ApiToken, UserCredential, UserSession
from oncotrial.store.connect import database_errors, open_store
from oncotrial.store.schema import AppUser
from oncotrial.types import Channel, Role

__all__ = [
    "AuthPolicy",
    "Reauthentication",
    "SessionContext",
    "SessionTicket",
    "authenticate",
    "check_password_policy",
    "check_reauthentication",
    "close_session",
    "confirm_password",
    "create_api_token",
    "open_session",
    "resolve_api_token",
    "resolve_session",
    "revoke_api_token",
    "revoke_user_sessions",
    "set_password",
    "signed_in",
    "tokens_match",
]

_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults of argon2-cffi
# Verified when the user is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("oncotrial-timing-equaliser-not-a-password")
_REFUSED = "log-in refused: wrong user name or password, or the account is locked or disabled"
_SYSTEM_WORDS = ("oncotrial", "leader", "lenvatinib", "eribulin", "password")
BLOCKLIST_ENV = "ONCOTRIAL_PASSWORD_BLOCKLIST"


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """Password, lockout and session settings (the defaults are the ones cited above)."""

    min_password_length: int = 15
    max_password_length: int = 128
    max_failed_attempts: int = 5
    lockout: timedelta = timedelta(minutes=15)
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    last_seen_resolution: timedelta = timedelta(seconds=60)
    reauthentication_valid: timedelta = timedelta(minutes=5)
    api_token_days: int = 90


DEFAULT_POLICY = AuthPolicy()


@dataclass(frozen=True, slots=True)
class SessionTicket:
    """What the browser keeps: the session token (cookie) and its CSRF token."""

    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SessionContext:
    """A live session: who, and the CSRF token every state-changing request must carry."""

    actor: Actor
    session_id: int
    csrf_token: str
    must_change_password: bool


@dataclass(frozen=True, slots=True)
class Reauthentication:
    """Proof that *user_id* gave their password at *at* (for a signature)."""

    user_id: int
    at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _system(channel: Channel | str, username: str = "auth") -> Actor:
    """The writer of authentication records before a user is known (role ``system``)."""
    return Actor(user_id=None, username=username, role="system", channel=str(Channel(channel)))


# --- passwords ------------------------------------------------------------------------------


def _blocklist() -> frozenset[str]:
    path = os.environ.get(BLOCKLIST_ENV)
    if not path or not Path(path).is_file():
        return frozenset()
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def _sequential(password: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return len(set(password)) <= 2 or steps in ({1}, {-1}, {0})


def check_password_policy(
    password: str, *, username: str, full_name: str = "",
    extra_words: Iterable[str] = (), policy: AuthPolicy = DEFAULT_POLICY,
) -> None:
    """Refuse a password that breaks the rules; the message never repeats the password.

    Parameters
    ----------
    password
        The candidate password.
    username
        The user's name; the password must not contain it (words of 4 characters or more are
        compared, case-insensitively).
    full_name
        The person's name; none of its words of 4 characters or more may appear either.
    extra_words
        Further words the password must not contain (e.g. the site's name).
    policy
        Length limits (default 15–128 characters, NIST SP 800-63B-4 §3.1.1.2).

    Returns
    -------
    None

    Raises
    ------
    DataError
        (field ``password``, value ``(hidden)``) if the length is outside the policy, the
        password contains the user's or the system's names (oncotrial, leader, lenvatinib,
        eribulin, password) or an extra word, is one repeated or sequential run of characters,
        or is on the breached-password list named by ``ONCOTRIAL_PASSWORD_BLOCKLIST``.
    """
    field = "password"
    if not policy.min_password_length <= len(password) <= policy.max_password_length:
        raise DataError(
            f"must be {policy.min_password_length}–{policy.max_password_length} characters "
            f"long (it has {len(password)})", field=field, value="(hidden)",
        )
    lowered = password.lower()
    words = [username, *full_name.split(), *_SYSTEM_WORDS, *extra_words]
    for word in (w.lower() for w in words if len(w) >= 4):
        if word in lowered:
            raise DataError(f"must not contain {word!r}", field=field, value="(hidden)")
    if _sequential(password):
        raise DataError("must not be one repeated or sequential run of characters",
                        field=field, value="(hidden)")
    if lowered in _blocklist():
        raise DataError("is on the list of breached passwords", field=field, value="(hidden)")


def _credential(session: Session, user_id: int) -> UserCredential | None:
    return session.get(UserCredential, user_id)


def set_password(
    unit: Unit, username: str, password: str, *, must_change: bool = False,
    policy: AuthPolicy = DEFAULT_POLICY,
) -> None:
    """Set a user's password: by an administrator (a reset, normally with *must_change*) or
    by the user themself. Every open session of the user ends.

    Parameters
    ----------
    unit
        A unit of work of the user or of an administrator.
    username
        The account.
    password
        The new password, checked by :func:`check_password_policy` with the user's full name;
        stored as an argon2id hash.
    must_change
        Whether the user must change it at next sign-in (default ``False``).
    policy
        Password length limits.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is neither *username* nor an administrator.
    NotFoundError
        If there is no such user.
    DataError
        If the password breaks the policy.
    """
    if unit.actor.username != username:
        require_role(unit.actor, frozenset({Role.ADMIN}), what="set other users' passwords")
    with unit.step(reason="password set") as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username,
                                                    AppUser.deleted.is_(False)))
        if user is None:
            raise NotFoundError("no such user", field="username", value=username)
        check_password_policy(password, username=username, full_name=user.full_name,
                              policy=policy)
        credential = _credential(session, user.id)
        if credential is None:
            credential = UserCredential(user_id=user.id, failed_attempts=0)
            session.add(credential)
        credential.password_hash = _HASHER.hash(password)
        credential.changed_at = unit.now()
        credential.failed_attempts = 0
        credential.locked_until = None
        credential.must_change = must_change
        _revoke_sessions(session, user.id, at=unit.now(), reason="password changed")
        record_event(session, action="password", table_name="app_user", row_id=user.id,
                     detail="reset by administrator" if unit.actor.username != username
                     else "changed by the user")


# --- log-in ---------------------------------------------------------------------------------


def _check_password(credential: UserCredential | None, password: str) -> bool:
    try:
        return _HASHER.verify(credential.password_hash if credential else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    store: Store, username: str, password: str, *, channel: Channel | str = Channel.UI,
    client: str = "", policy: AuthPolicy = DEFAULT_POLICY,
) -> Actor:
    """Check a user name and password; the actor of the user, or :class:`AccessError`.

    The error says the same for an unknown user, a wrong password, a locked and a disabled
    account; the change log records which it was. A wrong password counts towards a lockout
    (*policy*: 5 failures lock the account for 15 minutes); a success resets the count.

    Parameters
    ----------
    store
        The trial database.
    username
        The user name given.
    password
        The password given.
    channel
        Where the log-in comes from (default ``Channel.UI``), recorded on the actor.
    client
        A description of the client (e.g. address and browser), kept in the change log
        (first 120 characters).
    policy
        Lockout settings.

    Returns
    -------
    Actor
        The user's actor.

    Raises
    ------
    AccessError
        If the user is unknown or disabled, has no password, is locked out, or the password is
        wrong (one message for all).
    """
    now = store.clock()
    with store.transaction(_system(channel, username=username[:80] or "?")) as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username,
                                                    AppUser.deleted.is_(False)))
        credential = None if user is None else _credential(session, user.id)
        ok = _check_password(credential, password)
        outcome = _outcome(user, credential, ok, now)
        detail = f"{outcome}; client {client[:120]}" if client else outcome
        if outcome != "ok":
            record_event(session, action="login_failed", table_name="app_user",
                         row_id=None if user is None else user.id, detail=detail)
            if _count_failure(session, credential, outcome, now, policy):
                _record_lockout(session, credential, policy)
    if outcome != "ok":
        raise AccessError(_REFUSED, field="username", value=username)
    assert user is not None
    assert credential is not None
    with store.transaction(_system(channel, username=username)) as session:
        fresh = session.get(UserCredential, user.id)
        assert fresh is not None
        fresh.failed_attempts = 0
        if _HASHER.check_needs_rehash(fresh.password_hash):
            fresh.password_hash = _HASHER.hash(password)
        actor = actor_for(session, user, channel=channel)
        set_actor(session, actor)
        record_event(session, action="login", table_name="app_user", row_id=user.id,
                     detail=f"client {client[:120]}" if client else None)
    return actor


def _outcome(user: AppUser | None, credential: UserCredential | None, ok: bool,
             now: datetime) -> str:
    if user is None:
        return "unknown user"
    if not user.active:
        return "account disabled"
    if credential is None:
        return "no password set"
    if credential.locked_until is not None and credential.locked_until > now:
        return "account locked"
    return "ok" if ok else "wrong password"


def _count_failure(session: Session, credential: UserCredential | None, outcome: str,
                   now: datetime, policy: AuthPolicy) -> bool:
    """Count a wrong password; True when this failure locks the account."""
    if credential is None or outcome != "wrong password":
        return False
    if credential.locked_until is not None and credential.locked_until <= now:
        credential.failed_attempts = 0  # the previous lock has run out: count afresh
        credential.locked_until = None
    credential.failed_attempts += 1
    if credential.failed_attempts >= policy.max_failed_attempts:
        credential.locked_until = now + policy.lockout
        return True
    return False


def _record_lockout(session: Session, credential: UserCredential | None,
                    policy: AuthPolicy) -> None:
    assert credential is not None
    assert credential.locked_until is not None
    record_event(session, action="lockout", table_name="app_user", row_id=credential.user_id,
                 detail=f"{credential.failed_attempts} failed attempts; locked until "
                        f"{credential.locked_until.isoformat()}")


def confirm_password(store: Store, actor: Actor, password: str) -> Reauthentication:
    """Re-authenticate the signed-in user before a signature (21 CFR 11.200(a)(1)).

    A wrong password counts towards the lockout like a failed log-in.

    Parameters
    ----------
    store
        The trial database.
    actor
        The signed-in user.
    password
        The password they gave again.

    Returns
    -------
    Reauthentication
        The proof, valid for :attr:`AuthPolicy.reauthentication_valid` (5 minutes) and only for
        this user; :func:`oncotrial.services.review.sign` checks it.

    Raises
    ------
    AccessError
        If the actor is not a named user or the password is not confirmed (wrong, account locked
        or disabled).
    """
    if actor.user_id is None:
        raise AccessError("a named user is required", field="actor", value=actor.username)
    now = store.clock()
    with store.transaction(actor) as session:
        credential = _credential(session, actor.user_id)
        user = session.get(AppUser, actor.user_id)
        ok = _check_password(credential, password)
        outcome = _outcome(user, credential, ok, now)
        if outcome != "ok":
            record_event(session, action="reauth_fail", table_name="app_user",
                         row_id=actor.user_id, detail=outcome)
            if _count_failure(session, credential, outcome, now, DEFAULT_POLICY):
                _record_lockout(session, credential, DEFAULT_POLICY)
        else:
            record_event(session, action="reauth", table_name="app_user", row_id=actor.user_id)
    if outcome != "ok":
        raise AccessError("password not confirmed", field="password", value="(hidden)")
    return Reauthentication(user_id=actor.user_id, at=now)


def check_reauthentication(unit: Unit, proof: Reauthentication | None,
                           *, policy: AuthPolicy = DEFAULT_POLICY) -> None:
    """Refuse a signature without a recent password confirmation by the signer.

    Parameters
    ----------
    unit
        The signer's unit of work.
    proof
        From :func:`confirm_password`, or ``None``.
    policy
        How long a proof is valid (default 5 minutes).

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If there is no proof, it belongs to another user, or it has expired.
    """
    if proof is None or proof.user_id != unit.actor.user_id:
        raise AccessError("signing needs the signer's password", field="password", value=None)
    if unit.now() - proof.at > policy.reauthentication_valid:
        raise AccessError("the password confirmation has expired; enter it again",
                          field="password", value=None)


# --- sessions -------------------------------------------------------------------------------


def open_session(store: Store, actor: Actor, *, client: str = "",
                 policy: AuthPolicy = DEFAULT_POLICY) -> SessionTicket:
    """Start a session for an authenticated actor (a new token: no session fixation).

    Parameters
    ----------
    store
        The trial database.
    actor
        The actor from :func:`authenticate`.
    client
        A description of the client, kept with the session (first 200 characters).
    policy
        Absolute session lifetime (default 12 hours).

    Returns
    -------
    SessionTicket
        The session token for the cookie (only its SHA-256 is stored), the session's CSRF
        token and when the session expires at the latest.

    Raises
    ------
    AccessError
        If the actor is not a named user.
    """
    if actor.user_id is None:
        raise AccessError("a named user is required", field="actor", value=actor.username)
    now = store.clock()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + policy.session_absolute
    with store.transaction(actor) as session:
        row = UserSession(token_hash=_digest(token), user_id=actor.user_id, csrf_token=csrf,
                          created_at=now, last_seen_at=now, expires_at=expires,
                          client=client[:200])
        session.add(row)
        session.flush()
        record_event(session, action="session", table_name="user_session", row_id=row.id,
                     detail=f"opened; expires {expires.isoformat()}")
    return SessionTicket(token=token, csrf_token=csrf, expires_at=expires)


def resolve_session(store: Store, token: str, *,
                    policy: AuthPolicy = DEFAULT_POLICY) -> SessionContext:
    """The session of a cookie token, if it is live; refreshes its last-seen time.

    A session past its idle (30 minutes) or absolute (12 hours) time, or of a user disabled since,
    is ended (and the end recorded) before the refusal.

    Parameters
    ----------
    store
        The trial database.
    token
        The session token from the cookie.
    policy
        Idle and absolute lifetimes and how often the last-seen time is written.

    Returns
    -------
    SessionContext
        The actor, the session id, its CSRF token and whether the password must be changed.

    Raises
    ------
    AccessError
        If the token is unknown or revoked ("not signed in") or the session has just ended
        (the message says why).
    """
    now = store.clock()
    ended: str | None = None
    with store.transaction(_system(Channel.UI, "session")) as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
        if row is None or row.revoked_at is not None:
            raise AccessError("not signed in", field="session", value=None)
        user = session.get(AppUser, row.user_id)
        ended = _expiry(row, now, policy) or (
            None if user is not None and user.active else "account disabled")
        if ended is not None:
            _end(session, row, now, ended)  # committed before the refusal below
        else:
            assert user is not None
            if now - row.last_seen_at >= policy.last_seen_resolution:
                row.last_seen_at = now
            actor = actor_for(session, user, channel=Channel.UI)
            credential = _credential(session, user.id)
            context = SessionContext(
                actor=actor, session_id=row.id, csrf_token=row.csrf_token,
                must_change_password=bool(credential and credential.must_change))
    if ended is not None:
        raise AccessError(f"session ended: {ended}; sign in again", field="session", value=None)
    return context


def _expiry(row: UserSession, now: datetime, policy: AuthPolicy) -> str | None:
    if now >= row.expires_at:
        return "absolute session time reached"
    if now - row.last_seen_at >= policy.session_idle:
        return "idle too long"
    return None


def _end(session: Session, row: UserSession, now: datetime, reason: str) -> None:
    row.revoked_at = now
    row.revoked_reason = reason
    record_event(session, action="logout", table_name="user_session", row_id=row.id,
                 detail=reason)


def close_session(store: Store, token: str, *, reason: str = "signed out") -> None:
    """End a session (log-out); unknown or ended tokens are ignored.

    Parameters
    ----------
    store
        The trial database.
    token
        The session token from the cookie.
    reason
        Recorded with the session's end (default ``"signed out"``).

    Returns
    -------
    None
    """
    now = store.clock()
    with store.transaction(_system(Channel.UI, "session")) as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
        if row is None or row.revoked_at is not None:
            return
        user = session.get(AppUser, row.user_id)
        if user is not None:
            set_actor(session, actor_for(session, user, channel=Channel.UI))
        _end(session, row, now, reason)


def _revoke_sessions(session: Session, user_id: int, *, at: datetime, reason: str) -> int:
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_user_sessions(unit: Unit, username: str, *, reason: str) -> int:
    """End every session and API token of a user (administrator); returns the count.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        The user.
    reason
        Recorded with each ended session and in the change log.

    Returns
    -------
    int
        Sessions plus API tokens that were still open and are now revoked.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    NotFoundError
        If there is no such user.
    """
    require_role(unit.actor, frozenset({Role.ADMIN}), what="revoke sessions")
    with unit.step(reason=reason) as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        if user is None:
            raise NotFoundError("no such user", field="username", value=username)
        count = _revoke_sessions(session, user.id, at=unit.now(), reason=reason)
        tokens = session.execute(
            update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=unit.now())
        )
        record_event(session, action="revoke", table_name="user_session", row_id=user.id,
                     detail=f"{count} session(s) and every API token of {username}")
        return count + int(getattr(tokens, "rowcount", 0) or 0)


# --- API tokens -----------------------------------------------------------------------------

_TOKEN_PREFIX = "otk_"  # noqa: S105  (a public marker of oncotrial API tokens, not a secret)


def create_api_token(unit: Unit, *, label: str, days: int | None = None,
                     policy: AuthPolicy = DEFAULT_POLICY) -> str:
    """A new personal API token for the acting user; shown once, stored as its hash.

    Parameters
    ----------
    unit
        A unit of work of the user the token acts as.
    label
        What the token is for: 1–80 characters after trimming.
    days
        Lifetime in days, 1–366; ``None`` (default) takes the policy's 90 days.
    policy
        The default lifetime.

    Returns
    -------
    str
        The bearer token (starts ``otk_``); it cannot be shown again.

    Raises
    ------
    AccessError
        If the actor is not a named user.
    DataError
        If the label is blank or longer than 80 characters, or *days* is outside 1–366.
    """
    if unit.actor.user_id is None:
        raise AccessError("a named user is required", field="actor", value=unit.actor.username)
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise DataError("must be 1–80 characters", field="label", value=label)
    lifetime = policy.api_token_days if days is None else days
    if not 1 <= lifetime <= 366:
        raise DataError("token lifetime out of range", field="days", value=days,
                        allowed="1–366 days")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit.step() as session:
        row = ApiToken(token_hash=_digest(token), user_id=unit.actor.user_id, label=label,
                       created_at=unit.now(), expires_at=unit.now() + timedelta(days=lifetime))
        session.add(row)
        session.flush()
        record_event(session, action="token", table_name="api_token", row_id=row.id,
                     detail=f"created {label!r}, expires {row.expires_at.date().isoformat()}")
    return token


def resolve_api_token(store: Store, token: str) -> Actor:
    """The actor of a bearer token (channel API), if the token is live and the user active.

    Parameters
    ----------
    store
        The trial database.
    token
        The bearer token from the ``Authorization`` header.

    Returns
    -------
    Actor
        The token owner's actor, channel API.

    Raises
    ------
    AccessError
        If the token is malformed, unknown, revoked or expired, or its user is disabled (one
        message for all).
    """
    now = store.clock()
    if not token.startswith(_TOKEN_PREFIX):
        raise AccessError("invalid API token", field="token", value=None)
    with store.transaction(_system(Channel.API, "api-token")) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        user = None if row is None else session.get(AppUser, row.user_id)
        if row is None or row.revoked_at is not None or row.expires_at <= now \
                or user is None or not user.active:
            raise AccessError("invalid API token", field="token", value=None)
        if row.last_used_at is None or now - row.last_used_at >= timedelta(minutes=1):
            row.last_used_at = now
        return actor_for(session, user, channel=Channel.API)


def revoke_api_token(unit: Unit, token_id: int) -> None:
    """Revoke one of the acting user's tokens (an administrator may revoke any).

    Parameters
    ----------
    unit
        A unit of work of the token's owner or of an administrator.
    token_id
        The token's row id.

    Returns
    -------
    None

    Raises
    ------
    NotFoundError
        If there is no such token, or it belongs to another user and the actor is not an
        administrator (the same message, so others' token ids are not revealed).
    """
    with unit.step() as session:
        row = session.get(ApiToken, token_id)
        if row is None or (row.user_id != unit.actor.user_id and unit.actor.role != Role.ADMIN):
            raise NotFoundError("no such token", field="token_id", value=token_id)
        row.revoked_at = unit.now()
        record_event(session, action="revoke", table_name="api_token", row_id=row.id)


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token (double submit).

    Parameters
    ----------
    expected
        The session's CSRF token.
    given
        The token the request carried (header or form field), or ``None``.

    Returns
    -------
    bool
        Whether *given* is present and equal to *expected*.

    Examples
    --------
    >>> tokens_match("abc", "abc"), tokens_match("abc", "abd"), tokens_match("abc", None)
    (True, False, False)
    """
    return given is not None and hmac.compare_digest(expected, given)


@contextmanager
def signed_in(url: str, username: str, password: str, *,
              channel: Channel = Channel.CLI) -> Iterator[tuple[Store, Actor]]:
    """The store at *url* and the actor of *username* once the password is checked (audited;
    database errors in one line); the store is closed afterwards. For the command-line paths
    that act as a named user.

    Parameters
    ----------
    url
        SQLAlchemy URL of the trial database.
    username
        The user.
    password
        Their password.
    channel
        Recorded on the actor (default ``Channel.CLI``).

    Returns
    -------
    Iterator[tuple[Store, Actor]]
        A context manager yielding the open store and the authenticated actor.

    Raises
    ------
    AccessError
        If the log-in is refused (see :func:`authenticate`).
    DataError
        If the database cannot be reached or is not upgraded (the message names the URL
        without its password).
    """
    with database_errors(url):
        store = open_store(url)
        try:
            yield store, authenticate(store, username, password, channel=channel,
                                      client="oncotrial CLI")
        finally:
            store.dispose()
