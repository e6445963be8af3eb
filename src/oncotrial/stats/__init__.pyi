# Public names of oncotrial.stats, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from ._dose_common import (
    DoseFindingOC as DoseFindingOC,
)
from .binomial import (
    BINOMIAL_METHODS as BINOMIAL_METHODS,
)
from .binomial import (
    estimate_binomial_ci as estimate_binomial_ci,
)
from .binomial import (
    estimate_binomial_ci_array as estimate_binomial_ci_array,
)
from .binomial import (
    estimate_binomial_test as estimate_binomial_test,
)
from .boin import (
    BoinBoundaries as BoinBoundaries,
)
from .boin import (
    BoinDecision as BoinDecision,
)
from .boin import (
    BoinDecisionTable as BoinDecisionTable,
)
from .boin import (
    BoinMtd as BoinMtd,
)
from .boin import (
    compute_boin_boundaries as compute_boin_boundaries,
)
from .boin import (
    compute_boin_decision_table as compute_boin_decision_table,
)
from .boin import (
    compute_boin_oc as compute_boin_oc,
)
from .boin import (
    decide_boin as decide_boin,
)
from .boin import (
    estimate_boin_mtd as estimate_boin_mtd,
)
from .cox import (
    CoxResult as CoxResult,
)
from .cox import (
    CoxTest as CoxTest,
)
from .cox import (
    estimate_cox_ph as estimate_cox_ph,
)
from .cox import (
    estimate_cox_ph_arrays as estimate_cox_ph_arrays,
)
from .results import (
    BinomialInterval as BinomialInterval,
)
from .results import (
    BinomialIntervalArray as BinomialIntervalArray,
)
from .results import (
    BinomialTest as BinomialTest,
)
from .results import (
    Interval as Interval,
)
from .results import (
    KaplanMeierResult as KaplanMeierResult,
)
from .results import (
    LogRankResult as LogRankResult,
)
from .results import (
    SimonDesign as SimonDesign,
)
from .results import (
    SimonInference as SimonInference,
)
from .results import (
    SimonInterimDecision as SimonInterimDecision,
)
from .results import (
    SimonOperatingCharacteristics as SimonOperatingCharacteristics,
)
from .results import (
    SimonSearch as SimonSearch,
)
from .results import (
    SingleStageDesign as SingleStageDesign,
)
from .simon import (
    compute_simon_oc as compute_simon_oc,
)
from .simon import (
    decide_simon_interim as decide_simon_interim,
)
from .simon import (
    design_simon_two_stage as design_simon_two_stage,
)
from .simon import (
    design_single_stage as design_single_stage,
)
from .simon import (
    estimate_simon_inference as estimate_simon_inference,
)
from .survival import (
    CONF_TYPES as CONF_TYPES,
)
from .survival import (
    estimate_followup_median as estimate_followup_median,
)
from .survival import (
    estimate_kaplan_meier as estimate_kaplan_meier,
)
from .survival import (
    estimate_km_quantile as estimate_km_quantile,
)
from .survival import (
    estimate_log_rank as estimate_log_rank,
)
from .three_plus_three import (
    compute_3plus3_oc as compute_3plus3_oc,
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
    "CoxTest",
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
    "estimate_cox_ph_arrays",
    "estimate_followup_median",
    "estimate_kaplan_meier",
    "estimate_km_quantile",
    "estimate_log_rank",
    "estimate_simon_inference",
]
