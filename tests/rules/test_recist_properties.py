"""Hypothesis properties of the RECIST engine: scale invariance and lesion-order invariance."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from oncotrial.rules import classify_baseline_lesions, classify_best_response, classify_timepoints
from tests.rules.test_recist_cases import LEADER, build, reference, sequence

RESPONSE_COLUMNS = [
    "visit",
    "target_response",
    "target_rule",
    "nontarget_response",
    "new_lesion",
    "overall_response",
    "overall_rule",
]
N_VISITS = 5

# Diameters are 0 or >= 25 mm so that every non-zero sum is >= 25 mm: 20 % of it is then
# >= 5 mm and the absolute 5 mm rule never decides alone (it is not scale-free, by design),
# and scaling by k >= 1 keeps every lesion measurable.
diameter = st.one_of(st.just(0.0), st.integers(25, 150).map(float), st.none())
target_series = st.tuples(st.integers(25, 150).map(float), *[diameter] * (N_VISITS - 1))
nontarget_state = st.sampled_from(["PRESENT", "ABSENT", "UNEQUIVOCAL", "NOT DONE"])
nontarget_series = st.tuples(st.just("PRESENT"), *[nontarget_state] * (N_VISITS - 1))


@st.composite
def cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A subject with 1-5 non-nodal targets, 0-2 non-targets and maybe a new lesion."""
    n_targets = draw(st.integers(1, 5))
    targets = {f"T{i}": (False, list(draw(target_series))) for i in range(n_targets)}
    n_nontargets = draw(st.integers(0, 2))
    nontargets = {f"NT{i}": (False, list(draw(nontarget_series))) for i in range(n_nontargets)}
    new = draw(
        st.lists(
            st.tuples(
                st.integers(1, N_VISITS - 1),
                st.just("NEW1"),
                st.sampled_from(["EQUIVOCAL", "UNEQUIVOCAL"]),
            ),
            max_size=1,
        )
    )
    days = [0, 42, 84, 126, 168]
    organs = {name: f"ORGAN{i}" for i, name in enumerate(targets)}
    return build(days, targets=targets, nontargets=nontargets, new=new, organs=organs)


@settings(max_examples=30, deadline=None)
@given(case=cases(), factor=st.sampled_from([1.5, 2.0, 3.0, 10.0]))
def test_scaling_every_diameter_leaves_responses_unchanged(
    case: tuple[pd.DataFrame, pd.DataFrame], factor: float
) -> None:
    """Multiplying every diameter by one factor changes no response (RECIST is relative)."""
    lesions, meas = case
    scaled = meas.assign(diameter_mm=meas["diameter_mm"] * factor)
    before = classify_timepoints(lesions, meas, settings=LEADER)
    after = classify_timepoints(lesions, scaled, settings=LEADER)
    pd.testing.assert_frame_equal(before[RESPONSE_COLUMNS], after[RESPONSE_COLUMNS])
    pd.testing.assert_series_equal(before["sum_mm"] * factor, after["sum_mm"])


@settings(max_examples=30, deadline=None)
@given(case=cases(), data=st.data())
def test_permuting_lesion_order_changes_nothing(
    case: tuple[pd.DataFrame, pd.DataFrame], data: st.DataObject
) -> None:
    """Shuffling lesion and measurement rows gives identical timepoints and baseline checks."""
    lesions, meas = case
    lesion_order = data.draw(st.permutations(range(len(lesions))))
    meas_order = data.draw(st.permutations(range(len(meas))))
    shuffled_lesions = lesions.iloc[list(lesion_order)].reset_index(drop=True)
    shuffled_meas = meas.iloc[list(meas_order)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        classify_timepoints(lesions, meas, settings=LEADER),
        classify_timepoints(shuffled_lesions, shuffled_meas, settings=LEADER),
    )
    pd.testing.assert_frame_equal(
        classify_baseline_lesions(lesions, meas, settings=LEADER),
        classify_baseline_lesions(shuffled_lesions, shuffled_meas, settings=LEADER),
    )


RANK = {"CR": 0, "PR": 1, "SD": 2, "NON-CR/NON-PD": 3, "PD": 4, "NE": 5, "MISSING": 6}
timepoint = st.tuples(
    st.integers(-10, 400), st.sampled_from(["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"])
)


@settings(max_examples=60, deadline=None)
@given(responses=st.lists(timepoint, max_size=8), data=st.data())
def test_confirmed_best_response_is_never_better_and_order_free(
    responses: list[tuple[int, str]], data: st.DataObject
) -> None:
    """CBOR is never better than BOR; a confirmed response has its date; row order is irrelevant."""
    tp = sequence(responses) if responses else sequence([(42, "SD")]).iloc[0:0]
    kwargs = {"reference": reference(), "settings": LEADER, "evaluators": ["INVESTIGATOR"]}
    best = classify_best_response(tp, **kwargs).iloc[0]
    assert RANK[best["cbor"]] >= RANK[best["bor"]]
    assert (best["cbor"] in ("CR", "PR")) == pd.notna(best["confirmed_response_date"])
    order = data.draw(st.permutations(range(len(tp))))
    shuffled = classify_best_response(tp.iloc[list(order)], **kwargs).iloc[0]
    pd.testing.assert_series_equal(best, shuffled)
