"""Trial Summary (TS) and the trial design domains TA, TE, TV and TI from the protocol file.

SDTMIG 3.3 §7. TS carries the parameters FDA's technical rejection criteria ask for (a TS
dataset with SSTDTC, the study start date: FDA Study Data Technical Conformance Guide
§4.1.1.3, the earliest informed consent of any subject) and those a single-arm oncology trial is
described by: title, phase, indication, each treatment with its starting dose, unit and route
(grouped by TSGRPID), planned number of subjects, design, primary endpoint, sponsor, registry
identifier, minimum age and the RECIST confirmation and stable-disease minimum durations. Values
from a CDISC codelist carry its C-code in TSVALCD (TSVCDREF "CDISC CT", version of
``codelists.yaml``).

TA/TE: one arm per dose regimen (DM ARMCD is the regimen's name), each made of a screening
element, the regimen's treatment element and follow-up. TV: the planned visits the caller gives
(the EDC visit plan numbers them as SV does). TI: one record per eligibility criterion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from oncotrial.cdisc.spec import load_specification
from oncotrial.errors import DataError
from oncotrial.protocol import Protocol

__all__ = ["TRIAL_DESIGN_DOMAINS", "TrialVisit", "build_trial_design"]

TRIAL_DESIGN_DOMAINS = ("TS", "TA", "TE", "TV", "TI")
_ROUTES = {"oral": "ORAL", "iv": "INTRAVENOUS"}
_HISTOLOGY = {"LMS": "Leiomyosarcoma", "LPS": "Liposarcoma"}


@dataclass(frozen=True, slots=True)
class TrialVisit:
    """One planned visit: number, name, planned study day (C1D1 = day 1) and its rules."""

    visitnum: float
    visit: str
    visitdy: int | None
    start_rule: str
    end_rule: str = ""


def _coded(codelist: str, value: str) -> tuple[str, str]:
    """(value, C-code) of *value* in the CDISC codelist *codelist*."""
    spec = load_specification("SDTM")
    for term in spec.codelists[codelist].terms:
        if term.value == value and term.code:
            return value, term.code
    raise DataError("value not in its CDISC codelist", field=codelist, value=value,
                    allowed=", ".join(sorted(spec.codelists[codelist].values)))


def _ts_rows(protocol: Protocol, start: str) -> list[tuple[str, str, str, str]]:
    """(TSPARMCD, TSVAL, TSVALCD, TSGRPID) in order."""
    design = protocol.phase_ii.design
    rows: list[tuple[str, str, str, str]] = [
        ("TITLE", protocol.title, "", ""),
        ("SSTDTC", start, "", ""),
        ("TPHASE", *_coded("TPHASE", "PHASE I/II TRIAL"), ""),
        *(("INDIC", _HISTOLOGY.get(h, h), "", "") for h in protocol.population.histologies),
        ("STYPE", *_coded("STYPE", "INTERVENTIONAL"), ""),
        ("TTYPE", *_coded("TTYPE", "SAFETY"), ""),
        ("TTYPE", *_coded("TTYPE", "EFFICACY"), ""),
        ("INTMODEL", *_coded("INTMODEL", "SINGLE GROUP"), ""),
        ("INTTYPE", *_coded("INTTYPE", "DRUG"), ""),
        ("TBLIND", *_coded("TBLIND", "OPEN LABEL"), ""),
        ("TCNTRL", *_coded("TCNTRL", "NONE"), ""),
        ("RANDOM", *_coded("NY", "N"), ""),
        ("ADDON", *_coded("NY", "N"), ""),
        ("NARMS", str(len(protocol.phase_ib.regimens)), "", ""),
        ("PLANSUB", str(design.n), "", ""),
        ("OUTMSPRI", protocol.phase_ii.primary_endpoint, "", ""),
        ("SPONSOR", protocol.sponsor, "", ""),
        # registry identifier, only once the trial is registered
        *([("REGID", protocol.nct_id, protocol.nct_id, "")] if protocol.nct_id else []),
        ("AGEMIN", f"P{protocol.population.min_age_years}Y", "", ""),
        ("CRMDUR", f"P{protocol.recist.confirmation_interval_days}D", "", ""),
        ("SDMDUR", f"P{protocol.recist.min_sd_duration_days}D", "", ""),
    ]
    for drug in protocol.drugs:
        group = drug.name.upper()
        route = _ROUTES.get(drug.route, drug.route.upper())
        rows += [("TRT", drug.name.upper(), "", group),
                 ("DOSE", f"{drug.starting_level:g}", "", group),
                 ("DOSU", *_coded("UNIT", drug.unit), group),
                 ("ROUTE", *_coded("ROUTE", route), group)]
    return rows


def _ts(protocol: Protocol, study_id: str, start: str) -> pd.DataFrame:
    spec = load_specification("SDTM")
    names = {t.code: t.value for t in spec.codelists["TSPARM"].terms if t.code}
    codes = {t.value: t.code for t in spec.codelists["TSPARMCD"].terms}
    version = spec.ct_versions["SDTM"]
    records = []
    seq: dict[str, int] = {}
    for parmcd, value, code, group in _ts_rows(protocol, start):
        seq[parmcd] = seq.get(parmcd, 0) + 1
        reference = ("ClinicalTrials.gov" if parmcd == "REGID"
                     else "CDISC CT" if code else "")
        records.append({
            "STUDYID": study_id, "DOMAIN": "TS", "TSSEQ": float(seq[parmcd]),
            "TSGRPID": group, "TSPARMCD": parmcd, "TSPARM": names[codes[parmcd]],
            "TSVAL": value[:200], "TSVALNF": "" if value else "NI", "TSVALCD": code,
            "TSVCDREF": reference, "TSVCDVER": version if reference == "CDISC CT" else "",
        })
    return pd.DataFrame(records, columns=list(spec.dataset("TS").names))


def _regimen_text(protocol: Protocol, doses: dict[str, float]) -> str:
    parts = []
    for drug in protocol.drugs:
        days = "daily" if len(drug.days) == protocol.cycle_length_days else (
            "days " + ", ".join(str(d) for d in drug.days))
        parts.append(f"{drug.name} {doses.get(drug.name, drug.starting_level):g} {drug.unit} "
                     f"{days}")
    return " + ".join(parts) + f", every {protocol.cycle_length_days} days"


def _te_ta(protocol: Protocol, study_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = load_specification("SDTM")
    screening = ("SCRN", "Screening", "Informed consent",
                 "First dose of study treatment, or screen failure", "P28D")
    follow_up = ("FU", "Follow-up", "Decision to end study treatment",
                 "Death or end of study", "")
    treatments = [(r.name, f"Treatment {r.name}: {_regimen_text(protocol, dict(r.doses))}",
                   "First dose of study treatment (cycle 1 day 1)",
                   "Progression, unacceptable toxicity or withdrawal", "")
                  for r in protocol.phase_ib.regimens]
    too_long = [r[0] for r in treatments if len(r[0]) > 8]
    if too_long:
        raise DataError("regimen name too long for an element code", field="phase_ib.regimens",
                        value=too_long, allowed="at most 8 characters (SDTM ETCD)")
    te = pd.DataFrame(
        [{"STUDYID": study_id, "DOMAIN": "TE", "ETCD": code, "ELEMENT": element,
          "TESTRL": start, "TEENRL": end, "TEDUR": duration}
         for code, element, start, end, duration in (screening, *treatments, follow_up)],
        columns=list(spec.dataset("TE").names))
    ta = pd.DataFrame(
        [{"STUDYID": study_id, "DOMAIN": "TA", "ARMCD": arm, "ARM": arm, "TAETORD": float(order),
          "ETCD": code, "ELEMENT": element, "TABRANCH": "",
          "TATRANS": "", "EPOCH": epoch}
         for arm, *_ in treatments
         for order, (code, element, epoch) in enumerate(
             ((screening[0], screening[1], "SCREENING"),
              (arm, next(t[1] for t in treatments if t[0] == arm), "TREATMENT"),
              (follow_up[0], follow_up[1], "FOLLOW-UP")), start=1)],
        columns=list(spec.dataset("TA").names))
    return te, ta


def _tv(visits: Sequence[TrialVisit], study_id: str) -> pd.DataFrame:
    spec = load_specification("SDTM")
    return pd.DataFrame(
        [{"STUDYID": study_id, "DOMAIN": "TV", "VISITNUM": float(v.visitnum), "VISIT": v.visit,
          "VISITDY": None if v.visitdy is None else float(v.visitdy),
          "TVSTRL": v.start_rule, "TVENRL": v.end_rule}
         for v in sorted(visits, key=lambda v: v.visitnum)],
        columns=list(spec.dataset("TV").names))


def _ti(protocol: Protocol, study_id: str) -> pd.DataFrame:
    spec = load_specification("SDTM")
    return pd.DataFrame(
        [{"STUDYID": study_id, "DOMAIN": "TI", "IETESTCD": c.id.replace("-", "")[:8],
          "IETEST": c.text[:200], "IECAT": c.kind.upper(), "TIVERS": protocol.version[:20]}
         for c in protocol.eligibility],
        columns=list(spec.dataset("TI").names))


def build_trial_design(
    protocol: Protocol, *, study_id: str, dm: pd.DataFrame, visits: Sequence[TrialVisit],
) -> dict[str, pd.DataFrame]:
    """TS, TA, TE, TV and TI of *protocol*.

    Parameters
    ----------
    protocol
        The trial protocol.
    study_id
        STUDYID.
    dm
        SDTM DM: the study start date (TS SSTDTC) is its earliest RFICDTC; without any, TSVAL
        is empty with TSVALNF "NI".
    visits
        The planned visits (TV).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``TS`` (trial summary parameters, coded values with their CDISC CT C-codes and
        TSVCDVER), ``TA`` (per Phase Ib regimen arm the elements SCREENING, TREATMENT,
        FOLLOW-UP), ``TE`` (screening, one treatment element per regimen, follow-up), ``TV``
        (sorted by VISITNUM) and ``TI`` (the eligibility criteria, IECAT INCLUSION/EXCLUSION).

    Raises
    ------
    DataError
        When a regimen name is longer than 8 characters (SDTM ETCD) or a coded value (phase,
        unit, route, ...) is not in its CDISC codelist.
    """

    consent = dm["RFICDTC"].astype(str).str.strip() if "RFICDTC" in dm.columns else pd.Series()
    dates = sorted(d[:10] for d in consent if d)
    te, ta = _te_ta(protocol, study_id)
    return {"TS": _ts(protocol, study_id, dates[0] if dates else ""), "TA": ta, "TE": te,
            "TV": _tv(visits, study_id), "TI": _ti(protocol, study_id)}
