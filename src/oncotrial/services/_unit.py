"""The unit of work every service call runs in, and the access checks they share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncotrial.errors import AccessError, ConcurrencyError, DataError, NotFoundError
from oncotrial.services._validation import check_row
from oncotrial.services.permissions import PERMISSIONS, STUDY_WIDE_ROLES, Action
from oncotrial.store import Actor, Store, reason_for_change, savepoint
from oncotrial.store.schema import AppUser, CasebookRow, Subject, UserSite
from oncotrial.store.session import set_row_check
from oncotrial.types import Role

__all__ = [
    "STUDY_WIDE_ROLES",
    "Unit",
    "check_version",
    "open_unit",
    "require_role",
    "require_text",
]

#: roles that enter casebook data at their sites
DATA_ENTRY_ROLES = PERMISSIONS[Action.ENTER_DATA]


@dataclass(frozen=True, slots=True)
class Unit:
    """An open transaction on behalf of one actor; service calls take it as first argument.

    Each service call runs in its own SAVEPOINT, so a refused call leaves nothing behind and
    the caller decides how many calls one commit holds (one per call for a web request, many
    for an import or a simulation run on SQLite).
    """

    store: Store
    session: Session
    actor: Actor

    def now(self) -> datetime:
        """The store clock's current UTC time."""
        return self.store.clock()

    @contextmanager
    def step(self, *, reason: str | None = None) -> Iterator[Session]:
        """One service call: a savepoint with a reason for change (when one applies)."""
        with savepoint(self.session), reason_for_change(self.session, reason):
            yield self.session

    def subject(
        self, screening_number: str, *, write: bool, action: Action | None = None
    ) -> Subject:
        """Load a subject by screening number for the actor.

        A subject at a site the actor may not see is refused exactly as one that does not
        exist (:class:`NotFoundError`). With *write*, the actor's role at the subject's site
        must enter data; with *action*, it must hold that permission there.
        """
        subject = self.session.scalar(
            select(Subject).where(
                Subject.screening_number == screening_number, Subject.deleted.is_(False)
            )
        )
        if subject is None or not self.sees_site(subject.site_id):
            raise NotFoundError("no such subject", field="subject", value=screening_number)
        needed = Action.ENTER_DATA if write else action
        if needed is not None:
            self.require_at(subject.site_id, needed, subject=screening_number)
        return subject

    def sees_site(self, site_id: int) -> bool:
        """Whether the actor may see subjects of *site_id*."""
        return self.actor.all_sites or site_id in self.actor.site_ids

    def require_at(self, site_id: int, action: Action, *, subject: str | None = None) -> None:
        """Refuse unless the role the actor holds at *site_id* permits *action*."""
        role = self.actor.role_at(site_id)
        if role not in PERMISSIONS[action]:  # Role is a StrEnum: its members equal their text
            allowed = ", ".join(sorted(str(r) for r in PERMISSIONS[action]))
            raise AccessError(
                f"role {role} may not {action.value}",
                field="role",
                value=role,
                allowed=allowed,
                subject=subject,
            )

    def check_site(self, site_id: int, *, subject: str | None = None) -> None:
        """Refuse access to a site the actor is not assigned to (study-wide roles pass)."""
        if self.sees_site(site_id):
            return
        raise AccessError(
            f"user {self.actor.username} has no access to this site",
            field="site",
            value=site_id,
            subject=subject,
        )


@contextmanager
def open_unit(store: Store, actor: Actor) -> Iterator[Unit]:
    """Open a unit of work for *actor*; commits at the end, rolls back on any error.

    Every row the unit writes, by any service, correction or import, passes
    :func:`oncotrial.services._validation.check_row` before it is written.

    Parameters
    ----------
    store
        The trial database (:class:`oncotrial.store.Store`).
    actor
        The signed-in user (from :func:`oncotrial.services.admin.log_in` or the web session);
        checked against the user database before anything is written.

    Returns
    -------
    Iterator[Unit]
        A context manager: the :class:`Unit` that every service function takes first.

    Raises
    ------
    AccessError
        If *actor* is not an active user exactly as the user database holds them.

    Examples
    --------
    A new SQLite database, its first administrator, a site and a coordinator; the coordinator
    registers a subject and records a neutrophil count, which is graded by CTCAE v5.0 as it is
    stored:

    >>> import tempfile
    >>> from datetime import date
    >>> from oncotrial.services import open_unit
    >>> from oncotrial.services.admin import bootstrap_admin, create_site, create_user, log_in
    >>> from oncotrial.services.database import upgrade_database
    >>> from oncotrial.services.safety import record_lab
    >>> from oncotrial.services.subjects import register_subject
    >>> from oncotrial.store import Store
    >>> folder = tempfile.TemporaryDirectory()
    >>> url = f"sqlite:///{folder.name}/trial.sqlite"
    >>> revision = upgrade_database(url)          # create the tables
    >>> store = Store(url)
    >>> ada = bootstrap_admin(store, username="ada", full_name="Ada Admin")
    >>> with open_unit(store, ada) as unit:
    ...     site_id = create_site(unit, "01", name="National Taiwan University Hospital")
    ...     user_id = create_user(unit, "grace", full_name="Grace Chen", role="coordinator",
    ...                           sites=["01"])
    >>> grace = log_in(store, "grace", channel="API")
    >>> with open_unit(store, grace) as unit:
    ...     subject_id = register_subject(unit, "01-001", site="01", sex="F",
    ...                                   consent_date=date(2024, 1, 2), consent_version="3.0")
    ...     lab = record_lab(unit, "01-001", collected_on=date(2024, 1, 3), test_code="NEUT",
    ...                      value=0.8, unit_of_measure="10^9/L", lln=1.8, uln=7.5)
    >>> lab.ctcae_term, lab.grade, lab.grade_rule
    ('Neutrophil count decreased', 3, 'anc_g3')

    An error inside the block rolls the whole unit back: nothing of it is written.

    >>> with open_unit(store, grace) as unit:
    ...     _ = register_subject(unit, "01-002", site="01", sex="M",
    ...                          consent_date=date(2024, 1, 4), consent_version="3.0")
    ...     _ = record_lab(unit, "01-002", collected_on=date(2024, 1, 4), test_code="NEUT",
    ...                    value=1.5, unit_of_measure="mg/dL")
    Traceback (most recent call last):
    ...
    oncotrial.errors.DataError: subject 01-002: unit='mg/dL': Neutrophil count decreased:
    unit 'mg/dL' is not a unit of this term (allowed: 10^9/L, 10^3/uL, /mm3)
    >>> from oncotrial.services.casebook import list_subjects
    >>> with open_unit(store, grace) as unit:
    ...     [row.screening_number for row in list_subjects(unit)]
    ['01-001']
    >>> store.dispose(); folder.cleanup()
    """
    with store.transaction(actor) as session:
        _check_actor(session, actor)
        set_row_check(session, check_row)
        yield Unit(store=store, session=session, actor=actor)


def _check_actor(session: Session, actor: Actor) -> None:
    """Refuse an actor that is not an active user exactly as the user database has them.

    Actors come from the sign-in (web, API token, CLI password) or from trusted in-process
    code; a hand-made or stale one (another user's id, a role or site the user does not hold,
    a disabled account, a role changed since sign-in) would otherwise write under a name that
    is not the one acting, so every unit of work checks it against the database first.
    """
    refused = "the acting user does not match the user database (sign in again)"
    if actor.user_id is None:
        raise AccessError("a unit of work needs a signed-in user", field="actor",
                          value=actor.username)
    user = session.get(AppUser, actor.user_id)
    if user is None or user.deleted or not user.active or user.username != actor.username:
        raise AccessError(refused, field="actor", value=actor.username)
    links = session.execute(select(UserSite.site_id, UserSite.role).where(
        UserSite.user_id == user.id, UserSite.deleted.is_(False))).all()
    stored = (
        str(user.role),
        frozenset(site for site, _role in links),
        tuple(sorted((site, str(role)) for site, role in links if role)),
        user.role in STUDY_WIDE_ROLES,
    )
    given = (str(actor.role), actor.site_ids,
             tuple((site, str(role)) for site, role in actor.site_roles), actor.all_sites)
    if given != stored:
        raise AccessError(refused, field="actor", value=actor.username)


def require_role(actor: Actor, allowed: frozenset[Role] | set[Role], *, what: str) -> None:
    """Raise :class:`AccessError` unless the actor holds a role in *allowed* (at some site:
    a site-scoped action checks the role at the subject's site as well)."""
    if not actor.roles & {str(r) for r in allowed}:
        raise AccessError(
            f"role {actor.role} may not {what}",
            field="role",
            value=actor.role,
            allowed=", ".join(sorted(str(r) for r in allowed)),
        )


def require_text(value: str | None, *, field: str) -> str:
    """A required free-text value (reason, meaning): non-blank."""
    if value is None or not value.strip():
        raise DataError("must not be blank", field=field, value=value)
    return value.strip()


def check_version(row: CasebookRow, expected: int | None, *, subject: str | None = None) -> None:
    """Optimistic locking: refuse a save made from a stale copy of *row*."""
    if expected is not None and row.version != expected:
        raise ConcurrencyError(
            f"{row.__tablename__} row {row.id} was changed by someone else "
            f"(you edited version {expected}, it is now version {row.version}); reload it",
            field="version",
            value=expected,
            subject=subject,
        )
