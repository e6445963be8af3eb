"""oncotrial.translational: nCounter RCC/RLF I/O, QC, normalisation, immune scores, statistics.

Pipeline: :func:`read_rcc_batch` → :func:`grade_batch_qc` / :func:`derive_qc_table` →
:func:`derive_count_matrix` → :func:`derive_normalized_counts` → :func:`derive_marker_expression`
→ :func:`compute_scores` → :func:`estimate_paired_tests` (and the response / PFS tests).
"""

import lazy_loader

# Submodules load on first use of a name, so a command imports only what it runs.
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
