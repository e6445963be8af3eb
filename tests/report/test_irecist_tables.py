"""The report's iRECIST tables from ADaM derived from TU/TR with new-lesion measurements:
ORR by iRECIST beside RECIST 1.1 with exact CIs, the course of iUPD, the confirmed iRECIST
best response and PFS by both criteria; nothing without iRECIST parameters."""

from __future__ import annotations

import pandas as pd

from oncotrial.cdisc.adam import derive_adam
from oncotrial.protocol import load_protocol
from oncotrial.report.content import build_sections
from oncotrial.report.irecist_tables import compute_irecist_tables
from tests.cdisc.adam.test_adrs_irecist import _sdtm


def _adam(criteria: tuple[str, ...] = ("recist", "irecist")) -> dict[str, pd.DataFrame]:
    result = derive_adam(_sdtm(), protocol=load_protocol(), source="TR", criteria=criteria)
    return {"ADSL": result.adsl, "ADRS": result.adrs, "ADTTE": result.adtte}


def test_irecist_orr_beside_recist_with_exact_ci() -> None:
    """Four response-evaluable subjects: RECIST 1.1 BOR SD, SD, PD, SD (0/4); iRECIST IBOR
    iSD, iPR (reset after iUPD), iCPD, iSD (1/4). Clopper-Pearson 95 % CI of 1/4 is
    0.63–80.59 % (R: binom.test(1, 4)$conf.int = 0.006309463 0.805879550)."""
    orr, bor, pfs = compute_irecist_tables(_adam())
    rows = orr.rows.set_index("Criteria").iloc[:, 0]
    assert rows["iRECIST, unconfirmed"] == "1/4 (25.0%); 25.0% (0.6–80.6)"
    assert rows["RECIST 1.1, unconfirmed"].startswith("0/4 (0.0%); 0.0% (0.0–60.2)")
    assert rows["iRECIST, confirmed"].startswith("0/4")
    assert rows["Responders (unconfirmed) by iRECIST only"] == "1"
    assert rows["Unconfirmed progression (iUPD)"] == "4/4 (100.0%)"
    assert [rows["iUPD confirmed (iCPD)"], rows["iUPD reset by a later iSD, iPR or iCR"],
            rows["iUPD not confirmed at the last assessment"]] == [
        "2/4 (50.0%)", "1/4 (25.0%)", "1/4 (25.0%)"]
    counts = bor.rows.set_index("Category")["n/N (%)"]
    assert (counts["iSD"], counts["iCPD"], counts["iPR"]) == (
        "3/4 (75.0%)", "1/4 (25.0%)", "0/4 (0.0%)")
    events = pfs.rows.set_index("Parameter")["Events"]
    assert events.to_dict() == {"Progression-Free Survival": "4",
                                "iRECIST Progression-Free Survival": "3"}


def test_tables_only_with_irecist_and_numbered_in_the_efficacy_section() -> None:
    assert compute_irecist_tables(_adam(("recist",))) == []
    efficacy = next(s for s in build_sections(_adam()) if s.key == "efficacy")
    titles = {t.title: t.number for t in efficacy.tables}
    number = titles["Objective response by RECIST 1.1 and by iRECIST"]
    assert number.startswith("Table 14.2.")
    assert "Best overall response (confirmed, iRECIST)" in titles
