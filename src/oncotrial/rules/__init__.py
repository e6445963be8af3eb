"""oncotrial.rules."""

from oncotrial.rules.bsa import (
    BsaResult,
    DoseAmount,
    compute_bsa,
    compute_bsa_for_dosing,
    compute_dose_mg,
    decide_bsa_recalculation,
)
from oncotrial.rules.ctcae import CtcaeGrade, ctcae_terms, grade_hypertension, grade_lab
from oncotrial.rules.dosing import (
    AdverseEvent,
    DoseDecision,
    DoseState,
    DrugDecision,
    DrugState,
    FiredRule,
    LabValue,
    Measurements,
    decide_dose,
)
from oncotrial.rules.recist import (
    RecistAssessment,
    RecistSettings,
    TimepointDecision,
    classify_baseline_lesions,
    classify_best_response,
    classify_overall_response,
    classify_timepoints,
    derive_recist_responses,
)

__all__: list[str] = [
    "AdverseEvent",
    "BsaResult",
    "CtcaeGrade",
    "DoseAmount",
    "DoseDecision",
    "DoseState",
    "DrugDecision",
    "DrugState",
    "FiredRule",
    "LabValue",
    "Measurements",
    "RecistAssessment",
    "RecistSettings",
    "TimepointDecision",
    "classify_baseline_lesions",
    "classify_best_response",
    "classify_overall_response",
    "classify_timepoints",
    "compute_bsa",
    "compute_bsa_for_dosing",
    "compute_dose_mg",
    "ctcae_terms",
    "decide_bsa_recalculation",
    "decide_dose",
    "derive_recist_responses",
    "grade_hypertension",
    "grade_lab",
]
