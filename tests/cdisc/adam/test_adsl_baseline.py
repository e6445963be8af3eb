"""ADSL baseline disease variables: prior lines (CM), disease sites (TU)."""

from __future__ import annotations

import pandas as pd

from oncotrial.cdisc.adam import derive_adsl

DM = pd.DataFrame({"STUDYID": "S", "USUBJID": ["A", "B", "C", "D"],
                   "SUBJID": ["1", "2", "3", "4"], "SEX": ["F", "M", "F", "M"],
                   "AGE": [50, 60, 70, 80]})  # D is never dosed
EX = pd.DataFrame({"USUBJID": ["A", "B", "C"], "EXTRT": "ERIBULIN", "EXDOSE": [1.9, 1.9, 1.9],
                   "EXSTDTC": ["2019-03-01", "2019-03-05", "2019-03-09"]})


def test_prior_lines_count_anticancer_therapy_started_before_the_first_dose() -> None:
    """A: two prior lines; B: one prior line and a subsequent therapy (not prior) and a
    concomitant drug (not anticancer); C: none, so 0 — not missing — since CM exists; D was
    never dosed, so there is no first dose to count from: missing."""
    cm = pd.DataFrame({
        "USUBJID": ["A", "A", "B", "B", "B", "D"],
        "CMTRT": ["DOXORUBICIN", "GEMCITABINE + DOCETAXEL", "DOXORUBICIN", "PAZOPANIB",
                  "PARACETAMOL", "DOXORUBICIN"],
        "CMCAT": ["PRIOR ANTICANCER", "PRIOR ANTI-CANCER", "PRIOR ANTICANCER",
                  "SUBSEQUENT ANTICANCER", "CONCOMITANT", "PRIOR ANTICANCER"],
        "CMSTDTC": ["2018-01", "2018-09-10", "2018-05-01", "2019-09-01", "2019-03-20",
                    "2018-02"],
    })
    adsl = derive_adsl({"DM": DM, "EX": EX, "CM": cm}).set_index("USUBJID")
    assert adsl["PRIORLN"].drop("D").to_dict() == {"A": 2.0, "B": 1.0, "C": 0.0}
    assert pd.isna(adsl.loc["D", "PRIORLN"])


def test_no_cm_domain_means_no_prior_lines_variable() -> None:
    """Without CM nothing is known about prior therapy: PRIORLN is not made up."""
    assert "PRIORLN" not in derive_adsl({"DM": DM, "EX": EX})


def test_disease_sites_are_distinct_target_and_non_target_locations() -> None:
    """A: lung twice and liver → 2; a NEW lesion does not count; B: one site; C: no TU."""
    tu = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B"],
        "TUSTRESC": ["TARGET", "TARGET", "NON-TARGET", "NEW", "TARGET"],
        "TULOC": ["LUNG", "LUNG", "LIVER", "BONE", "RETROPERITONEUM"],
    })
    adsl = derive_adsl({"DM": DM, "EX": EX, "TU": tu}).set_index("USUBJID")
    assert adsl.loc["A", "NSITES"] == 2
    assert adsl.loc["B", "NSITES"] == 1
    assert pd.isna(adsl.loc["C", "NSITES"])
