"""Closed vocabularies of the casebook, and the fields engines and workflow derive.

One list per coded column; the services check their arguments against them and
:mod:`oncotrial.services._validation` checks every row written against them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AE_ACTIONS",
    "AE_OUTCOMES",
    "ATTRIBUTIONS",
    "CRITERION_KINDS",
    "DERIVED_FIELDS",
    "DEVIATION_CATEGORIES",
    "DISPOSITION_EVENTS",
    "ECG_TESTS",
    "LAB_TESTS",
    "LESION_CATEGORIES",
    "LESION_STATES",
    "LOCK_LEVELS",
    "QUERY_MESSAGE_KINDS",
    "QUERY_STATES",
    "SECTION_TYPES",
    "SEXES",
    "SIGNATURE_STATES",
    "SUBJECT_STATUSES",
    "SURVIVAL_STATUSES",
    "THERAPY_CATEGORIES",
    "TIMEPOINTS",
    "VITAL_SIGNS",
    "LabTest",
]

SEXES = ("F", "M", "U")
SUBJECT_STATUSES = ("screening", "screen_failed", "enrolled", "off_treatment", "off_study")
CRITERION_KINDS = ("inclusion", "exclusion")
DISPOSITION_EVENTS = ("END OF TREATMENT", "END OF STUDY", "DEATH")
THERAPY_CATEGORIES = ("CONCOMITANT", "PRIOR ANTICANCER", "SUBSEQUENT ANTICANCER")
TIMEPOINTS = ("PRE", "POST", "OTHER")
SECTION_TYPES = ("FULL SECTION", "CORE BIOPSY")
#: NCI attribution scale (CTCAE/CTEP AE reporting), as the protocol spells it
ATTRIBUTIONS = ("unrelated", "unlikely", "possible", "probable", "definite")
AE_OUTCOMES = (
    "RECOVERED/RESOLVED",
    "RECOVERING/RESOLVING",
    "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED/RESOLVED WITH SEQUELAE",
    "FATAL",
    "UNKNOWN",
)  # CDISC CT C66768 (AEOUT)
AE_ACTIONS = (
    "DOSE NOT CHANGED",
    "DOSE REDUCED",
    "DRUG INTERRUPTED",
    "DRUG WITHDRAWN",
    "NOT APPLICABLE",
    "UNKNOWN",
)  # CDISC CT C66767 (AEACN)
LESION_CATEGORIES = ("TARGET", "NON-TARGET", "NEW")
# INCREASED: grown since the last assessment (iRECIST; EORTC RECIST FAQ category INCLA)
LESION_STATES = ("PRESENT", "ABSENT", "UNEQUIVOCAL", "EQUIVOCAL", "NOT DONE",
                 "TOO SMALL TO MEASURE", "INCREASED")
LOCK_LEVELS = ("study", "site", "subject", "form")
QUERY_STATES = ("Open", "Answered", "Closed", "Cancelled")  # ODM 2.0 query states
QUERY_MESSAGE_KINDS = ("raise", "answer", "close", "cancel", "reopen")
SIGNATURE_STATES = ("valid", "invalidated")
SURVIVAL_STATUSES = ("ALIVE", "DEAD", "LOST TO FOLLOW-UP")
#: EGTESTCD -> EGTEST of the corrected QT (CDISC SDTM CT 2015-12-18, C71153/C71152):
#: Fridericia's (QTcF) and Bazett's (QTcB) correction, aggregate of the beats read
ECG_TESTS: dict[str, str] = {
    "QTCFAG": "QTcF Interval, Aggregate",
    "QTCBAG": "QTcB Interval, Aggregate",
}
#: DVCAT (sponsor-defined: SDTM CT has no deviation codelist; SDTMIG 3.3 DV)
DEVIATION_CATEGORIES = (
    "DOSING",
    "ELIGIBILITY",
    "INFORMED CONSENT",
    "VISIT SCHEDULE",
    "PROCEDURE",
    "OTHER",
)
#: VSTESTCD -> (unit, lowest, highest plausible value)
VITAL_SIGNS: dict[str, tuple[str, float, float]] = {
    "SYSBP": ("mmHg", 0.0, 300.0),
    "DIABP": ("mmHg", 0.0, 300.0),
    "PULSE": ("beats/min", 0.0, 300.0),
    "TEMP": ("C", 25.0, 45.0),
    "WEIGHT": ("kg", 10.0, 300.0),
}


@dataclass(frozen=True, slots=True)
class LabTest:
    """A CDISC LBTESTCD with its LBTEST name and the CTCAE v5.0 term that grades it."""

    code: str
    name: str
    ctcae_term: str | None


#: LBTESTCD (CDISC CT C65047) -> LBTEST and the CTCAE v5.0 term graded from it
LAB_TESTS: dict[str, LabTest] = {
    t.code: t
    for t in (
        LabTest("NEUT", "Neutrophils", "Neutrophil count decreased"),
        LabTest("PLAT", "Platelets", "Platelet count decreased"),
        LabTest("WBC", "Leukocytes", "White blood cell decreased"),
        LabTest("LYM", "Lymphocytes", "Lymphocyte count decreased"),
        LabTest("HGB", "Hemoglobin", "Anemia"),
        LabTest("ALT", "Alanine Aminotransferase", "Alanine aminotransferase increased"),
        LabTest("AST", "Aspartate Aminotransferase", "Aspartate aminotransferase increased"),
        LabTest("BILI", "Bilirubin", "Blood bilirubin increased"),
        LabTest("CREAT", "Creatinine", "Creatinine increased"),
        LabTest("K", "Potassium", "Hypokalemia"),
        LabTest("SODIUM", "Sodium", "Hyponatremia"),
        LabTest("MG", "Magnesium", "Hypomagnesemia"),
        LabTest("PROT", "Protein", "Proteinuria"),
        LabTest("ALB", "Albumin", None),
        LabTest("TSH", "Thyrotropin", None),
    )
}

#: fields the engines or the workflow set; a correction cannot write them (correct the source
#: through the form's service, which derives them again)
DERIVED_FIELDS: dict[str, frozenset[str]] = {
    "subject": frozenset({"status", "screen_fail_reason"}),
    "eligibility_result": frozenset({"criterion", "kind", "met", "reason"}),
    "enrolment": frozenset({"phase", "cohort", "regimen", "decision_rule"}),
    "body_measurement": frozenset({"bsa_m2", "bsa_formula"}),
    "vital_sign": frozenset({"ctcae_term", "grade", "grade_rule"}),
    "lab_result": frozenset({"test_name", "ctcae_term", "grade", "grade_rule", "grade_reason"}),
    "adverse_event": frozenset({"dlt", "dlt_rule"}),
    "drug_administration": frozenset(
        {"planned_level", "recommended_action", "recommended_dose", "action", "decision_rules"}
    ),
    "tumour_assessment": frozenset(
        {
            "computed_target",
            "computed_nontarget",
            "computed_new_lesion",
            "computed_response",
            "computed_rule",
            "sum_diameters_mm",
        }
    ),
}
