"""Identity at the unit of work: an actor that is not an active user exactly as the user
database has them (another user's id, a role or site they do not hold, a disabled account, no
user at all) is refused before anything is read or written, so the audit trail and a
signature always name the user who acted."""

from __future__ import annotations

import dataclasses

import pytest

from oncotrial.errors import AccessError
from oncotrial.services import admin, casebook
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from oncotrial.types import Channel, Role
from tests.services.helpers import register
from tests.store.backends import World


def _refused(store: Store, actor: Actor) -> AccessError:
    with pytest.raises(AccessError) as caught, open_unit(store, actor) as unit:
        casebook.list_subjects(unit)
    return caught.value


def test_signed_in_actor_is_accepted(store: Store, world: World) -> None:
    """The actor the sign-in gives works (the control for the refusals below)."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        assert number in {s.screening_number for s in casebook.list_subjects(unit)}


@pytest.mark.parametrize("forgery", [
    "role-escalation", "other-site", "all-sites", "other-users-id", "no-user",
])
def test_hand_made_actor_is_refused(store: Store, world: World, forgery: str) -> None:
    """An investigator's actor edited to claim more, or naming someone else, is refused."""
    actor = world.inv_a
    forged = {
        "role-escalation": dataclasses.replace(actor, role=str(Role.ADMIN)),
        "other-site": dataclasses.replace(actor, site_ids=actor.site_ids | world.inv_b.site_ids),
        "all-sites": dataclasses.replace(actor, all_sites=True),
        "other-users-id": dataclasses.replace(actor, user_id=world.data_manager.user_id),
        "no-user": dataclasses.replace(actor, user_id=None),
    }[forgery]
    error = _refused(store, forged)
    assert error.field == "actor"
    assert error.value == actor.username


def test_disabled_users_actor_stops_working(store: Store, world: World,
                                            admin_actor: Actor) -> None:
    """Disabling an account ends what its existing actor may do, at the next unit of work."""
    with open_unit(store, admin_actor) as unit:
        admin.set_user_active(unit, world.coord_a.username, active=False, reason="left the site")
    assert "sign in again" in str(_refused(store, world.coord_a))


def test_removed_site_takes_effect_at_once(store: Store, world: World,
                                           admin_actor: Actor) -> None:
    """A user given another site after sign-in must sign in again to use it (the stale actor
    no longer matches and is refused, rather than acting with yesterday's rights)."""
    with open_unit(store, admin_actor) as unit:
        admin.assign_site(unit, world.monitor_a.username, site=world.site_b)
    _refused(store, world.monitor_a)
    fresh = admin.log_in(store, world.monitor_a.username, channel=Channel.UI)
    with open_unit(store, fresh) as unit:
        casebook.list_subjects(unit)
