"""CDISC variable labels (≤ 40 characters, XPT v5) for the datasets oncotrial writes.

Labels follow the ADaM IG 1.3 / ADaM OCCDS and TTE conventions and SDTMIG 3.3 where the
variable is carried over from SDTM. Sponsor-defined variables are marked in comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DATASET_LABELS", "VARIABLE_LABELS", "labels_for"]

_LABELS: dict[str, str] = {
    # identifiers and demography (SDTM DM / ADSL)
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "SUBJID": "Subject Identifier for the Study",
    "SITEID": "Study Site Identifier",
    "AGE": "Age",
    "AGEU": "Age Units",
    "SEX": "Sex",
    "RACE": "Race",
    "ETHNIC": "Ethnicity",
    "COUNTRY": "Country",
    "ARMCD": "Planned Arm Code",
    "ARM": "Description of Planned Arm",
    "ACTARMCD": "Actual Arm Code",
    "ACTARM": "Description of Actual Arm",
    "HISTOL": "Tumor Histology",  # sponsor-defined (LEADER: LMS/LPS)
    "ECOGBL": "Baseline ECOG Performance Status",  # sponsor-defined
    "PRIORLN": "Number of Prior Anticancer Therapies",
    "NSITES": "Number of Disease Sites at Baseline",
    "BLSOD": "Baseline Sum of Diameters (mm)",
    # ADSL dates and status
    "RANDDT": "Date of Randomization",
    "ENRLDT": "Date of Enrollment",
    "TRTSDT": "Date of First Exposure to Treatment",
    "TRTEDT": "Date of Last Exposure to Treatment",
    "TRTDURD": "Total Treatment Duration (Days)",
    "NACTDT": "Date of New Anti-Cancer Therapy",
    "DTHDT": "Date of Death",
    "DTHDTF": "Date of Death Imputation Flag",
    "DTHFL": "Subject Death Flag",
    "LSTALVDT": "Date Last Known Alive",
    "EOSSTT": "End of Study Status",
    "DCSREAS": "Reason for Discontinuation from Study",
    "EOTSTT": "End of Treatment Status",
    "DCTREAS": "Reason for Discontinuation of Treatment",
    "SCRFREAS": "Reason for Screen Failure",  # sponsor-defined
    "ENRLFL": "Enrolled Population Flag",
    "PHASE": "Trial Phase of Enrollment",  # sponsor-defined (Ib or II)
    "SAFFL": "Safety Population Flag",
    "ITTFL": "Intent-To-Treat Population Flag",
    "FASFL": "Full Analysis Set Population Flag",
    "EFFFL": "Response Evaluable Population Flag",
    "DLTEVLFL": "DLT Evaluable Population Flag",  # sponsor-defined
    # BDS (ADRS/ADTTE)
    "ASEQ": "Analysis Sequence Number",
    "PARAMCD": "Parameter Code",
    "PARAM": "Parameter",
    "PARCAT1": "Parameter Category 1",
    "PARCAT2": "Parameter Category 2",
    "PARCAT3": "Parameter Category 3",
    "AVALC": "Analysis Value (C)",
    "AVAL": "Analysis Value",
    "AVALU": "Analysis Value Unit",
    "ADT": "Analysis Date",
    "ADTF": "Analysis Date Imputation Flag",
    "ADJREAS": "Reason for Dose Adjustment",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)",
    "ANL01FL": "Analysis Flag 01",
    "ANL02FL": "Analysis Flag 02",
    "ANL03FL": "Analysis Flag 03",
    "ARULE": "Derivation Rule That Decided the Value",  # sponsor-defined
    "STARTDT": "Time-to-Event Origin Date for Subject",
    "CNSR": "Censor",
    "EVNTDESC": "Event or Censoring Description",
    "CNSDTDSC": "Censor Date Description",
    "SRCDOM": "Source Data",
    "SRCVAR": "Source Variable",
    "SRCSEQ": "Source Sequence Number",
    # SDTM RS carried into ADRS
    "RSSEQ": "Sequence Number",
    "RSEVAL": "Evaluator",
    "RSDTC": "Date/Time of Assessment",
    "RSSTRESC": "Response Result in Standard Format",
    "VISIT": "Visit Name",
    "VISITNUM": "Visit Number",
}

VARIABLE_LABELS: Mapping[str, str] = MappingProxyType(_LABELS)

DATASET_LABELS: Mapping[str, str] = MappingProxyType({
    "ADSL": "Subject-Level Analysis Dataset",
    "ADRS": "Response Analysis Dataset",
    "ADTTE": "Time-to-Event Analysis Dataset",
    "ADAE": "Adverse Events Analysis Dataset",
    "ADEX": "Exposure Analysis Dataset",
    "ADLB": "Laboratory Analysis Dataset",
    "ADTR": "Tumor Results Analysis Dataset",
})


def labels_for(columns: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Labels for the given variable names (variables without a known label get none).

    Parameters
    ----------
    columns
        Variable names, upper case as in the datasets.

    Returns
    -------
    dict of str to str
        Variable -> label (at most 40 characters, XPT v5) for each of *columns* in
        :data:`VARIABLE_LABELS`, in the order given.

    Examples
    --------
    >>> labels_for(["USUBJID", "CNSR", "MYVAR"])
    {'USUBJID': 'Unique Subject Identifier', 'CNSR': 'Censor'}
    """

    return {c: VARIABLE_LABELS[c] for c in columns if c in VARIABLE_LABELS}
