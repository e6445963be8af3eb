"""Use case: write the clinical study report from a folder of ADaM datasets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from oncotrial.errors import DataError
from oncotrial.protocol import Protocol, load_protocol
from oncotrial.report import SimonDesign, TranslationalInputs, read_adam, render_report

__all__ = ["report_for_protocol", "simon_design_of", "write_report"]


def simon_design_of(protocol: Protocol) -> SimonDesign:
    """The phase II two-stage design the protocol specifies."""
    design = protocol.phase_ii.design
    return SimonDesign(
        p0=design.p0, p1=design.p1, r1=design.r1, n1=design.n1, r=design.r, n=design.n
    )


def write_report(
    adam_dir: Path,
    out_dir: Path,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    protocol_path: Path | None = None,
    scores_path: Path | None = None,
    samples_path: Path | None = None,
) -> list[Path]:
    """Read ADaM from *adam_dir* and write ``report.html``/``report.pdf`` and table CSVs.

    With *scores_path* (``scores.csv`` of ``oncotrial nanostring score``) and *samples_path*
    (its sample sheet) the report adds the paired pre/post immune-score analysis.
    """
    protocol = load_protocol(protocol_path)
    translational = None
    if (scores_path is None) != (samples_path is None):
        raise DataError(
            "the translational section needs both the scores and the sample sheet",
            field="scores" if scores_path is None else "samples",
            value=None,
            allowed="both --scores and --samples, or neither",
        )
    if scores_path is not None and samples_path is not None:
        translational = TranslationalInputs(
            scores=pd.read_csv(scores_path, index_col=0),
            samples=pd.read_csv(samples_path, dtype={"file": str, "subject": str}),
        )
    return report_for_protocol(read_adam(adam_dir), out_dir, protocol=protocol, formats=formats,
                               translational=translational)


def report_for_protocol(
    adam: Mapping[str, pd.DataFrame],
    out_dir: Path,
    *,
    protocol: Protocol,
    formats: Sequence[str] = ("html", "pdf"),
    translational: TranslationalInputs | None = None,
    cutoff: date | None = None,
) -> list[Path]:
    """Render the report of *adam* under *protocol*'s title and Simon design."""
    return render_report(
        adam,
        out_dir,
        formats=formats,
        title=f"{protocol.title}",
        subtitle=f"{protocol.nct_id} · clinical study report",
        cutoff=cutoff,
        design=simon_design_of(protocol),
        translational=translational,
    )
