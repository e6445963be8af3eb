"""ADTR: sums of target-lesion diameters per assessment, from SDTM TU/TR."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam.adtr import derive_adtr
from oncotrial.rules import RecistSettings

SETTINGS = RecistSettings(confirmation_interval_days=28, min_sd_duration_days=42,
                          too_small_to_measure_mm=5.0, max_target_lesions=5,
                          max_target_per_organ=2)
VISITS = [(1.0, "SCREENING", "2020-01-06"), (2.0, "WEEK 6", "2020-02-20"),
          (3.0, "WEEK 12", "2020-04-02")]


def _sdtm() -> dict[str, pd.DataFrame]:
    tu = pd.DataFrame({"USUBJID": "S1", "TULNKID": ["T01", "T02"], "TUSTRESC": "TARGET",
                       "TULOC": ["LIVER", "LYMPH NODE"], "TUEVAL": "INVESTIGATOR",
                       "TUEVALID": "", "VISITNUM": 1.0, "VISIT": "SCREENING",
                       "TUDTC": "2020-01-06", "TUTESTCD": "TUMIDENT"})
    rows = []
    for lesion, test, values in (("T01", "LDIAM", [40, 25, 20]), ("T02", "LPERP", [20, 12, 9])):
        for (num, name, dtc), value in zip(VISITS, values, strict=True):
            rows.append({"USUBJID": "S1", "TRLNKID": lesion, "TRTESTCD": test,
                         "TRORRES": str(value), "TRSTRESC": str(value),
                         "TRSTRESN": float(value), "TRSTRESU": "mm", "TRSTAT": "",
                         "TREVAL": "INVESTIGATOR", "TREVALID": "", "TRACPTFL": "",
                         "VISITNUM": num, "VISIT": name, "TRDTC": dtc})
    return {"TU": tu, "TR": pd.DataFrame(rows)}


def test_adtr_sums_long_axis_and_nodal_short_axis() -> None:
    """Baseline 40 + 20 = 60 mm; week 6 25 + 12 = 37 mm is −38.3 %; study days from TRTSDT."""
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": ["2020-01-08"]})
    adtr = derive_adtr(_sdtm(), adsl, settings=SETTINGS)
    assert list(adtr["ABLFL"]) == ["Y", "", ""]
    assert list(adtr["AVAL"]) == [60.0, 37.0, 29.0]
    assert adtr["PCHG"].iloc[1] == pytest.approx(100 * (37 - 60) / 60)
    assert adtr["ADY"].iloc[1] == (pd.Timestamp("2020-02-20") - pd.Timestamp("2020-01-08")).days + 1
    # the baseline scan two days before the first dose is day -2 (no day 0, SDTMIG --DY)
    assert adtr["ADY"].iloc[0] == -2
    assert set(adtr["PARAMCD"]) == {"SUMDIAM"}


def test_adtr_other_evaluator_is_empty() -> None:
    """An evaluator with no lesions gives an empty ADTR with the standard columns."""
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": ["2020-01-08"]})
    adtr = derive_adtr(_sdtm(), adsl, settings=SETTINGS, evaluator="INDEPENDENT ASSESSOR")
    assert adtr.empty
    assert "PCHG" in adtr.columns
