"""SDTM interventions domains from casebook rows: EX (exposure, with EXADJ for reductions, holds
and omissions) and CM (concomitant therapy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from oncotrial.cdisc.sdtm._rows import _Context, _dtc, _frame

_ADJUSTED = {"reduce": "DOSE REDUCED", "hold": "DOSE HELD", "omit": "DOSE OMITTED"}


def _adjustment(row: Mapping[str, Any]) -> str:
    """EXADJ of a reduced, held or omitted dose: the reason entered, else the dose rules that
    fired (SDTMIG 3.3 EX: EXADJ is the reason a dose was adjusted)."""
    what = _ADJUSTED.get(str(row["action"]))
    if what is None:
        return ""
    rules = str(row.get("decision_rules") or "")
    text = row["reason"] or (f"{what} PER RULES {rules}" if rules else what)
    return str(text)[:200]  # XPT v5 character values hold at most 200 bytes


def _ex(ctx: _Context, routes: Mapping[str, str]) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "EXTRT": str(r["drug"]).upper(),
            "EXDOSE": 0.0 if r["action"] in {"hold", "omit"} else float(r["given_dose"]),
            "EXDOSU": r["unit"],
            "EXROUTE": routes.get(str(r["drug"]), ""),
            "EXSTDTC": _dtc(r["administered_on"]),
            "EXENDTC": _dtc(r["administered_on"]),
            "EXADJ": _adjustment(r),
            "VISIT": f"CYCLE {r['cycle']} DAY {r['day']}",
        }
        for r in ctx.rows("drug_administration")
        if (float(r["given_dose"]) > 0 and r["action"] != "discontinue")
        or r["action"] in {"hold", "omit"}
    ]
    return _frame(
        "EX",
        records,
        ["EXSTDTC", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXENDTC", "EXADJ", "VISIT"],
        ctx,
    )


def _cm(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "CMTRT": r["name"],
            "CMCAT": r["category"],
            "CMINDC": r["indication"],
            "CMSTDTC": r.get("start_dtc") or _dtc(r["start_date"]),
            "CMENDTC": r.get("end_dtc") or _dtc(r["end_date"]),
        }
        for r in ctx.rows("concomitant_therapy")
    ]
    return _frame("CM", records, ["CMSTDTC", "CMTRT", "CMCAT", "CMINDC", "CMENDTC"], ctx)
