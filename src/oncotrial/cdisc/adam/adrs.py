"""ADRS: timepoint responses (OVR) and the subject-level response parameters of RECIST 1.1.

Follows the admiralonco ADRS template (``inst/templates/ad_adrs.R``, ``R/response_sources.R``,
commit 83370b1289b2) and departs from it only where it is known to be wrong, as commented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam._dates import day_numbers
from oncotrial.cdisc.adam._response import (
    AVAL_RESP,
    CR,
    NONCRPD,
    PD,
    PR,
    SD,
    Event,
    evaluator_records,
    flag_analysis_records,
    normalise_responses,
    select_events,
)
from oncotrial.cdisc.adam._settings import ProtocolLike, ResponseOptions, StartDate, evaluator_label
from oncotrial.cdisc.adam._subject import numbers
from oncotrial.cdisc.adam.adsl import measurable_subjects, select_start_date
from oncotrial.errors import DataError
from oncotrial.rules.recist import (
    RESPONSE_CODES,
    BestDecision,
    BestResponses,
    BestResponseSettings,
    decide_best_responses,
    load_recist_rules,
)

__all__ = ["ADRS_PARAMS", "CHOI_PARAMS", "derive_adrs", "derive_choi_adrs", "stack_adrs",
           "without_choi"]

# PARAMCD → PARAM with "{ev}" for the evaluator (admiralonco template wording).
ADRS_PARAMS: dict[str, str] = {
    "OVR": "Overall Response by {ev}",
    "PD": "Disease Progression by {ev}",
    "RSP": "Response by {ev} (confirmation not required)",
    "CB": "Clinical Benefit by {ev} (confirmation for response not required)",
    "BOR": "Best Overall Response by {ev} (confirmation not required)",
    "BCP": "Best Overall Response of CR/PR by {ev} (confirmation not required)",
    "CRSP": "Confirmed Response by {ev}",
    "CCB": "Confirmed Clinical Benefit by {ev}",
    "CBOR": "Best Confirmed Overall Response by {ev}",
    "CBCP": "Best Confirmed Overall Response of CR/PR by {ev}",
    "DEATH": "Death",
    "LSTA": "Last Disease Assessment by {ev}",
    "MDIS": "Measurable Disease at Baseline by {ev}",
}
# Choi criteria parameters (Choi 2007; oncotrial.rules.choi): RECIST parameter → Choi PARAMCD.
# The same derivations as OVR/BOR/CBOR, on the Choi timepoint responses (RS RSCAT CHOI).
CHOI_PARAMS: dict[str, tuple[str, str]] = {
    "OVR": ("CHOIOVR", "Overall Response by Choi Criteria by {ev}"),
    "BOR": ("CHOIBOR", ("Best Overall Response by Choi Criteria by {ev} (confirmation not "
                        "required)")),
    "CBOR": ("CHOICBOR", "Best Confirmed Overall Response by Choi Criteria by {ev}"),
    # dated by the first assessment of the confirmed response: the event of ADTTE CHOITTR
    "CRSP": ("CHOICRSP", "Confirmed Response by Choi Criteria by {ev}"),
}
CHOI_RSCAT = "CHOI"
_YN_AVAL = {"Y": 1.0, "N": 0.0}
_SOURCE_COLUMNS = ("ADT", "ADTF", "RSSEQ", "RSDTC", "RSSTRESC", "RSEVAL", "VISIT", "VISITNUM")


def derive_adrs(
    rs: pd.DataFrame,
    *,
    adsl: pd.DataFrame,
    protocol: ProtocolLike,
    evaluator: str = "INVESTIGATOR",
    start_date: StartDate | None = None,
    tu: pd.DataFrame | None = None,
    options: ResponseOptions | None = None,
) -> pd.DataFrame:
    """Derive ADRS from SDTM RS overall responses and ADSL.

    Parameters
    ----------
    rs
        SDTM RS; the ``OVRLRESP`` records of *evaluator* are used.
    adsl
        Output of :func:`derive_adsl`; every ADSL subject gets one record per subject-level
        parameter, screen failures included (admiralonco convention).
    protocol
        Trial protocol: ``recist.confirmation_interval_days`` (RECIST 1.1 §4.6; LEADER 28) and
        ``recist.min_sd_duration_days`` (RECIST 1.1 §4.4; LEADER 42), the SD window counted
        inclusively from the reference start date (admiralonco issue #83).
    evaluator
        RSEVAL (or RSEVALID) of the reader, e.g. ``INVESTIGATOR``, ``INDEPENDENT ASSESSOR``.
    start_date
        ADSL variable of the reference date; default :func:`select_start_date`.
    tu
        SDTM TU for MDIS (measurable disease at baseline); MDIS is omitted without TU rather
        than guessed.
    options
        Non-protocol conventions (NE/SD tolerated in confirmation, cut at new therapy).

    Returns
    -------
    DataFrame
        PARAMCD OVR (one per RS record; ANL01FL/ANL02FL/ANL03FL) and PD, RSP, CB, BOR, BCP,
        CRSP, CCB, CBOR, CBCP, DEATH, LSTA (and MDIS), with AVALC/AVAL/ADT, ARULE (name of the
        event that decided the value), source RS variables, ASEQ and the ADSL variables.
    """
    options = options or ResponseOptions()
    reference_var = select_start_date(adsl, start_date)
    by_subject = adsl.set_index("USUBJID")
    subjects = pd.Index(by_subject.index)
    ovr = normalise_responses(evaluator_records(rs, evaluator=evaluator))
    unknown = ~ovr["USUBJID"].isin(subjects)
    if unknown.any():
        raise DataError(
            "RS subject not in ADSL (DM)", field="RS.USUBJID",
            value=str(ovr.loc[unknown, "USUBJID"].iloc[0]), allowed="subjects present in DM",
            subject=str(ovr.loc[unknown, "USUBJID"].iloc[0]),
        )
    ovr = flag_analysis_records(
        ovr, reference=by_subject[reference_var], new_therapy=by_subject["NACTDT"],
        cr_followed_by_worse_is_pd=options.cr_followed_by_worse_is_pd,
    )
    params = _subject_parameters(
        ovr, by_subject=by_subject, protocol=protocol, options=options, subjects=subjects,
        reference=by_subject[reference_var],
    )
    if tu is not None:
        params.append(_mdis(tu, subjects=subjects, evaluator=evaluator))
    ovr = ovr.assign(PARAMCD="OVR")
    frame = pd.concat([ovr.drop(columns=["REFDT"]), *params], ignore_index=True)
    return _finish(frame, adsl=adsl, evaluator=evaluator)


def _working_set(ovr: pd.DataFrame, options: ResponseOptions) -> pd.DataFrame:
    keep = (ovr["ANL01FL"] == "Y") & (ovr["ANL02FL"] == "Y")
    if options.cut_at_new_therapy:
        keep &= ovr["ANL03FL"] == "Y"
    return ovr.loc[keep].reset_index(drop=True)


def _best_responses(
    work: pd.DataFrame, *, reference: pd.Series, protocol: ProtocolLike,
    options: ResponseOptions, subjects: pd.Index,
) -> BestResponses:
    """BOR, CBOR and confirmation of the working set by the RECIST engine (one group per ADSL
    subject, in *subjects* order)."""
    recist = protocol.recist
    settings = BestResponseSettings(
        confirmation_interval_days=recist.confirmation_interval_days,
        min_sd_duration_days=recist.min_sd_duration_days,
        max_ne_between=options.max_ne_in_confirmation,
        accept_sd_between=options.accept_sd_in_confirmation,
        cr_followed_by_worse_is_pd=options.cr_followed_by_worse_is_pd,
    )
    ref = reference.reindex(subjects).to_numpy(dtype="datetime64[ns]")
    ref_day = np.where(np.isnat(ref), 0, ref.astype("datetime64[D]").astype(np.int64))
    return decide_best_responses(
        subjects.get_indexer(pd.Index(work["USUBJID"])).astype(np.int64),
        day_numbers(work["ADT"]), np.asarray(work["AVALC"].map(RESPONSE_CODES), dtype=np.int64),
        n_groups=len(subjects),
        sd_from=ref_day + recist.min_sd_duration_days, settings=settings,
        rules=load_recist_rules(),
    )


def _best_rows(
    work: pd.DataFrame, decision: BestDecision, *, subjects: pd.Index, paramcd: str
) -> pd.DataFrame:
    """One BOR/CBOR record per subject: the deciding assessment, or no date (``*_missing``)."""
    found = decision.position >= 0
    chosen = work.take(decision.position[found]).reset_index(drop=True)
    chosen["AVALC"] = decision.outcome[found]
    chosen["ARULE"] = decision.rule_name[found]
    filler = pd.DataFrame({"USUBJID": subjects[~found].to_numpy(),
                           "AVALC": decision.outcome[~found], "ARULE": decision.rule_name[~found]})
    return pd.concat([chosen, filler], ignore_index=True).assign(PARAMCD=paramcd)


def _subject_parameters(
    ovr: pd.DataFrame,
    *,
    by_subject: pd.DataFrame,
    protocol: ProtocolLike,
    options: ResponseOptions,
    subjects: pd.Index,
    reference: pd.Series,
) -> list[pd.DataFrame]:
    recist = protocol.recist
    work = _working_set(ovr, options)
    value = work["AVALC"]
    window = pd.Timedelta(days=recist.min_sd_duration_days)
    late = (work["ADT"] >= work["REFDT"] + window).to_numpy()
    is_resp = value.isin([CR, PR]).to_numpy()
    best = _best_responses(work, reference=reference, protocol=protocol, options=options,
                           subjects=subjects)
    benefit = value.isin([CR, PR, SD, NONCRPD]).to_numpy() & late
    no = ("no_data_n", "N")

    def pick(paramcd: str, events: list[Event]) -> pd.DataFrame:
        chosen = select_events(work, events, subjects=subjects, fallback=no)
        return chosen.assign(PARAMCD=paramcd)

    bor = _best_rows(work, best.bor, subjects=subjects, paramcd="BOR")
    cbor = _best_rows(work, best.cbor, subjects=subjects, paramcd="CBOR")
    confirmed = best.confirmed
    return [
        pick("PD", [Event("pd_y", "Y", (value == PD).to_numpy())]),
        pick("RSP", [Event("rsp_y", "Y", is_resp)]),
        pick("CB", [Event("rsp_y", "Y", is_resp), Event("cb_y", "Y", benefit)]),
        bor,
        _best_is_response(bor, "BCP"),
        # CRSP is dated by the first assessment of the confirmed response, not the confirming one
        pick("CRSP", [Event("crsp_y", "Y", confirmed)]),
        pick("CCB", [Event("crsp_y", "Y", confirmed), Event("cb_y", "Y", benefit)]),
        cbor,
        # The admiralonco template derives CBCP from the ADRS object as it was before CBOR was
        # added, so its CBCP is "N" for every subject (reference note §3.3). Derived here from
        # CBOR as intended.
        _best_is_response(cbor, "CBCP"),
        _death(by_subject),
        _last_assessment(ovr, subjects=subjects),
    ]


def _best_is_response(best: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    """BCP/CBCP: Y (dated as the best response) when BOR/CBOR is CR or PR, else N."""
    responder = best["AVALC"].isin([CR, PR])
    out = best.assign(PARAMCD=paramcd, AVALC=np.where(responder, "Y", "N"),
                      ARULE=np.where(responder, "best_is_cr_pr", "best_not_cr_pr"))
    for column in _SOURCE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].where(responder)
    return out


def _death(by_subject: pd.DataFrame) -> pd.DataFrame:
    died = by_subject["DTHDT"].notna()
    return pd.DataFrame({
        "USUBJID": by_subject.index.to_numpy(),
        "PARAMCD": "DEATH",
        "AVALC": np.where(died, "Y", "N"),
        "ADT": by_subject["DTHDT"].to_numpy(),
        "ARULE": np.where(died, "death_y", "no_data_n"),
        "PARCAT1": "Reference Event",
    })


def _last_assessment(ovr: pd.DataFrame, *, subjects: pd.Index) -> pd.DataFrame:
    """LSTA: last analysed (ANL01FL) assessment, as admiralonco (not cut at PD, NE allowed).

    It is a descriptive parameter; oncotrial's time-to-event censoring does not use it but the
    last *adequate* assessment (see :mod:`adtte`), which admiral's own documentation asks for.
    """
    analysed = ovr.loc[ovr["ANL01FL"] == "Y"]
    last = analysed.drop_duplicates("USUBJID", keep="last").assign(ARULE="lasta")
    missing = subjects.difference(pd.Index(last["USUBJID"]))
    filler = pd.DataFrame({"USUBJID": missing.to_numpy(), "AVALC": "", "ARULE": "no_assessment"})
    return pd.concat([last, filler], ignore_index=True).assign(PARAMCD="LSTA")


def _mdis(tu: pd.DataFrame, *, subjects: pd.Index, evaluator: str) -> pd.DataFrame:
    measurable = subjects.isin(measurable_subjects(tu, evaluator=evaluator))
    return pd.DataFrame({
        "USUBJID": subjects.to_numpy(),
        "PARAMCD": "MDIS",
        "AVALC": np.where(measurable, "Y", "N"),
        "ARULE": np.where(measurable, "target_at_baseline", "no_target_lesion"),
    })


def _text_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    values = frame[column].to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = ""
    return values


def _finish(frame: pd.DataFrame, *, adsl: pd.DataFrame, evaluator: str) -> pd.DataFrame:
    """Add PARAM/PARCATy/AVAL/flags, order records, number ASEQ and attach ADSL.

    Built column by column as arrays and assembled once: assigning columns one at a time to
    a 10^5-row frame costs more than the whole response derivation.
    """
    label = evaluator_label(evaluator)
    paramcd = frame["PARAMCD"].to_numpy(dtype=object)
    derived = paramcd != "OVR"
    is_death = paramcd == "DEATH"
    params = {code: text.replace("{ev}", label) for code, text in ADRS_PARAMS.items()}
    avalc = _text_column(frame, "AVALC")
    yes_no = derived & np.isin(avalc, ["Y", "N"])
    aval = np.where(yes_no, pd.Series(avalc).map(_YN_AVAL), pd.Series(avalc).map(AVAL_RESP))
    parcat1 = _text_column(frame, "PARCAT1")
    flags = {flag: np.where(derived, "Y" if flag == "ANL01FL" else "", _text_column(frame, flag))
             for flag in ("ANL01FL", "ANL02FL", "ANL03FL")}
    visitnum = numbers(frame, "VISITNUM").to_numpy()
    columns: dict[str, object] = {
        "USUBJID": frame["USUBJID"].to_numpy(dtype=object),
        "PARAMCD": paramcd,
        "PARAM": pd.Series(paramcd).map(params).to_numpy(dtype=object),
        "PARCAT1": np.where(parcat1 == "", "Tumor Response", parcat1),
        "PARCAT2": np.where(is_death, "", label),
        "PARCAT3": np.where(is_death, "", "RECIST 1.1"),
        "AVALC": avalc,
        "AVAL": aval,
        "ADT": frame["ADT"].to_numpy(dtype="datetime64[ns]"),
        "ADTF": _text_column(frame, "ADTF"),
        "AVISIT": _text_column(frame, "VISIT"),
        "AVISITN": visitnum,
        **flags,
        "ARULE": _text_column(frame, "ARULE"),
        "RSSEQ": numbers(frame, "RSSEQ").to_numpy(),
        "RSEVAL": _text_column(frame, "RSEVAL"),
        "RSDTC": _text_column(frame, "RSDTC"),
        "RSSTRESC": _text_column(frame, "RSSTRESC"),
        "VISIT": _text_column(frame, "VISIT"),
        "VISITNUM": visitnum,
    }
    subject_code = pd.factorize(frame["USUBJID"], sort=True)[0]
    param_code = pd.factorize(paramcd, sort=True)[0]
    adt = frame["ADT"].to_numpy(dtype="datetime64[ns]")
    day = adt.astype(np.int64).astype(float)
    day[np.isnat(adt)] = np.inf  # missing dates last, as admiral
    rsseq = np.asarray(columns["RSSEQ"], dtype=float)
    order = np.lexsort((np.nan_to_num(rsseq, nan=np.inf), np.nan_to_num(visitnum, nan=np.inf),
                        day, param_code, subject_code))
    ordered = {name: np.asarray(values)[order] for name, values in columns.items()}
    codes = subject_code[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    ordered["ASEQ"] = np.arange(len(codes)) - group_start + 1
    rows = pd.Index(adsl["USUBJID"]).get_indexer(ordered["USUBJID"])
    for column in adsl.columns:
        if column not in ordered:
            ordered[column] = adsl[column].to_numpy()[rows]
    names = _column_order(list(ordered))
    return pd.DataFrame({name: ordered[name] for name in names}, copy=False)


_FIRST = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ", "PARAMCD", "PARAM", "PARCAT1",
          "PARCAT2", "PARCAT3", "AVALC", "AVAL", "ADT", "ADTF", "AVISIT", "AVISITN", "ANL01FL",
          "ANL02FL", "ANL03FL", "ARULE", "RSSEQ", "RSEVAL", "RSDTC", "RSSTRESC", "VISIT",
          "VISITNUM")


def _column_order(columns: list[str]) -> list[str]:
    first = [c for c in _FIRST if c in columns]
    return first + [c for c in columns if c not in first]


def derive_choi_adrs(
    choi_rs: pd.DataFrame,
    *,
    adsl: pd.DataFrame,
    protocol: ProtocolLike,
    evaluator: str = "INVESTIGATOR",
    start_date: StartDate | None = None,
    options: ResponseOptions | None = None,
) -> pd.DataFrame:
    """Choi parameters CHOIOVR, CHOIBOR, CHOICBOR and CHOICRSP (:data:`CHOI_PARAMS`) from Choi RS
    records (``RSCAT = CHOI``, e.g. :func:`oncotrial.cdisc.sdtm.tumour.
    derive_rs_and_issues_from_tr` with ``criteria="choi"``), derived exactly as OVR, BOR, CBOR
    and CRSP (same confirmation interval and SD minimum duration). PARCAT3 is ``CHOI``.

    Parameters
    ----------
    choi_rs
        SDTM RS; only the ``RSCAT = CHOI`` records are used (``OVRLRESP`` of *evaluator*).
    adsl
        Output of :func:`oncotrial.cdisc.adam.adsl.derive_adsl`.
    protocol
        Trial protocol or profile (confirmation interval, SD minimum duration).
    evaluator
        RSEVAL (or RSEVALID) of the reader.
    start_date
        ADSL variable of the reference date; default :func:`select_start_date`.
    options
        Non-protocol conventions, as for :func:`derive_adrs`.

    Returns
    -------
    pandas.DataFrame
        The CHOIOVR (one per Choi OVRLRESP record), CHOIBOR, CHOICBOR and CHOICRSP records with
        the columns of :func:`derive_adrs` (PARAM worded by :data:`CHOI_PARAMS`); ASEQ as
        derived there, renumbered by :func:`stack_adrs`.

    Raises
    ------
    DataError
        When an RS subject is not in ADSL or the start date cannot be chosen.
    """
    rs = choi_rs.loc[_upper_text(choi_rs, "RSCAT") == CHOI_RSCAT]
    adrs = derive_adrs(rs, adsl=adsl, protocol=protocol, evaluator=evaluator,
                       start_date=start_date, options=options)
    adrs = adrs.loc[adrs["PARAMCD"].isin(list(CHOI_PARAMS))].copy()
    label = evaluator_label(evaluator)
    adrs["PARAM"] = adrs["PARAMCD"].map({k: v[1].replace("{ev}", label)
                                         for k, v in CHOI_PARAMS.items()})
    adrs["PARAMCD"] = adrs["PARAMCD"].map({k: v[0] for k, v in CHOI_PARAMS.items()})
    adrs["PARCAT3"] = CHOI_RSCAT
    return adrs.reset_index(drop=True)


def stack_adrs(*parts: pd.DataFrame) -> pd.DataFrame:
    """ADRS parts (RECIST, Choi) as one dataset: records of a subject together, in the order
    given, ASEQ renumbered 1.. per subject.

    Parameters
    ----------
    *parts
        ADRS frames with USUBJID (empty ones are skipped; if all are empty, the first is
        returned as the shape).

    Returns
    -------
    pandas.DataFrame
        The records sorted by USUBJID (stable: within a subject, part by part in the order
        given), with a new ASEQ.

    Examples
    --------
    >>> import pandas as pd
    >>> recist = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": ["BOR", "BOR"], "ASEQ": 1})
    >>> choi = pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["CHOIBOR"], "ASEQ": 1})
    >>> stack_adrs(recist, choi).values.tolist()
    [['S1', 'BOR', 1], ['S1', 'CHOIBOR', 2], ['S2', 'BOR', 1]]
    """
    frame = pd.concat([p for p in parts if len(p)] or list(parts[:1]), ignore_index=True)
    order = pd.factorize(frame["USUBJID"], sort=True)[0]
    frame = frame.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    frame["ASEQ"] = frame.groupby("USUBJID", sort=False).cumcount() + 1
    return frame


def without_choi(rs: pd.DataFrame) -> pd.DataFrame:
    """RS without the records of other criteria (RSCAT CHOI or iRECIST), for the RECIST 1.1
    parameters.

    Parameters
    ----------
    rs
        SDTM RS (RSCAT compared ignoring case and blanks; without RSCAT nothing is dropped).

    Returns
    -------
    pandas.DataFrame
        The other records, index kept.

    Examples
    --------
    >>> import pandas as pd
    >>> rs = pd.DataFrame({"RSCAT": ["RECIST 1.1", "CHOI", "iRECIST", None]})
    >>> without_choi(rs).index.tolist()
    [0, 3]
    """

    return rs.loc[~_upper_text(rs, "RSCAT").isin([CHOI_RSCAT, "IRECIST"])]


def _upper_text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip().str.upper()
