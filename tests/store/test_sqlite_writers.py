"""SQLite serialises writers: concurrent units of work wait for each other at BEGIN IMMEDIATE
instead of failing with "database is locked"; no write is lost and the chain verifies."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from oncotrial.services import admin, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store, upgrade
from oncotrial.store.schema import LabResult
from oncotrial.store.verify import verify_store
from oncotrial.types import Channel, Role

WRITERS = 6
WRITES = 8


def test_concurrent_sqlite_writers_all_succeed(tmp_path: Path) -> None:
    """Six threads, one unit of work per lab result: every write succeeds and is stored, and
    the chain and the rows verify (the deferred BEGIN failed most of them at once)."""
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    upgrade(url)
    store = Store(url)
    boss = admin.bootstrap_admin(store, username="admin", full_name="Ada Admin")
    with open_unit(store, boss) as unit:
        for w in range(WRITERS):
            admin.create_site(unit, f"S{w}", name=f"Site {w}")
            admin.create_user(unit, f"coord{w}", full_name=f"Coordinator {w}",
                              role=Role.COORDINATOR, sites=[f"S{w}"])
    actors = [admin.log_in(store, f"coord{w}", channel=Channel.API) for w in range(WRITERS)]
    for w, actor in enumerate(actors):
        with open_unit(store, actor) as unit:
            subjects.register_subject(unit, f"S{w}-001", site=f"S{w}",
                                      consent_date=date(2019, 1, 2), consent_version="1",
                                      sex="F")
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def write(w: int) -> None:
        start.wait()
        for i in range(WRITES):
            try:
                with open_unit(store, actors[w]) as unit:
                    safety.record_lab(unit, f"S{w}-001",
                                      collected_on=date(2019, 2, 1) + timedelta(days=i),
                                      test_code="NEUT", value=1.0 + i / 10,
                                      unit_of_measure="10^9/L", lln=1.8, uln=7.5)
            except Exception as exc:  # every failed write is the finding, whatever it is
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.snapshot() as session:
        assert session.scalar(select(func.count()).select_from(LabResult)) == WRITERS * WRITES
        assert verify_store(session).ok
    store.dispose()
