# Public names of oncotrial.translational, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from .figures import (
    plot_paired_lines as plot_paired_lines,
)
from .figures import (
    plot_pca as plot_pca,
)
from .figures import (
    plot_qc_panel as plot_qc_panel,
)
from .figures import (
    plot_score_heatmap as plot_score_heatmap,
)
from .figures import (
    plot_volcano as plot_volcano,
)
from .normalize import (
    HK_FACTOR_RANGE as HK_FACTOR_RANGE,
)
from .normalize import (
    POS_FACTOR_RANGE as POS_FACTOR_RANGE,
)
from .normalize import (
    GenormResult as GenormResult,
)
from .normalize import (
    Normalization as Normalization,
)
from .normalize import (
    NormalizationSettings as NormalizationSettings,
)
from .normalize import (
    derive_normalized_counts as derive_normalized_counts,
)
from .normalize import (
    estimate_genorm as estimate_genorm,
)
from .pca import (
    PcaResult as PcaResult,
)
from .pca import (
    estimate_pca as estimate_pca,
)
from .pipeline import (
    BatchRun as BatchRun,
)
from .pipeline import (
    derive_batch_run as derive_batch_run,
)
from .pipeline import (
    derive_codeset_batch as derive_codeset_batch,
)
from .qc import (
    QC_RULES as QC_RULES,
)
from .qc import (
    LaneQc as LaneQc,
)
from .qc import (
    QcFlag as QcFlag,
)
from .qc import (
    QcRule as QcRule,
)
from .qc import (
    QcThresholds as QcThresholds,
)
from .qc import (
    classify_scanner as classify_scanner,
)
from .qc import (
    compute_lane_metrics as compute_lane_metrics,
)
from .qc import (
    derive_qc_table as derive_qc_table,
)
from .qc import (
    grade_batch_qc as grade_batch_qc,
)
from .qc import (
    grade_lane_qc as grade_lane_qc,
)
from .rcc import (
    POSITIVE_CONCENTRATION_FM as POSITIVE_CONCENTRATION_FM,
)
from .rcc import (
    Rcc as Rcc,
)
from .rcc import (
    RccBatch as RccBatch,
)
from .rcc import (
    compute_positive_concentration as compute_positive_concentration,
)
from .rcc import (
    derive_count_matrix as derive_count_matrix,
)
from .rcc import (
    read_count_table as read_count_table,
)
from .rcc import (
    read_rcc as read_rcc,
)
from .rcc import (
    read_rcc_batch as read_rcc_batch,
)
from .rcc import (
    read_rcc_collector_csv as read_rcc_collector_csv,
)
from .rcc import (
    read_rcc_text as read_rcc_text,
)
from .rcc import (
    validate_gene_expression as validate_gene_expression,
)
from .rcc import (
    validate_same_codeset as validate_same_codeset,
)
from .rlf import (
    Rlf as Rlf,
)
from .rlf import (
    read_rlf as read_rlf,
)
from .ruv import (
    RuvResult as RuvResult,
)
from .ruv import (
    derive_ruvg_normalized as derive_ruvg_normalized,
)
from .scores import (
    CD4_SCORE as CD4_SCORE,
)
from .scores import (
    DC_GENES as DC_GENES,
)
from .scores import (
    TIS_SCORE as TIS_SCORE,
)
from .scores import (
    ScoreResult as ScoreResult,
)
from .scores import (
    compute_scores as compute_scores,
)
from .scores import (
    derive_marker_expression as derive_marker_expression,
)
from .scores import (
    read_danaher_markers as read_danaher_markers,
)
from .scores import (
    read_probe_aliases as read_probe_aliases,
)
from .scores import (
    read_tis_signature as read_tis_signature,
)
from .stats import (
    TestTable as TestTable,
)
from .stats import (
    compute_benjamini_hochberg as compute_benjamini_hochberg,
)
from .stats import (
    compute_hodges_lehmann as compute_hodges_lehmann,
)
from .stats import (
    compute_hodges_lehmann_ci as compute_hodges_lehmann_ci,
)
from .stats import (
    compute_signed_rank_critical_value as compute_signed_rank_critical_value,
)
from .stats import (
    derive_paired_values as derive_paired_values,
)
from .stats import (
    estimate_paired_tests as estimate_paired_tests,
)
from .stats import (
    estimate_pfs_association as estimate_pfs_association,
)
from .stats import (
    estimate_response_association as estimate_response_association,
)
from .stats import (
    validate_sample_sheet as validate_sample_sheet,
)
from .tils import (
    TilAssessment as TilAssessment,
)
from .tils import (
    validate_til_assessment as validate_til_assessment,
)

__all__ = [
    "CD4_SCORE",
    "DC_GENES",
    "HK_FACTOR_RANGE",
    "POSITIVE_CONCENTRATION_FM",
    "POS_FACTOR_RANGE",
    "QC_RULES",
    "TIS_SCORE",
    "BatchRun",
    "GenormResult",
    "LaneQc",
    "Normalization",
    "NormalizationSettings",
    "PcaResult",
    "QcFlag",
    "QcRule",
    "QcThresholds",
    "Rcc",
    "RccBatch",
    "Rlf",
    "RuvResult",
    "ScoreResult",
    "TestTable",
    "TilAssessment",
    "classify_scanner",
    "compute_benjamini_hochberg",
    "compute_hodges_lehmann",
    "compute_hodges_lehmann_ci",
    "compute_lane_metrics",
    "compute_positive_concentration",
    "compute_scores",
    "compute_signed_rank_critical_value",
    "derive_batch_run",
    "derive_codeset_batch",
    "derive_count_matrix",
    "derive_marker_expression",
    "derive_normalized_counts",
    "derive_paired_values",
    "derive_qc_table",
    "derive_ruvg_normalized",
    "estimate_genorm",
    "estimate_paired_tests",
    "estimate_pca",
    "estimate_pfs_association",
    "estimate_response_association",
    "grade_batch_qc",
    "grade_lane_qc",
    "plot_paired_lines",
    "plot_pca",
    "plot_qc_panel",
    "plot_score_heatmap",
    "plot_volcano",
    "read_count_table",
    "read_danaher_markers",
    "read_probe_aliases",
    "read_rcc",
    "read_rcc_batch",
    "read_rcc_collector_csv",
    "read_rcc_text",
    "read_rlf",
    "read_tis_signature",
    "validate_gene_expression",
    "validate_same_codeset",
    "validate_sample_sheet",
    "validate_til_assessment",
]
