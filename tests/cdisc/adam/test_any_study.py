"""SDTM from any study: the analysis profile in effect, dates as delivered (partial, with times
and zones), malformed dates and duplicate keys."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam import derive_adam
from oncotrial.cdisc.adam._dates import dates_from_dtc, malformed_dtc
from oncotrial.cdisc.adam.screen import screen_sdtm
from oncotrial.errors import DataError
from oncotrial.protocol import GENERIC_PROFILE, Protocol, choose_profile, override_profile
from tests.cdisc.adam.test_adsl import sdtm_domains


@pytest.mark.parametrize(
    ("dtc", "date", "flag"),
    [
        ("2020-02-12", "2020-02-12", ""),
        ("2020-02-12T10:30", "2020-02-12", ""),
        ("2020-02-12T10:30:15.5Z", "2020-02-12", ""),
        ("2020-02-12T10:30+08:00", "2020-02-12", ""),
        ("2020-02-12T-:30", "2020-02-12", ""),  # SDTMIG: unknown hour
        ("2020-02", "2020-02-01", "D"),
        ("2020", "2020-01-01", "M"),
        ("2020---15", "2020-01-01", "M"),  # SDTMIG: day known, month not → a year only
    ],
)
def test_iso8601_as_sdtm_delivers_it(dtc: str, date: str, flag: str) -> None:
    """Complete and partial ISO 8601 dates, with or without a time or zone, are read; partial
    ones imputed to the first day as admiral (highest_imputation "M") and flagged."""
    values = pd.Series([dtc])
    assert not malformed_dtc(values).iloc[0]
    dates, flags = dates_from_dtc(values, field="X", impute="first", highest="M")
    assert (dates.iloc[0], flags.iloc[0]) == (pd.Timestamp(date), flag)


@pytest.mark.parametrize("bad", ["12/02/2020", "2020-02-30", "2020-13", "2020-02-12 10:30",
                                 "yesterday"])
def test_malformed_dates_are_flagged(bad: str) -> None:
    """Non-ISO text and impossible days are malformed."""
    assert malformed_dtc(pd.Series([bad])).iloc[0]


def test_malformed_date_is_listed_and_the_rest_derived(leader: Protocol) -> None:
    """An RSDTC of 12/02/2020 is listed (dataset, subject, variable, value) and treated as
    missing; the derivation goes on."""
    sdtm = sdtm_domains()
    sdtm["RS"] = sdtm["RS"].assign(RSDTC=["12/02/2020", "2020-09-01", "2020-02-14",
                                          "2019-12-28"])
    result = derive_adam(sdtm, protocol=leader)
    issue = result.issues[result.issues["VALUE"] == "12/02/2020"].iloc[0]
    assert (issue["DATASET"], issue["USUBJID"], issue["VARIABLE"]) == ("RS", "S1", "RSDTC")
    assert issue["ACTION"] == "treated as missing"
    assert len(result.adsl) == 3


def test_duplicate_sequence_numbers_are_refused() -> None:
    """Two AE records with the same AESEQ for one subject are an error naming the subject."""
    ae = pd.DataFrame({"USUBJID": ["S1", "S1"], "AESEQ": [1, 1], "AESTDTC": ["", ""]})
    with pytest.raises(DataError, match="subject S1: AESEQ='1'"):
        screen_sdtm({"DM": pd.DataFrame({"USUBJID": ["S1"]}), "AE": ae})


def test_profile_choice() -> None:
    """LEADER data get the shipped LEADER protocol, other data the generic profile; flags
    override a value and say so; an unknown option is an error naming it."""
    assert choose_profile(None, ["LEADER"]).name == "LEADER protocol"
    generic = choose_profile(None, ["CDISCPILOT01"])
    assert generic.name == GENERIC_PROFILE.name
    assert generic.planned_days == {}
    assert generic.dlt_window_days is None
    changed = override_profile(generic, min_sd_duration_days=56, pfs_rules="EMA")
    assert (changed.recist.min_sd_duration_days, changed.pfs_rules) == (56, "EMA")
    assert changed.sources["min_sd_duration_days"] == "set on the command line"
    with pytest.raises(DataError, match="unknown analysis option"):
        override_profile(generic, sd_days=56)
    with pytest.raises(DataError, match="death_without_assessment"):
        override_profile(generic, death_without_assessment="never")
    # RECIST values are whole numbers at least their minimum (both sides of each bound)
    assert override_profile(generic, min_sd_duration_days=1).recist.min_sd_duration_days == 1
    assert override_profile(generic, confirmation_interval_days=1
                            ).recist.confirmation_interval_days == 1
    assert override_profile(generic, too_small_to_measure_mm=4.5
                            ).recist.too_small_to_measure_mm == 4.5
    for name, bad, words in (("min_sd_duration_days", "56", "not an allowed value"),
                             ("min_sd_duration_days", 55.5, "not an allowed value"),
                             ("max_target_lesions", True, "not an allowed value"),
                             ("min_sd_duration_days", 0, "below the least allowed value"),
                             ("confirmation_interval_days", 0, "below the least"),
                             ("max_target_lesions", 0, "below the least"),
                             ("imaging_window_days", -1, "below the least")):
        with pytest.raises(DataError, match=f"{name}={bad!r}: {words}"):
            override_profile(generic, **{name: bad})
    assert override_profile(generic, imaging_window_days=0).recist.imaging_window_days == 0


def test_generic_profile_without_randomisation_starts_at_first_dose() -> None:
    """A single-arm study without DS RANDOMIZED or ENROLLED records starts at TRTSDT."""
    sdtm = sdtm_domains()
    sdtm["DS"] = sdtm["DS"][sdtm["DS"]["DSDECOD"] != "ENROLLED"]
    result = derive_adam(sdtm, protocol=GENERIC_PROFILE)
    assert result.start_date == "TRTSDT"
    assert "DLTEVLFL" not in result.adsl.columns


def test_study_without_tumour_data(leader: Protocol) -> None:
    """Without RS and TU nothing about response can be derived, but nothing is refused: every
    subject's BOR is MISSING, PFS is censored at the start (or the death counts, as for any
    subject without assessments), OS is derived, and the absence of RS is listed."""
    sdtm = {k: v for k, v in sdtm_domains().items() if k not in {"RS", "TU"}}
    result = derive_adam(sdtm, protocol=leader)
    bor = result.adrs[result.adrs["PARAMCD"] == "BOR"]
    assert set(bor["AVALC"]) == {"MISSING"}
    assert result.issues["ISSUE"].str.startswith("no RS domain").any()
    os_ = result.adtte[result.adtte["PARAMCD"] == "OS"].set_index("USUBJID")
    assert os_.loc["S2", "CNSR"] == 0  # S2 died 2020-05 (imputed to its last AE, 05-02)
    pfs = result.adtte[result.adtte["PARAMCD"] == "PFS"].set_index("USUBJID")
    assert pfs.loc["S1", "ARULE"] == "censor_no_assessment"
