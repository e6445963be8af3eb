"""``--source TR``: timepoint responses computed from lesion measurements by the RECIST engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from oncotrial.cdisc import write_dataset
from oncotrial.cdisc.adam import derive_adam
from oncotrial.cli import app
from oncotrial.protocol import Protocol
from tests.cdisc.adam.conftest import pick

VISITS = [(1.0, "SCREENING", "2020-01-06"), (2.0, "WEEK 6", "2020-02-20"),
          (3.0, "WEEK 12", "2020-04-02"), (4.0, "WEEK 18", "2020-05-14")]
LONG_AXIS = [40.0, 25.0, 24.0, 40.0]  # PR (−37.5 %), PR confirmed 42 days later, PD (+67 % nadir)


def _sdtm() -> dict[str, pd.DataFrame]:
    dm = pd.DataFrame({"STUDYID": ["LEADER"], "USUBJID": ["S1"], "RFSTDTC": ["2020-01-08"]})
    ex = pd.DataFrame({"USUBJID": ["S1"], "EXTRT": ["LENVATINIB"], "EXDOSE": [14.0],
                       "EXSTDTC": ["2020-01-08"], "EXENDTC": ["2020-05-20"]})
    tu = pd.DataFrame({"STUDYID": ["LEADER"], "USUBJID": ["S1"], "TULNKID": ["T01"],
                       "TUSTRESC": ["TARGET"], "TULOC": ["LIVER"], "TUEVAL": ["INVESTIGATOR"],
                       "VISITNUM": [1.0], "VISIT": ["SCREENING"], "TUDTC": ["2020-01-06"]})
    tr = pd.DataFrame([
        {"STUDYID": "LEADER", "USUBJID": "S1", "TRLNKID": "T01", "TRTESTCD": "LDIAM",
         "TRORRES": str(d), "TRSTRESC": str(d), "TRSTRESN": d, "TRSTRESU": "mm",
         "TREVAL": "INVESTIGATOR", "VISITNUM": num, "VISIT": name, "TRDTC": dtc}
        for (num, name, dtc), d in zip(VISITS, LONG_AXIS, strict=True)
    ])
    return {"DM": dm, "EX": ex, "TU": tu, "TR": tr}


def _recorded_rs() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSEVAL": "INVESTIGATOR",
        "RSSTRESC": ["PR", "PR", "PD"], "RSDTC": [v[2] for v in VISITS[1:]],
        "VISIT": [v[1] for v in VISITS[1:]], "VISITNUM": [v[0] for v in VISITS[1:]],
    })


def test_responses_from_measurements_drive_adrs_and_adtte(leader: Protocol) -> None:
    """PR, confirmed PR, then PD from the diameters give CBOR PR and a PFS event at the PD."""
    result = derive_adam(_sdtm(), protocol=leader, source="TR")
    assert pick(result.adrs, "S1", "CBOR")["AVALC"] == "PR"
    assert pick(result.adrs, "S1", "CRSP")["ADT"] == pd.Timestamp("2020-02-20")
    pfs = pick(result.adtte, "S1", "PFS")
    assert (pfs["CNSR"], pfs["ADT"]) == (0, pd.Timestamp("2020-05-14"))
    assert pfs["AVAL"] == (date(2020, 5, 14) - date(2020, 1, 8)).days + 1
    assert result.start_date == "TRTSDT"


def test_tr_source_agrees_with_the_same_recorded_responses(leader: Protocol) -> None:
    """ADRS subject-level values from TR equal those from RS holding the same responses."""
    from_tr = derive_adam(_sdtm(), protocol=leader, source="TR").adrs
    from_rs = derive_adam({**_sdtm(), "RS": _recorded_rs()}, protocol=leader, source="RS").adrs
    keys = ["PARAMCD", "AVALC", "ADT"]
    derived_tr = from_tr.loc[from_tr["PARAMCD"] != "OVR", keys].reset_index(drop=True)
    derived_rs = from_rs.loc[from_rs["PARAMCD"] != "OVR", keys].reset_index(drop=True)
    pd.testing.assert_frame_equal(derived_tr, derived_rs)


def test_cli_source_tr(tmp_path: Path) -> None:
    """``oncotrial derive --source TR`` works from XPT files holding only DM, EX, TU and TR."""
    for name, frame in _sdtm().items():
        write_dataset(frame, tmp_path / "sdtm", name, formats=("xpt",))
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(tmp_path / "sdtm"), "--out",
                                      str(tmp_path / "adam"), "--source", "TR"])
    assert result.exit_code == 0, result.output
    adrs = pd.read_csv(tmp_path / "adam" / "adrs.csv")
    assert adrs.loc[adrs["PARAMCD"] == "BOR", "AVALC"].tolist() == ["PR"]
