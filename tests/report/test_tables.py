"""Report tables: every number recomputed from the ADaM datasets."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import binomtest

from oncotrial.report import (
    compute_ae_table,
    compute_bor_table,
    compute_criteria_agreement_table,
    compute_criteria_orr_table,
    compute_lab_shift_table,
    compute_time_to_event_table,
    format_count,
)


def _row(table_rows: pd.DataFrame, start: str) -> str:
    match = table_rows[table_rows.iloc[:, 0].astype(str).str.startswith(start)]
    assert len(match) == 1, f"no single row starting with {start!r}"
    return str(match.iloc[0, 1])


def test_orr_in_table_equals_adrs_count_over_population(adam: dict[str, pd.DataFrame]) -> None:
    """The ORR row is the count of confirmed CR/PR in ADRS over the EFFFL population."""
    adsl, adrs = adam["ADSL"], adam["ADRS"]
    population = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    cbor = adrs[(adrs["PARAMCD"] == "CBOR") & adrs["USUBJID"].isin(population)]
    responders = int(cbor["AVALC"].isin(["CR", "PR"]).sum())
    table = compute_bor_table(adrs, adsl)
    assert _row(table.rows, "Objective response rate").startswith(
        f"{responders}/{len(population)} ")
    assert table.population == f"EFFFL (N = {len(population)})"


def test_orr_ci_matches_scipy_exact_interval(adam: dict[str, pd.DataFrame]) -> None:
    """The ORR confidence interval is scipy's exact Clopper-Pearson interval."""
    adsl, adrs = adam["ADSL"], adam["ADRS"]
    population = set(adsl.loc[adsl["EFFFL"] == "Y", "USUBJID"])
    cbor = adrs[(adrs["PARAMCD"] == "CBOR") & adrs["USUBJID"].isin(population)]
    x = int(cbor["AVALC"].isin(["CR", "PR"]).sum())
    ci = binomtest(x, len(population)).proportion_ci(confidence_level=0.95, method="exact")
    text = _row(compute_bor_table(adrs, adsl).rows, "Objective response rate")
    assert f"({100 * ci.low:.1f}–{100 * ci.high:.1f})" in text


@pytest.mark.parametrize(("n", "total", "expected"),
                         [(3, 30, "3/30 (10.0%)"), (0, 30, "0/30 (0.0%)"), (0, 0, "0/0")])
def test_format_count_keeps_denominator(n: int, total: int, expected: str) -> None:
    """Percentages carry their denominator, and none is shown over 0."""
    assert format_count(n, total) == expected


def test_empty_population_has_no_confidence_interval(adam: dict[str, pd.DataFrame]) -> None:
    """With no evaluable subject the ORR row says the CI is not estimable."""
    adsl = adam["ADSL"].assign(EFFFL="N")
    text = _row(compute_bor_table(adam["ADRS"], adsl).rows, "Objective response rate")
    assert text.startswith("0/0")
    assert "not estimable" in text


def test_ae_table_counts_each_subject_once_at_worst_grade() -> None:
    """Two events of one term in one subject count once, at the worst grade."""
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SAFFL": ["Y", "Y", "Y"]})
    adae = pd.DataFrame({
        "USUBJID": ["A", "A", "B", "C"],
        "AEDECOD": ["Hypertension", "Hypertension", "Hypertension", "Fatigue"],
        "ATOXGRN": [2, 3, 1, 2],
        "TRTEMFL": ["Y", "Y", "Y", ""],
    })
    rows = compute_ae_table(adae, adsl).rows.set_index("System organ class / CTCAE term")
    assert rows.loc["    Hypertension", "Any grade"] == "2/3 (66.7%)"
    assert rows.loc["    Hypertension", "Grade ≥ 3"] == "1/3 (33.3%)"
    assert rows.loc["    Hypertension", "Grade 3"] == "1/3 (33.3%)"
    assert rows.loc["    Hypertension", "Grade 1"] == "1/3 (33.3%)"
    assert rows.loc["    Hypertension", "Grade 2"] == "0/3 (0.0%)"
    assert "    Fatigue" not in rows.index  # not treatment-emergent
    assert rows.loc["Any adverse event", "Any grade"] == "2/3 (66.7%)"
    assert rows.loc["Vascular disorders", "Any grade"] == "2/3 (66.7%)"  # CTCAE v5.0 SOC


def test_ae_table_groups_terms_under_their_system_organ_class() -> None:
    """Terms sit under their CTCAE v5.0 SOC (Anemia: Blood and lymphatic system disorders;
    Neutrophil count decreased: Investigations); a subject with two terms of one SOC counts
    once in the SOC row at the worser grade; grade 5 has its own column."""
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "SAFFL": "Y"})
    adae = pd.DataFrame({
        "USUBJID": ["A", "A", "B", "C"],
        "AEDECOD": ["Neutrophil count decreased", "Platelet count decreased",
                    "Neutrophil count decreased", "Anemia"],
        "ATOXGRN": [2, 4, 5, 1], "TRTEMFL": "Y",
    })
    rows = compute_ae_table(adae, adsl).rows
    labels = rows["System organ class / CTCAE term"].tolist()
    assert labels == ["Any adverse event", "Investigations", "    Neutrophil count decreased",
                      "    Platelet count decreased", "Blood and lymphatic system disorders",
                      "    Anemia"]
    table = rows.set_index("System organ class / CTCAE term")
    assert table.loc["Investigations", "Any grade"] == "2/4 (50.0%)"
    assert table.loc["Investigations", "Grade 4"] == "1/4 (25.0%)"
    assert table.loc["Investigations", "Grade 5"] == "1/4 (25.0%)"
    assert table.loc["Investigations", "Grade 2"] == "0/4 (0.0%)"
    assert table.loc["Any adverse event", "Grade ≥ 3"] == "2/4 (50.0%)"


def test_lab_shift_table_crosses_baseline_and_worst_grade() -> None:
    """Each subject lands in the cell of its baseline grade and worst post-baseline grade."""
    adlb = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "B", "B"],
        "PARAM": ["Neutrophils"] * 5,
        "ABLFL": ["Y", "", "", "Y", ""],
        "ATOXGRN": [0, 2, 3, 1, 1],
        "BTOXGRN": [0, 0, 0, 1, 1],
    })
    rows = compute_lab_shift_table(adlb, param="Neutrophils", population="all").rows
    table = rows.set_index("Baseline")
    assert table.loc["Baseline grade 0", "Worst grade 3"] == "1"
    assert table.loc["Baseline grade 1", "Worst grade 1"] == "1"
    assert table.loc["Baseline grade 0", "Worst grade 2"] == "0"


def test_landmark_before_first_event_has_no_ci_rather_than_nan() -> None:
    """No event before 6 months: the rate is 100 % and its log-log CI is undefined (R's
    survfit gives NA there too), so the table says so instead of printing nan."""
    adtte = pd.DataFrame({"PARAMCD": "OS", "AVAL": [250.0, 300.0, 40.0, 400.0],
                          "CNSR": [0, 0, 1, 1]})
    row = compute_time_to_event_table(adtte, paramcds=("OS",)).rows.iloc[0]
    assert row["Rate at 3 months (95% CI)"] == "100.0% (CI not estimable)"
    assert "nan" not in " ".join(map(str, row.to_numpy()))


def test_dose_adjustment_table_counts_subjects_and_events_per_reason() -> None:
    """Two subjects held for the same reason (one twice) and one reduction: subjects are
    counted once per drug, kind and reason over SAFFL; events count every adjusted dose."""
    from oncotrial.cdisc.adam.safety import derive_adex
    from oncotrial.report._prepare import exposure_tables

    adsl = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "SAFFL": ["Y", "Y", "Y"],
                         "TRTSDT": ["2019-01-01"] * 3, "TRTEDT": ["2019-03-01"] * 3})
    ex = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S1", "S2", "S2"], "EXTRT": ["ERIBULIN"] * 5,
        "EXDOSU": ["mg"] * 5, "EXDOSE": [1.9, 0.0, 0.0, 1.9, 1.2],
        "EXSTDTC": ["2019-01-01", "2019-01-08", "2019-01-09", "2019-01-01", "2019-01-22"],
        "EXADJ": ["", "ANC < 1.0", "ANC < 1.0", "", "PERMANENT REDUCTION"],
    })
    adex = derive_adex(ex, adsl, cycle_length_days=21, planned_days={"eribulin": [1, 8]})
    tables = {t.key: t for t in exposure_tables(adex, adsl)}
    rows = tables["dose_adjustments"].rows.set_index(["Adjustment", "Reason"])
    assert rows.loc[("Held", "ANC < 1.0"), "Subjects"] == "1/3 (33.3%)"
    assert rows.loc[("Held", "ANC < 1.0"), "Events"] == "2"
    assert rows.loc[("Reduced", "PERMANENT REDUCTION"), "Subjects"] == "1/3 (33.3%)"
    exposure = tables["exposure"].rows.set_index("Parameter")["Median (range)"]
    assert exposure["Number of doses held or omitted"] == "1 (0–2); n = 2"


def _choi_adrs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """10 evaluable subjects: 3 confirmed RECIST responders, 7 confirmed Choi responders
    (the 3 RECIST ones among them); unconfirmed the same."""
    subjects = [f"S{i:02d}" for i in range(10)]
    adsl = pd.DataFrame({"USUBJID": subjects, "EFFFL": "Y"})
    recist = ["PR"] * 3 + ["SD"] * 5 + ["PD"] * 2
    choi = ["PR"] * 7 + ["SD"] * 1 + ["PD"] * 2
    rows = [(s, code, value) for code, values in (("CBOR", recist), ("BOR", recist),
                                                  ("CHOICBOR", choi), ("CHOIBOR", choi))
            for s, value in zip(subjects, values, strict=True)]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC"]), adsl


def test_orr_by_recist_and_choi_side_by_side() -> None:
    """ORR 3/10 and 7/10 with exact CIs (R: binom.test(3, 10)$conf.int = 0.0667 0.6525;
    binom.test(7, 10)$conf.int = 0.3475 0.9333) and 4 responders by Choi only."""
    adrs, adsl = _choi_adrs()
    table = compute_criteria_orr_table(adrs, adsl)
    assert table is not None
    assert _row(table.rows, "RECIST 1.1, confirmed") == "3/10 (30.0%); 30.0% (6.7–65.2)"
    assert _row(table.rows, "Choi, confirmed") == "7/10 (70.0%); 70.0% (34.8–93.3)"
    assert _row(table.rows, "Responders (confirmed)") == "4 / 0"
    no_choi = adrs[~adrs["PARAMCD"].str.startswith("CHOI")]
    assert compute_criteria_orr_table(no_choi, adsl) is None


def test_recist_against_choi_agreement_table() -> None:
    """Rows RECIST 1.1, columns Choi: the 3 RECIST PR are Choi PR, 4 RECIST SD are Choi PR,
    1 SD is SD by both, 2 PD by both; 6/10 in the same category."""
    adrs, adsl = _choi_adrs()
    table = compute_criteria_agreement_table(adrs, adsl)
    assert table is not None
    rows = table.rows.set_index("RECIST 1.1 (rows) by Choi")
    assert list(rows.columns) == ["PR", "SD", "PD", "Total"]
    assert rows.loc["PR"].tolist() == ["3", "0", "0", "3"]
    assert rows.loc["SD"].tolist() == ["4", "1", "0", "5"]
    assert rows.loc["PD"].tolist() == ["0", "0", "2", "2"]
    assert rows.loc["Total"].tolist() == ["7", "1", "2", "10"]
    assert "Same category by both: 6/10" in table.footnotes[0]
    no_choi = adrs[~adrs["PARAMCD"].str.startswith("CHOI")]
    assert compute_criteria_agreement_table(no_choi, adsl) is None
def test_dose_adjustment_reason_is_the_rule_wording_not_its_id() -> None:
    """A rule-decided adjustment shows the first clause of the rule's wording from the rule
    table (LENVIMA Table 1: "Persistent or intolerable grade 2 adverse reaction: withhold
    ..."); several rules are joined; an unknown name and typed reasons are kept."""
    from oncotrial.report._prepare import describe_adjustment

    assert describe_adjustment("DOSE HELD PER RULES lenvatinib_hold_intolerable_grade_2") == (
        "Persistent or intolerable grade 2 adverse reaction")
    both = describe_adjustment("DOSE OMITTED PER RULES eribulin_hold_platelets_below_75;"
                               "delayed_dose_omitted")
    assert both == ("Do not administer on day 1 or day 8 for platelets < 75,000/mm3 "
                    "(grade ≥ 2); the day 8 dose may be delayed at most 1 week")
    assert "_" not in both
    assert describe_adjustment("DOSE HELD PER RULES no_such_rule") == "no_such_rule"
    assert describe_adjustment("ANC < 1.0") == "ANC < 1.0"
    assert describe_adjustment("") == "Not recorded"


def _adsl_disposition() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": list("ABCDEF"),
        "ENRLFL": ["Y", "Y", "Y", "Y", "Y", "N"],
        "SAFFL": ["Y", "Y", "Y", "Y", "N", "N"],
        "EFFFL": ["Y", "Y", "N", "Y", "N", "N"],
        "SCRFREAS": ["", "", "", "", "", "INCLUSION CRITERIA NOT MET"],
        "EOTSTT": ["ONGOING", "DISCONTINUED", "DISCONTINUED", "DISCONTINUED", "", ""],
        "DCTREAS": ["", "PROGRESSIVE DISEASE", "ADVERSE EVENT", "PROGRESSIVE DISEASE", "", ""],
        "EOSSTT": ["ONGOING", "ONGOING", "ONGOING", "DISCONTINUED", "DISCONTINUED", ""],
        "DCSREAS": ["", "", "", "DEATH", "WITHDRAWAL BY SUBJECT", ""],
    })


def test_disposition_counts_ongoing_and_discontinued_among_treated() -> None:
    """Treated = ongoing + discontinued (by reason); only screen failures and the enrolled
    untreated subject are exclusions before treatment."""
    from oncotrial.report import _prepare as prep

    disposition = prep.derive_disposition(_adsl_disposition())
    assert (disposition.screened, disposition.enrolled, disposition.treated) == (6, 5, 4)
    assert disposition.not_treated == 1
    assert disposition.screen_failures == [("Inclusion criteria not met", 1)]
    assert disposition.ongoing == 1
    assert disposition.discontinued == [("Adverse event", 1), ("Progressive disease", 2)]
    assert disposition.ongoing + sum(n for _, n in disposition.discontinued) == 4
    stages = prep.consort_stages(disposition)
    assert [s[0].split("\n")[0] for s in stages] == ["Screened", "Enrolled", "Treated"]
    assert not any("Discontinued" in reason for _, _, side in stages for reason, _ in side)
    rows = prep.disposition_table(disposition).rows.set_index("Stage")
    assert rows.loc["    Treatment ongoing", "n"] == "1"
    assert rows.loc["    Treatment ongoing", "% of treated"] == "25.0"
    assert rows.loc["        Progressive disease", "n"] == "2"
    assert rows.loc["Enrolled, not treated", "n"] == "1"


def test_time_origin_names_the_adsl_date_it_equals() -> None:
    """The KM axis names the real origin: STARTDT equal to ENRLDT is enrolment, to TRTSDT
    start of treatment; DOR starts at the first response; anything else names STARTDT."""
    from oncotrial.report._prepare import time_origin

    base = pd.DataFrame({"PARAMCD": ["PFS", "PFS"], "STARTDT": ["2019-01-01", "2019-02-01"],
                         "ENRLDT": ["2019-01-01", "2019-02-01"],
                         "TRTSDT": ["2019-01-02", "2019-02-01"]})
    assert time_origin(base) == "enrolment"
    assert time_origin(base.assign(TRTSDT=base["STARTDT"]).drop(columns="ENRLDT")) == (
        "start of treatment")
    assert time_origin(base.drop(columns="ENRLDT")) == "origin (ADTTE STARTDT)"
    assert time_origin(base.assign(PARAMCD="DOR")) == "first documented response"


def test_landmark_with_no_one_at_risk_is_not_estimable() -> None:
    """All five responders censored or failing before 3 months: no one at risk at 3 months,
    so the rate is not estimable; with everyone still at risk and no event, 100 % has no CI
    (never "100.0% (100.0–100.0)")."""
    short = pd.DataFrame({"PARAMCD": "DOR", "AVAL": [20.0, 40.0, 50.0, 60.0, 80.0],
                          "CNSR": [1, 0, 1, 1, 1]})
    row = compute_time_to_event_table(short, paramcds=("DOR",)).rows.iloc[0]
    assert row["Rate at 3 months (95% CI)"] == "not estimable (no subject at risk)"
    long = pd.DataFrame({"PARAMCD": "DOR", "AVAL": [300.0, 325.0, 461.0, 500.0, 758.0],
                         "CNSR": [0, 0, 0, 1, 1]})
    row = compute_time_to_event_table(long, paramcds=("DOR",)).rows.iloc[0]
    assert row["Rate at 3 months (95% CI)"] == "100.0% (CI not estimable)"
    assert row["Rate at 6 months (95% CI)"] == "100.0% (CI not estimable)"


def test_deaths_listing_gives_study_day_and_fatal_events() -> None:
    """Each treated subject with a death date is listed once, with the day of death counted
    from the first dose (day 1) and the grade 5 / fatal AE terms; others are not listed."""
    from oncotrial.report._prepare import deaths_listing

    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SAFFL": ["Y", "Y", "N"],
                         "TRTSDT": ["2019-01-01", "2019-01-01", ""],
                         "DTHDT": ["2019-01-10", "", "2019-02-01"]})
    adae = pd.DataFrame({"USUBJID": ["A", "A", "B"],
                         "AEDECOD": ["Sepsis", "Fatigue", "Sepsis"],
                         "ATOXGRN": [5, 2, 3], "AEOUT": ["FATAL", "RECOVERED/RESOLVED", ""]})
    rows = deaths_listing(adsl, adae).rows
    assert rows.to_dict("records") == [{"Subject": "A", "Date of death": "2019-01-10",
                                        "Study day": "10", "Fatal adverse event": "Sepsis"}]


def test_a_flag_adsl_lacks_is_not_named_as_the_population() -> None:
    """ADSL without EFFFL: every subject is counted, and the table says "all subjects", not
    "EFFFL" (the label used to name a flag that selected nobody out); with the flag present
    the label names it and counts only its "Y" subjects."""
    ids = [f"S{i:02d}" for i in range(4)]
    adrs = pd.DataFrame({"USUBJID": ids, "PARAMCD": "CBOR", "AVALC": ["PR", "SD", "PD", "PD"]})
    without = compute_bor_table(adrs, pd.DataFrame({"USUBJID": ids}))
    assert without.population == "all subjects (N = 4)"
    flagged = compute_bor_table(adrs, pd.DataFrame({"USUBJID": ids,
                                                    "EFFFL": ["Y", "Y", "Y", "N"]}))
    assert flagged.population == "EFFFL (N = 3)"
