"""Differential test: iRECIST best overall response (iBOR, iCBOR) against RECIST 1.1 BOR/CBOR.

Seymour et al., Lancet Oncol 2017;18:e143, build iRECIST on RECIST 1.1: without an iUPD the
categories are RECIST's with an "i" in front (Table 2, rows without previous iUPD), so for a
history of timepoint responses that contains no iUPD the iBOR must be the RECIST BOR of the same
history with the categories renamed (iCR → CR, iPR → PR, iSD → SD, NON-iCR/NON-iUPD →
NON-CR/NON-PD, iCPD → PD, NE → NE), and likewise confirmed. Checked through both iRECIST routes
(:func:`irecist_best_response`, behind ``oncotrial recist assess --criteria irecist``, and ADRS
IBOR/ICBOR of ``oncotrial derive --criteria irecist``) against the RECIST route
(:func:`classify_best_response`, behind ``oncotrial recist assess``). RECIST's CR-followed-by-
worse recoding (RECIST 1.1 Table 3 footnote a) is a RECIST 1.1 rule iRECIST does not apply, so
the RECIST side runs with it off. The eight examples of Seymour 2017 Table 3 are checked through
the ADRS route too (tests/rules/test_irecist.py checks one instance of each through the rules
route), and every instance the table allows (its cells list alternatives) through the rules route;
the table as published: https://pmc.ncbi.nlm.nih.gov/articles/PMC5648544/table/T3 (author
manuscript of Seymour 2017).
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncotrial.cdisc.adam.adrs_irecist import derive_irecist_adrs
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.rules.irecist import IrecistTimepoint, irecist_best_response
from oncotrial.rules.recist import RecistSettings, classify_best_response

START = pd.Timestamp("2021-03-01")
LEADER = load_protocol()
AS_RECIST = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "NON-iCR/NON-iUPD": "NON-CR/NON-PD",
             "iCPD": "PD", "NE": "NE", "MISSING": "MISSING"}
NO_IUPD = ("iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iCPD", "NE")
# day gaps on and beside the 28-day confirmation interval and the 42-day SD minimum (LEADER)
GAPS = (7, 14, 27, 28, 29, 41, 42, 43)

History = list[tuple[int, str]]  # (day from the reference date, iRECIST response)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Timepoint responses without iUPD at strictly increasing days (iCR and iPR drawn often,
    so that confirmations and their failures are common)."""
    responses = draw(st.lists(st.sampled_from(("iCR", "iPR", *NO_IUPD)), min_size=1,
                              max_size=7))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(responses),
                         max_size=len(responses)))
    return [(sum(gaps[: k + 1]), r) for k, r in enumerate(responses)]


def _recist(cases: list[History], *, min_sd_days: int, cr_days: int) -> pd.DataFrame:
    """RECIST 1.1 BOR/CBOR of the renamed histories, by subject S0, S1, …"""
    timepoints = pd.DataFrame(
        [{"subject": f"S{i}", "evaluator": "INVESTIGATOR",
          "date": START + pd.Timedelta(days=day), "overall_response": AS_RECIST[response]}
         for i, case in enumerate(cases) for day, response in case])
    reference = pd.DataFrame({"subject": [f"S{i}" for i in range(len(cases))],
                              "reference_date": START})
    recist = RecistSettings(confirmation_interval_days=cr_days, min_sd_duration_days=min_sd_days,
                            too_small_to_measure_mm=5.0, max_target_lesions=5,
                            max_target_per_organ=2, cr_followed_by_worse_is_pd=False)
    return classify_best_response(timepoints, reference=reference,
                                  settings=recist).set_index("subject")


@settings(max_examples=150, deadline=None)
@given(st.lists(histories(), min_size=1, max_size=12), st.sampled_from((28, 35)))
def test_without_iupd_ibor_is_the_recist_bor_renamed(cases: list[History], cr_days: int) -> None:
    """Rules route (no minimum iSD duration, as Seymour Table 3) against RECIST with none."""
    recist = _recist(cases, min_sd_days=0, cr_days=cr_days)
    for i, case in enumerate(cases):
        points = [IrecistTimepoint(day, response, "") for day, response in case]  # type: ignore[arg-type]
        ibor = irecist_best_response(points)
        icbor = irecist_best_response(points, confirm=True, confirmation_days=cr_days)
        assert (AS_RECIST[ibor], AS_RECIST[icbor]) == tuple(recist.loc[f"S{i}", ["bor", "cbor"]])


def _adrs(cases: list[History], protocol: Protocol) -> pd.DataFrame:
    """ADRS IBOR and ICBOR (indexed by subject and PARAMCD) of the histories as SDTM RS
    (RSCAT iRECIST) records."""
    rs = pd.DataFrame(
        [{"STUDYID": "T", "USUBJID": f"S{i}", "RSTESTCD": "OVRLRESP", "RSCAT": "iRECIST",
          "RSSTRESC": response, "RSSEQ": float(k + 1),
          "RSDTC": (START + pd.Timedelta(days=day)).strftime("%Y-%m-%d")}
         for i, case in enumerate(cases) for k, (day, response) in enumerate(case)])
    adsl = pd.DataFrame({"STUDYID": "T", "USUBJID": [f"S{i}" for i in range(len(cases))],
                         "RANDDT": START, "TRTSDT": START, "NACTDT": pd.NaT})
    adrs = derive_irecist_adrs(rs, adsl=adsl, protocol=protocol)
    best = adrs.loc[adrs["PARAMCD"].isin(["IBOR", "ICBOR"])]
    assert not best.duplicated(["USUBJID", "PARAMCD"]).any()
    return best.set_index(["USUBJID", "PARAMCD"]).sort_index()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=12))
def test_without_iupd_adrs_ibor_is_the_recist_bor_renamed(cases: list[History]) -> None:
    """ADRS route (LEADER: confirmation 28 days, iSD from day 42) against RECIST with the
    same protocol values; the best response is dated by the same assessment."""
    recist_values = LEADER.recist
    recist = _recist(cases, min_sd_days=recist_values.min_sd_duration_days,
                     cr_days=recist_values.confirmation_interval_days)
    adrs = _adrs(cases, LEADER)
    for i in range(len(cases)):
        for paramcd, column in (("IBOR", "bor"), ("ICBOR", "cbor")):
            row = adrs.loc[(f"S{i}", paramcd)]
            assert AS_RECIST[row["AVALC"]] == recist.loc[f"S{i}", column]
            assert row["ADT"] == recist.loc[f"S{i}", f"{column}_date"]


# Seymour 2017 Table 3: timepoint responses at weeks 6, 12, 18, 24, 30 and the published iBOR
# (example 6: nothing after iCPD is assessed under iRECIST)
TABLE3 = (
    (("iCR", "iPR", "NE", "iUPD", "iCPD"), "iCR"),
    (("iUPD", "iSD", "iCR", "NE", "iCPD"), "iCR"),
    (("iUPD", "iPR", "iSD", "iCPD", "NE"), "iPR"),
    (("iUPD", "NE", "iPR", "iUPD", "iCPD"), "iPR"),
    (("iUPD", "iSD", "iUPD", "iCPD", "NE"), "iSD"),
    (("iUPD", "iCPD"), "iCPD"),
    (("iUPD", "iUPD", "iCPD", "NE", "NE"), "iCPD"),
    (("iUPD", "NE", "NE", "NE", "NE"), "iUPD"),
)


@pytest.mark.parametrize("min_sd_days", [0, 42])
def test_table3_examples_through_adrs(min_sd_days: int) -> None:
    """All eight examples in one ADRS (one subject each): IBOR is the published answer, with
    no minimum iSD duration and with LEADER's 42 days (week 6 is day 42: iSD counts)."""
    protocol = LEADER.model_copy(update={"recist": LEADER.recist.model_copy(
        update={"min_sd_duration_days": min_sd_days})})
    cases = [[(42 * (k + 1), r) for k, r in enumerate(responses)] for responses, _ in TABLE3]
    adrs = _adrs(cases, protocol)
    got = [adrs.loc[(f"S{i}", "IBOR"), "AVALC"] for i in range(len(TABLE3))]
    assert got == [best for _, best in TABLE3]
    # examples 6 and 7: the iCPD is dated at the first iUPD of the confirmed run (week 6)
    for i in (5, 6):
        assert adrs.loc[(f"S{i}", "IBOR"), "ADT"] == START + pd.Timedelta(days=42)


# Seymour 2017 Table 3 cell by cell (PMC5648544/table/T3): the responses each of timepoints 1–5
# may take, and the published iBOR ("Any": every category)
ANY = ("iCR", "iPR", "iSD", "iUPD", "iCPD", "NE")
TABLE3_CELLS = (
    ((("iCR",), ("iCR", "iPR", "iUPD", "NE"), ("iCR", "iPR", "iUPD", "NE"), ("iUPD",),
      ("iCPD",)), "iCR"),
    ((("iUPD",), ("iPR", "iSD", "NE"), ("iCR",), ("iCR", "iUPD", "NE"), ANY), "iCR"),
    ((("iUPD",), ("iPR",), ("iPR", "iSD", "iUPD", "NE"), ("iPR", "iSD", "iUPD", "NE", "iCPD"),
      ("iPR", "iSD", "iUPD", "NE", "iCPD")), "iPR"),
    ((("iUPD",), ("iSD", "NE"), ("iPR",), ("iPR", "iSD", "iUPD", "NE"),
      ("iPR", "iSD", "iUPD", "iCPD", "NE")), "iPR"),
    ((("iUPD",), ("iSD",), ("iSD", "iUPD", "NE"), ("iSD", "iUPD", "iCPD", "NE"),
      ("iSD", "iUPD", "iCPD", "NE")), "iSD"),
    ((("iUPD",), ("iCPD",), ANY, ANY, ANY), "iCPD"),
    ((("iUPD",), ("iUPD",), ("iCPD",), ANY, ANY), "iCPD"),
    ((("iUPD",), ("NE",), ("NE",), ("NE",), ("NE",)), "iUPD"),
)


@pytest.mark.parametrize(("cells", "published"), TABLE3_CELLS)
def test_every_instance_of_table3(cells: tuple[tuple[str, ...], ...], published: str) -> None:
    """Each combination the row allows gives the published iBOR (rules route, unconfirmed as
    the table assumes; what follows an iCPD is not analysed)."""
    for responses in itertools.product(*cells):
        points = [IrecistTimepoint(42 * (k + 1), r, "") for k, r in enumerate(responses)]  # type: ignore[arg-type]
        assert irecist_best_response(points) == published, responses


def test_confirmation_does_not_reach_across_iupd() -> None:
    """An iPR is not confirmed by a later iPR with an iUPD between: RECIST 1.1 §4.6 as the
    engine applies it (progression between breaks a confirmation; admiralonco ``crsp_y_pr``,
    no PD allowed between). Both iRECIST routes agree; a second iPR 28 days on confirms."""
    broken = [(42, "iPR"), (84, "iUPD"), (126, "iPR")]
    kept = [(42, "iPR"), (70, "iPR"), (112, "iUPD")]
    for case, expected in ((broken, "iSD"), (kept, "iPR")):
        points = [IrecistTimepoint(day, r, "") for day, r in case]  # type: ignore[arg-type]
        assert irecist_best_response(points, confirm=True) == expected
        assert irecist_best_response(points) == "iPR"
    adrs = _adrs([broken, kept], LEADER)
    assert [adrs.loc[(s, "ICBOR"), "AVALC"] for s in ("S0", "S1")] == ["iSD", "iPR"]
