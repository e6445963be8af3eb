"""DLT classification in the window and the phase Ib cohort decision (LEADER protocol data)."""

from __future__ import annotations

from typing import Any

import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import CohortAction, Protocol
from oncotrial.rules.dlt import DltEvent, classify_dlt, decide_cohort


def _event(**kw: Any) -> DltEvent:
    base: dict[str, Any] = {
        "term": "Fatigue",
        "grade": 3,
        "onset_day": 10,
        "attribution": "possible",
    }
    return DltEvent.model_validate(base | kw)


# Each row: event fields, expected DLT?, expected rule. Sources: CCR 2022 (LEADER: grade 2
# arthritis forcing cycle-1 lenvatinib interruption counted as DLT; window = cycle 1); typical
# phase Ib clauses PMC3839288 Table 1 (neutropenia G4 > 7 days, febrile neutropenia,
# thrombocytopenia G4 or G3 with bleeding, non-haematological G ≥ 3 except N/V/D controlled).
CASES: list[tuple[str, dict[str, Any], bool, str]] = [
    (
        "leader_g2_arthritis_interrupted",
        {"term": "Arthritis", "grade": 2, "flags": ["treatment_interruption"]},
        True,
        "g2_forcing_cycle1_interruption",
    ),
    ("g2_arthritis_not_interrupted", {"term": "Arthritis", "grade": 2}, False, "no_criterion"),
    (
        "g2_interrupted_day_22_outside",
        {"term": "Arthritis", "grade": 2, "onset_day": 22, "flags": ["treatment_interruption"]},
        False,
        "outside_window",
    ),
    ("g3_on_day_21_inside", {"onset_day": 21}, True, "non_hematologic_g3_or_worse"),
    ("g1_interrupted_no", {"grade": 1, "flags": ["treatment_interruption"]}, False, "no_criterion"),
    (
        "neutropenia_g4_7_days_no",
        {"term": "Neutrophil count decreased", "grade": 4, "duration_days": 7},
        False,
        "no_criterion",
    ),
    (
        "neutropenia_g4_7.5_days_yes",
        {"term": "Neutrophil count decreased", "grade": 4, "duration_days": 7.5},
        True,
        "neutropenia_g4_over_7_days",
    ),
    (
        "neutropenia_g3_fever_yes",
        {"term": "Neutrophil count decreased", "grade": 3, "flags": ["fever"]},
        True,
        "neutropenia_g3_with_fever",
    ),
    (
        "neutropenia_g3_alone_no",
        {"term": "Neutrophil count decreased", "grade": 3},
        False,
        "no_criterion",
    ),
    (
        "febrile_neutropenia_yes",
        {"term": "Febrile neutropenia", "grade": 3},
        True,
        "febrile_neutropenia",
    ),
    (
        "platelets_g4_yes",
        {"term": "Platelet count decreased", "grade": 4},
        True,
        "thrombocytopenia_g4",
    ),
    (
        "platelets_g3_alone_no",
        {"term": "Platelet count decreased", "grade": 3},
        False,
        "no_criterion",
    ),
    (
        "platelets_g3_bleeding_yes",
        {"term": "Platelet count decreased", "grade": 3, "flags": ["bleeding"]},
        True,
        "thrombocytopenia_g3_bleeding",
    ),
    (
        "platelets_g3_transfusion_yes",
        {"term": "Platelet count decreased", "grade": 3, "flags": ["transfusion"]},
        True,
        "thrombocytopenia_g3_transfusion",
    ),
    (
        "nausea_g3_controlled_72h_exempt",
        {"term": "Nausea", "controlled_within_hours": 72},
        False,
        "exempt_controlled",
    ),
    (
        "nausea_g3_controlled_73h_dlt",
        {"term": "Nausea", "controlled_within_hours": 73},
        True,
        "non_hematologic_g3_or_worse",
    ),
    (
        "fatigue_g3_controlled_not_exempt",
        {"term": "Fatigue", "controlled_within_hours": 10},
        True,
        "non_hematologic_g3_or_worse",
    ),
    ("attribution_unlikely_no", {"attribution": "unlikely"}, False, "attribution_below_threshold"),
    ("attribution_possible_yes", {"attribution": "possible"}, True, "non_hematologic_g3_or_worse"),
]


@pytest.mark.parametrize(
    ("fields", "expected", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_dlt_boundaries(
    leader: Protocol, fields: dict[str, Any], expected: bool, rule: str
) -> None:
    """Each DLT clause, the window edge, the exemption and attribution on both sides."""
    result = classify_dlt([_event(**fields)], protocol=leader)
    assert result.is_dlt is expected
    assert result.events[0].rule == rule


def test_subject_is_dlt_if_any_event_is(leader: Protocol) -> None:
    """A subject with one qualifying event among several is a DLT, naming the clause."""
    result = classify_dlt(
        [_event(grade=1), _event(term="Febrile neutropenia", grade=3), _event(onset_day=30)],
        protocol=leader,
    )
    assert result.is_dlt
    assert result.dlt_rules == ("febrile_neutropenia",)


def test_grade2_clause_is_protocol_data(leader: Protocol) -> None:
    """Removing the grade 2 clause from the protocol makes the LEADER arthritis case a non-DLT."""
    ib = leader.phase_ib
    criteria = [c for c in ib.dlt.criteria if c.name != "g2_forcing_cycle1_interruption"]
    other = leader.model_copy(
        update={
            "phase_ib": ib.model_copy(
                update={"dlt": ib.dlt.model_copy(update={"criteria": criteria})}
            )
        }
    )
    event = _event(term="Arthritis", grade=2, flags=["treatment_interruption"])
    assert classify_dlt([event], protocol=leader).is_dlt
    assert not classify_dlt([event], protocol=other).is_dlt


# (evaluable, DLTs, regimen, action, next regimen, tolerated): 3+3 de-escalation rules as in the
# protocol (Storer 1989); the LEADER phase Ib outcome 1/6 at L18E1.1 (CCR 2022) → tolerated.
COHORTS = [
    (0, 0, "L18E1.1", CohortAction.CONTINUE, "L18E1.1", False),
    (2, 1, "L18E1.1", CohortAction.CONTINUE, "L18E1.1", False),
    (2, 2, "L18E1.1", CohortAction.DE_ESCALATE, "L14E1.1", False),
    (3, 0, "L18E1.1", CohortAction.EXPAND, "L18E1.1", False),
    (3, 1, "L18E1.1", CohortAction.EXPAND, "L18E1.1", False),
    (3, 2, "L18E1.1", CohortAction.DE_ESCALATE, "L14E1.1", False),
    (5, 1, "L14E1.1", CohortAction.CONTINUE, "L14E1.1", False),
    (6, 1, "L18E1.1", CohortAction.STOP, None, True),
    (6, 2, "L14E1.1", CohortAction.DE_ESCALATE, "L10E1.1", False),
    (6, 2, "L10E1.1", CohortAction.STOP, None, False),
]


@pytest.mark.parametrize("case", COHORTS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in COHORTS])
def test_cohort_decision(
    leader: Protocol, case: tuple[int, int, str, CohortAction, str | None, bool]
) -> None:
    """3+3-type rules on both sides of 1 vs 2 DLTs; de-escalating from the lowest regimen stops."""
    n, dlt, regimen, action, nxt, tolerated = case
    decision = decide_cohort(n, dlt, regimen=regimen, protocol=leader)
    assert (decision.action, decision.next_regimen, decision.tolerated) == (action, nxt, tolerated)
    assert decision.rule


@pytest.mark.parametrize(
    ("n", "dlt", "regimen"), [(3, 4, "L18E1.1"), (7, 0, "L18E1.1"), (3, 0, "L99")]
)
def test_cohort_bad_input(leader: Protocol, n: int, dlt: int, regimen: str) -> None:
    """Impossible counts or an unknown regimen raise DataError."""
    with pytest.raises(DataError):
        decide_cohort(n, dlt, regimen=regimen, protocol=leader)
