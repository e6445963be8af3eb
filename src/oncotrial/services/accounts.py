"""Account administration from the command line, each command authenticated.

The administrator running a command gives their password (prompted, or from
``ONCOTRIAL_PASSWORD`` for scripts); an empty database gets its first administrator with
:func:`create_first_admin`, which is refused once any user exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from oncotrial.services import admin, auth
from oncotrial.services._unit import Unit, open_unit
from oncotrial.services.admin import UserSummary
from oncotrial.store import Store
from oncotrial.types import Channel, Role

__all__ = [
    "add_site",
    "add_user",
    "as_admin",
    "create_first_admin",
    "disable_user",
    "list_accounts",
    "reset_password",
]


@contextmanager
def as_admin(url: str, username: str, password: str) -> Iterator[Unit]:
    """A unit of work as the administrator *username*, after checking their password."""
    store = Store(url)
    try:
        actor = auth.authenticate(store, username, password, channel=Channel.CLI,
                                  client="oncotrial CLI")
        with open_unit(store, actor) as unit:
            yield unit
    finally:
        store.dispose()


def create_first_admin(url: str, username: str, *, full_name: str, password: str) -> None:
    """The first administrator of an empty database, with a password."""
    auth.check_password_policy(password, username=username, full_name=full_name)
    store = Store(url)
    try:
        actor = admin.bootstrap_admin(store, username=username, full_name=full_name)
        with open_unit(store, actor) as unit:
            auth.set_password(unit, username, password)
    finally:
        store.dispose()


def add_site(unit: Unit, code: str, *, name: str) -> None:
    """Create a site."""
    admin.create_site(unit, code, name=name)


def add_user(unit: Unit, username: str, *, full_name: str, role: Role | str, password: str,
             sites: list[str], site_roles: Mapping[str, str]) -> None:
    """Create a user with a first password they must change at first sign-in."""
    auth.check_password_policy(password, username=username, full_name=full_name)
    admin.create_user(unit, username, full_name=full_name, role=role, sites=sites,
                      site_roles=site_roles)
    auth.set_password(unit, username, password, must_change=True)


def disable_user(unit: Unit, username: str, *, reason: str) -> int:
    """Disable a user; returns how many sessions and tokens ended."""
    admin.set_user_active(unit, username, active=False, reason=reason)
    return auth.revoke_user_sessions(unit, username, reason=f"account disabled: {reason}")


def reset_password(unit: Unit, username: str, *, password: str) -> None:
    """Set a new password the user must change at next sign-in."""
    auth.set_password(unit, username, password, must_change=True)


def list_accounts(unit: Unit) -> list[UserSummary]:
    """Every account."""
    return admin.list_users(unit)
