"""Use case: write the clinical study report from a folder of ADaM datasets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from oncotrial.errors import DataError
from oncotrial.protocol import (
    AnalysisProfile,
    Protocol,
    as_profile,
    choose_profile,
    load_protocol,
)
from oncotrial.report import SimonDesign, TranslationalInputs, read_adam, render_report

__all__ = ["report_for_protocol", "simon_design_of", "write_report"]


def simon_design_of(protocol: Protocol | AnalysisProfile) -> SimonDesign | None:
    """The phase II two-stage design the protocol specifies (``None`` for a profile without
    one, such as the generic oncology profile).

    Parameters
    ----------
    protocol
        A full protocol or an analysis profile.

    Returns
    -------
    SimonDesign or None
        p0, p1, r1, n1, r, n of the design.

    Examples
    --------
    >>> from oncotrial.protocol import load_protocol
    >>> simon_design_of(load_protocol())
    SimonDesign(p0=0.05, p1=0.2, r1=0, n1=10, r=3, n=29)
    """
    design = as_profile(protocol).design
    if design is None:
        return None
    p0, p1, r1, n1, r, n = design
    return SimonDesign(p0=p0, p1=p1, r1=r1, n1=n1, r=r, n=n)


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

    The protocol file *protocol_path* gives the title and the two-stage design; without one,
    the shipped LEADER protocol is used for LEADER data (ADSL STUDYID) and the generic
    oncology profile otherwise (title from STUDYID, no two-stage design section). With
    *scores_path* (``scores.csv`` of ``oncotrial nanostring score``) and *samples_path* (its
    sample sheet) the report adds the paired pre/post immune-score analysis.

    Parameters
    ----------
    adam_dir
        Folder of ADaM datasets (ADSL required; ADRS, ADTTE, ADAE, ... used when present).
    out_dir
        Folder the report and its table CSVs are written to.
    formats
        Any of ``"html"`` and ``"pdf"`` (default both).
    protocol_path
        A protocol or analysis-profile file (default: chosen from ADSL's STUDYID as above).
    scores_path, samples_path
        Immune scores and their sample sheet; both or neither.

    Returns
    -------
    list[Path]
        The files written.

    Raises
    ------
    DataError
        If only one of *scores_path* and *samples_path* is given, the ADaM folder is missing
        or has no ADSL, or a dataset cannot be read.
    ProtocolError
        If *protocol_path* is not a valid protocol or profile.
    """
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
            # scores.csv names each lane's codeset batch and QC verdict beside the scores
            scores=pd.read_csv(scores_path, index_col=0).drop(columns=["batch", "qc_pass"],
                                                                 errors="ignore"),
            samples=pd.read_csv(samples_path, dtype={"file": str, "subject": str}),
        )
    adam = read_adam(adam_dir)
    adsl = adam["ADSL"]
    studies: list[str] = (adsl["STUDYID"].astype(str).unique().tolist()
                          if "STUDYID" in adsl else [])
    profile = choose_profile(protocol_path, studies)
    # the full protocol, when the profile is one, also gives the phase Ib cohort rules
    shipped = load_protocol()
    full = (load_protocol(protocol_path) if protocol_path is not None
            else shipped if studies and set(studies) <= {shipped.id} else None)
    return report_for_protocol(adam, out_dir, protocol=full or profile, formats=formats,
                               translational=translational)


def report_for_protocol(
    adam: Mapping[str, pd.DataFrame],
    out_dir: Path,
    *,
    protocol: Protocol | AnalysisProfile,
    formats: Sequence[str] = ("html", "pdf"),
    translational: TranslationalInputs | None = None,
    cutoff: date | None = None,
) -> list[Path]:
    """Render the report of *adam* under *protocol*'s title and Simon design (a profile
    without a title is named by the study's STUDYID).

    Parameters
    ----------
    adam
        ADaM datasets by name (``"ADSL"``, ``"ADRS"``, ...).
    out_dir
        Folder the report is written to.
    protocol
        A full protocol (adds the phase Ib cohort rules) or an analysis profile.
    formats
        Any of ``"html"`` and ``"pdf"`` (default both).
    translational
        Immune scores and sample sheet for the paired pre/post section (default none).
    cutoff
        The data cut-off date printed on the report (default none).

    Returns
    -------
    list[Path]
        The files written.

    Raises
    ------
    DataError
        If a dataset the report needs is missing or malformed.
    """
    profile = as_profile(protocol)
    adsl = adam.get("ADSL")
    studies = sorted(set(adsl["STUDYID"].astype(str))) if adsl is not None and \
        "STUDYID" in adsl else []
    title = profile.title or f"Study {', '.join(studies) or '(no STUDYID)'}"
    subtitle = " · ".join(part for part in (profile.nct_id, "clinical study report",
                                            f"analysis profile: {profile.name}") if part)
    return render_report(
        adam,
        out_dir,
        formats=formats,
        title=title,
        subtitle=subtitle,
        cutoff=cutoff,
        design=simon_design_of(profile),
        translational=translational,
        protocol=protocol if isinstance(protocol, Protocol) else None,
    )
