# Public names of oncotrial.report, loaded on first use (lazy_loader reads this stub;
# type checkers read it as the package's interface).
from ._prepare import SimonDesign as SimonDesign
from ._prepare import compute_simon_table as compute_simon_table
from .content import TranslationalInputs as TranslationalInputs
from .figures import (
    plot_consort as plot_consort,
)
from .figures import (
    plot_kaplan_meier as plot_kaplan_meier,
)
from .figures import (
    plot_spider as plot_spider,
)
from .figures import (
    plot_swimmer as plot_swimmer,
)
from .figures import (
    plot_waterfall as plot_waterfall,
)
from .render import (
    ADAM_DATASETS as ADAM_DATASETS,
)
from .render import (
    read_adam as read_adam,
)
from .render import (
    render_report as render_report,
)
from .tables import (
    ReportTable as ReportTable,
)
from .tables import (
    compute_ae_table as compute_ae_table,
)
from .tables import (
    compute_baseline_table as compute_baseline_table,
)
from .tables import (
    compute_bor_table as compute_bor_table,
)
from .tables import (
    compute_criteria_agreement_table as compute_criteria_agreement_table,
)
from .tables import (
    compute_criteria_orr_table as compute_criteria_orr_table,
)
from .tables import (
    compute_lab_shift_table as compute_lab_shift_table,
)
from .tables import (
    compute_time_to_event_table as compute_time_to_event_table,
)
from .tables import (
    format_count as format_count,
)

__all__ = [
    "ADAM_DATASETS",
    "ReportTable",
    "SimonDesign",
    "TranslationalInputs",
    "compute_ae_table",
    "compute_baseline_table",
    "compute_bor_table",
    "compute_criteria_agreement_table",
    "compute_criteria_orr_table",
    "compute_lab_shift_table",
    "compute_simon_table",
    "compute_time_to_event_table",
    "format_count",
    "plot_consort",
    "plot_kaplan_meier",
    "plot_spider",
    "plot_swimmer",
    "plot_waterfall",
    "read_adam",
    "render_report",
]
