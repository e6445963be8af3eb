"""Site-scoped access: a user of site A can neither read nor write site B's subjects, and is
answered as if they did not exist (their existence does not leak)."""

from __future__ import annotations

from datetime import date

import pytest

from oncotrial.errors import AccessError, NotFoundError
from oncotrial.services import admin, subjects
from oncotrial.services import data_management as dm
from oncotrial.services._unit import open_unit
from oncotrial.store import Actor, Store
from oncotrial.types import Channel, Role
from tests.services.helpers import register
from tests.store.backends import World


def test_site_a_user_cannot_write_site_b_subject(store: Store, world: World) -> None:
    """Recording a visit for another site's subject is refused as for a missing subject."""
    number_b = register(store, world, site_b=True)
    with open_unit(store, world.inv_a) as unit, pytest.raises(NotFoundError, match="no such"):
        subjects.record_visit(unit, number_b, name="C1D1", visitnum=1, actual_date=date(2019, 4, 1))


def test_site_a_user_cannot_read_site_b_subject(store: Store, world: World) -> None:
    """Reading another site's subject history is refused; own site and study roles may read."""
    number_b = register(store, world, site_b=True)
    with open_unit(store, world.inv_a) as unit, pytest.raises(NotFoundError, match="no such"):
        dm.subject_history(unit, number_b)
    with open_unit(store, world.monitor_a) as unit, pytest.raises(NotFoundError):
        dm.subject_history(unit, number_b)
    with open_unit(store, world.inv_a) as unit, pytest.raises(NotFoundError) as missing:
        dm.subject_history(unit, world.subject_number(999))
    with open_unit(store, world.inv_a) as unit, pytest.raises(NotFoundError) as hidden:
        dm.subject_history(unit, number_b)
    absent = repr(world.subject_number(999))
    assert str(missing.value).replace(absent, "X") == str(hidden.value).replace(repr(number_b), "X")
    with open_unit(store, world.inv_b) as unit:
        assert dm.subject_history(unit, number_b)
    with open_unit(store, world.data_manager) as unit:
        assert dm.subject_history(unit, number_b)


def test_site_a_user_cannot_register_at_site_b(store: Store, world: World) -> None:
    """Registering a subject at a site the user is not assigned to is refused."""
    with open_unit(store, world.inv_a) as unit, pytest.raises(AccessError):
        subjects.register_subject(
            unit,
            world.subject_number(9),
            site=world.site_b,
            consent_date=date(2019, 1, 1),
            consent_version="1",
            sex="M",
        )


def test_roles_without_data_entry_cannot_write(store: Store, world: World) -> None:
    """Monitors and statisticians cannot enter casebook data."""
    number = register(store, world)
    for actor in (world.monitor_a, world.statistician):
        with open_unit(store, actor) as unit, pytest.raises(AccessError, match="may not"):
            subjects.record_visit(
                unit, number, name="C1D1", visitnum=1, actual_date=date(2019, 4, 1)
            )


def _mixed_user(store: Store, world: World, admin_actor: Actor, name: str, *, role: Role,
                other: Role) -> Actor:
    """A user holding *role* at site A and *other* at site B."""
    with open_unit(store, admin_actor) as unit:
        admin.create_user(unit, f"{name}_{world.tag}", full_name=name, role=role,
                          sites=[world.site_a], site_roles={world.site_b: other})
    return admin.log_in(store, f"{name}_{world.tag}", channel=Channel.API)


def test_query_roles_are_checked_at_the_subjects_site(store: Store, world: World,
                                                      admin_actor: Actor) -> None:
    """Raising, answering and closing a query need the permission at the subject's site: a
    coordinator at A who monitors B can neither raise nor close A's queries, and a monitor at A
    who coordinates B cannot answer them; each does what their role at A allows."""
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        visit = subjects.record_visit(unit, number, name="C1D1", visitnum=1,
                                      actual_date=date(2019, 4, 1))
    coordinator_here = _mixed_user(store, world, admin_actor, "coordmon", role=Role.COORDINATOR,
                                   other=Role.MONITOR)
    monitor_here = _mixed_user(store, world, admin_actor, "moncoord", role=Role.MONITOR,
                               other=Role.COORDINATOR)
    with open_unit(store, coordinator_here) as unit, pytest.raises(AccessError, match="raise"):
        dm.raise_query(unit, number, table="visit", row_id=visit, field="actual_date", text="?")
    with open_unit(store, monitor_here) as unit:
        query = dm.raise_query(unit, number, table="visit", row_id=visit, field="actual_date",
                               text="Source says 2 April")
    with open_unit(store, monitor_here) as unit, pytest.raises(AccessError, match="answer"):
        dm.answer_query(unit, query, text="answered by the monitor")
    with open_unit(store, coordinator_here) as unit:
        dm.answer_query(unit, query, text="Checked: 1 April is right")
    with open_unit(store, coordinator_here) as unit, pytest.raises(AccessError, match="close"):
        dm.close_query(unit, query, text="closed by the coordinator")
    with open_unit(store, coordinator_here) as unit, pytest.raises(AccessError, match="close"):
        dm.close_query(unit, query, text="cancelled by the coordinator", cancel=True)
    with open_unit(store, monitor_here) as unit:
        dm.close_query(unit, query, text="Confirmed")
