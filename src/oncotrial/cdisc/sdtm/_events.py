"""SDTM events domains from casebook rows: DS (disposition and milestones), AE (with attribution
per drug and the DLT criterion), MH (medical history) and DV (protocol deviations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from oncotrial.cdisc.sdtm._rows import _Context, _dtc, _frame

_RELATED = {"possible", "probable", "definite"}  # NCI attribution: related if possible or more


_NCOMPLT = {
    "ADVERSE EVENT",
    "COMPLETED",
    "DEATH",
    "LOST TO FOLLOW-UP",
    "PHYSICIAN DECISION",
    "PROGRESSIVE DISEASE",
    "PROTOCOL DEVIATION",
    "STUDY TERMINATED BY SPONSOR",
    "WITHDRAWAL BY SUBJECT",
}  # CDISC CT C66727 (NCOMPLT), the subset a single-arm oncology trial uses


def _ds(ctx: _Context) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for s in ctx.rows("subject"):
        sid = int(s["id"])
        records.append(
            _ds_row(
                ctx,
                sid,
                "INFORMED CONSENT OBTAINED",
                "INFORMED CONSENT OBTAINED",
                cat="PROTOCOL MILESTONE",
                epoch="SCREENING",
                when=s["consent_date"],
            )
        )
        if s["status"] == "screen_failed":
            records.append(
                _ds_row(
                    ctx,
                    sid,
                    s["screen_fail_reason"] or "SCREEN FAILURE",
                    "SCREEN FAILURE",
                    cat="DISPOSITION EVENT",
                    epoch="SCREENING",
                    when=s["consent_date"],
                )
            )
    records.extend(
        _ds_row(
            ctx,
            int(e["subject_id"]),
            "ENROLLED",
            "ENROLLED",
            cat="PROTOCOL MILESTONE",
            epoch="SCREENING",
            when=e["enrolled_on"],
        )
        for e in ctx.rows("enrolment")
    )
    for d in ctx.rows("disposition"):
        epoch = "TREATMENT" if d["event"] == "END OF TREATMENT" else "FOLLOW-UP"
        reason = str(d["reason"]).upper()
        decod = "DEATH" if d["event"] == "DEATH" else (reason if reason in _NCOMPLT else "OTHER")
        records.append(
            _ds_row(
                ctx,
                int(d["subject_id"]),
                d["reason"],
                decod,
                cat="DISPOSITION EVENT",
                epoch=epoch,
                when=d["occurred_on"],
            )
        )
    return _frame("DS", records, ["DSSTDTC", "DSCAT", "DSTERM", "DSDECOD", "EPOCH"], ctx)


def _ds_row(
    ctx: _Context, sid: int, term: object, decod: str, *, cat: str, epoch: str, when: object
) -> dict[str, Any]:
    return {
        "USUBJID": ctx.usubjid[sid],
        "DSTERM": str(term),
        "DSDECOD": decod,
        "DSCAT": cat,
        "EPOCH": epoch,
        "DSSTDTC": _dtc(when),
    }


def _ae(ctx: _Context) -> pd.DataFrame:
    records = []
    for r in ctx.rows("adverse_event"):
        related = {r["related_lenvatinib"], r["related_eribulin"]} & _RELATED
        records.append(
            {
                "USUBJID": ctx.usubjid[int(r["subject_id"])],
                "AETERM": r["term"],
                "AEDECOD": r["term"],
                "AETOXGR": str(r["grade"]),
                "AESER": "Y" if r["serious"] else "N",
                "AEREL": "RELATED" if related else "NOT RELATED",
                "AERELLEN": str(r["related_lenvatinib"]).upper(),
                "AERELERI": str(r["related_eribulin"]).upper(),
                "AEACN": r["action_taken"],
                "AEOUT": r["outcome"],
                "AESTDTC": _dtc(r["start_date"]),
                "AEENDTC": _dtc(r["end_date"]),
                "AEDLT": "" if r["dlt"] is None else ("Y" if r["dlt"] else "N"),
                "AEDLTCR": _dlt_criterion(r, ctx.dlt_criteria),
            }
        )
    return _frame(
        "AE",
        records,
        [
            "AESTDTC",
            "AETERM",
            "AEDECOD",
            "AETOXGR",
            "AESER",
            "AEREL",
            "AERELLEN",
            "AERELERI",
            "AEACN",
            "AEOUT",
            "AEENDTC",
            "AEDLT",
            "AEDLTCR",
        ],
        ctx,
    )


def _dlt_criterion(row: Mapping[str, Any], criteria: Mapping[str, str]) -> str:
    """The protocol's wording of the DLT criterion an event met (its name when the protocol
    has no wording for it); empty when the event is not a DLT."""
    rule = row.get("dlt_rule")
    if not row.get("dlt") or not rule:
        return ""
    return criteria.get(str(rule), str(rule))


def _mh(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "MHTERM": r["term"],
            "MHSTDTC": r["start_dtc"] or "",
            "MHENDTC": r["end_dtc"] or "",
            "MHENRTPT": "ONGOING" if r["ongoing"] else "",
            "MHENTPT": "SCREENING" if r["ongoing"] else "",
        }
        for r in ctx.rows("medical_history")
    ]
    return _frame("MH", records, ["MHSTDTC", "MHTERM", "MHENDTC", "MHENRTPT", "MHENTPT"], ctx)


def _dv(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "DVTERM": r["term"],
            "DVCAT": r["category"],
            "DVSTDTC": _dtc(r["start_date"]),
        }
        for r in ctx.rows("protocol_deviation")
    ]
    return _frame("DV", records, ["DVSTDTC", "DVTERM", "DVCAT"], ctx)
