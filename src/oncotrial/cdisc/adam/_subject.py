"""Subject-level dates and facts taken from SDTM for ADSL (vectorised, one row per subject)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import dates_from_dtc, datetimes_from_dtc
from oncotrial.cdisc.adam._text import upper_text

__all__ = [
    "baseline_ecog",
    "disposition",
    "histology",
    "last_alive_dates",
    "new_therapy_dates",
    "numbers",
    "phase",
    "treatment_dates",
]

_EMPTY_DATES = pd.Series(dtype="datetime64[ns]")


def numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as numbers (missing when absent or not numeric)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce")


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return upper_text(frame[column])


def _complete_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    dates, _flags = dates_from_dtc(frame[column], field=column, subjects=frame["USUBJID"])
    return dates


_TREATMENT_COLUMNS = ["TRTSDTM", "TRTSTMF", "TRTEDTM", "TRTETMF", "TRTSDT", "TRTEDT"]


def treatment_dates(ex: pd.DataFrame | None) -> pd.DataFrame:
    """TRTSDTM/TRTSTMF, TRTEDTM/TRTETMF and their dates TRTSDT/TRTEDT from valid doses in EX.

    As the admiral ADSL template: a dose is valid when EXDOSE > 0, or EXDOSE = 0 for a placebo
    (``ex_ext`` filter); dates must be complete, a missing time is imputed (start 00:00:00, end
    23:59:59) and flagged in ``--TMF``; the first start and the last end win (ties by EXSEQ).
    oncotrial difference: a dose record without EXENDTC ends on its EXSTDTC (a single
    administration), where the template ignores it for TRTEDTM.
    """
    if ex is None or ex.empty:
        return pd.DataFrame(columns=_TREATMENT_COLUMNS)
    valid = pd.Series(True, index=ex.index)
    if "EXDOSE" in ex.columns:
        dose = pd.to_numeric(ex["EXDOSE"], errors="coerce")
        valid = (dose > 0) | ((dose == 0) & _text(ex, "EXTRT").str.contains("PLACEBO"))
    start, start_flag = datetimes_from_dtc(ex["EXSTDTC"], time_imputation="first")
    end_text = ex["EXENDTC"] if "EXENDTC" in ex.columns else pd.Series("", index=ex.index)
    end_text = end_text.where(end_text.astype(str).str.strip() != "", ex["EXSTDTC"])
    end, end_flag = datetimes_from_dtc(end_text, time_imputation="last")
    frame = pd.DataFrame({"USUBJID": ex["USUBJID"], "S": start, "SF": start_flag, "E": end,
                          "EF": end_flag, "SEQ": numbers(ex, "EXSEQ")})[valid]
    first = frame.dropna(subset=["S"]).sort_values(["USUBJID", "S", "SEQ"], kind="stable")
    first = first.drop_duplicates("USUBJID").set_index("USUBJID")
    last = frame.dropna(subset=["E"]).sort_values(["USUBJID", "E", "SEQ"], kind="stable")
    last = last.drop_duplicates("USUBJID", keep="last").set_index("USUBJID")
    out = pd.DataFrame({"TRTSDTM": first["S"], "TRTSTMF": first["SF"]})
    out = out.join(pd.DataFrame({"TRTEDTM": last["E"], "TRTETMF": last["EF"]}), how="outer")
    out["TRTSDT"] = out["TRTSDTM"].dt.normalize()
    out["TRTEDT"] = out["TRTEDTM"].dt.normalize()
    return out


_MILESTONES = {"RANDOMIZED", "ENROLLED", "INFORMED CONSENT OBTAINED", "ELIGIBILITY CRITERIA MET"}


def disposition(ds: pd.DataFrame | None) -> pd.DataFrame:
    """RANDDT, ENRLDT, a DS death date, end-of-study and end-of-treatment status from SDTM DS.

    RANDDT is DSSTDTC of ``DSDECOD = RANDOMIZED`` (admiral ADSL template); ENRLDT that of
    ``ENROLLED``. Disposition events are ``DSCAT = DISPOSITION EVENT`` (any non-milestone
    record when DSCAT is absent). Those with ``EPOCH = TREATMENT`` end treatment (EOTSTT,
    DCTREAS), the others end the study (EOSSTT, DCSREAS), as the ADaM IG ADSL variables
    distinguish them; the last one of each kind counts: ``COMPLETED``, or ``DISCONTINUED``
    with the reason = its DSDECOD. Without one the status is ``ONGOING``. Without EPOCH in DS
    every event ends the study and EOTSTT is left blank (unknown, not ``ONGOING``). SCRFREAS is the
    DSTERM (reason as recorded) of a ``SCREEN FAILURE`` record.
    """
    columns = ["RANDDT", "ENRLDT", "DSDTHDT", "EOSSTT", "DCSREAS", "EOTSTT", "DCTREAS",
               "SCRFREAS"]
    if ds is None or ds.empty:
        return pd.DataFrame(columns=columns)
    decod = _text(ds, "DSDECOD")
    date = _complete_dates(ds, "DSSTDTC")
    frame = pd.DataFrame({"USUBJID": ds["USUBJID"], "DECOD": decod, "DT": date,
                          "SEQ": numbers(ds, "DSSEQ")})
    out = pd.DataFrame(index=pd.Index(ds["USUBJID"].unique(), name="USUBJID"))
    for name, decods in (("RANDDT", {"RANDOMIZED"}), ("ENRLDT", {"ENROLLED", "ENROLLMENT"}),
                         ("DSDTHDT", {"DEATH"})):
        out[name] = frame[frame["DECOD"].isin(decods)].groupby("USUBJID")["DT"].min()
    if "DSCAT" in ds.columns:
        is_event = _text(ds, "DSCAT") == "DISPOSITION EVENT"
    else:
        is_event = ~decod.isin(_MILESTONES)
    treatment = _text(ds, "EPOCH") == "TREATMENT"
    out["EOSSTT"], out["DCSREAS"] = _last_status(frame[is_event & ~treatment], out.index)
    out["EOTSTT"], out["DCTREAS"] = _last_status(frame[is_event & treatment], out.index)
    if "EPOCH" not in ds.columns:  # no way to tell end of treatment from end of study
        out["EOTSTT"], out["DCTREAS"] = "", ""
    failed = ds.loc[decod == "SCREEN FAILURE"]
    recorded = failed["DSTERM"] if "DSTERM" in failed.columns else failed["DSDECOD"]
    terms = pd.Series(recorded.astype(str).str.strip().to_numpy(), index=failed["USUBJID"])
    out["SCRFREAS"] = terms.groupby(level=0).last().reindex(out.index).fillna("")
    return out


def _last_status(events: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Status (COMPLETED/DISCONTINUED/ONGOING) and reason from the last event per subject."""
    last = events.sort_values(["USUBJID", "DT", "SEQ"], na_position="first")
    last = last.groupby("USUBJID").tail(1).set_index("USUBJID")
    completed = last["DECOD"] == "COMPLETED"
    status = completed.map({True: "COMPLETED", False: "DISCONTINUED"}).reindex(index)
    reason = last["DECOD"].where(~completed, "").reindex(index)
    return status.fillna("ONGOING"), reason.fillna("")


_PHASES = {"IB": "Ib", "1B": "Ib", "PHASE IB": "Ib", "PHASE 1B": "Ib",
           "II": "II", "2": "II", "PHASE II": "II", "PHASE 2": "II"}


def phase(dm: pd.DataFrame, suppdm: pd.DataFrame | None) -> pd.Series:
    """PHASE (``Ib`` or ``II``, :class:`oncotrial.types.Phase`): the trial part a subject was
    enrolled in, from a DM column PHASE or SUPPDM ``QNAM = PHASE`` (sponsor-defined, like
    HISTOL); blank when neither is given. Unknown spellings are kept as recorded."""
    return _normalised(_dm_or_supp(dm, suppdm, "PHASE", ("PHASE",)), _PHASES)


def _normalised(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    return values.map(lambda v: mapping.get(v, v))


def _dm_or_supp(
    dm: pd.DataFrame, suppdm: pd.DataFrame | None, column: str, qnams: tuple[str, ...]
) -> pd.Series:
    """A subject attribute from a DM column, else from SUPPDM QNAM (first of *qnams*)."""
    out = pd.Series("", index=pd.Index(dm["USUBJID"], name="USUBJID"), dtype=object)
    if column in dm.columns:
        out = pd.Series(_text(dm, column).to_numpy(), index=out.index, dtype=object)
    if suppdm is not None and not suppdm.empty:
        supp = suppdm[_text(suppdm, "QNAM").isin(qnams)]
        values = pd.Series(_text(supp, "QVAL").to_numpy(), index=supp["USUBJID"])
        values = values.groupby(level=0).first()
        missing = out == ""
        out[missing] = values.reindex(out.index[missing]).fillna("").to_numpy()
    return out


def last_alive_dates(
    sdtm: Mapping[str, pd.DataFrame], trtedt: pd.Series, *, sources: Sequence[str]
) -> pd.DataFrame:
    """LSTALVDT with its traceability (LALVDOM, LALVVAR, LALVSEQ) and imputation flag LALVDTF.

    *sources* are ``DOMAIN.VARIABLE`` dates (``ADSL.TRTEDT`` = the last dose, *trtedt*), as the
    admiral ADSL template's ``derive_vars_extreme_event()`` call lists them (AE.AESTDTC,
    AE.AEENDTC, LB.LBDTC, ADSL.TRTEDT). Partial dates are imputed to the first day and month
    (``highest_imputation = "M"``, as the template's ``convert_dtc_to_dt``) and flagged; the
    latest date wins, ties to the source listed later (template ``mode = "last"``).
    oncotrial additions to the template: DS records of death and the end date of a fatal AE
    (AEOUT = FATAL) are not evidence of being alive and are skipped.
    """
    parts: list[pd.DataFrame] = []
    for order, source in enumerate(sources):
        domain, _, variable = source.partition(".")
        if domain == "ADSL":
            if variable == "TRTEDT":
                dates = trtedt.dropna()
                parts.append(pd.DataFrame({
                    "USUBJID": dates.index, "DT": dates.to_numpy(), "FLAG": "", "DOM": "ADSL",
                    "VAR": "TRTEDT", "SEQ": np.nan, "ORDER": order}))
            continue
        frame = sdtm.get(domain)
        if frame is None or frame.empty or variable not in frame.columns:
            continue
        keep = _alive_rows(frame, domain, variable)
        dates, flags = dates_from_dtc(frame[variable], field=variable, impute="first",
                                      highest="M", subjects=frame["USUBJID"])
        parts.append(pd.DataFrame({
            "USUBJID": frame["USUBJID"], "DT": dates, "FLAG": flags, "DOM": domain,
            "VAR": variable, "SEQ": numbers(frame, f"{domain}SEQ"), "ORDER": order})[keep])
    columns = ["LSTALVDT", "LALVDTF", "LALVDOM", "LALVVAR", "LALVSEQ"]
    if not parts:
        return pd.DataFrame(columns=columns)
    every = pd.concat(parts, ignore_index=True).dropna(subset=["DT"])
    every = every.sort_values(["USUBJID", "DT", "ORDER", "SEQ"], kind="stable")
    last = every.drop_duplicates("USUBJID", keep="last").set_index("USUBJID")
    return pd.DataFrame({"LSTALVDT": last["DT"], "LALVDTF": last["FLAG"],
                         "LALVDOM": last["DOM"], "LALVVAR": last["VAR"],
                         "LALVSEQ": last["SEQ"].astype(float)})


def _alive_rows(frame: pd.DataFrame, domain: str, variable: str) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if domain == "DS":
        keep &= _text(frame, "DSDECOD") != "DEATH"
    if domain == "AE" and variable == "AEENDTC" and "AEOUT" in frame.columns:
        keep &= _text(frame, "AEOUT") != "FATAL"  # a fatal AE ends at death
    return keep


def new_therapy_dates(cm: pd.DataFrame | None, trtsdt: pd.Series) -> pd.Series:
    """NACTDT: first start of a new anticancer therapy after the first study dose.

    SDTM CM records whose CMCAT or CMSCAT names anticancer therapy (e.g. ``ANTI-CANCER
    THERAPY``, ``FOLLOW-UP ANTI-CANCER THERAPY``) and that start after TRTSDT; earlier ones
    are prior therapy. Partial start dates take the first possible day (admiral
    ``date_imputation = "first"``), the conservative choice for a censoring cut.
    """
    if cm is None or cm.empty:
        return _EMPTY_DATES
    frame = _anticancer_starts(cm)
    after = frame[frame["DT"] > frame["USUBJID"].map(trtsdt)]
    return after.groupby("USUBJID")["DT"].min()


def _anticancer_starts(cm: pd.DataFrame) -> pd.DataFrame:
    """USUBJID and start date (partial dates to the first possible day) of every CM record
    whose CMCAT or CMSCAT names anticancer therapy."""
    category = _text(cm, "CMCAT") + " " + _text(cm, "CMSCAT")
    anticancer = category.str.replace("-", "", regex=False).str.contains("ANTICANCER")
    start, _flag = dates_from_dtc(
        cm["CMSTDTC"], field="CMSTDTC", impute="first", highest="M", subjects=cm["USUBJID"]
    )
    return pd.DataFrame({"USUBJID": cm["USUBJID"], "DT": start})[anticancer]


def prior_lines(cm: pd.DataFrame | None, trtsdt: pd.Series) -> pd.Series | None:
    """PRIORLN: prior anticancer therapies (CM anticancer records starting before TRTSDT, one
    record per line of therapy), 0 for a treated subject with none, missing for an untreated
    one (no first dose to count from); ``None`` without a CM domain."""
    if cm is None:
        return None
    counts = pd.Series(0.0, index=trtsdt.index).where(trtsdt.notna())
    if cm.empty:
        return counts
    frame = _anticancer_starts(cm)
    before = frame[frame["DT"] < frame["USUBJID"].map(trtsdt)]
    found = before.groupby("USUBJID").size().reindex(counts.index, fill_value=0)
    return counts + found


def disease_sites(tu: pd.DataFrame | None) -> pd.Series | None:
    """NSITES: distinct organ sites (TULOC) of the target and non-target lesions identified
    in SDTM TU; ``None`` without TU."""
    if tu is None or "TULOC" not in tu.columns:
        return None
    kind = _text(tu, "TUSTRESC")
    lesions = tu[kind.isin(["TARGET", "NON-TARGET"])]
    location = _text(lesions, "TULOC")
    return location[location != ""].groupby(lesions["USUBJID"]).nunique()


def _any_value(frame: pd.DataFrame, column: str, test: Callable[[str], bool]) -> pd.Series:
    """Rows whose upper-case *column* value passes *test*, evaluated once per distinct value."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    passed = np.array([test(str(u).strip().upper()) for u in uniques] + [False], dtype=bool)
    return pd.Series(passed[codes], index=frame.index)


def _ecog_records(sdtm: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    parts: list[pd.DataFrame] = []
    for domain in ("QS", "RS", "FT"):
        frame = sdtm.get(domain)
        if frame is None or frame.empty or f"{domain}TESTCD" not in frame.columns:
            continue
        is_ecog = _any_value(frame, f"{domain}TESTCD", lambda v: v.startswith("ECOG")) | (
            _any_value(frame, f"{domain}CAT", lambda v: "ECOG" in v))
        if not is_ecog.any():
            continue
        sub = frame[is_ecog]
        value = numbers(sub, f"{domain}STRESN")
        if f"{domain}STRESC" in sub.columns:
            value = value.fillna(pd.to_numeric(sub[f"{domain}STRESC"], errors="coerce"))
        flag = _text(sub, f"{domain}BLFL").isin({"Y"}) | _text(sub, f"{domain}LOBXFL").isin({"Y"})
        dates = (
            _complete_dates(sub, f"{domain}DTC")
            if f"{domain}DTC" in sub.columns
            else pd.Series(pd.NaT, index=sub.index, dtype="datetime64[ns]")
        )
        parts.append(pd.DataFrame({"USUBJID": sub["USUBJID"], "V": value, "BL": flag, "DT": dates}))
    if not parts:
        return pd.DataFrame(columns=["USUBJID", "V", "BL", "DT"])
    return pd.concat(parts).dropna(subset=["V"])


def baseline_ecog(sdtm: Mapping[str, pd.DataFrame], trtsdt: pd.Series) -> pd.Series:
    """ECOGBL: ECOG performance status at baseline, when an ECOG record exists.

    ECOG is a clinical classification (SDTMIG 3.3 puts it in RS with RSCAT/RSTESTCD ``ECOG``;
    older data in QS). The record flagged ``--BLFL``/``--LOBXFL = Y`` wins; otherwise the last
    record on or before the first dose (admiral ``derive_var_base`` convention).
    """
    records = _ecog_records(sdtm)
    if records.empty:
        return pd.Series(dtype=float)
    flagged = records[records["BL"]].groupby("USUBJID")["V"].last()
    records = records.assign(START=records["USUBJID"].map(trtsdt))
    before = records[records["DT"].notna() & (records["DT"] <= records["START"])]
    last_before = before.sort_values(["USUBJID", "DT"]).groupby("USUBJID")["V"].last()
    return flagged.combine_first(last_before)


_HISTOLOGY_QNAMS = ("HISTOL", "HISTTYPE", "HISTOLOGY")


def histology(dm: pd.DataFrame, suppdm: pd.DataFrame | None) -> pd.Series:
    """HISTOL: tumour histology (LEADER: LMS or LPS), a protocol-specific subject attribute.

    SDTM has no standard DM variable for it; oncotrial reads, in order, a DM column ``HISTOL``
    (as our own SDTM export writes it) and then SUPPDM ``QNAM`` in HISTOL/HISTTYPE/HISTOLOGY
    (the usual place for sponsor-defined DM qualifiers, SDTMIG 3.3 §8.4).
    """
    return _dm_or_supp(dm, suppdm, "HISTOL", _HISTOLOGY_QNAMS)
