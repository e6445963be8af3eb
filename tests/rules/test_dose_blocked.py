"""Label rules named by kind of event, blood counts attributed to lenvatinib, and the rules a
decision could not apply (with why), checked against the LENVIMA label (Table 1, W&P 5.8) and
the CTCAE v5.0 term list."""

from __future__ import annotations

from typing import Any

import pytest

from oncotrial.protocol import Protocol
from oncotrial.rules.ae_terms import load_ctcae_terms
from oncotrial.rules.dosing import DoseState, decide_dose
from oncotrial.rules.dosing._rules import load_dose_rules
from oncotrial.types import DoseAction

# CTCAE v5.0: the perforation terms of SOC "Gastrointestinal disorders" (NCI spreadsheet).
GI_PERFORATIONS = [
    "Colonic perforation",
    "Duodenal perforation",
    "Esophageal perforation",
    "Gastric perforation",
    "Ileal perforation",
    "Jejunal perforation",
    "Rectal perforation",
    "Small intestinal perforation",
]


def _lenvatinib(leader: Protocol, *, drug: dict[str, Any] | None = None, **kw: Any) -> Any:
    state = DoseState.model_validate(
        {"cycle": 2, "day": 5, "drugs": {"lenvatinib": drug or {"level": 14}}, **kw}
    )
    return decide_dose(state, protocol=leader).drug("lenvatinib")


def test_groups_resolve_from_the_ctcae_term_list() -> None:
    table = load_dose_rules()
    assert table.term_groups["gastrointestinal_perforation"].resolve() == GI_PERFORATIONS
    fistulas = table.term_groups["fistula"].resolve()
    assert len(fistulas) == 24  # CTCAE v5.0 has 24 fistula terms in 6 SOCs
    assert {load_ctcae_terms()[t].soc for t in fistulas} >= {
        "Gastrointestinal disorders",
        "Respiratory, thoracic and mediastinal disorders",
        "Renal and urinary disorders",
    }
    bleeding = table.term_groups["hemorrhage"].resolve()
    assert "Epistaxis" in bleeding
    assert "Upper gastrointestinal hemorrhage" in bleeding
    rule = table.rule("lenvatinib_discontinue_gi_perforation")
    assert rule.conditions[0].terms == GI_PERFORATIONS  # type: ignore[union-attr]


@pytest.mark.parametrize("term", GI_PERFORATIONS)
def test_every_gi_perforation_discontinues_at_any_grade(term: str, leader: Protocol) -> None:
    """LENVIMA Table 1: gastrointestinal perforation, any grade → permanently discontinue."""
    grade = min(load_ctcae_terms()[term].grades)  # the lowest grade CTCAE defines (2)
    d = _lenvatinib(leader, adverse_events=[{"term": term, "grade": grade}])
    assert d.action is DoseAction.DISCONTINUE
    assert d.rules[0].name == "lenvatinib_discontinue_gi_perforation"


def test_a_perforation_outside_the_gi_tract_is_not_a_gi_perforation(leader: Protocol) -> None:
    d = _lenvatinib(leader, adverse_events=[{"term": "Bladder perforation", "grade": 2}])
    assert d.action is DoseAction.GIVE


@pytest.mark.parametrize(
    ("term", "grade", "action"),
    [
        ("Tracheal fistula", 2, DoseAction.GIVE),
        ("Tracheal fistula", 3, DoseAction.DISCONTINUE),
        ("Rectal fistula", 2, DoseAction.GIVE),
        ("Rectal fistula", 3, DoseAction.DISCONTINUE),
        ("Urinary fistula", 3, DoseAction.DISCONTINUE),
    ],
)
def test_fistula_grade_3_or_4_discontinues(
    term: str, grade: int, action: DoseAction, leader: Protocol
) -> None:
    """LENVIMA Table 1: fistula formation grade 3 or 4 → permanently discontinue (grade 2: no)."""
    d = _lenvatinib(leader, adverse_events=[{"term": term, "grade": grade}])
    assert d.action is action
    if action is DoseAction.DISCONTINUE:
        assert d.rules[0].name == "lenvatinib_discontinue_fistula_grade_3_4"


def test_any_site_of_bleeding_holds_and_resumes_on_its_own_term(leader: Protocol) -> None:
    """LENVIMA Table 1: hemorrhage grade 3 → withhold until grade 0–1; resume reduced."""
    bleed = {"term": "Upper gastrointestinal hemorrhage", "grade": 3}
    held = _lenvatinib(leader, adverse_events=[bleed])
    assert held.action is DoseAction.HOLD
    assert held.hold_rule == "lenvatinib_hold_cardiac_or_hemorrhage_grade_3"
    assert held.hold_terms == ("Upper gastrointestinal hemorrhage",)
    state = {"level": 14, "on_hold": True, "hold_rule": held.hold_rule,
             "hold_terms": list(held.hold_terms)}
    still = _lenvatinib(leader, drug=state, adverse_events=[{**bleed, "grade": 2, "new": False}])
    assert still.action is DoseAction.HOLD
    assert [b.reason for b in still.blocked if b.reason.startswith("resume")] == [
        "resume blocked: Upper gastrointestinal hemorrhage grade 2, needs ≤ 1"
    ]
    resumed = _lenvatinib(leader, drug=state, adverse_events=[{**bleed, "grade": 1, "new": False}])
    assert resumed.action is DoseAction.REDUCE
    assert resumed.level == 10


@pytest.mark.parametrize(("attributed", "action"), [(["lenvatinib"], DoseAction.HOLD),
                                                     (["eribulin"], DoseAction.GIVE),
                                                     (None, DoseAction.GIVE)])
def test_blood_counts_act_on_lenvatinib_only_when_attributed_to_it(
    attributed: list[str] | None, action: DoseAction, leader: Protocol
) -> None:
    """Haematological toxicity is eribulin's unless the investigator attributes it to
    lenvatinib; then LENVIMA's "other adverse reactions, grade 3" applies."""
    ae = {"term": "Platelet count decreased", "grade": 3, "laboratory": True,
          "attributed_to": attributed}
    d = _lenvatinib(leader, adverse_events=[ae])
    assert d.action is action
    below = _lenvatinib(leader, adverse_events=[{**ae, "grade": 2}])
    assert below.action is DoseAction.GIVE


def test_intolerable_grade_2_blood_count_attributed_to_lenvatinib_holds(leader: Protocol) -> None:
    ae = {"term": "Anemia", "grade": 2, "attributed_to": ["lenvatinib"]}
    assert _lenvatinib(leader, adverse_events=[ae]).action is DoseAction.GIVE
    d = _lenvatinib(leader, adverse_events=[{**ae, "flags": ["intolerable"]}])
    assert d.action is DoseAction.HOLD
    assert d.hold_rule == "lenvatinib_hold_intolerable_grade_2"


def test_proteinuria_resume_blocked_names_the_missing_value(leader: Protocol) -> None:
    held = {"level": 14, "on_hold": True, "hold_rule": "lenvatinib_hold_proteinuria"}
    d = _lenvatinib(leader, drug=held)
    assert d.action is DoseAction.HOLD
    assert ("lenvatinib_hold_proteinuria",
            "resume blocked: no urine protein (g/24 h) value today") in [
        (b.name, b.reason) for b in d.blocked]
    high = _lenvatinib(leader, drug=held, measurements={"urine_protein_g_24h": 2.0})
    assert any(b.reason == "resume blocked: lenvatinib_hold_proteinuria fires "
               "(urine_protein_g_24h 2 >= 2)" for b in high.blocked)
    assert "resume blocked: urine_protein_g_24h 2, needs < 2" in [b.reason for b in high.blocked]
    low = _lenvatinib(leader, drug=held, measurements={"urine_protein_g_24h": 1.9})
    assert low.action is DoseAction.REDUCE
    assert low.level == 10
    assert not [b for b in low.blocked if b.reason.startswith("resume blocked")]


def test_rules_whose_measurement_is_missing_are_listed_as_not_evaluated(leader: Protocol) -> None:
    d = _lenvatinib(leader)
    unseen = {b.name: b.reason for b in d.blocked}
    assert unseen["lenvatinib_hold_proteinuria"] == "not evaluated: no urine protein (g/24 h) today"
    assert unseen["lenvatinib_hold_qtc_prolongation"] == "not evaluated: no QTc (ms) today"
    no_baseline = _lenvatinib(leader, measurements={"qtc_ms": 430})
    assert {b.name: b.reason for b in no_baseline.blocked}[
        "lenvatinib_hold_qtc_prolongation"] == "partly evaluated: no QTc baseline (ms) today"
    measured = _lenvatinib(leader, measurements={"urine_protein_g_24h": 0.3, "qtc_ms": 430,
                                                 "qtc_baseline_ms": 420})
    assert measured.blocked == ()
    assert "blocked" in decide_dose(
        DoseState.model_validate({"cycle": 2, "day": 5, "drugs": {"lenvatinib": {"level": 14}}}),
        protocol=leader,
    ).to_dict()["drugs"][0]


def test_todays_blood_pressure_settles_an_open_hypertension(leader: Protocol) -> None:
    """A grade 3 hypertension still open in the AE log does not keep lenvatinib on hold when
    today's reading is grade 1 (CTCAE v5.0: 120–139/80–89 mmHg); a grade 3 reading does."""
    held = {"level": 14, "on_hold": True,
            "hold_rule": "lenvatinib_hold_hypertension_grade_3_despite_therapy",
            "hold_terms": ["Hypertension"]}
    ae = {"term": "Hypertension", "grade": 3, "new": False,
          "flags": ["persists_despite_therapy"], "attributed_to": ["lenvatinib"]}
    resumed = _lenvatinib(leader, drug=held, adverse_events=[ae],
                          measurements={"systolic_bp": 132, "diastolic_bp": 84})
    assert resumed.action is DoseAction.REDUCE
    assert resumed.level == 10
    still = _lenvatinib(leader, drug=held, adverse_events=[ae],
                        measurements={"systolic_bp": 162, "diastolic_bp": 96})
    assert still.action is DoseAction.HOLD
    assert any(b.reason == "resume blocked: Hypertension grade 3, needs ≤ 2" for b in still.blocked)
    no_reading = _lenvatinib(leader, drug=held, adverse_events=[ae])
    assert no_reading.action is DoseAction.HOLD  # the open AE's own grade stands
