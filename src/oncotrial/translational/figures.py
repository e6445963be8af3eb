"""Plots for the translational analysis; each takes and returns a matplotlib Axes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.translational.qc import QcThresholds

__all__ = [
    "QC_FAILURE_COLOURS",
    "add_qc_legend",
    "derive_qc_failure",
    "plot_paired_lines",
    "plot_pca",
    "plot_qc_panel",
    "plot_score_heatmap",
    "plot_volcano",
]

Axes = Any  # matplotlib.axes.Axes (matplotlib is untyped for mypy here)

_QC_PANELS: dict[str, tuple[str, str, str | None]] = {
    # metric: (label, lower-threshold attribute, upper-threshold attribute)
    "fov_ratio": ("FOV counted / attempted", "min_fov_ratio", None),
    "binding_density": ("Binding density", "min_binding_density", "max_binding_density"),
    "pos_linearity_r2": ("POS linearity R²", "min_linearity_r2", None),
    "hk_geomean": ("HK geometric mean", "min_hk_geomean", None),
    "pos_factor": ("POS factor", "min_pos_factor", "max_pos_factor"),
    "hk_factor": ("HK factor", "min_hk_factor", "max_hk_factor"),
}


# One colour per failed QC metric (the first failed rule in QC_RULES order colours the lane in
# every panel, so a reader sees in each panel why a lane failed); lanes refused before QC
# (PlexSet, other codeset, unreadable) are drawn as a hatched grey stub.
QC_FAILURE_COLOURS: dict[str, str] = {
    "imaging": "tab:orange",
    "binding_density": "tab:purple",
    "linearity": "tab:brown",
    "limit_of_detection": "tab:pink",
    "housekeeping": "tab:olive",
    "pos_factor": "tab:cyan",
    "hk_factor": "tab:red",
}
QC_PASS_COLOUR = "tab:blue"  # noqa: S105 - a colour, not a password
QC_REFUSED_COLOUR = "lightgrey"
_RULE_GROUP = {
    "imaging": "imaging", "binding_density_low": "binding_density",
    "binding_density_high": "binding_density", "linearity": "linearity",
    "limit_of_detection": "limit_of_detection", "housekeeping": "housekeeping",
    "pos_factor_low": "pos_factor", "pos_factor_high": "pos_factor",
    "hk_factor_low": "hk_factor", "hk_factor_high": "hk_factor",
}


def derive_qc_failure(row: pd.Series) -> str:
    """``pass``, ``refused`` or the first failed metric group (key of QC_FAILURE_COLOURS).

    Parameters
    ----------
    row
        One lane of the QC table (``qc.csv``): ``pass`` and the ``flag_<rule>`` columns (booleans
        or the text ``true``/``false``).

    Returns
    -------
    str
        ``"pass"`` when the lane passed; else the group of the first raised flag in the order
        imaging, binding density, linearity, limit of detection, housekeeping, positive-control
        factor, housekeeping factor; ``"refused"`` when none is raised (a file that was not
        assessed).

    Examples
    --------
    >>> import pandas as pd
    >>> derive_qc_failure(pd.Series({"pass": False, "flag_imaging": False,
    ...                              "flag_binding_density_high": "true"}))
    'binding_density'
    >>> derive_qc_failure(pd.Series({"pass": "False"}))
    'refused'
    """
    if _truthy(row.get("pass")):
        return "pass"
    for rule, group in _RULE_GROUP.items():
        if _truthy(row.get(f"flag_{rule}")):
            return group
    return "refused"


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true") or (
        isinstance(value, (bool, np.bool_)) and bool(value))


def plot_qc_panel(
    qc: pd.DataFrame, *, ax: Axes, metric: str = "binding_density",
    thresholds: QcThresholds | None = None, legend: bool = False,
) -> Axes:
    """Bar per lane (every file of *qc*, full names) of one QC *metric* with its threshold
    lines; a failing lane is coloured by the metric it failed on, a refused lane is a hatched
    grey stub labelled with its reason's start.

    Parameters
    ----------
    qc
        The table from :func:`oncotrial.translational.derive_qc_table`.
    ax
        The matplotlib Axes to draw on.
    metric
        One of ``fov_ratio``, ``binding_density``, ``pos_linearity_r2``, ``hk_geomean``,
        ``pos_factor``, ``hk_factor``; the last three use a log scale.
    thresholds
        Where the dashed threshold lines are drawn; default :class:`QcThresholds`.
    legend
        Add a legend of the lane colours.

    Returns
    -------
    matplotlib.axes.Axes
        *ax*.

    Raises
    ------
    DataError
        *metric* has no panel.
    """
    if metric not in _QC_PANELS:
        raise DataError("no QC panel for metric", field="metric", value=metric,
                        allowed=", ".join(_QC_PANELS))
    thresholds = thresholds or QcThresholds()
    label, low, high = _QC_PANELS[metric]
    failures = [derive_qc_failure(row) for _, row in qc.iterrows()]
    values = qc[metric].astype(float).to_numpy()
    positions = np.arange(len(qc))
    measured = ~np.isnan(values)
    colours = [QC_PASS_COLOUR if f == "pass" else QC_FAILURE_COLOURS.get(f, QC_REFUSED_COLOUR)
               for f in failures]
    for pos, value, colour, failure, file in zip(positions, values, colours, failures,
                                                 qc["file"], strict=True):
        if np.isnan(value):
            continue
        ax.bar(pos, value, color=colour, label=failure, gid=str(file))
    log_scale = metric in ("pos_factor", "hk_factor", "hk_geomean")
    if (~measured).any():
        base = np.nanmin(values[measured]) if measured.any() else 1.0
        for pos in positions[~measured]:
            ax.bar(pos, base * (0.5 if log_scale else 0.25), color=QC_REFUSED_COLOUR,
                   hatch="//", edgecolor="grey", label="refused", gid=str(qc["file"].iloc[pos]))
    ax.set_xticks(positions, [str(f) for f in qc["file"]], rotation=90, fontsize=6)
    for attr in (low, high):
        if attr is not None:
            ax.axhline(getattr(thresholds, attr), color="black", linestyle="--", linewidth=0.8)
    if log_scale:
        ax.set_yscale("log")
    ax.set_ylabel(label)
    if legend:
        add_qc_legend(ax, failures)
    return ax


def add_qc_legend(target: Any, failures: list[str]) -> None:
    """Legend (on an Axes or a Figure) with one entry per outcome present in *failures*.

    Parameters
    ----------
    target
        A matplotlib ``Axes`` or ``Figure``.
    failures
        The outcome of each lane, as from :func:`derive_qc_failure`.

    Returns
    -------
    None
        Adds a legend titled "lane colour" at the top of *target*: passed, each failed group
        present, and "not assessed" (hatched) for refused files.
    """
    from matplotlib.patches import Patch  # noqa: PLC0415 - matplotlib only when plotting

    order = ["pass", *QC_FAILURE_COLOURS, "refused"]
    handles = []
    for key in order:
        if key not in failures:
            continue
        if key == "pass":
            handles.append(Patch(color=QC_PASS_COLOUR, label="passed QC"))
        elif key == "refused":
            handles.append(Patch(facecolor=QC_REFUSED_COLOUR, hatch="//", edgecolor="grey",
                                 label="not assessed (refused; see qc.csv reason)"))
        else:
            handles.append(Patch(color=QC_FAILURE_COLOURS[key],
                                 label=f"failed: {key.replace('_', ' ')}"))
    target.legend(handles=handles, loc="upper center", fontsize=7, ncol=len(handles) or 1,
                  title="lane colour", title_fontsize=7)


def plot_paired_lines(
    paired: pd.DataFrame, *, feature: str, ax: Axes, p_value: float | None = None,
    q_value: float | None = None,
) -> Axes:
    """Before/after dot-and-line plot of one feature; lines coloured by response if present.

    Parameters
    ----------
    paired
        The long table from :func:`oncotrial.translational.derive_paired_values`.
    feature
        The feature (score or gene) to draw.
    ax
        The matplotlib Axes to draw on.
    p_value
        Wilcoxon p shown in the title (NaN = "too few to test"; ``None`` = no test shown).
    q_value
        q-value shown after *p_value*.

    Returns
    -------
    matplotlib.axes.Axes
        *ax*.
    """
    data = paired[paired["feature"] == feature]
    for _, row in data.iterrows():
        responder = str(row.get("response", "")).upper() in ("CR", "PR", "RESPONDER")
        colour = "tab:green" if responder else "tab:grey"
        ax.plot([0, 1], [row["pre"], row["post"]], marker="o", color=colour, alpha=0.8)
    ax.set_xticks([0, 1], ["pre", "post"])
    ax.set_xlim(-0.3, 1.3)
    title = feature
    if data.empty:
        title += "\nno complete pre/post pair"
    elif p_value is not None and np.isnan(p_value):
        title += f"\n{len(data)} pair(s): too few to test"
    elif p_value is not None:
        title += f"\nWilcoxon p={p_value:.3g} (n={len(data)})"
        if q_value is not None:
            title += f", q={q_value:.3g}"
    ax.set_title(title, fontsize=8)
    ax.set_ylabel("log2 score")
    return ax


def order_pairs(samples: pd.DataFrame, available: list[str]) -> list[str]:
    """Files of *samples* (columns ``file, subject, timepoint``) in *available*, each subject's
    pre then post side by side (subjects in sheet order), then the files not in the sheet."""
    order: list[str] = []
    sheet = samples.copy()
    sheet["timepoint"] = sheet["timepoint"].astype(str).str.lower()
    for _, rows in sheet.groupby("subject", sort=False):
        for tp in ("pre", "post"):
            order.extend(f for f in rows.loc[rows["timepoint"] == tp, "file"] if f in available)
    return order + [f for f in available if f not in order]


def plot_score_heatmap(
    scores: pd.DataFrame, *, ax: Axes, samples: pd.DataFrame | None = None,
    flagged: set[str] | frozenset[str] = frozenset(),
) -> Axes:
    """Heatmap of z-scored scores (rows = scores, columns = samples); scores empty in every
    sample dropped, cells not estimable shown grey (not as 0).

    With *samples* (sheet: ``file, subject, timepoint``) each subject's pre and post columns
    stand side by side, labelled ``subject pre``/``subject post``, with a line between
    subjects. Samples in *flagged* (kept despite failing QC) are labelled ``[QC flagged]``.

    Parameters
    ----------
    scores
        Rows = samples, columns = scores (:attr:`ScoreResult.scores`).
    ax
        The matplotlib Axes to draw on (a colour bar is added beside it).
    samples
        Optional sample sheet to pair and label the columns.
    flagged
        Files kept despite failing QC.

    Returns
    -------
    matplotlib.axes.Axes
        *ax*.
    """
    data = scores.dropna(axis=1, how="all").T.astype(float)
    columns = list(data.columns)
    labels = [str(c) for c in columns]
    if samples is not None:
        columns = order_pairs(samples, columns)
        data = data[columns]
        info = samples.set_index("file")
        labels = [f"{info.at[c, 'subject']} {str(info.at[c, 'timepoint']).lower()}"
                  if c in info.index else str(c) for c in columns]
    labels = [f"{lab} [QC flagged]" if c in flagged else lab
              for c, lab in zip(columns, labels, strict=True)]
    sd = data.std(axis=1, ddof=1).replace(0, np.nan)
    z = data.sub(data.mean(axis=1), axis=0).div(sd, axis=0)
    z = z.where(data.isna() | z.notna(), 0.0)  # constant score: 0, not missing
    from matplotlib import colormaps  # noqa: PLC0415 - matplotlib only when plotting

    cmap = colormaps["RdBu_r"].with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(z.to_numpy()), aspect="auto", cmap=cmap,
                      vmin=-2.5, vmax=2.5)
    ax.set_yticks(range(z.shape[0]), list(z.index), fontsize=6)
    ax.set_xticks(range(z.shape[1]), labels, rotation=90, fontsize=6)
    if samples is not None:
        info = samples.set_index("file")
        subjects = [info.at[c, "subject"] if c in info.index else None for c in columns]
        for i in range(1, len(subjects)):
            if subjects[i] != subjects[i - 1]:
                ax.axvline(i - 0.5, color="black", linewidth=0.8)
    ax.figure.colorbar(image, ax=ax, label="z-score (grey: not estimable)")
    return ax


_TIMEPOINT_COLOURS = {"pre": "tab:blue", "post": "tab:orange"}


def plot_pca(
    scores: pd.DataFrame, *, ax: Axes, explained: pd.Series,
    samples: pd.DataFrame | None = None, flagged: set[str] | frozenset[str] = frozenset(),
) -> Axes:
    """PC1 vs PC2 of the samples, coloured by timepoint; each patient's samples joined by a
    line and labelled with the subject; samples kept despite failing QC drawn as ``x``.

    Parameters
    ----------
    scores
        Rows = samples, columns ``PC1``, ``PC2`` (:attr:`PcaResult.scores`).
    ax
        The matplotlib Axes to draw on.
    explained
        Share of variance per component, with ``PC1`` and ``PC2`` (:attr:`PcaResult.explained`).
    samples
        Optional sample sheet (``file, subject, timepoint``) for colours and patient lines;
        samples not in it are drawn grey as "not in sheet".
    flagged
        Files kept despite failing QC.

    Returns
    -------
    matplotlib.axes.Axes
        *ax*.
    """
    info = (samples.assign(timepoint=samples["timepoint"].astype(str).str.lower())
            .set_index("file") if samples is not None else pd.DataFrame())
    timepoint = {f: info.at[f, "timepoint"] if f in info.index else "not in sheet"
                 for f in scores.index}
    for tp in (*_TIMEPOINT_COLOURS, "not in sheet"):
        chosen = [f for f in scores.index if timepoint[f] == tp]
        for marker, group in (("o", [f for f in chosen if f not in flagged]),
                              ("x", [f for f in chosen if f in flagged])):
            if group:
                suffix = " [QC flagged]" if marker == "x" else ""
                ax.scatter(scores.loc[group, "PC1"], scores.loc[group, "PC2"], marker=marker,
                           color=_TIMEPOINT_COLOURS.get(tp, "grey"), label=f"{tp}{suffix}",
                           s=30)
    if samples is not None:
        present = info.loc[info.index.intersection(scores.index)]
        for subject, rows in present.groupby("subject", sort=False):
            points = scores.loc[list(rows.index)]
            ax.plot(points["PC1"], points["PC2"], color="grey", linewidth=0.6, zorder=0)
            ax.annotate(str(subject), (points["PC1"].mean(), points["PC2"].mean()),
                        fontsize=6)
    ax.set_xlabel(f"PC1 ({100 * explained['PC1']:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * explained['PC2']:.1f}% of variance)")
    ax.legend(fontsize=7, title="timepoint", title_fontsize=7)
    return ax


def plot_volcano(
    tests: pd.DataFrame, *, ax: Axes, fdr: float = 0.1, label_top: int = 10
) -> Axes:
    """Volcano plot: median paired log2 change vs −log10 Wilcoxon p; q < *fdr* in red.

    Parameters
    ----------
    tests
        :attr:`TestTable.table` from :func:`estimate_paired_tests` on genes; rows without a
        Wilcoxon p are left out.
    ax
        The matplotlib Axes to draw on.
    fdr
        q-value below which a point is drawn red.
    label_top
        How many features with the smallest p are labelled.

    Returns
    -------
    matplotlib.axes.Axes
        *ax*.
    """
    data = tests.dropna(subset=["wilcoxon_p"])
    logp = -np.log10(data["wilcoxon_p"].to_numpy(dtype=float))
    hit = (data["wilcoxon_q"] < fdr).to_numpy()
    ax.scatter(data["median_delta"], logp, c=np.where(hit, "tab:red", "tab:grey"), s=8)
    for idx in np.argsort(-logp)[:label_top]:
        ax.annotate(str(data["feature"].iloc[idx]), (data["median_delta"].iloc[idx], logp[idx]),
                    fontsize=6)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("median paired log2 change (post − pre)")
    ax.set_ylabel("−log10 Wilcoxon p")
    return ax
