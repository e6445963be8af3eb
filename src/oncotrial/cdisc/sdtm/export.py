"""Casebook rows (plain dictionaries, one list per store table) to SDTM domains.

The input is what :func:`oncotrial.store.read_tables` returns; nothing here touches a
database. Variables follow SDTMIG 3.3 (and the oncology TU/TR/RS domains of SDTMIG 3.3 §6.3.16)
with the names the RECIST and ADaM code reads. Choices worth knowing:

- USUBJID is ``STUDYID-screening number``; SITEID the site code; HISTOL (LMS/LPS) and PHASE
  (Ib/II, blank if never enrolled) are kept on DM, where
  :func:`oncotrial.cdisc.adam.derive_adsl` reads them.
- DS holds INFORMED CONSENT OBTAINED and ENROLLED as protocol milestones and the disposition
  events (screen failure, end of treatment, end of study, death).
- EX has one record per administration given, and a record with EXDOSE 0 for a dose held or
  omitted; EXADJ carries the reason of a reduction, hold or omission (the reason entered, else
  the dose rules that fired).
- TR: non-nodal target lesions as ``LDIAM``, nodal targets (short axis) as ``LPERP``, states
  of non-target and new lesions as ``TUMSTATE``.
- RS: per timepoint TRGRESP, NTRGRESP, NEWLPROG and OVRLRESP with ``RSEVAL = INVESTIGATOR``
  (OVRLRESP is the investigator's response, or the computed one when none was entered), and
  the engine's own OVRLRESP with ``RSEVAL = OTHER``, ``RSEVALID = RECIST ENGINE``; baseline
  ECOG as ``RSCAT = ECOG``.
- AE carries AERELLEN/AERELERI (attribution to lenvatinib/eribulin) and AEDLT beside AEREL.
- EG holds the corrected QT of each ECG (EGTESTCD QTCFAG/QTCBAG); MH the medical history with
  partial dates as collected and MHENRTPT ONGOING against MHENTPT SCREENING; DV the protocol
  deviations (a dose recorded against the dose rules writes one itself); CM and MH keep
  partial dates (SDTMIG 3.3 §4.4.4).
- SV holds the EDC visits and the tumour assessment visits (baseline, imaging), so that every
  VISITNUM of TU, TR and RS is an SV visit.
- Every --DTC/--STDTC/--ENDTC has its study day (--DY/--STDY/--ENDY, from DM.RFSTDTC), and the
  dated records of EX, AE, LB, VS, TU, TR, RS and CM their EPOCH (:func:`epoch`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from oncotrial._outputs import atomic_folder, final_path
from oncotrial.cdisc.define import StudyInfo
from oncotrial.cdisc.io import write_dataset
from oncotrial.cdisc.submission import dataset_labels, study_info, write_submission_files
from oncotrial.errors import DataError

__all__ = ["SDTM_DOMAINS", "build_sdtm", "epoch", "study_day", "write_sdtm"]

Rows = Sequence[Mapping[str, Any]]
Tables = Mapping[str, Rows]

SDTM_DOMAINS = (
    "DM", "DS", "EX", "AE", "LB", "VS", "EG", "TU", "TR", "RS", "SV", "CM", "MH", "DV",
)
_OMIT_WHEN_EMPTY = frozenset({"EG", "MH", "DV"})
# the domains whose records get EPOCH from their date (DS sets its own from the event)
_EPOCH_DOMAINS = ("EX", "AE", "LB", "VS", "EG", "TU", "TR", "RS", "CM", "DV")
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


def _age(birth: date | None, on: date) -> float | None:
    if birth is None:
        return None
    return float(on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)))


# --- DM and DS ----------------------------------------------------------------------------------


def _dm(ctx: _Context, country: str) -> pd.DataFrame:
    given = [r for r in ctx.rows("drug_administration") if float(r["given_dose"]) > 0]
    doses = _by_subject(given)
    enrol = {int(r["subject_id"]): r for r in ctx.rows("enrolment")}
    deaths = {int(r["subject_id"]): r for r in ctx.rows("disposition") if r["event"] == "DEATH"}
    columns = [
        "SUBJID",
        "RFSTDTC",
        "RFENDTC",
        "RFXSTDTC",
        "RFXENDTC",
        "RFICDTC",
        "DTHDTC",
        "DTHFL",
        "SITEID",
        "BRTHDTC",
        "AGE",
        "AGEU",
        "SEX",
        "ARMCD",
        "ARM",
        "ACTARMCD",
        "ACTARM",
        "COUNTRY",
        "HISTOL",
        "PHASE",
    ]
    records = []
    for s in ctx.rows("subject"):
        sid = int(s["id"])
        dates = sorted(d["administered_on"] for d in doses.get(sid, []))
        regimen = enrol[sid]["regimen"] if sid in enrol else None
        arm = regimen if regimen else ("SCRNFAIL" if s["status"] == "screen_failed" else "NOTASSGN")
        actual = arm if dates else ("SCRNFAIL" if arm == "SCRNFAIL" else "NOTTRT")
        death = deaths.get(sid)
        records.append(
            {
                "USUBJID": ctx.usubjid[sid],
                "SUBJID": s["screening_number"],
                "RFSTDTC": _dtc(dates[0] if dates else None),
                "RFENDTC": _dtc(dates[-1] if dates else None),
                "RFXSTDTC": _dtc(dates[0] if dates else None),
                "RFXENDTC": _dtc(dates[-1] if dates else None),
                "RFICDTC": _dtc(s["consent_date"]),
                "DTHDTC": _dtc(death["occurred_on"] if death else None),
                "DTHFL": "Y" if death else "",
                "SITEID": ctx.site[sid],
                "BRTHDTC": _dtc(s["birth_date"]),
                "AGE": _age(s["birth_date"], s["consent_date"]),
                "AGEU": "YEARS" if s["birth_date"] else "",
                "SEX": s["sex"],
                "ARMCD": arm,
                "ARM": arm,
                "ACTARMCD": actual,
                "ACTARM": actual,
                "COUNTRY": country,
                "HISTOL": s["histology"] or "",
                "PHASE": enrol[sid]["phase"] if sid in enrol else "",
            }
        )
    frame = pd.DataFrame(records, columns=["USUBJID", *columns])
    frame.insert(0, "STUDYID", ctx.study_id)
    frame.insert(1, "DOMAIN", "DM")
    return frame.sort_values("USUBJID", kind="stable").reset_index(drop=True)


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


# --- interventions and events ------------------------------------------------------------------


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


# --- findings -----------------------------------------------------------------------------------


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


def _sv(ctx: _Context) -> pd.DataFrame:
    """One record per visit a subject attended: the EDC visits with a date and the tumour
    assessment visits (baseline and imaging, dated by their assessments), so that every VISITNUM
    of TU, TR and RS has its SV record (SDTMIG 3.3 §5.2 SV; conformance rule CG0034)."""
    records = [
        {
            "USUBJID": ctx.usubjid[int(r["subject_id"])],
            "VISITNUM": float(r["visitnum"]),
            "VISIT": r["name"],
            "SVSTDTC": _dtc(r["actual_date"]),
            "SVENDTC": _dtc(r["actual_date"]),
        }
        for r in ctx.rows("visit")
        if r["actual_date"] is not None
    ]
    attended = {(rec["USUBJID"], rec["VISITNUM"]) for rec in records}
    imaging: dict[tuple[str, float], tuple[str, date, date]] = {}
    for a in ctx.rows("tumour_assessment"):
        key = (ctx.usubjid[int(a["subject_id"])], float(a["visitnum"]))
        day = a["assessed_on"]
        if key in attended or day is None:
            continue
        name, first, last = imaging.get(key, (str(a["visit_name"]), day, day))
        imaging[key] = (name, min(first, day), max(last, day))
    records.extend(
        {"USUBJID": subject, "VISITNUM": visitnum, "VISIT": name, "SVSTDTC": _dtc(first),
         "SVENDTC": _dtc(last)}
        for (subject, visitnum), (name, first, last) in imaging.items()
    )
    return _frame("SV", records, ["VISITNUM", "VISIT", "SVSTDTC", "SVENDTC"], ctx)


# --- tumour domains -----------------------------------------------------------------------------


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


def build_sdtm(
    tables: Tables, *, study_id: str, routes: Mapping[str, str] | None = None,
    country: str = "", dlt_criteria: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Build the SDTM domains DM, DS, EX, AE, LB, VS, EG, TU, TR, RS, SV, CM, MH and DV.

    Parameters
    ----------
    tables
        Store table name -> list of row dictionaries (``site``, ``subject``, ``enrolment``,
        ``visit``, ``drug_administration``, ``adverse_event``, ``lab_result``, ...), as
        returned by ``oncotrial.store.read_tables``.
    study_id
        STUDYID (e.g. the protocol id).
    routes
        Drug name -> EXROUTE (CDISC CT C66729, e.g. ``ORAL``, ``INTRAVENOUS``).
    country
        DM.COUNTRY (ISO 3166-1 alpha-3) of every subject.
    dlt_criteria
        DLT criterion name -> the protocol's wording, for AE.AEDLTCR (why an event is a DLT).
    """
    if not study_id:
        raise DataError("STUDYID is required", field="study_id", value=study_id)
    ctx = _context(tables, study_id, dlt_criteria)
    builders: dict[str, Callable[[_Context], pd.DataFrame]] = {
        "DM": lambda c: _dm(c, country),
        "DS": _ds,
        "EX": lambda c: _ex(c, routes or {}),
        "AE": _ae,
        "LB": _lb,
        "VS": _vs,
        "EG": _eg,
        "TU": _tu,
        "TR": _tr,
        "RS": _rs,
        "SV": _sv,
        "CM": _cm,
        "MH": _mh,
        "DV": _dv,
    }
    domains = {name: build(ctx) for name, build in builders.items()}
    return _with_timing(domains, ctx)


def _complete_date(values: pd.Series) -> pd.Series:
    """The date part of ISO 8601 values as datetime64; NaT when missing or partial."""
    text = values.astype(str).str.slice(0, 10).where(values.notna(), "")
    text = text.where(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), "")
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def study_day(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day of each ISO 8601 date against the subject's RFSTDTC (SDTMIG 3.3 §4.4.4):
    ``date − RFSTDTC + 1`` on or after RFSTDTC, ``date − RFSTDTC`` before it (no day 0); NaN
    when either is missing or not a complete date."""
    days = (_complete_date(dates) - _complete_date(reference)).dt.days
    return (days + (days >= 0)).astype(float)


def epoch(dates: pd.Series, consent: pd.Series, first_dose: pd.Series,
          end_of_treatment: pd.Series) -> pd.Series:
    """EPOCH of each record date from the subject's element dates (SDTMIG 3.3 §4.1.3.1; the
    elements of TA/TE): SCREENING from informed consent to the day before the first dose (any
    date after consent when never dosed), TREATMENT from the first-dose day through the
    end-of-treatment decision (onwards while treatment goes on), FOLLOW-UP after it; empty
    before consent or when the date is missing or partial. Dates only: records of the
    first-dose day are TREATMENT."""
    day, start = _complete_date(dates), _complete_date(consent)
    dosed, end = _complete_date(first_dose), _complete_date(end_of_treatment)
    out = pd.Series("", index=dates.index, dtype=object)
    known = day.notna() & start.notna() & (day >= start)
    out[known] = "SCREENING"
    treated = known & dosed.notna() & (day >= dosed)
    out[treated] = "TREATMENT"
    out[treated & end.notna() & (day > end)] = "FOLLOW-UP"
    return out


def _with_timing(domains: dict[str, pd.DataFrame], ctx: _Context) -> dict[str, pd.DataFrame]:
    """Add --DY/--STDY/--ENDY right after each --DTC/--STDTC/--ENDTC of the subject domains,
    and EPOCH before the record's date in the general-observation-class domains (FDA business
    rules FB1601, FB3201-FB3203 and FB2201, checked by CDISC CORE)."""
    dm = domains["DM"]
    start = dict(zip(dm["USUBJID"], dm["RFSTDTC"], strict=True))
    consent = dict(zip(dm["USUBJID"], dm["RFICDTC"], strict=True))
    first_dose = dict(zip(dm["USUBJID"], dm["RFXSTDTC"], strict=True))
    ended: dict[str, str] = {}
    for d in ctx.rows("disposition"):
        if d["event"] == "END OF TREATMENT":
            subject = ctx.usubjid[int(d["subject_id"])]
            ended[subject] = min(ended.get(subject, "9999"), _dtc(d["occurred_on"]))
    out = {}
    for name, frame in domains.items():
        dates = [c for c in frame.columns if c in (f"{name}DTC", f"{name}STDTC", f"{name}ENDTC")]
        if name in _EPOCH_DOMAINS and dates:
            who = frame["USUBJID"]
            frame.insert(list(frame.columns).index(dates[0]), "EPOCH",
                         epoch(frame[dates[0]], who.map(consent), who.map(first_dose),
                               who.map(ended)))
        if name != "DM":
            for column in dates:
                target = column[:-3] + "DY" if column == f"{name}DTC" else column[:-2] + "Y"
                frame.insert(list(frame.columns).index(column) + 1, target,
                             study_day(frame[column], frame["USUBJID"].map(start)))
        out[name] = frame
    return out


def write_sdtm(domains: Mapping[str, pd.DataFrame], directory: Path, *,
               study: StudyInfo | None = None, created: datetime | None = None) -> list[Path]:
    """Write every domain as ``<domain>.xpt`` (SAS transport v5, labels from the SDTM
    specification), ``<domain>.csv`` and ``<domain>.json`` (Dataset-JSON 1.1), with
    ``define.xml`` (Define-XML 2.1) and ``define.html``, all at once or not at all
    (:func:`oncotrial._outputs.atomic_folder`). *created* stamps define.xml and the JSON files
    (default now)."""
    # An empty dataset is not submitted (FDA Study Data Technical Conformance Guide §4.1.1.1);
    # only the domains nothing downstream reads are left out when empty.
    domains = {name: frame for name, frame in domains.items()
               if not (frame.empty and name in _OMIT_WHEN_EMPTY)}
    written: list[Path] = []
    with atomic_folder(directory) as temp:
        for name, frame in domains.items():
            labels, table = dataset_labels(name, frame, "SDTM")
            written += write_dataset(frame, temp, name, labels=labels, table_label=table)
        written += write_submission_files(
            domains, temp, standard="SDTM", study=study or study_info(domains),
            created=created or datetime.now(UTC))
    return [final_path(path, temp, directory) for path in written]
