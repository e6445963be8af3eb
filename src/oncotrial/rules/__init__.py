"""oncotrial.rules."""

from oncotrial.rules.ctcae import CtcaeGrade, ctcae_terms, grade_hypertension, grade_lab
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
    "CtcaeGrade",
    "RecistAssessment",
    "RecistSettings",
    "TimepointDecision",
    "classify_baseline_lesions",
    "classify_best_response",
    "classify_overall_response",
    "classify_timepoints",
    "ctcae_terms",
    "derive_recist_responses",
    "grade_hypertension",
    "grade_lab",
]
