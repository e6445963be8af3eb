"""SDTM domains → ADSL, ADRS, ADTTE (+ ADAE, ADEX, ADLB, ADTR): the whole derivation chain,
its data issues, and its XPT/CSV output.

The chain works on SDTM from any study: protocol values come from an
:class:`oncotrial.protocol.AnalysisProfile` (a protocol file, or the generic oncology profile),
and what cannot be used as recorded is listed in ``adam_issues.csv`` rather than raised:
malformed dates, responses that are no RECIST category, records XPT v5 cannot hold as they are,
drugs without planned dosing days, a study without RS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from oncotrial._outputs import atomic_folder, final_path, write_csv
from oncotrial.cdisc.adam._settings import PfsRules, ResponseOptions, StartDate
from oncotrial.cdisc.adam.adrs import derive_adrs, derive_choi_adrs, stack_adrs, without_choi
from oncotrial.cdisc.adam.adrs_irecist import derive_irecist_adrs
from oncotrial.cdisc.adam.adsl import derive_adsl, select_start_date
from oncotrial.cdisc.adam.adtte import derive_adtte
from oncotrial.cdisc.adam.issues import ISSUE_VARIABLES, derive_adrs_issues
from oncotrial.cdisc.adam.screen import ISSUE_COLUMNS, screen_sdtm
from oncotrial.cdisc.adam.supporting import derive_supporting_adam, undosed_drugs
from oncotrial.cdisc.define import StudyInfo
from oncotrial.cdisc.io import transport_issues, write_dataset
from oncotrial.cdisc.sdtm import ANALYSIS_DOMAINS
from oncotrial.cdisc.sdtm.tumour import derive_rs_and_issues_from_tr
from oncotrial.cdisc.submission import dataset_labels, study_info, write_submission_files
from oncotrial.errors import DataError, failure_context
from oncotrial.protocol import AnalysisProfile, Protocol, as_profile, describe_profile
from oncotrial.rules.choi import ChoiSettings
from oncotrial.rules.recist import RecistSettings

__all__ = [
    "ISSUE_COLUMNS",
    "PROFILE_FILE",
    "AdamDatasets",
    "ResponseSource",
    "derive_adam",
    "domains_for",
    "write_adam",
]

ResponseSource = Literal["RS", "TR"]
PROFILE_FILE = "analysis_profile.csv"


def domains_for(source: ResponseSource) -> tuple[str, ...]:
    """SDTM domains the derivation reads: TR (lesion measurements, the largest domain) only
    when responses are computed from it; its dates are those of the RS assessments otherwise.

    Parameters
    ----------
    source
        ``"RS"`` (recorded responses) or ``"TR"`` (responses computed from TU/TR).

    Returns
    -------
    tuple of str
        :data:`oncotrial.cdisc.sdtm.ANALYSIS_DOMAINS`, without TR unless *source* is ``"TR"``.

    Examples
    --------
    >>> "TR" in domains_for("RS"), "TR" in domains_for("TR")
    (False, True)
    """
    if source == "TR":
        return ANALYSIS_DOMAINS
    return tuple(d for d in ANALYSIS_DOMAINS if d != "TR")


@dataclass(frozen=True, slots=True)
class AdamDatasets:
    """The analysis datasets, the data issues met (:data:`ISSUE_COLUMNS`) and the choices they
    were derived with."""

    adsl: pd.DataFrame
    adrs: pd.DataFrame
    adtte: pd.DataFrame
    issues: pd.DataFrame
    start_date: StartDate
    evaluator: str
    source: ResponseSource
    pfs_rules: PfsRules
    supporting: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    profile: AnalysisProfile | None = None
    choi: ChoiSettings | None = None  # set when ADRS has the Choi parameters


def derive_adam(
    sdtm: Mapping[str, pd.DataFrame],
    *,
    protocol: Protocol | AnalysisProfile,
    evaluator: str = "INVESTIGATOR",
    source: ResponseSource = "RS",
    start_date: StartDate | None = None,
    pfs_rules: PfsRules | None = None,
    options: ResponseOptions | None = None,
    supporting: bool = False,
    criteria: tuple[str, ...] = ("recist",),
    choi: ChoiSettings | None = None,
) -> AdamDatasets:
    """Derive ADSL, ADRS and ADTTE from SDTM domains.

    ``source="RS"`` reads the recorded overall responses (SDTM RS ``OVRLRESP``);
    ``source="TR"`` first computes the timepoint responses from the lesion measurements in
    TU/TR with the RECIST 1.1 engine and derives from those instead. With *supporting* the
    report's ADAE, ADEX, ADLB and ADTR are derived too, from the domains present.

    *protocol* is a trial protocol or an analysis profile; *start_date* and *pfs_rules*, when
    given, override the profile's choices. Without RS (and without ``source="TR"``) every
    subject's response is MISSING and the absence is listed as a data issue.

    *criteria* ``("recist", "choi")`` adds the Choi parameters CHOIOVR, CHOIBOR, CHOICBOR and
    CHOICRSP to ADRS, computed from TU/TR (which must carry density, TRTESTCD ATTEN) with
    *choi* (default :class:`oncotrial.rules.choi.ChoiSettings`), the time to response by Choi
    (CHOITTR) to ADTTE and, with *supporting*, the mean target-lesion density (DENSITY) to
    ADTR; PFS and the other parameters stay RECIST 1.1. ``"irecist"`` adds the iRECIST
    parameters (IOVR, ICPD, IUPD, IRSP, ICB, IBOR, ICRSP, ICCB, ICBOR:
    :mod:`oncotrial.cdisc.adam.adrs_irecist`) from the recorded iRECIST responses (RS RSCAT
    iRECIST, with ``source="RS"``) or else computed from TU/TR, and ADTTE then has IPFS (PFS
    by iRECIST) beside PFS.

    Parameters
    ----------
    sdtm
        SDTM domains keyed by upper-case name (:func:`oncotrial.cdisc.sdtm.read_sdtm`); DM is
        required, the others are used when present.
    protocol
        The trial protocol or an analysis profile (confirmation interval, SD minimum
        duration, start date, PFS rules, ...).
    evaluator
        RSEVAL/TUEVAL of the responses analysed (``INVESTIGATOR``, ``INDEPENDENT ASSESSOR``).
    source
        ``"RS"`` or ``"TR"``, as above.
    start_date
        ADSL reference start date (RANDDT, ENRLDT, TRTSDT); default the profile's, else
        :func:`oncotrial.cdisc.adam.adsl.select_start_date`.
    pfs_rules
        PFS event and censoring rule set (FDA, EMA, ...); default the profile's.
    options
        Response conventions (NE and SD tolerated in a confirmation, cut at new therapy,
        CR followed by worse; admiralonco defaults otherwise); default
        :class:`ResponseOptions`.
    supporting
        Also derive ADAE, ADEX, ADLB and ADTR.
    criteria
        ``("recist",)``, optionally with ``"choi"`` and ``"irecist"``.
    choi
        Choi protocol choices when ``"choi"`` is in *criteria*.

    Returns
    -------
    AdamDatasets
        ADSL, ADRS, ADTTE, the supporting datasets, every data issue met (ISSUE_COLUMNS:
        screening of the SDTM, TU/TR issues, undosed drugs, records after death, ADRS
        inconsistencies) and the choices used (start date, evaluator, source, PFS rules,
        profile, Choi settings).

    Raises
    ------
    DataError
        When *criteria* is unknown or lacks ``"recist"``, *source* is unknown, the start date
        cannot be chosen, iRECIST has neither recorded responses nor TU/TR, or a derivation
        refuses its input (the message says which step failed).
    """
    unknown = [c for c in criteria if c not in ("recist", "choi", "irecist")]
    if unknown or "recist" not in criteria:
        raise DataError("unknown or incomplete response criteria", field="criteria",
                        value=",".join(criteria),
                        allowed="recist, optionally with choi and irecist (recist,choi,irecist)")
    profile = as_profile(protocol)
    screened = screen_sdtm(sdtm)
    domains = dict(screened.domains)
    issues = [screened.issues]
    settings = RecistSettings.from_protocol(profile)
    if source == "TR":
        with failure_context("computing responses from TU/TR"):
            domains["RS"], tumour_issues = _responses_from_measurements(domains, settings)
        issues.append(tumour_issues)
    elif source != "RS":
        raise DataError("unknown response source", field="source", value=source,
                        allowed="RS, TR")
    if "RS" not in domains:
        domains["RS"] = pd.DataFrame(columns=["USUBJID", "RSTESTCD", "RSSTRESC", "RSDTC"])
        issues.append(_issue("RS", "no RS domain (and responses not computed from TR)",
                             "no tumour response: BOR MISSING, PFS censored at the start"))
    with failure_context("deriving ADSL"):
        adsl = derive_adsl(domains, evaluator=evaluator, protocol=profile)
    wanted = start_date or (None if profile.start_date == "auto" else profile.start_date)
    chosen = select_start_date(adsl, wanted)
    rules = pfs_rules or profile.pfs_rules
    with failure_context("deriving ADRS"):
        adrs = derive_adrs(without_choi(domains["RS"]), adsl=adsl, protocol=profile,
                           evaluator=evaluator, start_date=chosen, tu=domains.get("TU"),
                           options=options)
    choi_used = None
    if "choi" in criteria:
        choi_used = choi or ChoiSettings()
        with failure_context("computing Choi responses from TU/TR"):
            choi_rs, _ = derive_rs_and_issues_from_tr(domains, settings=settings,
                                                      criteria="choi", choi=choi_used)
            choi_adrs = derive_choi_adrs(choi_rs, adsl=adsl, protocol=profile,
                                         evaluator=evaluator, start_date=chosen,
                                         options=options)
        adrs = stack_adrs(adrs, choi_adrs)
    if "irecist" in criteria:
        with failure_context("computing iRECIST responses from TU/TR"):
            irecist_rs = _irecist_responses(domains, settings, source)
            irecist_adrs = derive_irecist_adrs(irecist_rs, adsl=adsl, protocol=profile,
                                               evaluator=evaluator, start_date=chosen,
                                               options=options)
        adrs = stack_adrs(adrs, irecist_adrs)
    with failure_context("deriving ADTTE"):
        adtte = derive_adtte(adrs, adsl=adsl, protocol=profile, start_date=chosen,
                             pfs_rules=rules, tu=domains.get("TU"),
                             death_without_assessment=profile.death_without_assessment)
    extra: dict[str, pd.DataFrame] = {}
    if supporting:
        extra = derive_supporting_adam(domains, adsl, protocol=profile, evaluator=evaluator,
                                       choi=choi_used)
        issues += [_issue("EX", "no planned dosing days for this drug in the analysis profile",
                          "cycles, dose intensity and relative dose intensity not derived",
                          variable="EXTRT", value=drug)
                   for drug in undosed_drugs(domains.get("EX"), profile)]
    if "ADTR" in extra:
        adsl = _with_baseline_sum(adsl, extra["ADTR"])
    issues.append(_alive_after_death(adsl))
    issues.append(_adrs_issues(derive_adrs_issues(adrs, start_date=chosen)))
    return AdamDatasets(adsl=adsl, adrs=adrs, adtte=adtte, issues=_combine(issues),
                        start_date=chosen, evaluator=evaluator, source=source, pfs_rules=rules,
                        supporting=extra, profile=profile, choi=choi_used)


def _irecist_responses(domains: Mapping[str, pd.DataFrame], settings: RecistSettings,
                       source: ResponseSource) -> pd.DataFrame:
    """iRECIST timepoint responses: as recorded in RS (RSCAT iRECIST) when reading RS and there
    are some, else computed from TU/TR (:mod:`oncotrial.rules.irecist_lesions`)."""
    recorded = domains.get("RS")
    if source == "RS" and recorded is not None and "RSCAT" in recorded.columns:
        category = recorded["RSCAT"].fillna("").astype(str).str.strip().str.upper()
        if (category == "IRECIST").any():
            return recorded.loc[category == "IRECIST"]
    if "TU" not in domains or "TR" not in domains:
        raise DataError("iRECIST needs recorded iRECIST responses (RS RSCAT iRECIST) or the "
                        "lesion data to compute them", field="domain",
                        value=", ".join(sorted(domains)), allowed="RS with RSCAT iRECIST, "
                        "or TU and TR")
    computed, _ = derive_rs_and_issues_from_tr(domains, settings=settings, criteria="irecist")
    return computed


def _issue(dataset: str, issue: str, action: str, *, variable: str = "",
           value: object = "") -> pd.DataFrame:
    return pd.DataFrame([{"DATASET": dataset, "USUBJID": "", "VISIT": "", "VARIABLE": variable,
                          "VALUE": str(value), "ISSUE": issue, "ACTION": action}])


def _alive_after_death(adsl: pd.DataFrame) -> pd.DataFrame:
    """Subjects with a record dated after their death date (the CDISC pilot has a visit the
    day after a death): listed, kept as recorded; OS uses the death date."""
    late = adsl[adsl["DTHDT"].notna() & (adsl["LSTALVDT"] > adsl["DTHDT"])]
    return pd.DataFrame({
        "DATASET": late["LALVDOM"], "USUBJID": late["USUBJID"], "VISIT": "",
        "VARIABLE": late["LALVVAR"], "VALUE": late["LSTALVDT"].dt.strftime("%Y-%m-%d"),
        "ISSUE": "dated after the death date (DTHDT " + late["DTHDT"].dt.strftime("%Y-%m-%d")
                 + ")",
        "ACTION": "kept as recorded: LSTALVDT is later than DTHDT; OS ends at the death"})


def _adrs_issues(found: pd.DataFrame) -> pd.DataFrame:
    variable = found["ISSUE"].map(ISSUE_VARIABLES).fillna("RSSTRESC")
    value = found["RSDTC"].where(variable == "RSDTC", found["RSSTRESC"])
    return pd.DataFrame({"DATASET": "RS", "USUBJID": found["USUBJID"], "VISIT": found["VISIT"],
                         "VARIABLE": variable, "VALUE": value, "ISSUE": found["ISSUE"],
                         "ACTION": found["ACTION"]})


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    used = [p.reindex(columns=list(ISSUE_COLUMNS)) for p in parts if not p.empty]
    if not used:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    return pd.concat(used, ignore_index=True).fillna("")


def _with_baseline_sum(adsl: pd.DataFrame, adtr: pd.DataFrame) -> pd.DataFrame:
    """ADSL.BLSOD: the baseline sum of target-lesion diameters of ADTR (RECIST 1.1 §4.2)."""
    base = adtr[(adtr["PARAMCD"] == "SUMDIAM") & (adtr["ABLFL"] == "Y")]
    by_subject = base.drop_duplicates("USUBJID").set_index("USUBJID")["AVAL"]
    return adsl.assign(BLSOD=adsl["USUBJID"].map(by_subject).astype(float))


_RECIST_TESTS = ("TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP")


def _responses_from_measurements(
    sdtm: Mapping[str, pd.DataFrame], settings: RecistSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """RS computed from TU/TR by the RECIST 1.1 engine, replacing recorded RECIST results, and
    the TU/TR data issues met (in :data:`ISSUE_COLUMNS`).

    Other RS records (e.g. ECOG, a clinical classification) are kept as recorded.
    """
    computed, found = derive_rs_and_issues_from_tr(sdtm, settings=settings)
    issues = pd.DataFrame({
        "DATASET": found["DOMAIN"], "USUBJID": found["USUBJID"], "VISIT": found["VISIT"],
        "VARIABLE": found["VARIABLE"], "VALUE": found["VALUE"].astype(str),
        "ISSUE": found["MESSAGE"] + (" (evaluator " + found["EVAL"].astype(str) + ")").where(
            found["EVAL"].astype(str) != "", ""),
        "ACTION": found["ACTION"]})
    recorded = sdtm.get("RS")
    if recorded is None or recorded.empty:
        return computed, issues
    testcd = recorded["RSTESTCD"].astype(str).str.strip().str.upper()
    others = recorded.loc[~testcd.isin(_RECIST_TESTS)]
    return pd.concat([computed, others], ignore_index=True), issues


def write_adam(datasets: AdamDatasets, directory: Path, *, study: StudyInfo | None = None,
               created: datetime | None = None) -> list[Path]:
    """Write every dataset as XPT v5 (labels from the ADaM specification), CSV and
    Dataset-JSON 1.1 with ``define.xml`` (Define-XML 2.1 with the analysis results metadata of
    the primary endpoint) and ``define.html``, the data issues as ``adam_issues.csv`` (with what
    writing XPT changed) and the analysis profile as ``analysis_profile.csv``, into *directory*.

    All files are written into a temporary folder that replaces *directory*'s entries at the
    end (:func:`oncotrial._outputs.atomic_folder`): a failure leaves the earlier output as it
    was.

    Parameters
    ----------
    datasets
        What :func:`derive_adam` returned.
    directory
        Output folder.
    study
        The study define.xml names; default read from STUDYID
        (:func:`oncotrial.cdisc.submission.study_info`).
    created
        Creation time of define.xml and the Dataset-JSON files (default now).

    Returns
    -------
    list of pathlib.Path
        The files written, at their final place in *directory*: per dataset ``.xpt``,
        ``.csv``, then the ``.json`` files, ``define.xml``, ``define.html``,
        ``adam_issues.csv`` and (with a profile) ``analysis_profile.csv`` (SETTING, VALUE,
        SOURCE, with the start date, evaluator, response source and Choi settings used).

    Raises
    ------
    DataError
        When a dataset cannot be written (e.g. a variable name XPT v5 cannot hold), naming
        the dataset.
    """

    frames = {"ADSL": datasets.adsl, "ADRS": datasets.adrs, "ADTTE": datasets.adtte,
              **datasets.supporting}
    written: list[Path] = []
    with atomic_folder(directory) as temp:
        issues = [datasets.issues]
        for name, frame in frames.items():
            with failure_context(f"writing {name}"):
                labels, table = dataset_labels(name, frame, "ADaM")
                issues.append(transport_issues(frame, name, labels=labels).assign(
                    USUBJID="", VISIT="", ISSUE=lambda t: t["ISSUE"] + " ("
                    + t["NVALUES"].astype(str) + " value(s))"))
                written += write_dataset(frame, temp, name, labels=labels, table_label=table)
        written += write_submission_files(
            frames, temp, standard="ADaM", study=study or study_info(frames),
            created=created or datetime.now(UTC))
        written.append(write_csv(_combine(issues), temp / "adam_issues.csv"))
        if datasets.profile is not None:
            rows = describe_profile(datasets.profile)
            rows += [("start_date_used", datasets.start_date, "ADSL variable used"),
                     ("evaluator", datasets.evaluator, ""),
                     ("response_source", datasets.source, "")]
            if datasets.choi is not None:
                source = "oncotrial.rules.choi.ChoiSettings (Choi 2007)"
                rows += [(f"choi_{name}", str(getattr(datasets.choi, name)), source)
                         for name in ("variant", "pd_reference", "density_average",
                                      "nontarget_progression_is_pd")]
            written.append(write_csv(pd.DataFrame(rows, columns=["SETTING", "VALUE", "SOURCE"]),
                                     temp / PROFILE_FILE))
    return [final_path(path, temp, directory) for path in written]
