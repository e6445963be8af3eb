"""SDTM TR with tumour density (TRTESTCD ATTEN, HU) → Choi responses through the reader, the
assessment and ``oncotrial recist assess --criteria choi``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.io import read_domain
from oncotrial.cdisc.sdtm._tumour_issues import IssueLog
from oncotrial.cdisc.sdtm._tumour_read import build_recist_input
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.rules.choi import ChoiSettings
from tests.cdisc.test_sdtm_tumour import LEADER, _tr, _tu, _write


def _sdtm(with_density: bool = True) -> dict[str, pd.DataFrame]:
    """S1: size +5 % then +3.75 %, density 70 → 42.5 HU: Choi PR, RECIST SD.
    S2: size +12 %, density flat: Choi PD (>= +10 %), RECIST SD (< +20 %)."""
    tu = [
        _tu("S1", "T01", "TARGET", "LIVER"),
        _tu("S1", "T02", "TARGET", "LIVER"),
        _tu("S2", "T01", "TARGET", "LUNG"),
    ]
    tr = [
        *[_tr("S1", "T01", "LDIAM", v, d) for v, d in enumerate([50, 52, 52])],
        *[_tr("S1", "T02", "LDIAM", v, d) for v, d in enumerate([30, 32, 31])],
        *[_tr("S2", "T01", "LDIAM", v, d) for v, d in enumerate([50, 56])],
    ]
    if with_density:
        tr += [
            *[_tr("S1", "T01", "ATTEN", v, h, unit="HU") for v, h in enumerate([80, 50, 45])],
            *[_tr("S1", "T02", "ATTEN", v, h, unit="HU") for v, h in enumerate([60, 45, 40])],
            *[_tr("S2", "T01", "ATTEN", v, h, unit="HU") for v, h in enumerate([70, 69])],
        ]
    dm = pd.DataFrame(
        {"STUDYID": "LEADER", "DOMAIN": "DM", "USUBJID": ["S1", "S2"],
         "RFSTDTC": ["2020-01-08", "2020-01-08"]}
    )
    return {"TU": pd.DataFrame(tu), "TR": pd.DataFrame(tr), "DM": dm}


def test_reader_carries_density_per_lesion_and_visit() -> None:
    """ATTEN records become ``density_hu`` beside the diameter of the same lesion and visit."""
    sdtm = _sdtm()
    read = build_recist_input(sdtm["TU"], sdtm["TR"], IssueLog())
    m = read.measurements.set_index(["subject", "lesion_id", "visitnum"])
    assert m.loc[("S1", "T02", 3.0), ["diameter_mm", "density_hu"]].tolist() == [31.0, 40.0]
    assert m.loc[("S2", "T01", 2.0), "density_hu"] == 69.0


def test_density_in_a_wrong_unit_is_listed_and_not_used() -> None:
    """An attenuation not in HU is listed (unit_not_allowed) and treated as not measured."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    tr.loc[(tr["TRTESTCD"] == "ATTEN") & (tr["USUBJID"] == "S2"), "TRSTRESU"] = "mg/mL"
    log = IssueLog()
    read = build_recist_input(sdtm["TU"], tr, log)
    issues = log.frame()
    assert set(issues.loc[issues["USUBJID"] == "S2", "ISSUE"]) == {"unit_not_allowed"}
    assert read.measurements.loc[read.measurements["subject"] == "S2", "density_hu"].isna().all()


def test_choi_and_recist_from_the_same_tr() -> None:
    """S1 is SD by RECIST 1.1 but PR (confirmed) by Choi; S2 is SD by RECIST, PD by Choi."""
    sdtm = _sdtm()
    recist = derive_tumour_assessment(sdtm, settings=LEADER)
    choi = derive_tumour_assessment(sdtm, settings=LEADER, criteria="choi")
    bor = {c: a.summary.set_index("USUBJID")["CBOR"].to_dict() for c, a in
           (("recist", recist), ("choi", choi))}
    assert bor == {"recist": {"S1": "SD", "S2": "SD"}, "choi": {"S1": "PR", "S2": "PD"}}
    assert set(choi.rs["RSCAT"]) == {"CHOI"}
    assert set(choi.rs["RSTESTCD"]) == {"NTRGRESP", "NEWLPROG", "OVRLRESP"}
    s1 = choi.timepoints.loc[choi.timepoints["subject"] == "S1"]
    assert s1["overall_rule"].tolist() == ["choi_pr_size_or_density"] * 2
    modified = derive_tumour_assessment(
        sdtm, settings=LEADER, criteria="choi", choi=ChoiSettings(variant="modified")
    )
    assert modified.summary.set_index("USUBJID")["CBOR"].to_dict() == {"S1": "SD", "S2": "PD"}


def test_choi_without_density_names_subject_visit_lesion() -> None:
    """TR without ATTEN: a Choi assessment stops with an error naming where density lacks."""
    with pytest.raises(DataError, match=r"subject S1, visit SCREENING.*lesion T01"):
        derive_tumour_assessment(_sdtm(with_density=False), settings=LEADER, criteria="choi")
    with pytest.raises(DataError, match="criteria"):
        derive_tumour_assessment(_sdtm(), settings=LEADER, criteria="who")


def test_cli_criteria_choi(tmp_path: Path) -> None:
    """``recist assess --criteria choi`` writes Choi RS; without density it exits 1 with the
    subject, visit and lesion; an unknown criteria value is refused with the allowed ones."""
    _write(_sdtm(), tmp_path / "sdtm", "csv")
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["recist", "assess", "--sdtm", str(tmp_path / "sdtm"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--criteria", "choi"])
    assert result.exit_code == 0, result.output
    assert "criteria: Choi (PD reference baseline" in result.output
    rs = read_domain(out, "rs")
    assert rs is not None
    s1 = rs.loc[(rs["USUBJID"] == "S1") & (rs["RSTESTCD"] == "OVRLRESP"), "RSSTRESC"]
    assert s1.tolist() == ["PR", "PR"]
    _write(_sdtm(with_density=False), tmp_path / "bare", "csv")
    bare = ["recist", "assess", "--sdtm", str(tmp_path / "bare"), "--out", str(tmp_path / "o2")]
    result = runner.invoke(app, [*bare, "--criteria", "choi"])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
    assert "subject S1" in str(result.exception)
    assert "lesion T01" in str(result.exception)
    result = runner.invoke(app, [*args, "--criteria", "who"])
    assert isinstance(result.exception, DataError)
    assert "recist, choi, mchoi" in str(result.exception)
