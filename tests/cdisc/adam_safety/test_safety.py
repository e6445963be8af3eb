"""ADAE, ADEX and ADLB derivations from SDTM AE, EX and LB."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam.safety import derive_adae, derive_adex, derive_adlb, merge_supplemental
from oncotrial.errors import DataError

ADSL = pd.DataFrame({"USUBJID": ["S1", "S2"], "TRTSDT": ["2019-01-01", "2019-02-01"],
                     "TRTEDT": ["2019-03-01", "2019-02-21"], "SAFFL": ["Y", "Y"]})


def _ae(start: str, subject: str = "S1", grade: str = "3") -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [subject], "AESEQ": [1], "AEDECOD": ["Hypertension"],
                         "AETOXGR": [grade], "AESTDTC": [start], "AEENDTC": [""]})


@pytest.mark.parametrize(("start", "emergent"), [
    ("2018-12-31", ""),   # the day before the first dose
    ("2019-01-01", "Y"),  # the day of the first dose
    ("2019-03-31", "Y"),  # last dose + 30 days: still inside the window
    ("2019-04-01", ""),   # last dose + 31 days
])
def test_treatment_emergent_window_both_sides(start: str, emergent: str) -> None:
    """TRTEMFL holds from the first dose to the last dose + the protocol window, inclusive."""
    adae = derive_adae(_ae(start), ADSL, emergent_window_days=30)
    assert adae["TRTEMFL"].iloc[0] == emergent


def test_partial_start_date_imputed_to_first_day() -> None:
    """A start date with a missing day is imputed to the first of the month."""
    adae = derive_adae(_ae("2019-02"), ADSL, emergent_window_days=30)
    assert adae["ASTDT"].iloc[0] == pd.Timestamp("2019-02-01")


@pytest.mark.parametrize(("start", "end", "dates", "flags"), [
    ("2019-02-11", "2019-02-20", ("2019-02-11", "2019-02-20"), ("", "")),
    ("2019-02", "2019-03", ("2019-02-01", "2019-03-31"), ("D", "D")),
    ("2019", "2019", ("2019-01-01", "2019-12-31"), ("M", "M")),
])
def test_imputed_dates_carry_their_flags(start: str, end: str, dates: tuple[str, str],
                                         flags: tuple[str, str]) -> None:
    """ASTDTF/AENDTF say what was imputed (ADaMIG 1.3 §3.1.3; admiral ``derive_vars_dt`` with
    ``flag_imputation = "auto"``: D day, M month and day, empty for a complete date)."""
    ae = _ae(start).assign(AEENDTC=[end])
    row = derive_adae(ae, ADSL, emergent_window_days=30).iloc[0]
    assert (row["ASTDT"], row["AENDT"]) == tuple(pd.Timestamp(d) for d in dates)
    assert (row["ASTDTF"], row["AENDTF"]) == flags


def test_bad_grade_names_field_and_subject() -> None:
    """A CTCAE grade outside 1-5 is refused with the field, value and subject."""
    with pytest.raises(DataError, match=r"subject S1.*AETOXGR='7'"):
        derive_adae(_ae("2019-01-05", grade="7"), ADSL, emergent_window_days=30)


def test_supplemental_qualifiers_become_flags() -> None:
    """SUPPAE AEDLT and per-drug relatedness become DLTFL and REL<drug> flags."""
    supp = pd.DataFrame({"USUBJID": ["S1", "S1"], "IDVAR": ["AESEQ", "AESEQ"],
                         "IDVARVAL": ["1", "1"], "QNAM": ["AEDLT", "AERELLEN"],
                         "QVAL": ["Y", "RELATED"]})
    adae = derive_adae(_ae("2019-01-05"), ADSL, suppae=supp, emergent_window_days=30)
    assert adae["DLTFL"].iloc[0] == "Y"
    assert adae["RELLEN"].iloc[0] == "Y"


def test_supplemental_clash_is_refused() -> None:
    """A SUPP qualifier named like a parent variable is an error, not an overwrite."""
    supp = pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": ["1"],
                         "QNAM": ["AEDECOD"], "QVAL": ["x"]})
    with pytest.raises(DataError, match="AEDECOD"):
        merge_supplemental(_ae("2019-01-05"), supp)


def test_relative_dose_intensity_against_hand_computation() -> None:
    """Eribulin 1.1 mg/m² on days 1 and 8 of two cycles, day 8 of cycle 2 held: RDI 75 %."""
    ex = pd.DataFrame({
        "USUBJID": ["S1"] * 4, "EXTRT": ["ERIBULIN"] * 4, "EXDOSU": ["mg/m2"] * 4,
        "EXDOSE": [1.1, 1.1, 1.1, 0.0],
        "EXSTDTC": ["2019-01-01", "2019-01-08", "2019-01-22", "2019-01-29"],
        "EXENDTC": ["2019-01-01", "2019-01-08", "2019-01-22", "2019-01-29"],
        "EXADJ": ["", "", "", "Neutrophil count decreased"],
    })
    adex = derive_adex(ex, ADSL, cycle_length_days=21, planned_days={"eribulin": [1, 8]})
    values = adex.set_index("PARAMCD")["AVAL"]
    assert values["NCYCLE"] == 2
    assert values["TDOSE"] == pytest.approx(3.3)
    assert values["RDI"] == pytest.approx(75.0)
    assert values["NADJ"] == 1


@pytest.mark.parametrize("cycle", [21, None])
def test_exposure_of_a_drug_without_planned_days_is_summarised(cycle: int | None) -> None:
    """A drug the profile does not know (PLACEBO, XANOMELINE in the CDISC pilot), or any drug
    when no cycle length is known, gets its total dose and adjustments, never a refusal; cycles
    and RDI need planned days and are left out."""
    ex = pd.DataFrame({"USUBJID": ["S1", "S1"], "EXTRT": ["XANOMELINE", "XANOMELINE"],
                       "EXDOSE": [54, 54], "EXDOSU": ["mg", "mg"],
                       "EXSTDTC": ["2019-01-01", "2019-01-15"],
                       "EXENDTC": ["2019-01-14", "2019-01-20"]})
    adex = derive_adex(ex, ADSL, cycle_length_days=cycle, planned_days={"eribulin": [1, 8]})
    values = adex.set_index("PARAMCD")["AVAL"]
    assert values["TDOSE"] == 54 * (14 + 6)
    assert {"NCYCLE", "RDI", "DOSEINT"}.isdisjoint(values.index)
    assert values["NADJ"] == 0


def test_lab_baseline_is_last_value_on_or_before_first_dose() -> None:
    """ABLFL marks the last value on or before TRTSDT; BTOXGRN carries its grade."""
    lb = pd.DataFrame({
        "USUBJID": ["S1"] * 3, "LBTESTCD": ["NEUT"] * 3, "LBTEST": ["Neutrophils"] * 3,
        "LBSTRESU": ["10^9/L"] * 3, "LBSTRESN": [2.0, 1.8, 0.4],
        "LBDTC": ["2018-12-20", "2019-01-01", "2019-01-08"], "LBTOXGR": ["0", "1", "4"],
    })
    adlb = derive_adlb(lb, ADSL)
    assert list(adlb["ABLFL"]) == ["", "Y", ""]
    assert list(adlb["BTOXGRN"]) == [1, 1, 1]
    assert adlb["CHG"].iloc[2] == pytest.approx(-1.4)


def test_reductions_and_holds_are_counted_and_listed_with_their_reasons() -> None:
    """A reduced dose (EXDOSE > 0 with EXADJ) and a held one (EXDOSE 0 with EXADJ) give
    NRED 1 and NHOLD 1, and one DOSEADJ record each carrying the kind, date and reason."""
    ex = pd.DataFrame({
        "USUBJID": ["S1"] * 4, "EXTRT": ["ERIBULIN"] * 4, "EXDOSU": ["mg/m2"] * 4,
        "EXDOSE": [1.1, 0.0, 0.7, 0.7],
        "EXSTDTC": ["2019-01-01", "2019-01-08", "2019-01-15", "2019-01-22"],
        "EXADJ": ["", "ANC below 1.0", "Delayed day-8 dose given reduced", ""],
    })
    adex = derive_adex(ex, ADSL, cycle_length_days=21, planned_days={"eribulin": [1, 8]})
    values = adex[adex["PARAMCD"] != "DOSEADJ"].set_index("PARAMCD")["AVAL"]
    assert (values["NADJ"], values["NRED"], values["NHOLD"]) == (2, 1, 1)
    listed = adex[adex["PARAMCD"] == "DOSEADJ"].sort_values("ADT")
    assert listed["AVALC"].tolist() == ["HELD", "REDUCED"]
    assert listed["ADJREAS"].tolist() == ["ANC below 1.0", "Delayed day-8 dose given reduced"]
    assert listed["ADT"].dt.strftime("%Y-%m-%d").tolist() == ["2019-01-08", "2019-01-15"]


@pytest.mark.parametrize(("date", "day"), [
    ("2018-12-30", -2.0),
    ("2018-12-31", -1.0),  # the day before the first dose: -1, there is no day 0
    ("2019-01-01", 1.0),   # the first dose day
    ("2019-01-02", 2.0),
])
def test_relative_days_have_no_day_zero(date: str, day: float) -> None:
    """ASTDY and ADY as SDTMIG --DY and admiral ``derive_vars_dy``: ``date - TRTSDT + 1`` on or
    after TRTSDT, ``date - TRTSDT`` before it (TRTSDT 2019-01-01)."""
    adae = derive_adae(_ae(date), ADSL, emergent_window_days=30)
    assert adae["ASTDY"].iloc[0] == day
    lb = pd.DataFrame({"USUBJID": ["S1"], "LBTESTCD": ["NEUT"], "LBTEST": ["Neutrophils"],
                       "LBSTRESU": ["10^9/L"], "LBSTRESN": [2.0], "LBDTC": [date],
                       "LBTOXGR": ["0"]})
    assert derive_adlb(lb, ADSL)["ADY"].iloc[0] == day
