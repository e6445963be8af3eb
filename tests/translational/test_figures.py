"""Figure helpers take and return an Axes and draw what the data say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from oncotrial.errors import DataError
from oncotrial.translational import (
    plot_paired_lines,
    plot_qc_panel,
    plot_score_heatmap,
    plot_volcano,
    read_rcc_batch,
)
from oncotrial.translational.figures import QC_FAILURE_COLOURS, plot_pca
from oncotrial.translational.pipeline import derive_batch_run


def test_qc_panel_full_names_colour_per_failed_metric_and_plexset(rcc_dir: Path) -> None:
    """Issue 23: names were cut from the left (two lanes read the same), every failing lane was
    red whatever it failed on, and the PlexSet lane was dropped. Now: every file's full name
    as a tick, one colour per failed metric with a legend entry, PlexSet drawn as refused."""
    qc = derive_batch_run(read_rcc_batch(rcc_dir), normalize=False).qc
    ax = Figure().add_subplot()
    assert plot_qc_panel(qc, ax=ax, metric="binding_density", legend=True) is ax
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == list(qc["file"])
    assert len(set(ticks)) == len(ticks) == 10
    bars = {p.get_gid(): p for p in ax.patches}
    assert set(bars) == set(qc["file"])
    colour = {f: to_hex(bars[f].get_facecolor()) for f in bars}
    assert colour["NanoStringQCPro__20140604_C2-unstim_C2-unstim_10_2.RCC"] == to_hex(
        QC_FAILURE_COLOURS["binding_density"])
    assert colour["NanoStringQCPro__20140604_C1-unstim_C1-unstim_04.RCC"] == to_hex(
        QC_FAILURE_COLOURS["housekeeping"])
    assert colour["NanoStringQCPro__20140604_C1-unstim_C1-unstim_01.RCC"] == to_hex("tab:blue")
    assert bars["NACHO__plexset_01_01.RCC"].get_hatch() == "//"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["passed QC", "failed: binding density", "failed: housekeeping",
                      "not assessed (refused; see qc.csv reason)"]
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.1, 2.25]
    with pytest.raises(DataError, match="metric"):
        plot_qc_panel(qc, ax=ax, metric="nope")


def test_pca_and_heatmap_pairs_side_by_side() -> None:
    """PCA: points coloured by timepoint, flagged lanes as x, one line per patient. Heatmap:
    pre and post of a patient in adjacent columns, not-estimable cells masked (not 0)."""
    sheet = pd.DataFrame({"file": ["a2", "b1", "a1", "b2"], "subject": ["A", "B", "A", "B"],
                          "timepoint": ["post", "pre", "pre", "post"]})
    scores = pd.DataFrame({"PC1": [1.0, 2.0, 3.0, 4.0], "PC2": [0.0, 1.0, 0.0, 1.0]},
                          index=["a1", "a2", "b1", "b2"])
    ax = Figure().add_subplot()
    plot_pca(scores, ax=ax, explained=pd.Series({"PC1": 0.6, "PC2": 0.3}), samples=sheet,
             flagged={"b2"})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["pre", "post", "post [QC flagged]"]
    assert len(ax.get_lines()) == 2  # one line per patient
    assert "60.0%" in ax.get_xlabel()
    values = pd.DataFrame({"DC": [1.0, 2.0, np.nan, 4.0], "T-cells": [1.0, 3.0, 2.0, 5.0]},
                          index=["a1", "a2", "b1", "b2"])
    ax = Figure().add_subplot()
    plot_score_heatmap(values, ax=ax, samples=sheet, flagged={"b2"})
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "A pre", "A post", "B pre", "B post [QC flagged]"]
    data = ax.images[0].get_array()
    assert bool(data.mask[0, 2])  # DC of b1 not estimable: masked
    assert not data.mask[1].any()


def test_paired_lines_volcano_heatmap() -> None:
    """Paired plot draws one line per patient; volcano one point per gene; heatmap z-scores."""
    paired = pd.DataFrame({"subject": ["a", "b"], "feature": ["DC", "DC"], "pre": [1.0, 2.0],
                           "post": [2.0, 3.0], "delta": [1.0, 1.0], "response": ["PR", "SD"]})
    ax = Figure().add_subplot()
    assert plot_paired_lines(paired, feature="DC", ax=ax, p_value=0.5, q_value=0.6) is ax
    assert len(ax.get_lines()) == 2
    assert "p=0.5" in ax.get_title()
    tests = pd.DataFrame({"feature": ["G1", "G2"], "median_delta": [1.0, -0.2],
                          "wilcoxon_p": [0.001, 0.5], "wilcoxon_q": [0.002, 0.5]})
    ax = Figure().add_subplot()
    assert plot_volcano(tests, ax=ax) is ax
    assert len(ax.collections[0].get_offsets()) == 2
    scores = pd.DataFrame({"DC": [1.0, 2.0, 3.0], "Empty": [None, None, None]},
                          index=["s1", "s2", "s3"])
    ax = Figure().add_subplot()
    assert plot_score_heatmap(scores, ax=ax) is ax
    assert ax.images[0].get_array().shape == (1, 3)
