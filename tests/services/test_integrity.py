"""Optimistic concurrency, signatures, locks and queries through the services."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from oncotrial.errors import (
    AccessError,
    ConcurrencyError,
    DataError,
    LockedError,
    NotFoundError,
)
from oncotrial.protocol import load_protocol
from oncotrial.services import data_management as dm
from oncotrial.services import enrolment, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, reason_for_change, savepoint
from oncotrial.store.schema import Visit
from tests.services.helpers import register, screening_values
from tests.store.backends import Backend, World


def _visit(store: Store, world: World, number: str) -> tuple[int, int]:
    with open_unit(store, world.inv_a) as unit:
        vid = subjects.record_visit(
            unit, number, name="C1D1", visitnum=1, cycle=1, day=1, actual_date=date(2019, 4, 1)
        )
        visit = unit.session.get(Visit, vid)
        assert visit is not None
        return vid, visit.version


def test_second_save_from_a_stale_copy_is_refused(store: Store, world: World) -> None:
    """Two users edit the same visit: the first save wins, the second gets ConcurrencyError."""
    number = register(store, world)
    vid, version = _visit(store, world, number)
    with open_unit(store, world.inv_a) as unit:
        dm.correct_record(
            unit,
            "visit",
            vid,
            version=version,
            changes={"actual_date": date(2019, 4, 2)},
            reason="date typo",
        )
    with (
        open_unit(store, world.coord_a) as unit,
        pytest.raises(ConcurrencyError, match="changed by someone else"),
    ):
        dm.correct_record(
            unit,
            "visit",
            vid,
            version=version,
            changes={"actual_date": date(2019, 4, 3)},
            reason="other typo",
        )
    with open_unit(store, world.inv_a) as unit:
        visit = unit.session.get(Visit, vid)
        assert visit is not None
        assert visit.actual_date == date(2019, 4, 2)


def test_concurrent_sessions_race_is_refused(store: Store, backend: Backend, world: World) -> None:
    """Two open transactions update the same row: the later flush fails, no lost update."""
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    number = register(store, world)
    vid, _ = _visit(store, world, number)
    first = store.session(world.inv_a)
    second = store.session(world.coord_a)
    try:
        one = first.get(Visit, vid)
        two = second.get(Visit, vid)
        assert one is not None
        assert two is not None
        with reason_for_change(first, "race, first"):
            one.day = 2
        first.commit()
        with (
            pytest.raises(ConcurrencyError, match="changed by another user"),
            reason_for_change(second, "race, second"),
            savepoint(second),
        ):
            two.day = 3
    finally:
        first.close()
        second.close()
    with open_unit(store, world.inv_a) as unit:
        visit = unit.session.get(Visit, vid)
        assert visit is not None
        assert visit.day == 2


def test_change_to_signed_data_invalidates_the_signature(store: Store, world: World) -> None:
    """A correction after sign-off invalidates the signature and says what changed."""
    number = register(store, world)
    vid, version = _visit(store, world, number)
    with open_unit(store, world.inv_a) as unit:
        sig = dm.sign_casebook(unit, number, meaning="I approve this casebook")
    with open_unit(store, world.inv_a) as unit:
        status = dm.verify_signature(unit, sig)
        assert (status.state, status.content_matches) == ("valid", True)
        assert status.signer == f"inv_a {world.tag}"
    with open_unit(store, world.coord_a) as unit:
        dm.correct_record(
            unit, "visit", vid, version=version, changes={"day": 2}, reason="was day 2"
        )
    with open_unit(store, world.inv_a) as unit:
        status = dm.verify_signature(unit, sig)
    assert status.state == "invalidated"
    assert status.content_matches is False
    assert status.reason is not None
    assert f"visit row {vid} field day" in status.reason


def test_only_investigators_sign(store: Store, world: World) -> None:
    """A coordinator cannot sign a casebook."""
    number = register(store, world)
    with open_unit(store, world.coord_a) as unit, pytest.raises(AccessError, match="sign"):
        dm.sign_casebook(unit, number, meaning="approve")


@pytest.mark.parametrize("level", ["subject", "site", "form", "study"])
def test_lock_blocks_writes_until_privileged_unlock(store: Store, world: World, level: str) -> None:
    """A lock refuses writes; unlocking needs a data manager and a reason."""
    number = register(store, world)
    with open_unit(store, world.data_manager) as unit:
        lock_id = dm.lock(
            unit,
            level=level,
            reason="interim analysis",
            site=world.site_a,
            subject=number,
            form="visit",
        )
    try:
        with open_unit(store, world.inv_a) as unit, pytest.raises(LockedError):
            subjects.record_visit(
                unit, number, name="C1D1", visitnum=1, actual_date=date(2019, 4, 1)
            )
        with open_unit(store, world.inv_a) as unit, pytest.raises(AccessError):
            dm.unlock(unit, lock_id, reason="need to edit")
        with open_unit(store, world.data_manager) as unit, pytest.raises(DataError):
            dm.unlock(unit, lock_id, reason=" ")
    finally:
        with open_unit(store, world.data_manager) as unit:
            dm.unlock(unit, lock_id, reason="interim done")
    with open_unit(store, world.inv_a) as unit:
        subjects.record_visit(unit, number, name="C1D1", visitnum=1, actual_date=date(2019, 4, 1))


def test_query_workflow_open_answer_close(store: Store, world: World) -> None:
    """A monitor raises, the site answers, the monitor closes; wrong moves are refused."""
    number = register(store, world)
    vid, _ = _visit(store, world, number)
    with open_unit(store, world.monitor_a) as unit:
        qid = dm.raise_query(
            unit,
            number,
            table="visit",
            row_id=vid,
            field="actual_date",
            text="Date differs from source",
        )
    with open_unit(store, world.monitor_a) as unit, pytest.raises(DataError, match="Open"):
        dm.close_query(unit, qid, text="closing")
    with open_unit(store, world.inv_b) as unit, pytest.raises(NotFoundError):
        dm.answer_query(unit, qid, text="not mine")
    with open_unit(store, world.coord_a) as unit:
        dm.answer_query(unit, qid, text="Source corrected")
    with open_unit(store, world.monitor_a) as unit:
        dm.close_query(unit, qid, text="Resolved")
    with open_unit(store, world.monitor_a) as unit:  # the log holds committed changes
        history = dm.subject_history(unit, number)
    states = [e.new_value for e in history if e.table_name == "data_query" and e.field == "state"]
    assert states == ["Open", "Answered", "Closed"]
    with open_unit(store, world.inv_a) as unit:
        assert unit.session.scalar(select(Visit.id).where(Visit.id == vid)) == vid


@pytest.mark.parametrize("form", ["eligibility", "eligibility_result"])
def test_form_lock_on_eligibility_blocks_enrolment(store: Store, world: World, form: str) -> None:
    """A form lock on the eligibility form (by form or table name) refuses writing eligibility
    results until it is unlocked."""
    number = register(store, world)
    with open_unit(store, world.data_manager) as unit:
        lock_id = dm.lock(unit, level="form", reason="eligibility review", subject=number,
                          form=form)
    try:
        with open_unit(store, world.inv_a) as unit, pytest.raises(LockedError, match="form"):
            enrolment.enrol_subject(unit, number, screening=screening_values(), phase="II",
                                    enrolled_on=date(2019, 3, 20), protocol=load_protocol())
    finally:
        with open_unit(store, world.data_manager) as unit:
            dm.unlock(unit, lock_id, reason="review done")
    with open_unit(store, world.inv_a) as unit:
        outcome = enrolment.enrol_subject(unit, number, screening=screening_values(),
                                          phase="II", enrolled_on=date(2019, 3, 20),
                                          protocol=load_protocol())
    assert outcome.eligible


def test_unknown_form_cannot_be_locked(store: Store, world: World) -> None:
    """A form lock names a form; an unknown name lists the forms."""
    number = register(store, world)
    with open_unit(store, world.data_manager) as unit, pytest.raises(DataError, match="eligib"):
        dm.lock(unit, level="form", reason="x", subject=number, form="nonsense")
