"""The combination's expected safety profile assembled from its components' studies, and the
virtual patients at the RP2D against it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.sim.parameters import DEFAULT_PARAMETERS, ToxicityParameters
from oncotrial.sim.safety_profile import (
    ComponentRate,
    combination_priors,
    load_component_rates,
    simulate_safety_profile,
)
from oncotrial.sim.toxicity import _onset_share, draw_symptoms

LEADER_DOSES = {"lenvatinib": 14.0, "eribulin": 1.1}


def test_every_shipped_rate_names_a_documented_source() -> None:
    text = resources.files("oncotrial.sim").joinpath(
        "data/component_ae_rates.csv").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#\s+([A-Z][A-Z0-9-]+)\s", text, flags=re.M))
    rates = load_component_rates()
    assert len(rates) >= 20
    assert {r.source for r in rates} <= documented
    # the terms the issue names, at least
    assert {"Hypertension", "Neutrophil count decreased", "Fatigue", "Anorexia", "Diarrhea",
            "Proteinuria", "Palmar-plantar erythrodysesthesia syndrome", "Mucositis oral",
            "Peripheral sensory neuropathy", "Arthralgia"} <= {r.term for r in rates}


@pytest.mark.parametrize(("row", "field"), [
    ("Fatigue,everolimus,5,1,40,X", "drug"),
    ("Fatigue,eribulin,1.4,1,140,X", "percent"),
    ("Fatigue,eribulin,0,1,40,X", "dose"),
    ("Fatigue,eribulin,1.4,2.5,40,X", "min_grade"),
    ("Fatigue,eribulin,1.4,1,40,", "term/source"),
])
def test_bad_rows_are_refused_naming_line_and_field(tmp_path: Path, row: str,
                                                    field: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("# a comment\nterm,drug,dose,min_grade,percent,source\n"
                    "Nausea,eribulin,1.4,1,41,S\n" + row + "\n")
    with pytest.raises(DataError) as err:
        load_component_rates(path)
    assert err.value.field == field
    assert "line 4" in str(err.value)


def test_dose_rule_and_independent_union_by_hand() -> None:
    """Lenvatinib 60 % at 24 mg → [60 × 14/24, 60] = [35, 60] %; eribulin 40 % at 1.4 mg/m² →
    [40 × 1.1/1.4, 40] = [31.43, 40] %; combination [max(35, 31.43), 1 − 0.4 × 0.6] =
    [35, 76] %."""
    rates = [ComponentRate("Fatigue", "lenvatinib", 24, 1, 60, "A"),
             ComponentRate("Fatigue", "eribulin", 1.4, 1, 40, "B")]
    (prior,) = combination_priors(rates, LEADER_DOSES)
    assert prior.low == pytest.approx(0.35)
    assert prior.high == pytest.approx(0.76)
    assert prior.contains(0.35)
    assert prior.contains(0.76)
    assert not prior.contains(0.349)
    assert not prior.contains(0.761)


def test_a_lower_studied_dose_scales_up_and_studies_of_one_drug_give_their_envelope() -> None:
    """Hypertension, any grade: LENVIMA DTC 24 mg 68.6 % → [40.0, 68.6]; HCC 12 mg 44.0 % →
    [44.0, 51.3]; the two bracket each other and the envelope is [40.0, 68.6] %."""
    rates = [r for r in load_component_rates()
             if r.term == "Hypertension" and r.min_grade == 1]
    (prior,) = combination_priors(rates, LEADER_DOSES)
    assert prior.low == pytest.approx(0.686 * 14 / 24)
    assert prior.high == pytest.approx(0.686)
    (hcc,) = combination_priors([r for r in rates if r.dose == 12], LEADER_DOSES)
    assert (hcc.low, hcc.high) == pytest.approx((0.44, 0.44 * 14 / 12))


def test_a_single_drug_term_keeps_that_drugs_range() -> None:
    rates = [ComponentRate("Proteinuria", "lenvatinib", 24, 3, 10, "S")]
    (prior,) = combination_priors(rates, LEADER_DOSES)
    assert (prior.low, prior.high) == pytest.approx((10 * 14 / 24 / 100, 0.10))
    assert combination_priors(rates, {"eribulin": 1.1}) == []


def test_onsets_add_up_to_the_six_cycle_incidence_and_follow_the_median() -> None:
    """Per-cycle probabilities compound to p_any over six cycles; an early-onset term (fatigue,
    3 weeks in SELECT) has more of it in cycle 1 than a late one (diarrhoea, 12.1 weeks)."""
    cycles = np.arange(1, 7)
    for weeks in (1.0, 3.0, 12.1):
        share = _onset_share(cycles, weeks, 21, 0.6)
        assert 1 - np.prod(1 - share) == pytest.approx(0.6)
    assert _onset_share(np.array([1]), 3.0, 21, 0.6)[0] > _onset_share(
        np.array([1]), 12.1, 21, 0.6)[0]
    late = _onset_share(np.array([6, 7, 12]), 3.0, 21, 0.6)
    assert late[0] == late[1] == late[2] > 0


def test_a_persistent_grade_2_is_flagged_from_the_next_cycles_day_1() -> None:
    """Every episode is grade 2, never intolerable from onset, and lasts long: the dose rules
    see it flagged from the first cycle day 1 at least 7 days after onset, not before."""
    params = ToxicityParameters(symptomatic=(("Fatigue", 0.99, 0.0, "both", 1.0),),
                                p_intolerable_grade_2=0.0, persistent_grade_2_days=7,
                                symptom_duration_days=400.0)
    rng = np.random.default_rng(4)
    events = []
    while not any(e.grade == 2 for e in events):
        events = draw_symptoms(rng, n=50, cycle=np.ones(50, dtype=np.int64), start_day=22,
                               cycle_length_days=21, lenvatinib_rel=np.ones(50),
                               on_treatment=np.ones(50), params=params)
    by_patient: dict[int, list] = {}
    for e in events:
        by_patient.setdefault(e.patient, []).append(e)
    for parts in by_patient.values():
        if parts[0].grade != 2 or len(parts) == 1:
            (only,) = parts
            review = 22 + 21 * -(-(only.start_day + 7 - 22) // 21)
            assert not only.intolerable
            assert only.grade != 2 or only.end_day < review
            continue
        first, flagged = parts
        assert not first.intolerable
        assert flagged.intolerable
        assert flagged.start_day == first.end_day + 1
        assert (flagged.start_day - 22) % 21 == 0
        assert flagged.start_day - first.start_day >= 7
        assert flagged.start_day - 21 - first.start_day < 7


@pytest.fixture(scope="module")
def profile(leader: Protocol):  # type: ignore[no-untyped-def]
    # the run `oncotrial sim calibrate` shows (its default seed and size)
    return simulate_safety_profile(leader, params=DEFAULT_PARAMETERS, n_patients=600,
                                   seed=20220901)


@pytest.mark.slow
@pytest.mark.parametrize(("term", "grade"), [
    ("Hypertension", 1), ("Fatigue", 1), ("Diarrhea", 1), ("Anorexia", 1), ("Nausea", 1),
    ("Palmar-plantar erythrodysesthesia syndrome", 1), ("Mucositis oral", 1),
    ("Arthralgia", 1), ("Fatigue", 3), ("Diarrhea", 3), ("Proteinuria", 1),
    ("Palmar-plantar erythrodysesthesia syndrome", 3), ("Peripheral sensory neuropathy", 2),
])  # outside (shown as NO by `sim calibrate`): hypertension and proteinuria grade ≥ 3, and
#     grade ≥ 3 neutropenia (the Friberg model at 1.1 mg/m² with visits on days 1, 8, 15)
def test_virtual_patients_at_the_rp2d_fall_in_the_component_ranges(
        profile, term: str, grade: int) -> None:  # type: ignore[no-untyped-def]
    priors = {(p.term, p.min_grade): p
              for p in combination_priors(load_component_rates(), LEADER_DOSES)}
    prior = priors[(term, grade)]
    assert prior.contains(profile.incidence(term, grade)), (
        term, grade, profile.incidence(term, grade), prior.low, prior.high)


def test_bad_counts_are_refused(leader: Protocol) -> None:
    with pytest.raises(DataError) as err:
        simulate_safety_profile(leader, params=DEFAULT_PARAMETERS, n_patients=0)
    assert err.value.field == "n_patients/cycles"
