"""The report's dose-finding table: the protocol's cohort rules over ADaM, and the RP2D with the
clause that decided it (LEADER: 1/6 DLT at L18E1.1 but 4/6 reduced lenvatinib within 3 cycles
→ RP2D L14E1.1; Chen et al., Clin Cancer Res 2022;28:5058)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from oncotrial.protocol import load_protocol
from oncotrial.report._prepare import rp2d_table

START = date(2019, 1, 7)


def _adam(reduction_days: list[int], *, dlts: int = 1) -> tuple[pd.DataFrame, ...]:
    subjects = [f"S{i}" for i in range(1, 7)]
    adsl = pd.DataFrame({"USUBJID": subjects, "PHASE": "Ib", "ACTARM": "L18E1.1",
                         "DLTEVLFL": "Y", "SAFFL": "Y", "TRTSDT": pd.Timestamp(START)})
    adae = pd.DataFrame({"USUBJID": subjects[:dlts], "DLTFL": "Y", "AEDECOD": "Arthritis",
                         "ATOXGRN": 2})
    adex = pd.DataFrame({
        "USUBJID": subjects[:len(reduction_days)], "EXTRT": "LENVATINIB", "PARAMCD": "DOSEADJ",
        "AVALC": "REDUCED",
        "ADT": [pd.Timestamp(START + timedelta(days=d - 1)) for d in reduction_days]})
    return adsl, adae, adex


def _row(table) -> dict[str, str]:  # type: ignore[no-untyped-def]
    (row,) = table.rows.to_dict("records")
    return row


def test_four_of_six_reduced_by_cycle_3_moves_the_rp2d_down() -> None:
    adsl, adae, adex = _adam([30, 40, 50, 63])  # day 63 = last day of cycle 3
    row = _row(rp2d_table(adsl, adae, adex, load_protocol()))
    assert row["Patients with a DLT"] == "1"
    assert row["Decision"].startswith("stop")
    assert row["RP2D"].startswith("L14E1.1 by tolerability")
    assert "4/6" in row["RP2D"]


def test_a_reduction_on_day_64_is_outside_the_clause() -> None:
    adsl, adae, adex = _adam([30, 40, 50, 64])
    row = _row(rp2d_table(adsl, adae, adex, load_protocol()))
    assert row["RP2D"].startswith("L18E1.1 by dlt count")
    assert "3/6" in row["RP2D"]


def test_two_dlts_de_escalate_and_name_no_rp2d() -> None:
    adsl, adae, adex = _adam([30], dlts=2)
    row = _row(rp2d_table(adsl, adae, adex, load_protocol()))
    assert row["Decision"].startswith("de-escalate")
    assert row["RP2D"] == ""


@pytest.mark.parametrize("drug", ["Lenvatinib", " lenvatinib "])
def test_the_drug_name_is_matched_case_insensitively(drug: str) -> None:
    adsl, adae, adex = _adam([10, 20, 30, 40])
    adex["EXTRT"] = drug
    assert _row(rp2d_table(adsl, adae, adex, load_protocol()))["RP2D"].startswith("L14E1.1")


def test_no_phase_ib_subject_gives_an_empty_table_with_its_columns() -> None:
    adsl, adae, adex = _adam([10])
    adsl["PHASE"] = "II"
    table = rp2d_table(adsl, adae, adex, load_protocol())
    assert table.rows.empty
    assert list(table.rows.columns)[:2] == ["Dose level", "Treated"]
