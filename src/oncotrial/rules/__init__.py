"""oncotrial.rules."""

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
    "RecistAssessment",
    "RecistSettings",
    "TimepointDecision",
    "classify_baseline_lesions",
    "classify_best_response",
    "classify_overall_response",
    "classify_timepoints",
    "derive_recist_responses",
]
