"""Figure helpers take and return an Axes and draw what the data say."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from oncotrial.errors import DataError
from oncotrial.translational import (
    plot_paired_lines,
    plot_qc_panel,
    plot_score_heatmap,
    plot_volcano,
    read_rcc_batch,
)
from oncotrial.translational.pipeline import derive_batch_run


def test_qc_panel_bars_and_limits(rcc_dir: Path) -> None:
    """One bar per QC'd lane, failing lanes red, two BD limit lines."""
    qc = derive_batch_run(read_rcc_batch(rcc_dir), normalize=False).qc
    ax = Figure().add_subplot()
    assert plot_qc_panel(qc, ax=ax, metric="binding_density") is ax
    assert len(ax.patches) == 9  # PlexSet has no metrics
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [0.1, 2.25]
    reds = [p for p in ax.patches if p.get_facecolor()[0] > 0.8]
    assert len(reds) == 3
    with pytest.raises(DataError, match="metric"):
        plot_qc_panel(qc, ax=ax, metric="nope")


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
