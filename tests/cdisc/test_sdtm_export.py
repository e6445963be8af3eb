"""Store → SDTM export: the domains and variables the efficacy and ADaM code read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from oncotrial.cdisc.adam import derive_adsl
from oncotrial.cdisc.sdtm import read_sdtm
from oncotrial.cdisc.sdtm.export import epoch, study_day
from oncotrial.cli import app
from oncotrial.protocol import load_protocol
from oncotrial.services import assessments, dosing, enrolment, safety, subjects
from oncotrial.services._unit import open_unit
from oncotrial.store import Store
from tests.services.helpers import reading, register, screening_values
from tests.store.backends import World, admin_actor, backend, give_password, store, world

__all__ = ["admin_actor", "backend", "store", "world"]  # fixtures used by pytest
R = reading
START = date(2019, 4, 1)


def _trial(store: Store, world: World) -> str:
    protocol = load_protocol()
    number = register(store, world)
    with open_unit(store, world.inv_a) as unit:
        enrolment.enrol_subject(
            unit,
            number,
            screening=screening_values(),
            phase="II",
            enrolled_on=START,
            protocol=protocol,
            reference_start_date=START,
        )
        subjects.record_visit(
            unit, number, name="C1D1", visitnum=1, cycle=1, day=1, actual_date=START
        )
        safety.record_body_measurement(
            unit, number, measured_on=START, height_cm=170, weight_kg=70, protocol=protocol
        )
        safety.record_lab(
            unit,
            number,
            collected_on=START,
            test_code="NEUT",
            value=0.9,
            unit_of_measure="10^9/L",
            lln=1.8,
            uln=7.5,
        )
        decision = dosing.recommend_dose(unit, number, cycle=1, day=1, on=START, protocol=protocol)
        lenvatinib = decision.drug("lenvatinib")
        dosing.record_dose(
            unit,
            number,
            drug="lenvatinib",
            cycle=1,
            day=1,
            administered_on=START,
            given_dose_mg=lenvatinib.dose_mg or 0,
            protocol=protocol,
        )
        safety.record_adverse_event(
            unit,
            number,
            term="Hypertension",
            grade=3,
            start_date=date(2019, 4, 9),
            related_lenvatinib="probable",
            related_eribulin="unrelated",
        )
        assessments.record_tumour_assessment(
            unit,
            number,
            visit="BASELINE",
            visitnum=0,
            assessed_on=date(2019, 3, 25),
            lesions=[
                R("T01", "TARGET", "LUNG", 50.0),
                R("T02", "TARGET", "LYMPH NODE", 20.0, nodal=True),
            ],
            protocol=protocol,
        )
        assessments.record_tumour_assessment(
            unit,
            number,
            visit="WEEK 6",
            visitnum=6,
            assessed_on=date(2019, 5, 13),
            lesions=[
                R("T01", "TARGET", "LUNG", 30.0),
                R("T02", "TARGET", "LYMPH NODE", 12.0, nodal=True),
            ],
            protocol=protocol,
        )
        subjects.record_disposition(
            unit,
            number,
            event="END OF TREATMENT",
            occurred_on=date(2019, 8, 1),
            reason="PROGRESSIVE DISEASE",
        )
    return number


def test_export_sdtm_round_trips_into_adam(store: Store, world: World, tmp_path: Path) -> None:
    """`oncotrial export sdtm` writes XPT v5 + CSV that read_sdtm and derive_adsl accept."""
    number = _trial(store, world)
    env = give_password(store, world.data_manager.username)
    result = CliRunner(env=env).invoke(
        app,
        [
            "export",
            "sdtm",
            "--db",
            store.url,
            "--out",
            str(tmp_path),
            "--user",
            world.data_manager.username,
        ],
    )
    assert result.exit_code == 0, result.output
    for domain in ("dm", "ds", "ex", "ae", "lb", "vs", "tu", "tr", "rs", "sv", "cm"):
        assert (tmp_path / f"{domain}.xpt").is_file()
        assert (tmp_path / f"{domain}.csv").is_file()
    sdtm = read_sdtm(tmp_path)
    usubjid = f"LEADER-{number}"
    dm = sdtm["DM"].set_index("USUBJID").loc[usubjid]
    assert (dm["RFSTDTC"], dm["HISTOL"], dm["SITEID"], dm["ARM"]) == (
        "2019-04-01",
        "LMS",
        world.site_a,
        "L14E1.1",
    )
    assert dm["AGE"] == 58
    assert dm["PHASE"] == "II"
    tr = sdtm["TR"][sdtm["TR"]["USUBJID"] == usubjid]
    assert set(tr["TRTESTCD"]) == {"LDIAM", "LPERP"}
    rs = sdtm["RS"][(sdtm["RS"]["USUBJID"] == usubjid) & (sdtm["RS"]["RSTESTCD"] == "OVRLRESP")]
    assert set(rs["RSSTRESC"]) == {"PR"}  # 42/70 = -40 %, node 12 mm (RECIST 1.1 §4.3.1)
    ds = sdtm["DS"][sdtm["DS"]["USUBJID"] == usubjid]
    assert {"ENROLLED", "PROGRESSIVE DISEASE"} <= set(ds["DSDECOD"])
    lb = sdtm["LB"][sdtm["LB"]["USUBJID"] == usubjid]
    assert lb["LBTOXGR"].astype(str).tolist() == ["3"]
    adsl = derive_adsl(sdtm)
    assert usubjid in set(adsl["USUBJID"])
    assert adsl.set_index("USUBJID").loc[usubjid, "PHASE"] == "II"


def test_site_user_exports_only_own_site(store: Store, world: World, tmp_path: Path) -> None:
    """An investigator's export holds only the subjects of their sites."""
    mine = register(store, world, 1)
    theirs = register(store, world, 1, site_b=True)
    result = CliRunner(env=give_password(store, world.inv_a.username)).invoke(
        app,
        [
            "export",
            "sdtm",
            "--db",
            store.url,
            "--out",
            str(tmp_path),
            "--user",
            world.inv_a.username,
        ],
    )
    assert result.exit_code == 0, result.output
    ids = set(read_sdtm(tmp_path)["DM"]["USUBJID"])
    assert f"LEADER-{mine}" in ids
    assert f"LEADER-{theirs}" not in ids


@pytest.mark.parametrize("argv", [["audit", "verify"]])
def test_audit_verify_command(store: Store, world: World, argv: list[str]) -> None:
    """`oncotrial audit verify` reports an intact chain with exit code 0."""
    register(store, world)
    result = CliRunner().invoke(app, [*argv, "--db", store.url])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_study_day_has_no_day_zero_and_skips_partial_dates() -> None:
    """SDTMIG 3.3 §4.4.4: RFSTDTC is day 1, the day before day -1; a partial or missing date
    has no study day."""
    dates = pd.Series(["2020-03-01", "2020-02-29", "2020-03-02T10:00", "2020-03", "", None])
    days = study_day(dates, pd.Series(["2020-03-01"] * 6))
    assert days.tolist()[:3] == [1.0, -1.0, 2.0]
    assert days.iloc[3:].isna().all()


def test_study_day_matches_the_cdisc_pilot(shared_dir: Path) -> None:
    """EXSTDY/EXENDY and AESTDY of the CDISC pilot SDTM (pharmaversesdtm) recomputed from
    their dates and DM.RFSTDTC: all 591 + 585 EX days agree; 1,164 of 1,165 AE start days
    agree, the other being the pilot's own slip (01-716-1063: AESTDTC = RFSTDTC = 2013-05-09,
    AESTDY 366)."""
    folder = shared_dir / "validation" / "pharmaversesdtm"
    dm = pd.read_csv(folder / "dm.csv", dtype=str)
    start = dict(zip(dm["USUBJID"], dm["RFSTDTC"], strict=True))
    ex = pd.read_csv(folder / "ex.csv", dtype=str)
    for dtc, dy in (("EXSTDTC", "EXSTDY"), ("EXENDTC", "EXENDY")):
        pd.testing.assert_series_equal(study_day(ex[dtc], ex["USUBJID"].map(start)),
                                       pd.to_numeric(ex[dy]), check_names=False)
    ae = pd.read_csv(folder / "ae.csv", dtype=str)
    mine = study_day(ae["AESTDTC"], ae["USUBJID"].map(start))
    theirs = pd.to_numeric(ae["AESTDY"])
    assert (mine.isna() == theirs.isna()).all()
    differ = ae.loc[mine.notna() & (mine != theirs), ["USUBJID", "AESTDTC", "AESTDY"]]
    assert int(mine.notna().sum()) == 1165
    assert differ.values.tolist() == [["01-716-1063", "2013-05-09", "366.0"]]


def test_epoch_boundaries_follow_the_subjects_elements() -> None:
    """SDTMIG 3.3 §4.1.3.1 with the TA/TE elements: the day before consent none, consent day
    SCREENING, the day before the first dose SCREENING, the first-dose day TREATMENT, the
    end-of-treatment day TREATMENT, the day after FOLLOW-UP; no end of treatment: TREATMENT
    onwards; never dosed: SCREENING; a partial date: none."""
    dates = pd.Series(["2020-01-09", "2020-01-10", "2020-01-31", "2020-02-01", "2020-05-01",
                       "2020-05-02", "2020-05-02", "2020-05-02", "2020-02"])
    consent = pd.Series(["2020-01-10"] * 9)
    first = pd.Series(["2020-02-01"] * 7 + ["", "2020-02-01"])
    end = pd.Series(["2020-05-01"] * 6 + [None, None, "2020-05-01"])
    assert epoch(dates, consent, first, end).tolist() == [
        "", "SCREENING", "SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP", "TREATMENT",
        "SCREENING", ""]
