"""SDTM TU/TR with new-lesion measurements → iRECIST through the reader, the assessment and
``oncotrial recist assess --criteria irecist`` (Seymour et al., Lancet Oncol 2017;18:e143)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.io import read_domain
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.cli import app
from oncotrial.errors import DataError
from tests.cdisc.test_sdtm_tumour import LEADER, _tr, _tu, _write


def irecist_sdtm() -> dict[str, pd.DataFrame]:
    """S1: new lung lesion 12 mm at week 12 (iUPD), 18 mm at week 18 (+6 mm: iCPD); treated
    until week 18. S2: new lung lesion 12 mm at week 12 (iUPD), 16 mm at week 18 (+4 mm: no
    confirmation) while the target shrinks 50 → 30 mm (−40 %): reset to iPR; last dose before
    the iUPD. S3: three measurable new liver lesions at week 6 (two NLT: ≤ 2 per organ) and a
    new bone lesion described only (NLNT) that has INCREASED at week 12 (iCPD); last dose on
    the day of the iUPD (not beyond it)."""
    tu = [
        _tu("S1", "T01", "TARGET", "LIVER"),
        _tu("S1", "N01", "NEW", "LUNG", visit=2),
        _tu("S2", "T01", "TARGET", "LIVER"),
        _tu("S2", "N01", "NEW", "LUNG", visit=2),
        _tu("S3", "T01", "TARGET", "LUNG"),
        *[_tu("S3", f"N0{k}", "NEW", "LIVER", visit=1) for k in (1, 2, 3)],
        _tu("S3", "N04", "NEW", "BONE", visit=1),
    ]
    tr = [
        *[_tr("S1", "T01", "LDIAM", v, d) for v, d in enumerate([40, 30, 30, 30])],
        _tr("S1", "N01", "LDIAM", 2, 12),
        _tr("S1", "N01", "LDIAM", 3, 18),
        *[_tr("S2", "T01", "LDIAM", v, d) for v, d in enumerate([50, 50, 50, 30])],
        _tr("S2", "N01", "LDIAM", 2, 12),
        _tr("S2", "N01", "LDIAM", 3, 16),
        *[_tr("S3", "T01", "LDIAM", v, d) for v, d in enumerate([30, 30, 30])],
        *[_tr("S3", f"N0{k}", "LDIAM", v, d) for v in (1, 2)
          for k, d in ((1, 15), (2, 14), (3, 13))],
        _tr("S3", "N04", "TUMSTATE", 1, "PRESENT"),
        _tr("S3", "N04", "TUMSTATE", 2, "INCREASED"),
    ]
    dm = pd.DataFrame({"STUDYID": "LEADER", "DOMAIN": "DM", "USUBJID": ["S1", "S2", "S3"],
                       "RFSTDTC": "2020-01-08"})
    ex = pd.DataFrame({"STUDYID": "LEADER", "DOMAIN": "EX", "USUBJID": ["S1", "S1", "S2", "S3"],
                       "EXTRT": "LENVATINIB", "EXDOSE": 14.0,
                       "EXSTDTC": ["2020-01-08", "2020-04-30", "2020-01-08", "2020-01-08"],
                       "EXENDTC": ["2020-04-29", "2020-05-20", "2020-03-20", "2020-02-20"]})
    return {"TU": pd.DataFrame(tu), "TR": pd.DataFrame(tr), "DM": dm, "EX": ex}


def test_irecist_from_tu_tr_with_new_lesion_measurements() -> None:
    """Timepoints, best responses, progression dates and treatment beyond iUPD per subject."""
    result = derive_tumour_assessment(irecist_sdtm(), settings=LEADER, criteria="irecist")
    tp = result.timepoints.set_index(["subject", "visitnum"])
    assert tp.loc["S1", "overall_response"].tolist() == ["iSD", "iUPD", "iCPD"]
    assert tp.loc["S2", "overall_response"].tolist() == ["iSD", "iUPD", "iPR"]
    assert tp.loc[("S2", 4.0), "new_target_sum_mm"] == 16.0
    assert tp.loc[("S2", 4.0), "sum_mm"] == 30.0  # the new lesion is not in the target sum
    assert tp.loc["S3", "overall_response"].tolist() == ["iUPD", "iCPD"]
    s3 = tp.loc[("S3", 2.0)]
    assert (s3["new_lesions"], s3["new_target_lesions"], s3["new_target_sum_mm"]) == (4, 2, 29.0)
    summary = result.summary.set_index("USUBJID")
    assert summary.loc["S1", ["IBOR", "ICBOR", "IPDDT", "IPDCONF", "TRTBIUPD"]].tolist() == [
        "iSD", "iSD", "2020-04-02", "Y", "Y"]
    assert summary.loc["S2", ["IBOR", "ICBOR", "IPDDT", "IPDCONF", "TRTBIUPD"]].tolist() == [
        "iPR", "iSD", "", "", "N"]
    assert summary.loc["S3", ["IBOR", "IPDDT", "IPDCONF", "TRTBIUPD"]].tolist() == [
        "iCPD", "2020-02-20", "Y", "N"]
    rs = result.rs
    assert set(rs["RSCAT"]) == {"iRECIST"}
    assert set(rs["RSTESTCD"]) == {"OVRLRESP"}
    # RECIST 1.1 on the same data: each new lesion is PD at once
    recist = derive_tumour_assessment(irecist_sdtm(), settings=LEADER)
    assert recist.summary.set_index("USUBJID")["BOR"].to_dict() == {
        "S1": "SD", "S2": "SD", "S3": "PD"}


def test_unknown_tumour_state_is_listed_and_bad_criteria_refused() -> None:
    sdtm = irecist_sdtm()
    tr = sdtm["TR"]
    tr.loc[tr["TRSTRESC"] == "INCREASED", ["TRSTRESC", "TRORRES"]] = "GROWING"
    result = derive_tumour_assessment(sdtm, settings=LEADER, criteria="irecist")
    issue = result.issues.loc[result.issues["ISSUE"] == "unknown_tumour_state"].iloc[0]
    assert (issue["USUBJID"], issue["VISIT"], issue["VALUE"]) == ("S3", "WEEK 12", "GROWING")
    assert "INCREASED" in issue["MESSAGE"]
    with pytest.raises(DataError, match="recist, choi, irecist"):
        derive_tumour_assessment(sdtm, settings=LEADER, criteria="irecists")


def test_cli_criteria_irecist(tmp_path: Path) -> None:
    """``recist assess --criteria irecist`` writes iRECIST RS and the summary; a typo in the
    criteria is refused naming the allowed values."""
    _write(irecist_sdtm(), tmp_path / "sdtm", "csv")
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["recist", "assess", "--sdtm", str(tmp_path / "sdtm"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--criteria", "irecist"])
    assert result.exit_code == 0, result.output
    assert "confirmed best iRECIST response: iCR 0, iPR 0, iSD 2, iUPD 0, iCPD 1" in result.output
    assert "treated beyond iUPD: 1 of 3 subject(s) with iUPD" in result.output
    rs = read_domain(out, "rs")
    assert rs is not None
    s1 = rs.loc[rs["USUBJID"] == "S1", "RSSTRESC"].tolist()
    assert s1 == ["iSD", "iUPD", "iCPD"]
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert summary.set_index("USUBJID").loc["S1", "TRTBIUPD"] == "Y"
    result = runner.invoke(app, [*args, "--criteria", "i-recist"])
    assert isinstance(result.exception, DataError)
    assert "recist, choi, mchoi, irecist" in str(result.exception)


def test_reader_designation_of_new_lesions_stands() -> None:
    """TU NEW NON-TARGET keeps a measurable 15 mm lesion out of the new-lesion target sum;
    NEW TARGET keeps a 9 mm one in (the reader's choice, Seymour 2017 "New lesions"); plain
    NEW lets the rule decide (measurable: ≥ 10 mm)."""
    sdtm = irecist_sdtm()
    tu, tr = sdtm["TU"], sdtm["TR"]
    tu.loc[(tu["USUBJID"] == "S3") & (tu["TULNKID"] == "N01"), "TUSTRESC"] = "NEW NON-TARGET"
    tu = pd.concat([tu, pd.DataFrame([_tu("S3", "N05", "NEW TARGET", "SPLEEN", visit=1)])],
                   ignore_index=True)
    tr = pd.concat([tr, pd.DataFrame([_tr("S3", "N05", "LDIAM", 1, 9)])], ignore_index=True)
    result = derive_tumour_assessment({**sdtm, "TU": tu, "TR": tr}, settings=LEADER,
                                      criteria="irecist")
    s3 = result.timepoints.set_index(["subject", "visitnum"]).loc[("S3", 2.0)]
    # NLT: N02 14 + N03 13 (liver, N01 designated non-target) + N05 9 (designated target)
    assert (s3["new_lesions"], s3["new_target_lesions"], s3["new_target_sum_mm"]) == (
        5, 3, 36.0)
