"""ADRS derivations: analysis flags, confirmation, SD window, first-match BOR, errors."""

from __future__ import annotations

import pandas as pd
import pytest

from oncotrial.cdisc.adam import ResponseOptions, derive_adrs, derive_adrs_issues
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from tests.cdisc.adam.conftest import make_adsl, make_rs, pick

START = "2020-01-01"


def _one_subject(
    leader: Protocol, responses: list[tuple[str, str]], *, options: ResponseOptions | None = None,
    nact: str = "",
) -> pd.DataFrame:
    adsl = make_adsl({"S1": {"TRTSDT": START, "NACTDT": nact}})
    rs = make_rs(("S1", d, r) for d, r in responses)
    return derive_adrs(rs, adsl=adsl, protocol=leader, options=options)


def _value(adrs: pd.DataFrame, paramcd: str) -> tuple[str, str]:
    row = pick(adrs, "S1", paramcd)
    date = "" if pd.isna(row["ADT"]) else row["ADT"].strftime("%Y-%m-%d")
    return row["AVALC"], date


@pytest.mark.parametrize(
    ("responses", "cbor", "crsp_date"),
    [
        # PR confirmed exactly 28 days later (boundary is inclusive: ADT_conf >= ADT + 28)
        ([("2020-02-12", "PR"), ("2020-03-11", "PR")], "PR", "2020-02-12"),
        # one day short of 28 days: not confirmed; both ≥ 42 days so BOR falls to SD
        ([("2020-02-12", "PR"), ("2020-03-10", "PR")], "SD", ""),
        # one NE between PR and its confirmation is tolerated (max_nr_ne = 1)
        ([("2020-02-12", "PR"), ("2020-02-26", "NE"), ("2020-03-25", "PR")], "PR", "2020-02-12"),
        # two NE are not
        ([("2020-02-12", "PR"), ("2020-02-20", "NE"), ("2020-02-27", "NE"),
          ("2020-03-25", "PR")], "SD", ""),
        # SD between PR and its confirmation breaks it (accept_sd = FALSE)
        ([("2020-02-12", "PR"), ("2020-02-26", "SD"), ("2020-03-25", "PR")], "SD", ""),
        # PR then CR: the PR is confirmed by the CR
        ([("2020-02-12", "PR"), ("2020-03-25", "CR")], "PR", "2020-02-12"),
        # CR confirmed by CR
        ([("2020-02-12", "CR"), ("2020-03-25", "CR")], "CR", "2020-02-12"),
        # CR followed by PR: the CR is not confirmed (admiralonco: CR→PR is a data issue)
        ([("2020-02-12", "CR"), ("2020-03-25", "PR")], "SD", ""),
        # PD after CR before confirmation: not confirmed, CR ≥ 42 days counts as SD
        ([("2020-02-12", "CR"), ("2020-02-26", "PD")], "SD", ""),
        # unconfirmed early PR then PD: PD (PR before the SD window falls to NE, below PD)
        ([("2020-01-20", "PR"), ("2020-02-05", "PD")], "PD", ""),
    ],
)
def test_confirmation_rules(
    leader: Protocol, responses: list[tuple[str, str]], cbor: str, crsp_date: str
) -> None:
    """CBOR and CRSP follow the admiralonco confirmation rules (28 days, ≤ 1 NE, no SD)."""
    adrs = _one_subject(leader, responses)
    assert _value(adrs, "CBOR")[0] == cbor
    assert _value(adrs, "CRSP") == (("Y", crsp_date) if crsp_date else ("N", ""))
    assert _value(adrs, "CBCP")[0] == ("Y" if cbor in {"CR", "PR"} else "N")


def test_accept_sd_option_allows_one_sd(leader: Protocol) -> None:
    """With accept_sd one SD between a PR and its confirmation is tolerated."""
    responses = [("2020-02-12", "PR"), ("2020-02-26", "SD"), ("2020-03-25", "PR")]
    adrs = _one_subject(leader, responses,
                        options=ResponseOptions(accept_sd_in_confirmation=True))
    assert _value(adrs, "CBOR") == ("PR", "2020-02-12")


@pytest.mark.parametrize(
    ("day", "bor"), [("2020-02-11", "NE"), ("2020-02-12", "SD")]
)
def test_sd_window_boundary(leader: Protocol, day: str, bor: str) -> None:
    """SD counts only from start + 42 days inclusive (day 41 → NE, day 42 → SD)."""
    adrs = _one_subject(leader, [(day, "SD")])
    assert _value(adrs, "BOR") == (bor, day)
    assert _value(adrs, "CB")[0] == ("Y" if bor == "SD" else "N")


def test_early_sd_then_pd_is_pd(leader: Protocol) -> None:
    """Early SD then PD gives BOR PD dated at the PD (NE ranks below PD)."""
    adrs = _one_subject(leader, [("2020-01-20", "SD"), ("2020-02-20", "PD")])
    assert _value(adrs, "BOR") == ("PD", "2020-02-20")
    assert _value(adrs, "PD") == ("Y", "2020-02-20")


def test_non_cr_non_pd_window(leader: Protocol) -> None:
    """NON-CR/NON-PD (non-target disease only) needs the same 42-day window."""
    adrs = _one_subject(leader, [("2020-02-12", "NON-CR/NON-PD")])
    assert _value(adrs, "BOR") == ("NON-CR/NON-PD", "2020-02-12")


def test_worst_of_day_and_records_before_start(leader: Protocol) -> None:
    """Same-day PR and PD keep PD; NE loses to SD; records before the start are ignored."""
    adrs = _one_subject(leader, [
        ("2019-12-20", "CR"),  # before reference date: not analysed
        ("2020-02-12", "NE"), ("2020-02-12", "SD"),
        ("2020-03-25", "PR"), ("2020-03-25", "PD"),
    ])
    ovr = adrs[adrs["PARAMCD"] == "OVR"]
    assert list(ovr.loc[ovr["ANL01FL"] == "Y", "AVALC"]) == ["SD", "PD"]
    assert _value(adrs, "BOR") == ("SD", "2020-02-12")
    assert _value(adrs, "RSP") == ("N", "")


def test_records_after_first_pd_are_cut(leader: Protocol) -> None:
    """A response after the first PD does not count (ANL02FL)."""
    adrs = _one_subject(leader, [("2020-02-12", "PD"), ("2020-03-25", "CR"),
                                 ("2020-05-06", "CR")])
    assert _value(adrs, "BOR") == ("PD", "2020-02-12")
    assert _value(adrs, "CBOR") == ("PD", "2020-02-12")
    assert _value(adrs, "LSTA") == ("CR", "2020-05-06")  # LSTA is not cut (admiralonco)


def test_records_after_new_therapy_are_cut(leader: Protocol) -> None:
    """Assessments on or after new anticancer therapy do not enter the BOR (ANL03FL)."""
    responses = [("2020-02-12", "SD"), ("2020-03-25", "PR"), ("2020-04-22", "PR")]
    adrs = _one_subject(leader, responses, nact="2020-03-25")
    assert _value(adrs, "BOR") == ("SD", "2020-02-12")
    kept = _one_subject(leader, responses, nact="2020-03-25",
                        options=ResponseOptions(cut_at_new_therapy=False))
    assert _value(kept, "CBOR") == ("PR", "2020-03-25")


def test_partial_dates_are_imputed_to_last_day(leader: Protocol) -> None:
    """A missing day is imputed to the month's last day (ADTF D); a missing month is not."""
    adrs = _one_subject(leader, [("2020-02", "SD"), ("2020", "PD")])
    ovr = adrs[adrs["PARAMCD"] == "OVR"].set_index("RSDTC")
    assert ovr.loc["2020-02", "ADT"] == pd.Timestamp("2020-02-29")
    assert ovr.loc["2020-02", "ADTF"] == "D"
    assert pd.isna(ovr.loc["2020", "ADT"])
    assert ovr.loc["2020", "ANL01FL"] == ""


def test_subject_without_assessment_gets_every_parameter(leader: Protocol) -> None:
    """Every ADSL subject gets one record per subject-level parameter (MISSING / N)."""
    adsl = make_adsl({"S1": {"TRTSDT": START}, "S2": {"TRTSDT": START, "DTHDT": "2020-01-15"}})
    adrs = derive_adrs(make_rs([("S1", "2020-02-12", "SD")]), adsl=adsl, protocol=leader)
    per_param = adrs[adrs["PARAMCD"] != "OVR"].groupby("PARAMCD")["USUBJID"].count()
    assert (per_param == 2).all()
    assert set(per_param.index) == {"PD", "RSP", "CB", "BOR", "BCP", "CRSP", "CCB", "CBOR",
                                    "CBCP", "DEATH", "LSTA"}
    assert pick(adrs, "S2", "BOR")["AVALC"] == "MISSING"
    assert pick(adrs, "S2", "DEATH")["AVALC"] == "Y"
    assert pick(adrs, "S2", "BOR")["ARULE"] == "bor_missing"
    assert pick(adrs, "S1", "BOR")["AVAL"] == 3


def test_mdis_from_tu(leader: Protocol) -> None:
    """MDIS is Y for subjects with a TARGET lesion from the evaluator, else N."""
    adsl = make_adsl({"S1": {"TRTSDT": START}, "S2": {"TRTSDT": START}})
    tu = pd.DataFrame({"USUBJID": ["S1", "S2"], "TUSTRESC": ["TARGET", "NON-TARGET"],
                       "TUEVAL": ["INVESTIGATOR", "INVESTIGATOR"]})
    adrs = derive_adrs(make_rs([("S1", "2020-02-12", "SD")]), adsl=adsl, protocol=leader, tu=tu)
    assert pick(adrs, "S1", "MDIS")["AVALC"] == "Y"
    assert pick(adrs, "S2", "MDIS")["AVALC"] == "N"


def test_independent_reader_uses_accepted_records(leader: Protocol) -> None:
    """For an independent assessor only RSACPTFL = Y records count."""
    adsl = make_adsl({"S1": {"TRTSDT": START}})
    rs = make_rs([("S1", "2020-02-12", "PR"), ("S1", "2020-02-12", "SD")],
                 evaluator="INDEPENDENT ASSESSOR").assign(RSACPTFL=["Y", ""])
    adrs = derive_adrs(rs, adsl=adsl, protocol=leader, evaluator="INDEPENDENT ASSESSOR")
    assert pick(adrs, "S1", "BOR")["AVALC"] == "PR"
    assert pick(adrs, "S1", "BOR")["PARAM"].endswith("by Independent Assessor "
                                                     "(confirmation not required)")


def test_unknown_response_is_listed_not_analysed(leader: Protocol) -> None:
    """An RSSTRESC that is no RECIST 1.1 response (iCR, or CHECK in the pharmaverse data) is
    kept as recorded without AVAL, never analysed (admiralonco ``aval_resp()`` gives it none),
    and listed as a data issue naming subject and visit; the other records still count."""
    adrs = _one_subject(leader, [("2020-02-12", "iCR"), ("2020-03-25", "SD")])
    ovr = adrs[adrs["PARAMCD"] == "OVR"].set_index("RSDTC")
    assert ovr.loc["2020-02-12", "AVALC"] == "ICR"
    assert pd.isna(ovr.loc["2020-02-12", "AVAL"])
    assert ovr.loc["2020-02-12", "ANL01FL"] == ""
    assert _value(adrs, "BOR") == ("SD", "2020-03-25")
    issues = derive_adrs_issues(adrs, start_date="TRTSDT")
    row = issues.iloc[0]
    assert (row["USUBJID"], row["VISIT"], row["RSSTRESC"]) == ("S1", "WEEK 0", "iCR")
    assert row["ISSUE"].startswith("not a RECIST 1.1 overall response")


def test_bad_date_raises(leader: Protocol) -> None:
    """A malformed RSDTC raises a DataError naming the field and subject."""
    with pytest.raises(DataError, match=r"subject S1.*RSDTC='12/02/2020'"):
        _one_subject(leader, [("12/02/2020", "SD")])


@pytest.mark.parametrize(
    ("recode", "cbor", "bor"),
    [(False, "SD", "CR"),  # admiralonco: the CR is simply not confirmed
     (True, "PD", "CR")],  # RECIST 1.1 Table 3 footnote: PR after a true CR is PD
)
def test_cr_followed_by_pr(leader: Protocol, recode: bool, cbor: str, bor: str) -> None:
    """CR then PR: SD by admiralonco's convention, PD with the RECIST Table 3 recoding."""
    responses = [("2020-01-29", "CR"), ("2020-03-11", "PR")]  # the PR is ≥ 42 days
    adrs = _one_subject(leader, responses,
                        options=ResponseOptions(cr_followed_by_worse_is_pd=recode))
    assert _value(adrs, "CBOR")[0] == cbor
    assert _value(adrs, "BOR")[0] == bor
    ovr = adrs[adrs["PARAMCD"] == "OVR"].set_index("RSDTC")
    assert ovr.loc["2020-03-11", "RSSTRESC"] == "PR"
    assert ovr.loc["2020-03-11", "ARULE"] == ("cr_followed_by_worse_is_pd" if recode else "")


def test_rs_subject_missing_from_adsl_raises(leader: Protocol) -> None:
    """An RS record for a subject that is not in ADSL is refused, naming the subject."""
    adsl = make_adsl({"S1": {"TRTSDT": START}})
    with pytest.raises(DataError, match="subject S9"):
        derive_adrs(make_rs([("S9", "2020-02-12", "SD")]), adsl=adsl, protocol=leader)


def test_empty_rs_gives_missing_for_everyone(leader: Protocol) -> None:
    """Without any response record every subject still gets BOR MISSING and RSP N."""
    adsl = make_adsl({"S1": {"TRTSDT": START}})
    rs = pd.DataFrame(columns=["USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC", "RSEVAL"])
    adrs = derive_adrs(rs, adsl=adsl, protocol=leader)
    assert pick(adrs, "S1", "BOR")["AVALC"] == "MISSING"
    assert pick(adrs, "S1", "RSP")["AVALC"] == "N"


def test_clinical_benefit_takes_the_earlier_event(leader: Protocol) -> None:
    """CB is dated by the earlier of response and ≥ 42-day SD (admiralonco vignette adrs.Rmd,
    "Derive Clinical Benefit Parameter": ``ignore_event_order = TRUE``, the earlier date wins,
    not the first event in the list)."""
    adrs = _one_subject(leader, [("2020-02-12", "SD"), ("2020-03-25", "PR")])
    assert _value(adrs, "CB") == ("Y", "2020-02-12")
    assert _value(adrs, "RSP") == ("Y", "2020-03-25")
    early = _one_subject(leader, [("2020-01-29", "PR"), ("2020-02-26", "SD")])
    assert _value(early, "CB") == ("Y", "2020-01-29")  # response before the SD window counts


def test_data_issues_are_listed(leader: Protocol) -> None:
    """ND, partial and pre-start dates, same-day duplicates and CR→PR are listed with the action."""
    adrs = _one_subject(leader, [
        ("2019-12-20", "SD"), ("2020-02", "SD"), ("2020-03-11", "CR"), ("2020-03-11", "NE"),
        ("2020-04-22", "PR"), ("2020-05-06", "ND"), ("2020", "PD"),
    ])
    issues = derive_adrs_issues(adrs, start_date="TRTSDT")
    found = set(zip(issues["RSDTC"], issues["ISSUE"], strict=True))
    assert found == {
        ("2019-12-20", "assessment before the reference start date"),
        ("2020-02", "day of assessment date missing"),
        ("2020-03-11", "another assessment on the same date"),
        ("2020-04-22", "CR followed by PR, SD or NON-CR/NON-PD"),
        ("2020-05-06", "not a RECIST 1.1 overall response (ND, blank or other text)"),
        ("2020", "assessment date missing or without month"),
    }
    assert list(issues.columns) == ["USUBJID", "VISIT", "RSDTC", "RSSTRESC", "ISSUE", "ACTION"]


def test_evaluator_selection(leader: Protocol) -> None:
    """Blank RSEVAL is the investigator; a reader is found by RSEVALID; without any accepted
    flag all of a reader's records count."""
    adsl = make_adsl({"S1": {"TRTSDT": START}})
    rs = pd.DataFrame({
        "USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSDTC": ["2020-02-12", "2020-02-12"],
        "RSSTRESC": ["SD", "PR"], "RSEVAL": ["", "OTHER"], "RSEVALID": ["", "RECIST ENGINE"],
        "RSACPTFL": ["", ""],
    })
    investigator = derive_adrs(rs, adsl=adsl, protocol=leader)
    engine = derive_adrs(rs, adsl=adsl, protocol=leader, evaluator="RECIST ENGINE")
    assert pick(investigator, "S1", "BOR")["AVALC"] == "SD"
    assert pick(engine, "S1", "BOR")["AVALC"] == "PR"
