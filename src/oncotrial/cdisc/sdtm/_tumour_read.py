"""SDTM TU/TR → the RECIST engine's lesion and measurement frames, with listed data issues.

Every record that cannot be used is listed in the issue log with the action taken; none is
dropped silently. Variable names follow SDTMIG 3.3 / the SDTM Oncology domains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.cdisc.dates import parse_dtc
from oncotrial.cdisc.sdtm._tumour_issues import IssueLog
from oncotrial.errors import DataError

__all__ = ["RecistInput", "build_recist_input"]

TU_REQUIRED = ("USUBJID", "TULNKID", "TUSTRESC")
TR_REQUIRED = ("USUBJID", "TRLNKID", "TRTESTCD", "VISITNUM", "TRDTC")

_ROLES = {
    "TARGET": "TARGET",
    "TARGET LESION": "TARGET",
    "NON-TARGET": "NON-TARGET",
    "NON TARGET": "NON-TARGET",
    "NONTARGET": "NON-TARGET",
    "NON-TARGET LESION": "NON-TARGET",
    "NEW": "NEW",
    "NEW LESION": "NEW",
    "NEW TARGET": "NEW",
    "NEW NON-TARGET": "NEW",
    "NEW LESION TARGET": "NEW",
    "NEW LESION NON-TARGET": "NEW",
}
# iRECIST: a new lesion the reader designated as new-lesion target (NLT) or non-target (NLNT)
# (Seymour 2017 "New lesions"); plain NEW leaves the choice to oncotrial.rules.irecist_lesions
_NEW_DESIGNATIONS = {
    "NEW TARGET": "TARGET",
    "NEW LESION TARGET": "TARGET",
    "NEW NON-TARGET": "NON-TARGET",
    "NEW LESION NON-TARGET": "NON-TARGET",
}
# TR TUMSTATE results (TRSTRESC/TRORRES) as seen in real SDTM → engine state.
_STATES = {
    "PRESENT": "PRESENT",
    "NEW": "PRESENT",
    "ABSENT": "ABSENT",
    "NON-PATHOLOGICAL": "ABSENT",
    "RESOLVED": "ABSENT",
    "UNEQUIVOCAL PROGRESSION": "UNEQUIVOCAL",
    "UNEQUIVOCAL": "UNEQUIVOCAL",
    "UNEQUIVOCAL PD": "UNEQUIVOCAL",
    "PD": "UNEQUIVOCAL",
    "PROGRESSION": "UNEQUIVOCAL",
    "EQUIVOCAL": "EQUIVOCAL",
    "NOT DONE": "NOT DONE",
    "ND": "NOT DONE",
    "NE": "NOT DONE",
    "NOT EVALUABLE": "NOT DONE",
    "NOT ASSESSED": "NOT DONE",
    "UNABLE TO EVALUATE": "NOT DONE",
    "TOO SMALL TO MEASURE": "TOO SMALL TO MEASURE",
    "TSTM": "TOO SMALL TO MEASURE",
    # iRECIST: grown since the last assessment (EORTC RECIST FAQ "If iUPD is driven by
    # non-target disease…", category INCLA); a sponsor result of TUMSTATE (no CDISC term)
    "INCREASED": "INCREASED",
    "INCREASED FROM LAST ASSESSMENT": "INCREASED",
    "INCLA": "INCREASED",
}
_DIAMETER_TESTS = ("LDIAM", "LPERP")
_GENERIC_DIAMETER = "DIAMETER"  # SDTM CT C96779 "Diameter": the axis the criteria use
_STATE_TEST = "TUMSTATE"
# Mean attenuation of a lesion on contrast CT, in Hounsfield units (Choi 2007 tumour density).
# SDTM CT 2015-12-18 has no TRTESTCD for it: ATTEN/Attenuation is a sponsor extension of the
# extensible codelist C96779 (codelists.yaml), unit HU likewise of UNIT (C71620).
_DENSITY_TEST = "ATTEN"
_DENSITY_UNITS = frozenset({"HU"})
# Derived summary records in TR (sums, percent changes): not lesion measurements, not used.
_SUMMARY_TESTS = frozenset(
    {
        "DIAMETER_REPEAT",  # a DIAMETER beside the lesion's LDIAM/LPERP (_generic_diameter)
        "SUMDIAM",
        "SUMLDIAM",
        "SUMNLNLD",
        "SUMNODE",
        "PCBSD",
        "PCNSD",
        "ACNSD",
        "ACBSD",
        "PCHGBL",
        "PCHGNAD",
        "SUMPPD",
        "NADIR",
    }
)
_UNIT_FACTORS = {"MM": 1.0, "CM": 10.0}


@dataclass(frozen=True, slots=True)
class RecistInput:
    """Engine input built from TU/TR plus the evaluator table (RSEVAL, RSEVALID, RSACPTFL)."""

    lesions: pd.DataFrame
    measurements: pd.DataFrame
    evaluators: pd.DataFrame


@dataclass(frozen=True)
class _Issue:
    """One kind of data issue the reader lists: where it is, what was done, and why."""

    domain: str
    variable: str
    action: str
    message: str
    value_column: str | None = None
    issue: str = ""  # the ISSUE code written, when it differs from the table key


# Every fixed-wording issue of the reader, by name (issues.csv ISSUE column); the date checks
# (_parse_dates) word theirs per variable, and a duplicate assessment date names the date.
_ISSUES: dict[str, _Issue] = {
    "lesion_without_link_id": _Issue(
        domain="TU",
        variable="TULNKID",
        action="record not used",
        message="TU record without TULNKID cannot be linked to TR",
    ),
    "unknown_lesion_role": _Issue(
        domain="TU",
        variable="TUSTRESC",
        action="lesion not used",
        message="TUSTRESC must be TARGET, NON-TARGET or NEW (common spellings accepted)",
    ),
    "lesion_identified_twice_with_different_roles": _Issue(
        domain="TU",
        variable="TUSTRESC",
        action="first identification (by TUSEQ) used",
        message="one TULNKID identified with different TUSTRESC values",
    ),
    "diameter_unit_not_allowed": _Issue(
        domain="TR",
        variable="TRSTRESU",
        value_column="UNIT",
        action="measurement treated as not done",
        message="diameter unit must be mm or cm",
        issue="unit_not_allowed",
    ),
    "unknown_tumour_state": _Issue(
        domain="TR",
        variable="TRSTRESC",
        value_column="RESULT",
        action="lesion treated as not assessed",
        message=("TUMSTATE result not recognised (PRESENT, ABSENT, UNEQUIVOCAL PROGRESSION, "
                 "EQUIVOCAL, NOT DONE, TOO SMALL TO MEASURE, INCREASED)"),
    ),
    "density_unit_not_allowed": _Issue(
        domain="TR",
        variable="TRSTRESU",
        value_column="UNIT",
        action="density treated as not measured",
        message="attenuation (TRTESTCD ATTEN) unit must be HU",
        issue="unit_not_allowed",
    ),
    "generic_diameter_as_recist_axis": _Issue(
        domain="TR",
        variable="TRTESTCD",
        action="used as the short axis at a lymph-node site, else as the longest diameter",
        message="DIAMETER without LDIAM/LPERP for the lesion and visit",
    ),
    "measurement_without_lesion_id": _Issue(
        domain="TR",
        variable="TRLNKID",
        action="record not used",
        message="lesion measured without identification (TRLNKID)",
    ),
    "unknown_test": _Issue(
        domain="TR",
        variable="TRTESTCD",
        action="record not used",
        message="TRTESTCD must be LDIAM, LPERP, TUMSTATE or ATTEN",
    ),
    "lesion_not_identified_in_tu": _Issue(
        domain="TR",
        variable="TRLNKID",
        value_column="TRLNKID",
        action="record not used",
        message="lesion measured without identification in TU for this evaluator",
    ),
    "missing_visitnum": _Issue(
        domain="TR",
        variable="VISITNUM",
        action="record not used",
        message="TR record without VISITNUM",
    ),
    "conflicting_duplicate_records": _Issue(
        domain="TR",
        variable="TRTESTCD",
        action="lesion treated as not assessed",
        message="several different results for one lesion, test and visit",
    ),
    "duplicate_record": _Issue(
        domain="TR",
        variable="TRTESTCD",
        action="one copy used",
        message="identical records repeated for one lesion, test and visit",
    ),
    "lymph_node_without_short_axis": _Issue(
        domain="TR",
        variable="TRTESTCD",
        value_column="TULNKID",
        action="long axis used as for a non-nodal lesion",
        message=("lesion at a lymph-node site measured by LDIAM only; RECIST measures nodes by "
                 "short axis (LPERP)"),
    ),
    "new_lesion_without_visit_or_date": _Issue(
        domain="TU",
        variable="TUDTC",
        action="lesion not used",
        message="NEW lesion in TU with neither a dated TU record nor TR records",
    ),
}


def _note(log: IssueLog, rows: pd.DataFrame, name: str) -> None:
    """List every row of *rows* under the reader's issue *name* (:data:`_ISSUES`)."""
    spec = _ISSUES[name]
    log.add(rows, domain=spec.domain, variable=spec.variable, issue=spec.issue or name,
            action=spec.action, message=spec.message, value_column=spec.value_column)

def _require(frame: pd.DataFrame, domain: str, columns: tuple[str, ...]) -> None:
    for column in columns:
        if column not in frame.columns:
            raise DataError(
                f"SDTM {domain} has no variable {column}",
                field=f"{domain}.{column}",
                value=None,
                allowed=", ".join(columns) + " are required",
            )


def _clean(value: object, upper: bool) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    return text.upper() if upper else text


def _coded_text(
    frame: pd.DataFrame, column: str, *, upper: bool = False
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Column as (code per row, stripped text per code); missing values share the code of ""."""
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.intp), np.asarray([""], dtype=object)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    cleaned = np.asarray([*(_clean(u, upper) for u in uniques), ""], dtype=object)
    return np.where(codes < 0, len(uniques), codes), cleaned


def _text(frame: pd.DataFrame, column: str, *, upper: bool = False) -> pd.Series:
    """Column as stripped text ("" for missing), computed once per distinct value."""
    codes, cleaned = _coded_text(frame, column, upper=upper)
    return pd.Series(cleaned[codes], index=frame.index, dtype=object)


def _evaluator(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Adds EVAL (display), RSEVAL, RSEVALID and the engine key ``evaluator``.

    Everything is built once per distinct (evaluator, evaluator id) pair, not once per record.
    """
    out = frame.copy(deep=False)
    eval_codes, evals = _coded_text(out, f"{prefix}EVAL", upper=True)
    evals = np.where(evals == "", "INVESTIGATOR", evals).astype(object)
    id_codes, ids = _coded_text(out, f"{prefix}EVALID", upper=True)
    pair_codes, pairs = pd.factorize(eval_codes * len(ids) + id_codes)
    keys = np.asarray(
        [
            str(evals[p // len(ids)]) + ("|" + str(ids[p % len(ids)]) if ids[p % len(ids)] else "")
            for p in pairs.tolist()
        ],
        dtype=object,
    )
    out["RSEVAL"] = evals[eval_codes]
    out["RSEVALID"] = ids[id_codes]
    out["evaluator"] = keys[pair_codes]
    out["EVAL"] = out["evaluator"]
    out["USUBJID"] = _text(out, "USUBJID")
    return out


def _lesions(tu: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    _require(tu, "TU", TU_REQUIRED)
    tu = _evaluator(tu, "TU")
    tu["VISIT"] = _text(tu, "VISIT")
    tu["TULNKID"] = _text(tu, "TULNKID")
    raw_role = _text(tu, "TUSTRESC", upper=True)
    tu["role"] = raw_role.map(_ROLES)
    tu["new_designation"] = raw_role.map(_NEW_DESIGNATIONS).fillna("")
    no_id = tu["TULNKID"] == ""
    _note(log, tu.loc[no_id], "lesion_without_link_id")
    bad_role = tu["role"].isna() & ~no_id
    _note(log, tu.loc[bad_role], "unknown_lesion_role")
    tu = tu.loc[~no_id & ~bad_role]
    location = (
        _text(tu, "TULOC", upper=True) + " " + _text(tu, "TULOCDTL", upper=True)
    ).str.strip()
    tu = tu.assign(organ=location, node_site=location.str.contains("NODE", regex=False))
    dup = tu.duplicated(["USUBJID", "evaluator", "TULNKID"], keep="first")
    first_roles = tu.loc[~dup].set_index(["USUBJID", "evaluator", "TULNKID"])["role"]
    keys = pd.MultiIndex.from_frame(tu.loc[dup, ["USUBJID", "evaluator", "TULNKID"]])
    conflicting = tu.loc[dup, "role"].to_numpy() != first_roles.reindex(keys).to_numpy()
    _note(log, tu.loc[dup].loc[conflicting], "lesion_identified_twice_with_different_roles")
    return tu


def _parse_dates(
    values: pd.Series, log: IssueLog, rows: pd.DataFrame, variable: str = "TRDTC"
) -> pd.Series:
    """--DTC → date; a missing day is imputed to the month's last day (admiralonco ADT rule)."""
    # parsed once per distinct text; rows pick their result up by factorised code
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    n_unique = len(uniques)
    dates = np.full(n_unique + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
    statuses = np.full(n_unique + 1, "", dtype=object)
    for position, text in enumerate(uniques):
        dates[position], statuses[position] = _parse_one_date(text, variable)
    messages = {
        "partial_date_imputed": ("day imputed as last day of month", "date imputed"),
        "date_too_partial": (
            f"{variable} without month or empty cannot date an assessment",
            "record not used",
        ),
        "invalid_date": (f"{variable} is not an ISO 8601 date", "record not used"),
    }
    for issue, (message, action) in messages.items():
        log.add(
            rows.loc[(statuses == issue)[codes]],
            domain=variable[:2],
            variable=variable,
            issue=issue,
            action=action,
            message=message,
        )
    return pd.Series(dates[codes], index=values.index)


def _parse_one_date(text: object, variable: str) -> tuple[np.datetime64, str]:
    """One --DTC text → (date or NaT, issue code or "")."""
    dtc = None if text is None else str(text)
    try:
        full = parse_dtc(dtc, impute="none", field=variable)
        if full is not None:
            return np.datetime64(pd.Timestamp(full.value), "ns"), ""
        imputed = parse_dtc(dtc, impute="last", field=variable)
        month_known = len(str(text)) >= len("YYYY-MM")
        if imputed is None or not month_known:
            return np.datetime64("NaT"), "date_too_partial"
        return np.datetime64(pd.Timestamp(imputed.value), "ns"), "partial_date_imputed"
    except DataError:
        return np.datetime64("NaT"), "invalid_date"


def _result_text(tr: pd.DataFrame, rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
    """TRSTRESC, else TRORRES, for the *rows* that need the text (others stay "")."""
    text = np.full(len(tr), "", dtype=object)
    if rows.any():
        sub = tr.loc[rows]
        standard = _text(sub, "TRSTRESC")
        text[rows] = standard.where(standard != "", _text(sub, "TRORRES")).to_numpy()
    return text


def _unit_factors(tr: pd.DataFrame) -> tuple[pd.Series, npt.NDArray[np.float64]]:
    """Unit per record (TRSTRESU, else TRORRESU) and its factor to mm (NaN when not mm/cm),
    looked up once per distinct unit."""
    unit = _text(tr, "TRSTRESU", upper=True)
    if "TRORRESU" in tr.columns:
        unit = unit.where(unit != "", _text(tr, "TRORRESU", upper=True))
    codes, uniques = pd.factorize(unit)
    factors = np.array([_UNIT_FACTORS.get(str(u), np.nan) for u in uniques] + [np.nan])
    return unit, factors[codes]  # code -1 (never: _text gives no NaN) → NaN


def _states(
    text: npt.NDArray[np.object_], rows: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Engine state per record from the result text of *rows* ("" elsewhere) and a mask of
    the records with a recognised state."""
    state = np.full(len(text), "", dtype=object)
    if rows.any():
        upper = _text(pd.DataFrame({"T": text[rows]}), "T", upper=True)
        state[rows] = upper.map(_STATES).fillna("").to_numpy(dtype=object)
    recognised = np.zeros(len(text), dtype=bool)
    recognised[rows] = state[rows] != ""
    return state, recognised


def _values(tr: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Numeric diameter in mm and state per TR record (text is read only where needed)."""
    test = tr["TRTESTCD"].to_numpy()
    is_diameter = np.isin(test, _DIAMETER_TESTS)
    is_state = test == _STATE_TEST
    raw = tr["TRSTRESN"] if "TRSTRESN" in tr.columns else pd.Series(np.nan, index=tr.index)
    number = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    needs_text = np.isnan(number) | is_state
    text = _result_text(tr, needs_text)
    no_number = np.isnan(number) & needs_text
    if no_number.any():  # a result only in TRSTRESC/TRORRES
        number = number.copy()
        number[no_number] = pd.to_numeric(pd.Series(text[no_number]), errors="coerce")
    unit, factor = _unit_factors(tr)
    bad_unit = is_diameter & ~np.isnan(number) & np.isnan(factor)
    _note(log, tr.loc[bad_unit].assign(UNIT=unit[bad_unit]), "diameter_unit_not_allowed")
    state, recognised = _states(text, needs_text)
    has_text = np.zeros(len(text), dtype=bool)
    has_text[needs_text] = text[needs_text] != ""
    unknown = is_state & ~recognised & has_text
    _note(log, tr.loc[unknown].assign(RESULT=text[unknown]), "unknown_tumour_state")
    stat_not_done = np.zeros(len(tr), dtype=bool)
    if "TRSTAT" in tr.columns:
        stat_not_done = (_text(tr, "TRSTAT", upper=True) == "NOT DONE").to_numpy()
    not_done = stat_not_done | unknown | bad_unit
    state = np.where(not_done | (is_state & ~recognised), "NOT DONE", state)
    value = np.where(is_diameter & ~not_done, number * factor, np.nan)
    state = np.where(is_diameter & ~np.isnan(value), "", state)
    density = _densities(
        tr, log, is_density=test == _DENSITY_TEST, number=number, unit=unit,
        not_done=stat_not_done,
    )
    return pd.DataFrame(
        {"value_mm": value, "state": state, "value_hu": density}, index=tr.index
    )


def _densities(
    tr: pd.DataFrame,
    log: IssueLog,
    *,
    is_density: npt.NDArray[np.bool_],
    number: npt.NDArray[np.float64],
    unit: pd.Series,
    not_done: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Attenuation in HU of the ATTEN records (NaN elsewhere); a unit other than HU is listed
    and the density treated as not measured."""
    bad_unit = is_density & ~np.isnan(number) & ~unit.isin(_DENSITY_UNITS).to_numpy()
    _note(log, tr.loc[bad_unit].assign(UNIT=unit[bad_unit]), "density_unit_not_allowed")
    return np.where(is_density & ~bad_unit & ~not_done, number, np.nan)


def _generic_diameter(tr: pd.DataFrame, lesions: pd.DataFrame, log: IssueLog) -> pd.Series:
    """TRTESTCD with the generic DIAMETER read as RECIST's axis.

    Some studies record one "Diameter" per lesion (SDTM CT TRTESTCD DIAMETER), the one the
    response criteria use. Beside LDIAM or LPERP of the same lesion and visit it repeats them
    and is left aside without a note (``DIAMETER_REPEAT``, a summary record); alone it is the
    short axis at a lymph-node site and the longest diameter elsewhere (RECIST 1.1 §3.1), and
    each such record is listed."""
    test = tr["TRTESTCD"]
    generic = (test == _GENERIC_DIAMETER).to_numpy()
    if not generic.any():
        return test
    keys = ["USUBJID", "evaluator", "TRLNKID", "VISITNUM"]
    axes = tr.loc[test.isin(_DIAMETER_TESTS), keys].drop_duplicates()
    repeated = (tr[keys].merge(axes.assign(_axis=1.0), on=keys, how="left")["_axis"]
                .to_numpy(dtype=float) == 1.0)  # NaN (no axis) compares False
    node_sites = lesions.loc[lesions["node_site"].astype(bool),
                             ["USUBJID", "evaluator", "TULNKID"]]
    at_node = pd.MultiIndex.from_frame(node_sites).get_indexer(
        pd.MultiIndex.from_frame(tr[["USUBJID", "evaluator", "TRLNKID"]])) >= 0
    alone = generic & ~repeated
    _note(log, tr.loc[alone], "generic_diameter_as_recist_axis")
    out = test.to_numpy(dtype=object).copy()
    out[generic & repeated] = "DIAMETER_REPEAT"
    out[alone] = np.where(at_node[alone], "LPERP", "LDIAM")
    return pd.Series(out, index=test.index)


def _measurement_rows(tr: pd.DataFrame, lesions: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Usable TR lesion records with ``lpos`` (row of *lesions*), date, value and state.

    Masks are computed on the full domain and it is filtered once (a wide TR is large)."""
    _require(tr, "TR", TR_REQUIRED)
    tr = _evaluator(tr.loc[:, [c for c in _TR_RAW if c in tr.columns]], "TR")
    tr["VISIT"] = _text(tr, "VISIT")
    tr["TRLNKID"] = _text(tr, "TRLNKID")
    tr["TRTESTCD"] = _text(tr, "TRTESTCD", upper=True)
    tr["TRTESTCD"] = _generic_diameter(tr, lesions, log)
    summary = tr["TRTESTCD"].isin(_SUMMARY_TESTS).to_numpy()
    no_id = ~summary & (tr["TRLNKID"] == "").to_numpy()
    unknown_test = ~summary & ~no_id & ~tr["TRTESTCD"].isin(
        (*_DIAMETER_TESTS, _STATE_TEST, _DENSITY_TEST)
    )
    known = pd.MultiIndex.from_frame(lesions[["USUBJID", "evaluator", "TULNKID"]])
    lpos = known.get_indexer(pd.MultiIndex.from_frame(tr[["USUBJID", "evaluator", "TRLNKID"]]))
    unidentified = ~summary & ~no_id & ~unknown_test & (lpos < 0)
    visitnum = pd.to_numeric(tr["VISITNUM"], errors="coerce")
    no_visit = ~summary & ~no_id & ~unknown_test & ~unidentified & visitnum.isna().to_numpy()
    _note(log, tr.loc[no_id], "measurement_without_lesion_id")
    _note(log, tr.loc[unknown_test], "unknown_test")
    _note(log, tr.loc[unidentified], "lesion_not_identified_in_tu")
    _note(log, tr.loc[no_visit], "missing_visitnum")
    ok = ~(summary | no_id | unknown_test | unidentified | no_visit)
    columns = [c for c in _TR_USED if c in tr.columns]
    sub = tr.loc[ok, columns]
    sub["lpos"] = lpos[ok]
    sub["VISITNUM"] = visitnum[ok].astype(float)
    sub["date"] = _parse_dates(sub["TRDTC"], log, sub)
    dated = sub["date"].notna().to_numpy()
    if not dated.all():  # filtering copies every column: only when a record is dropped
        sub = sub.loc[dated]
    values = _values(sub, log)
    sub["value_mm"] = values["value_mm"].to_numpy()
    sub["state"] = values["state"].to_numpy()
    sub["value_hu"] = values["value_hu"].to_numpy()
    return sub


_TR_RAW = (
    "USUBJID",
    "TRLNKID",
    "TRTESTCD",
    "VISITNUM",
    "VISIT",
    "TRDTC",
    "TRSTRESN",
    "TRSTRESC",
    "TRORRES",
    "TRSTRESU",
    "TRORRESU",
    "TRSTAT",
    "TREVAL",
    "TREVALID",
    "TRACPTFL",
)
_TR_USED = (
    "USUBJID",
    "evaluator",
    "EVAL",
    "VISIT",
    "TRLNKID",
    "TRTESTCD",
    "TRDTC",
    "TRSTRESN",
    "TRSTRESC",
    "TRORRES",
    "TRSTRESU",
    "TRORRESU",
    "TRSTAT",
    "TRACPTFL",
)


def _resolve_duplicates(tr: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Several records of one test for one lesion and visit: identical ones collapse (listed);
    conflicting ones make the lesion not assessed at that visit (listed)."""
    key = ["lpos", "VISITNUM", "TRTESTCD"]
    dup_any = tr.duplicated(key, keep=False)
    if not bool(dup_any.any()):
        return tr
    dups = tr.loc[dup_any]
    signature = (
        dups["value_mm"].astype(str) + "|" + dups["state"] + "|" + dups["value_hu"].astype(str)
    )
    n_distinct = signature.groupby([dups[k] for k in key]).transform("nunique")
    conflicting = dups.loc[n_distinct > 1]
    _note(log, conflicting.drop_duplicates(key), "conflicting_duplicate_records")
    _note(log, dups.loc[n_distinct == 1].drop_duplicates(key), "duplicate_record")
    tr = tr.copy()
    tr.loc[conflicting.index, "value_mm"] = np.nan
    tr.loc[conflicting.index, "state"] = "NOT DONE"
    tr.loc[conflicting.index, "value_hu"] = np.nan
    return tr.drop_duplicates(key, keep="first")


def _nodal(tr: pd.DataFrame, lesions: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """A lesion is nodal when measured by short axis only (LPERP, no LDIAM), or at a node
    site measured by short axis or with no long axis; a node site measured by long axis only
    is listed (RECIST 1.1 §3.1.2: short axis). LPERP beside LDIAM at any other site is a
    bidimensional measurement of a non-nodal lesion (the CDISC pilot records both for every
    lesion): RECIST 1.1 uses its longest diameter (§3.1.1)."""
    lpos = tr["lpos"].to_numpy()
    test = tr["TRTESTCD"].to_numpy()
    has_lperp = np.zeros(len(lesions), dtype=bool)
    has_ldiam = np.zeros(len(lesions), dtype=bool)
    has_lperp[lpos[test == "LPERP"]] = True
    has_ldiam[lpos[test == "LDIAM"]] = True
    node_site = lesions["node_site"].to_numpy(dtype=bool)
    nodal = (has_lperp & ~has_ldiam) | (node_site & (has_lperp | ~has_ldiam))
    lesions = lesions.assign(nodal=nodal)
    long_axis_node = node_site & ~has_lperp & has_ldiam
    _note(log, lesions.loc[long_axis_node], "lymph_node_without_short_axis")
    return lesions


def _combine(tr: pd.DataFrame, lesions: pd.DataFrame) -> pd.DataFrame:
    """One row per lesion and visit: the axis RECIST uses, the TUMSTATE, the visit's date."""
    if tr.empty:
        return pd.DataFrame(
            {
                "lpos": np.empty(0, dtype=np.int64),
                "VISITNUM": np.empty(0, dtype=float),
                "VISIT": np.empty(0, dtype=object),
                "date": np.empty(0, dtype="datetime64[ns]"),
                "value_mm": np.empty(0, dtype=float),
                "state": np.empty(0, dtype=object),
                "density_hu": np.empty(0, dtype=float),
            }
        )
    lpos = tr["lpos"].to_numpy(dtype=np.int64)
    visit_code, _ = pd.factorize(tr["VISITNUM"])
    key = lpos * (int(visit_code.max(initial=0)) + 1) + visit_code
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    unique_key = sorted_key[starts]
    first = order[starts]
    days = tr["date"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    # an assessment spread over several scan dates is dated by its last scan
    last_day = np.maximum.reduceat(days[order], starts) if len(order) else days
    test = tr["TRTESTCD"].to_numpy()
    nodal = lesions["nodal"].to_numpy(dtype=bool)[lpos]
    is_axis = test == np.where(nodal, "LPERP", "LDIAM")
    is_state = test == _STATE_TEST
    value = np.full(len(unique_key), np.nan)
    axis_state = np.full(len(unique_key), "", dtype=object)
    tumstate = np.full(len(unique_key), "", dtype=object)
    axis_slot = np.searchsorted(unique_key, key[is_axis])
    value[axis_slot] = tr["value_mm"].to_numpy(dtype=float)[is_axis]
    axis_state[axis_slot] = tr["state"].to_numpy(dtype=object)[is_axis]
    tumstate[np.searchsorted(unique_key, key[is_state])] = tr["state"].to_numpy(dtype=object)[
        is_state
    ]
    is_density = test == _DENSITY_TEST
    density = np.full(len(unique_key), np.nan)
    density[np.searchsorted(unique_key, key[is_density])] = tr["value_hu"].to_numpy(
        dtype=float
    )[is_density]
    number = ~np.isnan(value)
    # a number wins for the sum; otherwise the axis record's own state (too small, not done),
    # then the TUMSTATE record; nothing at all means not assessed
    final = np.where(number, "", np.where(axis_state != "", axis_state, tumstate))
    final = np.where(final == "", np.where(number, "", "NOT DONE"), final)
    keep_state = number & np.isin(tumstate, ["UNEQUIVOCAL", "EQUIVOCAL", "INCREASED"])
    return pd.DataFrame(
        {
            "lpos": lpos[first],
            "VISITNUM": tr["VISITNUM"].to_numpy(dtype=float)[first],
            "VISIT": tr["VISIT"].to_numpy(dtype=object)[first],
            "date": last_day.astype("datetime64[D]").astype("datetime64[ns]"),
            "value_mm": value,
            "state": np.where(keep_state, tumstate, final),
            "density_hu": density,
        }
    )


def _new_sightings(lesions: pd.DataFrame, measured: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """TU identifies a NEW lesion at a visit; without a TR record there it counts as present."""
    new = lesions.loc[lesions["role"] == "NEW"].copy()
    if new.empty:
        return measured.iloc[0:0]
    new["lpos"] = new.index.to_numpy()
    new["VISITNUM"] = pd.to_numeric(new.get("VISITNUM", np.nan), errors="coerce")
    if "TUDTC" in new.columns:
        new["date"] = _parse_dates(_text(new, "TUDTC"), log, new, variable="TUDTC")
    else:
        new["date"] = pd.NaT
    undated = (new["VISITNUM"].isna() | new["date"].isna()).to_numpy()
    seen_lesions = set(measured["lpos"].tolist())
    never_measured = ~new["lpos"].isin(seen_lesions).to_numpy()
    _note(log, new.loc[undated & never_measured], "new_lesion_without_visit_or_date")
    new = new.loc[~undated]
    have = set(zip(measured["lpos"].tolist(), measured["VISITNUM"].tolist(), strict=True))
    missing = [
        (lp, vn) not in have
        for lp, vn in zip(new["lpos"].tolist(), new["VISITNUM"].tolist(), strict=True)
    ]
    rows = new.loc[missing, ["lpos", "VISITNUM", "VISIT", "date"]]
    return rows.assign(value_mm=np.nan, state="PRESENT", density_hu=np.nan)


def _subject_keys(lesions: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Integer code of (USUBJID, evaluator) per lesion row."""
    return np.asarray(
        lesions.groupby(["USUBJID", "evaluator"], sort=False).ngroup(), dtype=np.int64
    )


def _duplicate_dates(
    combined: pd.DataFrame, lesions: pd.DataFrame, sk: npt.NDArray[np.int64], log: IssueLog
) -> None:
    frame = pd.DataFrame(
        {
            "sk": sk[combined["lpos"].to_numpy()],
            "lpos": combined["lpos"].to_numpy(),
            "VISITNUM": combined["VISITNUM"].to_numpy(),
            "date": combined["date"].to_numpy(),
            "VISIT": combined["VISIT"].to_numpy(),
        }
    )
    visits = (
        frame.groupby(["sk", "VISITNUM"], sort=False)
        .agg(date=("date", "max"), VISIT=("VISIT", "first"), lpos=("lpos", "first"))
        .reset_index()
    )
    clash = visits.loc[visits.duplicated(["sk", "date"], keep=False)]
    positions = clash["lpos"].to_numpy()
    log.add(
        clash.assign(
            USUBJID=lesions["USUBJID"].to_numpy()[positions],
            EVAL=lesions["evaluator"].to_numpy()[positions],
            DATE=clash["date"].dt.strftime("%Y-%m-%d"),
        ),
        domain="TR",
        variable="TRDTC",
        value_column="DATE",
        issue="duplicate_assessment_date",
        action="both assessments evaluated; the worst of the day counts for best response",
        message="two visits of one subject and evaluator on the same date",
    )


def _evaluators(tr: pd.DataFrame, lesions: pd.DataFrame, sk: npt.NDArray[np.int64]) -> pd.DataFrame:
    accepted_rows = (_text(tr, "TRACPTFL", upper=True) == "Y").to_numpy()
    accepted = np.zeros(int(sk.max(initial=-1)) + 1, dtype=bool)
    accepted[sk[tr["lpos"].to_numpy()[accepted_rows]]] = True
    first = ~pd.Series(sk).duplicated().to_numpy()
    table = lesions.loc[first, ["USUBJID", "evaluator", "RSEVAL", "RSEVALID"]].copy()
    flag = accepted[sk[first]]
    table["RSACPTFL"] = np.where(flag, "Y", "N" if "TRACPTFL" in tr.columns else "")
    return table.reset_index(drop=True)


def build_recist_input(tu: pd.DataFrame, tr: pd.DataFrame, log: IssueLog) -> RecistInput:
    """TU and TR → engine lesions/measurements; every unusable record goes to *log*."""
    lesions = _lesions(tu, log)
    lesions = lesions.drop_duplicates(["USUBJID", "evaluator", "TULNKID"], keep="first")
    lesions = lesions.reset_index(drop=True)
    rows = _resolve_duplicates(_measurement_rows(tr, lesions, log), log)
    lesions = _nodal(rows, lesions, log)
    combined = _combine(rows, lesions)
    sightings = _new_sightings(lesions, combined, log)
    if len(sightings):
        combined = pd.concat([combined, sightings], ignore_index=True)
    sk = _subject_keys(lesions)
    _duplicate_dates(combined, lesions, sk, log)
    lpos = combined["lpos"].to_numpy(dtype=np.int64)
    engine_lesions = pd.DataFrame(
        {
            "subject": lesions["USUBJID"].to_numpy(),
            "evaluator": lesions["evaluator"].to_numpy(),
            "lesion_id": lesions["TULNKID"].to_numpy(),
            "role": lesions["role"].to_numpy(),
            "organ": lesions["organ"].to_numpy(),
            "nodal": lesions["nodal"].to_numpy(dtype=bool),
            "new_designation": lesions["new_designation"].to_numpy(),
        }
    )
    measurements = pd.DataFrame(
        {
            "subject": engine_lesions["subject"].to_numpy()[lpos],
            "evaluator": engine_lesions["evaluator"].to_numpy()[lpos],
            "lesion_id": engine_lesions["lesion_id"].to_numpy()[lpos],
            "visitnum": combined["VISITNUM"].to_numpy(dtype=float),
            "visit": combined["VISIT"].astype(str).to_numpy(),
            "date": pd.to_datetime(combined["date"]).to_numpy(),
            "diameter_mm": combined["value_mm"].to_numpy(dtype=float),
            "state": combined["state"].astype(str).to_numpy(),
            # Choi tumour density (TRTESTCD ATTEN, HU); NaN where not measured
            "density_hu": combined["density_hu"].to_numpy(dtype=float),
        }
    )
    return RecistInput(
        lesions=engine_lesions,
        measurements=measurements,
        evaluators=_evaluators(rows, lesions, sk),
    )
