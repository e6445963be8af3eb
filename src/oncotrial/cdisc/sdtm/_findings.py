"""SDTM findings domains from casebook rows: LB, VS, EG, and the oncology TU, TR and RS (SDTMIG 3.3
§6.3.16).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from oncotrial.cdisc.sdtm._rows import _Context, _dtc, _frame

_VS_NAMES = {
    "SYSBP": "Systolic Blood Pressure",
    "DIABP": "Diastolic Blood Pressure",
    "PULSE": "Pulse Rate",
    "TEMP": "Temperature",
    "WEIGHT": "Weight",
    "HEIGHT": "Height",
}


_RS_TESTS = {
    "TRGRESP": "Target Response",
    "NTRGRESP": "Non-target Response",
    "NEWLPROG": "New Lesion Progression",
    "OVRLRESP": "Overall Response",
}


_EG_NAMES = {"QTCFAG": "QTcF Interval, Aggregate", "QTCBAG": "QTcB Interval, Aggregate"}


def _eg(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "EGTESTCD": r["test_code"],
            "EGTEST": _EG_NAMES.get(str(r["test_code"]), r["test_code"]),
            "EGORRES": f"{r['value']:g}",
            "EGORRESU": r["unit"],
            "EGSTRESC": f"{r['value']:g}",
            "EGSTRESN": float(r["value"]),
            "EGSTRESU": r["unit"],
            "EGMETHOD": r["method"],
            "EGDTC": _dtc(r["performed_on"]),
        }
        for r in ctx.rows("ecg_result")
    ]
    return _frame(
        "EG",
        records,
        ["EGDTC", "EGTESTCD", "EGTEST", "EGORRES", "EGORRESU", "EGSTRESC", "EGSTRESN",
         "EGSTRESU", "EGMETHOD"],
        ctx,
    )


def _lb(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "LBTESTCD": r["test_code"],
            "LBTEST": r["test_name"],
            "LBORRES": f"{r['value']:g}",
            "LBORRESU": r["unit"],
            "LBSTRESC": f"{r['value']:g}",
            "LBSTRESN": float(r["value"]),
            "LBSTRESU": r["unit"],
            "LBSTNRLO": r["lln"],
            "LBSTNRHI": r["uln"],
            "LBTOX": r["ctcae_term"] or "",
            "LBTOXGR": "" if r["grade"] is None else str(r["grade"]),
            "LBDTC": _dtc(r["collected_on"]),
        }
        for r in ctx.rows("lab_result")
    ]
    return _frame(
        "LB",
        records,
        [
            "LBDTC",
            "LBTESTCD",
            "LBTEST",
            "LBORRES",
            "LBORRESU",
            "LBSTRESC",
            "LBSTRESN",
            "LBSTRESU",
            "LBSTNRLO",
            "LBSTNRHI",
            "LBTOX",
            "LBTOXGR",
        ],
        ctx,
    )


def _vs(ctx: _Context) -> pd.DataFrame:
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "VSTESTCD": r["test_code"],
            "VSTEST": _VS_NAMES.get(str(r["test_code"]), r["test_code"]),
            "VSORRES": f"{r['value']:g}",
            "VSORRESU": r["unit"],
            "VSSTRESC": f"{r['value']:g}",
            "VSSTRESN": float(r["value"]),
            "VSSTRESU": r["unit"],
            "VSDTC": _dtc(r["measured_on"]),
        }
        for r in ctx.rows("vital_sign")
    ]
    for r in ctx.rows("body_measurement"):
        for code, value, unit in (
            ("HEIGHT", r["height_cm"], "cm"),
            ("WEIGHT", r["weight_kg"], "kg"),
        ):
            records.append(
                {
                    "USUBJID": ctx.usubjid[int(r["subject_id"])],
                    "VSTESTCD": code,
                    "VSTEST": _VS_NAMES[code],
                    "VSORRES": f"{value:g}",
                    "VSORRESU": unit,
                    "VSSTRESC": f"{value:g}",
                    "VSSTRESN": float(value),
                    "VSSTRESU": unit,
                    "VSDTC": _dtc(r["measured_on"]),
                }
            )
    return _frame(
        "VS",
        records,
        ["VSDTC", "VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN", "VSSTRESU"],
        ctx,
    )


def _tumour_lookup(
    ctx: _Context,
) -> tuple[dict[int, Mapping[str, Any]], dict[int, Mapping[str, Any]]]:
    lesions = {int(r["id"]): r for r in ctx.rows("lesion")}
    assessments = {int(r["id"]): r for r in ctx.rows("tumour_assessment")}
    return lesions, assessments


def _tu(ctx: _Context) -> pd.DataFrame:
    lesions, assessments = _tumour_lookup(ctx)
    first: dict[int, Mapping[str, Any]] = {}
    for m in ctx.rows("lesion_measurement"):
        a = assessments.get(int(m["assessment_id"]))
        lid = int(m["lesion_id"])
        if a is not None and (lid not in first or a["visitnum"] < first[lid]["visitnum"]):
            first[lid] = a
    records = []
    for lid, les in lesions.items():
        seen = first.get(lid)
        records.append(
            {
                "USUBJID": ctx.usubjid[int(les["subject_id"])],
                "TULNKID": les["link_id"],
                "TUTESTCD": "TUMIDENT",
                "TUTEST": "Tumor Identification",
                "TUORRES": les["category"],
                "TUSTRESC": les["category"],
                "TULOC": les["location"],
                "TUNODAL": "Y" if les["nodal"] else "N",
                "TUEVAL": les["evaluator"],
                "VISIT": seen["visit_name"] if seen else "",
                "VISITNUM": float(seen["visitnum"]) if seen else None,
                "TUDTC": _dtc(seen["assessed_on"] if seen else None),
            }
        )
    return _frame(
        "TU",
        records,
        [
            "TULNKID",
            "TUTESTCD",
            "TUTEST",
            "TUORRES",
            "TUSTRESC",
            "TULOC",
            "TUNODAL",
            "TUEVAL",
            "VISIT",
            "VISITNUM",
            "TUDTC",
        ],
        ctx,
    )


def _tr_tests(lesion: Mapping[str, Any], m: Mapping[str, Any]
              ) -> list[tuple[str, str, float | None, str]]:
    """TR records of one lesion at one assessment: the diameter of a measured target or new
    lesion (iRECIST measures new lesions: Seymour 2017), else — and for a new lesion also when
    its state was given — its TUMSTATE."""
    out: list[tuple[str, str, float | None, str]] = []
    measured = lesion["category"] in ("TARGET", "NEW") and m["diameter_mm"] is not None
    if measured:
        value = float(m["diameter_mm"])
        out.append(("LPERP" if lesion["nodal"] else "LDIAM", f"{value:g}", value, "mm"))
    if not measured or (lesion["category"] == "NEW" and m["state"]):
        state = m["state"] or ("PRESENT" if lesion["category"] != "TARGET" else "NOT DONE")
        out.append(("TUMSTATE", state, None, ""))
    return out


def _tr(ctx: _Context) -> pd.DataFrame:
    lesions, assessments = _tumour_lookup(ctx)
    names = {
        "LDIAM": "Longest Diameter",
        "LPERP": "Longest Perpendicular",
        "TUMSTATE": "Tumor State",
        "ATTEN": "Attenuation",  # sponsor extension (SDTM CT 2015-12-18 has no density test)
    }
    records: list[dict[str, Any]] = []
    for m in ctx.rows("lesion_measurement"):
        les, a = lesions.get(int(m["lesion_id"])), assessments.get(int(m["assessment_id"]))
        if les is None or a is None:
            continue
        tests = _tr_tests(les, m)
        if m.get("density_hu") is not None:  # Choi: the target lesion's mean attenuation
            value = float(m["density_hu"])
            tests.append(("ATTEN", f"{value:g}", value, "HU"))
        records.extend(
            {
                "USUBJID": ctx.usubjid[int(m["subject_id"])],
                "TRLNKID": les["link_id"],
                "TRTESTCD": code,
                "TRTEST": names[code],
                "TRORRES": text,
                "TRSTRESC": text,
                "TRSTRESN": number,
                "TRSTRESU": unit,
                "TREVAL": a["evaluator"],
                "VISIT": a["visit_name"],
                "VISITNUM": float(a["visitnum"]),
                "TRDTC": _dtc(a["assessed_on"]),
            }
            for code, text, number, unit in tests
        )
    return _frame(
        "TR",
        records,
        [
            "VISITNUM",
            "TRLNKID",
            "TRTESTCD",
            "TRTEST",
            "TRORRES",
            "TRSTRESC",
            "TRSTRESN",
            "TRSTRESU",
            "TREVAL",
            "VISIT",
            "TRDTC",
        ],
        ctx,
    )


def _rs_row(
    ctx: _Context, a: Mapping[str, Any], code: str, value: str, *, evaluator: str, evalid: str = ""
) -> dict[str, Any]:
    return {
        "USUBJID": ctx.usubjid[int(a["subject_id"])],
        "RSTESTCD": code,
        "RSTEST": _RS_TESTS[code],
        "RSCAT": "RECIST 1.1",
        "RSORRES": value,
        "RSSTRESC": value,
        "RSSTRESN": None,
        "RSEVAL": evaluator,
        "RSEVALID": evalid,
        "VISIT": a["visit_name"],
        "VISITNUM": float(a["visitnum"]),
        "RSDTC": _dtc(a["assessed_on"]),
    }


def _rs(ctx: _Context) -> pd.DataFrame:
    records = []
    for a in ctx.rows("tumour_assessment"):
        if a["computed_response"] is None and a["investigator_response"] is None:
            continue  # baseline
        evaluator = a["evaluator"]
        for code, column in (
            ("TRGRESP", "computed_target"),
            ("NTRGRESP", "computed_nontarget"),
            ("NEWLPROG", "computed_new_lesion"),
        ):
            if a[column] is not None:
                records.append(_rs_row(ctx, a, code, a[column], evaluator=evaluator))
        overall = a["investigator_response"] or a["computed_response"]
        records.append(_rs_row(ctx, a, "OVRLRESP", overall, evaluator=evaluator))
        if a["computed_response"] is not None:
            records.append(
                _rs_row(
                    ctx,
                    a,
                    "OVRLRESP",
                    a["computed_response"],
                    evaluator="OTHER",
                    evalid="RECIST ENGINE",
                )
            )
    records.extend(
        {
            "USUBJID": ctx.usubjid[int(s["id"])],
            "RSTESTCD": "ECOG101",
            "RSTEST": "ECOG1-Performance Status",
            "RSCAT": "ECOG",
            "RSORRES": str(s["ecog"]),
            "RSSTRESC": str(s["ecog"]),
            "RSSTRESN": float(s["ecog"]),
            "RSEVAL": "INVESTIGATOR",
            "RSEVALID": "",
            "VISIT": "SCREENING",
            "VISITNUM": 0.0,
            "RSDTC": _dtc(s["consent_date"]),
        }
        for s in ctx.rows("subject")
        if s["ecog"] is not None
    )
    return _frame(
        "RS",
        records,
        [
            "VISITNUM",
            "RSTESTCD",
            "RSTEST",
            "RSCAT",
            "RSORRES",
            "RSSTRESC",
            "RSSTRESN",
            "RSEVAL",
            "RSEVALID",
            "VISIT",
            "RSDTC",
        ],
        ctx,
    )
