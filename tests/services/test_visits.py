"""The visit plan from the protocol's schedule (LEADER: 21-day cycles, eribulin days 1 and 8,
imaging every 6 weeks, follow-up every 12 weeks after the end of treatment)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oncotrial.protocol import load_protocol
from oncotrial.services.visits import PlannedVisit, SubjectDates, plan_visits

START = date(2019, 4, 1)


def test_cycles_follow_the_protocol_schedule() -> None:
    """C1D1 on the start date, C1D8 a week later, C2D1 21 days after C1D1, each with its
    window; the log is last."""
    protocol = load_protocol()
    dates = SubjectDates(consent=START - timedelta(days=10), reference_start=START)
    plan = plan_visits(protocol, dates, through=START + timedelta(days=50))
    by_name = {v.name: v for v in plan}
    assert by_name["C1D1"].planned == START
    assert by_name["C1D8"].planned == START + timedelta(days=7)
    assert by_name["C2D1"].planned == START + timedelta(days=protocol.cycle_length_days)
    assert plan[-1].name == "LOG"


@pytest.mark.parametrize("last_cycle", [1, 3, 7])
def test_a_bounded_plan_is_the_full_plan_cut_at_that_cycle(last_cycle: int) -> None:
    """Planning up to cycle N (what a matrix page of cycles 1–N needs) gives exactly the full
    plan's visits of cycles ≤ N, and every imaging visit dated within them."""
    protocol = load_protocol()
    dates = SubjectDates(consent=START - timedelta(days=10), reference_start=START,
                         treatment_end=START + timedelta(days=400))
    today = START + timedelta(days=700)
    full = plan_visits(protocol, dates, through=today)
    bounded = plan_visits(protocol, dates, through=today, last_cycle=last_cycle)
    end = START + timedelta(days=last_cycle * protocol.cycle_length_days)

    def wanted(plan: list[PlannedVisit]) -> list[str]:
        return [v.name for v in plan
                if (v.cycle is not None and v.cycle <= last_cycle)
                or (v.kind == "imaging" and v.planned is not None and v.planned < end)
                or v.kind in ("screening", "baseline_imaging", "end_of_treatment",
                              "follow_up", "log")]

    assert wanted(bounded) == wanted(full)
    assert max(v.cycle for v in bounded if v.cycle is not None) == last_cycle
    assert max(v.cycle for v in full if v.cycle is not None) > last_cycle
