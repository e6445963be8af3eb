"""ADSL: one record per subject with the dates, flags and attributes the analyses need."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from oncotrial.cdisc.adam import _subject
from oncotrial.cdisc.adam._dates import dates_from_dtc
from oncotrial.cdisc.adam._response import evaluator_records, normalise_responses
from oncotrial.cdisc.adam._settings import START_DATES, StartDate
from oncotrial.cdisc.adam._text import upper_text
from oncotrial.cdisc.adam.safety import merge_supplemental
from oncotrial.errors import DataError
from oncotrial.protocol import AnalysisProfile, Protocol, as_profile
from oncotrial.protocol.analysis import ALIVE_DATES

__all__ = ["derive_adsl", "measurable_subjects", "select_start_date"]

_DM_COPY = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC",
            "COUNTRY", "ARMCD", "ARM", "ACTARMCD", "ACTARM")
_DATE_COLUMNS = ("RANDDT", "ENRLDT", "TRTSDTM", "TRTEDTM", "TRTSDT", "TRTEDT", "NACTDT",
                 "DTHDT", "LSTALVDT")


def derive_adsl(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    evaluator: str = "INVESTIGATOR",
    protocol: Protocol | AnalysisProfile | None = None,
) -> pd.DataFrame:
    """Derive ADSL from SDTM DM (required) and DS, EX, SV, AE, CM, LB, VS, QS, RS, TU, SUPPDM.

    Parameters
    ----------
    sdtm
        SDTM domains keyed by upper-case name (as :func:`oncotrial.cdisc.sdtm.read_sdtm`).
    evaluator
        RSEVAL/TUEVAL whose assessments decide the response-evaluable flag.
    protocol
        Protocol or analysis profile: its ``alive_dates`` define LSTALVDT (default
        :data:`oncotrial.protocol.analysis.ALIVE_DATES`) and, when it has a DLT window,
        DLTEVLFL is derived with it.

    Returns
    -------
    DataFrame
        One row per DM subject: DM identifiers and demography; TRT01P/TRT01A (ARM/ACTARM, as
        the admiral ADSL template maps them for a study without periods); HISTOL and PHASE (DM
        column or SUPPDM, see :func:`_subject.histology`); ECOGBL; RANDDT (DS RANDOMIZED, a
        complete date: never imputed, as admiral), ENRLDT (DS ENROLLED), TRTSDTM/TRTSTMF,
        TRTEDTM/TRTETMF, TRTSDT/TRTEDT (EX valid doses, :func:`_subject.treatment_dates`),
        TRTDURD; NACTDT (first new anticancer therapy, CM); DTHDT/DTHDTF/DTHFL; LSTALVDT with
        LALVDTF/LALVDOM/LALVVAR/LALVSEQ (:func:`_subject.last_alive_dates`); EOSSTT/DCSREAS
        (study), EOTSTT/DCTREAS
        (treatment), SCRFREAS; and the population flags SAFFL (≥ 1 dose), ITTFL (randomised),
        ENRLFL and FASFL (enrolled, randomised or treated) and EFFFL (response-evaluable:
        treated, measurable disease at baseline when TU is given, and ≥ 1 post-baseline
        response assessment other than NE) and, with a DLT window, DLTEVLFL
        (DLT-evaluable: a DLT recorded — AE/SUPPAE ``AEDLT = Y`` — or dosed through the whole
        DLT window, TRTEDT ≥ TRTSDT + window − 1; the usual phase Ib rule that subjects
        leaving the window early without a DLT are replaced). The flag is derived for every
        treated subject; the dose-finding analysis restricts it to phase Ib arms.

    Raises
    ------
    DataError
        When DM is missing or has duplicate subjects, or a date is malformed.
    """
    dm = sdtm.get("DM")
    if dm is None:
        raise DataError("ADSL needs SDTM DM", field="DM", value=None, allowed="a DM dataset")
    duplicated = dm["USUBJID"].duplicated()
    if duplicated.any():
        raise DataError(
            "duplicate subject in DM", field="DM.USUBJID",
            value=str(dm.loc[duplicated, "USUBJID"].iloc[0]), allowed="one DM record per subject",
        )
    profile = None if protocol is None else as_profile(protocol)
    adsl = pd.DataFrame({c: dm[c].to_numpy() for c in _DM_COPY if c in dm.columns})
    adsl.index = pd.Index(dm["USUBJID"].to_numpy(), name="USUBJID")
    for planned, source in (("TRT01P", "ARM"), ("TRT01A", "ACTARM")):
        adsl[planned] = dm[source].to_numpy() if source in dm.columns else ""
    adsl["HISTOL"] = _subject.histology(dm, sdtm.get("SUPPDM")).to_numpy()
    adsl["PHASE"] = _subject.phase(dm, sdtm.get("SUPPDM")).to_numpy()

    adsl = adsl.join(_subject.treatment_dates(sdtm.get("EX")))
    adsl = adsl.join(_subject.disposition(sdtm.get("DS")))
    for column in ("TRTSDTM", "TRTEDTM", "TRTSDT", "TRTEDT", "RANDDT", "ENRLDT", "DSDTHDT"):
        adsl[column] = pd.to_datetime(adsl[column]).astype("datetime64[ns]")  # also when empty
    adsl["TRTDURD"] = (adsl["TRTEDT"] - adsl["TRTSDT"]).dt.days + 1
    nact = _subject.new_therapy_dates(sdtm.get("CM"), adsl["TRTSDT"])
    adsl["NACTDT"] = nact.reindex(adsl.index)
    adsl["ECOGBL"] = _subject.baseline_ecog(sdtm, adsl["TRTSDT"]).reindex(adsl.index).astype(float)
    _add_disease_history(adsl, sdtm)
    alive = _subject.last_alive_dates(
        sdtm, adsl["TRTEDT"], sources=ALIVE_DATES if profile is None else profile.alive_dates)
    adsl = adsl.join(alive)
    adsl["LALVDTF"] = adsl["LALVDTF"].fillna("")
    adsl["LALVDOM"] = adsl["LALVDOM"].fillna("")
    adsl["LALVVAR"] = adsl["LALVVAR"].fillna("")
    _add_death(adsl, dm)

    adsl["SAFFL"] = np.where(adsl["TRTSDT"].notna(), "Y", "N")
    adsl["ITTFL"] = np.where(adsl["RANDDT"].notna(), "Y", "N")
    enrolled = adsl[["RANDDT", "ENRLDT", "TRTSDT"]].notna().any(axis=1)
    adsl["ENRLFL"] = np.where(enrolled, "Y", "N")
    adsl["FASFL"] = np.where(enrolled, "Y", "N")
    adsl["EFFFL"] = np.where(_response_evaluable(sdtm, adsl, evaluator=evaluator), "Y", "N")
    if profile is not None and profile.dlt_window_days is not None:
        adsl["DLTEVLFL"] = np.where(
            _dlt_evaluable(sdtm, adsl, window_days=profile.dlt_window_days), "Y", "N"
        )
    for column in _DATE_COLUMNS:
        adsl[column] = pd.to_datetime(adsl[column]).astype("datetime64[ns]")
    _fill_status(adsl, sdtm.get("DS"))
    return adsl.reset_index(drop=True)


def _add_disease_history(adsl: pd.DataFrame, sdtm: Mapping[str, pd.DataFrame]) -> None:
    """PRIORLN (CM) and NSITES (TU) when those domains exist; *adsl* is the local being
    built and is changed in place."""
    prior = _subject.prior_lines(sdtm.get("CM"), adsl["TRTSDT"])
    if prior is not None:
        adsl["PRIORLN"] = prior.reindex(adsl.index).astype(float)
    sites = _subject.disease_sites(sdtm.get("TU"))
    if sites is not None:
        adsl["NSITES"] = sites.reindex(adsl.index).astype(float)


def _fill_status(adsl: pd.DataFrame, ds: pd.DataFrame | None) -> None:
    """Blank text for missing flags and reasons; EOSSTT ONGOING without a disposition event;
    EOTSTT ONGOING for treated subjects only, and blank (unknown) when DS has no EPOCH to tell
    end of treatment from end of study. *adsl* is the local being built, changed in place."""
    for column in ("TRTSTMF", "TRTETMF", "DCSREAS", "DCTREAS", "SCRFREAS"):
        adsl[column] = adsl[column].fillna("")
    adsl["EOSSTT"] = adsl["EOSSTT"].fillna("ONGOING")
    known = ds is not None and "EPOCH" in ds.columns
    adsl["EOTSTT"] = adsl["EOTSTT"].fillna("ONGOING" if known else "").where(
        adsl["TRTSDT"].notna(), "")


def _add_death(adsl: pd.DataFrame, dm: pd.DataFrame) -> None:
    """DTHDT from DM DTHDTC (partial dates imputed to the first possible day, admiral ADSL
    template ``highest_imputation = "M"``), else the DS DEATH date.

    An imputed death date earlier than the last date the subject was seen alive is moved to
    that date: the admiral template does not check this, and a death before a visit the
    subject attended is impossible.
    """
    if "DTHDTC" in dm.columns:
        death, flag = dates_from_dtc(
            dm["DTHDTC"], field="DTHDTC", impute="first", highest="M", subjects=dm["USUBJID"]
        )
        death.index = adsl.index
        flag.index = adsl.index
    else:
        death = pd.Series(pd.NaT, index=adsl.index, dtype="datetime64[ns]")
        flag = pd.Series("", index=adsl.index, dtype=object)
    from_ds = death.isna() & adsl["DSDTHDT"].notna()
    death = death.where(~from_ds, adsl["DSDTHDT"])
    too_early = (flag != "") & (death < adsl["LSTALVDT"])
    adsl["DTHDT"] = death.where(~too_early, adsl["LSTALVDT"])
    adsl["DTHDTF"] = flag.where(death.notna(), "")
    adsl["DTHFL"] = np.where(adsl["DTHDT"].notna(), "Y", "")
    adsl.drop(columns=["DSDTHDT"], inplace=True)  # noqa: PD002 - adsl is the local being built


def _response_evaluable(
    sdtm: Mapping[str, pd.DataFrame], adsl: pd.DataFrame, *, evaluator: str
) -> pd.Series:
    treated = adsl["TRTSDT"].notna()
    tu = sdtm.get("TU")
    if tu is not None:
        measurable = pd.Series(adsl.index.isin(measurable_subjects(tu, evaluator=evaluator)),
                               index=adsl.index)
    else:
        measurable = pd.Series(True, index=adsl.index)
    rs = sdtm.get("RS")
    assessed = pd.Series(False, index=adsl.index)
    if rs is not None and not rs.empty:
        ovr = normalise_responses(evaluator_records(rs, evaluator=evaluator))
        ovr = ovr.assign(START=ovr["USUBJID"].map(adsl["TRTSDT"]))
        post = ovr[(ovr["ADT"] >= ovr["START"]) & ovr["AVALC"].isin(_EVALUABLE)]
        assessed = pd.Series(adsl.index.isin(post["USUBJID"].unique()), index=adsl.index)
    return treated & measurable & assessed


_EVALUABLE = {"CR", "PR", "SD", "NON-CR/NON-PD", "PD"}


def _dlt_evaluable(
    sdtm: Mapping[str, pd.DataFrame], adsl: pd.DataFrame, *, window_days: int
) -> pd.Series:
    treated = adsl["TRTSDT"].notna()
    through_window = (adsl["TRTEDT"] - adsl["TRTSDT"]).dt.days >= window_days - 1
    had_dlt = pd.Series(False, index=adsl.index)
    ae = sdtm.get("AE")
    if ae is not None and not ae.empty:
        merged = merge_supplemental(ae, sdtm.get("SUPPAE"))
        if "AEDLT" in merged.columns:
            flagged = merged.loc[upper_text(merged["AEDLT"]) == "Y", "USUBJID"].unique()
            had_dlt = pd.Series(adsl.index.isin(flagged), index=adsl.index)
    return treated & (through_window | had_dlt)


def measurable_subjects(tu: pd.DataFrame, *, evaluator: str) -> np.ndarray:
    """Subjects with at least one TARGET lesion identified by *evaluator* (RECIST 1.1 §3.2).

    admiralonco's template also requires ``VISIT = "SCREENING"``; target lesions are only ever
    chosen at baseline (later lesions are NEW), so the visit name — which varies between
    trials — is not needed.

    Parameters
    ----------
    tu
        SDTM TU (USUBJID, TUSTRESC, optionally TUEVAL: a blank TUEVAL counts for every
        evaluator).
    evaluator
        The evaluator whose lesions count, any case.

    Returns
    -------
    numpy.ndarray
        The USUBJIDs, in order of first appearance, each once.

    Examples
    --------
    >>> import pandas as pd
    >>> tu = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S3"],
    ...                    "TUSTRESC": ["TARGET", "NON-TARGET", "NON-TARGET", "target"],
    ...                    "TUEVAL": ["INVESTIGATOR", "INVESTIGATOR", "INVESTIGATOR", ""]})
    >>> measurable_subjects(tu, evaluator="investigator").tolist()
    ['S1', 'S3']
    """
    target = upper_text(tu["TUSTRESC"]) == "TARGET"
    if "TUEVAL" in tu.columns:
        tueval = upper_text(tu["TUEVAL"])
        target &= (tueval == evaluator.upper()) | (tueval == "")
    return tu.loc[target, "USUBJID"].unique()


def select_start_date(adsl: pd.DataFrame, requested: StartDate | None = None) -> StartDate:
    """The ADSL variable that is the reference start date of response and time-to-event.

    Default: RANDDT when any subject was randomised, else ENRLDT when enrolment dates exist,
    else TRTSDT (single-arm trials often record neither; the reference note §5 recommends the
    first dose then).

    Parameters
    ----------
    adsl
        ADSL with RANDDT, ENRLDT and TRTSDT.
    requested
        The variable asked for, or ``None`` to choose as above.

    Returns
    -------
    StartDate
        ``"RANDDT"``, ``"ENRLDT"`` or ``"TRTSDT"``.

    Raises
    ------
    DataError
        When *requested* is not one of these, no subject has the requested date, or (choosing)
        no subject has any of them.

    Examples
    --------
    >>> import pandas as pd
    >>> adsl = pd.DataFrame({"RANDDT": [pd.NaT], "ENRLDT": [pd.NaT],
    ...                      "TRTSDT": [pd.Timestamp("2024-01-10")]})
    >>> select_start_date(adsl)
    'TRTSDT'
    """

    if requested is not None:
        if requested not in START_DATES:
            raise DataError("unknown start date", field="start_date", value=requested,
                            allowed=", ".join(START_DATES))
        if adsl[requested].isna().all():
            raise DataError("no subject has this date", field="start_date", value=requested,
                            allowed="a date present in ADSL")
        return requested
    for candidate in ("RANDDT", "ENRLDT", "TRTSDT"):
        if adsl[candidate].notna().any():
            return candidate
    raise DataError("no subject has a start date", field="start_date", value=None,
                    allowed="DS RANDOMIZED/ENROLLED or EX doses")
