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
    """A unit of work as the administrator *username*, after checking their password.

    Parameters
    ----------
    url
        SQLAlchemy URL of the trial database; a :class:`oncotrial.store.Store` is opened on it
        and disposed of when the block ends.
    username
        The administrator's user name.
    password
        Their password, checked by :func:`oncotrial.services.auth.authenticate` (channel CLI).

    Returns
    -------
    Iterator[Unit]
        A context manager yielding the :class:`~oncotrial.services.Unit`; it commits when the
        block ends and rolls back on an error.

    Raises
    ------
    AccessError
        If the user name or password is wrong or the account is locked or disabled. A user who
        is not an administrator is refused by each admin-only call made in the unit, not here.
    """
    store = Store(url)
    try:
        actor = auth.authenticate(store, username, password, channel=Channel.CLI,
                                  client="oncotrial CLI")
        with open_unit(store, actor) as unit:
            yield unit
    finally:
        store.dispose()


def create_first_admin(url: str, username: str, *, full_name: str, password: str) -> None:
    """The first administrator of an empty database, with a password.

    Parameters
    ----------
    url
        SQLAlchemy URL of an upgraded database without users.
    username
        User name: 2–80 characters of ``A–Z a–z 0–9 . _ -``.
    full_name
        The person's name, shown in signatures and the audit trail.
    password
        The first password; it must pass
        :func:`oncotrial.services.auth.check_password_policy` (15–128 characters, not built
        from the user's or the system's names). It need not be changed at first sign-in.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If the password breaks the policy or the user name is not valid.
    AccessError
        If the database already has a user.
    """
    auth.check_password_policy(password, username=username, full_name=full_name)
    store = Store(url)
    try:
        actor = admin.bootstrap_admin(store, username=username, full_name=full_name)
        with open_unit(store, actor) as unit:
            auth.set_password(unit, username, password)
    finally:
        store.dispose()


def add_site(unit: Unit, code: str, *, name: str) -> None:
    """Create a site (administrators only).

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    code
        The site code (e.g. ``"01"``), used in screening numbers and site assignments.
    name
        The site's name.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    """
    admin.create_site(unit, code, name=name)


def add_user(unit: Unit, username: str, *, full_name: str, role: Role | str, password: str,
             sites: list[str], site_roles: Mapping[str, str]) -> None:
    """Create a user with a first password they must change at first sign-in.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        User name: 2–80 characters of ``A–Z a–z 0–9 . _ -``, not yet taken.
    full_name
        The person's name.
    role
        Study role (a :class:`oncotrial.types.Role` value such as ``"investigator"``).
    password
        The first password, checked against
        :func:`oncotrial.services.auth.check_password_policy`; it is marked for change.
    sites
        Site codes assigned with *role*.
    site_roles
        Further site codes mapped to another role held there.

    Returns
    -------
    None

    Raises
    ------
    DataError
        If the password breaks the policy, the user name is invalid or taken, a role is
        unknown or a site does not exist.
    AccessError
        If the actor is not an administrator.
    """
    auth.check_password_policy(password, username=username, full_name=full_name)
    admin.create_user(unit, username, full_name=full_name, role=role, sites=sites,
                      site_roles=site_roles)
    auth.set_password(unit, username, password, must_change=True)


def disable_user(unit: Unit, username: str, *, reason: str) -> int:
    """Disable a user and end their sessions and API tokens.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        The account to disable (not the administrator's own).
    reason
        Reason for the change, kept in the audit trail.

    Returns
    -------
    int
        How many sessions and API tokens were ended.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    NotFoundError
        If there is no such user.
    DataError
        If administrators try to disable their own account.
    """
    admin.set_user_active(unit, username, active=False, reason=reason)
    return auth.revoke_user_sessions(unit, username, reason=f"account disabled: {reason}")


def reset_password(unit: Unit, username: str, *, password: str) -> None:
    """Set a new password the user must change at next sign-in.

    Parameters
    ----------
    unit
        A unit of work of an administrator (or of the user themself).
    username
        The account whose password is reset; its open sessions end.
    password
        The new password, checked against
        :func:`oncotrial.services.auth.check_password_policy`.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is neither an administrator nor *username*.
    DataError
        If there is no such user or the password breaks the policy.
    """
    auth.set_password(unit, username, password, must_change=True)


def list_accounts(unit: Unit) -> list[UserSummary]:
    """Every account, with role, state and sites (administrators only).

    Parameters
    ----------
    unit
        A unit of work of an administrator.

    Returns
    -------
    list[UserSummary]
        One :class:`~oncotrial.services.admin.UserSummary` per user, by user name.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    """
    return admin.list_users(unit)
