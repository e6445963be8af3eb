"""ADTTE time to response: TTR (RECIST 1.1, ADRS CRSP) and CHOITTR (Choi, ADRS CHOICRSP).

Expected values are counted by hand on the calendar (AVAL = ADT − STARTDT + 1 days, the ADTTE
convention of this project and of admiral ``derive_param_tte``).
"""

from __future__ import annotations

import pandas as pd

from oncotrial.cdisc.adam import derive_adam, derive_adrs, derive_adtte
from oncotrial.cdisc.spec import load_specification
from oncotrial.protocol import Protocol
from oncotrial.rules.choi import ChoiSettings
from tests.cdisc.adam.conftest import make_adsl, make_rs, pick
from tests.cdisc.adam.test_adrs_choi import _sdtm as _choi_sdtm
from tests.cdisc.adam.test_derive_from_tr import _sdtm as _recist_sdtm

START = "2020-01-01"  # 2020 is a leap year: February has 29 days

RESPONSES = [
    # S1: PR day 43 (2020-02-12), confirmed 42 days later → TTR 43
    ("S1", "2020-02-12", "PR"), ("S1", "2020-03-25", "PR"),
    # S2: PR not confirmed (SD next), later PR confirmed: TTR from 2020-05-06
    # (31 + 29 + 31 + 30 + 5 = 126 days after 1 January) → 127
    ("S2", "2020-02-12", "PR"), ("S2", "2020-03-25", "SD"), ("S2", "2020-05-06", "PR"),
    ("S2", "2020-06-17", "PR"),
    # S3: PR then PD: never confirmed → no TTR
    ("S3", "2020-02-12", "PR"), ("S3", "2020-03-25", "PD"),
    # S4: second PR 27 days later (< 28, LEADER confirmation interval) → not confirmed
    ("S4", "2020-02-12", "PR"), ("S4", "2020-03-10", "PR"),
    # S5: second PR exactly 28 days later → confirmed, TTR 43
    ("S5", "2020-02-12", "PR"), ("S5", "2020-03-11", "PR"),
]


def _adtte(leader: Protocol) -> pd.DataFrame:
    adsl = make_adsl({s: {"TRTSDT": START} for s in ("S1", "S2", "S3", "S4", "S5")})
    adrs = derive_adrs(make_rs(RESPONSES), adsl=adsl, protocol=leader)
    return derive_adtte(adrs, adsl=adsl, protocol=leader)


def test_ttr_counts_confirmed_responses_only(leader: Protocol) -> None:
    adtte = _adtte(leader)
    ttr = adtte[adtte["PARAMCD"] == "TTR"].set_index("USUBJID")
    assert sorted(ttr.index) == ["S1", "S2", "S5"]
    assert ttr["AVAL"].to_dict() == {"S1": 43.0, "S2": 127.0, "S5": 43.0}
    assert ttr.loc["S2", "ADT"] == pd.Timestamp("2020-05-06")
    assert (ttr["CNSR"] == 0).all()
    row = pick(adtte, "S1", "TTR")
    assert (row["PARAM"], row["EVNTDESC"], row["SRCDOM"], row["SRCVAR"], row["ARULE"]) == (
        "Time to Response (days)", "Confirmed Response", "ADRS", "ADT", "event_crsp")
    assert row["STARTDT"] == pd.Timestamp(START)
    assert "CHOITTR" not in set(adtte["PARAMCD"])  # no Choi parameters in ADRS


def test_ttr_source_sequence_points_at_the_crsp_record(leader: Protocol) -> None:
    adsl = make_adsl({"S1": {"TRTSDT": START}})
    adrs = derive_adrs(make_rs(RESPONSES[:2]), adsl=adsl, protocol=leader)
    adtte = derive_adtte(adrs, adsl=adsl, protocol=leader)
    crsp = pick(adrs, "S1", "CRSP")
    assert pick(adtte, "S1", "TTR")["SRCSEQ"] == crsp["ASEQ"]


def test_choi_ttr_beside_recist_from_tr(leader: Protocol) -> None:
    """Density 80 → 64 HU (−20 %) at week 6 (2020-02-20), confirmed at week 12: Choi PR, RECIST
    SD (size −5 %). First dose 2020-01-08: 24 + 20 = 44 days → CHOITTR 44, no TTR."""
    adtte = derive_adam(_choi_sdtm(), protocol=leader, source="TR",
                        criteria=("recist", "choi")).adtte
    row = pick(adtte, "S1", "CHOITTR")
    assert (row["AVAL"], row["ADT"], row["CNSR"]) == (44.0, pd.Timestamp("2020-02-20"), 0)
    assert row["EVNTDESC"] == "Confirmed Response by Choi Criteria"
    assert "TTR" not in set(adtte["PARAMCD"])
    # the same subject by size: PR at week 6 confirmed at week 12 → TTR 44
    recist = derive_adam(_recist_sdtm(), protocol=leader, source="TR").adtte
    assert pick(recist, "S1", "TTR")["AVAL"] == 44.0


def test_unconfirmed_choi_response_gives_no_choi_ttr(leader: Protocol) -> None:
    """Modified Choi (size and density): PR only at week 18, never confirmed → no CHOITTR."""
    adam = derive_adam(_choi_sdtm(), protocol=leader, source="TR", criteria=("recist", "choi"),
                       choi=ChoiSettings(variant="modified"))
    assert pick(adam.adrs, "S1", "CHOIBOR")["AVALC"] == "PR"
    assert pick(adam.adrs, "S1", "CHOICRSP")["AVALC"] == "N"
    assert "CHOITTR" not in set(adam.adtte["PARAMCD"])


def test_spec_lists_time_to_response() -> None:
    spec = load_specification("ADaM")
    assert {"TTR", "CHOITTR"} <= spec.codelists["ADTTPARM"].values
    assert "CHOICRSP" in spec.codelists["ADRSPARM"].values
    assert "TTR" in spec.methods
