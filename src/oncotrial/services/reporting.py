"""Use case: write the clinical study report from a folder of ADaM datasets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from oncotrial.protocol import Protocol, load_protocol
from oncotrial.report import SimonDesign, read_adam, render_report

__all__ = ["simon_design_of", "write_report"]


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
) -> list[Path]:
    """Read ADaM from *adam_dir* and write ``report.html``/``report.pdf`` and table CSVs."""
    protocol = load_protocol(protocol_path)
    return render_report(
        read_adam(adam_dir),
        out_dir,
        formats=formats,
        title=f"{protocol.title}",
        subtitle=f"{protocol.nct_id} · clinical study report",
        design=simon_design_of(protocol),
    )
