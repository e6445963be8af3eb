"""ADRS iRECIST parameters (admiralonco iRECIST vignette naming) and ADTTE IPFS (Seymour et al.,
Lancet Oncol 2017;18:e143) from TU/TR carrying new-lesion measurements, and
``oncotrial derive --criteria recist,choi,irecist``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc import write_dataset
from oncotrial.cdisc.adam import derive_adam
from oncotrial.cdisc.adam.adrs_irecist import IRECIST_PARAMS, derive_irecist_adrs
from oncotrial.cdisc.spec import load_specification
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from tests.cdisc.adam.conftest import pick
from tests.cdisc.test_sdtm_irecist import irecist_sdtm
from tests.cdisc.test_sdtm_tumour import _tr, _tu


def _sdtm(*, density: bool = False) -> dict[str, pd.DataFrame]:
    """The SDTM of tests/cdisc/test_sdtm_irecist.py plus S4: a new lesion at week 12 (iUPD),
    the target not read at week 18 (iUPD stays: nothing shrank): never confirmed."""
    sdtm = irecist_sdtm()
    tu = pd.DataFrame([_tu("S4", "T01", "TARGET", "LIVER"), _tu("S4", "N01", "NEW", "LUNG",
                                                                 visit=2)])
    tr = pd.DataFrame([*[_tr("S4", "T01", "LDIAM", v, d) for v, d in enumerate([40, 40, 40])],
                       _tr("S4", "T01", "LDIAM", 3, None, stat="NOT DONE"),
                       _tr("S4", "N01", "LDIAM", 2, 11)])
    sdtm["TU"] = pd.concat([sdtm["TU"], tu], ignore_index=True)
    sdtm["TR"] = pd.concat([sdtm["TR"], tr], ignore_index=True)
    if density:
        target = sdtm["TR"]["TRLNKID"].str.startswith("T") & (sdtm["TR"]["TRTESTCD"] == "LDIAM")
        atten = sdtm["TR"].loc[target].assign(TRTESTCD="ATTEN", TRSTRESN=60.0,
                                              TRSTRESC="60", TRORRES="60", TRSTRESU="HU")
        sdtm["TR"] = pd.concat([sdtm["TR"], atten], ignore_index=True)
    sdtm["DM"] = pd.concat([sdtm["DM"], sdtm["DM"].iloc[[0]].assign(USUBJID="S4")],
                           ignore_index=True)
    sdtm["EX"] = pd.concat([sdtm["EX"], sdtm["EX"].iloc[[0]].assign(USUBJID="S4")],
                           ignore_index=True)
    return sdtm


def test_irecist_parameters_and_ipfs(leader: Protocol) -> None:
    """S1 iUPD → iCPD (+6 mm): ICPD Y at the iUPD, IPFS event there; S2 iUPD reset by iPR:
    IBOR iPR, ICBOR iSD, IPFS censored, yet RECIST PFS an event at the new lesion; S4 iUPD
    never confirmed: IUPD Y and IPFS event at the iUPD."""
    result = derive_adam(_sdtm(), protocol=leader, source="TR", criteria=("recist", "irecist"))
    adrs, adtte = result.adrs, result.adtte
    week12 = pd.Timestamp("2020-04-02")
    icpd = pick(adrs, "S1", "ICPD")
    assert (icpd["AVALC"], icpd["ADT"], icpd["PARCAT3"]) == ("Y", week12, "iRECIST")
    assert icpd["PARAM"] == "iRECIST Confirmation of Disease Progression by Investigator"
    assert (pick(adrs, "S1", "IBOR")["AVALC"], pick(adrs, "S1", "ICBOR")["AVALC"]) == (
        "iSD", "iSD")
    assert adrs.loc[(adrs["USUBJID"] == "S1") & (adrs["PARAMCD"] == "IOVR"),
                    "AVALC"].tolist() == ["iSD", "iUPD", "iCPD"]
    s2 = {p: pick(adrs, "S2", p)["AVALC"] for p in ("IBOR", "ICBOR", "IRSP", "ICRSP", "ICPD")}
    assert s2 == {"IBOR": "iPR", "ICBOR": "iSD", "IRSP": "Y", "ICRSP": "N", "ICPD": "N"}
    assert pick(adrs, "S2", "IBOR")["AVAL"] == 5.0  # admiralonco aval_resp_new: iPR 5
    # IUPD is dated at the last iUPD (admiralonco), the iRECIST progression at the first
    iupd = pick(adrs, "S4", "IUPD")
    assert (iupd["AVALC"], iupd["ADT"]) == ("Y", pd.Timestamp("2020-05-14"))
    assert pick(adrs, "S4", "IBOR")["AVALC"] == "iSD"  # iSD at week 6, day 44 ≥ 42
    ipfs = {s: pick(adtte, s, "IPFS") for s in ("S1", "S2", "S4")}
    assert (ipfs["S1"]["CNSR"], ipfs["S1"]["ADT"], ipfs["S1"]["ARULE"]) == (
        0, week12, "event_icpd")
    assert (ipfs["S2"]["CNSR"], ipfs["S2"]["ADT"]) == (1, pd.Timestamp("2020-05-14"))
    assert (pick(adtte, "S2", "PFS")["CNSR"], pick(adtte, "S2", "PFS")["ADT"]) == (0, week12)
    assert (ipfs["S4"]["CNSR"], ipfs["S4"]["ADT"], ipfs["S4"]["ARULE"]) == (
        0, week12, "event_iupd")
    assert ipfs["S1"]["PARAM"] == "iRECIST Progression-Free Survival (days)"
    assert adrs["ASEQ"].groupby(adrs["USUBJID"]).apply(lambda s: s.is_unique).all()
    # RECIST 1.1 parameters are unchanged by adding iRECIST
    alone = derive_adam(_sdtm(), protocol=leader, source="TR").adrs
    recist = adrs.loc[adrs["PARCAT3"] != "iRECIST", ["USUBJID", "PARAMCD", "AVALC", "ADT"]]
    pd.testing.assert_frame_equal(
        recist.reset_index(drop=True),
        alone[["USUBJID", "PARAMCD", "AVALC", "ADT"]].reset_index(drop=True))


def test_bad_irecist_values_and_criteria_are_refused(leader: Protocol) -> None:
    """An RS iRECIST response outside the vocabulary names subject, visit and the allowed
    values; criteria must include recist."""
    result = derive_adam(_sdtm(), protocol=leader, source="TR")
    rs = pd.DataFrame({"USUBJID": ["S1"], "RSTESTCD": "OVRLRESP", "RSCAT": "iRECIST",
                       "RSSTRESC": "PD", "RSDTC": "2020-02-20", "VISIT": "WEEK 6",
                       "VISITNUM": 2.0, "RSEVAL": "INVESTIGATOR"})
    with pytest.raises(DataError, match=r"subject S1, visit WEEK 6.*'PD'.*iCR, iPR"):
        derive_irecist_adrs(rs, adsl=result.adsl, protocol=leader)
    with pytest.raises(DataError, match="recist,choi,irecist"):
        derive_adam(_sdtm(), protocol=leader, criteria=("irecist",))


def test_spec_lists_the_irecist_parameters() -> None:
    """Every iRECIST PARAMCD is in the ADRS parameter codelist with its value list; IPFS in
    the ADTTE one."""
    spec = load_specification("ADaM")
    assert set(IRECIST_PARAMS) <= spec.codelists["ADRSPARM"].values
    assert "IPFS" in spec.codelists["ADTTPARM"].values
    avalc = spec.dataset("ADRS").variable("AVALC")
    assert avalc is not None
    assert all(level.method == "IRECIST" for level in avalc.value_level
               if level.value in IRECIST_PARAMS)


def test_cli_derive_criteria_recist_choi_irecist(tmp_path: Path) -> None:
    """``oncotrial derive --criteria recist,choi,irecist`` writes all three sets of parameters
    and IPFS; a typo in the criteria is refused with the allowed values."""
    for name, frame in _sdtm(density=True).items():
        write_dataset(frame, tmp_path / "sdtm", name, formats=("xpt",))
    args = ["derive", "--sdtm", str(tmp_path / "sdtm"), "--out", str(tmp_path / "adam"),
            "--source", "TR"]
    result = CliRunner().invoke(app, [*args, "--criteria", "recist,choi,irecist"])
    assert result.exit_code == 0, result.output
    adrs = pd.read_csv(tmp_path / "adam" / "adrs.csv", keep_default_na=False)
    s1 = adrs.loc[adrs["USUBJID"] == "S1"].set_index("PARAMCD")["AVALC"]
    # Choi: size −25 % at week 6 is PR (density flat), the new lesion PD
    assert (s1["BOR"], s1["CHOIBOR"], s1["IBOR"], s1["ICPD"]) == ("SD", "PR", "iSD", "Y")
    adtte = pd.read_csv(tmp_path / "adam" / "adtte.csv")
    assert set(adtte["PARAMCD"]) == {"OS", "PFS", "TTP", "DOR", "IPFS"} - {"DOR"}
    result = CliRunner().invoke(app, [*args, "--criteria", "recist,irecst"])
    assert isinstance(result.exception, DataError)
    assert "recist,choi,irecist" in str(result.exception)


def test_recorded_irecist_responses_are_used_when_reading_rs(leader: Protocol) -> None:
    """With ``source="RS"`` the iRECIST parameters come from RS records with RSCAT iRECIST
    (as a study records them, e.g. pharmaversesdtm rs_onco_irecist); recording the responses
    computed from TR gives the same parameters. Without them or lesion data: a clear error."""
    from oncotrial.cdisc.sdtm.tumour import derive_rs_and_issues_from_tr
    from oncotrial.rules.recist import RecistSettings

    sdtm = _sdtm()
    settings = RecistSettings.from_protocol(leader)
    recist_rs, _ = derive_rs_and_issues_from_tr(sdtm, settings=settings)
    irecist_rs, _ = derive_rs_and_issues_from_tr(sdtm, settings=settings, criteria="irecist")
    rs = pd.concat([recist_rs, irecist_rs], ignore_index=True)
    rs["RSSEQ"] = rs.groupby("USUBJID").cumcount() + 1.0
    recorded = {**sdtm, "RS": rs}
    from_rs = derive_adam(recorded, protocol=leader, source="RS",
                          criteria=("recist", "irecist")).adrs
    from_tr = derive_adam(sdtm, protocol=leader, source="TR", criteria=("recist", "irecist")).adrs
    columns = ["USUBJID", "PARAMCD", "AVALC", "ADT"]
    pd.testing.assert_frame_equal(from_rs[columns].reset_index(drop=True),
                                  from_tr[columns].reset_index(drop=True))
    # a recorded iRECIST value is used as recorded: S2's week-18 iPR becomes iSD here
    changed = recorded["RS"].copy()
    changed.loc[(changed["USUBJID"] == "S2") & (changed["RSCAT"] == "iRECIST")
                & (changed["VISIT"] == "WEEK 18"), ["RSORRES", "RSSTRESC"]] = "iSD"
    adrs = derive_adam({**sdtm, "RS": changed}, protocol=leader, source="RS",
                       criteria=("recist", "irecist")).adrs
    assert pick(adrs, "S2", "IBOR")["AVALC"] == "iSD"
    bare = {k: v for k, v in recorded.items() if k not in ("TU", "TR")}
    bare["RS"] = recist_rs
    with pytest.raises(DataError, match="RS with RSCAT iRECIST, or TU and TR"):
        derive_adam(bare, protocol=leader, source="RS", criteria=("recist", "irecist"))
