"""Builders of small SDTM/ADSL frames for the ADaM efficacy tests."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pytest

from oncotrial.protocol import Protocol, load_protocol

DATE_COLUMNS = ("RANDDT", "ENRLDT", "TRTSDT", "TRTEDT", "NACTDT", "DTHDT", "LSTALVDT")


@pytest.fixture(scope="session")
def leader() -> Protocol:
    """The shipped LEADER protocol (confirmation 28 days, SD minimum 42 days, imaging 42 ± 7)."""
    return load_protocol()


def with_recist(protocol: Protocol, **values: int) -> Protocol:
    """A copy of *protocol* with some RECIST parameters replaced."""
    recist = protocol.recist.model_copy(update=values)
    return protocol.model_copy(update={"recist": recist})


def make_adsl(subjects: dict[str, dict[str, str]]) -> pd.DataFrame:
    """ADSL with the date columns the derivations read; values are ISO dates or ''."""
    rows = []
    for subject, values in subjects.items():
        row: dict[str, object] = {"STUDYID": "LEADER", "USUBJID": subject}
        for column in DATE_COLUMNS:
            row[column] = values.get(column, "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column].replace("", None)).astype("datetime64[ns]")
    return frame


def make_rs(
    rows: Iterable[tuple[str, str, str]], *, evaluator: str = "INVESTIGATOR"
) -> pd.DataFrame:
    """SDTM RS overall responses from (USUBJID, RSDTC, RSSTRESC) tuples, one visit each."""
    records = [
        {"STUDYID": "LEADER", "USUBJID": s, "RSSEQ": i + 1, "RSTESTCD": "OVRLRESP",
         "RSSTRESC": r, "RSDTC": d, "RSEVAL": evaluator, "VISIT": f"WEEK {i}",
         "VISITNUM": float(i)}
        for i, (s, d, r) in enumerate(rows)
    ]
    return pd.DataFrame(records)


def pick(adam: pd.DataFrame, subject: str, paramcd: str) -> pd.Series:
    """The single record of one subject and parameter."""
    rows = adam[(adam["USUBJID"] == subject) & (adam["PARAMCD"] == paramcd)]
    assert len(rows) == 1, rows
    return rows.iloc[0]
