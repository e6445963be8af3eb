"""Tables, figures and the HTML/PDF clinical study report, from ADaM datasets only."""

from oncotrial.report._prepare import SimonDesign
from oncotrial.report._prepare import simon_table as compute_simon_table
from oncotrial.report.content import TranslationalInputs
from oncotrial.report.figures import (
    plot_consort,
    plot_kaplan_meier,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
)
from oncotrial.report.render import ADAM_DATASETS, read_adam, render_report
from oncotrial.report.tables import (
    ReportTable,
    compute_ae_table,
    compute_baseline_table,
    compute_bor_table,
    compute_lab_shift_table,
    compute_time_to_event_table,
    format_count,
)

__all__ = [
    "ADAM_DATASETS",
    "ReportTable",
    "SimonDesign",
    "TranslationalInputs",
    "compute_ae_table",
    "compute_baseline_table",
    "compute_bor_table",
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
