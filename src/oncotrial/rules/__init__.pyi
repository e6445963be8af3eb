# Public names of oncotrial.rules, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .bsa import (
    BsaResult as BsaResult,
)
from .bsa import (
    DoseAmount as DoseAmount,
)
from .bsa import (
    compute_bsa as compute_bsa,
)
from .bsa import (
    compute_bsa_for_dosing as compute_bsa_for_dosing,
)
from .bsa import (
    compute_dose_mg as compute_dose_mg,
)
from .bsa import (
    decide_bsa_recalculation as decide_bsa_recalculation,
)
from .ctcae import (
    CtcaeGrade as CtcaeGrade,
)
from .ctcae import (
    ctcae_terms as ctcae_terms,
)
from .ctcae import (
    grade_hypertension as grade_hypertension,
)
from .ctcae import (
    grade_lab as grade_lab,
)
from .dlt import (
    CohortDecision as CohortDecision,
)
from .dlt import (
    DltAssessment as DltAssessment,
)
from .dlt import (
    DltEvent as DltEvent,
)
from .dlt import (
    DltEventResult as DltEventResult,
)
from .dlt import (
    Rp2dDecision as Rp2dDecision,
)
from .dlt import (
    classify_dlt as classify_dlt,
)
from .dlt import (
    decide_cohort as decide_cohort,
)
from .dlt import (
    decide_rp2d as decide_rp2d,
)
from .dosing import (
    AdverseEvent as AdverseEvent,
)
from .dosing import (
    DoseDecision as DoseDecision,
)
from .dosing import (
    DoseState as DoseState,
)
from .dosing import (
    DrugDecision as DrugDecision,
)
from .dosing import (
    DrugState as DrugState,
)
from .dosing import (
    FiredRule as FiredRule,
)
from .dosing import (
    LabValue as LabValue,
)
from .dosing import (
    Measurements as Measurements,
)
from .dosing import (
    decide_dose as decide_dose,
)
from .eligibility import (
    CriterionResult as CriterionResult,
)
from .eligibility import (
    EligibilityResult as EligibilityResult,
)
from .eligibility import (
    Measured as Measured,
)
from .eligibility import (
    Screening as Screening,
)
from .eligibility import (
    evaluate_eligibility as evaluate_eligibility,
)
from .recist import (
    RecistAssessment as RecistAssessment,
)
from .recist import (
    RecistSettings as RecistSettings,
)
from .recist import (
    TimepointDecision as TimepointDecision,
)
from .recist import (
    classify_baseline_lesions as classify_baseline_lesions,
)
from .recist import (
    classify_best_response as classify_best_response,
)
from .recist import (
    classify_overall_response as classify_overall_response,
)
from .recist import (
    classify_timepoints as classify_timepoints,
)
from .recist import (
    derive_recist_responses as derive_recist_responses,
)

__all__ = [
    "AdverseEvent",
    "BsaResult",
    "CohortDecision",
    "CriterionResult",
    "CtcaeGrade",
    "DltAssessment",
    "DltEvent",
    "DltEventResult",
    "DoseAmount",
    "DoseDecision",
    "DoseState",
    "DrugDecision",
    "DrugState",
    "EligibilityResult",
    "FiredRule",
    "LabValue",
    "Measured",
    "Measurements",
    "RecistAssessment",
    "RecistSettings",
    "Rp2dDecision",
    "Screening",
    "TimepointDecision",
    "classify_baseline_lesions",
    "classify_best_response",
    "classify_dlt",
    "classify_overall_response",
    "classify_timepoints",
    "compute_bsa",
    "compute_bsa_for_dosing",
    "compute_dose_mg",
    "ctcae_terms",
    "decide_bsa_recalculation",
    "decide_cohort",
    "decide_dose",
    "decide_rp2d",
    "derive_recist_responses",
    "evaluate_eligibility",
    "grade_hypertension",
    "grade_lab",
]
