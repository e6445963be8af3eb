"""Dose decisions: label boundary tables (HALAVEN, LENVIMA), rule data, errors, properties."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.errors import DataError, RuleError
from oncotrial.protocol import Protocol
from oncotrial.rules.dosing import (
    AdverseEvent,
    DoseDecision,
    DoseState,
    DrugState,
    LabValue,
    Measurements,
    decide_dose,
)
from oncotrial.rules.dosing._rules import check_rules_against_protocol, load_dose_rules
from oncotrial.types import DoseAction
from tests.rules.conftest import read_reference_csv

CASES = read_reference_csv("dosing_label_cases.csv")


def _labs(text: str) -> list[LabValue]:
    labs = []
    for item in filter(None, text.split(";")):
        term, rest = item.split("=", 1)
        parts = rest.split(",")
        value, unit = parts[0].split(" ", 1)
        extra = dict(p.split("=") for p in parts[1:])
        uln = float(extra["uln"]) if "uln" in extra else None
        labs.append(LabValue(term=term, value=float(value), unit=unit, uln=uln))
    return labs


def _ae(text: str) -> list[AdverseEvent]:
    if not text:
        return []
    parts = text.split(":") + [""] * 4
    flags = [f for f in parts[2].split("|") if f]
    tokens = parts[4:]
    attr = [t.split("=", 1)[1] for t in tokens if t.startswith("attr=")]
    return [
        AdverseEvent.model_validate(
            {
                "term": parts[0],
                "grade": int(parts[1]),
                "flags": [f for f in flags if f != "laboratory"],
                "laboratory": "laboratory" in flags,
                "duration_days": float(parts[3]) if parts[3] else None,
                "new": "old" not in tokens,
                "ongoing": "past" not in tokens,
                "attributed_to": attr or None,
            }
        )
    ]


def _state(row: dict[str, str]) -> DoseState:
    drug: dict[str, Any] = {"level": float(row["level"]), "on_hold": row["on_hold"] == "true"}
    if row["hold_rule"]:
        drug["hold_rule"] = row["hold_rule"]
        drug["hold_terms"] = []
    if row["held_from_level"]:
        drug["held_from_level"] = float(row["held_from_level"])
    measurements = Measurements(
        urine_protein_g_24h=float(row["urine_protein"]) if row["urine_protein"] else None,
        qtc_ms=float(row["qtc"]) if row["qtc"] else None,
        qtc_baseline_ms=float(row["qtc_baseline"]) if row["qtc_baseline"] else None,
    )
    return DoseState(
        cycle=2,
        day=int(row["day"]),
        height_cm=170,
        weight_kg=70,
        drugs={row["drug"]: DrugState.model_validate(drug)},
        labs=_labs(row["labs"]),
        adverse_events=_ae(row["ae"]),
        measurements=measurements,
    )


@pytest.mark.parametrize("row", CASES, ids=[r["case"] for r in CASES])
def test_label_boundary_cases(row: dict[str, str], leader: Protocol) -> None:
    """Every dose rule on both sides of its threshold, as the HALAVEN/LENVIMA labels state."""
    decision = decide_dose(_state(row), protocol=leader)
    if row["expected_action"] == "none":
        assert decision.drugs == ()
        return
    d = decision.drug(row["drug"])
    assert d.action == DoseAction(row["expected_action"]), d.rules
    expected_level = float(row["expected_level"]) if row["expected_level"] else None
    assert d.level == expected_level
    expected_mg = float(row["expected_mg"]) if row["expected_mg"] else None
    assert d.dose_mg == expected_mg
    names = [r.name for r in d.rules]
    if row["expected_rule"]:
        assert row["expected_rule"] in names
    elif d.action is DoseAction.GIVE:
        assert names == []


def test_delayed_dose_sets_next_cycle_gap(leader: Protocol) -> None:
    """A delayed day-8 dose given on day 12 means the next cycle starts no sooner than day 26."""
    row = next(r for r in CASES if r["case"].startswith("E19"))
    d = decide_dose(_state(row), protocol=leader).drug("eribulin")
    assert d.next_cycle_not_before_day == 26


def test_hold_carries_rule_and_terms_for_the_next_decision(leader: Protocol) -> None:
    """A lenvatinib hold names the rule and terms the resume check needs next time."""
    state = DoseState(
        cycle=1,
        day=10,
        drugs={"lenvatinib": DrugState(level=18)},
        adverse_events=[AdverseEvent(term="Diarrhea", grade=3)],
    )
    d = decide_dose(state, protocol=leader).drug("lenvatinib")
    assert (d.action, d.hold_rule, d.hold_terms) == (
        DoseAction.HOLD,
        "lenvatinib_hold_other_grade_3",
        ("Diarrhea",),
    )
    later = state.model_copy(
        update={
            "day": 14,
            "drugs": {
                "lenvatinib": DrugState(
                    level=18, on_hold=True, hold_rule=d.hold_rule, hold_terms=list(d.hold_terms)
                )
            },
            "adverse_events": [AdverseEvent(term="Diarrhea", grade=1, new=False)],
        }
    )
    resumed = decide_dose(later, protocol=leader).drug("lenvatinib")
    assert (resumed.action, resumed.level, resumed.dose_mg) == (DoseAction.REDUCE, 14, 14)


def test_every_rule_cites_its_source() -> None:
    """Each rule has a name, source wording and a citation naming a listed document."""
    table = load_dose_rules()
    for rule in [*table.rules, *table.schedule_rules]:
        assert rule.wording.strip()
        assert rule.citation.split()[0] in table.citations


def test_protocol_without_a_rule_parameter_is_refused(leader: Protocol) -> None:
    """A rule whose threshold parameter the protocol lacks raises RuleError naming it."""
    params = dict(leader.dose_modification)
    del params["lenvatinib_qtc_hold_ms"]
    broken = leader.model_copy(update={"dose_modification": params})
    with pytest.raises(RuleError, match="lenvatinib_qtc_hold_ms"):
        check_rules_against_protocol(load_dose_rules(), broken)


def test_threshold_comes_from_protocol(leader: Protocol) -> None:
    """Changing the protocol's proteinuria threshold changes the decision (no hidden default)."""
    params = dict(leader.dose_modification)
    params["lenvatinib_proteinuria_hold_g_24h"] = params[
        "lenvatinib_proteinuria_hold_g_24h"
    ].model_copy(update={"value": 3.0})
    stricter = leader.model_copy(update={"dose_modification": params})
    state = DoseState(
        cycle=1,
        day=5,
        drugs={"lenvatinib": DrugState(level=18)},
        measurements=Measurements(urine_protein_g_24h=2.5),
    )
    assert decide_dose(state, protocol=leader).drug("lenvatinib").action is DoseAction.HOLD
    assert decide_dose(state, protocol=stricter).drug("lenvatinib").action is DoseAction.GIVE


@pytest.mark.parametrize(
    ("update", "match"),
    [
        ({"day": 22}, "day"),
        ({"drugs": {"lenvatinib": DrugState(level=12)}}, "drugs.lenvatinib.level"),
        ({"drugs": {"cisplatin": DrugState(level=75)}}, "unknown drug"),
        ({"labs": [LabValue(term="Neutrophil count decreased", value=1.0)]}, "unit"),
    ],
)
def test_bad_state_raises_located_error(
    leader: Protocol, update: dict[str, Any], match: str
) -> None:
    """Days outside the cycle, off-ladder levels, unknown drugs and unitless labs are refused."""
    state = DoseState(cycle=1, day=1, drugs={"lenvatinib": DrugState(level=18)})
    with pytest.raises(DataError, match=match):
        decide_dose(state.model_copy(update=update), protocol=leader)


def test_wrong_unit_is_a_rule_error(leader: Protocol) -> None:
    """A lab in a unit that does not fit its term is an error, never a guess."""
    state = DoseState(
        cycle=1,
        day=1,
        height_cm=170,
        weight_kg=70,
        drugs={"eribulin": DrugState(level=1.1)},
        labs=[LabValue(term="Neutrophil count decreased", value=1.0, unit="g/dL")],
    )
    with pytest.raises(RuleError):
        decide_dose(state, protocol=leader)


def test_per_m2_drug_needs_height_and_weight(leader: Protocol) -> None:
    """Giving eribulin without height/weight raises DataError (the mg dose needs BSA)."""
    state = DoseState(
        cycle=1,
        day=1,
        drugs={"eribulin": DrugState(level=1.1)},
        labs=[
            LabValue(term="Neutrophil count decreased", grade=0),
            LabValue(term="Platelet count decreased", grade=0),
        ],
    )
    with pytest.raises(DataError, match="height_cm"):
        decide_dose(state, protocol=leader)


def test_bsa_recomputed_only_beyond_weight_threshold(leader: Protocol) -> None:
    """The BSA uses the previous weight until weight changes by the protocol's threshold."""
    base = DoseState(
        cycle=3,
        day=1,
        height_cm=170,
        weight_kg=66,
        bsa_weight_kg=70,
        drugs={"lenvatinib": DrugState(level=18)},
    )
    kept = decide_dose(base, protocol=leader)
    assert not kept.bsa_recalculated
    assert kept.bsa is not None
    assert kept.bsa.weight_kg == 70
    moved = decide_dose(base.model_copy(update={"weight_kg": 63}), protocol=leader)
    assert moved.bsa_recalculated
    assert moved.bsa is not None
    assert moved.bsa.weight_kg == 63


def test_decision_is_json_ready(leader: Protocol) -> None:
    """to_dict() round-trips through json with action names and fired rules."""
    row = next(r for r in CASES if r["case"].startswith("E07"))
    out = json.loads(json.dumps(decide_dose(_state(row), protocol=leader).to_dict()))
    assert out["drugs"][0]["action"] == "hold"
    assert out["drugs"][0]["rules"][0]["citation"].startswith("HALAVEN")


# ------------------------------------------------------------------------------ properties

_TERMS = [
    "Neutrophil count decreased",
    "Platelet count decreased",
    "Febrile neutropenia",
    "Fatigue",
    "Diarrhea",
    "Hypertension",
    "Alanine aminotransferase increased",
    "Arthralgia",
]
_FLAGS = ["fever", "transfusion", "persists_despite_therapy", "intolerable", "life_threatening"]

_events = st.lists(
    st.builds(
        AdverseEvent,
        term=st.sampled_from(_TERMS),
        grade=st.integers(0, 4),
        new=st.booleans(),
        duration_days=st.one_of(st.none(), st.floats(0, 20)),
        flags=st.lists(st.sampled_from(_FLAGS), max_size=2, unique=True),
    ),
    max_size=3,
)


@st.composite
def _states(draw: st.DrawFn) -> DoseState:
    """A random but valid day of treatment for both drugs."""
    day = draw(st.integers(1, 21))
    lenv = draw(st.sampled_from([18.0, 14.0, 10.0, 8.0]))
    eri = draw(st.sampled_from([1.1, 0.7]))
    on_hold = draw(st.booleans())
    hold_day = 8 < day <= 15
    return DoseState(
        cycle=2,
        day=day,
        height_cm=165,
        weight_kg=60,
        drugs={
            "lenvatinib": DrugState(
                level=lenv,
                on_hold=on_hold,
                hold_rule="lenvatinib_hold_other_grade_3" if on_hold else None,
                hold_terms=["Diarrhea"] if on_hold else [],
            ),
            "eribulin": DrugState(
                level=eri, on_hold=on_hold and hold_day, held_from_level=eri if hold_day else None
            ),
        },
        labs=[
            LabValue(
                term="Neutrophil count decreased",
                value=draw(st.floats(0.1, 5.0)),
                unit="10^9/L",
                lln=1.8,
            ),
            LabValue(
                term="Platelet count decreased",
                value=draw(st.floats(10, 300)),
                unit="10^9/L",
                lln=150,
            ),
        ],
        adverse_events=draw(_events),
        measurements=Measurements(
            urine_protein_g_24h=draw(st.one_of(st.none(), st.floats(0, 5))),
            qtc_ms=draw(st.one_of(st.none(), st.floats(380, 560))),
        ),
    )


def _carry(state: DoseState, decision: DoseDecision, day: int) -> DoseState:
    """The next day's state: levels and holds as decided, no new events."""
    drugs = dict(state.drugs)
    for d in decision.drugs:
        if d.action is DoseAction.DISCONTINUE or d.level is None:
            drugs.pop(d.drug, None)
            continue
        drugs[d.drug] = DrugState(
            level=d.level,
            on_hold=d.on_hold,
            hold_rule=d.hold_rule,
            hold_terms=list(d.hold_terms),
            held_from_level=d.held_from_level,
        )
    events = [e.model_copy(update={"new": False}) for e in state.adverse_events]
    return state.model_copy(update={"day": day, "drugs": drugs, "adverse_events": events})


@settings(max_examples=60, deadline=None)
@given(state=_states())
def test_dose_never_rises(leader: Protocol, state: DoseState) -> None:
    """Whatever the day's data, no drug's level ends above where it started."""
    decision = decide_dose(state, protocol=leader)
    for d in decision.drugs:
        if d.action is DoseAction.DISCONTINUE:
            assert d.level is None
        else:
            assert d.level is not None
            assert d.level <= state.drugs[d.drug].level


@settings(max_examples=30, deadline=None)
@given(state=_states())
def test_dose_never_rises_after_a_reduction_over_days(leader: Protocol, state: DoseState) -> None:
    """Carrying each decision into the following days, a level never goes back up."""
    first = state.model_copy(
        update={"day": 1, "drugs": {k: DrugState(level=v.level) for k, v in state.drugs.items()}}
    )
    lowest = {k: v.level for k, v in first.drugs.items()}
    current = first
    for day in range(1, 16):
        current = current.model_copy(update={"day": day})
        decision = decide_dose(current, protocol=leader)
        for d in decision.drugs:
            if d.level is not None:
                assert d.level <= lowest[d.drug]
                lowest[d.drug] = d.level
        current = _carry(current, decision, min(day + 1, 21))


def test_blood_pressure_reading_informs_lenvatinib_only(leader: Protocol) -> None:
    """A grade 3 BP reading keeps lenvatinib on hold but does not stop eribulin (attribution)."""
    state = DoseState(
        cycle=1,
        day=8,
        height_cm=170,
        weight_kg=70,
        drugs={
            "eribulin": DrugState(level=1.1),
            "lenvatinib": DrugState(
                level=18,
                on_hold=True,
                hold_rule="lenvatinib_hold_hypertension_grade_3_despite_therapy",
            ),
        },
        labs=[
            LabValue(term="Neutrophil count decreased", value=2.0, unit="10^9/L"),
            LabValue(term="Platelet count decreased", value=150, unit="10^9/L"),
        ],
        measurements=Measurements(systolic_bp=165, diastolic_bp=95),
    )
    decision = decide_dose(state, protocol=leader)
    assert decision.drug("eribulin").action is DoseAction.GIVE
    assert decision.drug("lenvatinib").action is DoseAction.HOLD
    # 150/95 cannot be graded from the reading alone (CTCAE grade 2 needs "previously WNL"):
    # the hold continues until a gradable reading or AE shows grade ≤ 2.
    unclear = state.model_copy(
        update={"measurements": Measurements(systolic_bp=150, diastolic_bp=95)}
    )
    assert decide_dose(unclear, protocol=leader).drug("lenvatinib").action is DoseAction.HOLD
    controlled = state.model_copy(
        update={"measurements": Measurements(systolic_bp=135, diastolic_bp=85)}
    )
    resumed = decide_dose(controlled, protocol=leader).drug("lenvatinib")
    assert (resumed.action, resumed.level) == (DoseAction.REDUCE, 14)


def test_broken_rule_table_is_refused_on_load() -> None:
    """Duplicate names, unknown citations and holds without a resume condition are reported."""
    from oncotrial.rules.dosing._rules import DoseRuleTable, _check_table

    raw = load_dose_rules().model_dump()
    hold = next(r for r in raw["rules"] if r["stage"] == "hold")
    raw["rules"].append(dict(hold))  # duplicate name
    raw["rules"][-1]["resume"] = None
    raw["rules"][0]["citation"] = "ORANGEBOOK p. 3"
    problems = _check_table(DoseRuleTable.model_validate(raw))
    text = "\n".join(problems)
    assert "duplicate rule name" in text
    assert "needs a resume condition" in text
    assert "ORANGEBOOK" in text


def test_reported_lab_ae_is_not_a_blood_count(leader: Protocol) -> None:
    """An AE report of neutropenia does not stand in for today's count before eribulin (§2.2)."""
    state = DoseState(
        cycle=1,
        day=8,
        height_cm=170,
        weight_kg=70,
        drugs={"eribulin": DrugState(level=1.1)},
        labs=[LabValue(term="Platelet count decreased", value=150, unit="10^9/L")],
        adverse_events=[
            AdverseEvent(term="Neutrophil count decreased", grade=1, laboratory=True, new=False)
        ],
    )
    d = decide_dose(state, protocol=leader).drug("eribulin")
    assert d.action is DoseAction.HOLD
    assert [r.name for r in d.rules] == ["eribulin_hold_missing_blood_count"]
    assert "Neutrophil count decreased" in d.rules[0].reason
