"""Any frame is written as XPT v5 and read back by pyreadstat and pandas.read_sas: missing
columns of every type, long and non-ASCII text, huge numbers, dates and datetimes."""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, assume, given, settings

from oncotrial.cdisc import write_dataset
from oncotrial.cdisc._transport import to_ascii
from oncotrial.cdisc.io import transport_issues
from oncotrial.errors import DataError

_IBM_MAX = 2.0 * 16.0**62  # the largest magnitude readstat writes (see _transport)
_SAS_EPOCH = date(1960, 1, 1)

_texts = st.one_of(st.none(), st.text(max_size=8), st.text(min_size=190, max_size=260),
                   st.sampled_from(["≥ 3.0 × ULN", "Müller", "µmol/L", "=1+1", "  padded  "]))
_numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                     st.floats(min_value=-1e6, max_value=1e6),
                     st.sampled_from([1e300, -1e80, 7.2e75, 0.0, -0.0]))
_dates = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
_times = st.one_of(st.none(), st.datetimes(min_value=datetime(1950, 1, 1),
                                            max_value=datetime(2080, 1, 1)))
_KINDS = {"text": _texts, "number": _numbers, "date": _dates, "datetime": _times,
          "integer": st.one_of(st.none(), st.integers(-(2**40), 2**40)),
          "flag": st.booleans()}


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, str]]:
    """A frame of 1-20 rows and 1-6 columns of random kinds; some columns all missing."""
    n = draw(st.integers(1, 20))
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=6))
    columns: dict[str, object] = {}
    for index, kind in enumerate(kinds):
        name = {"date": f"D{index}DT", "datetime": f"D{index}DTM"}.get(kind, f"V{index}")
        if draw(st.booleans()) and kind != "flag":
            values: list[object] = [None] * n
        else:
            values = draw(st.lists(_KINDS[kind], min_size=n, max_size=n))
        if kind == "date":
            columns[name] = pd.Series(values, dtype=object)
        elif kind == "datetime":
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif kind == "integer":
            columns[name] = pd.array(values, dtype="Int64")
        elif kind == "number":
            columns[name] = pd.Series(values, dtype="float64")
        elif kind == "flag":
            columns[name] = pd.Series(values, dtype=bool)
        else:
            columns[name] = pd.Series(values, dtype=object)
    labels = {name: draw(st.text(max_size=60)) for name in columns}
    return pd.DataFrame(columns), labels


def _expected_text(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return to_ascii(text.rstrip()).rstrip()[:200].rstrip()


def _expected_number(value: object) -> float:
    if value is None or value is pd.NA:
        return math.nan
    number = float(value)  # type: ignore[arg-type]
    return number if abs(number) <= _IBM_MAX else math.nan


def _same_number(got: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(got)
    return math.isclose(got, expected, rel_tol=1e-13, abs_tol=1e-70)


def _check_column(name: str, original: pd.Series, back: pd.Series, raw: pd.Series) -> None:
    if original.dtype == object and name.endswith("DT"):
        expected = [math.nan if v is None else float((v - _SAS_EPOCH).days) for v in original]
        assert all(_same_number(g, e) for g, e in zip(raw, expected, strict=True)), name
    elif pd.api.types.is_datetime64_any_dtype(original):
        seconds = (original - pd.Timestamp("1960-01-01")).dt.total_seconds()
        assert all(_same_number(g, float(np.floor(e)) if not math.isnan(e) else e)
                   for g, e in zip(raw, seconds, strict=True)), name
    elif original.dtype == object:
        assert list(back) == [_expected_text(v) for v in original], name
    else:
        expected = [_expected_number(v) for v in original.astype(object)]
        assert all(_same_number(float(g), e) for g, e in zip(back, expected, strict=True)), name


def _text_frame_with_blank_last_row(frame: pd.DataFrame) -> bool:
    if any(frame[c].dtype != object or c.endswith("DT") for c in frame.columns):
        return False
    return all(_expected_text(v) == "" for v in frame.iloc[-1])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_any_frame_round_trips_through_pyreadstat_and_pandas(
    case: tuple[pd.DataFrame, dict[str, str]],
) -> None:
    """Written XPT v5 reads back with both readers: same rows, text in ASCII cut to 200,
    numbers equal (beyond ±9.0e74 missing), dates as SAS days, labels at most 40 ASCII."""
    frame, labels = case
    assume(not _text_frame_with_blank_last_row(frame))
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        write_dataset(frame, directory, "PROP", labels=labels, formats=("xpt",))
        path = str(directory / "prop.xpt")
        back, meta = pyreadstat.read_xport(path)
        raw, _ = pyreadstat.read_xport(path, disable_datetime_conversion=True)
        by_pandas = pd.read_sas(path, format="xport", encoding="ascii")
    assert len(back) == len(by_pandas) == len(frame)
    assert list(back.columns) == list(by_pandas.columns) == list(frame.columns)
    assert all(len(label or "") <= 40 and (label or "").isascii() for label in meta.column_labels)
    for name in frame.columns:
        _check_column(name, frame[name], back[name], raw[name])
        pandas_values = by_pandas[name]
        if frame[name].dtype == object and not name.endswith("DT"):
            assert list(pandas_values.fillna("")) == list(back[name]), name
        else:
            assert all(_same_number(float(p), float(r))
                       for p, r in zip(pandas_values, raw[name], strict=True)), name


def test_changes_are_listed_per_variable() -> None:
    """Transliteration, cutting to 200 characters, an unrepresentable number and a long label
    each give one issue naming the variable and how many values changed."""
    frame = pd.DataFrame({"AETERM": ["Müller", "ok", "é"], "LONG": ["x" * 250, "", ""],
                          "AVAL": [1.0, math.inf, 1e80]})
    issues = transport_issues(frame, "ADAE", labels={"AVAL": "L" * 41})
    found = {(r.VARIABLE, r.NVALUES, r.ACTION.split(" ")[0]) for r in issues.itertuples()}
    assert found == {("AETERM", 2, "transliterated"), ("LONG", 1, "cut"),
                     ("AVAL", 2, "written"), ("AVAL", 1, "cut")}
    assert set(issues["DATASET"]) == {"ADAE"}


@pytest.mark.parametrize(
    ("columns", "message"),
    [({"TOOLONGNAME": [1]}, "TOOLONGNAME"), ({"1ABC": [1]}, "1ABC"),
     ({"A-B": [1]}, "A-B")],
)
def test_names_xpt_cannot_hold_are_clear_errors(
    tmp_path: Path, columns: dict[str, list[int]], message: str
) -> None:
    """A variable name XPT v5 cannot hold is a DataError naming it, and no file is left."""
    with pytest.raises(DataError, match=message):
        write_dataset(pd.DataFrame(columns), tmp_path, "X", formats=("xpt",))
    assert not (tmp_path / "x.xpt").exists()


def test_duplicate_names_ignoring_case_are_refused(tmp_path: Path) -> None:
    """Two variables whose names differ only in case cannot both be written."""
    frame = pd.DataFrame([[1, 2]], columns=["aval", "AVAL"])
    with pytest.raises(DataError, match="duplicate variable"):
        write_dataset(frame, tmp_path, "X", formats=("xpt",))


def test_blank_last_record_of_text_frame_is_a_clear_error(tmp_path: Path) -> None:
    """A text-only frame whose last record is blank cannot be told from padding: DataError."""
    with pytest.raises(DataError, match="blank in every variable"):
        write_dataset(pd.DataFrame({"A": ["x", ""]}), tmp_path, "X", formats=("xpt",))
