"""Detailed path: doses come from the rules engine, grades from CTCAE, same seed same trial."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from oncotrial.rules import grade_hypertension, grade_lab
from oncotrial.sim import DEFAULT_PARAMETERS, TrialDesign, simulate_trial, simulate_trials
from oncotrial.sim.trial import SimulatedTrial
from oncotrial.types import DoseAction, Phase


@pytest.fixture(scope="module")
def trial(leader: Protocol) -> SimulatedTrial:
    """A 9-patient virtual LEADER trial (phase Ib cohorts, then phase II)."""
    return simulate_trial(leader, n_patients=9, seed=3)


def test_same_seed_same_trial(leader: Protocol, trial: SimulatedTrial) -> None:
    """Re-running with the seed reproduces every dose, lab and outcome."""
    again = simulate_trial(leader, n_patients=9, seed=3)
    assert again.doses == trial.doses
    assert again.labs == trial.labs
    assert again.adverse_events == trial.adverse_events
    np.testing.assert_array_equal(again.outcomes.pfs_days, trial.outcomes.pfs_days)


def test_lenvatinib_taken_is_the_engine_decision(trial: SimulatedTrial) -> None:
    """Each day's lenvatinib is the level of the last decision, 0 after hold or discontinue."""
    daily = trial.lenvatinib_mg_daily
    for d in (r for r in trial.doses if r.drug == "lenvatinib"):
        taken = daily[d.patient, d.day - 1]
        if d.action in (DoseAction.GIVE, DoseAction.REDUCE):
            assert taken == d.level
        else:
            assert taken == 0.0


def test_eribulin_given_only_when_the_engine_says_so(trial: SimulatedTrial) -> None:
    """Eribulin appears on exactly the days with a give/reduce decision, at that level."""
    given = {(d.patient, d.day): d.level for d in trial.doses if d.drug == "eribulin"
             and d.action in (DoseAction.GIVE, DoseAction.REDUCE)}
    pts, days = np.nonzero(trial.eribulin_mg_m2_daily)
    assert {(int(p), int(d) + 1) for p, d in zip(pts, days, strict=True)} == set(given)
    for (p, d), level in given.items():
        assert trial.eribulin_mg_m2_daily[p, d - 1] == level


def test_recorded_grades_are_ctcae_grades(trial: SimulatedTrial) -> None:
    """Every recorded grade is what oncotrial.rules.ctcae gives for the recorded value."""
    for lab in trial.labs[:300]:
        if lab.test == "Hypertension":
            assert lab.value2 is not None
            expected = grade_hypertension(lab.value, lab.value2, previously_normal=True).grade
            assert lab.grade in {expected, grade_hypertension(
                lab.value, lab.value2, previously_normal=False).grade}
        elif lab.test == "Proteinuria":
            assert lab.grade == grade_lab("Proteinuria", lab.value, lab.unit).grade
        else:
            lln = 2.0 if lab.test.startswith("Neutrophil") else 150.0
            assert lab.grade == grade_lab(lab.test, lab.value, lab.unit, lln=lln).grade


def test_phase_ib_starts_at_the_protocol_regimen(leader: Protocol,
                                                 trial: SimulatedTrial) -> None:
    """Cohort 1 is at the start regimen; phase II patients are at the RP2D."""
    assert trial.cohorts[0].regimen == leader.phase_ib.start_regimen
    assert trial.regimen[0] == leader.phase_ib.start_regimen
    for phase, regimen in zip(trial.phase, trial.regimen, strict=True):
        if phase is Phase.II:
            assert regimen == leader.phase_ii.rp2d_regimen
    first_dose = [d for d in trial.doses if d.patient == 0 and d.day == 1]
    assert {d.drug: d.level for d in first_dose} == leader.regimen(
        leader.phase_ib.start_regimen).doses


@pytest.mark.parametrize("seed", [3, 20180601])
def test_accrual_waits_for_each_cohorts_dlt_window(leader: Protocol, seed: int) -> None:
    """A phase Ib cohort starts together, and the next cohort (or phase II) only after the
    previous one has completed the DLT window: first dose >= last start + window + 1."""
    trial = simulate_trial(leader, n_patients=18, seed=seed)
    window = leader.phase_ib.dlt_window_days
    size = leader.phase_ib.cohort_size
    n_ib = sum(p is Phase.IB for p in trial.phase)
    # cohorts of `size`, or fewer when they replace patients who left the DLT window early
    starts = sorted(set(trial.enrol_day[:n_ib].tolist()))
    assert len(starts) >= n_ib // size
    assert all(np.sum(trial.enrol_day[:n_ib] == s) <= size for s in starts)
    for previous, current in itertools.pairwise(starts):
        assert current >= previous + window + 1
    assert trial.enrol_day[n_ib] >= starts[-1] + window + 1
    assert np.all(np.diff(trial.enrol_day) >= 0)


def test_a_patient_leaving_the_dlt_window_early_is_replaced_not_a_cohort_added(
        leader: Protocol) -> None:
    """3+3 practice: a patient who stops before the end of the DLT window without a DLT is not
    evaluable and is replaced by one patient; no regimen ever has more evaluable patients than
    the protocol's maximum (an 8-evaluable cohort once crashed the decision)."""
    from oncotrial.sim.parameters import DEFAULT_PARAMETERS
    from oncotrial.sim.trial import _TrialBuilder

    builder = _TrialBuilder(leader, n_patients=12, seed=4, params=DEFAULT_PARAMETERS)
    builder.end_day[1] = 5  # the second patient leaves on day 5
    decisions, dlt = builder.phase_ib()
    sizes = [g.index.size for g in builder.groups]
    if not dlt[1]:
        assert decisions[0].evaluable == 2
        assert decisions[0].action.value == "continue"
        assert sizes[:2] == [3, 1]
    assert all(d.evaluable <= leader.phase_ib.max_patients_per_regimen for d in decisions)


def test_too_few_patients_is_refused(leader: Protocol) -> None:
    """Fewer patients than one cohort raises a DataError naming the field."""
    with pytest.raises(DataError, match="n_patients=2"):
        simulate_trial(leader, n_patients=2, seed=1)


@pytest.mark.slow
def test_fast_and_detailed_paths_agree(leader: Protocol, design: TrialDesign) -> None:
    """Pooled ORR, PFS and dose intensity of 6 detailed trials match the fast path."""
    detailed = [simulate_trial(leader, n_patients=30, seed=s) for s in range(200, 206)]
    resp = np.concatenate([t.outcomes.confirmed_response for t in detailed])
    pfs = np.concatenate([t.outcomes.pfs_days for t in detailed])
    fast = simulate_trials(400, seed=9, design=design, params=DEFAULT_PARAMETERS)
    fast_orr = fast.responders.sum() / (400 * 30)
    assert abs(resp.mean() - fast_orr) < 3 * np.sqrt(fast_orr * (1 - fast_orr) / resp.size)
    assert abs(np.median(pfs) / 30.4375 - np.nanmedian(fast.median_pfs_months)) < 2.0
    per_patient = [t.dose_intensity[i, : int(np.ceil(t.treatment_end_day[i] / 21))].mean()
                   for t in detailed for i in range(30)
                   if t.phase[i] is Phase.II and t.treatment_end_day[i] >= 21]
    assert abs(np.mean(per_patient) - fast.mean_dose_intensity.mean()) < 0.06
