"""Credentials, sessions and API tokens: the tables of authentication.

They are not casebook data and are not field-audited (a password hash never enters the change
log, and a session's last-seen time changes on every request); the authentication service
records every log-in, log-out, failure, lockout, password change and token event in the change
log as an event instead. Tokens are stored only as SHA-256 hashes, passwords only as argon2id
hashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncotrial.store.schema import Base, UTCDateTime

__all__ = ["ApiToken", "UserCredential", "UserSession"]


class UserCredential(Base):
    """A user's password (argon2id hash) and failed-attempt count for lockout."""

    __tablename__ = "user_credential"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change: Mapped[bool] = mapped_column(Boolean, default=False)


class UserSession(Base):
    """A server-side session: the cookie holds a random token, the table its hash."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reauthenticated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(200), default="")


class ApiToken(Base):
    """A personal API token (bearer), shown once at creation and stored as its hash."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
