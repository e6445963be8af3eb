"""oncotrial.stats: exact binomial inference, survival estimates and trial designs.

Pure numerics (numpy/scipy), no pandas and no database; every estimate returns a frozen
result object from :mod:`oncotrial.stats.results`.
"""

from oncotrial.stats.binomial import (
    BINOMIAL_METHODS,
    estimate_binomial_ci,
    estimate_binomial_ci_array,
    estimate_binomial_test,
)
from oncotrial.stats.cox import CoxResult, estimate_cox_ph
from oncotrial.stats.dose_finding import (
    BoinBoundaries,
    BoinDecision,
    BoinDecisionTable,
    BoinMtd,
    DoseFindingOC,
    compute_3plus3_oc,
    compute_boin_boundaries,
    compute_boin_decision_table,
    compute_boin_oc,
    decide_boin,
    estimate_boin_mtd,
)
from oncotrial.stats.results import (
    BinomialInterval,
    BinomialIntervalArray,
    BinomialTest,
    Interval,
    KaplanMeierResult,
    LogRankResult,
    SimonDesign,
    SimonInference,
    SimonInterimDecision,
    SimonOperatingCharacteristics,
    SimonSearch,
    SingleStageDesign,
)
from oncotrial.stats.simon import (
    compute_simon_oc,
    decide_simon_interim,
    design_simon_two_stage,
    design_single_stage,
    estimate_simon_inference,
)
from oncotrial.stats.survival import (
    CONF_TYPES,
    estimate_followup_median,
    estimate_kaplan_meier,
    estimate_km_quantile,
    estimate_log_rank,
)

__all__ = [
    "BINOMIAL_METHODS",
    "CONF_TYPES",
    "BinomialInterval",
    "BinomialIntervalArray",
    "BinomialTest",
    "BoinBoundaries",
    "BoinDecision",
    "BoinDecisionTable",
    "BoinMtd",
    "CoxResult",
    "DoseFindingOC",
    "Interval",
    "KaplanMeierResult",
    "LogRankResult",
    "SimonDesign",
    "SimonInference",
    "SimonInterimDecision",
    "SimonOperatingCharacteristics",
    "SimonSearch",
    "SingleStageDesign",
    "compute_3plus3_oc",
    "compute_boin_boundaries",
    "compute_boin_decision_table",
    "compute_boin_oc",
    "compute_simon_oc",
    "decide_boin",
    "decide_simon_interim",
    "design_simon_two_stage",
    "design_single_stage",
    "estimate_binomial_ci",
    "estimate_binomial_ci_array",
    "estimate_binomial_test",
    "estimate_boin_mtd",
    "estimate_cox_ph",
    "estimate_followup_median",
    "estimate_kaplan_meier",
    "estimate_km_quantile",
    "estimate_log_rank",
    "estimate_simon_inference",
]
