"""iRECIST against its sources: the timepoint rules of Seymour et al., Lancet Oncol
2017;18:e143, Table 2 (with and without a previous iUPD), the best-overall-response examples
of its Table 3, and the RECIST working group's FAQ (recist.eortc.org: "How do new lesions
define progression?" — increases add up; "Assigning response after the appearance of new
lesions" — scenarios B and F; "Managing PR when TP measurements change slightly")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oncotrial.errors import DataError
from oncotrial.rules.irecist import (
    IrecistAssessment,
    IrecistTimepoint,
    derive_irecist,
    irecist_best_response,
)

A = IrecistAssessment


def _responses(baseline: float, *assessments: IrecistAssessment) -> list[str]:
    return [t.response for t in derive_irecist(baseline, assessments)]


# --- Table 2, no previous iUPD -------------------------------------------------------------


@pytest.mark.parametrize(("assessment", "expected"), [
    (A(42, 0.0, target_cr=True, nontarget="CR"), "iCR"),
    (A(42, 0.0, target_cr=True, nontarget="NON-CR/NON-PD"), "iPR"),
    (A(42, 70.0, nontarget="NON-CR/NON-PD"), "iPR"),      # −30 % from 100
    (A(42, 71.0, nontarget="NON-CR/NON-PD"), "iSD"),      # −29 %
    (A(42, 90.0, nontarget="PD"), "iUPD"),                # unequivocal non-target progression
    (A(42, 90.0, new_lesions=1), "iUPD"),                 # a new lesion
    (A(42, None), "NE"),
])
def test_table2_without_previous_iupd(assessment: IrecistAssessment, expected: str) -> None:
    assert _responses(100.0, assessment) == [expected]


def test_target_iupd_needs_20_percent_and_5_mm_over_the_nadir() -> None:
    # nadir 50: 60 is +20 % and +10 mm → iUPD; 59 is +18 % → not progression (and still −41 %
    # from baseline: iPR) (RECIST 1.1 §4.3.1)
    assert _responses(100.0, A(42, 50.0), A(84, 60.0))[-1] == "iUPD"
    assert _responses(100.0, A(42, 50.0), A(84, 59.0))[-1] == "iPR"
    assert _responses(100.0, A(42, 90.0), A(84, 94.0))[-1] == "iSD"
    # nadir 20: 24 is +20 % but only +4 mm → not progression
    assert _responses(100.0, A(42, 20.0), A(84, 24.0))[-1] == "iPR"


# --- Table 2, after iUPD ---------------------------------------------------------------------


def test_target_iupd_confirmed_by_5_mm_more_and_not_by_4() -> None:
    base = (A(42, 50.0), A(84, 60.0))  # iUPD at 60 mm
    assert _responses(100.0, *base, A(126, 65.0))[-1] == "iCPD"
    assert _responses(100.0, *base, A(126, 64.0))[-1] == "iUPD"


def test_increases_add_up_across_assessments() -> None:
    """FAQ: a 4 mm increase, then a further 2 mm, meets iCPD."""
    responses = _responses(100.0, A(42, 50.0), A(84, 60.0), A(126, 64.0), A(168, 66.0))
    assert responses[1:] == ["iUPD", "iUPD", "iCPD"]


def test_non_target_iupd_confirmed_by_any_further_increase() -> None:
    """Table 2: further increase of non-target disease, not necessarily unequivocal."""
    base = (A(42, 90.0, nontarget="PD"),)
    assert _responses(100.0, *base, A(84, 90.0, nontarget="PD", nontarget_increased=True)) \
        == ["iUPD", "iCPD"]
    assert _responses(100.0, *base, A(84, 90.0, nontarget="PD")) == ["iUPD", "iUPD"]


@pytest.mark.parametrize(("follow_up", "expected"), [
    (A(84, 90.0, new_lesions=2, new_target_sum_mm=15.0), "iCPD"),   # another new lesion
    (A(84, 90.0, new_lesions=1, new_target_sum_mm=20.0), "iCPD"),   # NLT +5 mm
    (A(84, 90.0, new_lesions=1, new_target_sum_mm=19.0), "iUPD"),   # NLT +4 mm
    (A(84, 90.0, new_lesions=1, new_target_sum_mm=15.0,
       new_nontarget_increased=True), "iCPD"),                       # NLNT any increase
    (A(84, 90.0, new_lesions=1, new_target_sum_mm=15.0), "iUPD"),   # no change (scenario F)
])
def test_new_lesion_iupd_confirmation(follow_up: IrecistAssessment, expected: str) -> None:
    iupd = A(42, 90.0, new_lesions=1, new_target_sum_mm=15.0)
    assert _responses(100.0, iupd, follow_up) == ["iUPD", expected]


def test_progression_newly_met_in_another_category_confirms() -> None:
    """Table 2: iUPD by a new lesion; at the next assessment the target sum meets RECIST PD
    (≥ 20 % and ≥ 5 mm over the nadir) → iCPD."""
    assert _responses(100.0, A(42, 50.0), A(84, 50.0, new_lesions=1),
                      A(126, 61.0, new_lesions=1))[-1] == "iCPD"


def test_scenario_b_further_shrinkage_after_a_new_lesion_allows_ipr() -> None:
    """FAQ scenario B: a new lesion (iUPD), then the targets shrink further → iPR."""
    assert _responses(100.0, A(42, 80.0), A(84, 75.0, new_lesions=1),
                      A(126, 60.0, new_lesions=1)) == ["iSD", "iUPD", "iPR"]


def test_scenario_f_no_change_after_a_new_lesion_stays_iupd() -> None:
    """FAQ scenario F: PR, then iUPD from a new lesion, then no change at all → iUPD."""
    assert _responses(100.0, A(42, 60.0), A(84, 60.0, new_lesions=1),
                      A(126, 60.0, new_lesions=1)) == ["iPR", "iUPD", "iUPD"]


def test_target_iupd_that_falls_back_resets_the_bar() -> None:
    """Table 2: iUPD in target lesions that no longer meets progression → iSD/iPR; a later
    iUPD then needs progression again (against the nadir)."""
    responses = _responses(100.0, A(42, 50.0), A(84, 61.0), A(126, 55.0), A(168, 66.0))
    assert responses == ["iPR", "iUPD", "iPR", "iUPD"]


def test_pr_kept_while_measurements_change_slightly() -> None:
    """FAQ: 100 → 70, 70, 80, 80, 80 with non-targets unchanged: iPR at every timepoint."""
    assert _responses(100.0, *(A(42 * k, s, nontarget="NON-CR/NON-PD") for k, s in
                               enumerate((70.0, 70.0, 80.0, 80.0, 80.0), start=1))) \
        == ["iPR"] * 5


def test_after_icpd_everything_is_icpd() -> None:
    assert _responses(100.0, A(42, 90.0, nontarget="PD"),
                      A(84, 90.0, nontarget="PD", nontarget_increased=True),
                      A(126, 40.0, nontarget="NON-CR/NON-PD"))[-1] == "iCPD"


# --- Table 3: best overall response -----------------------------------------------------------


def _tp(*responses: str) -> list[IrecistTimepoint]:
    return [IrecistTimepoint(42 * (k + 1), r, "") for k, r in enumerate(responses)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("responses", "best"), [
    (("iCR", "iPR", "NE", "iUPD", "iCPD"), "iCR"),      # example 1
    (("iUPD", "iSD", "iCR", "NE", "iCPD"), "iCR"),      # example 2
    (("iUPD", "iPR", "iSD", "iCPD", "NE"), "iPR"),      # example 3
    (("iUPD", "NE", "iPR", "iUPD", "iCPD"), "iPR"),     # example 4
    (("iUPD", "iSD", "iUPD", "iCPD", "NE"), "iSD"),     # example 5
    (("iUPD", "iCPD", "iSD", "iPR", "iCR"), "iCPD"),    # example 6 (any after iCPD)
    (("iUPD", "iUPD", "iCPD", "NE", "NE"), "iCPD"),     # example 7
    (("iUPD", "NE", "NE", "NE", "NE"), "iUPD"),         # example 8
])
def test_table3_best_overall_response(responses: tuple[str, ...], best: str) -> None:
    timepoints = _tp(*responses)
    if best == "iCPD" and responses[1] == "iCPD":
        # example 6: what follows iCPD is not assessed under iRECIST
        timepoints = timepoints[:2]
    assert irecist_best_response(timepoints) == best


def test_confirmed_best_response_needs_a_later_response_four_weeks_on() -> None:
    unconfirmed = [IrecistTimepoint(42, "iPR", ""), IrecistTimepoint(56, "iPR", ""),
                   IrecistTimepoint(84, "iSD", "")]
    assert irecist_best_response(unconfirmed) == "iPR"
    assert irecist_best_response(unconfirmed, confirm=True) == "iSD"  # 14 days only
    confirmed = [IrecistTimepoint(42, "iPR", ""), IrecistTimepoint(70, "iPR", "")]
    assert irecist_best_response(confirmed, confirm=True) == "iPR"  # 28 days
    assert irecist_best_response([IrecistTimepoint(42, "NE", "")]) == "NE"


def test_bad_input_is_refused() -> None:
    with pytest.raises(DataError, match="measurable disease"):
        derive_irecist(0.0, [])
    with pytest.raises(DataError, match="day order"):
        derive_irecist(100.0, [A(84, 90.0), A(42, 90.0)])
    with pytest.raises(DataError) as caught:
        derive_irecist(100.0, [A(42, 90.0, new_lesions=2), A(84, 90.0, new_lesions=1)])
    assert caught.value.field == "new_lesions"


@given(st.lists(st.tuples(st.floats(0, 300), st.booleans(), st.integers(0, 2)),
                min_size=1, max_size=8))
def test_icpd_only_after_iupd_and_then_for_good(visits: list[tuple[float, bool, int]]) -> None:
    """Whatever the course: iCPD comes only after an iUPD, and nothing but iCPD follows it."""
    count, assessments = 0, []
    for k, (total, nt_up, more) in enumerate(visits):
        count += more
        assessments.append(A(42 * (k + 1), total, nontarget="PD" if nt_up else "NON-CR/NON-PD",
                             nontarget_increased=nt_up, new_lesions=count))
    responses = [t.response for t in derive_irecist(100.0, assessments)]
    if "iCPD" in responses:
        first = responses.index("iCPD")
        assert "iUPD" in responses[:first]
        assert set(responses[first:]) == {"iCPD"}


@pytest.mark.parametrize(("gap", "expected"), [(27, "iUPD"), (28, "iCPD")])
def test_scan_under_four_weeks_after_iupd_neither_confirms_nor_resets(gap: int, expected: str
                                                                      ) -> None:
    """EORTC RECIST FAQ ("…LESS than four weeks after the scans that showed iUPD"): a scan
    27 days after iUPD is disregarded even with +10 mm; at 28 days it confirms."""
    base = (A(42, 50.0), A(84, 60.0))  # iUPD at day 84
    after = A(84 + gap, 70.0)
    assert [t.response for t in derive_irecist(100.0, [*base, after],
                                               min_confirmation_days=28)][-1] == expected
    # an early scan that shrank does not reset either, and its sum is not a new nadir
    shrunk = derive_irecist(100.0, [*base, A(84 + 14, 40.0), A(84 + 42, 65.0)],
                            min_confirmation_days=28)
    assert [t.response for t in shrunk][1:] == ["iUPD", "iUPD", "iCPD"]


def test_early_scan_with_another_new_lesion_confirms() -> None:
    """FAQ: an out-of-schedule scan under 4 weeks may confirm iCPD by an additional new
    lesion."""
    timepoints = derive_irecist(100.0, [A(42, 90.0, new_lesions=1),
                                        A(56, 90.0, new_lesions=2)], min_confirmation_days=28)
    assert [t.response for t in timepoints] == ["iUPD", "iCPD"]


def test_icr_needs_new_lesions_gone() -> None:
    """Table 2 row 1: iCR needs no new lesion left; new lesions seen before but gone allow it."""
    iupd = A(42, 90.0, new_lesions=1)
    assert _responses(100.0, iupd, A(84, 0.0, target_cr=True, new_lesions=1,
                                     new_present=False))[-1] == "iCR"
    assert _responses(100.0, iupd, A(84, 0.0, target_cr=True, new_lesions=1))[-1] == "iPR"
