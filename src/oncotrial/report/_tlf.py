"""Numbered tables, listings and figures (TLFs) as sponsors deliver them.

Every output of the report gets a number in the section 14 scheme of ICH E3 ("Structure and
content of clinical study reports", 1995), section 14 "Tables, figures and graphs referred to
but not included in the text":

- 14.1 demographic data (disposition, baseline characteristics);
- 14.2 efficacy data;
- 14.3.1 displays of adverse events; 14.3.2 listings of deaths, other serious and significant
  adverse events; 14.3.4 abnormal laboratory values (here: shift tables by worst grade);
- 14.3.5 extent of exposure and dose modifications and 14.4 exploratory translational
  analyses are this project's extensions of the scheme (ICH E3 §12.1 discusses exposure in
  the text but gives it no section 14 number).

Tables, listings and figures are numbered separately within their section, in the order the
report shows them: ``Table 14.3.1.1``, ``Listing 14.3.2.1``, ``Figure 14.2.1``. Where each
output goes and which ADaM datasets it is computed from is the table :data:`PLACEMENT` below.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

__all__ = ["PLACEMENT", "Placement", "file_stem", "place"]

Kind = Literal["Table", "Listing", "Figure"]


@dataclass(frozen=True)
class Placement:
    """Where an output with a key matching ``pattern`` goes: its kind, ICH E3 section and the
    ADaM datasets it is computed from."""

    pattern: str
    kind: Kind
    section: str
    sources: tuple[str, ...]


# First match wins; a key matching none is a programming error (place() refuses it).
PLACEMENT: tuple[Placement, ...] = (
    Placement(r"disposition", "Table", "14.1", ("ADSL",)),
    Placement(r"consort", "Figure", "14.1", ("ADSL",)),
    Placement(r"baseline", "Table", "14.1", ("ADSL",)),
    Placement(r"bor_.*|orr_histology|orr_criteria|simon", "Table", "14.2", ("ADRS", "ADSL")),
    Placement(r"time_to_event.*", "Table", "14.2", ("ADTTE",)),
    Placement(r"time_to_response", "Table", "14.2", ("ADTTE", "ADRS", "ADSL")),
    Placement(r"waterfall(-density)?|spider", "Figure", "14.2", ("ADTR", "ADRS")),
    Placement(r"swimmer", "Figure", "14.2", ("ADSL", "ADRS")),
    Placement(r"km-.*", "Figure", "14.2", ("ADTTE",)),
    Placement(r"dlt_summary", "Table", "14.3.1", ("ADSL", "ADAE")),
    Placement(r"dlt_events", "Listing", "14.3.2", ("ADSL", "ADAE")),
    Placement(r"rp2d_decision", "Table", "14.3.1", ("ADSL", "ADAE", "ADEX")),
    Placement(r"ae.*|serious", "Table", "14.3.1", ("ADAE", "ADSL")),
    Placement(r"deaths", "Listing", "14.3.2", ("ADSL", "ADAE")),
    Placement(r"shift_.*", "Table", "14.3.4", ("ADLB",)),
    Placement(r"exposure|dose_adjustments", "Table", "14.3.5", ("ADEX", "ADSL")),
    Placement(r"translational.*|paired-scores", "Table", "14.4", ("nanostring scores",)),
)


def place(key: str, *, figure: bool) -> Placement:
    """The placement of the output *key* (a figure when *figure*)."""
    for entry in PLACEMENT:
        if re.fullmatch(entry.pattern, key) and (entry.kind == "Figure") == figure:
            return entry
    if figure:  # a figure beside tables of the same section (e.g. translational)
        for entry in PLACEMENT:
            if re.fullmatch(entry.pattern, key):
                return Placement(entry.pattern, "Figure", entry.section, entry.sources)
    raise KeyError(f"report output {key!r} has no place in the TLF numbering (PLACEMENT)")


class Numbering:
    """Hands out consecutive numbers per kind and section, in the order asked."""

    def __init__(self) -> None:
        self._next: defaultdict[tuple[str, str], int] = defaultdict(int)

    def number(self, placement: Placement) -> str:
        """The next number of *placement*'s kind in its section, e.g. ``14.3.1.2``."""
        slot = (placement.kind, placement.section)
        self._next[slot] += 1
        return f"{placement.section}.{self._next[slot]}"


def file_stem(kind: str, number: str) -> str:
    """File name stem of an output: ``t14_3_1_1``, ``l14_3_2_1``, ``f14_2_1``."""
    return kind[0].lower() + number.replace(".", "_")
