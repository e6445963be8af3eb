"""iRECIST from lesion measurements (Seymour et al., Lancet Oncol 2017;18:e143, "New lesions"
and Table 2; EORTC RECIST FAQ): the ≥ 5 mm confirmation on both sides, reset after iUPD, the
new-lesion target selection (≤ 5, ≤ 2 per organ) kept apart from the target sum, INCREASED
non-target and new non-target lesions, the progression date, and refused input."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.rules.irecist_lesions import (
    IrecistSettings,
    classify_irecist_timepoints,
    derive_irecist_responses,
    progression_date,
)
from oncotrial.rules.recist import RecistSettings

RECIST = RecistSettings(confirmation_interval_days=28, min_sd_duration_days=42,
                        too_small_to_measure_mm=5.0, max_target_lesions=5,
                        max_target_per_organ=2)
START = pd.Timestamp("2024-01-01")

# lesion id → (role, organ, nodal)
Lesions = dict[str, tuple[str, str, bool]]
# one visit: lesion id → diameter (mm) or a state
Visit = dict[str, float | str]


def _frames(lesions: Lesions, visits: Iterable[Visit], subject: str = "S1"
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    les = pd.DataFrame([
        {"subject": subject, "evaluator": "INVESTIGATOR", "lesion_id": k, "role": role,
         "organ": organ, "nodal": nodal} for k, (role, organ, nodal) in lesions.items()])
    rows = []
    for v, visit in enumerate(visits):
        for k, value in visit.items():
            number = isinstance(value, float | int)
            rows.append({"subject": subject, "evaluator": "INVESTIGATOR", "lesion_id": k,
                         "visitnum": float(v + 1), "visit": f"V{v + 1}",
                         "date": START + pd.Timedelta(days=42 * v),
                         "diameter_mm": float(value) if number else None,
                         "state": "" if number else value})
    return les, pd.DataFrame(rows)


def _responses(lesions: Lesions, *visits: Visit, **kw: IrecistSettings) -> list[str]:
    les, meas = _frames(lesions, visits)
    tp = classify_irecist_timepoints(les, meas, recist=RECIST, **kw)
    return tp["overall_response"].tolist()


TWO_TARGETS: Lesions = {"T1": ("TARGET", "LIVER", False), "T2": ("TARGET", "LUNG", False)}


@pytest.mark.parametrize(("third", "expected"), [((38.0, 27.0), "iCPD"),  # +5 mm over iUPD
                                                  ((37.0, 27.0), "iUPD")])  # +4 mm
def test_target_iupd_confirmed_at_5_mm_not_at_4(third: tuple[float, float], expected: str
                                                ) -> None:
    """Table 2: target iUPD (sum 60 after nadir 50, +20 % and +10 mm) is iCPD when the sum
    rises ≥ 5 mm more; 4 mm keeps iUPD."""
    visits = ({"T1": 50.0, "T2": 50.0}, {"T1": 30.0, "T2": 20.0}, {"T1": 35.0, "T2": 25.0},
              {"T1": third[0], "T2": third[1]})
    assert _responses(TWO_TARGETS, *visits) == ["iPR", "iUPD", expected]


def test_reset_after_iupd_then_new_iupd_needs_progression_again() -> None:
    """Table 2: an iUPD that no longer meets progression resets (iPR here, −30 % from
    baseline 100); the next iUPD needs RECIST progression over the nadir again."""
    visits = ({"T1": 50.0, "T2": 50.0}, {"T1": 30.0, "T2": 20.0}, {"T1": 35.0, "T2": 26.0},
              {"T1": 30.0, "T2": 25.0}, {"T1": 35.0, "T2": 30.0})
    assert _responses(TWO_TARGETS, *visits) == ["iPR", "iUPD", "iPR", "iUPD"]


NEW_ONE: Lesions = {**TWO_TARGETS, "N1": ("NEW", "LIVER", False)}


@pytest.mark.parametrize(("nlt", "expected"), [(17.0, "iCPD"), (16.0, "iUPD")])
def test_new_lesion_target_sum_confirms_at_5_mm_not_at_4(nlt: float, expected: str) -> None:
    """Table 2: iUPD from a measurable new lesion (12 mm); iCPD when the new-lesion target
    sum rises ≥ 5 mm, not at +4 mm; the target sum is left as it was (not added to)."""
    visits = ({"T1": 30.0, "T2": 20.0}, {"T1": 25.0, "T2": 15.0},
              {"T1": 25.0, "T2": 15.0, "N1": 12.0}, {"T1": 25.0, "T2": 15.0, "N1": nlt})
    les, meas = _frames(NEW_ONE, visits)
    tp = classify_irecist_timepoints(les, meas, recist=RECIST)
    assert tp["overall_response"].tolist() == ["iSD", "iUPD", expected]
    assert tp["sum_mm"].tolist() == [40.0, 40.0, 40.0]
    assert tp["new_target_sum_mm"].tolist()[1:] == [12.0, nlt]


def test_new_lesions_up_to_five_targets_two_per_organ() -> None:
    """Seymour 2017 "New lesions": ≤ 5 NLT, ≤ 2 per organ (nodes one organ); a new lesion too
    small to measure (< 10 mm) is NLNT; every new lesion is counted."""
    lesions: Lesions = {**TWO_TARGETS,
                        "L1": ("NEW", "LIVER", False), "L2": ("NEW", "LIVER", False),
                        "L3": ("NEW", "LIVER", False), "P1": ("NEW", "LUNG", False),
                        "B1": ("NEW", "BONE", False), "D1": ("NEW", "ADRENAL", False),
                        "S1": ("NEW", "SKIN", False), "X1": ("NEW", "SPLEEN", False)}
    new = {"L1": 30.0, "L2": 20.0, "L3": 25.0, "P1": 15.0, "B1": 12.0, "D1": 11.0,
           "S1": 10.0, "X1": 9.0}
    les, meas = _frames(lesions, ({"T1": 30.0, "T2": 20.0},
                                  {"T1": 30.0, "T2": 20.0, **new}))
    tp = classify_irecist_timepoints(les, meas, recist=RECIST)
    row = tp.iloc[0]
    assert row["new_lesions"] == 8
    assert row["new_target_lesions"] == 5
    # liver: the two largest (30, 25); then lung 15, bone 12, adrenal 11; skin 10 is the 6th
    assert row["new_target_sum_mm"] == 30.0 + 25.0 + 15.0 + 12.0 + 11.0
    assert row["sum_mm"] == 50.0
    fewer = classify_irecist_timepoints(les, meas, recist=RECIST,
                                        settings=IrecistSettings(max_new_target=2))
    assert fewer.iloc[0]["new_target_sum_mm"] == 30.0 + 25.0


def test_more_new_lesions_confirm_and_unchanged_ones_do_not() -> None:
    """Table 2 / FAQ scenario F: no change in new lesions keeps iUPD; one more confirms."""
    lesions: Lesions = {**NEW_ONE, "N2": ("NEW", "LUNG", False)}
    same = {"T1": 25.0, "T2": 15.0, "N1": 12.0}
    assert _responses(lesions, {"T1": 25.0, "T2": 15.0}, same, same,
                      {**same, "N2": "PRESENT"}) == ["iUPD", "iUPD", "iCPD"]


def test_increased_non_target_confirms_unchanged_unequivocal_does_not() -> None:
    """EORTC FAQ: non-target iUPD is confirmed by any further increase (INCREASED), not by
    non-target disease that stays unequivocally progressed without change."""
    lesions: Lesions = {**TWO_TARGETS, "NT": ("NON-TARGET", "BONE", False)}
    base = ({"T1": 30.0, "T2": 20.0, "NT": "PRESENT"},
            {"T1": 30.0, "T2": 20.0, "NT": "UNEQUIVOCAL"})
    assert _responses(lesions, *base, {"T1": 30.0, "T2": 20.0, "NT": "INCREASED"}) \
        == ["iUPD", "iCPD"]
    assert _responses(lesions, *base, {"T1": 30.0, "T2": 20.0, "NT": "UNEQUIVOCAL"}) \
        == ["iUPD", "iUPD"]


def test_increased_new_non_target_lesion_confirms() -> None:
    """EORTC FAQ: a new non-target lesion that grows at all confirms iCPD."""
    lesions: Lesions = {**TWO_TARGETS, "N1": ("NEW", "LUNG", False)}
    first = {"T1": 30.0, "T2": 20.0}
    assert _responses(lesions, first, {**first, "N1": "PRESENT"},
                      {**first, "N1": "INCREASED"}) == ["iUPD", "iCPD"]
    assert _responses(lesions, first, {**first, "N1": "PRESENT"},
                      {**first, "N1": "PRESENT"}) == ["iUPD", "iUPD"]


def test_equivocal_new_lesion_is_not_counted() -> None:
    """RECIST 1.1 §4.3.3 as iRECIST uses it: an equivocal new lesion is no progression yet."""
    first = {"T1": 30.0, "T2": 20.0}
    assert _responses(NEW_ONE, first, {**first, "N1": "EQUIVOCAL"}) == ["iSD"]


@pytest.mark.parametrize(("responses", "expected"), [
    (("iUPD", "iUPD", "iCPD"), (0, True)),                 # Table 3 example 7
    (("iSD", "iUPD", "iPR", "iUPD", "iCPD"), (3, True)),   # admiralonco iRECIST vignette
    (("iUPD", "NE", "NE"), (0, False)),                    # Table 3 example 8: never confirmed
    (("iUPD", "iSD", "iSD"), (None, False)),               # reset: no progression
    (("iSD", "iPR"), (None, False)),
])
def test_progression_date(responses: tuple[str, ...], expected: tuple[int | None, bool]
                          ) -> None:
    dates = [START + pd.Timedelta(days=42 * k) for k in range(len(responses))]
    when, confirmed = progression_date(dates, responses)
    assert (None if when is None else dates.index(when), confirmed) == expected


def test_best_response_and_progression_per_subject() -> None:
    """iBOR (Table 3), the confirmed iCBOR and the progression date from lesion data."""
    visits = ({"T1": 50.0, "T2": 50.0}, {"T1": 30.0, "T2": 20.0}, {"T1": 30.0, "T2": 20.0},
              {"T1": 40.0, "T2": 25.0}, {"T1": 45.0, "T2": 25.0})
    les, meas = _frames(TWO_TARGETS, visits)
    best = derive_irecist_responses(les, meas, recist=RECIST).best_response.iloc[0]
    assert (best["ibor"], best["icbor"], best["pd_confirmed"]) == ("iPR", "iPR", True)
    assert best["pd_date"] == START + pd.Timedelta(days=42 * 3)


def test_no_measurable_disease_is_ne_with_the_reason() -> None:
    lesions: Lesions = {"NT": ("NON-TARGET", "BONE", False)}
    les, meas = _frames(lesions, ({"NT": "PRESENT"}, {"NT": "PRESENT"}))
    tp = classify_irecist_timepoints(les, meas, recist=RECIST)
    assert tp["overall_response"].tolist() == ["NE"]
    assert "no measurable disease" in tp["overall_rule"].iloc[0]


def test_refused_input_names_subject_and_visit() -> None:
    les, meas = _frames(TWO_TARGETS, ({"T1": 30.0, "T2": 20.0}, {"T1": 30.0, "T2": 20.0},
                                      {"T1": 30.0, "T2": 20.0}))
    meas.loc[meas["visit"] == "V3", "date"] = START + pd.Timedelta(days=42)
    with pytest.raises(DataError) as caught:
        classify_irecist_timepoints(les, meas, recist=RECIST)
    assert (caught.value.subject, caught.value.field) == ("S1", "date")
    assert caught.value.visit in ("V2", "V3")
    bad = meas.assign(state=meas["state"].where(meas["lesion_id"] != "T2", "GROWING"))
    bad["diameter_mm"] = bad["diameter_mm"].where(bad["lesion_id"] != "T2")
    with pytest.raises(DataError, match="INCREASED") as caught:
        classify_irecist_timepoints(les, bad, recist=RECIST)
    assert caught.value.value == "GROWING"
    with pytest.raises(Exception, match="max_new_target"):
        IrecistSettings(max_new_target=0)


def test_new_lesion_gone_allows_icr_after_iupd() -> None:
    """Table 2 row 1 / Table 3 example 2: iUPD by a new lesion, then every lesion gone, the new
    one included (ABSENT) → iCR; while the new lesion is still there, targets gone is iPR."""
    first = {"T1": 30.0, "T2": 20.0}
    gone = {"T1": 0.0, "T2": 0.0}
    assert _responses(NEW_ONE, first, {**first, "N1": 12.0}, {**gone, "N1": "ABSENT"}) == [
        "iUPD", "iCR"]
    assert _responses(NEW_ONE, first, {**first, "N1": 12.0}, {**gone, "N1": 6.0}) == [
        "iUPD", "iPR"]
