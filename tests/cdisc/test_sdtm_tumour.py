"""SDTM TU/TR → RECIST → RS: end to end through ``oncotrial recist assess`` on CSV and XPT."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.io import read_domain
from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.rules import RecistSettings

LEADER = RecistSettings(
    confirmation_interval_days=28, min_sd_duration_days=42, too_small_to_measure_mm=5.0,
    max_target_lesions=5, max_target_per_organ=2,
)
VISITS = [(1.0, "SCREENING", "2020-01-06"), (2.0, "WEEK 6", "2020-02-20"),
          (3.0, "WEEK 12", "2020-04-02"), (4.0, "WEEK 18", "2020-05-14")]
INV = ("INVESTIGATOR", "")
READER = ("INDEPENDENT ASSESSOR", "RADIOLOGIST 1")


def _tu(subject: str, lnkid: str, role: str, loc: str, *, who: tuple[str, str] = INV,
        visit: int = 0) -> dict[str, object]:
    num, name, dtc = VISITS[visit]
    return {"STUDYID": "LEADER", "DOMAIN": "TU", "USUBJID": subject, "TULNKID": lnkid,
            "TUTESTCD": "TUMIDENT", "TUSTRESC": role, "TULOC": loc, "TUEVAL": who[0],
            "TUEVALID": who[1], "VISITNUM": num, "VISIT": name, "TUDTC": dtc}


def _tr(subject: str, lnkid: str, test: str, visit: int, result: object, *, unit: str = "mm",
        who: tuple[str, str] = INV, stat: str = "", dtc: str | None = None,
        accepted: str = "") -> dict[str, object]:
    num, name, default_dtc = VISITS[visit]
    numeric = isinstance(result, int | float)
    return {"STUDYID": "LEADER", "DOMAIN": "TR", "USUBJID": subject, "TRLNKID": lnkid,
            "TRTESTCD": test, "TRORRES": "" if result is None else str(result),
            "TRSTRESC": "" if result is None else str(result),
            "TRSTRESN": float(result) if numeric else None,
            "TRSTRESU": unit if numeric else "", "TRSTAT": stat, "TREVAL": who[0],
            "TREVALID": who[1], "TRACPTFL": accepted, "VISITNUM": num, "VISIT": name,
            "TRDTC": dtc or default_dtc}


def _sdtm() -> dict[str, pd.DataFrame]:
    tu = [
        _tu("S1", "T01", "TARGET", "LIVER"), _tu("S1", "T02", "TARGET", "LYMPH NODE"),
        _tu("S1", "NT01", "NON-TARGET", "BONE"),
        _tu("S1", "T01", "TARGET", "LIVER", who=READER),
        _tu("S2", "NT01", "NON-TARGET", "PLEURA"),
        _tu("S3", "T01", "TARGET", "LUNG"), _tu("S3", "T02", "TARGET", "LUNG"),
        _tu("S3", "NEW01", "NEW", "LIVER", visit=2),
    ]
    tr = [
        # S1 investigator: PR at week 6, confirmed at week 12, PD at week 18
        *[_tr("S1", "T01", "LDIAM", v, d) for v, d in enumerate([40, 25, 20, 30])],
        *[_tr("S1", "T02", "LPERP", v, d) for v, d in enumerate([20, 12, 9, 11])],
        *[_tr("S1", "NT01", "TUMSTATE", v, "PRESENT") for v in range(4)],
        # S1 independent reader, accepted: SD throughout
        *[_tr("S1", "T01", "LDIAM", v, d, who=READER, accepted="Y")
          for v, d in enumerate([40, 38, 36, 37])],
        # S2 non-target only; "UNEQUIVOCAL" is a common spelling of unequivocal progression
        _tr("S2", "NT01", "TUMSTATE", 0, "PRESENT"), _tr("S2", "NT01", "TUMSTATE", 1, "PRESENT"),
        _tr("S2", "NT01", "TUMSTATE", 2, "UNEQUIVOCAL"),
        # S3: T02 not done at week 6 (NE); cm at week 12; equivocal new lesion confirmed later
        _tr("S3", "T01", "LDIAM", 0, 30), _tr("S3", "T02", "LDIAM", 0, 20),
        _tr("S3", "T01", "LDIAM", 1, 28), _tr("S3", "T02", "LDIAM", 1, None, stat="NOT DONE"),
        _tr("S3", "T01", "LDIAM", 2, 2.6, unit="cm"), _tr("S3", "T02", "LDIAM", 2, 19),
        _tr("S3", "NEW01", "TUMSTATE", 2, "EQUIVOCAL"),
        _tr("S3", "T01", "LDIAM", 3, 26), _tr("S3", "T02", "LDIAM", 3, 19),
        _tr("S3", "NEW01", "TUMSTATE", 3, "UNEQUIVOCAL"),
        # messy records
        _tr("S3", "", "LDIAM", 3, 14),  # measured without identification
        _tr("S3", "T09", "LDIAM", 3, 14),  # lesion never identified in TU
        _tr("S2", "NT01", "TUMSTATE", 1, "PRESENT"),  # identical duplicate
        _tr("S1", "T01", "LDIAM", 0, 1.6, unit="in", who=READER, accepted="Y"),  # bad unit
    ]
    tr[-1]["TRLNKID"] = "T01"
    tr[-1]["VISITNUM"] = 9.0  # an extra reader visit with a unit that is not allowed
    tr[-1]["VISIT"] = "UNSCHEDULED"
    tr[-1]["TRDTC"] = "2020-06"
    dm = pd.DataFrame({"STUDYID": "LEADER", "DOMAIN": "DM", "USUBJID": ["S1", "S2", "S3", "S4"],
                       "RFSTDTC": ["2020-01-08", "2020-01-08", "2020-01-08", "2020-01-09"]})
    return {"TU": pd.DataFrame(tu), "TR": pd.DataFrame(tr), "DM": dm}


def _write(sdtm: dict[str, pd.DataFrame], directory: Path, fmt: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in sdtm.items():
        if fmt == "csv":
            frame.to_csv(directory / f"{name.lower()}.csv", index=False)
        else:
            version = 5 if fmt == "xpt5" else 8
            pyreadstat.write_xport(frame, str(directory / f"{name.lower()}.xpt"),
                                   table_name=name, file_format_version=version)


def _overall(rs: pd.DataFrame, subject: str, evaluator: str = "INVESTIGATOR") -> list[str]:
    rows = rs.loc[(rs["USUBJID"] == subject) & (rs["RSTESTCD"] == "OVRLRESP")
                  & (rs["RSEVAL"] == evaluator)]
    return rows.sort_values("VISITNUM")["RSSTRESC"].tolist()


@pytest.mark.parametrize("fmt", ["csv", "xpt5", "xpt8"])
def test_recist_assess_cli_end_to_end(tmp_path: Path, fmt: str) -> None:
    """The CLI reads TU/TR/DM, writes RS (XPT and CSV), summary and issues with the right values."""
    _write(_sdtm(), tmp_path / "sdtm", fmt)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["recist", "assess", "--sdtm", str(tmp_path / "sdtm"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    rs_csv = read_domain(out, "rs")
    rs_xpt, _ = pyreadstat.read_xport(str(out / "rs.xpt"))
    assert rs_csv is not None
    assert len(rs_xpt) == len(rs_csv)
    assert set(rs_csv["RSTESTCD"]) == {"TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP"}
    assert _overall(rs_csv, "S1") == ["PR", "PR", "PD"]
    # the unscheduled reader visit measured in inches is not assessable: NE
    assert _overall(rs_csv, "S1", "INDEPENDENT ASSESSOR") == ["SD", "SD", "SD", "NE"]
    assert _overall(rs_csv, "S2") == ["NON-CR/NON-PD", "PD"]
    assert _overall(rs_csv, "S3") == ["NE", "PD", "PD"]
    reader = rs_csv.loc[rs_csv["RSEVAL"] == "INDEPENDENT ASSESSOR"]
    assert set(reader["RSEVALID"]) == {"RADIOLOGIST 1"}
    assert set(reader["RSACPTFL"]) == {"Y"}
    s2_target = rs_csv.loc[(rs_csv["USUBJID"] == "S2") & (rs_csv["RSTESTCD"] == "TRGRESP")]
    assert set(s2_target["RSSTRESC"]) == {"NA"}

    summary = pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False)
    inv = summary.loc[summary["RSEVAL"] == "INVESTIGATOR"].set_index("USUBJID")
    assert inv.loc["S1", ["BOR", "CBOR", "CBORRULE", "CRSPDT", "PDDT"]].tolist() == [
        "PR", "PR", "cbor_confirmed_pr", "2020-02-20", "2020-05-14"
    ]
    assert inv.loc["S2", ["BOR", "BORRULE"]].tolist() == [
        "NON-CR/NON-PD", "bor_non_cr_non_pd_min_duration"
    ]
    assert inv.loc["S3", ["BOR", "PDDT"]].tolist() == ["PD", "2020-04-02"]  # back-dated
    assert inv.loc["S4", ["BOR", "BORRULE"]].tolist() == ["MISSING", "bor_missing"]

    issues = pd.read_csv(out / "issues.csv", dtype=str, keep_default_na=False)
    found = set(issues["ISSUE"])
    assert {"measurement_without_lesion_id", "lesion_not_identified_in_tu", "duplicate_record",
            "unit_not_allowed", "partial_date_imputed"} <= found


def test_xpt_and_csv_inputs_give_identical_rs(tmp_path: Path) -> None:
    """The same SDTM as CSV and as XPT v5 gives the same RS records."""
    results = []
    for fmt in ("csv", "xpt5"):
        _write(_sdtm(), tmp_path / fmt, fmt)
        sdtm = {name: read_domain(tmp_path / fmt, name) for name in ("TU", "TR", "DM")}
        frames = {k: v for k, v in sdtm.items() if v is not None}
        results.append(derive_tumour_assessment(frames, settings=LEADER).rs)
    pd.testing.assert_frame_equal(results[0], results[1])


def test_conflicting_duplicates_make_the_lesion_not_assessed() -> None:
    """Two different diameters for one lesion and visit: NE at that visit, listed as an issue."""
    sdtm = _sdtm()
    extra = sdtm["TR"].iloc[[1]].assign(TRSTRESN=99.0, TRSTRESC="99", TRORRES="99")
    sdtm["TR"] = pd.concat([sdtm["TR"], extra], ignore_index=True)
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    assert _overall(result.rs, "S1")[0] == "NE"
    assert "conflicting_duplicate_records" in set(result.issues["ISSUE"])


def test_duplicate_assessment_dates_are_listed() -> None:
    """Two visits on one date are both evaluated and listed as a data issue."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    tr.loc[(tr["USUBJID"] == "S1") & (tr["VISITNUM"] == 3.0), "TRDTC"] = "2020-02-20"
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    issues = result.issues.loc[result.issues["ISSUE"] == "duplicate_assessment_date"]
    assert set(issues["USUBJID"]) == {"S1"}


def test_unknown_role_and_state_are_listed_not_dropped_silently() -> None:
    """An unknown TUSTRESC and an unknown TUMSTATE result each appear in the issue list."""
    sdtm = _sdtm()
    sdtm["TU"].loc[2, "TUSTRESC"] = "MAYBE"
    sdtm["TR"].loc[sdtm["TR"]["TRSTRESC"] == "UNEQUIVOCAL", ["TRSTRESC", "TRORRES"]] = "BIGGER"
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    assert {"unknown_lesion_role", "unknown_tumour_state", "lesion_not_identified_in_tu"} <= set(
        result.issues["ISSUE"]
    )
    assert _overall(result.rs, "S2") == ["NON-CR/NON-PD", "NE"]


def test_missing_required_variable_is_a_precise_error() -> None:
    """TR without VISITNUM raises DataError naming TR.VISITNUM."""
    sdtm = _sdtm()
    sdtm["TR"] = sdtm["TR"].drop(columns=["VISITNUM"])
    with pytest.raises(DataError, match=r"TR\.VISITNUM"):
        derive_tumour_assessment(sdtm, settings=LEADER)


def test_cli_reports_missing_domain(tmp_path: Path) -> None:
    """A directory without TR exits 1 with a message naming the file expected."""
    _write({"TU": _sdtm()["TU"]}, tmp_path, "csv")
    result = CliRunner().invoke(app, ["recist", "assess", "--sdtm", str(tmp_path),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
    assert "tr.csv" in str(result.exception)
