"""One figure style for every report figure: colour-blind-safe palette, sizes, fonts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import matplotlib as mpl
from cycler import cycler

__all__ = ["PALETTE", "RESPONSE_COLOURS", "figure_style"]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency.
PALETTE: Final = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)

# RECIST best overall response categories, always drawn in the same colour.
RESPONSE_COLOURS: Final = {
    "CR": "#0072B2",
    "PR": "#56B4E9",
    "SD": "#009E73",
    "NON-CR/NON-PD": "#F0E442",
    "PD": "#D55E00",
    "NE": "#999999",
    "MISSING": "#DDDDDD",
}

_RC: Final[dict[str, Any]] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "svg.fonttype": "none",  # text stays text in SVG: searchable and sharp
    "svg.hashsalt": "oncotrial",  # stable element ids: same data, same file
    "pdf.fonttype": 42,
    "figure.dpi": 100,
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the report style inside a ``with`` block (never changes global settings)."""
    with mpl.rc_context(_RC):  # type: ignore[arg-type]  # keys are valid rcParams
        yield
