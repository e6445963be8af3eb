"""RECIST 1.1 engine: timepoint tables, target thresholds, non-target and new lesions, BOR."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from oncotrial.errors import DataError, ProtocolError, RuleError
from oncotrial.rules import (
    RecistSettings,
    classify_baseline_lesions,
    classify_best_response,
    classify_overall_response,
    classify_timepoints,
    derive_recist_responses,
)
from oncotrial.rules.recist._rules import load_recist_rules, validate_recist_rules
from tests.rules.test_recist_cases import LEADER, build, reference, sequence

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _read_reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def _target(days: list[int], **targets: tuple[bool, list[object]]) -> pd.DataFrame:
    lesions, meas = build(days, targets=targets)  # type: ignore[arg-type]
    return classify_timepoints(lesions, meas, settings=LEADER)


# --- rule data ----------------------------------------------------------------------------


def test_shipped_rule_file_loads_and_covers_every_combination() -> None:
    """The shipped rule file loads and its timepoint table maps all 6×5×2 combinations."""
    rules = load_recist_rules()
    assert len(rules.overall_table()) == 60
    assert rules.threshold("pd_min_absolute_increase_mm") == 5.0


def test_rule_file_with_a_gap_is_refused() -> None:
    """Dropping a row of the timepoint table leaves a gap, which loading reports."""
    raw = load_recist_rules().model_dump()
    raw["overall_rules"] = [r for r in raw["overall_rules"] if r["name"] != "overall_sd"]
    with pytest.raises(RuleError, match="gaps"):
        validate_recist_rules(raw)


def test_rule_file_with_unknown_rule_name_is_refused() -> None:
    """A target rule the engine does not implement is refused by name."""
    raw = load_recist_rules().model_dump()
    raw["target_rules"][0]["name"] = "target_magic"
    with pytest.raises(RuleError, match="target_magic"):
        validate_recist_rules(raw)


# --- overall timepoint tables (RECIST 1.1 Tables 1 and 2) ---------------------------------

TABLE_ROWS = _read_reference("recist_timepoint_tables.csv")


@pytest.mark.parametrize(
    "row", TABLE_ROWS, ids=[f"{r['target']}-{r['nontarget']}-{r['new_lesion']}" for r in TABLE_ROWS]
)
def test_overall_response_matches_recist_tables_1_and_2(row: dict[str, str]) -> None:
    """Every row of RECIST 1.1 Tables 1-2 gives the paper's overall response."""
    decision = classify_overall_response(row["target"], row["nontarget"], row["new_lesion"])
    assert decision.response == row["overall"]
    assert decision.rule.startswith("overall_")


def test_overall_response_rejects_unknown_category() -> None:
    """An unknown component category names the field and the allowed values."""
    with pytest.raises(DataError, match=r"target='STABLE'.*allowed"):
        classify_overall_response("STABLE", "CR", "N")


# --- target lesions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [(70.0, "PR"), (70.1, "SD")],
    ids=["exactly-30pct-down-PR", "29.9pct-down-SD"],
)
def test_partial_response_boundary_at_30_percent(follow_up: float, expected: str) -> None:
    """PR needs a decrease of at least 30 % from the baseline sum (RECIST 1.1 §4.3.1)."""
    out = _target([0, 42], T1=(False, [60.0, follow_up - 40.0]), T2=(False, [40.0, 40.0]))
    assert out["target_response"].tolist() == [expected]


@pytest.mark.parametrize(
    ("sums", "expected"),
    [
        ([50.0, 60.0], "PD"),  # +20 % and +10 mm
        ([50.0, 59.9], "SD"),  # +19.8 %
        ([20.0, 25.0], "PD"),  # +25 % and exactly +5 mm
        ([20.0, 24.9], "SD"),  # +24.5 % but only +4.9 mm
        ([25.0, 30.0], "PD"),  # exactly +20 % and exactly +5 mm
    ],
    ids=["20pct-PD", "19.8pct-SD", "5mm-PD", "4.9mm-SD", "both-exact-PD"],
)
def test_progression_needs_20_percent_and_5_mm(sums: list[float], expected: str) -> None:
    """PD needs +20 % over the nadir and an absolute increase of at least 5 mm."""
    out = _target([0, 42], T1=(False, sums))
    assert out["target_response"].tolist() == [expected]


def test_progression_is_measured_from_the_nadir_not_the_baseline() -> None:
    """A sum still below baseline is PD when it is 20 % and 5 mm above the nadir."""
    out = _target([0, 42, 84, 126], T1=(False, [100.0, 40.0, 40.0, 48.0]))
    assert out["target_response"].tolist() == ["PR", "PR", "PD"]
    assert out["nadir_mm"].tolist() == [100.0, 40.0, 40.0]
    assert out["change_from_nadir_pct"].iloc[-1] == pytest.approx(20.0)


def test_eortc_sd_clarification_example_stays_partial_response() -> None:
    """EORTC Q&A 'definition of SD': 165 → 63 → 65 mm is PR then continued PR."""
    out = _target([0, 56, 112], T1=(False, [165.0, 63.0, 65.0]))
    assert out["target_response"].tolist() == ["PR", "PR"]


def test_missing_target_is_ne_unless_progression_is_evident() -> None:
    """RECIST 1.1 §4.4.2 example: baseline 50 mm in 3 lesions, 2 assessed summing 80 → PD."""
    out = _target(
        [0, 42, 84],
        T1=(False, [20.0, 40.0, 15.0]),
        T2=(False, [20.0, 40.0, 15.0]),
        T3=(False, [10.0, None, None]),
    )
    assert out["target_response"].tolist() == ["PD", "NE"]
    assert out["target_rule"].tolist() == ["target_pd_sum_increase", "target_ne_not_all_assessed"]


@pytest.mark.parametrize(
    ("node_mm", "expected"),
    [(9.9, "CR"), (10.0, "PR")],
    ids=["node-9.9mm-CR", "node-10mm-not-CR"],
)
def test_nodal_target_counts_as_gone_below_10_mm(node_mm: float, expected: str) -> None:
    """Target CR needs every nodal target short axis < 10 mm (actual size stays in the sum)."""
    out = _target([0, 42], T1=(False, [30.0, 0.0]), N1=(True, [20.0, node_mm]))
    assert out["target_response"].tolist() == [expected]
    assert out["sum_mm"].tolist() == [node_mm]


def test_too_small_to_measure_imputes_protocol_value_and_blocks_cr() -> None:
    """A lesion too small to measure counts as the protocol's 5 mm, so it is not CR."""
    out = _target([0, 42], T1=(False, [30.0, "TOO SMALL TO MEASURE"]))
    assert out["sum_mm"].tolist() == [5.0]
    assert out["target_response"].tolist() == ["PR"]


def test_too_small_to_measure_value_comes_from_settings() -> None:
    """With a protocol value of 3 mm the imputed diameter is 3 mm."""
    lesions, meas = build([0, 42], targets={"T1": (False, [30.0, "TOO SMALL TO MEASURE"])})
    settings = RecistSettings(
        confirmation_interval_days=28,
        min_sd_duration_days=42,
        too_small_to_measure_mm=3.0,
        max_target_lesions=5,
        max_target_per_organ=2,
    )
    out = classify_timepoints(lesions, meas, settings=settings)
    assert out["sum_mm"].tolist() == [3.0]


def test_reader_number_below_5_mm_is_used_as_given() -> None:
    """A measured 3 mm stays 3 mm (CDISC TR note: impute only when not measurable)."""
    out = _target([0, 42], T1=(False, [30.0, 3.0]))
    assert out["sum_mm"].tolist() == [3.0]


def test_absent_target_counts_zero_and_gives_cr() -> None:
    """An absent non-nodal target is 0 mm; all gone → CR."""
    out = _target([0, 42], T1=(False, [30.0, "ABSENT"]))
    assert out["target_response"].tolist() == ["CR"]
    assert out["change_from_baseline_pct"].tolist() == [-100.0]


def test_reappearance_after_zero_nadir_is_progression_when_5_mm() -> None:
    """After a 0 mm nadir a 5 mm reappearance is PD, a 4 mm one is not (absolute rule)."""
    out = _target([0, 42, 84], T1=(False, [30.0, 0.0, 5.0]))
    assert out["target_response"].tolist() == ["CR", "PD"]
    out = _target([0, 42, 84], T1=(False, [30.0, 0.0, 4.0]))
    assert out["target_response"].tolist() == ["CR", "PR"]


def test_missing_baseline_measurement_makes_targets_not_evaluable() -> None:
    """Without a complete baseline sum every target response is NE with its own rule."""
    out = _target([0, 42], T1=(False, [None, 20.0]), T2=(False, [30.0, 20.0]))
    assert out["target_rule"].tolist() == ["target_ne_no_baseline_sum"]


# --- non-target and new lesions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["ABSENT", "ABSENT"], "CR"),
        (["ABSENT", "PRESENT"], "NON-CR/NON-PD"),
        (["PRESENT", "NOT DONE"], "NE"),
        (["NOT DONE", "UNEQUIVOCAL"], "PD"),
    ],
    ids=["all-absent", "one-present", "one-missing", "unequivocal-progression"],
)
def test_non_target_response(states: list[str], expected: str) -> None:
    """Non-target CR / NON-CR/NON-PD / NE / PD from the lesion states (RECIST 1.1 §4.3.2)."""
    lesions, meas = build(
        [0, 42],
        nontargets={"NT1": (False, ["PRESENT", states[0]]), "NT2": (False, ["PRESENT", states[1]])},
    )
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out["nontarget_response"].tolist() == [expected]
    assert out["target_response"].tolist() == ["NONE"]


@pytest.mark.parametrize(
    ("short_axis", "expected"),
    [(9.0, "CR"), (10.0, "NON-CR/NON-PD")],
    ids=["node-9mm-normal", "node-10mm-pathological"],
)
def test_non_target_node_below_10_mm_counts_as_absent(short_axis: float, expected: str) -> None:
    """A non-target node shrinking below 10 mm short axis is normal (RECIST 1.1 §4.3.2)."""
    lesions, meas = build([0, 42], nontargets={"NT1": (True, [12.0, short_axis])})
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out["nontarget_response"].tolist() == [expected]


def test_non_target_only_patient_gets_non_cr_non_pd() -> None:
    """Table 2: a patient with only non-target disease is NON-CR/NON-PD, not SD."""
    lesions, meas = build([0, 42], nontargets={"NT1": (False, ["PRESENT", "PRESENT"])})
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out["overall_response"].tolist() == ["NON-CR/NON-PD"]
    assert out["overall_rule"].tolist() == ["overall_nt_only_non_cr_non_pd"]


def test_unequivocal_new_lesion_is_progression() -> None:
    """A new lesion makes the timepoint PD whatever the targets do."""
    lesions, meas = build(
        [0, 42], targets={"T1": (False, [40.0, 20.0])}, new=[(1, "NEW1", "UNEQUIVOCAL")]
    )
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out[["target_response", "new_lesion", "overall_response"]].values.tolist() == [
        ["PR", "Y", "PD"]
    ]
    assert out["overall_rule"].tolist() == ["overall_pd_new_lesion"]


def test_equivocal_new_lesion_confirmed_later_backdates_progression() -> None:
    """An equivocal new lesion confirmed at the next scan dates PD to its first sighting."""
    lesions, meas = build(
        [0, 42, 84],
        targets={"T1": (False, [40.0, 30.0, 30.0])},
        new=[(1, "NEW1", "EQUIVOCAL"), (2, "NEW1", "UNEQUIVOCAL")],
    )
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out["overall_response"].tolist() == ["PD", "PD"]
    assert out["new_lesion_rule"].tolist() == [
        "new_lesion_equivocal_confirmed_later",
        "new_lesion_unequivocal",
    ]


def test_equivocal_new_lesion_never_confirmed_is_not_progression() -> None:
    """An equivocal new lesion that is not confirmed leaves the response alone."""
    lesions, meas = build(
        [0, 42, 84],
        targets={"T1": (False, [40.0, 30.0, 30.0])},
        new=[(1, "NEW1", "EQUIVOCAL"), (2, "NEW1", "ABSENT")],
    )
    out = classify_timepoints(lesions, meas, settings=LEADER)
    assert out["overall_response"].tolist() == ["SD", "SD"]
    assert out["new_lesion_rule"].tolist() == [
        "new_lesion_equivocal_unconfirmed",
        "new_lesion_none",
    ]


# --- baseline checks ------------------------------------------------------------------------------


def test_baseline_checks_are_reported_per_lesion() -> None:
    """Too small targets, small nodes and too many targets per organ are listed per lesion."""
    lesions, meas = build(
        [0, 42],
        targets={
            "T1": (False, [9.9, 9.0]),
            "T2": (False, [10.0, 9.0]),
            "T3": (True, [14.9, 10.0]),
            "T4": (False, [30.0, 30.0]),
        },
        nontargets={"NT1": (True, [9.0, 9.0])},
        organs={"T1": "LIVER", "T2": "LIVER", "T4": "LIVER"},
    )
    checks = classify_baseline_lesions(lesions, meas, settings=LEADER)
    found = set(zip(checks["lesion_id"], checks["check"], strict=True))
    assert found == {
        ("T1", "target_not_measurable"),
        ("T3", "target_node_below_15mm"),
        ("NT1", "nontarget_node_not_pathological"),
        ("T1", "too_many_targets_in_organ"),  # third liver lesion by size is T1 (9.9 mm)
    }


def test_more_than_five_targets_flags_the_smallest() -> None:
    """Six targets in six organs: the smallest is reported beyond the limit of five."""
    targets = {f"T{i}": (False, [10.0 + i, 10.0 + i]) for i in range(6)}
    lesions, meas = build([0, 42], targets=targets)
    checks = classify_baseline_lesions(lesions, meas, settings=LEADER)
    assert checks[["lesion_id", "check"]].values.tolist() == [["T0", "too_many_target_lesions"]]


# --- input errors ---------------------------------------------------------------------------------


def test_unknown_state_names_subject_visit_and_allowed_values() -> None:
    """A state outside the vocabulary raises DataError with subject and visit."""
    lesions, meas = build([0, 42], targets={"T1": (False, [30.0, 20.0])})
    meas.loc[1, "state"] = "GONE"
    with pytest.raises(DataError, match=r"subject S1, visit V1: state='GONE'.*allowed"):
        classify_timepoints(lesions, meas, settings=LEADER)


def test_measurement_of_unidentified_lesion_is_refused() -> None:
    """A measurement whose lesion is not identified raises DataError naming it."""
    lesions, meas = build([0, 42], targets={"T1": (False, [30.0, 20.0])})
    meas.loc[1, "lesion_id"] = "T9"
    with pytest.raises(DataError, match="without identification"):
        classify_timepoints(lesions, meas, settings=LEADER)


def test_negative_diameter_is_refused() -> None:
    """A negative diameter is impossible and named."""
    lesions, meas = build([0, 42], targets={"T1": (False, [30.0, -1.0])})
    with pytest.raises(DataError, match=r"diameter_mm=-1\.0"):
        classify_timepoints(lesions, meas, settings=LEADER)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confirmation_interval_days", 0),
        ("too_small_to_measure_mm", 12.0),
        ("max_target_lesions", True),
    ],
)
def test_settings_refuse_impossible_protocol_values(field: str, value: object) -> None:
    """Impossible protocol parameters raise ProtocolError naming the field."""
    params = {
        "confirmation_interval_days": 28,
        "min_sd_duration_days": 42,
        "too_small_to_measure_mm": 5.0,
        "max_target_lesions": 5,
        "max_target_per_organ": 2,
    }
    params[field] = value
    with pytest.raises(ProtocolError, match=field):
        RecistSettings(**params)  # type: ignore[arg-type]


def test_settings_from_leader_protocol() -> None:
    """The LEADER protocol supplies 28-day confirmation and a 42-day SD window."""
    from oncotrial.protocol import load_protocol

    settings = RecistSettings.from_protocol(load_protocol())
    assert (settings.confirmation_interval_days, settings.min_sd_duration_days) == (28, 42)
    assert settings.too_small_to_measure_mm == 5.0


# --- best overall response ---------------------------------------------------------------------

TABLE3 = _read_reference("recist_bor_table3.csv")


@pytest.mark.parametrize(
    "row", TABLE3, ids=[f"{r['first']}-{r['second']}-sd_met={r['sd_met']}" for r in TABLE3]
)
def test_confirmed_bor_matches_recist_table_3(row: dict[str, str]) -> None:
    """Each row of RECIST 1.1 Table 3, with and without the SD minimum duration met."""
    first_day = 42 if row["sd_met"] == "Y" else 35
    tp = sequence([(first_day, row["first"]), (first_day + 28, row["second"])])
    best = classify_best_response(tp, reference=reference(), settings=LEADER)
    assert best["cbor"].tolist() == [row["expected_cbor"]]


def _best(responses: list[tuple[int, str]], settings: RecistSettings = LEADER) -> pd.Series:
    best = classify_best_response(sequence(responses), reference=reference(), settings=settings)
    return best.iloc[0]


@pytest.mark.parametrize(
    ("gap", "expected"), [(27, "SD"), (28, "PR")], ids=["27-days-unconfirmed", "28-days-confirmed"]
)
def test_confirmation_interval_boundary(gap: int, expected: str) -> None:
    """A PR is confirmed only by a repeat at least 28 days later."""
    assert _best([(42, "PR"), (42 + gap, "PR")])["cbor"] == expected


def test_one_ne_between_pr_and_confirmation_is_tolerated_two_are_not() -> None:
    """At most one NE may lie between a PR and its confirmation (admiralonco max_nr_ne = 1)."""
    one = _best([(42, "PR"), (56, "NE"), (84, "PR")])
    assert (one["cbor"], one["cbor_rule"]) == ("PR", "cbor_confirmed_pr")
    two = _best([(42, "PR"), (56, "NE"), (63, "NE"), (84, "PR")])
    assert (two["cbor"], two["cbor_rule"]) == ("SD", "cbor_sd_min_duration")


def test_sd_between_pr_and_confirmation_breaks_it_unless_accepted() -> None:
    """SD between a PR and its confirmation breaks it; accept_sd_between allows one."""
    assert _best([(42, "PR"), (63, "SD"), (84, "PR")])["cbor"] == "SD"
    accepting = RecistSettings(
        confirmation_interval_days=28,
        min_sd_duration_days=42,
        too_small_to_measure_mm=5.0,
        max_target_lesions=5,
        max_target_per_organ=2,
        accept_sd_between=True,
    )
    assert _best([(42, "PR"), (63, "SD"), (84, "PR")], accepting)["cbor"] == "PR"


def test_cr_followed_by_pr_becomes_pd_per_table_3_footnote() -> None:
    """CR then PR (before the SD window) is PD at the PR; flagged, PD dated at the PR."""
    best = _best([(35, "CR"), (63, "PR"), (91, "PR")])
    assert (best["bor"], best["cbor"], best["cbor_rule"]) == ("CR", "PD", "cbor_pd")
    assert best["pd_date"] == pd.Timestamp("2020-03-09")
    assert bool(best["cr_followed_by_worse"])


def test_cr_followed_by_pr_like_admiralonco_when_switched_off() -> None:
    """With the recode switched off the result is admiralonco's (SD in the window)."""
    admiral_like = RecistSettings(
        confirmation_interval_days=28,
        min_sd_duration_days=42,
        too_small_to_measure_mm=5.0,
        max_target_lesions=5,
        max_target_per_organ=2,
        cr_followed_by_worse_is_pd=False,
    )
    best = _best([(35, "CR"), (63, "PR"), (91, "PR")], admiral_like)
    assert (best["cbor"], best["cbor_rule"]) == ("PR", "cbor_confirmed_pr")
    assert bool(best["cr_followed_by_worse"])


def test_pd_after_confirmed_cr_keeps_cr_and_dates_pd() -> None:
    """A confirmed CR stays the best response; the later PD gives the PD date."""
    best = _best([(42, "CR"), (84, "CR"), (126, "PD"), (168, "CR")])
    assert (best["cbor"], best["cbor_date"]) == ("CR", pd.Timestamp("2020-02-17"))
    assert best["pd_date"] == pd.Timestamp("2020-05-11")
    assert best["n_assessments"] == 3  # nothing after the first PD


@pytest.mark.parametrize(
    ("day", "expected"), [(41, "NE"), (42, "SD")], ids=["day-41-too-early", "day-42-counts"]
)
def test_sd_window_boundary_is_inclusive(day: int, expected: str) -> None:
    """SD counts only on or after reference + 42 days (admiralonco #83, inclusive)."""
    best = _best([(day, "SD")])
    assert (best["bor"], best["cbor"]) == (expected, expected)


def test_early_sd_then_pd_is_pd() -> None:
    """SD before the window then PD: BOR is PD (NE ranks after PD)."""
    best = _best([(35, "SD"), (77, "PD")])
    assert (best["bor"], best["bor_rule"], best["bor_date"]) == (
        "PD",
        "bor_pd",
        pd.Timestamp("2020-03-23"),
    )


def test_assessments_before_reference_are_ignored_and_worst_of_day_wins() -> None:
    """A pre-treatment assessment is dropped; PD beats PR on the same date."""
    tp = sequence([(-7, "PR"), (42, "PR"), (42, "PD")])
    best = classify_best_response(tp, reference=reference(), settings=LEADER).iloc[0]
    assert (best["bor"], best["n_assessments"]) == ("PD", 1)


def test_subject_never_assessed_is_missing() -> None:
    """A reference subject without any timepoint gets BOR MISSING."""
    ref = pd.concat([reference("S1"), reference("S2")], ignore_index=True)
    best = classify_best_response(sequence([(42, "SD")]), reference=ref, settings=LEADER)
    assert best.set_index("subject").loc["S2", ["bor", "bor_rule"]].tolist() == [
        "MISSING",
        "bor_missing",
    ]


def test_subject_without_reference_date_is_refused() -> None:
    """Timepoints for a subject absent from the reference frame raise DataError."""
    with pytest.raises(DataError, match="subject S9"):
        classify_best_response(
            sequence([(42, "SD")], subject="S9"), reference=reference(), settings=LEADER
        )


def test_end_to_end_from_measurements_to_confirmed_response() -> None:
    """Measurements → timepoints → confirmed PR with response and PD dates."""
    lesions, meas = build(
        [0, 42, 84, 126],
        targets={"T1": (False, [50.0, 30.0, 28.0, 40.0]), "N1": (True, [20.0, 12.0, 11.0, 12.0])},
        nontargets={"NT1": (False, ["PRESENT"] * 4)},
    )
    result = derive_recist_responses(lesions, meas, reference=reference(), settings=LEADER)
    assert result.timepoints["overall_response"].tolist() == ["PR", "PR", "PD"]
    best = result.best_response.iloc[0]
    assert (best["cbor"], best["confirmed_response_date"]) == ("PR", pd.Timestamp("2020-02-17"))
    assert best["pd_date"] == pd.Timestamp("2020-05-11")
    assert result.baseline_checks.empty


ADMIRALONCO = _read_reference("recist_admiralonco_conventions.csv")


@pytest.mark.parametrize("row", ADMIRALONCO, ids=[r["case"] for r in ADMIRALONCO])
def test_best_response_agrees_with_admiralonco_conventions(row: dict[str, str]) -> None:
    """BOR and confirmed BOR and their dates follow the admiralonco conventions."""
    pairs = [item.split(":") for item in row["sequence"].split()]
    responses = [(int(day), response) for day, response in pairs]
    tp = sequence(responses) if responses else sequence([(42, "SD")]).iloc[0:0]
    best = classify_best_response(
        tp, reference=reference(), settings=LEADER, evaluators=["INVESTIGATOR"]
    ).iloc[0]
    start = reference()["reference_date"].iloc[0]

    def day(value: pd.Timestamp) -> str:
        return "" if pd.isna(value) else str((value - start).days)

    assert (best["bor"], day(best["bor_date"])) == (row["bor"], row["bor_day"])
    assert (best["cbor"], day(best["cbor_date"])) == (row["cbor"], row["cbor_day"])
