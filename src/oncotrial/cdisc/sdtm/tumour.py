"""SDTM tumour data in and out: TU/TR → RECIST 1.1 timepoint responses → SDTM RS.

Reads TU (lesion identification), TR (measurements; LDIAM long axis, LPERP short axis,
TUMSTATE states), DM (RFSTDTC) and EX (first dose) from XPT v5/v8 or CSV through
:func:`oncotrial.cdisc.io.read_domain`, runs :mod:`oncotrial.rules.recist`, and writes RS
(``rs.xpt``/``rs.csv``: TRGRESP, NTRGRESP, NEWLPROG, OVRLRESP per subject, evaluator and
visit), ``summary.csv`` (best responses with dates and deciding rules) and ``issues.csv``
(every record that could not be used as is, and what was done with it).

With ``criteria="choi"`` the Choi CT criteria (:mod:`oncotrial.rules.choi`) are applied instead,
reading each target lesion's density from TR ``TRTESTCD ATTEN`` (HU); RS then has RSCAT CHOI.

With ``criteria="irecist"`` iRECIST (:mod:`oncotrial.rules.irecist_lesions`) is applied: new
lesions are TU ``TUSTRESC NEW`` records (first seen at the TU visit), measured in TR like target
lesions (LDIAM, LPERP for nodes) or described by TUMSTATE; TUMSTATE ``INCREASED`` marks growth
since the last assessment. RS then has one OVRLRESP record per visit with RSCAT iRECIST (iCR,
iPR, iSD, iUPD, iCPD, NE), and ``summary.csv`` the iRECIST best responses, progression date and
whether treatment continued after iUPD (EX dose after the first iUPD: Seymour 2017 asks for
treatment beyond iUPD to be recorded).

Several evaluators are evaluated separately: the evaluator key is TREVAL (blank =
INVESTIGATOR) plus TREVALID when present; RSACPTFL carries TRACPTFL (Y when any of that
reader's TR records for the subject is flagged accepted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oncotrial._outputs import atomic_folder, final_path, write_csv
from oncotrial.cdisc.dates import parse_dtc
from oncotrial.cdisc.io import read_domains, write_dataset
from oncotrial.cdisc.sdtm._tumour_issues import ISSUE_COLUMNS, IssueLog
from oncotrial.cdisc.sdtm._tumour_read import RecistInput, build_recist_input
from oncotrial.errors import DataError
from oncotrial.rules.choi import ChoiSettings, classify_choi_timepoints, derive_choi_responses
from oncotrial.rules.irecist_lesions import (
    IrecistSettings,
    classify_irecist_timepoints,
    derive_irecist_responses,
)
from oncotrial.rules.recist import (
    RecistSettings,
    classify_baseline_lesions,
    classify_timepoints,
    derive_recist_responses,
)

__all__ = [
    "IRECIST_SUMMARY_COLUMNS",
    "ISSUE_COLUMNS",
    "RS_COLUMNS",
    "SUMMARY_COLUMNS",
    "TumourAssessment",
    "derive_recist_input",
    "derive_rs_and_issues_from_tr",
    "derive_rs_from_tr",
    "derive_tumour_assessment",
    "read_tumour_domains",
    "write_tumour_assessment",
]

TUMOUR_DOMAINS = ("TU", "TR", "DM", "EX")
RS_COLUMNS = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "RSSEQ",
    "RSTESTCD",
    "RSTEST",
    "RSCAT",
    "RSORRES",
    "RSSTRESC",
    "RSEVAL",
    "RSEVALID",
    "RSACPTFL",
    "VISITNUM",
    "VISIT",
    "RSDTC",
)
RS_LABELS = {
    "STUDYID": "Study Identifier",
    "DOMAIN": "Domain Abbreviation",
    "USUBJID": "Unique Subject Identifier",
    "RSSEQ": "Sequence Number",
    "RSTESTCD": "Assessment Short Name",
    "RSTEST": "Assessment Name",
    "RSCAT": "Category",
    "RSORRES": "Result or Finding in Original Units",
    "RSSTRESC": "Character Result/Finding in Std Format",
    "RSEVAL": "Evaluator",
    "RSEVALID": "Evaluator Identifier",
    "RSACPTFL": "Accepted Record Flag",
    "VISITNUM": "Visit Number",
    "VISIT": "Visit Name",
    "RSDTC": "Date/Time of Assessment",
}
SUMMARY_COLUMNS = (
    "USUBJID",
    "RSEVAL",
    "RSEVALID",
    "RSACPTFL",
    "REFDT",
    "NASSESS",
    "BOR",
    "BORDT",
    "BORRULE",
    "CBOR",
    "CBORDT",
    "CBORRULE",
    "RSPDT",
    "CRSPDT",
    "PDDT",
    "CRWORSE",
)
# RSTESTCD → (RSTEST, engine column); a component that does not apply (no target or no
# non-target disease at baseline) is written as NA.
_TESTS: tuple[tuple[str, str, str], ...] = (
    ("TRGRESP", "Target Response", "target_response"),
    ("NTRGRESP", "Non-target Response", "nontarget_response"),
    ("NEWLPROG", "New Lesion Progression", "new_lesion"),
    ("OVRLRESP", "Overall Response", "overall_response"),
)
_RSCAT = "RECIST 1.1"
# Choi has no target response of its own (size and density decide together): RS carries the
# non-target and new-lesion components and the overall response, RSCAT CHOI (a sponsor
# extension of ONCRSCAT, C124298, which is extensible).
_CHOI_TESTS = _TESTS[1:]
_CHOI_RSCAT = "CHOI"
# iRECIST (Seymour 2017): the overall timepoint response only (the engine decides from all
# lesion categories together); RSCAT iRECIST as admiralonco's iRECIST vignette (PARCAT3).
_IRECIST_TESTS = _TESTS[3:]
IRECIST_RSCAT = "iRECIST"
CRITERIA = ("recist", "choi", "irecist")
IRECIST_SUMMARY_COLUMNS = (
    "USUBJID",
    "RSEVAL",
    "RSEVALID",
    "RSACPTFL",
    "NASSESS",
    "IBOR",
    "ICBOR",
    "IUPDDT",
    "ICPDDT",
    "IPDDT",
    "IPDCONF",
    "LSTDOSDT",
    "TRTBIUPD",
)


@dataclass(frozen=True, slots=True)
class TumourAssessment:
    """Everything derived from SDTM TU/TR: RS records, the summary, issues and engine frames."""

    rs: pd.DataFrame
    summary: pd.DataFrame
    issues: pd.DataFrame
    timepoints: pd.DataFrame
    best_response: pd.DataFrame
    baseline_checks: pd.DataFrame


def read_tumour_domains(directory: Path) -> dict[str, pd.DataFrame]:
    """Read TU, TR and (when present) DM and EX from *directory* (XPT v5/v8 or CSV).

    Parameters
    ----------
    directory
        Folder of ``tu.xpt``/``tu.csv``, ``tr.xpt``/``tr.csv``, ...

    Returns
    -------
    dict of str to pandas.DataFrame
        ``TU``, ``TR`` and, when found, ``DM`` and ``EX``.

    Raises
    ------
    DataError
        When the directory does not exist or TU or TR is missing.
    """
    found = read_domains(directory, TUMOUR_DOMAINS)
    for domain in ("TU", "TR"):
        if domain not in found:
            raise DataError(
                f"no {domain} domain in the SDTM directory",
                field="sdtm",
                value=str(directory),
                allowed=f"a {domain.lower()}.xpt or {domain.lower()}.csv file",
            )
    return found


def derive_recist_input(sdtm: Mapping[str, pd.DataFrame]) -> tuple[RecistInput, pd.DataFrame]:
    """TU/TR → the engine's ``lesions`` and ``measurements`` frames plus the issue list.

    Parameters
    ----------
    sdtm
        Domains keyed by upper-case name; ``TU`` and ``TR`` are read (TU lesion
        identification, TR LDIAM/LPERP measurements and TUMSTATE states, keyed by TULNKID/
        TRLNKID, evaluator TREVAL/TREVALID).

    Returns
    -------
    tuple of (RecistInput, pandas.DataFrame)
        The engine input (``lesions``, ``measurements`` and the evaluator table with RSEVAL,
        RSEVALID, RSACPTFL) and the records that could not be used as recorded (columns
        :data:`ISSUE_COLUMNS`, with what was done with each).
    """
    log = IssueLog()
    recist_input = build_recist_input(sdtm["TU"], sdtm["TR"], log)
    return recist_input, log.frame()


def _first_dates(frame: pd.DataFrame | None, column: str, log: IssueLog) -> pd.Series:
    """Earliest complete date per USUBJID in *column* (partial dates imputed to the 1st)."""
    if frame is None or column not in frame.columns:
        return pd.Series(dtype="datetime64[ns]")
    rows = frame.assign(USUBJID=frame["USUBJID"].astype(str).str.strip())
    text = rows[column].fillna("").astype(str).str.strip()
    rows = rows.loc[text != ""]
    parsed: dict[str, pd.Timestamp | None] = {}
    partial: set[str] = set()
    for value in pd.unique(text[text != ""]):
        try:
            imputed = parse_dtc(value, impute="first", field=column)
        except DataError:
            imputed = None
        parsed[value] = None if imputed is None else pd.Timestamp(imputed.value)
        if imputed is not None and imputed.flag:
            partial.add(value)
    present = text[text != ""]
    dates = present.map(parsed)
    bad = dates.isna()
    log.add(
        rows.loc[bad].assign(**{column: present[bad]}),
        domain=column[:2],
        variable=column,
        issue="invalid_date",
        action="date not used",
        message=f"{column} is not an ISO 8601 date",
    )
    imputed_rows = present.isin(partial)
    log.add(
        rows.loc[imputed_rows].assign(**{column: present[imputed_rows]}),
        domain=column[:2],
        variable=column,
        issue="partial_date_imputed",
        action="first day imputed",
        message=f"partial {column}: missing day (and month) imputed as the first",
    )
    return pd.to_datetime(dates).groupby(rows["USUBJID"]).min()


def _reference_dates(
    sdtm: Mapping[str, pd.DataFrame], measurements: pd.DataFrame, log: IssueLog
) -> pd.DataFrame:
    """Reference start per subject: DM RFSTDTC, else first EX EXSTDTC, else the baseline scan
    (listed as an issue, since then the SD window is counted from the scan)."""
    dm = sdtm.get("DM")
    subjects = set(measurements["subject"])
    if dm is not None:
        subjects |= set(dm["USUBJID"].astype(str).str.strip())
    rfst = _first_dates(dm, "RFSTDTC", log)
    first_dose = _first_dates(sdtm.get("EX"), "EXSTDTC", log)
    baseline = measurements.groupby("subject")["date"].min()
    ordered = sorted(subjects)
    ref = pd.Series(pd.NaT, index=pd.Index(ordered), dtype="datetime64[ns]")
    ref = ref.fillna(rfst.reindex(ref.index)).fillna(first_dose.reindex(ref.index))
    fallback = ref.isna() & ref.index.isin(baseline.index)
    for subject in ref.index[fallback]:
        log.add_one(
            domain="DM",
            variable="RFSTDTC",
            value="",
            subject=str(subject),
            issue="no_reference_start_date",
            action="baseline scan date used as reference start",
            message="no DM RFSTDTC and no EX EXSTDTC for this subject",
        )
    ref = ref.fillna(baseline.reindex(ref.index))
    for subject in ref.index[ref.isna()]:
        log.add_one(
            domain="DM",
            variable="RFSTDTC",
            value="",
            subject=str(subject),
            issue="no_reference_start_date",
            action="subject left out of the summary",
            message="no DM RFSTDTC, no EX EXSTDTC and no tumour assessment",
        )
    ref = ref.dropna()
    return pd.DataFrame({"subject": ref.index.astype(str), "reference_date": ref.to_numpy()})


def _iso(dates: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text ("" for missing), formatted once per distinct date."""
    codes, uniques = pd.factorize(pd.to_datetime(dates))  # NaT → code -1 → ""
    text = np.append(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d").to_numpy(dtype=object), "")
    return pd.Series(text[codes], index=dates.index, dtype=object)


def _rs_records(
    timepoints: pd.DataFrame,
    evaluators: pd.DataFrame,
    studyid: str,
    tests: tuple[tuple[str, str, str], ...] = _TESTS,
    rscat: str = _RSCAT,
) -> pd.DataFrame:
    """One RS record per subject, evaluator, visit and test (four RECIST records per
    timepoint, three Choi records)."""
    if timepoints.empty:
        return pd.DataFrame(columns=list(RS_COLUMNS))
    tp = timepoints.merge(
        evaluators.rename(columns={"USUBJID": "subject"}), on=["subject", "evaluator"], how="left"
    )
    tp = tp.sort_values(["subject", "RSEVAL", "RSEVALID", "visitnum"], kind="stable")
    n_tests = len(tests)
    rows = np.repeat(np.arange(len(tp)), n_tests)
    test_index = np.tile(np.arange(n_tests), len(tp))
    results = np.column_stack(
        [tp[column].to_numpy(dtype=object) for _, _, column in tests]
    ).ravel()
    results = np.where(results == "NONE", "NA", results)
    subject = tp["subject"].to_numpy(dtype=object)[rows]
    rs = pd.DataFrame(
        {
            "STUDYID": studyid,
            "DOMAIN": "RS",
            "USUBJID": subject,
            "RSTESTCD": np.array([t[0] for t in tests], dtype=object)[test_index],
            "RSTEST": np.array([t[1] for t in tests], dtype=object)[test_index],
            "RSCAT": rscat,
            "RSORRES": results,
            "RSSTRESC": results,
            "RSEVAL": tp["RSEVAL"].to_numpy(dtype=object)[rows],
            "RSEVALID": tp["RSEVALID"].to_numpy(dtype=object)[rows],
            "RSACPTFL": tp["RSACPTFL"].to_numpy(dtype=object)[rows],
            "VISITNUM": tp["visitnum"].to_numpy(dtype=float)[rows],
            "VISIT": tp["visit"].to_numpy(dtype=object)[rows],
            "RSDTC": _iso(tp["date"]).to_numpy(dtype=object)[rows],
        }
    )
    rs["RSSEQ"] = rs.groupby("USUBJID", sort=False).cumcount().astype(float) + 1.0
    return rs[list(RS_COLUMNS)]


def _summary(best: pd.DataFrame, evaluators: pd.DataFrame) -> pd.DataFrame:
    merged = best.merge(
        evaluators.rename(columns={"USUBJID": "subject"}), on=["subject", "evaluator"], how="left"
    )
    split = merged["evaluator"].str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame(
        {
            "USUBJID": merged["subject"],
            "RSEVAL": merged["RSEVAL"].fillna(split[0]),
            "RSEVALID": merged["RSEVALID"].fillna(split[1].fillna("")),
            "RSACPTFL": merged["RSACPTFL"].fillna(""),
            "REFDT": _iso(merged["reference_date"]),
            "NASSESS": merged["n_assessments"].astype(int),
            "BOR": merged["bor"],
            "BORDT": _iso(merged["bor_date"]),
            "BORRULE": merged["bor_rule"],
            "CBOR": merged["cbor"],
            "CBORDT": _iso(merged["cbor_date"]),
            "CBORRULE": merged["cbor_rule"],
            "RSPDT": _iso(merged["response_date"]),
            "CRSPDT": _iso(merged["confirmed_response_date"]),
            "PDDT": _iso(merged["pd_date"]),
            "CRWORSE": np.where(merged["cr_followed_by_worse"].astype(bool), "Y", "N"),
        }
    )[list(SUMMARY_COLUMNS)]


def _engine_issues(checks: pd.DataFrame, best: pd.DataFrame, log: IssueLog) -> None:
    _baseline_issues(checks, log)
    worse = best.loc[best["cr_followed_by_worse"].astype(bool)]
    log.add(
        worse.assign(
            USUBJID=worse["subject"], EVAL=worse["evaluator"], DATE=_iso(worse["pd_date"])
        ),
        domain="RS",
        variable="OVRLRESP",
        value_column="DATE",
        issue="cr_followed_by_worse_response",
        action="PR/SD after CR counted as PD for best response (RECIST 1.1 Table 3 note a)",
        message="a response worse than CR (but not PD) follows a CR",
    )


def _best_rows(best: pd.DataFrame, evaluators: pd.DataFrame, with_data: set[str]) -> pd.DataFrame:
    """Keep the evaluators that assessed each subject; a subject never assessed keeps one
    INVESTIGATOR row (BOR MISSING)."""
    pairs = set(zip(evaluators["USUBJID"], evaluators["evaluator"], strict=True))
    keep = [
        (s, e) in pairs or (s not in with_data and e == "INVESTIGATOR")
        for s, e in zip(best["subject"], best["evaluator"], strict=True)
    ]
    return best.loc[keep].reset_index(drop=True)


def derive_tumour_assessment(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    settings: RecistSettings,
    criteria: str = "recist",
    choi: ChoiSettings | None = None,
    irecist: IrecistSettings | None = None,
) -> TumourAssessment:
    """TU/TR (+ DM, EX) → RECIST 1.1 timepoint responses, RS records, best responses, issues.

    Parameters
    ----------
    sdtm
        Domains keyed by upper-case name; TU and TR are required, DM and EX give the reference
        start date (DM RFSTDTC, else first EXSTDTC).
    settings
        Protocol RECIST parameters (:meth:`RecistSettings.from_protocol`); for Choi they give
        the too-small-to-measure value, the confirmation interval and the SD minimum.
    criteria
        ``"recist"`` (RECIST 1.1) or ``"choi"`` (:mod:`oncotrial.rules.choi`; TR must carry
        TRTESTCD ATTEN for every measured target lesion, else a :class:`DataError` names
        subject, visit and lesion).
    choi
        Choi protocol choices (default :class:`ChoiSettings`).
    irecist
        iRECIST new-lesion limits (default :class:`IrecistSettings`) for
        ``criteria="irecist"``; the summary then has :data:`IRECIST_SUMMARY_COLUMNS`.

    Returns
    -------
    TumourAssessment
        ``rs`` (RS records, :data:`RS_COLUMNS`: TRGRESP, NTRGRESP, NEWLPROG, OVRLRESP with
        RSCAT RECIST 1.1; NTRGRESP, NEWLPROG, OVRLRESP with RSCAT CHOI; OVRLRESP with RSCAT
        iRECIST), ``summary`` (one row per subject and evaluator, :data:`SUMMARY_COLUMNS` or
        :data:`IRECIST_SUMMARY_COLUMNS`), ``issues`` (:data:`ISSUE_COLUMNS`) and the engine's
        ``timepoints``, ``best_response`` and ``baseline_checks`` frames.

    Raises
    ------
    DataError
        When *criteria* is not one of ``recist``, ``choi``, ``irecist``, when TU or TR is
        missing, or when the engine refuses the data (e.g. a Choi target lesion without
        density).
    """
    if criteria not in CRITERIA:
        raise DataError(
            "unknown response criteria", field="criteria", value=criteria,
            allowed=", ".join(CRITERIA),
        )
    _require_domains(sdtm)
    log = IssueLog()
    recist_input = build_recist_input(sdtm["TU"], sdtm["TR"], log)
    lesions, measurements = recist_input.lesions, recist_input.measurements
    if criteria == "irecist":
        return _irecist_assessment(sdtm, recist_input, log, settings,
                                   irecist or IrecistSettings())
    reference = _reference_dates(sdtm, measurements, log)
    evaluator_keys = sorted({*recist_input.evaluators["evaluator"], "INVESTIGATOR"})
    if criteria == "choi":
        choi_result = derive_choi_responses(
            lesions, measurements, reference=reference, settings=choi or ChoiSettings(),
            recist=settings, evaluators=evaluator_keys,
        )
        timepoints, all_best = choi_result.timepoints, choi_result.best_response
        checks = classify_baseline_lesions(lesions, measurements, settings=settings)
        tests, rscat = _CHOI_TESTS, _CHOI_RSCAT
    else:
        result = derive_recist_responses(
            lesions, measurements, reference=reference, settings=settings,
            evaluators=evaluator_keys,
        )
        timepoints, checks, all_best = (
            result.timepoints, result.baseline_checks, result.best_response
        )
        tests, rscat = _TESTS, _RSCAT
    best = _best_rows(all_best, recist_input.evaluators, set(measurements["subject"]))
    _engine_issues(checks, best, log)
    studyid = _study_id(sdtm)
    return TumourAssessment(
        rs=_rs_records(timepoints, recist_input.evaluators, studyid, tests, rscat),
        summary=_summary(best, recist_input.evaluators),
        issues=log.frame(),
        timepoints=timepoints,
        best_response=best,
        baseline_checks=checks,
    )


def _irecist_assessment(
    sdtm: Mapping[str, pd.DataFrame],
    recist_input: RecistInput,
    log: IssueLog,
    settings: RecistSettings,
    irecist: IrecistSettings,
) -> TumourAssessment:
    """The iRECIST branch of :func:`derive_tumour_assessment`."""
    lesions, measurements = recist_input.lesions, recist_input.measurements
    result = derive_irecist_responses(lesions, measurements, recist=settings, settings=irecist)
    checks = classify_baseline_lesions(lesions, measurements, settings=settings)
    _baseline_issues(checks, log)
    last_dose = _last_dates(sdtm.get("EX"), ("EXENDTC", "EXSTDTC"), log)
    best = result.best_response
    merged = best.merge(recist_input.evaluators.rename(columns={"USUBJID": "subject"}),
                        on=["subject", "evaluator"], how="left")
    dose = merged["subject"].map(last_dose)
    iupd = pd.to_datetime(merged["first_iupd_date"])
    beyond = np.where(iupd.isna() | dose.isna(), "", np.where(dose > iupd, "Y", "N"))
    summary = pd.DataFrame({
        "USUBJID": merged["subject"],
        "RSEVAL": merged["RSEVAL"].fillna(""),
        "RSEVALID": merged["RSEVALID"].fillna(""),
        "RSACPTFL": merged["RSACPTFL"].fillna(""),
        "NASSESS": merged["n_assessments"].astype(int),
        "IBOR": merged["ibor"],
        "ICBOR": merged["icbor"],
        "IUPDDT": _iso(merged["first_iupd_date"]),
        "ICPDDT": _iso(merged["icpd_date"]),
        "IPDDT": _iso(merged["pd_date"]),
        "IPDCONF": np.where(merged["pd_date"].notna(),
                            np.where(merged["pd_confirmed"].astype(bool), "Y", "N"), ""),
        "LSTDOSDT": _iso(dose),
        "TRTBIUPD": beyond,
    })[list(IRECIST_SUMMARY_COLUMNS)]
    return TumourAssessment(
        rs=_rs_records(result.timepoints, recist_input.evaluators, _study_id(sdtm),
                       _IRECIST_TESTS, IRECIST_RSCAT),
        summary=summary,
        issues=log.frame(),
        timepoints=result.timepoints,
        best_response=best,
        baseline_checks=checks,
    )


def _last_dates(frame: pd.DataFrame | None, columns: tuple[str, ...], log: IssueLog
                ) -> pd.Series:
    """Latest date per USUBJID over *columns* (e.g. last dose: EXENDTC, else EXSTDTC); partial
    dates take their first day, dates that cannot be read are listed and not used."""
    if frame is None or "USUBJID" not in frame.columns:
        return pd.Series(dtype="datetime64[ns]")
    parts = []
    for column in columns:
        if column in frame.columns:
            text = frame[column].fillna("").astype(str).str.strip()
            parsed = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
            for value in pd.unique(text[text != ""]):
                try:
                    found = parse_dtc(value, impute="first", field=column)
                except DataError:
                    log.add_one(domain=column[:2], variable=column, value=value, subject="",
                                issue="invalid_date", action="date not used",
                                message=f"{column} is not an ISO 8601 date")
                    continue
                if found is not None:
                    parsed[text == value] = pd.Timestamp(found.value)
            parts.append(pd.DataFrame({"USUBJID": frame["USUBJID"].astype(str).str.strip(),
                                       "date": parsed}))
    if not parts:
        return pd.Series(dtype="datetime64[ns]")
    return pd.concat(parts).dropna().groupby("USUBJID")["date"].max()


def _baseline_issues(checks: pd.DataFrame, log: IssueLog) -> None:
    for check, rows in checks.groupby("check", sort=True):
        log.add(
            rows.assign(USUBJID=rows["subject"], EVAL=rows["evaluator"]),
            domain="TU",
            variable="TULNKID",
            value_column="lesion_id",
            issue=str(check),
            action="reported; lesion still evaluated as identified",
            message=str(rows["message"].iloc[0]),
        )


def _study_id(sdtm: Mapping[str, pd.DataFrame]) -> str:
    for domain in ("TR", "TU", "DM"):
        frame = sdtm.get(domain)
        if frame is not None and "STUDYID" in frame.columns and len(frame):
            return str(frame["STUDYID"].iloc[0])
    return ""


def derive_rs_from_tr(
    sdtm: Mapping[str, pd.DataFrame], *, settings: RecistSettings
) -> pd.DataFrame:
    """SDTM RS records (columns :data:`RS_COLUMNS`) computed from TU/TR by the RECIST engine.

    The fast path for ADaM ``--source TR``: timepoint responses only (no best response, no
    summary); data issues are those of :func:`derive_tumour_assessment`, which lists them.

    Parameters
    ----------
    sdtm
        Domains keyed by upper-case name; TU and TR are required.
    settings
        Protocol RECIST parameters (:meth:`RecistSettings.from_protocol`).

    Returns
    -------
    pandas.DataFrame
        RECIST 1.1 RS records (RSCAT RECIST 1.1; TRGRESP, NTRGRESP, NEWLPROG and OVRLRESP per
        subject, evaluator and visit), columns :data:`RS_COLUMNS`.

    Raises
    ------
    DataError
        When TU or TR is missing.
    """
    return derive_rs_and_issues_from_tr(sdtm, settings=settings)[0]


def derive_rs_and_issues_from_tr(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    settings: RecistSettings,
    criteria: str = "recist",
    choi: ChoiSettings | None = None,
    irecist: IrecistSettings | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """As :func:`derive_rs_from_tr`, with the TU/TR records that could not be used as recorded
    (columns :data:`ISSUE_COLUMNS`). ``criteria="choi"`` gives the Choi RS records (RSCAT
    CHOI; TR must carry density, see :func:`derive_tumour_assessment`), ``"irecist"`` the
    iRECIST OVRLRESP records (RSCAT iRECIST).

    Parameters
    ----------
    sdtm
        Domains keyed by upper-case name; TU and TR are required.
    settings
        Protocol RECIST parameters (:meth:`RecistSettings.from_protocol`).
    criteria
        ``"recist"``, ``"choi"`` or ``"irecist"``.
    choi, irecist
        Choi protocol choices and iRECIST new-lesion limits (defaults
        :class:`ChoiSettings`, :class:`IrecistSettings`).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        The RS records (:data:`RS_COLUMNS`) and the issue list (:data:`ISSUE_COLUMNS`).

    Raises
    ------
    DataError
        When *criteria* is unknown, TU or TR is missing, or the engine refuses the data.
    """
    if criteria not in CRITERIA:
        raise DataError(
            "unknown response criteria", field="criteria", value=criteria,
            allowed=", ".join(CRITERIA),
        )
    _require_domains(sdtm)
    log = IssueLog()
    recist_input = build_recist_input(sdtm["TU"], sdtm["TR"], log)
    lesions, measurements = recist_input.lesions, recist_input.measurements
    if criteria == "choi":
        timepoints = classify_choi_timepoints(
            lesions, measurements, settings=choi or ChoiSettings(), recist=settings
        )
        rs = _rs_records(
            timepoints, recist_input.evaluators, _study_id(sdtm), _CHOI_TESTS, _CHOI_RSCAT
        )
    elif criteria == "irecist":
        timepoints = classify_irecist_timepoints(
            lesions, measurements, recist=settings, settings=irecist or IrecistSettings()
        )
        rs = _rs_records(timepoints, recist_input.evaluators, _study_id(sdtm),
                         _IRECIST_TESTS, IRECIST_RSCAT)
    else:
        timepoints = classify_timepoints(lesions, measurements, settings=settings)
        rs = _rs_records(timepoints, recist_input.evaluators, _study_id(sdtm))
    return rs, log.frame()


def _require_domains(sdtm: Mapping[str, pd.DataFrame]) -> None:
    for domain in ("TU", "TR"):
        if domain not in sdtm:
            raise DataError(
                "SDTM domain missing",
                field="domain",
                value=domain,
                allowed="TU and TR are required",
            )


def write_tumour_assessment(assessment: TumourAssessment, directory: Path) -> list[Path]:
    """Write ``rs.xpt`` (XPT v5), ``rs.csv``, ``summary.csv`` and ``issues.csv`` to *directory*,
    all at once or not at all (:func:`oncotrial._outputs.atomic_folder`).

    Parameters
    ----------
    assessment
        What :func:`derive_tumour_assessment` returned.
    directory
        Output folder; replaced as a whole when the writing succeeds.

    Returns
    -------
    list of pathlib.Path
        The four files written, at their final place in *directory*.
    """

    with atomic_folder(directory) as temp:
        written = write_dataset(
            assessment.rs, temp, "RS", labels=RS_LABELS, table_label="Disease Response"
        )
        written += [write_csv(frame, temp / f"{name}.csv")
                    for name, frame in (("summary", assessment.summary),
                                        ("issues", assessment.issues))]
    return [final_path(path, temp, directory) for path in written]
