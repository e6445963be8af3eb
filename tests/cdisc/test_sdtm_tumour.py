"""SDTM TU/TR → RECIST → RS: end to end through ``oncotrial recist assess`` on CSV and XPT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.io import read_domain
from oncotrial.cdisc.sdtm.tumour import derive_rs_from_tr, derive_tumour_assessment
from oncotrial.cli import app
from oncotrial.errors import DataError
from oncotrial.rules import RecistSettings

LEADER = RecistSettings(
    confirmation_interval_days=28,
    min_sd_duration_days=42,
    too_small_to_measure_mm=5.0,
    max_target_lesions=5,
    max_target_per_organ=2,
)
VISITS = [
    (1.0, "SCREENING", "2020-01-06"),
    (2.0, "WEEK 6", "2020-02-20"),
    (3.0, "WEEK 12", "2020-04-02"),
    (4.0, "WEEK 18", "2020-05-14"),
]
INV = ("INVESTIGATOR", "")
READER = ("INDEPENDENT ASSESSOR", "RADIOLOGIST 1")


def _tu(
    subject: str, lnkid: str, role: str, loc: str, *, who: tuple[str, str] = INV, visit: int = 0
) -> dict[str, object]:
    num, name, dtc = VISITS[visit]
    return {
        "STUDYID": "LEADER",
        "DOMAIN": "TU",
        "USUBJID": subject,
        "TULNKID": lnkid,
        "TUTESTCD": "TUMIDENT",
        "TUSTRESC": role,
        "TULOC": loc,
        "TUEVAL": who[0],
        "TUEVALID": who[1],
        "VISITNUM": num,
        "VISIT": name,
        "TUDTC": dtc,
    }


def _tr(
    subject: str,
    lnkid: str,
    test: str,
    visit: int,
    result: object,
    *,
    unit: str = "mm",
    who: tuple[str, str] = INV,
    stat: str = "",
    dtc: str | None = None,
    accepted: str = "",
) -> dict[str, object]:
    num, name, default_dtc = VISITS[visit]
    numeric = isinstance(result, int | float)
    return {
        "STUDYID": "LEADER",
        "DOMAIN": "TR",
        "USUBJID": subject,
        "TRLNKID": lnkid,
        "TRTESTCD": test,
        "TRORRES": "" if result is None else str(result),
        "TRSTRESC": "" if result is None else str(result),
        "TRSTRESN": float(result) if numeric else None,
        "TRSTRESU": unit if numeric else "",
        "TRSTAT": stat,
        "TREVAL": who[0],
        "TREVALID": who[1],
        "TRACPTFL": accepted,
        "VISITNUM": num,
        "VISIT": name,
        "TRDTC": dtc or default_dtc,
    }


def _sdtm() -> dict[str, pd.DataFrame]:
    tu = [
        _tu("S1", "T01", "TARGET", "LIVER"),
        _tu("S1", "T02", "TARGET", "LYMPH NODE"),
        _tu("S1", "NT01", "NON-TARGET", "BONE"),
        _tu("S1", "T01", "TARGET", "LIVER", who=READER),
        _tu("S2", "NT01", "NON-TARGET", "PLEURA"),
        _tu("S3", "T01", "TARGET", "LUNG"),
        _tu("S3", "T02", "TARGET", "LUNG"),
        _tu("S3", "NEW01", "NEW", "LIVER", visit=2),
    ]
    tr = [
        # S1 investigator: PR at week 6, confirmed at week 12, PD at week 18
        *[_tr("S1", "T01", "LDIAM", v, d) for v, d in enumerate([40, 25, 20, 30])],
        *[_tr("S1", "T02", "LPERP", v, d) for v, d in enumerate([20, 12, 9, 11])],
        *[_tr("S1", "NT01", "TUMSTATE", v, "PRESENT") for v in range(4)],
        # S1 independent reader, accepted: SD throughout
        *[
            _tr("S1", "T01", "LDIAM", v, d, who=READER, accepted="Y")
            for v, d in enumerate([40, 38, 36, 37])
        ],
        # S2 non-target only; "UNEQUIVOCAL" is a common spelling of unequivocal progression
        _tr("S2", "NT01", "TUMSTATE", 0, "PRESENT"),
        _tr("S2", "NT01", "TUMSTATE", 1, "PRESENT"),
        _tr("S2", "NT01", "TUMSTATE", 2, "UNEQUIVOCAL"),
        # S3: T02 not done at week 6 (NE); cm at week 12; equivocal new lesion confirmed later
        _tr("S3", "T01", "LDIAM", 0, 30),
        _tr("S3", "T02", "LDIAM", 0, 20),
        _tr("S3", "T01", "LDIAM", 1, 28),
        _tr("S3", "T02", "LDIAM", 1, None, stat="NOT DONE"),
        _tr("S3", "T01", "LDIAM", 2, 2.6, unit="cm"),
        _tr("S3", "T02", "LDIAM", 2, 19),
        _tr("S3", "NEW01", "TUMSTATE", 2, "EQUIVOCAL"),
        _tr("S3", "T01", "LDIAM", 3, 26),
        _tr("S3", "T02", "LDIAM", 3, 19),
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
    dm = pd.DataFrame(
        {
            "STUDYID": "LEADER",
            "DOMAIN": "DM",
            "USUBJID": ["S1", "S2", "S3", "S4"],
            "RFSTDTC": ["2020-01-08", "2020-01-08", "2020-01-08", "2020-01-09"],
        }
    )
    return {"TU": pd.DataFrame(tu), "TR": pd.DataFrame(tr), "DM": dm}


def _write(sdtm: dict[str, pd.DataFrame], directory: Path, fmt: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in sdtm.items():
        if fmt == "csv":
            frame.to_csv(directory / f"{name.lower()}.csv", index=False)
        else:
            version = 5 if fmt == "xpt5" else 8
            pyreadstat.write_xport(
                frame,
                str(directory / f"{name.lower()}.xpt"),
                table_name=name,
                file_format_version=version,
            )


def _overall(rs: pd.DataFrame, subject: str, evaluator: str = "INVESTIGATOR") -> list[str]:
    rows = rs.loc[
        (rs["USUBJID"] == subject) & (rs["RSTESTCD"] == "OVRLRESP") & (rs["RSEVAL"] == evaluator)
    ]
    return rows.sort_values("VISITNUM")["RSSTRESC"].tolist()


@pytest.mark.parametrize("fmt", ["csv", "xpt5", "xpt8"])
def test_recist_assess_cli_end_to_end(tmp_path: Path, fmt: str) -> None:
    """The CLI reads TU/TR/DM, writes RS (XPT and CSV), summary and issues with the right values."""
    _write(_sdtm(), tmp_path / "sdtm", fmt)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["recist", "assess", "--sdtm", str(tmp_path / "sdtm"), "--out", str(out)]
    )
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
        "PR",
        "PR",
        "cbor_confirmed_pr",
        "2020-02-20",
        "2020-05-14",
    ]
    assert inv.loc["S2", ["BOR", "BORRULE"]].tolist() == [
        "NON-CR/NON-PD",
        "bor_non_cr_non_pd_min_duration",
    ]
    assert inv.loc["S3", ["BOR", "PDDT"]].tolist() == ["PD", "2020-04-02"]  # back-dated
    assert inv.loc["S4", ["BOR", "BORRULE"]].tolist() == ["MISSING", "bor_missing"]

    issues = pd.read_csv(out / "issues.csv", dtype=str, keep_default_na=False)
    found = set(issues["ISSUE"])
    assert {
        "measurement_without_lesion_id",
        "lesion_not_identified_in_tu",
        "duplicate_record",
        "unit_not_allowed",
        "partial_date_imputed",
    } <= found


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
    result = CliRunner().invoke(
        app, ["recist", "assess", "--sdtm", str(tmp_path), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError)
    assert "tr.csv" in str(result.exception)


def test_sums_use_short_axis_for_nodes_and_convert_cm() -> None:
    """Nodes are summed by LPERP; a diameter in cm is converted to mm."""
    result = derive_tumour_assessment(_sdtm(), settings=LEADER)
    tp = result.timepoints
    s1 = tp.loc[(tp["subject"] == "S1") & (tp["evaluator"] == "INVESTIGATOR")]
    assert s1["sum_mm"].tolist() == [37.0, 29.0, 41.0]  # liver LDIAM + node LPERP
    assert s1["target_response"].tolist() == ["PR", "PR", "PD"]
    s3 = tp.loc[tp["subject"] == "S3"]
    assert s3["sum_mm"].tolist()[1] == pytest.approx(45.0)  # 2.6 cm + 19 mm


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("UNEQUIVOCAL PROGRESSION", "PD"),
        ("Unequivocal", "PD"),
        ("ABSENT", "CR"),
        ("NOT DONE", "NE"),
        ("PRESENT", "NON-CR/NON-PD"),
    ],
)
def test_tumstate_spellings(spelling: str, expected: str) -> None:
    """Common TUMSTATE spellings map onto the RECIST non-target categories."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    mask = (tr["USUBJID"] == "S2") & (tr["VISITNUM"] == 3.0)
    tr.loc[mask, ["TRSTRESC", "TRORRES"]] = spelling
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    assert _overall(result.rs, "S2")[-1] == expected


def test_not_done_by_trstat_and_too_small_by_text() -> None:
    """TRSTAT NOT DONE gives NE; 'TOO SMALL TO MEASURE' without a number counts 5 mm."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    row = (tr["USUBJID"] == "S3") & (tr["TRLNKID"] == "T01") & (tr["VISITNUM"] == 4.0)
    tr.loc[row, ["TRSTRESC", "TRORRES"]] = "TOO SMALL TO MEASURE"
    tr.loc[row, "TRSTRESN"] = np.nan
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    s3 = result.timepoints.loc[result.timepoints["subject"] == "S3"]
    assert s3["sum_mm"].tolist()[-1] == 24.0  # 5 mm imputed + 19 mm
    assert s3["target_rule"].tolist()[0] == "target_ne_not_all_assessed"


def test_node_site_measured_by_long_axis_is_listed() -> None:
    """A lymph-node lesion measured only by LDIAM is evaluated by LDIAM and listed."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    tr.loc[(tr["USUBJID"] == "S1") & (tr["TRLNKID"] == "T02"), "TRTESTCD"] = "LDIAM"
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    issues = result.issues.loc[result.issues["ISSUE"] == "lymph_node_without_short_axis"]
    assert issues[["USUBJID", "VALUE"]].values.tolist() == [["S1", "T02"]]


def test_year_only_or_invalid_dates_are_listed_and_not_used() -> None:
    """A TRDTC with only a year, or not a date, is listed and the record not used."""
    sdtm = _sdtm()
    tr = sdtm["TR"]
    s2 = tr["USUBJID"] == "S2"
    tr.loc[s2 & (tr["VISITNUM"] == 3.0), "TRDTC"] = "2020"
    tr.loc[s2 & (tr["VISITNUM"] == 2.0), "TRDTC"] = "20-02-2020"
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    found = set(result.issues.loc[result.issues["USUBJID"] == "S2", "ISSUE"])
    assert {"date_too_partial", "invalid_date"} <= found
    assert "PD" not in _overall(result.rs, "S2")


def test_reference_date_falls_back_to_first_dose_then_baseline_scan() -> None:
    """Without DM RFSTDTC the first EX dose is used; without both, the scan (listed)."""
    sdtm = _sdtm()
    sdtm["DM"] = sdtm["DM"].drop(columns=["RFSTDTC"])
    sdtm["EX"] = pd.DataFrame({"USUBJID": ["S1", "S1"], "EXSTDTC": ["2020-01-20", "2020-01-09"]})
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    ref = result.summary.set_index(["USUBJID", "RSEVAL"])["REFDT"]
    assert ref[("S1", "INVESTIGATOR")] == "2020-01-09"
    assert ref[("S2", "INVESTIGATOR")] == "2020-01-06"
    listed = result.issues.loc[result.issues["ISSUE"] == "no_reference_start_date", "USUBJID"]
    assert set(listed) == {"S2", "S3", "S4"}  # S4: no date and never assessed


def test_tr_without_usable_records_gives_missing_not_a_crash() -> None:
    """An empty TR, or one whose dates are all unusable, gives BOR MISSING and listed issues."""
    sdtm = _sdtm()
    sdtm["TR"] = sdtm["TR"].iloc[0:0]
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    assert result.rs.empty
    assert set(result.summary["BOR"]) == {"MISSING"}
    sdtm = _sdtm()
    sdtm["TR"]["TRDTC"] = "unknown"
    result = derive_tumour_assessment(sdtm, settings=LEADER)
    assert set(result.summary["BOR"]) == {"MISSING"}
    assert "invalid_date" in set(result.issues["ISSUE"])


def test_rs_fast_path_equals_full_assessment() -> None:
    """derive_rs_from_tr (ADaM --source TR) gives exactly the RS of the full assessment."""
    sdtm = _sdtm()
    full = derive_tumour_assessment(sdtm, settings=LEADER).rs
    pd.testing.assert_frame_equal(derive_rs_from_tr(sdtm, settings=LEADER), full)
