"""SDTM TU/TR → the RECIST engine's lesion and measurement frames, with listed data issues.

Every record that cannot be used is listed in the issue log with the action taken; none is
dropped silently. Variable names follow SDTMIG 3.3 / the SDTM Oncology domains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oncotrial.cdisc.dates import parse_dtc
from oncotrial.cdisc.sdtm._tumour_issues import IssueLog
from oncotrial.errors import DataError

__all__ = ["RecistInput", "build_recist_input"]

TU_REQUIRED = ("USUBJID", "TULNKID", "TUSTRESC")
TR_REQUIRED = ("USUBJID", "TRLNKID", "TRTESTCD", "VISITNUM", "TRDTC")

_ROLES = {
    "TARGET": "TARGET", "TARGET LESION": "TARGET",
    "NON-TARGET": "NON-TARGET", "NON TARGET": "NON-TARGET", "NONTARGET": "NON-TARGET",
    "NON-TARGET LESION": "NON-TARGET",
    "NEW": "NEW", "NEW LESION": "NEW", "NEW TARGET": "NEW", "NEW NON-TARGET": "NEW",
}
# TR TUMSTATE results (TRSTRESC/TRORRES) as seen in real SDTM → engine state.
_STATES = {
    "PRESENT": "PRESENT", "NEW": "PRESENT",
    "ABSENT": "ABSENT", "NON-PATHOLOGICAL": "ABSENT", "RESOLVED": "ABSENT",
    "UNEQUIVOCAL PROGRESSION": "UNEQUIVOCAL", "UNEQUIVOCAL": "UNEQUIVOCAL",
    "UNEQUIVOCAL PD": "UNEQUIVOCAL", "PD": "UNEQUIVOCAL", "PROGRESSION": "UNEQUIVOCAL",
    "EQUIVOCAL": "EQUIVOCAL",
    "NOT DONE": "NOT DONE", "ND": "NOT DONE", "NE": "NOT DONE", "NOT EVALUABLE": "NOT DONE",
    "NOT ASSESSED": "NOT DONE", "UNABLE TO EVALUATE": "NOT DONE",
    "TOO SMALL TO MEASURE": "TOO SMALL TO MEASURE", "TSTM": "TOO SMALL TO MEASURE",
}
_DIAMETER_TESTS = ("LDIAM", "LPERP")
_STATE_TEST = "TUMSTATE"
# Derived summary records in TR (sums, percent changes): not lesion measurements, not used.
_SUMMARY_TESTS = frozenset(
    {"SUMDIAM", "SUMLDIAM", "SUMNLNLD", "SUMNODE", "PCBSD", "PCNSD", "ACNSD", "ACBSD", "PCHGBL",
     "PCHGNAD", "SUMPPD", "NADIR"}
)
_UNIT_FACTORS = {"MM": 1.0, "CM": 10.0}


@dataclass(frozen=True, slots=True)
class RecistInput:
    """Engine input built from TU/TR plus the evaluator table (RSEVAL, RSEVALID, RSACPTFL)."""

    lesions: pd.DataFrame
    measurements: pd.DataFrame
    evaluators: pd.DataFrame


def _require(frame: pd.DataFrame, domain: str, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(
                f"SDTM {domain} has no variable {column}", field=f"{domain}.{column}",
                value=None, allowed=", ".join(columns) + " are required",
            )


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def _evaluator(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Adds EVAL (display), RSEVAL, RSEVALID and the engine key ``evaluator``."""
    out = frame.copy()
    evaluation = _text(out, f"{prefix}EVAL").str.upper()
    out["RSEVAL"] = evaluation.where(evaluation != "", "INVESTIGATOR")
    out["RSEVALID"] = _text(out, f"{prefix}EVALID").str.upper()
    out["evaluator"] = out["RSEVAL"].where(
        out["RSEVALID"] == "", out["RSEVAL"] + "|" + out["RSEVALID"]
    )
    out["EVAL"] = out["evaluator"]
    out["USUBJID"] = _text(out, "USUBJID")
    return out


def _lesions(tu: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    _require(tu, "TU", TU_REQUIRED)
    tu = _evaluator(tu, "TU")
    tu["VISIT"] = _text(tu, "VISIT")
    tu["TULNKID"] = _text(tu, "TULNKID")
    raw_role = _text(tu, "TUSTRESC").str.upper()
    tu["role"] = raw_role.map(_ROLES)
    no_id = tu["TULNKID"] == ""
    log.add(tu.loc[no_id], domain="TU", variable="TULNKID", issue="lesion_without_link_id",
            action="record not used", message="TU record without TULNKID cannot be linked to TR")
    bad_role = tu["role"].isna() & ~no_id
    log.add(tu.loc[bad_role], domain="TU", variable="TUSTRESC", issue="unknown_lesion_role",
            action="lesion not used",
            message="TUSTRESC must be TARGET, NON-TARGET or NEW (common spellings accepted)")
    tu = tu.loc[~no_id & ~bad_role]
    location = (_text(tu, "TULOC") + " " + _text(tu, "TULOCDTL")).str.upper().str.strip()
    tu = tu.assign(organ=location, node_site=location.str.contains("NODE", regex=False))
    dup = tu.duplicated(["USUBJID", "evaluator", "TULNKID"], keep="first")
    first_roles = tu.loc[~dup].set_index(["USUBJID", "evaluator", "TULNKID"])["role"]
    keys = pd.MultiIndex.from_frame(tu.loc[dup, ["USUBJID", "evaluator", "TULNKID"]])
    conflicting = tu.loc[dup, "role"].to_numpy() != first_roles.reindex(keys).to_numpy()
    log.add(tu.loc[dup].loc[conflicting], domain="TU", variable="TUSTRESC",
            issue="lesion_identified_twice_with_different_roles",
            action="first identification (by TUSEQ) used",
            message="one TULNKID identified with different TUSTRESC values")
    return tu


def _parse_dates(values: pd.Series, log: IssueLog, rows: pd.DataFrame) -> pd.Series:
    """TRDTC → date; a missing day is imputed to the month's last day (admiralonco ADT rule)."""
    parsed: dict[str, tuple[pd.Timestamp | None, str]] = {}
    for text in pd.unique(values):
        try:
            full = parse_dtc(text, impute="none", field="TRDTC")
            if full is not None:
                parsed[text] = (pd.Timestamp(full.value), "")
                continue
            imputed = parse_dtc(text, impute="last", field="TRDTC")
            month_known = len(str(text)) >= len("YYYY-MM")
            if imputed is None or not month_known:
                parsed[text] = (None, "date_too_partial")
            else:
                parsed[text] = (pd.Timestamp(imputed.value), "partial_date_imputed")
        except DataError:
            parsed[text] = (None, "invalid_date")
    status = values.map(lambda v: parsed[v][1])
    messages = {
        "partial_date_imputed": ("day imputed as last day of month", "date imputed"),
        "date_too_partial": ("TRDTC without month or empty cannot date an assessment",
                             "record not used"),
        "invalid_date": ("TRDTC is not an ISO 8601 date", "record not used"),
    }
    for issue, (message, action) in messages.items():
        log.add(rows.loc[status == issue], domain="TR", variable="TRDTC", issue=issue,
                action=action, message=message)
    return values.map(lambda v: parsed[v][0])


def _values(tr: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Numeric diameter in mm and state per TR record."""
    number = pd.to_numeric(tr.get("TRSTRESN", pd.Series(np.nan, index=tr.index)),
                           errors="coerce")
    text = _text(tr, "TRSTRESC").where(_text(tr, "TRSTRESC") != "", _text(tr, "TRORRES"))
    number = number.where(number.notna(), pd.to_numeric(text, errors="coerce"))
    unit = _text(tr, "TRSTRESU").where(_text(tr, "TRSTRESU") != "", _text(tr, "TRORRESU"))
    unit = unit.str.upper()
    is_diameter = tr["TRTESTCD"].isin(_DIAMETER_TESTS)
    factor = unit.map(_UNIT_FACTORS)
    bad_unit = is_diameter & number.notna() & factor.isna()
    log.add(tr.loc[bad_unit].assign(UNIT=unit[bad_unit]), domain="TR", variable="TRSTRESU",
            value_column="UNIT", issue="unit_not_allowed", action="measurement treated as not done",
            message="diameter unit must be mm or cm")
    state = text.str.upper().map(_STATES).fillna("")
    unknown = (tr["TRTESTCD"] == _STATE_TEST) & (state == "") & (text != "")
    log.add(tr.loc[unknown].assign(RESULT=text[unknown]), domain="TR", variable="TRSTRESC",
            value_column="RESULT", issue="unknown_tumour_state",
            action="lesion treated as not assessed",
            message="TUMSTATE result not recognised (PRESENT, ABSENT, UNEQUIVOCAL PROGRESSION, "
                    "EQUIVOCAL, NOT DONE, TOO SMALL TO MEASURE)")
    not_done = (_text(tr, "TRSTAT").str.upper() == "NOT DONE") | unknown | bad_unit
    state = state.mask(not_done, "NOT DONE")
    state = state.mask((tr["TRTESTCD"] == _STATE_TEST) & (state == "") , "NOT DONE")
    value = (number * factor).where(is_diameter & ~not_done)
    state = state.mask(is_diameter & value.notna(), "")
    return pd.DataFrame({"value_mm": value, "state": state}, index=tr.index)


def _measurement_rows(tr: pd.DataFrame, lesions: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    _require(tr, "TR", TR_REQUIRED)
    tr = _evaluator(tr, "TR")
    tr["VISIT"] = _text(tr, "VISIT")
    tr["TRLNKID"] = _text(tr, "TRLNKID")
    tr["TRTESTCD"] = _text(tr, "TRTESTCD").str.upper()
    summary = tr["TRTESTCD"].isin(_SUMMARY_TESTS)
    tr = tr.loc[~summary]
    no_id = tr["TRLNKID"] == ""
    log.add(tr.loc[no_id], domain="TR", variable="TRLNKID", issue="measurement_without_lesion_id",
            action="record not used", message="lesion measured without identification (TRLNKID)")
    unknown_test = ~tr["TRTESTCD"].isin((*_DIAMETER_TESTS, _STATE_TEST)) & ~no_id
    log.add(tr.loc[unknown_test], domain="TR", variable="TRTESTCD", issue="unknown_test",
            action="record not used", message="TRTESTCD must be LDIAM, LPERP or TUMSTATE")
    tr = tr.loc[~no_id & ~unknown_test]
    known = pd.MultiIndex.from_frame(lesions[["USUBJID", "evaluator", "TULNKID"]])
    keys = pd.MultiIndex.from_frame(tr[["USUBJID", "evaluator", "TRLNKID"]])
    unidentified = ~keys.isin(known)
    log.add(tr.loc[unidentified], domain="TR", variable="TRLNKID", value_column="TRLNKID",
            issue="lesion_not_identified_in_tu", action="record not used",
            message="lesion measured without identification in TU for this evaluator")
    tr = tr.loc[~unidentified].copy()
    tr["VISITNUM"] = pd.to_numeric(tr["VISITNUM"], errors="coerce")
    no_visit = tr["VISITNUM"].isna()
    log.add(tr.loc[no_visit], domain="TR", variable="VISITNUM", issue="missing_visitnum",
            action="record not used", message="TR record without VISITNUM")
    tr = tr.loc[~no_visit]
    tr["date"] = _parse_dates(_text(tr, "TRDTC"), log, tr)
    tr = tr.loc[tr["date"].notna()]
    return tr.join(_values(tr, log))


_KEY = ["USUBJID", "evaluator", "TRLNKID", "VISITNUM"]


def _resolve_duplicates(tr: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Several records of one test for one lesion and visit: identical ones collapse (listed);
    conflicting ones make the lesion not assessed at that visit (listed)."""
    key = [*_KEY, "TRTESTCD"]
    dup_any = tr.duplicated(key, keep=False)
    if not bool(dup_any.any()):
        return tr
    dups = tr.loc[dup_any]
    signature = dups["value_mm"].astype(str) + "|" + dups["state"]
    n_distinct = signature.groupby([dups[k] for k in key]).transform("nunique")
    conflicting = dups.loc[n_distinct > 1]
    log.add(conflicting.drop_duplicates(key), domain="TR", variable="TRTESTCD",
            issue="conflicting_duplicate_records", action="lesion treated as not assessed",
            message="several different results for one lesion, test and visit")
    log.add(dups.loc[n_distinct == 1].drop_duplicates(key), domain="TR", variable="TRTESTCD",
            issue="duplicate_record", action="one copy used",
            message="identical records repeated for one lesion, test and visit")
    tr = tr.copy()
    tr.loc[conflicting.index, "value_mm"] = np.nan
    tr.loc[conflicting.index, "state"] = "NOT DONE"
    return tr.drop_duplicates(key, keep="first")


def _nodal(tr: pd.DataFrame, lesions: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """A lesion is nodal when measured by short axis (LPERP), or at a node site with no long
    axis; a node site measured by long axis only is listed (RECIST 1.1 §3.1.2: short axis)."""
    flags = (
        tr.assign(lperp=tr["TRTESTCD"] == "LPERP", ldiam=tr["TRTESTCD"] == "LDIAM")
        .groupby(["USUBJID", "evaluator", "TRLNKID"])[["lperp", "ldiam"]]
        .any()
    )
    les = lesions.set_index(["USUBJID", "evaluator", "TULNKID"])
    measured = flags.reindex(les.index, fill_value=False)
    has_lperp = measured["lperp"].astype(bool)
    has_ldiam = measured["ldiam"].astype(bool)
    les = les.assign(nodal=(has_lperp | (les["node_site"] & ~has_ldiam)).to_numpy(dtype=bool))
    long_axis_node = les["node_site"] & ~has_lperp & has_ldiam
    log.add(les.loc[long_axis_node].reset_index(), domain="TR", variable="TRTESTCD",
            value_column="TULNKID", issue="lymph_node_without_short_axis",
            action="long axis used as for a non-nodal lesion",
            message="lesion at a lymph-node site measured by LDIAM only; RECIST measures nodes "
                    "by short axis (LPERP)")
    return les.reset_index()


def _combine(tr: pd.DataFrame, lesions: pd.DataFrame) -> pd.DataFrame:
    """One measurement row per lesion and visit: the axis RECIST uses plus the TUMSTATE."""
    nodal = lesions.set_index(["USUBJID", "evaluator", "TULNKID"])["nodal"]
    keys = pd.MultiIndex.from_frame(tr[["USUBJID", "evaluator", "TRLNKID"]])
    tr = tr.assign(nodal=nodal.reindex(keys).to_numpy(dtype=bool))
    wanted_axis = np.where(tr["nodal"], "LPERP", "LDIAM")
    axis = tr.loc[tr["TRTESTCD"].to_numpy() == wanted_axis, [*_KEY, "value_mm", "state"]]
    state = tr.loc[tr["TRTESTCD"] == _STATE_TEST, [*_KEY, "state"]].rename(
        columns={"state": "tumstate"}
    )
    visits = tr.groupby(_KEY, sort=False).agg(
        date=("date", "max"), VISIT=("VISIT", "first")
    ).reset_index()
    out = visits.merge(axis, on=_KEY, how="left").merge(state, on=_KEY, how="left")
    number = out["value_mm"].notna()
    axis_state = out["state"].fillna("")
    tumstate = out["tumstate"].fillna("")
    # a number wins for the sum; otherwise the axis record's own state (too small, not done),
    # then the TUMSTATE record; nothing at all means not assessed
    final = np.where(number, "", np.where(axis_state != "", axis_state, tumstate))
    final = np.where(final == "", np.where(number, "", "NOT DONE"), final)
    keep_state = number & tumstate.isin(["UNEQUIVOCAL", "EQUIVOCAL"]).to_numpy()
    out["state"] = np.where(keep_state, tumstate, final)
    return out


def _new_sightings(tu: pd.DataFrame, measured: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """TU identifies a NEW lesion at a visit; without a TR record there it counts as present."""
    new = tu.loc[tu["role"] == "NEW"].copy()
    if new.empty:
        return pd.DataFrame(columns=measured.columns)
    new["VISITNUM"] = pd.to_numeric(new.get("VISITNUM", np.nan), errors="coerce")
    dates = _parse_dates(_text(new, "TUDTC"), log, new) if "TUDTC" in new.columns else None
    new["date"] = dates if dates is not None else pd.NaT
    undated = new["VISITNUM"].isna() | new["date"].isna()
    seen = pd.MultiIndex.from_frame(measured[["USUBJID", "evaluator", "TRLNKID"]])
    lesion_keys = pd.MultiIndex.from_frame(new[["USUBJID", "evaluator", "TULNKID"]])
    log.add(new.loc[undated & ~lesion_keys.isin(seen)], domain="TU", variable="TUDTC",
            issue="new_lesion_without_visit_or_date", action="lesion not used",
            message="NEW lesion in TU with neither a dated TU record nor TR records")
    new = new.loc[~undated].rename(columns={"TULNKID": "TRLNKID"})
    rows = new[["USUBJID", "evaluator", "TRLNKID", "VISITNUM", "date", "VISIT"]].assign(
        value_mm=np.nan, state="PRESENT"
    )
    have = pd.MultiIndex.from_frame(measured[_KEY])
    return rows.loc[~pd.MultiIndex.from_frame(rows[_KEY]).isin(have)]


def _duplicate_dates(measurements: pd.DataFrame, log: IssueLog) -> None:
    visits = measurements.groupby(["USUBJID", "evaluator", "VISITNUM"], sort=False).agg(
        date=("date", "max"), VISIT=("VISIT", "first")
    ).reset_index()
    clash = visits.loc[visits.duplicated(["USUBJID", "evaluator", "date"], keep=False)]
    log.add(clash.assign(EVAL=clash["evaluator"], DATE=clash["date"].dt.strftime("%Y-%m-%d")),
            domain="TR", variable="TRDTC", value_column="DATE",
            issue="duplicate_assessment_date",
            action="both assessments evaluated; the worst of the day counts for best response",
            message="two visits of one subject and evaluator on the same date")


def _evaluators(tr: pd.DataFrame, lesions: pd.DataFrame) -> pd.DataFrame:
    accepted = _text(tr, "TRACPTFL").str.upper() == "Y"
    flags = (
        tr.assign(accepted=accepted).groupby(["USUBJID", "evaluator"])["accepted"].any()
    )
    table = lesions[["USUBJID", "evaluator", "RSEVAL", "RSEVALID"]].drop_duplicates(
        ["USUBJID", "evaluator"]
    )
    keys = pd.MultiIndex.from_frame(table[["USUBJID", "evaluator"]])
    has_flag = "TRACPTFL" in tr.columns
    accepted_flag = flags.reindex(keys, fill_value=False).to_numpy(dtype=bool)
    table["RSACPTFL"] = np.where(accepted_flag, "Y", "N" if has_flag else "")
    return table.reset_index(drop=True)


def build_recist_input(tu: pd.DataFrame, tr: pd.DataFrame, log: IssueLog) -> RecistInput:
    """TU and TR → engine lesions/measurements; every unusable record goes to *log*."""
    lesions = _lesions(tu, log)
    first_lesions = lesions.drop_duplicates(["USUBJID", "evaluator", "TULNKID"], keep="first")
    rows = _measurement_rows(tr, first_lesions, log)
    rows = _resolve_duplicates(rows, log)
    first_lesions = _nodal(rows, first_lesions, log)
    combined = _combine(rows, first_lesions)
    combined = pd.concat([combined, _new_sightings(first_lesions, combined, log)],
                         ignore_index=True)
    _duplicate_dates(combined, log)
    engine_lesions = pd.DataFrame(
        {
            "subject": first_lesions["USUBJID"].to_numpy(),
            "evaluator": first_lesions["evaluator"].to_numpy(),
            "lesion_id": first_lesions["TULNKID"].to_numpy(),
            "role": first_lesions["role"].to_numpy(),
            "organ": first_lesions["organ"].to_numpy(),
            "nodal": first_lesions["nodal"].to_numpy(dtype=bool),
        }
    )
    measurements = pd.DataFrame(
        {
            "subject": combined["USUBJID"].to_numpy(),
            "evaluator": combined["evaluator"].to_numpy(),
            "lesion_id": combined["TRLNKID"].to_numpy(),
            "visitnum": combined["VISITNUM"].to_numpy(dtype=float),
            "visit": combined["VISIT"].astype(str).to_numpy(),
            "date": pd.to_datetime(combined["date"]).to_numpy(),
            "diameter_mm": combined["value_mm"].to_numpy(dtype=float),
            "state": combined["state"].astype(str).to_numpy(),
        }
    )
    return RecistInput(
        lesions=engine_lesions, measurements=measurements,
        evaluators=_evaluators(rows, first_lesions),
    )
