"""ADRS Choi parameters (CHOIOVR, CHOIBOR, CHOICBOR) from TU/TR with density, beside RECIST."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc import write_dataset
from oncotrial.cdisc.adam import derive_adam
from oncotrial.cdisc.adam.adrs import CHOI_PARAMS
from oncotrial.cdisc.spec import load_specification
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol
from tests.cdisc.adam.conftest import pick
from tests.cdisc.adam.test_derive_from_tr import VISITS
from tests.cdisc.adam.test_derive_from_tr import _sdtm as _recist_sdtm

# size 40 → 38 → 37 → 36 mm (-5, -7.5, -10 %: RECIST SD throughout);
# density 80 → 64 → 60 → 60 HU (-20, -25, -25 %: Choi PR from week 6, confirmed at week 12)
SIZE = [40.0, 38.0, 37.0, 36.0]
DENSITY = [80.0, 64.0, 60.0, 60.0]


def _sdtm(*, density: bool = True) -> dict[str, pd.DataFrame]:
    sdtm = _recist_sdtm()
    tr = sdtm["TR"].copy()
    tr["TRSTRESN"] = SIZE
    tr["TRORRES"] = tr["TRSTRESC"] = [str(v) for v in SIZE]
    if density:
        atten = tr.assign(TRTESTCD="ATTEN", TRSTRESN=DENSITY, TRSTRESU="HU",
                          TRORRES=[str(v) for v in DENSITY], TRSTRESC=[str(v) for v in DENSITY])
        tr = pd.concat([tr, atten], ignore_index=True)
    return {**sdtm, "TR": tr}


def test_choi_parameters_beside_recist(leader: Protocol) -> None:
    """RECIST BOR SD, Choi BOR/CBOR PR; CHOIOVR one per assessment; ASEQ unique per subject."""
    adrs = derive_adam(_sdtm(), protocol=leader, source="TR", criteria=("recist", "choi")).adrs
    assert pick(adrs, "S1", "CBOR")["AVALC"] == "SD"
    assert pick(adrs, "S1", "CHOIBOR")["AVALC"] == "PR"
    cbor = pick(adrs, "S1", "CHOICBOR")
    assert (cbor["AVALC"], cbor["ADT"]) == ("PR", pd.Timestamp(VISITS[1][2]))
    assert cbor["PARCAT3"] == "CHOI"
    assert cbor["PARAM"] == "Best Confirmed Overall Response by Choi Criteria by Investigator"
    ovr = adrs.loc[adrs["PARAMCD"] == "CHOIOVR"]
    assert ovr["AVALC"].tolist() == ["PR", "PR", "PR"]
    assert adrs["ASEQ"].is_unique
    # RECIST parameters are the same with or without Choi
    alone = derive_adam(_sdtm(), protocol=leader, source="TR").adrs
    recist = adrs.loc[adrs["PARCAT3"] != "CHOI", ["PARAMCD", "AVALC", "ADT"]]
    pd.testing.assert_frame_equal(recist.reset_index(drop=True),
                                  alone[["PARAMCD", "AVALC", "ADT"]].reset_index(drop=True))


def test_choi_without_density_or_bad_criteria_is_an_error(leader: Protocol) -> None:
    """No density in TR: the error names subject, visit and lesion; criteria must include
    recist and name only recist and choi."""
    with pytest.raises(DataError, match=r"subject S1, visit SCREENING.*lesion T01"):
        derive_adam(_sdtm(density=False), protocol=leader, criteria=("recist", "choi"))
    with pytest.raises(DataError, match="recist,choi"):
        derive_adam(_sdtm(), protocol=leader, criteria=("choi",))


def test_spec_lists_the_choi_parameters() -> None:
    """Every Choi PARAMCD written is in the ADRS parameter codelist and the AVALC value list."""
    spec = load_specification("ADaM")
    codes = {code for code, _ in CHOI_PARAMS.values()}
    assert codes <= spec.codelists["ADRSPARM"].values
    avalc = spec.dataset("ADRS").variable("AVALC")
    assert avalc is not None
    assert codes <= {level.value for level in avalc.value_level}
    assert all(level.method == "CHOI" for level in avalc.value_level if level.value in codes)
    assert "CHOI" in spec.methods


def test_cli_derive_criteria_recist_choi(tmp_path: Path) -> None:
    """``oncotrial derive --criteria recist,choi`` writes the Choi parameters to adrs.csv."""
    for name, frame in _sdtm().items():
        write_dataset(frame, tmp_path / "sdtm", name, formats=("xpt",))
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(tmp_path / "sdtm"), "--out",
                                      str(tmp_path / "adam"), "--source", "TR",
                                      "--criteria", "recist,choi"])
    assert result.exit_code == 0, result.output
    adrs = pd.read_csv(tmp_path / "adam" / "adrs.csv")
    best = adrs.set_index("PARAMCD")["AVALC"]
    assert (best["BOR"], best["CHOIBOR"], best["CHOICBOR"]) == ("SD", "PR", "PR")
    profile = pd.read_csv(tmp_path / "adam" / "analysis_profile.csv").set_index("SETTING")
    assert profile.loc["choi_variant", "VALUE"] == "choi"
    # modified Choi: size -10 % only at week 18, density -25 %: PR unconfirmed, CBOR SD
    result = CliRunner().invoke(app, ["derive", "--sdtm", str(tmp_path / "sdtm"), "--out",
                                      str(tmp_path / "adam2"), "--source", "TR",
                                      "--criteria", "recist,choi", "--choi-variant", "modified"])
    assert result.exit_code == 0, result.output
    adrs = pd.read_csv(tmp_path / "adam2" / "adrs.csv")
    best = adrs.set_index("PARAMCD")["AVALC"]
    assert (best["CHOIBOR"], best["CHOICBOR"]) == ("PR", "SD")
