"""Shared pieces of the SDTM export: the casebook rows by table, the export context (study, USUBJID
and site of each subject) and the frame builder that adds STUDYID, DOMAIN and --SEQ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

Rows = Sequence[Mapping[str, Any]]


Tables = Mapping[str, Rows]


def _dtc(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class _Context:
    study_id: str
    tables: Tables
    usubjid: dict[int, str]
    site: dict[int, str]
    dlt_criteria: Mapping[str, str]

    def rows(self, table: str) -> Rows:
        return self.tables.get(table, [])


def _context(tables: Tables, study_id: str,
             dlt_criteria: Mapping[str, str] | None = None) -> _Context:
    sites = {int(s["id"]): str(s["code"]) for s in tables.get("site", [])}
    usubjid: dict[int, str] = {}
    site: dict[int, str] = {}
    for s in tables.get("subject", []):
        usubjid[int(s["id"])] = f"{study_id}-{s['screening_number']}"
        site[int(s["id"])] = sites.get(int(s["site_id"]), "")
    return _Context(study_id=study_id, tables=tables, usubjid=usubjid, site=site,
                    dlt_criteria=dict(dlt_criteria or {}))


def _frame(
    domain: str, records: list[dict[str, Any]], columns: Sequence[str], ctx: _Context
) -> pd.DataFrame:
    """Add STUDYID/DOMAIN, order columns, sort and number --SEQ within subject."""
    head = ["STUDYID", "DOMAIN", "USUBJID", f"{domain}SEQ"]
    frame = pd.DataFrame(records, columns=["USUBJID", *columns])
    frame.insert(0, "STUDYID", ctx.study_id)
    frame.insert(1, "DOMAIN", domain)
    if frame.empty:
        frame[f"{domain}SEQ"] = pd.Series(dtype=float)
        return frame[head + list(columns)]
    frame = frame.sort_values(["USUBJID", *columns[:2]], kind="stable").reset_index(drop=True)
    frame[f"{domain}SEQ"] = frame.groupby("USUBJID").cumcount().astype(float) + 1.0
    return frame[head + list(columns)]


def _by_subject(rows: Rows) -> dict[int, list[Mapping[str, Any]]]:
    out: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault(int(r["subject_id"]), []).append(r)
    return out
