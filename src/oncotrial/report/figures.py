"""Report figures. Each ``plot_*`` takes a dataset first and returns the Axes it drew on.

Figures follow the conventions of oncology publications: waterfall of best percentage change in
the sum of target-lesion diameters with the RECIST 1.1 PR (−30 %) and PD (+20 %) lines, the
same by size and by CT density with the Choi density line (−15 %), spider
plot of change over time, swimmer plot of time on treatment, Kaplan-Meier curves with censoring
ticks, a confidence band and a number-at-risk table, and a CONSORT-style flow diagram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from oncotrial.report._style import PALETTE, RESPONSE_COLOURS
from oncotrial.stats import estimate_kaplan_meier

__all__ = [
    "DAYS_PER_MONTH",
    "plot_consort",
    "plot_density_waterfall",
    "plot_kaplan_meier",
    "plot_spider",
    "plot_swimmer",
    "plot_waterfall",
]

DAYS_PER_MONTH = 365.25 / 12  # months as oncology reports use them (30.4375 days)
PR_LINE = -30.0  # RECIST 1.1 §4.3.1: PR is at least a 30 % decrease from baseline
PD_LINE = 20.0  # RECIST 1.1 §4.3.1: PD is at least a 20 % increase from the nadir
# Choi et al., J Clin Oncol 2007;25:1753, Table: PR includes a decrease in tumour density
# (HU) of at least 15 % (oncotrial.rules.choi.DENSITY_DECREASE_FRACTION).
CHOI_DENSITY_LINE = -15.0
# Threshold lines of a waterfall panel: (level %, line style, legend text).
_Lines = tuple[tuple[float, Literal["--", ":", "-."], str], ...]


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size)
    return figure.add_subplot()


def _response_legend(ax: Axes, categories: Sequence[str]) -> None:
    handles = [
        Patch(facecolor=RESPONSE_COLOURS.get(c, "#999999"), label=c)
        for c in RESPONSE_COLOURS
        if c in set(categories)
    ]
    if handles:
        ax.legend(handles=handles, title="Best overall response", frameon=False,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plot_waterfall(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    value: str = "PCHG",
    response: str = "BOR",
    subject: str = "USUBJID",
) -> Axes:
    """Draw one bar per subject: best percentage change in the sum of diameters, by BOR.

    Parameters
    ----------
    data
        One row per subject with *value* (best % change from baseline, RECIST 1.1 sum of
        diameters) and *response* (best overall response). Subjects without a post-baseline
        measurement are left out of the plot, as publications do; the caption says how many.
    ax
        The axes to draw on; ``None`` makes a new 7 × 3.6 inch figure (not attached to
        pyplot).
    value, response, subject
        Column names of the % change, the best overall response (bar colour) and the subject
        label on the x axis.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: bars sorted from the largest increase to the largest decrease, the
        RECIST 1.1 lines at +20 % (progression) and −30 % (partial response), and a legend of
        the responses shown.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"USUBJID": ["01", "02", "03"], "PCHG": [25.0, -40.0, None],
    ...                      "BOR": ["PD", "PR", "NE"]})
    >>> ax = plot_waterfall(data)
    >>> [t.get_text() for t in ax.get_xticklabels()], [float(b.get_height()) for b in ax.patches]
    (['01', '02'], [25.0, -40.0])
    """
    ax = _new_axes(ax, (7.0, 3.6))
    rows = data.dropna(subset=[value]).sort_values(value, ascending=False, kind="mergesort")
    positions = np.arange(len(rows))
    colours = [RESPONSE_COLOURS.get(str(r), "#999999") for r in rows[response]]
    ax.bar(positions, rows[value].to_numpy(dtype=float), color=colours, width=0.8)
    ax.axhline(PD_LINE, color="#555555", linestyle="--", linewidth=0.8)
    ax.axhline(PR_LINE, color="#555555", linestyle=":", linewidth=0.8)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(positions, [str(s) for s in rows[subject]], rotation=90, fontsize=6)
    ax.set_xlabel("Subject")
    ax.set_ylabel("Best change in sum of diameters (%)")
    ax.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    _response_legend(ax, [str(r) for r in rows[response]])
    return ax


def plot_density_waterfall(
    size: pd.DataFrame,
    density: pd.DataFrame,
    *,
    size_ax: Axes,
    density_ax: Axes,
    value: str = "PCHG",
    response: str = "BOR",
    subject: str = "USUBJID",
) -> tuple[Axes, Axes]:
    """Draw the waterfall by size (RECIST 1.1 lines, bars by the RECIST 1.1 best response) on
    *size_ax* and by density (Choi −15 % line, bars by the Choi best response) on *density_ax*.

    *size* has one row per subject with the best % change in the sum of target-lesion
    diameters; *density* one row per subject with the best (lowest) % change in the mean
    target-lesion density (HU); each has its own *response*. Subjects without a post-baseline
    value are left out of that panel; each panel is sorted on its own values.

    Parameters
    ----------
    size, density
        The two tables described above.
    size_ax, density_ax
        The axes of the two panels.
    value, response, subject
        Column names (in both tables) of the % change, the best response and the subject label.

    Returns
    -------
    tuple[matplotlib.axes.Axes, matplotlib.axes.Axes]
        *size_ax* and *density_ax*, drawn on: bars, reference lines (RECIST +20 % and −30 %;
        Choi −15 % density, Choi et al. J Clin Oncol 2007) and legends.
    """
    panels: tuple[tuple[Axes, pd.DataFrame, str, _Lines, str], ...] = (
        (size_ax, size, "Best change in sum of diameters (%)",
         ((PD_LINE, "--", "RECIST PD +20 %"), (PR_LINE, ":", "RECIST PR −30 %")),
         "Best response (RECIST 1.1)"),
        (density_ax, density, "Best change in mean density (%)",
         ((CHOI_DENSITY_LINE, "-.", "Choi density PR −15 %"),), "Best response (Choi)"),
    )
    for ax, data, label, lines, legend in panels:
        rows = data.dropna(subset=[value]).sort_values(value, ascending=False,
                                                       kind="mergesort")
        positions = np.arange(len(rows))
        colours = [RESPONSE_COLOURS.get(str(r), "#999999") for r in rows[response]]
        ax.bar(positions, rows[value].to_numpy(dtype=float), color=colours, width=0.8)
        handles: list[Line2D | Patch] = []
        for level, style, text in lines:
            ax.axhline(level, color="#555555", linestyle=style, linewidth=0.8)
            handles.append(Line2D([], [], color="#555555", linestyle=style, linewidth=0.8,
                                  label=text))
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xticks(positions, [str(s) for s in rows[subject]], rotation=90, fontsize=6)
        ax.set_xlabel("Subject")
        ax.set_ylabel(label)
        ax.set_xlim(-0.6, max(len(rows), 1) - 0.4)
        shown = set(rows[response].astype(str))
        handles += [Patch(facecolor=RESPONSE_COLOURS[c], label=c) for c in RESPONSE_COLOURS
                    if c in shown]
        ax.legend(handles=handles, title=legend, frameon=False, loc="upper left",
                  bbox_to_anchor=(1.0, 1.0))
    return size_ax, density_ax


def plot_spider(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    subject: str = "USUBJID",
    day: str = "ADY",
    value: str = "PCHG",
    response: str = "BOR",
) -> Axes:
    """Draw percentage change in the sum of diameters over time, one line per subject.

    *data* has one row per subject and assessment (baseline included with change 0) with the
    study day *day*, the change *value* in % and the subject's best overall *response*.

    Parameters
    ----------
    data
        One row per subject and assessment.
    ax
        Axes to draw on; default a new matplotlib Figure's Axes.
    subject
        Subject column.
    day
        Study-day column (drawn in months).
    value
        Percentage-change column.
    response
        Best-overall-response column that colours each subject's line.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, with the +20 % and −30 % RECIST lines.
    """
    ax = _new_axes(ax, (7.0, 3.6))
    for _, rows in data.sort_values([subject, day]).groupby(subject, sort=True):
        colour = RESPONSE_COLOURS.get(str(rows[response].iloc[0]), "#999999")
        months = rows[day].to_numpy(dtype=float) / DAYS_PER_MONTH
        ax.plot(months, rows[value].to_numpy(dtype=float), color=colour, linewidth=1.0,
                marker="o", markersize=2.5)
    ax.axhline(PD_LINE, color="#555555", linestyle="--", linewidth=0.8)
    ax.axhline(PR_LINE, color="#555555", linestyle=":", linewidth=0.8)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xlabel("Time since start of treatment (months)")
    ax.set_ylabel("Change in sum of diameters (%)")
    _response_legend(ax, [str(r) for r in data[response].unique()])
    return ax


def plot_swimmer(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    subject: str = "USUBJID",
    duration: str = "TRTDURD",
    ongoing: str = "ONGOING",
    response_day: str = "RSPDY",
    progression_day: str = "PDDY",
    death_day: str = "DTHDY",
    response: str = "BOR",
) -> Axes:
    """Draw time on treatment per subject as a bar, with response, progression and death marks.

    *data* has one row per subject: *duration* (days on treatment), *ongoing* (bool),
    optional study days of first response, progression and death (NaN when none) and the BOR
    that colours the bar.

    Parameters
    ----------
    data
        One row per subject.
    ax
        Axes to draw on; default a new matplotlib Figure's Axes.
    subject
        Subject column (the bar labels).
    duration
        Days-on-treatment column; bars are sorted by it.
    ongoing
        Boolean column: still on treatment (an arrow after the bar); skipped when absent.
    response_day, progression_day, death_day
        Study-day columns of the marks; a column that is absent is skipped.
    response
        Best-overall-response column that colours the bar.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = _new_axes(ax, (7.0, max(2.5, 0.16 * len(data) + 1.0)))
    rows = data.sort_values(duration, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(rows))
    months = rows[duration].to_numpy(dtype=float) / DAYS_PER_MONTH
    colours = [RESPONSE_COLOURS.get(str(r), "#999999") for r in rows[response]]
    ax.barh(y, months, color=colours, height=0.7)
    markers = (
        (response_day, "^", "black", "First response"),
        (progression_day, "X", PALETTE[5], "Progression"),
        (death_day, "s", "black", "Death"),
    )
    handles: list[Line2D | Patch] = []
    for column, marker, colour, label in markers:
        if column not in rows:
            continue
        days = rows[column].to_numpy(dtype=float)
        shown = ~np.isnan(days)
        ax.scatter(days[shown] / DAYS_PER_MONTH, y[shown], marker=marker, color=colour, s=14,
                   zorder=3)
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="", label=label))
    if ongoing in rows:
        still = rows[ongoing].to_numpy(dtype=bool)
        ax.scatter(months[still] + 0.25, y[still], marker=">", color="#555555", s=12, zorder=3)
        handles.append(Line2D([], [], marker=">", color="#555555", linestyle="",
                              label="On treatment"))
    handles += [Patch(facecolor=RESPONSE_COLOURS[c], label=c) for c in RESPONSE_COLOURS
                if c in set(rows[response].astype(str))]
    ax.set_yticks(y, [str(s) for s in rows[subject]], fontsize=6)
    ax.set_xlabel("Time on treatment (months)")
    ax.set_ylabel("Subject")
    ax.legend(handles=handles, frameon=False, loc="lower right")
    return ax


def plot_kaplan_meier(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    time: str = "AVAL",
    censor: str = "CNSR",
    group: str | None = None,
    conf_level: float = 0.95,
    at_risk_months: Sequence[float] | None = None,
    ylabel: str = "Survival probability",
    xlabel: str = "Time since start of treatment (months)",
) -> Axes:
    """Draw Kaplan-Meier curves (ADTTE: *time* in days, *censor* 1 = censored) with CI band,
    censoring ticks and a number-at-risk table under the axis.

    The curve is drawn only up to the last observed time; it is never extrapolated.

    Parameters
    ----------
    data
        ADTTE rows of one parameter.
    ax
        Axes to draw on; default a new matplotlib Figure's Axes.
    time
        Time column, in days (drawn in months).
    censor
        Censoring column, 0 = event.
    group
        Column to draw one curve per value of; ``None`` = one curve ``All``.
    conf_level
        Confidence level of the log-log band.
    at_risk_months
        Times of the number-at-risk table; default every 3 months (6 beyond 24 months of
        follow-up).
    ylabel, xlabel
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.
    """
    ax = _new_axes(ax, (7.0, 4.2))
    groups = [("All", data)] if group is None else list(data.groupby(group, sort=True))
    observed = data[time].to_numpy(dtype=float)
    horizon = float(np.nanmax(observed)) / DAYS_PER_MONTH if observed.size else 1.0
    if at_risk_months is None:
        step = 3.0 if horizon <= 24 else 6.0
        at_risk_months = list(np.arange(0.0, horizon + 1e-9, step))
    table_rows: list[tuple[str, list[int], str]] = []
    for index, (group_label, rows) in enumerate(groups):
        label = str(group_label)
        colour = PALETTE[index % len(PALETTE)]
        days = rows[time].to_numpy(dtype=float)
        events = rows[censor].to_numpy(dtype=float) == 0
        km = estimate_kaplan_meier(days, events, conf_level=conf_level)
        steps_t = np.concatenate([[0.0], np.asarray(km.time, dtype=float)]) / DAYS_PER_MONTH
        steps_s = np.concatenate([[1.0], np.asarray(km.survival, dtype=float)])
        lower = np.concatenate([[1.0], np.asarray(km.lower, dtype=float)])
        upper = np.concatenate([[1.0], np.asarray(km.upper, dtype=float)])
        ax.step(steps_t, steps_s, where="post", color=colour, label=f"{label} (n={len(rows)})")
        # Where the log-log interval is undefined (S = 1 before the first event, S = 0 after
        # the last) the band collapses onto the curve instead of spanning [0, 1].
        lower = np.where(np.isnan(lower), steps_s, lower)
        upper = np.where(np.isnan(upper), steps_s, upper)
        ax.fill_between(steps_t, lower, upper, step="post", color=colour, alpha=0.15,
                        linewidth=0)
        censored_t = days[~events] / DAYS_PER_MONTH
        ax.plot(censored_t, _survival_at(steps_t, steps_s, censored_t), linestyle="",
                marker="|", color=colour, markersize=7)
        counts = [int(k) for k in km.n_at_risk(
            [m * DAYS_PER_MONTH for m in at_risk_months])]
        table_rows.append((str(label), counts, colour))
    ax.set_ylim(0.0, 1.02)
    ax.set_xlim(0.0, max(horizon, at_risk_months[-1] if at_risk_months else 1.0) * 1.03)
    ax.set_xticks(list(at_risk_months))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="upper right")
    _at_risk_table(ax, list(at_risk_months), table_rows)
    return ax


def _survival_at(steps_t: np.ndarray, steps_s: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function value at *at* (for placing censoring ticks)."""
    index = np.searchsorted(steps_t, at, side="right") - 1
    return steps_s[np.clip(index, 0, len(steps_s) - 1)]


def _at_risk_table(ax: Axes, times: list[float], rows: list[tuple[str, list[int], str]]) -> None:
    ax.text(0.0, -0.2, "Number at risk", transform=ax.transAxes, fontsize=8, weight="bold",
            ha="left", va="top")
    for line, (label, counts, colour) in enumerate(rows):
        y = -0.27 - 0.07 * line
        ax.text(-0.02, y, label, transform=ax.transAxes, fontsize=7, ha="right", va="top",
                color=colour)
        for t, count in zip(times, counts, strict=True):
            ax.text(t, y, str(count), transform=ax.get_xaxis_transform(), fontsize=7,
                    ha="center", va="top")


def plot_consort(
    counts: Sequence[tuple[str, int, Sequence[tuple[str, int]]]],
    *,
    ax: Axes | None = None,
    branches: Sequence[tuple[str, int, Sequence[tuple[str, int]]]] = (),
    analysed: Sequence[tuple[str, int]] = (),
) -> Axes:
    """Draw a CONSORT-style flow diagram (CONSORT 2010 flow diagram).

    *counts* is the ordered list of stages up to allocation ``(label, n, exclusions)``; each
    stage is a box and its exclusions (``(reason, n)``) are listed in a side box on the arrow
    to the next stage. *branches* are what became of the subjects of the last stage (e.g.
    treatment ongoing, discontinued with reasons), drawn side by side below it: outcomes, not
    exclusions. *analysed* lists the analysis sets in a last box.

    Parameters
    ----------
    counts
        Stages ``(label, n, exclusions)`` in order.
    ax
        Axes to draw on; default a new matplotlib Figure's Axes.
    branches
        Outcomes ``(label, n, reasons)`` of the last stage's subjects.
    analysed
        Analysis sets ``(label, n)``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (axis lines hidden).
    """
    rows = len(counts) + (1 if branches else 0) + (1 if analysed else 0)
    ax = _new_axes(ax, (7.0, 1.4 * rows + 0.5))
    ax.set_axis_off()
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, float(rows) + 0.4 * _extra_lines(branches))
    top = float(rows) + 0.4 * _extra_lines(branches)
    for index, (label, n, exclusions) in enumerate(counts):
        y = top - index - 0.5
        _box(ax, 0.08, y, 0.42, f"{label}\nn = {n}")
        if index < len(counts) - 1:
            _arrow(ax, (0.29, y - 0.28), (0.29, y - 0.62))
        if exclusions:
            text = "\n".join(f"{reason}: {k}" for reason, k in exclusions)
            _box(ax, 0.56, y - 0.5, 0.42, text, fontsize=7)
            _arrow(ax, (0.29, y - 0.5), (0.56, y - 0.5), colour="#555555")
    y = top - len(counts) - 0.5
    if branches:
        width = 0.9 / len(branches)
        centre = y - 0.2 * _extra_lines(branches)
        for index, (label, n, reasons) in enumerate(branches):
            text = "\n".join([f"{label}\nn = {n}", *(f"{r}: {k}" for r, k in reasons)])
            x = 0.05 + index * width
            _box(ax, x + 0.03, centre, width - 0.06, text, fontsize=7)
            _arrow(ax, (0.29, y + 0.72), (x + width / 2, centre + _box_height(text) / 2))
        y -= 1.0 + 0.4 * _extra_lines(branches)
    if analysed:
        _box(ax, 0.08, y, 0.42, "Analysed\n" + "\n".join(f"{label}: {n}"
                                                          for label, n in analysed),
             fontsize=7)
    return ax


def _extra_lines(branches: Sequence[tuple[str, int, Sequence[tuple[str, int]]]]) -> int:
    """Reason lines of the tallest branch box beyond its first two (label and n)."""
    return max((len(reasons) for _, _, reasons in branches), default=0) // 2


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], *,
           colour: str = "black") -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "->", "color": colour, "linewidth": 0.7})


def _box_height(text: str) -> float:
    return 0.5 if text.count("\n") < 2 else 0.18 * (text.count("\n") + 1)


def _box(ax: Axes, x: float, y: float, width: float, text: str, *, fontsize: int = 8) -> None:
    height = _box_height(text)
    ax.add_patch(FancyBboxPatch((x, y - height / 2), width, height,
                                boxstyle="round,pad=0.01", facecolor="white",
                                edgecolor="black", linewidth=0.8))
    ax.text(x + width / 2, y, text, ha="center", va="center", fontsize=fontsize)
