"""Small builders for services tests."""

from __future__ import annotations

from datetime import date

from oncotrial.services import subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store
from tests.store.backends import World


def register(store: Store, world: World, n: int = 1, *, site_b: bool = False) -> str:
    """Register subject *n* at site A (or B) and return its screening number."""
    number = world.subject_number(n + (500 if site_b else 0))
    actor = world.inv_b if site_b else world.inv_a
    with open_unit(store, actor) as unit:
        subjects.register_subject(
            unit,
            number,
            site=world.site_b if site_b else world.site_a,
            consent_date=date(2019, 3, 4),
            consent_version="2.0",
            sex="F",
            birth_date=date(1960, 5, 6),
            histology="LMS",
            ecog=1,
        )
    return number
