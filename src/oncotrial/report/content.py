"""Assemble the report's sections (tables and figures) from ADaM datasets.

Only ADaM datasets and statistics results are read here, never the database, so the same report
comes out of our own store and out of external SDTM. A dataset that is absent leaves its
section with a note saying which dataset is missing, never with made-up numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial

import pandas as pd
from matplotlib.figure import Figure

from oncotrial.protocol import Protocol
from oncotrial.report import _prepare as prep
from oncotrial.report._style import figure_style
from oncotrial.report._tlf import Numbering, place
from oncotrial.report.figures import (
    plot_consort,
    plot_density_waterfall,
    plot_kaplan_meier,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
)
from oncotrial.report.irecist_tables import compute_irecist_tables
from oncotrial.report.tables import (
    ReportTable,
    compute_ae_table,
    compute_baseline_table,
    compute_bor_table,
    compute_criteria_agreement_table,
    compute_criteria_orr_table,
    compute_lab_shift_table,
    compute_time_to_event_table,
    compute_time_to_response_table,
)
from oncotrial.translational import (
    derive_paired_values,
    estimate_paired_tests,
    plot_paired_lines,
)

__all__ = ["ReportFigure", "ReportSection", "TranslationalInputs", "build_sections"]


@dataclass(frozen=True)
class TranslationalInputs:
    """Immune scores per sample (rows = files) and the sample sheet mapping files to subject,
    timepoint (pre/post) and response, as ``oncotrial nanostring score`` writes and reads."""

    scores: pd.DataFrame
    samples: pd.DataFrame


@dataclass(frozen=True)
class ReportFigure:
    """One figure with its caption; ``figure`` is a matplotlib Figure not attached to pyplot."""

    key: str
    title: str
    caption: str
    population: str
    figure: Figure
    number: str = ""  # "Figure 14.2.1", given when the report numbers its outputs
    sources: tuple[str, ...] = ()  # ADaM datasets it is computed from


@dataclass
class ReportSection:
    """A titled part of the report."""

    key: str
    title: str
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _figure(draw: Callable[[Figure], object], size: tuple[float, float]) -> Figure:
    with figure_style():
        figure = Figure(figsize=size, layout="constrained")
        draw(figure)
    return figure


def _titled(section: ReportSection, figure: ReportFigure) -> None:
    """Add *figure* to *section*, titled inside the image so it stands alone when reused."""
    with figure_style():
        figure.figure.suptitle(figure.title, fontsize=10, weight="bold")
    section.figures.append(figure)


def _need(adam: Mapping[str, pd.DataFrame], section: ReportSection, *names: str) -> bool:
    missing = [n for n in names if n not in adam]
    if missing:
        section.notes.append(f"Not available: dataset {', '.join(missing)} was not provided.")
    return not missing


def build_sections(
    adam: Mapping[str, pd.DataFrame],
    *,
    design: prep.SimonDesign | None = None,
    translational: TranslationalInputs | None = None,
    protocol: Protocol | None = None,
) -> list[ReportSection]:
    """Build every section of the report from the ADaM datasets in *adam* (keys ``ADSL`` …);
    with the *protocol*, the phase Ib section also shows its dose-finding decisions.

    Parameters
    ----------
    adam
        ADaM datasets by name (``ADSL``, ``ADRS``, ``ADTTE``, ``ADAE``, ``ADEX``, …); a missing
        dataset leaves its tables out or says so in the section.
    design
        The Simon two-stage design, for the efficacy decision; ``None`` leaves it out.
    translational
        NanoString immune scores and their sample sheet; ``None`` leaves that section out.
    protocol
        The trial protocol, for the phase Ib dose-finding decisions.

    Returns
    -------
    list[ReportSection]
        Disposition, baseline, efficacy, phase Ib (when ADSL has dose-finding subjects, or no
        ADSL), safety, exposure and translational sections, in order, every table and figure
        numbered as in ICH E3 section 14 with its source datasets.
    """
    sections = [_disposition(adam), _baseline(adam), _efficacy(adam, design)]
    if "ADSL" not in adam or prep.has_dose_finding(adam["ADSL"]):
        sections.append(_phase_ib(adam, protocol))
    sections += [_safety(adam), _exposure(adam)]
    if translational is not None:
        sections.append(_translational(translational))
    return _numbered(sections)


def _numbered(sections: list[ReportSection]) -> list[ReportSection]:
    """Give every table, listing and figure its ICH E3 section 14 number and its source
    datasets (:mod:`oncotrial.report._tlf`), in the order the report shows them."""
    numbering = Numbering()
    for section in sections:
        tables = []
        for table in section.tables:
            where = place(table.key, figure=False)
            tables.append(replace(table, number=f"{where.kind} {numbering.number(where)}",
                                  sources=where.sources))
        figures = []
        for item in section.figures:
            where = place(item.key, figure=True)
            figures.append(replace(item, number=f"Figure {numbering.number(where)}",
                                   sources=where.sources))
        section.tables, section.figures = tables, figures
    return sections


def _disposition(adam: Mapping[str, pd.DataFrame]) -> ReportSection:
    section = ReportSection("disposition", "Disposition")
    if not _need(adam, section, "ADSL"):
        return section
    disposition = prep.derive_disposition(adam["ADSL"])
    section.tables.append(prep.disposition_table(disposition))
    stages = prep.consort_stages(disposition)
    branches = prep.consort_branches(disposition)
    height = 1.3 * (len(stages) + 2) + 0.2 * max(len(b[2]) for b in branches)
    _titled(section, ReportFigure(
        "consort", "Subject flow",
        "CONSORT-style flow of subjects: exclusions before treatment on the side arrows; "
        "below, treated subjects by treatment status and discontinuation reason, and the "
        "analysis sets.", f"all screened subjects (N = {disposition.screened})",
        _figure(partial(_draw_consort, stages=stages, branches=branches,
                        analysed=disposition.analysed), (7.0, height)),
    ))
    return section


def _draw_consort(figure: Figure, *, stages: list[prep.Stage], branches: list[prep.Stage],
                  analysed: list[tuple[str, int]]) -> None:
    plot_consort(stages, ax=figure.add_subplot(), branches=branches, analysed=analysed)


def _baseline(adam: Mapping[str, pd.DataFrame]) -> ReportSection:
    section = ReportSection("baseline", "Baseline characteristics")
    if _need(adam, section, "ADSL"):
        section.tables.append(compute_baseline_table(adam["ADSL"]))
    return section


def _phase_ib(adam: Mapping[str, pd.DataFrame], protocol: Protocol | None) -> ReportSection:
    section = ReportSection("phase-ib", "Phase Ib: dose-limiting toxicities and RP2D")
    if not _need(adam, section, "ADSL", "ADAE"):
        return section
    section.tables.extend(prep.dlt_tables(adam["ADSL"], adam["ADAE"]))
    if protocol is None:
        section.notes.append("The dose-finding decisions need the protocol's cohort rules; "
                             "none was given.")
    elif _need(adam, section, "ADEX"):
        table = prep.rp2d_table(adam["ADSL"], adam["ADAE"], adam["ADEX"], protocol)
        if table.rows.empty:
            section.notes.append("No phase Ib subject (ADSL PHASE = Ib) at any of the "
                                 "protocol's regimens: no dose-finding decision to show.")
        else:
            section.tables.append(table)
    return section


def _exposure(adam: Mapping[str, pd.DataFrame]) -> ReportSection:
    section = ReportSection("exposure", "Exposure and dose intensity")
    if _need(adam, section, "ADEX", "ADSL"):
        section.tables.extend(prep.exposure_tables(adam["ADEX"], adam["ADSL"]))
    return section


# Standard safety displays (ICH E3 §12.2 and §12.3): AEs selected by an ADAE variable.
_AE_SUBSETS = (
    ("ae_serious", "AESER", "Y", "Serious treatment-emergent adverse events"),
    ("ae_reduced", "AEACN", "DOSE REDUCED", "Adverse events leading to dose reduction"),
    ("ae_interrupted", "AEACN", "DRUG INTERRUPTED",
     "Adverse events leading to dose interruption"),
    ("ae_withdrawn", "AEACN", "DRUG WITHDRAWN",
     "Adverse events leading to discontinuation of a drug"),
)


def _safety(adam: Mapping[str, pd.DataFrame]) -> ReportSection:
    section = ReportSection("safety", "Safety")
    if not _need(adam, section, "ADSL", "ADAE"):
        return section
    adsl, adae = adam["ADSL"], adam["ADAE"]
    section.tables.append(compute_ae_table(adae, adsl))
    for column, drug in prep.relatedness_columns(adae):
        section.tables.append(compute_ae_table(
            adae, adsl, related_to=column,
            title=f"Treatment-related adverse events ({drug}) by system organ class, CTCAE term "
                  "and worst grade"))
    for key, column, value, what in _AE_SUBSETS:
        section.tables.append(compute_ae_table(
            adae, adsl, subset=(column, value), key=key,
            title=f"{what} by system organ class, CTCAE term and worst grade"))
    section.tables.extend(prep.serious_and_fatal_tables(adae, adsl))
    section.tables.append(prep.deaths_listing(adsl, adae))
    if "ADLB" in adam:
        population = prep.population_label(adsl, "SAFFL")
        for param in prep.graded_lab_params(adam["ADLB"]):
            section.tables.append(compute_lab_shift_table(adam["ADLB"], param=param,
                                                          population=population))
    else:
        section.notes.append("Not available: dataset ADLB was not provided (no lab shift tables).")
    return section


def _efficacy(adam: Mapping[str, pd.DataFrame], design: prep.SimonDesign | None) -> ReportSection:
    section = ReportSection("efficacy", "Efficacy")
    if not _need(adam, section, "ADSL", "ADRS"):
        return section
    adsl, adrs = adam["ADSL"], adam["ADRS"]
    efficacy_population = prep.population_label(adsl, "EFFFL")
    section.tables.append(compute_bor_table(adrs, adsl, paramcd="CBOR"))
    section.tables.append(compute_bor_table(adrs, adsl, paramcd="BOR"))
    criteria = compute_criteria_orr_table(adrs, adsl)
    if criteria is not None:
        section.tables.append(criteria)
    agreement = compute_criteria_agreement_table(adrs, adsl)
    if agreement is not None:
        section.tables.append(agreement)
    section.tables.extend(compute_irecist_tables(adam))  # iRECIST, when derived
    section.tables.extend(_by_arm(adam))
    if design is not None:
        section.tables.append(prep.compute_simon_table(adrs, adsl, design))
    section.tables.extend(prep.by_histology_tables(adrs, adsl))
    if "ADTR" in adam:
        best = prep.best_change(adam["ADTR"], adrs)
        _titled(section, ReportFigure(
            "waterfall", "Waterfall plot",
            "Best percentage change from baseline in the sum of target-lesion diameters, "
            "coloured by confirmed best overall response; dashed line +20 %, dotted line −30 %.",
            efficacy_population,
            _figure(lambda f: plot_waterfall(best, ax=f.add_subplot()), (7.0, 3.6)),
        ))
        _size_and_density_waterfall(adam["ADTR"], adrs, section, efficacy_population)
        course = prep.change_over_time(adam["ADTR"], adrs)
        _titled(section, ReportFigure(
            "spider", "Spider plot",
            "Percentage change from baseline in the sum of target-lesion diameters over time.",
            efficacy_population,
            _figure(lambda f: plot_spider(course, ax=f.add_subplot()), (7.0, 3.6)),
        ))
    else:
        section.notes.append("Not available: dataset ADTR was not provided (no waterfall or "
                             "spider plot).")
    swim = prep.swimmer_data(adsl, adrs)
    _titled(section, ReportFigure(
        "swimmer", "Swimmer plot",
        "Time on treatment per subject with first response, progression and death.",
        prep.population_label(adsl, "SAFFL"),
        _figure(lambda f: plot_swimmer(swim, ax=f.add_subplot()),
                (7.0, max(2.5, 0.16 * len(swim) + 1.2))),
    ))
    if _need(adam, section, "ADTTE"):
        _time_to_event(adam["ADTTE"], section, prep.population_label(adsl, "SAFFL"))
        _time_to_response(adam, section)
    return section


def _time_to_response(adam: Mapping[str, pd.DataFrame], section: ReportSection) -> None:
    """Time to confirmed response by RECIST 1.1 and by Choi, from ADTTE TTR/CHOITTR."""
    table = compute_time_to_response_table(adam["ADTTE"], adam["ADRS"], adam["ADSL"])
    if table is not None:
        section.tables.append(table)


def _size_and_density_waterfall(adtr: pd.DataFrame, adrs: pd.DataFrame,
                                section: ReportSection, population: str) -> None:
    """Waterfall by size (RECIST 1.1) above the waterfall by CT density (Choi), or a note
    saying why there is none."""
    density = prep.best_density_change(adtr, adrs)
    drawn = density["PCHG"].notna()
    if not drawn.any():
        section.notes.append(
            "Waterfall by density not drawn: ADTR has no post-baseline mean target-lesion "
            "density (PARAMCD DENSITY). It is derived with the Choi criteria (oncotrial derive "
            "--criteria recist,choi --supporting) from TR that records each target lesion's "
            "density (TRTESTCD ATTEN, HU).")
        return
    size = prep.best_change(adtr, adrs)
    _titled(section, ReportFigure(
        "waterfall-density", "Waterfall plot by size and by density",
        "Best percentage change from baseline in the sum of target-lesion diameters (top; "
        "coloured by confirmed best overall response by RECIST 1.1; dashed line +20 %, dotted "
        "line −30 %) and in the mean CT density of the target lesions in HU (bottom; coloured "
        "by confirmed best overall response by Choi; dash-dot line −15 %, the Choi density "
        "criterion for PR, Choi et al., J Clin Oncol 2007;25:1753). "
        f"Density panel: {int(drawn.sum())} subjects with a post-baseline density.",
        population,
        _figure(partial(_draw_size_and_density, size=size, density=density), (7.0, 6.4)),
    ))


def _draw_size_and_density(figure: Figure, *, size: pd.DataFrame,
                           density: pd.DataFrame) -> None:
    top, bottom = figure.subplots(2, 1)
    plot_density_waterfall(size, density, size_ax=top, density_ax=bottom)


def _by_arm(adam: Mapping[str, pd.DataFrame]) -> list[ReportTable]:
    """For a study of several arms, confirmed best response and time to event per planned arm
    (TRT01P, else ARM): pooling arms of a randomised study would mean nothing."""
    adsl = adam["ADSL"]
    arm = prep.arm_column(adsl)
    if arm is None:
        return []
    tables: list[ReportTable] = []
    arms = adsl[arm].astype(str)
    treated = set(arms[adsl["SAFFL"].astype(str) == "Y"]) if "SAFFL" in adsl else set(arms)
    for name in sorted(treated):  # screen failures are in no treatment arm
        subjects = adsl[arms == name]
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "blank"
        bor = compute_bor_table(adam["ADRS"], subjects, paramcd="CBOR")
        tables.append(replace(bor, key=f"{bor.key}_{slug}", title=f"{bor.title}: {name}"))
        if "ADTTE" in adam:
            adtte = adam["ADTTE"][adam["ADTTE"]["USUBJID"].isin(set(subjects["USUBJID"]))]
            tte = compute_time_to_event_table(
                adtte, population=f"{arm} = {name}: {prep.population_label(subjects, 'SAFFL')}")
            tables.append(replace(tte, key=f"{tte.key}_{slug}", title=f"{tte.title}: {name}"))
    return tables


def _time_to_event(adtte: pd.DataFrame, section: ReportSection, population: str) -> None:
    section.tables.append(compute_time_to_event_table(adtte, population=population))
    for paramcd, label in (("PFS", "Progression-free survival"), ("OS", "Overall survival"),
                           ("DOR", "Duration of response")):
        data = adtte[adtte["PARAMCD"] == paramcd]
        if data.empty:
            section.notes.append(f"No {label.lower()} records in ADTTE.")
            continue
        responders = paramcd == "DOR"  # DOR runs from the first response, in responders
        origin = prep.time_origin(data)
        _titled(section, ReportFigure(
            f"km-{paramcd.lower()}", f"Kaplan-Meier curve: {label}",
            "Censored observations are marked with ticks; the band is the 95 % log-log "
            "confidence interval.",
            f"confirmed responders (N = {data['USUBJID'].nunique()})" if responders
            else population,
            _figure(partial(_draw_km, data=data, ylabel=f"{label} probability",
                            xlabel=f"Time since {origin} (months)"), (7.0, 4.4)),
        ))


def _draw_km(figure: Figure, *, data: pd.DataFrame, ylabel: str, xlabel: str) -> None:
    plot_kaplan_meier(data, ax=figure.add_subplot(), ylabel=ylabel, xlabel=xlabel)


def _translational(inputs: TranslationalInputs) -> ReportSection:
    """Paired pre/post immune cell-type scores: Wilcoxon signed-rank (primary), paired t,
    Benjamini-Hochberg q-values across the score family, and paired-line plots of the
    features with the smallest p-values."""
    section = ReportSection("translational", "Translational: immune cell-type scores")
    tests = estimate_paired_tests(inputs.scores, samples=inputs.samples,
                                  family="cell types + TIS")
    table = tests.table.sort_values("wilcoxon_p", kind="mergesort")
    shown = table[["feature", "n_pairs", "median_delta", "hl_lower", "hl_upper", "wilcoxon_p",
                   "wilcoxon_q", "t_p"]].copy()
    for column in ("median_delta", "hl_lower", "hl_upper"):
        shown[column] = shown[column].map(lambda v: f"{v:.2f}")
    for column in ("wilcoxon_p", "wilcoxon_q", "t_p"):
        shown[column] = shown[column].map(lambda v: f"{v:.4f}")
    section.tables.append(ReportTable(
        "translational_paired", "Paired pre/post change in immune scores (log2)",
        f"patients with paired biopsies (N = {int(table['n_pairs'].max()) if len(table) else 0})",
        shown.rename(columns={"feature": "Score", "n_pairs": "Pairs",
                              "median_delta": "Median change", "hl_lower": "HL 95% lower",
                              "hl_upper": "HL 95% upper", "wilcoxon_p": "Wilcoxon p",
                              "wilcoxon_q": "BH q", "t_p": "Paired t p"}),
        (f"{tests.method}; q-values over the family '{tests.family}'.",),
    ))
    paired = derive_paired_values(inputs.scores, samples=inputs.samples)
    features = list(table["feature"].head(8))
    if features:
        _titled(section, ReportFigure(
            "paired-scores", "Paired immune scores before and after treatment",
            "Each line is one patient (pre → post), for the scores with the smallest "
            "Wilcoxon p-values.", "patients with paired biopsies",
            _figure(partial(_draw_paired, paired=paired, table=table, features=features),
                    (8.0, 2.2 * ((len(features) + 3) // 4) + 0.6)),
        ))
    return section


def _draw_paired(figure: Figure, *, paired: pd.DataFrame, table: pd.DataFrame,
                 features: list[str]) -> None:
    rows = (len(features) + 3) // 4
    p_values = dict(zip(table["feature"], table["wilcoxon_p"].astype(float), strict=True))
    q_values = dict(zip(table["feature"], table["wilcoxon_q"].astype(float), strict=True))
    for index, feature in enumerate(features, start=1):
        plot_paired_lines(paired, feature=feature, ax=figure.add_subplot(rows, 4, index),
                          p_value=p_values[feature], q_value=q_values[feature])
