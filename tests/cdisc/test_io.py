"""SDTM/ADaM file I/O and ISO 8601 partial dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from oncotrial.cdisc import parse_dtc, read_domain, write_dataset
from oncotrial.errors import DataError


@pytest.mark.parametrize(
    ("dtc", "impute", "expected", "flag"),
    [
        ("2019-03-04", "none", date(2019, 3, 4), ""),
        ("2019-03-04T10:22", "none", date(2019, 3, 4), ""),
        ("2019-02", "first", date(2019, 2, 1), "D"),
        ("2019-02", "last", date(2019, 2, 28), "D"),
        ("2020-02", "last", date(2020, 2, 29), "D"),
        ("2019", "first", date(2019, 1, 1), "M"),
        ("2019", "last", date(2019, 12, 31), "M"),
        ("2019-02", "mid", date(2019, 2, 15), "D"),
    ],
)
def test_parse_dtc_imputes_partial_dates(dtc: str, impute: str, expected: date, flag: str) -> None:
    """Partial dates are imputed as ADaM --DTF conventions describe, and flagged."""
    parsed = parse_dtc(dtc, impute=impute)  # type: ignore[arg-type]
    assert parsed is not None
    assert parsed.value == expected
    assert parsed.flag == flag


def test_parse_dtc_partial_without_imputation_is_none() -> None:
    """A partial date without an imputation rule gives no date."""
    assert parse_dtc("2019-03") is None
    assert parse_dtc("") is None


@pytest.mark.parametrize("bad", ["03/04/2019", "2019-13-01", "2019-02-30"])
def test_parse_dtc_rejects_bad_dates(bad: str) -> None:
    """Non-ISO or impossible dates raise a DataError naming the field and value."""
    with pytest.raises(DataError, match="TRDTC"):
        parse_dtc(bad, field="TRDTC")


def test_write_dataset_round_trips_through_pyreadstat(tmp_path: Path) -> None:
    """XPT v5 written here reads back with pyreadstat with its labels; CSV keeps identifiers."""
    frame = pd.DataFrame(
        {"USUBJID": ["001", "002"], "AVAL": [1.5, None], "AVALC": ["1", ""]},
    )
    write_dataset(frame, tmp_path, "ADX", labels={"AVAL": "Analysis Value"}, table_label="Test")
    back, meta = pyreadstat.read_xport(str(tmp_path / "adx.xpt"))
    assert list(back["USUBJID"]) == ["001", "002"]
    assert meta.column_names_to_labels["AVAL"] == "Analysis Value"
    csv = read_domain(tmp_path.joinpath(), "adx_missing")
    assert csv is None
    (tmp_path / "adx.xpt").unlink()
    from_csv = read_domain(tmp_path, "ADX")
    assert from_csv is not None
    assert list(from_csv["USUBJID"]) == ["001", "002"]
    assert from_csv["AVAL"].iloc[0] == 1.5
    assert list(from_csv["AVALC"]) == ["1", ""]


def test_write_dataset_refuses_long_names(tmp_path: Path) -> None:
    """A variable name over 8 characters is an error for XPT v5, not a silent truncation."""
    with pytest.raises(DataError, match="TOOLONGNAME"):
        write_dataset(pd.DataFrame({"TOOLONGNAME": [1]}), tmp_path, "X")


def test_adam_dates_are_sas_dates_with_date9(tmp_path: Path) -> None:
    """``*DT`` variables are numeric SAS dates formatted DATE9 (ADaMIG v1.2 §3.1.2), also when
    all missing; pyreadstat reads them back as the same days. A ``*DTC`` text stays text."""
    frame = pd.DataFrame({
        "USUBJID": ["A", "B"],
        "TRTSDT": pd.to_datetime(["2019-03-04", None]),
        "ADT": [date(2019, 5, 6), None],
        "RANDDT": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]"),
        "RSDTC": ["2019-05", ""],
    })
    write_dataset(frame, tmp_path, "ADXX", formats=("xpt",))
    back, meta = pyreadstat.read_xport(str(tmp_path / "adxx.xpt"))
    # The format is DATE9 however the reader spells it (readstat 1.3.8 adds SAS's final ".").
    for name in ("TRTSDT", "ADT", "RANDDT"):
        assert meta.original_variable_types[name].rstrip(".") == "DATE9", name
    assert meta.readstat_variable_types["TRTSDT"] == "double"
    # Stored as SAS day numbers: days since 1960-01-01.
    raw, _ = pyreadstat.read_xport(str(tmp_path / "adxx.xpt"), disable_datetime_conversion=True)
    assert raw["TRTSDT"].iloc[0] == (date(2019, 3, 4) - date(1960, 1, 1)).days
    assert raw["ADT"].iloc[0] == (date(2019, 5, 6) - date(1960, 1, 1)).days
    assert meta.readstat_variable_types["RSDTC"] == "string"
    assert back["TRTSDT"].iloc[0] == date(2019, 3, 4)
    assert back["ADT"].iloc[0] == date(2019, 5, 6)
    assert pd.isna(back["ADT"].iloc[1])
    assert back["RANDDT"].isna().all()
    again = read_domain(tmp_path, "ADXX")
    assert again is not None
    assert again["TRTSDT"].iloc[0] == pd.Timestamp("2019-03-04")


def test_csv_columns_typed_as_cdisc_reads_them(tmp_path: Path) -> None:
    """Character variables stay text even when all digits (TRLNKID, --DTC, flags); other
    columns are numeric when every non-empty value is a number; text columns keep '' for
    blanks; True/False text is not turned into booleans."""
    (tmp_path / "tr.csv").write_text(
        "USUBJID,TRLNKID,TRDTC,TRSTRESN,VISITNUM,TRTEST,NOTE,ANL01FL\n"
        "01,7,2019,12.5,1,Longest,True,Y\n"
        "02,8,2019-02,,2,,False,\n"
    )
    frame = read_domain(tmp_path, "TR")
    assert frame is not None
    assert frame["USUBJID"].tolist() == ["01", "02"]
    assert frame["TRLNKID"].tolist() == ["7", "8"]
    assert frame["TRDTC"].tolist() == ["2019", "2019-02"]
    assert frame["TRSTRESN"].iloc[0] == 12.5
    assert pd.isna(frame["TRSTRESN"].iloc[1])
    assert frame["VISITNUM"].tolist() == [1, 2]
    assert frame["TRTEST"].tolist() == ["Longest", ""]
    assert frame["NOTE"].tolist() == ["True", "False"]
    assert frame["ANL01FL"].tolist() == ["Y", ""]


def test_csv_copies_neutralise_formula_cells(tmp_path: Path) -> None:
    """An SDTM/ADaM CSV never holds a cell a spreadsheet would run (OWASP CSV injection): text
    starting with = + - @ gets a leading quote; numbers, dates and the XPT copy are unchanged."""
    frame = pd.DataFrame({"USUBJID": ["01", "02"], "AETERM": ["=1+2", "@SUM(A1)"],
                          "AVAL": [-1.5, 2.0], "ADTC": ["2019-01-02", "-"]})
    write_dataset(frame, tmp_path, "ADX")
    lines = (tmp_path / "adx.csv").read_text().splitlines()
    assert lines[1:] == ["01,'=1+2,-1.5,2019-01-02", "02,'@SUM(A1),2.0,'-"]
    back, _meta = pyreadstat.read_xport(str(tmp_path / "adx.xpt"))
    assert back["AETERM"].tolist() == ["=1+2", "@SUM(A1)"]
