"""The RP2D after dose finding: the DLT count, or the protocol's tolerability clause.

LEADER (Chen et al., Clin Cancer Res 2022;28:5058): 1/6 DLT at L18E1.1 — tolerated under the
3+3 rule — yet the RP2D was L14E1.1 because 4 of 6 patients reduced lenvatinib to 14 mg
between cycles 2 and 3. The shipped clause (more than half reduced within 3 cycles → next
lower regimen) is an assumption that reproduces that decision; both sides of it are tested.
"""

from __future__ import annotations

import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules.dlt import decide_cohort, decide_rp2d


def _stop(leader: Protocol, regimen: str = "L18E1.1", dlts: int = 1):  # type: ignore[no-untyped-def]
    decision = decide_cohort(6, dlts, regimen=regimen, protocol=leader)
    assert decision.tolerated
    return decision


def test_leaders_published_course_gives_its_rp2d(leader: Protocol) -> None:
    rp2d = decide_rp2d(_stop(leader), n_patients=6, n_modified=4, protocol=leader)
    assert rp2d.regimen == leader.phase_ii.rp2d_regimen == "L14E1.1"
    assert rp2d.clause == "tolerability"
    assert "4/6 had lenvatinib reduced or stopped within 3 cycles" in rp2d.reason


@pytest.mark.parametrize(("modified", "regimen", "clause"),
                         [(3, "L18E1.1", "dlt_count"), (4, "L14E1.1", "tolerability")])
def test_both_sides_of_more_than_half(leader: Protocol, modified: int, regimen: str,
                                      clause: str) -> None:
    rp2d = decide_rp2d(_stop(leader), n_patients=6, n_modified=modified, protocol=leader)
    assert (rp2d.regimen, rp2d.clause) == (regimen, clause)


def test_without_a_clause_the_dlt_count_decides(leader: Protocol) -> None:
    phase_ib = leader.phase_ib.model_copy(update={"tolerability": None})
    protocol = leader.model_copy(update={"phase_ib": phase_ib})
    rp2d = decide_rp2d(_stop(protocol), n_patients=6, n_modified=6, protocol=protocol)
    assert (rp2d.regimen, rp2d.clause) == ("L18E1.1", "dlt_count")


def test_the_lowest_regimen_stays(leader: Protocol) -> None:
    rp2d = decide_rp2d(_stop(leader, "L10E1.1"), n_patients=6, n_modified=6, protocol=leader)
    assert rp2d.regimen == "L10E1.1"
    assert "lowest regimen" in rp2d.reason


def test_unfinished_dose_finding_and_bad_counts_are_refused(leader: Protocol) -> None:
    expanding = decide_cohort(3, 1, regimen="L18E1.1", protocol=leader)
    with pytest.raises(DataError, match="not finished"):
        decide_rp2d(expanding, n_patients=3, n_modified=0, protocol=leader)
    with pytest.raises(DataError) as caught:
        decide_rp2d(_stop(leader), n_patients=6, n_modified=7, protocol=leader)
    assert caught.value.field == "n_patients/n_modified"
