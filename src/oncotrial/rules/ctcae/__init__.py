"""CTCAE v5.0 grading of lab values, QTc, urine protein and blood pressure.

Public surface:

- :func:`grade_lab` — one lab/ECG/urine value with its unit and optional LLN, ULN, baseline.
- :func:`grade_hypertension` — one blood pressure reading (mm Hg).
- :func:`grade_lab_rows` — many rows of text (a CSV file), keeping each row's error.
- :class:`CtcaeGrade` — term, grade (``None`` = not determinable from the value), rule, reason.
- :func:`ctcae_terms`, :func:`load_ctcae_table` — the shipped, checked rule table.

The thresholds live in ``data/ctcae_v5.yaml`` (one band per term, scheme and grade with the
CTCAE wording and citation), are checked for gaps and overlaps when loaded, and are evaluated by
``oncotrial.rules.ctcae._eval``. Units are converted by :mod:`oncotrial.rules.units`.

References
----------
National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) v5.0,
27 November 2017.
"""

from __future__ import annotations

from oncotrial.rules.ctcae._grade import (
    CtcaeGrade,
    check_normal_range,
    ctcae_terms,
    ctcae_units,
    grade_hypertension,
    grade_lab,
    load_ctcae_table,
)
from oncotrial.rules.ctcae._rows import REQUIRED_COLUMNS, RESULT_COLUMNS, RowGrade, grade_lab_rows

__all__ = [
    "REQUIRED_COLUMNS",
    "RESULT_COLUMNS",
    "CtcaeGrade",
    "RowGrade",
    "check_normal_range",
    "ctcae_terms",
    "ctcae_units",
    "grade_hypertension",
    "grade_lab",
    "grade_lab_rows",
    "load_ctcae_table",
]
