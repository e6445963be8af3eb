"""Sites, user accounts, roles (per site), site assignments and the actor of a known user.

Every change is audited. Passwords, sessions and tokens are in :mod:`oncotrial.services.auth`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncotrial.errors import AccessError, DataError, NotFoundError
from oncotrial.services._unit import Unit, require_role
from oncotrial.services.permissions import STUDY_WIDE_ROLES
from oncotrial.store import Actor, Store, record_event, set_actor
from oncotrial.store.schema import AppUser, Site, UserSite
from oncotrial.types import Channel, Role

__all__ = [
    "UserSummary",
    "actor_for",
    "assign_site",
    "bootstrap_admin",
    "create_site",
    "create_user",
    "list_sites",
    "list_users",
    "log_in",
    "set_user_active",
]

_ADMIN = frozenset({Role.ADMIN})
_USERNAME_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
)


@dataclass(frozen=True, slots=True)
class UserSummary:
    """A user as the administrator sees it (never a password or hash)."""

    username: str
    full_name: str
    role: str
    active: bool
    sites: tuple[tuple[str, str], ...]  # (site code, role there)


def bootstrap_admin(store: Store, *, username: str, full_name: str) -> Actor:
    """Create the first administrator of an empty database and return it as an actor.

    The account has no password; :func:`oncotrial.services.accounts.create_first_admin` sets one.

    Parameters
    ----------
    store
        The trial database, upgraded (:func:`oncotrial.services.database.upgrade_database`).
    username
        User name: 2–80 characters of ``A–Z a–z 0–9 . _ -``.
    full_name
        The person's name.

    Returns
    -------
    Actor
        The administrator (role ``admin``, every site, channel CLI), ready for
        :func:`oncotrial.services.open_unit`.

    Raises
    ------
    AccessError
        If the database already has users (use :func:`create_user` as an admin).
    DataError
        If the user name is not valid.
    """
    system = Actor(user_id=None, username="system", role=Role.ADMIN, channel=Channel.CLI)
    with store.transaction(system) as session:
        if session.scalar(select(func.count()).select_from(AppUser)):
            raise AccessError("the database already has users", field="username", value=username)
        user = AppUser(username=_username(username), full_name=full_name, role=Role.ADMIN,
                       active=True)
        session.add(user)
        session.flush()
        user_id = user.id
    return Actor(
        user_id=user_id,
        username=username,
        role=Role.ADMIN,
        channel=Channel.CLI,
        full_name=full_name,
        all_sites=True,
    )


def create_site(unit: Unit, code: str, *, name: str) -> int:
    """Create a site (admin only); returns its id.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    code
        The site code (e.g. ``"01"``): non-blank and unique.
    name
        The site's name: non-blank.

    Returns
    -------
    int
        The new site's id.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    DataError
        If the code or name is blank or the code is already taken.
    """
    require_role(unit.actor, _ADMIN, what="create sites")
    with unit.step() as session:
        site = Site(code=code, name=name)
        session.add(site)
        session.flush()
        return site.id


def _role(value: Role | str, *, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise DataError("unknown role", field=field, value=value, allowed=allowed) from exc


def _username(value: str) -> str:
    if not 2 <= len(value) <= 80 or not set(value) <= _USERNAME_CHARS:
        raise DataError("not a valid user name", field="username", value=value,
                        allowed="2–80 characters of A–Z, a–z, 0–9, '.', '_', '-'")
    return value


def create_user(
    unit: Unit,
    username: str,
    *,
    full_name: str,
    role: Role | str,
    sites: list[str] | None = None,
    site_roles: Mapping[str, Role | str] | None = None,
) -> int:
    """Create a user with a role and site assignments (admin only); returns the user id.

    *sites* are assigned with the user's *role*; *site_roles* maps further site codes to a
    different role held there (a user may be a coordinator at one site and an investigator at
    another). The user has no password yet (:func:`oncotrial.services.auth.set_password`); trusted
    in-process callers act as them through :func:`log_in`.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        User name: 2–80 characters of ``A–Z a–z 0–9 . _ -``, not yet taken.
    full_name
        The person's name, shown in signatures and the audit trail.
    role
        Study role, a :class:`oncotrial.types.Role` or its value (``"admin"``,
        ``"investigator"``, ``"coordinator"``, ``"monitor"``, ...). Study-wide roles see every
        site without assignments.
    sites
        Codes of existing sites the user works at with *role* (default none).
    site_roles
        Codes of existing sites mapped to the role the user holds there instead (default none).

    Returns
    -------
    int
        The new user's id.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    DataError
        If the user name is invalid or taken, a role is unknown (field ``role`` or
        ``site_roles.<code>``) or a site does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import (bootstrap_admin, create_site, create_user,
    ...                                       list_users, log_in)
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_site(unit, "01", name="Site 01")
    ...     _ = create_site(unit, "02", name="Site 02")
    ...     _ = create_user(unit, "ines", full_name="Ines Ito", role="investigator",
    ...                     sites=["01"], site_roles={"02": "coordinator"})
    ...     [(u.username, u.role, u.sites) for u in list_users(unit)]
    [('ada', 'admin', ()),
     ('ines', 'investigator', (('01', 'investigator'), ('02', 'coordinator')))]
    >>> log_in(store, "ines", channel="API").role
    'investigator'
    >>> with open_unit(store, ada) as unit:
    ...     _ = create_user(unit, "omar", full_name="Omar Ode", role="surgeon")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: role='surgeon': unknown role (allowed: ...)
    >>> store.dispose(); folder.cleanup()
    """
    require_role(unit.actor, _ADMIN, what="create users")
    role = _role(role)
    assignments = dict.fromkeys(sites or [])
    assignments.update({code: _role(r, field=f"site_roles.{code}")
                        for code, r in (site_roles or {}).items()})
    with unit.step() as session:
        if session.scalar(select(AppUser.id).where(AppUser.username == username)) is not None:
            raise DataError("user name already taken", field="username", value=username)
        user = AppUser(username=_username(username), full_name=full_name, role=role.value,
                       active=True)
        session.add(user)
        session.flush()
        for code, at_site in assignments.items():
            session.add(UserSite(user_id=user.id, site_id=_site_id(unit, code),
                                 role=None if at_site in (None, role) else str(at_site)))
        return user.id


def assign_site(unit: Unit, username: str, *, site: str, role: Role | str | None = None) -> None:
    """Give an existing user access to one more site, optionally with another role there.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        The user.
    site
        Code of an existing site.
    role
        The role held at that site; ``None`` (default) or the user's own role means the user's
        role.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    NotFoundError
        If there is no such user.
    DataError
        If the role is unknown, the site does not exist or the user is already assigned to it.
    """
    require_role(unit.actor, _ADMIN, what="assign sites")
    with unit.step() as session:
        user = _user(session, username)
        at_site = None if role is None else _role(role)
        session.add(UserSite(user_id=user.id, site_id=_site_id(unit, site),
                             role=None if at_site in (None, user.role) else str(at_site)))


def set_user_active(unit: Unit, username: str, *, active: bool, reason: str) -> None:
    """Disable (or re-enable) a user account (admin only); a disabled user cannot log in.

    Open sessions are not ended here (:func:`oncotrial.services.accounts.disable_user` ends them
    too); a disabled user's session is refused at its next request.

    Parameters
    ----------
    unit
        A unit of work of an administrator.
    username
        The account.
    active
        ``False`` to disable, ``True`` to re-enable.
    reason
        Reason for the change, kept in the audit trail.

    Returns
    -------
    None

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    DataError
        If administrators try to disable their own account.
    NotFoundError
        If there is no such user.
    """
    require_role(unit.actor, _ADMIN, what="disable users")
    if unit.actor.username == username and not active:
        raise DataError("an administrator cannot disable their own account", field="username",
                        value=username)
    with unit.step(reason=reason) as session:
        user = _user(session, username)
        user.active = active
        record_event(session, action="enable" if active else "disable", table_name="app_user",
                     row_id=user.id, reason=reason)


def list_users(unit: Unit) -> list[UserSummary]:
    """Every user with role, state and sites (admin only).

    Parameters
    ----------
    unit
        A unit of work of an administrator.

    Returns
    -------
    list[UserSummary]
        One per user not deleted, by user name; ``sites`` holds (site code, role there) pairs.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    """
    require_role(unit.actor, _ADMIN, what="list users")
    codes: dict[int, str] = dict(unit.session.execute(select(Site.id, Site.code)).all())
    users = unit.session.scalars(select(AppUser).where(AppUser.deleted.is_(False))
                                 .order_by(AppUser.username)).all()
    links = unit.session.scalars(select(UserSite).where(UserSite.deleted.is_(False))).all()
    return [
        UserSummary(
            username=u.username, full_name=u.full_name, role=u.role, active=u.active,
            sites=tuple(sorted((codes[link.site_id], link.role or u.role)
                               for link in links if link.user_id == u.id)),
        )
        for u in users
    ]


def _user(session: Session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username,
                                                AppUser.deleted.is_(False)))
    if user is None:
        raise NotFoundError("no such user", field="username", value=username)
    return user


def _site_id(unit: Unit, code: str) -> int:
    site_id = unit.session.scalar(select(Site.id).where(Site.code == code))
    if site_id is None:
        raise NotFoundError("no such site", field="site", value=code)
    return site_id


def actor_for(session: Session, user: AppUser, *, channel: Channel | str) -> Actor:
    """The actor of an active user: role, sites and the roles held at each site.

    The caller has checked that the user may act (password, session or token); this function
    only reads the site assignments.

    Parameters
    ----------
    session
        An open database session.
    user
        The user's row.
    channel
        How the user acts: a :class:`oncotrial.types.Channel` or its value (``"UI"``, ``"API"``,
        ``"CLI"``, ...).

    Returns
    -------
    Actor
        The actor; study-wide roles get ``all_sites``.

    Raises
    ------
    ValueError
        If *channel* is not a :class:`~oncotrial.types.Channel` value.
    """
    links = session.execute(
        select(UserSite.site_id, UserSite.role).where(
            UserSite.user_id == user.id, UserSite.deleted.is_(False)
        )
    ).all()
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        channel=str(Channel(channel)),
        full_name=user.full_name,
        site_ids=frozenset(site for site, _role in links),
        all_sites=user.role in STUDY_WIDE_ROLES,
        site_roles=tuple(sorted((site, role) for site, role in links if role)),
    )


def log_in(store: Store, username: str, *, channel: Channel | str) -> Actor:
    """The actor of an active user, for trusted in-process callers (simulation, import jobs
    run by an operator, tests); the start of a session is audited.

    People log in through :func:`oncotrial.services.auth.authenticate`, which checks the
    password; this function does not and is never reachable from the web or the API.

    Parameters
    ----------
    store
        The trial database.
    username
        The user.
    channel
        A :class:`oncotrial.types.Channel` or its value (``"UI"``, ``"API"``, ``"CLI"``, ...),
        recorded with every change the actor makes.

    Returns
    -------
    Actor
        The user's actor, for :func:`oncotrial.services.open_unit`.

    Raises
    ------
    AccessError
        If the user does not exist or is disabled.
    ValueError
        If *channel* is not a :class:`~oncotrial.types.Channel` value.
    """
    channel = Channel(channel)
    probe = Actor(user_id=None, username=username, role="", channel=channel)
    with store.transaction(probe) as session:
        user = session.scalar(
            select(AppUser).where(AppUser.username == username, AppUser.deleted.is_(False))
        )
        if user is None or not user.active:
            raise AccessError("unknown or inactive user", field="username", value=username)
        actor = actor_for(session, user, channel=channel)
        set_actor(session, actor)
        record_event(session, action="login", table_name="app_user", row_id=user.id)
    return actor


def list_sites(unit: Unit) -> list[tuple[str, str]]:
    """(code, name) of every site (admin only).

    Parameters
    ----------
    unit
        A unit of work of an administrator.

    Returns
    -------
    list[tuple[str, str]]
        (code, name) of every site not deleted, by code.

    Raises
    ------
    AccessError
        If the actor is not an administrator.
    """
    require_role(unit.actor, _ADMIN, what="list sites")
    return [(code, name) for code, name in unit.session.execute(
        select(Site.code, Site.name).where(Site.deleted.is_(False)).order_by(Site.code))]
