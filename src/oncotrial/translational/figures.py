"""Plots for the translational analysis; each takes and returns a matplotlib Axes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.translational.qc import QcThresholds

__all__ = ["plot_paired_lines", "plot_qc_panel", "plot_score_heatmap", "plot_volcano"]

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


def plot_qc_panel(
    qc: pd.DataFrame, *, ax: Axes, metric: str = "binding_density",
    thresholds: QcThresholds | None = None,
) -> Axes:
    """Bar per lane of one QC *metric* with its threshold lines; failing lanes in red.

    *qc* is the table from :func:`oncotrial.translational.derive_qc_table`.
    """
    if metric not in _QC_PANELS:
        raise DataError("no QC panel for metric", field="metric", value=metric,
                        allowed=", ".join(_QC_PANELS))
    thresholds = thresholds or QcThresholds()
    label, low, high = _QC_PANELS[metric]
    data = qc.dropna(subset=[metric])
    colours = ["tab:blue" if bool(p) else "tab:red" for p in data["pass"]]
    ax.bar(range(len(data)), data[metric], color=colours)
    ax.set_xticks(range(len(data)), [str(f)[-28:] for f in data["file"]], rotation=90,
                  fontsize=6)
    for attr in (low, high):
        if attr is not None:
            ax.axhline(getattr(thresholds, attr), color="black", linestyle="--", linewidth=0.8)
    if metric in ("pos_factor", "hk_factor", "hk_geomean"):
        ax.set_yscale("log")
    ax.set_ylabel(label)
    return ax


def plot_paired_lines(
    paired: pd.DataFrame, *, feature: str, ax: Axes, p_value: float | None = None,
    q_value: float | None = None,
) -> Axes:
    """Before/after dot-and-line plot of one feature; lines coloured by response if present.

    *paired* is the long table from :func:`oncotrial.translational.derive_paired_values`.
    """
    data = paired[paired["feature"] == feature]
    for _, row in data.iterrows():
        responder = str(row.get("response", "")).upper() in ("CR", "PR", "RESPONDER")
        colour = "tab:green" if responder else "tab:grey"
        ax.plot([0, 1], [row["pre"], row["post"]], marker="o", color=colour, alpha=0.8)
    ax.set_xticks([0, 1], ["pre", "post"])
    ax.set_xlim(-0.3, 1.3)
    title = feature
    if p_value is not None:
        title += f"\nWilcoxon p={p_value:.3g}"
        if q_value is not None:
            title += f", q={q_value:.3g}"
    ax.set_title(title, fontsize=8)
    ax.set_ylabel("log2 score")
    return ax


def plot_score_heatmap(scores: pd.DataFrame, *, ax: Axes) -> Axes:
    """Heatmap of z-scored scores (rows = scores, columns = samples); empty scores dropped."""
    data = scores.dropna(axis=1, how="all").T.astype(float)
    sd = data.std(axis=1, ddof=1).replace(0, np.nan)
    z = data.sub(data.mean(axis=1), axis=0).div(sd, axis=0).fillna(0.0)
    image = ax.imshow(z.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-2.5, vmax=2.5)
    ax.set_yticks(range(z.shape[0]), list(z.index), fontsize=6)
    ax.set_xticks(range(z.shape[1]), [str(c)[:20] for c in z.columns], rotation=90, fontsize=6)
    ax.figure.colorbar(image, ax=ax, label="z-score")
    return ax


def plot_volcano(
    tests: pd.DataFrame, *, ax: Axes, fdr: float = 0.1, label_top: int = 10
) -> Axes:
    """Volcano plot: median paired log2 change vs −log10 Wilcoxon p; q < *fdr* in red.

    *tests* is :attr:`TestTable.table` from :func:`estimate_paired_tests` on genes.
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
