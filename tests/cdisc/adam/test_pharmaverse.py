"""The whole path on SDTM oncotrial did not write: the CDISC pilot oncology SDTM of pharmaverse
(306 subjects, three arms, placebo, synthetic RECIST data; ../shared/validation/pharmaversesdtm).

derive (RS and --source TR), recist assess and report (HTML and PDF) run without an error, their
files read back with pyreadstat and pandas.read_sas, every data issue is listed rather than
raised, and the ADaM of a few subjects equals what an admiralonco user would get, worked out
by hand below from the SDTM records.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sdtm(shared_dir: Path) -> Path:
    """The pharmaverse SDTM folder, as delivered (rs_onco.csv, tu_onco.csv, tr_onco.csv, …)."""
    return shared_dir / "validation" / "pharmaversesdtm"


@pytest.fixture(scope="module")
def adam(sdtm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ADaM derived by ``oncotrial derive`` with every default (responses as recorded)."""
    out = tmp_path_factory.mktemp("pharmaverse") / "adam"
    capsys = _Capture()
    code, stdout = capsys.run(["derive", "--sdtm", str(sdtm), "--out", str(out)])
    assert code == 0, stdout
    assert "analysis profile: generic oncology profile" in stdout
    assert "STUDYID (CDISCPILOT01) is not LEADER" in stdout
    assert "306 subjects; start date RANDDT" in stdout
    return out


class _Capture:
    """``oncotrial`` run in-process for module-scoped fixtures (capsys is per test)."""

    def run(self, args: list[str]) -> tuple[int, str]:
        import contextlib
        import io

        from oncotrial.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                pytest.raises(SystemExit) as info:
            main(args)
        code = info.value.code
        return (code if isinstance(code, int) else 0), out.getvalue() + err.getvalue()


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _param(frame: pd.DataFrame, subject: str, paramcd: str) -> pd.Series:
    rows = frame[(frame["USUBJID"] == subject) & (frame["PARAMCD"] == paramcd)]
    assert len(rows) == 1, (subject, paramcd)
    return rows.iloc[0]


def test_every_dataset_reads_back_with_both_readers(adam: Path) -> None:
    """ADSL, ADRS, ADTTE, ADAE, ADEX and ADTR: XPT v5 read by pyreadstat and pandas.read_sas
    with the rows and variables of the CSV copy."""
    for name in ("adsl", "adrs", "adtte", "adae", "adex", "adtr"):
        by_readstat, meta = pyreadstat.read_xport(str(adam / f"{name}.xpt"))
        by_pandas = pd.read_sas(adam / f"{name}.xpt", format="xport", encoding="ascii")
        csv = _read(adam, name)
        assert len(by_readstat) == len(by_pandas) == len(csv), name
        assert list(by_readstat.columns) == list(csv.columns) == list(by_pandas.columns), name
        assert all(len(label or "") <= 40 for label in meta.column_labels)
    adsl = _read(adam, "adsl")
    assert len(adsl) == 306
    assert adsl["USUBJID"].is_unique


def test_arms_drugs_and_dates_are_taken_as_found(adam: Path) -> None:
    """TRT01P/TRT01A are DM ARM/ACTARM (86 placebo, 84 + 84 xanomeline, 52 screen failures);
    ADEX summarises PLACEBO and XANOMELINE (no refusal); treatment datetimes carry the
    admiral time-imputation flag; 3 deaths from DM DTHDTC."""
    adsl = _read(adam, "adsl")
    assert adsl["TRT01P"].value_counts().to_dict() == {
        "Placebo": 86, "Xanomeline High Dose": 84, "Xanomeline Low Dose": 84,
        "Screen Failure": 52}
    treated = adsl[adsl["SAFFL"] == "Y"]
    assert len(treated) == 254
    assert set(treated["TRTSTMF"]) == {"H"}  # EXSTDTC has no time: 00:00:00 imputed
    assert (adsl.loc[adsl["DTHFL"] == "Y", "USUBJID"].tolist()
            == ["01-701-1211", "01-704-1445", "01-710-1083"])
    adex = _read(adam, "adex")
    assert set(adex["EXTRT"]) == {"PLACEBO", "XANOMELINE"}
    assert "RDI" not in set(adex["PARAMCD"])  # no planned dosing days without a protocol


def test_data_issues_are_listed_not_raised(adam: Path) -> None:
    """The pilot's RS value CHECK, its drugs without planned days, CR followed by SD/PR, and a
    visit dated the day after a death are each listed in adam_issues.csv."""
    issues = _read(adam, "adam_issues")
    keyed = set(zip(issues["DATASET"], issues["USUBJID"], issues["VALUE"], strict=True))
    assert ("RS", "01-711-1143", "CHECK") in keyed
    assert {("EX", "", "PLACEBO"), ("EX", "", "XANOMELINE")} <= keyed
    assert ("SV", "01-710-1083", "2013-08-03") in keyed  # death 2013-08-02
    crpr = issues[issues["ISSUE"] == "CR followed by PR, SD or NON-CR/NON-PD"]
    assert set(crpr["USUBJID"]) >= {"01-701-1015", "01-714-1375"}
    profile = _read(adam, "analysis_profile").set_index("SETTING")["VALUE"]
    assert profile["profile"] == "generic oncology profile"
    assert (profile["confirmation_interval_days"], profile["min_sd_duration_days"]) == ("28", "42")


def test_confirmed_complete_response_by_hand(adam: Path) -> None:
    """01-704-1445, randomised 2014-05-11; investigator: PR 2014-06-25, CR 2014-08-06,
    CR 2014-09-25, PD 2014-11-01; died 2014-11-01.

    - BOR = CR (first event with a record), dated 2014-08-06.
    - CBOR = CR: the CR of 08-06 is confirmed by the CR 50 days later (≥ 28, only CR between).
    - CRSP = Y on 06-25: the PR is confirmed by the CR 42 days later (CR/PR only, no PR after a
      CR); CRSP carries the first assessment of the confirmed response.
    - PFS: PD and death on 11-01 tie; the event listed first (progression) wins; AVAL = 174
      days + 1 = 175. OS: death, 175. DOR from the confirmed response 06-25 to PD: 130.
    - CBCP = Y (the admiralonco template's CBCP would be N, its known defect).
    """
    adrs, adtte = _read(adam, "adrs"), _read(adam, "adtte")
    subject = "01-704-1445"
    assert tuple(_param(adrs, subject, "BOR")[["AVALC", "ADT"]]) == ("CR", "2014-08-06")
    assert tuple(_param(adrs, subject, "CBOR")[["AVALC", "ADT"]]) == ("CR", "2014-08-06")
    assert tuple(_param(adrs, subject, "CRSP")[["AVALC", "ADT"]]) == ("Y", "2014-06-25")
    assert tuple(_param(adrs, subject, "RSP")[["AVALC", "ADT"]]) == ("Y", "2014-06-25")
    assert _param(adrs, subject, "CBCP")["AVALC"] == "Y"
    pfs = _param(adtte, subject, "PFS")
    assert (pfs["ADT"], pfs["AVAL"], pfs["CNSR"], pfs["EVNTDESC"]) == (
        "2014-11-01", "175.0", "0", "Disease Progression")
    assert tuple(_param(adtte, subject, "OS")[["AVAL", "CNSR"]]) == ("175.0", "0")
    assert tuple(_param(adtte, subject, "DOR")[["STARTDT", "AVAL"]]) == ("2014-06-25", "130.0")


def test_response_one_day_before_the_sd_window_by_hand(adam: Path) -> None:
    """01-701-1363, randomised 2013-05-30: PR 2013-07-10, PD 2013-08-21, PR, PR (after PD).

    - The working set ends at the first PD (ANL02FL), so the later PRs are not used.
    - BOR = PR (no time window for PR).
    - CBOR: the PR has no confirming CR/PR before the PD, so it is not confirmed; as "at least
      SD" it would need ADT ≥ RANDDT + 42 = 2013-07-11, and 07-10 is day 41 → no SD event; the
      PD event wins: CBOR = PD dated 08-21 (admiralonco #244: the PD date).
    - CB = Y on 07-10 (the unconfirmed response counts); CCB = N.
    - PFS: PD on 08-21, AVAL = 83 + 1 = 84, event.
    """
    adrs, adtte = _read(adam, "adrs"), _read(adam, "adtte")
    subject = "01-701-1363"
    assert tuple(_param(adrs, subject, "BOR")[["AVALC", "ADT"]]) == ("PR", "2013-07-10")
    assert tuple(_param(adrs, subject, "CBOR")[["AVALC", "ADT"]]) == ("PD", "2013-08-21")
    assert tuple(_param(adrs, subject, "CB")[["AVALC", "ADT"]]) == ("Y", "2013-07-10")
    assert _param(adrs, subject, "CCB")["AVALC"] == "N"
    pfs = _param(adtte, subject, "PFS")
    assert (pfs["ADT"], pfs["AVAL"], pfs["CNSR"]) == ("2013-08-21", "84.0", "0")


def test_unconfirmed_responses_and_death_by_hand(adam: Path) -> None:
    """01-701-1211, randomised 2012-11-15: PR 2012-12-25, PR 2013-01-14; died 2013-01-14.

    - The second PR is 20 days after the first (< 28): no confirmation, so CRSP = N.
    - CBOR: PR 12-25 is before RANDDT + 42 = 12-27; PR 01-14 is after, so "at least SD" gives
      CBOR = SD dated 2013-01-14; BOR = PR dated 12-25.
    - PFS: no PD; death on 01-14, within the assessment schedule → event, AVAL = 60 + 1 = 61.
    """
    adrs, adtte = _read(adam, "adrs"), _read(adam, "adtte")
    subject = "01-701-1211"
    assert _param(adrs, subject, "CRSP")["AVALC"] == "N"
    assert tuple(_param(adrs, subject, "CBOR")[["AVALC", "ADT"]]) == ("SD", "2013-01-14")
    assert tuple(_param(adrs, subject, "BOR")[["AVALC", "ADT"]]) == ("PR", "2012-12-25")
    pfs = _param(adtte, subject, "PFS")
    assert (pfs["AVAL"], pfs["CNSR"], pfs["EVNTDESC"]) == ("61.0", "0", "Death")


def test_no_tumour_response_at_all_by_hand(adam: Path) -> None:
    """01-710-1083 has baseline lesions but no investigator response; randomised 2013-07-22,
    died 2013-08-02 (day 12).

    - BOR and CBOR = MISSING (admiralonco: no record in the working set, ADSL fallback).
    - PFS: death 11 days after the start, long before a second missed assessment (day 91): an
      event under the FDA table as in the admiralonco template, AVAL 12. TTP (no death
      event) is censored at the start, day 1.
    """
    adrs, adtte = _read(adam, "adrs"), _read(adam, "adtte")
    subject = "01-710-1083"
    assert _param(adrs, subject, "BOR")["AVALC"] == "MISSING"
    assert _param(adrs, subject, "CBOR")["AVALC"] == "MISSING"
    pfs = _param(adtte, subject, "PFS")
    assert (pfs["AVAL"], pfs["CNSR"], pfs["ARULE"]) == ("12.0", "0", "event_death")
    ttp = _param(adtte, subject, "TTP")
    assert (ttp["AVAL"], ttp["CNSR"]) == ("1.0", "1")


def test_last_known_alive_with_admiral_sources(sdtm: Path, tmp_path: Path) -> None:
    """01-704-1065 (no death): the admiral ADSL template's sources (AE start/end, LB, TRTEDT)
    give the last AE start, 2013-12-24 (AESEQ 10; TRTEDT is 12-22, the last AE end 12-15),
    so OS is censored at day 61 + 1 = 62; oncotrial's default sources add the AE follow-up
    visit of 2014-02-17 (SV), censoring OS at day 116 + 1 = 117."""
    out = tmp_path / "adam"
    code, stdout = _Capture().run(["derive", "--sdtm", str(sdtm), "--out", str(out),
                                   "--no-supporting", "--alive-dates", "admiral"])
    assert code == 0, stdout
    adsl = _read(out, "adsl").set_index("USUBJID")
    row = adsl.loc["01-704-1065"]
    assert tuple(row[["LSTALVDT", "LALVDOM", "LALVVAR", "LALVSEQ"]]) == (
        "2013-12-24", "AE", "AESTDTC", "10.0")
    assert tuple(_param(_read(out, "adtte"), "01-704-1065", "OS")[["AVAL", "CNSR"]]) == (
        "62.0", "1")
    code, _ = _Capture().run(["derive", "--sdtm", str(sdtm), "--out",
                              str(tmp_path / "default"), "--no-supporting"])
    assert code == 0
    os_default = _param(_read(tmp_path / "default", "adtte"), "01-704-1065", "OS")
    assert tuple(os_default[["ADT", "AVAL"]]) == ("2014-02-17", "117.0")


def test_derive_from_tumour_measurements(sdtm: Path, tmp_path: Path) -> None:
    """--source TR computes the responses from TU/TR: it runs, reads back, and lists the TU/TR
    records it could not use in adam_issues.csv."""
    out = tmp_path / "adam_tr"
    code, stdout = _Capture().run(["derive", "--sdtm", str(sdtm), "--out", str(out),
                                   "--source", "TR"])
    assert code == 0, stdout
    adrs = _read(out, "adrs")
    assert (adrs["PARAMCD"] == "OVR").sum() > 0
    issues = _read(out, "adam_issues")
    assert {"TR", "TU"} & set(issues["DATASET"])
    by_pandas = pd.read_sas(out / "adrs.xpt", format="xport", encoding="ascii")
    assert len(by_pandas) == len(adrs)


def test_recist_assess_runs(sdtm: Path, tmp_path: Path) -> None:
    """recist assess on the pilot TU/TR writes RS (readable XPT), summary and issues."""
    out = tmp_path / "recist"
    code, stdout = _Capture().run(["recist", "assess", "--sdtm", str(sdtm), "--out", str(out)])
    assert code == 0, stdout
    assert "254 subject(s)" in stdout
    rs, _meta = pyreadstat.read_xport(str(out / "rs.xpt"))
    assert set(rs["RSTESTCD"]) >= {"OVRLRESP", "TRGRESP"}
    assert len(pd.read_csv(out / "summary.csv")) > 0
    # The pilot measures every lesion bidimensionally (LDIAM and LPERP) and repeats the one
    # the criteria use as DIAMETER: its repeats are not data issues, and only lesions at a
    # lymph-node site are read as nodal (RECIST 1.1 §3.1: short axis for nodes only).
    issues = pd.read_csv(out / "issues.csv")
    counts = issues["ISSUE"].value_counts()
    assert "unknown_test" not in counts
    tu = pd.read_csv(sdtm / "tu_onco.csv")
    node_lesions = tu[tu["TULOC"].str.contains("NODE", na=False)]
    nodal = issues[issues["ISSUE"] == "target_node_below_15mm"]
    assert set(nodal["USUBJID"]) <= set(node_lesions["USUBJID"])
    assert counts.get("target_not_measurable", 0) > 0  # non-nodal targets under 10 mm


def test_a_lone_diameter_is_the_recist_axis(tmp_path: Path) -> None:
    """A study recording only DIAMETER: the longest diameter away from nodes, the short axis at
    a node site (each record listed); the same values as LDIAM/LPERP give the same responses."""
    from oncotrial.cdisc.sdtm.tumour import derive_tumour_assessment
    from oncotrial.protocol import load_protocol
    from oncotrial.rules.recist import RecistSettings

    def domains(tests: dict[str, str]) -> dict[str, pd.DataFrame]:
        tu = pd.DataFrame({"USUBJID": "S1", "TULNKID": ["T01", "T02"],
                           "TUSTRESC": "TARGET", "TULOC": ["LIVER", "LYMPH NODE"],
                           "VISITNUM": 1.0, "TUDTC": "2020-01-01"})
        rows = []
        for visit, day, (liver, node) in ((1.0, "2020-01-01", (40, 20)),
                                          (2.0, "2020-02-15", (20, 9))):
            rows += [{"USUBJID": "S1", "TRLNKID": "T01", "TRTESTCD": tests["T01"],
                      "TRSTRESN": liver, "TRSTRESU": "mm", "VISITNUM": visit, "TRDTC": day},
                     {"USUBJID": "S1", "TRLNKID": "T02", "TRTESTCD": tests["T02"],
                      "TRSTRESN": node, "TRSTRESU": "mm", "VISITNUM": visit, "TRDTC": day}]
        return {"TU": tu, "TR": pd.DataFrame(rows)}

    generic = domains({"T01": "DIAMETER", "T02": "DIAMETER"})
    explicit = domains({"T01": "LDIAM", "T02": "LPERP"})
    got = [derive_tumour_assessment(d, settings=RecistSettings.from_protocol(load_protocol()))
           for d in (generic, explicit)]
    assert got[0].timepoints["overall_response"].tolist() == \
        got[1].timepoints["overall_response"].tolist()
    assert got[0].timepoints["overall_response"].tolist()[-1] == "PR"  # 60 → 29 mm: −52 %
    listed = got[0].issues
    assert (listed["ISSUE"] == "generic_diameter_as_recist_axis").sum() == 4


def test_report_runs_in_html_and_pdf(adam: Path, tmp_path: Path) -> None:
    """report on the pilot ADaM: titled by STUDYID under the generic profile, response and
    time-to-event tables per arm, no two-stage or dose-finding section, a PDF."""
    out = tmp_path / "report"
    code, stdout = _Capture().run(["report", "--adam", str(adam), "--out", str(out),
                                   "--format", "html,pdf"])
    assert code == 0, stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Study CDISCPILOT01" in html
    assert "Phase Ib" not in html
    tables = {p.stem for p in (out / "tables").iterdir()}
    assert {"bor_cbor_placebo", "bor_cbor_xanomeline_high_dose", "time_to_event_placebo"} \
        <= tables
    assert "simon" not in tables
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
