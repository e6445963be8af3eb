"""ADSL: dates, status and population flags from SDTM."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam import derive_adsl, select_start_date
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, as_profile, override_profile
from oncotrial.protocol.analysis import ADMIRAL_ALIVE_DATES


def sdtm_domains() -> dict[str, pd.DataFrame]:
    """Three subjects: treated responder (S1), treated and died (S2), screen failure (S3)."""
    dm = pd.DataFrame({
        "STUDYID": "LEADER", "USUBJID": ["S1", "S2", "S3"], "SUBJID": ["001", "002", "003"],
        "SITEID": ["01", "01", "02"], "AGE": [54, 61, 47], "SEX": ["F", "M", "F"],
        "ARMCD": ["L14E11", "L18E11", "SCRNFAIL"],
        "ARM": ["Phase II L14 E1.1", "Phase Ib L18 E1.1", "Screen Failure"],
        "ACTARM": ["Phase II L14 E1.1", "Phase Ib L18 E1.1", "Screen Failure"],
        "DTHDTC": ["", "2020-05", ""],
    })
    suppdm = pd.DataFrame({"USUBJID": ["S1", "S2"], "QNAM": ["HISTOL", "HISTOL"],
                           "QVAL": ["LMS", "LPS"]})
    ds = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S2", "S3"],
        "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT", "PROTOCOL MILESTONE",
                  "DISPOSITION EVENT", "DISPOSITION EVENT"],
        "DSDECOD": ["ENROLLED", "COMPLETED", "ENROLLED", "DEATH", "SCREEN FAILURE"],
        "DSSTDTC": ["2019-12-20", "2020-09-01", "2019-12-22", "2020-05", "2019-12-15"],
    })
    ex = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S2"],
        "EXTRT": ["LENVATINIB", "ERIBULIN", "LENVATINIB", "LENVATINIB"],
        "EXDOSE": [14, 1.1, 18, 0],
        "EXSTDTC": ["2020-01-01", "2020-01-01", "2020-01-03", "2020-04-01"],
        "EXENDTC": ["2020-06-30", "2020-01-01", "2020-03-31", "2020-04-20"],
    })
    ae = pd.DataFrame({"USUBJID": ["S2"], "AESEQ": [1], "AETERM": ["Sepsis"],
                       "AEDECOD": ["Sepsis"], "AETOXGR": ["5"], "AESER": ["Y"],
                       "AESTDTC": ["2020-05-02"], "AEENDTC": ["2020-05-10"], "AEOUT": ["FATAL"]})
    rs = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S1"],
        "RSTESTCD": ["OVRLRESP", "OVRLRESP", "OVRLRESP", "ECOG101"],
        "RSCAT": ["RECIST 1.1", "RECIST 1.1", "RECIST 1.1", "ECOG"],
        "RSEVAL": ["INVESTIGATOR", "INVESTIGATOR", "INVESTIGATOR", ""],
        "RSSTRESC": ["PR", "PR", "NE", "1"],
        "RSDTC": ["2020-02-12", "2020-09-01", "2020-02-14", "2019-12-28"],
    })
    tu = pd.DataFrame({"USUBJID": ["S1", "S2"], "TUSTRESC": ["TARGET", "TARGET"],
                       "TUEVAL": ["INVESTIGATOR", "INVESTIGATOR"]})
    cm = pd.DataFrame({"USUBJID": ["S1", "S1"], "CMCAT": ["PRIOR ANTI-CANCER THERAPY",
                                                          "FOLLOW-UP ANTI-CANCER THERAPY"],
                       "CMSTDTC": ["2019-06-01", "2020-10"]})
    return {"DM": dm, "SUPPDM": suppdm, "DS": ds, "EX": ex, "AE": ae, "RS": rs, "TU": tu,
            "CM": cm}


@pytest.fixture
def adsl() -> pd.DataFrame:
    """ADSL of the three subjects, indexed by USUBJID."""
    return derive_adsl(sdtm_domains()).set_index("USUBJID")


def test_treatment_dates_use_valid_doses(adsl: pd.DataFrame) -> None:
    """TRTSDT/TRTEDT come from EX records with a dose > 0 (a zero dose does not count)."""
    assert adsl.loc["S1", "TRTSDT"] == pd.Timestamp("2020-01-01")
    assert adsl.loc["S1", "TRTEDT"] == pd.Timestamp("2020-06-30")
    assert adsl.loc["S2", "TRTEDT"] == pd.Timestamp("2020-03-31")
    assert pd.isna(adsl.loc["S3", "TRTSDT"])
    assert adsl.loc["S1", "TRTDURD"] == 182


def test_flags(adsl: pd.DataFrame) -> None:
    """SAFFL = treated, FASFL = enrolled or treated, ITTFL = randomised, EFFFL = evaluable."""
    assert list(adsl["SAFFL"]) == ["Y", "Y", "N"]
    assert list(adsl["FASFL"]) == ["Y", "Y", "N"]
    assert list(adsl["ITTFL"]) == ["N", "N", "N"]
    # S2 has only an NE assessment: not response-evaluable
    assert list(adsl["EFFFL"]) == ["Y", "N", "N"]


def test_disposition_and_death(adsl: pd.DataFrame) -> None:
    """EOSSTT/DCSREAS from the last disposition event; partial death date imputed safely."""
    assert (adsl.loc["S1", "EOSSTT"], adsl.loc["S1", "DCSREAS"]) == ("COMPLETED", "")
    assert (adsl.loc["S2", "EOSSTT"], adsl.loc["S2", "DCSREAS"]) == ("DISCONTINUED", "DEATH")
    # DTHDTC 2020-05 imputes to 2020-05-01, but the subject was seen alive on 2020-05-02
    # (AE start; the fatal AE's end date does not count): DTHDT is moved to that date
    assert adsl.loc["S2", "LSTALVDT"] == pd.Timestamp("2020-05-02")
    assert adsl.loc["S2", "DTHDT"] == pd.Timestamp("2020-05-02")
    assert adsl.loc["S2", "DTHDTF"] == "D"
    assert adsl.loc["S2", "DTHFL"] == "Y"


def test_last_alive_includes_tumour_assessments(adsl: pd.DataFrame) -> None:
    """LSTALVDT counts RS, DS and CM dates too (admiral's template ignores them); a partial
    date is imputed to the first day as the template's ``convert_dtc_to_dt(highest_imputation
    = "M")`` does, flagged, and traced to its domain and variable."""
    s1 = adsl.loc["S1"]
    # CM 2020-10 (a new therapy was started, so alive in October) beats RS/DS 2020-09-01
    assert (s1["LSTALVDT"], s1["LALVDTF"]) == (pd.Timestamp("2020-10-01"), "D")
    assert (s1["LALVDOM"], s1["LALVVAR"]) == ("CM", "CMSTDTC")
    # S2: the fatal AE's end date (2020-05-10) is the death, not evidence of being alive
    assert adsl.loc["S2", "LSTALVDT"] == pd.Timestamp("2020-05-02")


def test_last_alive_with_the_admiral_template_sources(leader: Protocol) -> None:
    """With the template's sources (AE start/end, LB, TRTEDT) RS, DS and CM do not count:
    S1's last known alive date is its last dose, 2020-06-30, traced to ADSL.TRTEDT."""
    profile = override_profile(as_profile(leader), alive_dates=ADMIRAL_ALIVE_DATES)
    adsl = derive_adsl(sdtm_domains(), protocol=profile).set_index("USUBJID")
    assert adsl.loc["S1", "LSTALVDT"] == pd.Timestamp("2020-06-30")
    assert (adsl.loc["S1", "LALVDOM"], adsl.loc["S1", "LALVVAR"]) == ("ADSL", "TRTEDT")
    assert pd.isna(adsl.loc["S3", "LSTALVDT"])


def test_treatment_datetimes_impute_time_as_admiral(adsl: pd.DataFrame) -> None:
    """TRTSDTM/TRTEDTM: a date without a time gets 00:00:00 (start) or 23:59:59 (end), flagged
    H in TRTSTMF/TRTETMF (admiral ``derive_vars_dtm``, highest_imputation = "h")."""
    s1 = adsl.loc["S1"]
    assert (s1["TRTSDTM"], s1["TRTSTMF"]) == (pd.Timestamp("2020-01-01 00:00:00"), "H")
    assert (s1["TRTEDTM"], s1["TRTETMF"]) == (pd.Timestamp("2020-06-30 23:59:59"), "H")
    assert list(adsl["TRT01P"]) == list(adsl["ARM"])


def test_histology_ecog_and_new_therapy(adsl: pd.DataFrame) -> None:
    """HISTOL from SUPPDM, ECOGBL from the RS ECOG record before dosing, NACTDT from CM."""
    assert list(adsl["HISTOL"]) == ["LMS", "LPS", ""]
    assert adsl.loc["S1", "ECOGBL"] == 1
    assert pd.isna(adsl.loc["S2", "ECOGBL"])
    assert adsl.loc["S1", "NACTDT"] == pd.Timestamp("2020-10-01")  # prior therapy ignored


def test_start_date_default_and_choice(adsl: pd.DataFrame) -> None:
    """Without randomisation the default start is the enrolment date; a choice is checked."""
    frame = adsl.reset_index()
    assert select_start_date(frame) == "ENRLDT"
    assert select_start_date(frame, "TRTSDT") == "TRTSDT"
    with pytest.raises(DataError, match="RANDDT"):
        select_start_date(frame, "RANDDT")


def test_randomisation_date_is_preferred() -> None:
    """When DS has RANDOMIZED records, RANDDT is the default start and ITTFL is set."""
    domains = sdtm_domains()
    domains["DS"] = pd.concat([domains["DS"], pd.DataFrame({
        "USUBJID": ["S1"], "DSCAT": ["PROTOCOL MILESTONE"], "DSDECOD": ["RANDOMIZED"],
        "DSSTDTC": ["2019-12-21"]})], ignore_index=True)
    frame = derive_adsl(domains)
    assert select_start_date(frame) == "RANDDT"
    assert list(frame["ITTFL"]) == ["Y", "N", "N"]


def test_duplicate_dm_subject_raises() -> None:
    """Two DM records for one subject are refused."""
    domains = sdtm_domains()
    domains["DM"] = pd.concat([domains["DM"], domains["DM"].iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="S1"):
        derive_adsl(domains)


@pytest.mark.parametrize(("last_dose", "dlt", "flag"), [
    ("2020-01-21", "", "Y"),  # dosed through day 21 of the 21-day DLT window
    ("2020-01-20", "", "N"),  # stopped on day 20 without a DLT: replaced, not evaluable
    ("2020-01-05", "Y", "Y"),  # stopped early because of a DLT: evaluable
])
def test_dlt_evaluable(leader: Protocol, last_dose: str, dlt: str, flag: str) -> None:
    """DLTEVLFL: a DLT, or dosing through the protocol's DLT window (21 days for LEADER)."""
    domains = {
        "DM": pd.DataFrame({"USUBJID": ["S1"]}),
        "EX": pd.DataFrame({"USUBJID": ["S1"], "EXDOSE": [18.0], "EXSTDTC": ["2020-01-01"],
                            "EXENDTC": [last_dose]}),
        "AE": pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [1], "AESTDTC": ["2020-01-04"]}),
        "SUPPAE": pd.DataFrame({"USUBJID": ["S1"], "IDVAR": ["AESEQ"], "IDVARVAL": ["1"],
                                "QNAM": ["AEDLT"], "QVAL": [dlt]}),
    }
    assert leader.phase_ib.dlt_window_days == 21
    assert derive_adsl(domains, protocol=leader)["DLTEVLFL"].tolist() == [flag]


def test_treatment_and_study_disposition_phase_and_screen_failure() -> None:
    """EPOCH TREATMENT events give EOTSTT/DCTREAS, others EOSSTT; PHASE from SUPPDM;
    SCRFREAS is the screen-failure DSTERM; ENRLFL marks enrolled subjects."""
    domains = sdtm_domains()
    domains["DS"] = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S2", "S3"],
        "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT", "PROTOCOL MILESTONE",
                  "DISPOSITION EVENT", "DISPOSITION EVENT"],
        "DSDECOD": ["ENROLLED", "PROGRESSIVE DISEASE", "ENROLLED", "ADVERSE EVENT",
                    "SCREEN FAILURE"],
        "DSTERM": ["ENROLLED", "Progression", "ENROLLED", "Neutropenia", "ECOG 3 at screening"],
        "EPOCH": ["SCREENING", "TREATMENT", "SCREENING", "TREATMENT", "SCREENING"],
        "DSSTDTC": ["2019-12-20", "2020-06-30", "2019-12-22", "2020-03-31", "2019-12-15"],
    })
    domains["SUPPDM"] = pd.concat([domains["SUPPDM"], pd.DataFrame({
        "USUBJID": ["S1", "S2"], "QNAM": ["PHASE", "PHASE"], "QVAL": ["II", "Phase Ib"]})])
    adsl = derive_adsl(domains).set_index("USUBJID")
    assert list(adsl["EOTSTT"]) == ["DISCONTINUED", "DISCONTINUED", ""]
    assert list(adsl["DCTREAS"]) == ["PROGRESSIVE DISEASE", "ADVERSE EVENT", ""]
    assert list(adsl["EOSSTT"]) == ["ONGOING", "ONGOING", "DISCONTINUED"]
    assert adsl.loc["S3", "DCSREAS"] == "SCREEN FAILURE"
    assert adsl.loc["S3", "SCRFREAS"] == "ECOG 3 at screening"
    assert list(adsl["PHASE"]) == ["II", "Ib", ""]
    assert list(adsl["ENRLFL"]) == ["Y", "Y", "N"]
