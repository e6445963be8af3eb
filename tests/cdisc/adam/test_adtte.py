"""ADTTE: OS, PFS (each row of the FDA 2018 censoring table, and the EMA variant), TTP, DOR."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from oncotrial.cdisc.adam import derive_adrs, derive_adtte
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from tests.cdisc.adam.conftest import make_adsl, make_rs, pick

START = "2020-01-01"
REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def _tte(
    leader: Protocol, responses: list[tuple[str, str]], *, rules: str = "FDA", **adsl: str
) -> pd.DataFrame:
    frame = make_adsl({"S1": {"TRTSDT": START, **adsl}})
    rs = make_rs([("S1", d, r) for d, r in responses]) if responses else make_rs([])
    if rs.empty:
        rs = pd.DataFrame(columns=["USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC", "RSEVAL"])
    adrs = derive_adrs(rs, adsl=frame, protocol=leader)
    return derive_adtte(adrs, adsl=frame, protocol=leader, pfs_rules=rules)  # type: ignore[arg-type]


def _days(day: str) -> float:
    return float((date.fromisoformat(day) - date.fromisoformat(START)).days + 1)


def _check(row: pd.Series, *, cnsr: int, day: str, rule: str) -> None:
    assert row["CNSR"] == cnsr
    assert row["ADT"] == pd.Timestamp(day)
    assert row["AVAL"] == _days(day)
    assert row["ARULE"] == rule


def test_no_post_baseline_assessment_is_censored_at_start(leader: Protocol) -> None:
    """FDA row 1/3: no adequate post-baseline assessment → censored at the start date, day 1."""
    pfs = pick(_tte(leader, [("2020-02-12", "NE")]), "S1", "PFS")
    _check(pfs, cnsr=1, day=START, rule="censor_no_assessment")
    assert pfs["EVNTDESC"] == "No Post-Baseline Tumor Assessment"
    assert pfs["CNSDTDSC"] == "Treatment Start"
    assert (pfs["SRCDOM"], pfs["SRCVAR"]) == ("ADSL", "TRTSDT")


def test_progression_is_an_event(leader: Protocol) -> None:
    """FDA row 2: documented progression → event at the date of the assessment showing PD."""
    pfs = pick(_tte(leader, [("2020-02-12", "SD"), ("2020-03-25", "PD")]), "S1", "PFS")
    _check(pfs, cnsr=0, day="2020-03-25", rule="event_pd")
    assert (pfs["EVNTDESC"], pfs["SRCDOM"], pfs["SRCVAR"]) == ("Disease Progression", "ADRS", "ADT")
    assert pfs["SRCSEQ"] > 0


def test_no_progression_is_censored_at_last_adequate_assessment(leader: Protocol) -> None:
    """FDA rows 3-5: no PD → censored at the last adequate assessment (an NE is not adequate)."""
    pfs = pick(_tte(leader, [("2020-02-12", "SD"), ("2020-03-25", "NE")]), "S1", "PFS")
    _check(pfs, cnsr=1, day="2020-02-12", rule="censor_last_assessment")
    assert pfs["CNSDTDSC"] == "Last Adequate Tumor Assessment"


def test_death_before_first_assessment_is_an_event(leader: Protocol) -> None:
    """FDA row 7: death before the first scheduled assessment → event at death."""
    adtte = _tte(leader, [], DTHDT="2020-01-20", LSTALVDT="2020-01-19")
    _check(pick(adtte, "S1", "PFS"), cnsr=0, day="2020-01-20", rule="event_death")
    _check(pick(adtte, "S1", "OS"), cnsr=0, day="2020-01-20", rule="event_death")
    # TTP counts progression only: death is censored at the start (no assessment)
    _check(pick(adtte, "S1", "TTP"), cnsr=1, day=START, rule="censor_no_assessment")


def test_death_between_assessments_is_an_event(leader: Protocol) -> None:
    """FDA row 8: death between adequate assessments → event at death."""
    adtte = _tte(leader, [("2020-02-12", "SD")], DTHDT="2020-03-01")
    _check(pick(adtte, "S1", "PFS"), cnsr=0, day="2020-03-01", rule="event_death")


@pytest.mark.parametrize(
    ("pd_day", "rules", "expected"),
    [
        # last adequate 2020-02-12; gap allowed = 2 × 42 + 7 = 91 days → 2020-05-13
        ("2020-05-13", "FDA", (0, "2020-05-13", "event_pd")),
        ("2020-05-14", "FDA", (1, "2020-02-12", "censor_missed_assessments")),
        ("2020-05-14", "EMA", (0, "2020-05-14", "event_pd")),
    ],
)
def test_progression_after_missed_assessments(
    leader: Protocol, pd_day: str, rules: str, expected: tuple[int, str, str]
) -> None:
    """FDA row 9: PD after ≥ 2 missed assessments → censored at the last adequate one."""
    cnsr, day, rule = expected
    pfs = pick(_tte(leader, [("2020-02-12", "SD"), (pd_day, "PD")], rules=rules), "S1", "PFS")
    _check(pfs, cnsr=cnsr, day=day, rule=rule)
    if rule == "censor_missed_assessments":
        assert pfs["EVNTDESC"] == "Disease Progression After Two or More Missed Assessments"


def test_death_after_missed_assessments_without_any_assessment(leader: Protocol) -> None:
    """Death 92 days after the start with no assessment at all → censored at the start (FDA)."""
    pfs = pick(_tte(leader, [], DTHDT="2020-04-02"), "S1", "PFS")
    _check(pfs, cnsr=1, day=START, rule="censor_missed_assessments")


@pytest.mark.parametrize(
    ("rules", "cnsr", "day", "rule"),
    [("FDA", 1, "2020-03-25", "censor_new_therapy"), ("EMA", 0, "2020-05-06", "event_pd")],
)
def test_new_anticancer_therapy_before_progression(
    leader: Protocol, rules: str, cnsr: int, day: str, rule: str
) -> None:
    """FDA row 6: new therapy before PD → censored at the last adequate assessment before it."""
    responses = [("2020-02-12", "SD"), ("2020-03-25", "SD"), ("2020-04-22", "SD"),
                 ("2020-05-06", "PD")]
    pfs = pick(_tte(leader, responses, rules=rules, NACTDT="2020-04-01"), "S1", "PFS")
    _check(pfs, cnsr=cnsr, day=day, rule=rule)


def test_overall_survival_censored_at_last_known_alive(leader: Protocol) -> None:
    """OS without death is censored at LSTALVDT (admiralonco lastalive_censor)."""
    os_row = pick(_tte(leader, [("2020-02-12", "SD")], LSTALVDT="2020-06-30"), "S1", "OS")
    _check(os_row, cnsr=1, day="2020-06-30", rule="censor_last_alive")
    assert (os_row["SRCVAR"], os_row["EVNTDESC"]) == ("LSTALVDT", "Alive")


def test_duration_of_response_starts_at_confirmed_response(leader: Protocol) -> None:
    """DOR runs from the first confirmed response to PD; non-responders have no DOR."""
    responses = [("2020-02-12", "PR"), ("2020-03-25", "PR"), ("2020-05-06", "PD")]
    adtte = _tte(leader, responses)
    dor = pick(adtte, "S1", "DOR")
    assert dor["STARTDT"] == pd.Timestamp("2020-02-12")
    assert dor["CNSR"] == 0
    assert dor["AVAL"] == (date(2020, 5, 6) - date(2020, 2, 12)).days + 1
    assert "DOR" not in set(_tte(leader, [("2020-02-12", "SD")])["PARAMCD"])


def test_unknown_rules_raise(leader: Protocol) -> None:
    """An unknown censoring rule set is refused with the allowed values."""
    with pytest.raises(DataError, match="FDA, EMA"):
        _tte(leader, [("2020-02-12", "SD")], rules="ESMO")


def test_no_baseline_assessment_is_censored_at_start(leader: Protocol) -> None:
    """FDA row 1: no baseline tumour assessment → PFS censored at the start, even after PD."""
    frame = make_adsl({"S1": {"TRTSDT": START}, "S2": {"TRTSDT": START}})
    rs = make_rs([("S1", "2020-02-12", "PD"), ("S2", "2020-02-12", "PD")])
    tu = pd.DataFrame({"USUBJID": ["S1"], "TUSTRESC": ["NON-TARGET"]})
    adrs = derive_adrs(rs, adsl=frame, protocol=leader)
    adtte = derive_adtte(adrs, adsl=frame, protocol=leader, tu=tu)
    _check(pick(adtte, "S1", "PFS"), cnsr=0, day="2020-02-12", rule="event_pd")
    s2 = pick(adtte, "S2", "PFS")
    _check(s2, cnsr=1, day=START, rule="censor_no_baseline")
    assert s2["EVNTDESC"] == "No Baseline Tumor Assessment"


def test_matches_admiral_derive_param_tte_tests(leader: Protocol) -> None:
    """OS, PFS and DOR (unconfirmed start) equal admiral's derive_param_tte test expectations."""
    table = pd.read_csv(REFERENCE / "adam_admiral_tte.csv", comment="#", dtype=str,
                        keep_default_na=False)
    subjects = table[table["KIND"] == "adsl"]
    frame = make_adsl({row.USUBJID: {"TRTSDT": row.TRTSDT, "DTHDT": row.DTHDT,
                                     "LSTALVDT": row.LSTALVDT} for row in subjects.itertuples()})
    ovr = table[table["KIND"] == "ovr"]
    rs = make_rs(zip(ovr["USUBJID"], ovr["ADT"], ovr["AVALC"], strict=True))
    adrs = derive_adrs(rs, adsl=frame, protocol=leader)
    adtte = derive_adtte(adrs, adsl=frame, protocol=leader, dor_confirmed=False)
    for row in table[table["KIND"] == "expected"].itertuples():
        got = pick(adtte, str(row.USUBJID), str(row.PARAMCD))
        assert got["ADT"] == pd.Timestamp(str(row.ADT)), row
        assert got["CNSR"] == int(str(row.CNSR)), row
        assert got["SRCDOM"] == row.SRCDOM, row
    assert set(adtte.loc[adtte["PARAMCD"] == "DOR", "USUBJID"]) == {"01", "04"}


# LEADER imaging every 42 ± 7 days: more than one missed assessment = an event more than
# 2 × 42 + 7 = 91 days after the last adequate assessment (or the start).
@pytest.mark.parametrize(
    ("death", "rule", "expected"),
    [
        # FDA row "death before first PD assessment": 91 days after the start → event
        ("2020-04-01", "fda", (0, "2020-04-01", "event_death")),
        # FDA row "death ... after more than one missed visit": 92 days → censored at start
        ("2020-04-02", "fda", (1, START, "censor_missed_assessments")),
        # admiralonco template (death_event, no missed-visit rule): an event either way
        ("2020-04-01", "event", (0, "2020-04-01", "event_death")),
        ("2020-04-02", "event", (0, "2020-04-02", "event_death")),
        ("2020-12-31", "event", (0, "2020-12-31", "event_death")),
    ],
)
def test_death_without_post_baseline_assessment(
    leader: Protocol, death: str, rule: str, expected: tuple[int, str, str]
) -> None:
    """A death with no adequate post-baseline assessment: the FDA 2018 table censors it after
    more than one missed assessment (either side of day 91), admiralonco counts it."""
    frame = make_adsl({"S1": {"TRTSDT": START, "DTHDT": death}})
    rs = make_rs([("S1", "2020-02-12", "NE")])
    adrs = derive_adrs(rs, adsl=frame, protocol=leader)
    adtte = derive_adtte(adrs, adsl=frame, protocol=leader,
                         death_without_assessment=rule)  # type: ignore[arg-type]
    cnsr, adt, arule = expected
    _check(pick(adtte, "S1", "PFS"), cnsr=cnsr, day=adt, rule=arule)
    assert pick(adtte, "S1", "OS")["CNSR"] == 0  # OS counts every death


@pytest.mark.parametrize(("rule", "cnsr", "arule"),
                         [("fda", 1, "censor_no_baseline"), ("event", 0, "event_death")])
def test_death_without_baseline_assessment(
    leader: Protocol, rule: str, cnsr: int, arule: str
) -> None:
    """No tumour data at all and a death 30 days in: FDA row 1 censors at the start (day 1);
    the admiralonco template has no baseline rule and counts the death (day 31)."""
    frame = make_adsl({"S1": {"TRTSDT": START, "DTHDT": "2020-01-31"}})
    rs = pd.DataFrame(columns=["USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC", "RSEVAL"])
    tu = pd.DataFrame({"USUBJID": ["S9"], "TUSTRESC": ["TARGET"]})
    adrs = derive_adrs(rs, adsl=frame, protocol=leader)
    adtte = derive_adtte(adrs, adsl=frame, protocol=leader, tu=tu,
                         death_without_assessment=rule)  # type: ignore[arg-type]
    pfs = pick(adtte, "S1", "PFS")
    assert (pfs["CNSR"], pfs["ARULE"]) == (cnsr, arule)
    assert pfs["AVAL"] == (1.0 if cnsr else 31.0)
    assert pick(adrs, "S1", "BOR")["AVALC"] == "MISSING"
