"""Submission-ready datasets: specifications match what is written, define.xml 2.1 is valid for
an independent validator, Dataset-JSON reads back as the XPT, TS/TI come from the protocol and
`oncotrial validate` reports zero errors on the demo and real errors on broken data."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.conformance import check_folder
from oncotrial.cdisc.spec import load_specification, spec_differences
from oncotrial.cli import app
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.services.simulation import run_demo
from tests.conftest import require_module

xmlschema = require_module("xmlschema", "xmlschema (Python package)")
jsonschema = require_module("jsonschema", "jsonschema (Python package)")
_DATA = resources.files("oncotrial.cdisc") / "data"


@pytest.fixture(scope="module")
def leader() -> Protocol:
    """The shipped LEADER protocol."""
    return load_protocol()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, leader: Protocol) -> Path:
    """A 6-patient demo: SDTM and ADaM folders as a user gets them."""
    out = tmp_path_factory.mktemp("submission")
    run_demo(out, protocol=leader, seed=7, n_patients=6)
    return out


def _xpt(folder: Path) -> dict[str, pd.DataFrame]:
    """Every XPT file read by pyreadstat, SAS dates as datetime64."""
    out = {}
    for path in sorted(folder.glob("*.xpt")):
        frame, meta = pyreadstat.read_xport(str(path))
        for column, fmt in meta.original_variable_types.items():
            if str(fmt or "").startswith(("DATE", "DATETIME")):
                frame[column] = pd.to_datetime(frame[column])
        out[path.stem.upper()] = frame
    return out


@pytest.mark.slow
@pytest.mark.parametrize("standard", ["SDTM", "ADaM"])
def test_every_written_variable_is_specified_and_the_other_way_round(
        demo: Path, standard: str) -> None:
    """Each dataset written has exactly the specification's variables, and every specified
    dataset is written (the demo has no medical history or deviation: empty MH and DV are
    left out; tests/services/test_ecg_history_deviations.py checks them with records)."""
    folder = demo / ("sdtm" if standard == "SDTM" else "adam")
    written = _xpt(folder)
    spec = load_specification(standard)  # type: ignore[arg-type]
    assert set(written) <= set(spec.datasets)
    assert set(spec.datasets) - set(written) == ({"MH", "DV"} if standard == "SDTM" else set())
    for name, frame in written.items():
        assert spec_differences(list(frame.columns), spec.dataset(name)) == ([], []), name


@pytest.mark.slow
@pytest.mark.parametrize(("standard", "schema"), [
    ("sdtm", "define/2.1/define2-1-0.xsd"), ("adam", "arm/1.0-define2.1/arm1-0-0.xsd")])
def test_define_xml_is_valid_for_xmlschema(demo: Path, standard: str, schema: str) -> None:
    """define.xml passes xmlschema against the Define-XML 2.1 XSD (ADaM: with ARM) and carries
    value-level metadata and, for ADaM, the primary endpoint's analysis results."""
    document = (demo / standard / "define.xml").read_text(encoding="utf-8")
    errors = list(xmlschema.XMLSchema(str(_DATA / "xsd" / schema)).iter_errors(document))
    assert not errors, errors[0]
    assert "def:ValueListDef" in document
    if standard == "adam":
        for oid in ("VL.ADRS.AVALC", "VL.ADTTE.AVAL", 'AnalysisPurpose="PRIMARY OUTCOME'):
            assert oid in document
    else:
        assert 'Alias Context="nci:ExtCodeID" Name="C66731"' in document  # SEX codelist
    html = (demo / standard / "define.html").read_text(encoding="utf-8")
    assert "<h2>Codelists</h2>" in html


def _read_dataset_json(path: Path, schema: dict[str, object]) -> pd.DataFrame:
    """An independent reader: the CDISC schema, then pandas; dates by targetDataType."""
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    columns = document["columns"]
    frame = pd.DataFrame(document["rows"], columns=[c["name"] for c in columns])
    for column in columns:
        if column.get("targetDataType") == "integer":
            frame[column["name"]] = pd.to_datetime(frame[column["name"]])
    assert document["records"] == len(frame)
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("standard", ["sdtm", "adam"])
def test_dataset_json_reads_back_as_the_xpt(demo: Path, standard: str) -> None:
    """Every Dataset-JSON file is valid for the CDISC Dataset-JSON 1.1 schema and holds the
    same values as its XPT file."""
    schema = json.loads((_DATA / "datasetjson" / "dataset.schema.json").read_text("utf-8"))
    for name, xpt in _xpt(demo / standard).items():
        read = _read_dataset_json(demo / standard / f"{name.lower()}.json", schema)
        assert list(read.columns) == list(xpt.columns), name
        for column in xpt.columns:
            expected, got = xpt[column], read[column]
            if expected.dtype == object:
                assert got.fillna("").astype(str).tolist() == expected.tolist(), (name, column)
            else:
                pd.testing.assert_series_equal(got.astype(expected.dtype), expected,
                                               check_names=False, obj=f"{name}.{column}")


@pytest.mark.slow
def test_trial_summary_and_design_come_from_the_protocol(demo: Path, leader: Protocol) -> None:
    """TS holds the study start date (earliest consent), phase and planned size; TI one
    record per eligibility criterion; TA one treatment element per regimen."""
    sdtm = _xpt(demo / "sdtm")
    ts = sdtm["TS"].set_index("TSPARMCD")
    assert ts.loc["SSTDTC", "TSVAL"] == min(sdtm["DM"]["RFICDTC"])
    assert ts.loc["TPHASE", "TSVALCD"] == "C15693"
    assert ts.loc["PLANSUB", "TSVAL"] == str(leader.phase_ii.design.n)
    assert len(sdtm["TI"]) == len(leader.eligibility)
    treatment = sdtm["TA"][sdtm["TA"]["EPOCH"] == "TREATMENT"]
    assert sorted(treatment["ETCD"]) == sorted(r.name for r in leader.phase_ib.regimens)
    assert set(sdtm["SV"]["VISITNUM"]) & set(sdtm["TV"]["VISITNUM"])


@pytest.mark.slow
def test_validate_reports_no_error_on_the_demo(demo: Path) -> None:
    """`oncotrial validate` on the demo's SDTM and ADaM: zero errors, exit code 0."""
    result = CliRunner().invoke(app, ["validate", "--sdtm", str(demo / "sdtm"),
                                      "--adam", str(demo / "adam")])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


@pytest.mark.slow
def test_validate_finds_broken_sequence_dates_terms_and_missing_trial_summary(
        demo: Path, tmp_path: Path) -> None:
    """A duplicated AESEQ, a malformed AESTDTC, a SEX outside its codelist and a missing TS
    are each reported as errors."""
    folder = tmp_path / "sdtm"
    shutil.copytree(demo / "sdtm", folder)
    for path in {*folder.glob("ts.*"), *folder.glob("*.json")}:
        path.unlink()
    ae = pd.read_csv(folder / "ae.csv", dtype=str, keep_default_na=False)
    ae.loc[1, "AESEQ"] = ae.loc[0, "AESEQ"]
    ae.loc[1, "USUBJID"] = ae.loc[0, "USUBJID"]
    ae.loc[2, "AESTDTC"] = "12/03/2019"
    ae.to_csv(folder / "ae.csv", index=False)
    (folder / "ae.xpt").unlink()
    dm = pd.read_csv(folder / "dm.csv", dtype=str, keep_default_na=False)
    dm.loc[0, "SEX"] = "MALE"
    dm.to_csv(folder / "dm.csv", index=False)
    (folder / "dm.xpt").unlink()
    found = check_folder(folder, standard="SDTM")
    errors = found[found["SEVERITY"] == "error"]
    assert {"SEQ", "ISO8601", "CT", "FDA-TRC-1734"} <= set(errors["RULE"])
    assert "MALE" in set(errors.loc[errors["RULE"] == "CT", "VALUE"])


def test_validate_reports_on_another_studys_sdtm(shared_dir: Path) -> None:
    """The CDISC pilot's SDTM (no TS, no define.xml) is reported, not raised: the rejection
    criteria it fails are errors; its EX, DS, TU, TR and RS visits are all in its SV (0 VISIT-SV
    findings, as CDISC CORE's CG0034 rule finds on it)."""
    found = check_folder(shared_dir / "validation" / "pharmaversesdtm", standard="SDTM")
    assert {"FDA-TRC-1734", "FDA-TRC-1735"} <= set(found["RULE"])
    assert "VISIT-SV" not in set(found["RULE"])


@pytest.mark.slow
def test_tumour_visits_are_subject_visits_and_planned_visits(demo: Path) -> None:
    """Every VISITNUM of TU, TR and RS is one of the subject's SV visits (CG0034; CDISC CORE
    0.17.1 found 1,989 records without one before SV held the imaging visits), and the first
    imaging visit is a TV visit on study day 43 (C1D1 + the protocol's 42-day interval)."""
    sdtm = _xpt(demo / "sdtm")
    sv = set(zip(sdtm["SV"]["USUBJID"], sdtm["SV"]["VISITNUM"], strict=True))
    for name in ("TU", "TR", "RS"):
        used = set(zip(sdtm[name]["USUBJID"], sdtm[name]["VISITNUM"], strict=True))
        assert used <= sv, (name, sorted(used - sv)[:3])
    tv = sdtm["TV"].set_index("VISITNUM")
    assert tv.loc[10.0, "VISIT"] == "IMAGING 1"
    assert tv.loc[10.0, "VISITDY"] == 43


@pytest.mark.slow
def test_validate_finds_a_visit_missing_from_sv(demo: Path, tmp_path: Path) -> None:
    """Removing one subject's baseline imaging visit from SV leaves its TU and TR records
    without an SV visit: VISIT-SV errors naming subject and visit number; SV intact, none."""
    folder = tmp_path / "sdtm"
    shutil.copytree(demo / "sdtm", folder)
    for path in folder.glob("sv.*"):
        path.unlink()
    sv = _xpt(demo / "sdtm")["SV"]
    assert "VISIT-SV" not in set(check_folder(demo / "sdtm", standard="SDTM")["RULE"])
    first = sv.loc[sv["VISITNUM"] == 1.0, "USUBJID"].iloc[0]
    sv[~((sv["USUBJID"] == first) & (sv["VISITNUM"] == 1.0))].to_csv(folder / "sv.csv",
                                                                    index=False)
    found = check_folder(folder, standard="SDTM")
    errors = found[(found["RULE"] == "VISIT-SV") & (found["SEVERITY"] == "error")]
    assert {"TU", "TR"} <= set(errors["DATASET"])
    assert set(errors["VALUE"]) == {f"{first} 1"}


def test_validate_without_folders_is_a_one_line_error() -> None:
    """No --sdtm and no --adam: a one-line error naming the options."""
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code != 0
