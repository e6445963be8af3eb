"""Hypothesis property: the all-subjects-at-once RECIST engine equals one run per subject.

The timepoint engine groups every subject and evaluator together (group sums, cumulative
minima for the nadir, first-match ``np.select``). Evaluating many random subjects in one call
must give exactly what evaluating each subject-evaluator pair on its own gives: no value may
leak from one subject into another's baseline, nadir, non-target or new-lesion response.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.rules import classify_baseline_lesions, classify_timepoints
from tests.rules.test_recist_cases import LEADER, build

MAX_VISITS = 5
EVALUATORS = ("INVESTIGATOR", "INDEPENDENT ASSESSOR|READER 1")

# Target cells: a diameter (small values exercise the nodal < 10 mm CR rule and the 5 mm
# absolute PD rule), a missing measurement, or a state.
target_cell = st.one_of(
    st.integers(0, 60).map(float),
    st.floats(0.0, 60.0, allow_nan=False).map(lambda x: round(x, 1)),
    st.none(),
    st.sampled_from(["TOO SMALL TO MEASURE", "ABSENT"]),
)
nontarget_cell = st.one_of(
    st.sampled_from(["PRESENT", "ABSENT", "UNEQUIVOCAL", "NOT DONE"]),
    st.integers(0, 30).map(float),  # a node's short axis (< 10 mm is normal)
)
new_state = st.sampled_from(["EQUIVOCAL", "UNEQUIVOCAL", "PRESENT", "ABSENT", "NOT DONE"])


@st.composite
def subject(draw: st.DrawFn, name: str, evaluator: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One subject-evaluator pair: 0-3 targets and 0-2 non-targets (nodal or not), new
    lesions at random visits, 2-5 assessments on an irregular schedule."""
    n_visits = draw(st.integers(2, MAX_VISITS))
    gaps = draw(st.lists(st.integers(1, 90), min_size=n_visits - 1, max_size=n_visits - 1))
    days = [0]
    for gap in gaps:
        days.append(days[-1] + gap)
    n_targets = draw(st.integers(0, 3))
    targets = {
        f"T{i}": (
            draw(st.booleans()),
            draw(st.lists(target_cell, min_size=n_visits, max_size=n_visits)),
        )
        for i in range(n_targets)
    }
    n_nontargets = draw(st.integers(0 if n_targets else 1, 2))
    nontargets = {
        f"NT{i}": (
            draw(st.booleans()),
            draw(st.lists(nontarget_cell, min_size=n_visits, max_size=n_visits)),
        )
        for i in range(n_nontargets)
    }
    new_visits = draw(st.lists(st.integers(1, n_visits - 1), max_size=3, unique=True))
    new = [(visit, f"NEW{draw(st.integers(1, 2))}", draw(new_state)) for visit in new_visits]
    new = list({(visit, lesion): (visit, lesion, state) for visit, lesion, state in new}.values())
    return build(
        days,
        targets=targets,
        nontargets=nontargets,
        new=new,
        subject=name,
        evaluator=evaluator,
    )


@st.composite
def trials(draw: st.DrawFn) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """2-5 subject-evaluator pairs, in the engine's sort order (subject, then evaluator)."""
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(["S1", "S2", "S3", "S4"]), st.sampled_from(EVALUATORS)),
            min_size=2,
            max_size=5,
            unique=True,
        )
    )
    return [draw(subject(name, evaluator)) for name, evaluator in sorted(pairs)]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def _slices(
    frame: pd.DataFrame, units: list[tuple[pd.DataFrame, pd.DataFrame]]
) -> list[pd.DataFrame]:
    """*frame* cut into one piece per subject-evaluator pair, in the order of *units*."""
    pieces = []
    for lesions, _ in units:
        mine = (frame["subject"] == lesions["subject"].iloc[0]) & (
            frame["evaluator"] == lesions["evaluator"].iloc[0]
        )
        pieces.append(frame.loc[mine].reset_index(drop=True))
    return pieces


@settings(max_examples=60, deadline=None)
@given(units=trials())
def test_all_subjects_at_once_equals_one_subject_at_a_time(
    units: list[tuple[pd.DataFrame, pd.DataFrame]],
) -> None:
    """Timepoint responses, sums, nadirs, rule names and baseline checks of a batch equal the
    per-subject results exactly (RECIST 1.1, Eisenhauer et al. 2009, §4.3-4.4)."""
    lesions = _concat([lesion for lesion, _ in units])
    measurements = _concat([meas for _, meas in units])
    batch = classify_timepoints(lesions, measurements, settings=LEADER)
    batch_checks = classify_baseline_lesions(lesions, measurements, settings=LEADER)
    assert len(batch) == sum(len(meas["visitnum"].unique()) - 1 for _, meas in units)
    pieces = zip(_slices(batch, units), _slices(batch_checks, units), units, strict=True)
    for timepoints, checks, (les, meas) in pieces:
        alone = classify_timepoints(les, meas, settings=LEADER)
        pd.testing.assert_frame_equal(timepoints, alone, check_exact=True)
        alone_checks = classify_baseline_lesions(les, meas, settings=LEADER)
        pd.testing.assert_frame_equal(
            checks,
            alone_checks.reset_index(drop=True),
            check_exact=True,
            check_dtype=False,  # an empty frame of checks has object columns
            check_index_type=False,
        )
