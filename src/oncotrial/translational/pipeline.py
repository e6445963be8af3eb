"""Batch-level steps that tie parsing, QC, normalisation and scoring together (for the CLI)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from oncotrial.translational.normalize import (
    Normalization,
    NormalizationSettings,
    derive_normalized_counts,
)
from oncotrial.translational.qc import LaneQc, QcThresholds, derive_qc_table, grade_batch_qc
from oncotrial.translational.rcc import Rcc, RccBatch, derive_count_matrix
from oncotrial.translational.rlf import Rlf

__all__ = ["BatchRun", "derive_batch_run", "derive_codeset_batch"]

_CONC_SUFFIX = re.compile(r"\([0-9.]+\)$")


def _probe_keys(
    classes: Iterable[str], names: Iterable[str], accessions: Iterable[str]
) -> set[tuple[str, str, str]]:
    """Probe identity for codeset checks: class, name without a ``(fM)`` suffix, accession.

    RLFs name controls ``POS_A(128)`` while some RCCs write ``POS_A``; both are one probe.
    """
    return {
        (c, _CONC_SUFFIX.sub("", n.strip()).upper(), a.strip())
        for c, n, a in zip(classes, names, accessions, strict=True)
    }


def _same_codeset(gene_rlf: str, codeset: str) -> bool:
    # An RLF file may carry a prefix (e.g. the validation copies are named
    # '<repository>__<codeset>.rlf'); the RCC's GeneRLF must be the name's ending.
    return codeset.lower().endswith(gene_rlf.lower()) and bool(gene_rlf)


def derive_codeset_batch(batch: RccBatch, *, rlf: Rlf | None = None) -> RccBatch:
    """Keep the lanes of one codeset; refuse the others with a reason.

    Parameters
    ----------
    batch
        The lanes read from a folder (:func:`read_rcc_batch`) and those already refused.
    rlf
        When given, its name is the codeset (a lane's ``GeneRLF`` must be the end of it) and
        lanes with probes that are not the RLF's active probes are refused; else the codeset
        is the most common ``GeneRLF`` of the batch.

    Returns
    -------
    RccBatch
        The lanes of that codeset, in the order given, and the refused files (earlier refusals
        kept) with the reason.
    """
    refused = dict(batch.refused)
    if not batch.rccs:
        return RccBatch(rccs=(), refused=refused)
    common = Counter(r.codeset for r in batch.rccs).most_common(1)[0][0]
    codeset = rlf.name if rlf is not None else common
    expected = None
    if rlf is not None:
        active = rlf.active_probes()
        expected = _probe_keys(active["code_class"], active["GeneName"], active["Accession"])
    keep = []
    for rcc in batch.rccs:
        if not _same_codeset(rcc.codeset, codeset):
            refused[rcc.source] = (
                f"GeneRLF={rcc.codeset!r}: codeset differs from the batch codeset {codeset!r}"
            )
            continue
        if expected is not None:
            probes = _probe_keys(rcc.probes["code_class"], rcc.probes["name"],
                                 rcc.probes["accession"])
            extra = sorted(probes - expected)
            if extra:
                refused[rcc.source] = f"probes not in RLF {codeset!r}: {extra[:5]}"
                continue
        keep.append(rcc)
    return RccBatch(rccs=tuple(keep), refused=refused)


@dataclass(frozen=True)
class BatchRun:
    """QC of every file and the normalisation of each codeset batch.

    Attributes
    ----------
    qc
        One row per file (:func:`derive_qc_table`) with its ``batch`` (codeset).
    batches
        Codeset → normalisation of that codeset's lanes, each with its own factors and
        targets (empty when nothing was normalised).
    kept_flagged
        Files that failed QC but were normalised because *keep_flagged* was set.
    """

    qc: pd.DataFrame = field(repr=False)
    lanes: tuple[LaneQc, ...] = field(repr=False)
    batches: Mapping[str, Normalization] = field(repr=False)
    duplicates: pd.DataFrame = field(repr=False)
    kept_flagged: tuple[str, ...] = ()

    def lane_table(self) -> pd.DataFrame:
        """One row per normalised sample: ``sample``, ``batch``, ``qc_pass``, ``qc_reason``."""
        qc = self.qc.set_index("file")
        rows = [{"sample": sample, "batch": codeset,
                 "qc_pass": bool(qc.at[sample, "pass"]),
                 "qc_reason": str(qc.at[sample, "reason"] or "")}
                for codeset, norm in self.batches.items() for sample in norm.counts.columns]
        return pd.DataFrame(rows, columns=["sample", "batch", "qc_pass", "qc_reason"])


def _batch_settings(
    settings: NormalizationSettings | None, codeset: str,
    housekeepers: Mapping[str, tuple[str, ...]] | None,
) -> NormalizationSettings | None:
    if not housekeepers or codeset not in housekeepers:
        return settings
    return replace(settings or NormalizationSettings(), housekeepers=housekeepers[codeset])


def _grade_groups(
    batch: RccBatch, *, rlf: Rlf | None, thresholds: QcThresholds | None,
    settings: NormalizationSettings | None,
    housekeepers: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[list[tuple[Rcc, LaneQc]], dict[str, str]]:
    if rlf is not None:
        usable = derive_codeset_batch(batch, rlf=rlf)
        groups = [usable.rccs] if usable.rccs else []
        refused = dict(usable.refused)
    else:
        by_codeset: dict[str, list[Rcc]] = {}
        for rcc in batch.rccs:
            by_codeset.setdefault(rcc.codeset, []).append(rcc)
        groups = [tuple(g) for g in by_codeset.values()]
        refused = dict(batch.refused)
    graded: list[tuple[Rcc, LaneQc]] = []
    for group in groups:
        lanes = grade_batch_qc(group, thresholds=thresholds,
                               settings=_batch_settings(settings, group[0].codeset,
                                                        housekeepers))
        graded.extend(zip(group, lanes, strict=True))
    return graded, refused


def derive_batch_run(
    batch: RccBatch,
    *,
    rlf: Rlf | None = None,
    thresholds: QcThresholds | None = None,
    settings: NormalizationSettings | None = None,
    normalize: bool = True,
    keep_flagged: bool = False,
    housekeepers: Mapping[str, tuple[str, ...]] | None = None,
) -> BatchRun:
    """QC every lane, then normalise the lanes that pass QC, one batch per codeset.

    Lanes of different codesets never share factors: QC (including the factor checks) and
    normalisation run per codeset (``GeneRLF``), each batch with its own targets; ``qc.csv``
    names each lane's batch. With *rlf*, only that codeset is used and lanes of another are
    refused with a reason. With *keep_flagged*, lanes that failed a QC rule are normalised too
    (as nSolver allows), and stay marked ``pass=false`` in every table. *housekeepers* (codeset
    → names, e.g. chosen by geNorm) replaces the housekeeping genes of those batches.

    Parameters
    ----------
    batch
        The lanes read from a folder (:func:`read_rcc_batch`) and those already refused.
    rlf
        Restrict the run to this RLF's codeset (see :func:`derive_codeset_batch`).
    thresholds
        QC limits; default :class:`QcThresholds`.
    settings
        Normalisation options; default :class:`NormalizationSettings`.
    normalize
        When false only QC is run and ``batches`` is empty.
    keep_flagged
        Normalise lanes that failed QC as well.
    housekeepers
        Codeset → housekeeping gene names to use for that codeset's batch.

    Returns
    -------
    BatchRun
        The QC table (with ``batch``), the graded lanes, one normalisation per codeset, the
        duplicated probe keys (``file, code_class, name, accession``) and the flagged files
        kept.

    Raises
    ------
    DataError
        A lane attribute is not a number, or normalisation is impossible (no Positive or
        Housekeeping probes, housekeepers not in the codeset, bad *settings*).
    """
    graded, refused = _grade_groups(batch, rlf=rlf, thresholds=thresholds, settings=settings,
                                    housekeepers=housekeepers)
    lanes = tuple(lane for _, lane in graded)
    qc = derive_qc_table(lanes, refused=refused)
    batch_of = {rcc.source: rcc.codeset for rcc, _ in graded}
    qc.insert(1, "batch", [batch_of.get(f) for f in qc["file"]])
    chosen = [rcc for rcc, lane in graded if lane.passed or keep_flagged]
    batches: dict[str, Normalization] = {}
    if normalize:
        by_codeset: dict[str, list[Rcc]] = {}
        for rcc in chosen:
            by_codeset.setdefault(rcc.codeset, []).append(rcc)
        for codeset, rccs in sorted(by_codeset.items()):
            batches[codeset] = derive_normalized_counts(
                derive_count_matrix(rccs),
                settings=_batch_settings(settings, codeset, housekeepers))
    duplicates = pd.DataFrame(
        [(rcc.source, *key) for rcc, _ in graded for key in rcc.duplicates],
        columns=["file", "code_class", "name", "accession"],
    )
    kept = tuple(rcc.source for rcc, lane in graded if keep_flagged and not lane.passed)
    return BatchRun(qc=qc, lanes=lanes, batches=batches, duplicates=duplicates,
                    kept_flagged=kept)
