"""``oncotrial demo``: every record through the services, SDTM/ADaM out, reproducible."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from oncotrial.cdisc.adam import derive_adam
from oncotrial.cdisc.sdtm import read_sdtm
from oncotrial.protocol import Protocol
from oncotrial.services.simulation import DemoSummary, run_demo
from oncotrial.sim import simulate_trial


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, leader: Protocol) -> tuple[Path, DemoSummary]:
    """A 6-patient demo (the phase Ib cohorts) in a fresh SQLite database."""
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, protocol=leader, seed=11, n_patients=6)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_demo_writes_sdtm_and_adam_that_read_back(demo: tuple[Path, DemoSummary]) -> None:
    """SDTM and ADaM XPT files exist and read back with pyreadstat."""
    out, summary = demo
    for name in ("dm", "ds", "ex", "ae", "lb", "vs", "tu", "tr", "rs"):
        frame, _ = pyreadstat.read_xport(str(out / "sdtm" / f"{name}.xpt"))
        assert len(frame) > 0, name
    for name in ("adsl", "adrs", "adtte"):
        frame, _ = pyreadstat.read_xport(str(out / "adam" / f"{name}.xpt"))
        assert len(frame) > 0, name
    assert summary.n_patients == 6
    assert summary.n_evaluable == 6


@pytest.mark.slow
def test_adam_rederives_identically_from_exported_sdtm(demo: tuple[Path, DemoSummary],
                                                      leader: Protocol) -> None:
    """Deriving ADaM again from the exported SDTM gives the written ADaM datasets."""
    out, _ = demo
    again = derive_adam(read_sdtm(out / "sdtm"), protocol=leader, supporting=True,
                        criteria=("recist", "choi"))
    frames = {"adsl": again.adsl, "adrs": again.adrs, "adtte": again.adtte,
              **{name.lower(): frame for name, frame in again.supporting.items()}}
    assert {"adae", "adex", "adlb", "adtr"} <= set(frames)
    for name, frame in frames.items():
        written, _ = pyreadstat.read_xport(str(out / "adam" / f"{name}.xpt"))
        assert list(written.columns) == list(frame.columns)
        assert len(written) == len(frame)
        assert (out / "adam" / f"{name}.csv").read_text() == frame.to_csv(index=False)


@pytest.mark.slow
def test_same_seed_same_files(demo: tuple[Path, DemoSummary], leader: Protocol,
                              tmp_path: Path) -> None:
    """A second run with the same seed writes byte-identical SDTM and ADaM files."""
    out, _ = demo
    run_demo(tmp_path, protocol=leader, seed=11, n_patients=6)
    assert _digests(tmp_path / "sdtm") == _digests(out / "sdtm")
    assert _digests(tmp_path / "adam") == _digests(out / "adam")


@pytest.mark.slow
def test_demo_ends_with_the_report_of_its_adam(demo: tuple[Path, DemoSummary]) -> None:
    """The demo writes report.html/report.pdf and CSV tables; the ORR row in the BOR table
    shows the same responders and denominator the demo computed from ADaM."""
    out, summary = demo
    report = out / "report"
    assert (report / "report.html").stat().st_size > 0
    assert (report / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (report / "report.html") in summary.files
    bor = pd.read_csv(report / "tables" / "bor_cbor.csv")
    orr = bor[bor.iloc[:, 0].astype(str).str.startswith("Objective response rate")]
    assert len(orr) == 1
    assert str(orr.iloc[0, 1]).startswith(f"{summary.responders}/{summary.n_evaluable} ")
    tables = {p.stem for p in (report / "tables").glob("*.csv")}
    assert {"ae", "exposure", "baseline", "disposition", "time_to_event"} <= tables, tables


@pytest.mark.slow
def test_held_and_reduced_doses_reach_ex_and_adex(demo: tuple[Path, DemoSummary]) -> None:
    """Every EX record with EXDOSE 0 is a held/omitted dose with its reason in EXADJ, and
    ADEX lists one DOSEADJ record per adjusted EX record."""
    out, _ = demo
    ex = pd.read_csv(out / "sdtm" / "ex.csv", keep_default_na=False)
    held = ex[ex["EXDOSE"].astype(float) == 0]
    assert (held["EXADJ"] != "").all()
    adex = pd.read_csv(out / "adam" / "adex.csv", keep_default_na=False)
    listed = adex[adex["PARAMCD"] == "DOSEADJ"]
    assert len(listed) == int((ex["EXADJ"] != "").sum())
    assert set(listed["AVALC"]) <= {"HELD", "REDUCED"}


@pytest.mark.slow
def test_adsl_baseline_sum_is_the_adtr_baseline(demo: tuple[Path, DemoSummary]) -> None:
    """ADSL.BLSOD equals the baseline SUMDIAM record of ADTR for every subject."""
    out, _ = demo
    adsl = pd.read_csv(out / "adam" / "adsl.csv").set_index("USUBJID")
    adtr = pd.read_csv(out / "adam" / "adtr.csv", keep_default_na=False)
    base = adtr[(adtr["PARAMCD"] == "SUMDIAM") & (adtr["ABLFL"] == "Y")].set_index("USUBJID")
    assert adsl["BLSOD"].to_dict() == base["AVAL"].astype(float).to_dict()


@pytest.mark.slow
def test_enrolment_went_through_the_service(demo: tuple[Path, DemoSummary]) -> None:
    """Every subject has its eligibility results and an enrolment decided by the enrolment
    service's rule (the phase Ib slot rule or the RP2D), in the database the demo wrote."""
    out, _ = demo
    import sqlite3

    with sqlite3.connect(out / "demo.sqlite") as db:
        subjects = db.execute("SELECT COUNT(*) FROM subject").fetchone()[0]
        with_results = db.execute(
            "SELECT COUNT(DISTINCT subject_id) FROM eligibility_result").fetchone()[0]
        rules = {r[0] for r in db.execute("SELECT decision_rule FROM enrolment")}
    assert subjects == with_results == 6
    assert rules <= {"phase II: RP2D", "first_cohort_incomplete", "zero_or_one_of_three",
                     "second_cohort_incomplete"}, rules


@pytest.mark.slow
def test_every_dose_is_the_engine_decision(demo: tuple[Path, DemoSummary]) -> None:
    """Doses went through the dosing service with no deviation: every administration's
    action is the engine's, with no reason for change, and decisions name their rules."""
    out, _ = demo
    import sqlite3

    with sqlite3.connect(out / "demo.sqlite") as db:
        rows = db.execute("SELECT action, recommended_action, reason, decision_rules, "
                          "recommended_dose, given_dose FROM drug_administration").fetchall()
    assert rows
    assert all(action == recommended for action, recommended, *_ in rows)
    assert all(reason is None for _, _, reason, *_ in rows)
    assert all(rules for action, _, _, rules, *_ in rows if action != "give")


@pytest.mark.slow
def test_phase_ib_slots_are_the_simulated_dose_finding(demo: tuple[Path, DemoSummary],
                                                       leader: Protocol) -> None:
    """The enrolment service, deciding from what the database held on each enrolment date,
    gave every subject the simulator's regimen, and one cohort per simulated cohort decision."""
    out, _ = demo
    import sqlite3

    trial = simulate_trial(leader, n_patients=6, seed=11)
    with sqlite3.connect(out / "demo.sqlite") as db:
        rows = db.execute(
            "SELECT s.screening_number, e.phase, e.regimen, e.cohort FROM enrolment e "
            "JOIN subject s ON s.id = e.subject_id ORDER BY s.screening_number").fetchall()
    by_order = {int(number.split("-")[1]) - 1: row for number, *row in rows}
    assert sorted(by_order) == list(range(6))
    assert [by_order[i][1] for i in range(6)] == list(trial.regimen)
    assert [by_order[i][0] for i in range(6)] == [p.value for p in trial.phase]
    cohorts = list(dict.fromkeys((regimen, cohort) for phase, regimen, cohort in
                                 (by_order[i] for i in range(6)) if phase == "Ib"))
    assert [regimen for regimen, _ in cohorts] == [c.regimen for c in trial.cohorts]


@pytest.mark.slow
def test_every_subject_passed_every_stored_criterion(demo: tuple[Path, DemoSummary],
                                                     leader: Protocol) -> None:
    """Each enrolled subject has one stored result per protocol criterion, all met."""
    out, _ = demo
    import sqlite3

    with sqlite3.connect(out / "demo.sqlite") as db:
        per_subject = db.execute(
            "SELECT subject_id, COUNT(*), SUM(met = 1) FROM eligibility_result "
            "GROUP BY subject_id").fetchall()
        enrolled = db.execute("SELECT COUNT(*) FROM enrolment").fetchone()[0]
    assert len(per_subject) == enrolled == 6
    assert {n for _, n, _ in per_subject} == {len(leader.eligibility)}
    assert all(n == met for _, n, met in per_subject)


@pytest.mark.slow
def test_demo_has_choi_responses_beside_recist(demo: tuple[Path, DemoSummary]) -> None:
    """Each measured target lesion carries its density (TR ATTEN, HU), ADRS has the Choi
    parameters for every subject, the report puts ORR by RECIST and by Choi side by side, and
    a RECIST responder is a Choi responder (Choi's −10 % size threshold is within RECIST's
    −30 %)."""
    out, summary = demo
    tr = pd.read_csv(out / "sdtm" / "tr.csv")
    sizes = tr[tr["TRTESTCD"].isin(["LDIAM", "LPERP"]) & (tr["TRSTRESN"] > 0)]
    density = tr[tr["TRTESTCD"] == "ATTEN"]
    assert set(density["TRSTRESU"]) == {"HU"}
    key = ["USUBJID", "VISITNUM", "TRLNKID"]
    assert set(map(tuple, sizes[key].to_numpy())) == set(map(tuple, density[key].to_numpy()))
    adrs = pd.read_csv(out / "adam" / "adrs.csv")
    best = adrs[adrs["PARAMCD"] == "CHOICBOR"]
    assert best["USUBJID"].nunique() == summary.n_patients
    recist = adrs[(adrs["PARAMCD"] == "BOR") & adrs["AVALC"].isin(["CR", "PR"])]["USUBJID"]
    choi = best[best["AVALC"].isin(["CR", "PR"])]["USUBJID"]
    assert set(recist) <= set(choi)
    assert summary.choi_responders >= summary.responders
    table = (out / "report" / "tables" / "orr_criteria.csv").read_text(encoding="utf-8")
    assert "Choi, confirmed" in table



@pytest.mark.slow
def test_each_dlt_names_the_protocol_criterion_it_met(demo: tuple[Path, DemoSummary],
                                                       leader: Protocol) -> None:
    """AE.AEDLTCR carries the wording of the DLT criterion that made an event a DLT (a grade 2
    event only under the clause for interruptions in the DLT window); other events none."""
    out, _ = demo
    ae = pd.read_csv(out / "sdtm" / "ae.csv", keep_default_na=False)
    wording = {c.description for c in leader.phase_ib.dlt.criteria}
    dlt = ae[ae["AEDLT"] == "Y"]
    assert len(dlt) > 0  # seed 11: a grade 3 hypertension and a grade 2 fatigue
    assert set(dlt["AEDLTCR"]) <= wording
    assert (ae.loc[ae["AEDLT"] != "Y", "AEDLTCR"] == "").all()
    grade2 = dlt[dlt["AETOXGR"].astype(str) == "2"]
    g2 = next(c.description for c in leader.phase_ib.dlt.criteria
              if c.name == "g2_forcing_cycle1_interruption")
    assert set(grade2["AEDLTCR"]) <= {g2}


@pytest.mark.slow
def test_demo_report_has_time_to_response_and_density_waterfall(
        demo: tuple[Path, DemoSummary]) -> None:
    """ADTTE TTR/CHOITTR exist exactly for the confirmed responders (ADRS CRSP/CHOICRSP = Y),
    ADTR has the density beside the sums, and the report shows the time to response by each
    criteria and the waterfall by size and by density."""
    out, _ = demo
    adrs = pd.read_csv(out / "adam" / "adrs.csv")
    adtte = pd.read_csv(out / "adam" / "adtte.csv")
    adsl = pd.read_csv(out / "adam" / "adsl.csv")
    efficacy = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    rows = pd.read_csv(out / "report" / "tables" / "time_to_response.csv").set_index("Criteria")
    for label, ttr, crsp in (("RECIST 1.1", "TTR", "CRSP"), ("Choi", "CHOITTR", "CHOICRSP")):
        responders = set(adrs.loc[(adrs["PARAMCD"] == crsp) & (adrs["AVALC"] == "Y"),
                                  "USUBJID"])
        assert set(adtte.loc[adtte["PARAMCD"] == ttr, "USUBJID"]) == responders
        assert rows.loc[label, "Confirmed responders"] == len(responders & efficacy)
    adtr = pd.read_csv(out / "adam" / "adtr.csv")
    assert set(adtr["PARAMCD"]) == {"SUMDIAM", "DENSITY"}
    index = pd.read_csv(out / "report" / "tlf" / "index.csv")
    assert "Waterfall plot by size and by density" in set(index.iloc[:, 1])
