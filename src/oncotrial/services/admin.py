"""Sites, user accounts, roles, site assignments and log-in (each change audited)."""

from __future__ import annotations

from sqlalchemy import func, select

from oncotrial.errors import AccessError, DataError
from oncotrial.services._unit import STUDY_WIDE_ROLES, Unit, require_role
from oncotrial.store import Actor, Store, record_event, set_actor
from oncotrial.store.schema import AppUser, Site, UserSite
from oncotrial.types import Channel, Role

__all__ = ["assign_site", "bootstrap_admin", "create_site", "create_user", "log_in"]

_ADMIN = frozenset({Role.ADMIN})


def bootstrap_admin(store: Store, *, username: str, full_name: str) -> Actor:
    """Create the first administrator of an empty database and return it as an actor.

    Raises
    ------
    AccessError
        If the database already has users (use :func:`create_user` as an admin).
    """
    system = Actor(user_id=None, username="system", role=Role.ADMIN, channel=Channel.CLI)
    with store.transaction(system) as session:
        if session.scalar(select(func.count()).select_from(AppUser)):
            raise AccessError("the database already has users", field="username", value=username)
        user = AppUser(username=username, full_name=full_name, role=Role.ADMIN, active=True)
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
    """Create a site (admin only); returns its id."""
    require_role(unit.actor, _ADMIN, what="create sites")
    with unit.step() as session:
        site = Site(code=code, name=name)
        session.add(site)
        session.flush()
        return site.id


def create_user(
    unit: Unit, username: str, *, full_name: str, role: Role | str, sites: list[str] | None = None
) -> int:
    """Create a user with a role and site assignments (admin only); returns the user id."""
    require_role(unit.actor, _ADMIN, what="create users")
    try:
        role = Role(role)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise DataError("unknown role", field="role", value=role, allowed=allowed) from exc
    with unit.step() as session:
        user = AppUser(username=username, full_name=full_name, role=role.value, active=True)
        session.add(user)
        session.flush()
        for code in sites or []:
            session.add(UserSite(user_id=user.id, site_id=_site_id(unit, code)))
        return user.id


def assign_site(unit: Unit, username: str, *, site: str) -> None:
    """Give an existing user access to one more site (admin only)."""
    require_role(unit.actor, _ADMIN, what="assign sites")
    with unit.step() as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        if user is None:
            raise DataError("no such user", field="username", value=username)
        session.add(UserSite(user_id=user.id, site_id=_site_id(unit, site)))


def _site_id(unit: Unit, code: str) -> int:
    site_id = unit.session.scalar(select(Site.id).where(Site.code == code))
    if site_id is None:
        raise DataError("no such site", field="site", value=code)
    return site_id


def log_in(store: Store, username: str, *, channel: Channel | str) -> Actor:
    """Identify an active user and return the actor for later units; the log-in is audited.

    Authentication (password, SSO) belongs to the web/CLI adapter; this records who acted.
    """
    channel = Channel(channel)
    probe = Actor(user_id=None, username=username, role="", channel=channel)
    with store.transaction(probe) as session:
        user = session.scalar(
            select(AppUser).where(AppUser.username == username, AppUser.deleted.is_(False))
        )
        if user is None or not user.active:
            raise AccessError("unknown or inactive user", field="username", value=username)
        site_ids = frozenset(
            session.scalars(
                select(UserSite.site_id).where(
                    UserSite.user_id == user.id, UserSite.deleted.is_(False)
                )
            )
        )
        actor = Actor(
            user_id=user.id,
            username=user.username,
            role=user.role,
            channel=channel,
            full_name=user.full_name,
            site_ids=site_ids,
            all_sites=Role(user.role) in STUDY_WIDE_ROLES,
        )
        set_actor(session, actor)
        record_event(session, action="login", table_name="app_user", row_id=user.id)
    return actor
