"""SDTM special-purpose domains from casebook rows: DM (demographics) and SV (subject visits)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from oncotrial.cdisc.sdtm._rows import _by_subject, _Context, _dtc, _frame


def _age(birth: date | None, on: date) -> float | None:
    if birth is None:
        return None
    return float(on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)))


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
