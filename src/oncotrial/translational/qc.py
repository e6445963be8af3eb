"""Per-lane quality control of nCounter RCC files with the standard thresholds.

Every flag carries the metric value and the threshold it was compared with. Thresholds are
data (:class:`QcThresholds`), each default citing its source (translational.md §2.1):

* imaging: FovCounted / FovCount < 0.75 fails (NanoStringNCTools ``setQCFlags``
  ``fovCutoff = 0.75``; NACHO ``FoV = 75``);
* binding density: < 0.1 or > 2.25 (MAX/FLEX), > 1.8 (SPRINT) fails (NanoStringNCTools
  ``minimumBD``, ``maximumBD``, ``maximumBDSprint``); a scanner ID whose 5th character is ``P``
  is a SPRINT (NanoStringNCTools);
* positive-control linearity: R² of log2(count) vs log2(fM) over controls ≥ 0.5 fM
  (POS_A–E), counts < 0.5 raised to 0.5, < 0.95 fails (``correlationValue = 0.95``);
* limit of detection: POS_E < mean(NEG) + 2·SD(NEG) fails (``standardDeviations = 2``);
* housekeeping signal: geometric mean of HK counts < 32 fails, 32–100 borderline (warning)
  (NanoStringNCTools ``Housekeeper = c(failingCutoff = 32, passingCutoff = 100)``);
* normalisation factors: POS outside 0.3–3 and HK outside 0.1–10 fail (see
  :mod:`oncotrial.translational.normalize`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.errors import DataError
from oncotrial.translational._numeric import geometric_mean
from oncotrial.translational.normalize import (
    HK_FACTOR_RANGE,
    POS_FACTOR_RANGE,
    NormalizationSettings,
    derive_normalized_counts,
)
from oncotrial.translational.rcc import (
    Rcc,
    compute_positive_concentration,
    derive_count_matrix,
)

__all__ = [
    "QC_RULES",
    "LaneQc",
    "QcFlag",
    "QcRule",
    "QcThresholds",
    "classify_scanner",
    "compute_lane_metrics",
    "derive_qc_table",
    "grade_batch_qc",
    "grade_lane_qc",
]

Severity = Literal["fail", "warn"]
Comparison = Literal["<", ">"]


@dataclass(frozen=True)
class QcThresholds:
    """QC thresholds; defaults are NanoStringNCTools ``setQCFlags`` values (module docstring)."""

    min_fov_ratio: float = 0.75
    min_binding_density: float = 0.1
    max_binding_density: float = 2.25
    max_binding_density_sprint: float = 1.8
    min_linearity_r2: float = 0.95
    lod_sd: float = 2.0
    min_linearity_conc_fm: float = 0.5
    linearity_count_floor: float = 0.5
    min_hk_geomean: float = 32.0
    pass_hk_geomean: float = 100.0
    min_pos_factor: float = POS_FACTOR_RANGE[0]
    max_pos_factor: float = POS_FACTOR_RANGE[1]
    min_hk_factor: float = HK_FACTOR_RANGE[0]
    max_hk_factor: float = HK_FACTOR_RANGE[1]


@dataclass(frozen=True)
class QcRule:
    """One QC rule: flag *name* when ``metric <comparison> threshold``.

    ``threshold`` names a :class:`QcThresholds` attribute or, for lane-specific limits
    (binding-density limit by scanner, LoD cut-off), a metric of the lane.
    """

    name: str
    metric: str
    comparison: Comparison
    threshold: str
    severity: Severity
    source: str


# Ordered rule table (first = most basic). Sources: module docstring.
QC_RULES: tuple[QcRule, ...] = (
    QcRule("imaging", "fov_ratio", "<", "min_fov_ratio", "fail",
           "NanoStringNCTools setQCFlags fovCutoff=0.75"),
    QcRule("binding_density_low", "binding_density", "<", "min_binding_density", "fail",
           "NanoStringNCTools setQCFlags minimumBD=0.1"),
    QcRule("binding_density_high", "binding_density", ">", "binding_density_limit", "fail",
           "NanoStringNCTools setQCFlags maximumBD=2.25 (MAX/FLEX), maximumBDSprint=1.8"),
    QcRule("linearity", "pos_linearity_r2", "<", "min_linearity_r2", "fail",
           "NanoStringNCTools setQCFlags correlationValue=0.95"),
    QcRule("limit_of_detection", "pos_e", "<", "lod_cutoff", "fail",
           "NanoStringNCTools setQCFlags standardDeviations=2"),
    QcRule("housekeeping", "hk_geomean", "<", "min_hk_geomean", "fail",
           "NanoStringNCTools Housekeeper failingCutoff=32"),
    QcRule("housekeeping_borderline", "hk_geomean", "<", "pass_hk_geomean", "warn",
           "NanoStringNCTools Housekeeper passingCutoff=100"),
    QcRule("pos_factor_low", "pos_factor", "<", "min_pos_factor", "fail",
           "NanoString guideline POS factor 0.3–3 (NanoStringNormalizeR norm_fc)"),
    QcRule("pos_factor_high", "pos_factor", ">", "max_pos_factor", "fail",
           "NanoString guideline POS factor 0.3–3 (NanoStringNormalizeR norm_fc)"),
    QcRule("hk_factor_low", "hk_factor", "<", "min_hk_factor", "fail",
           "NanoString guideline content factor 0.1–10 (NanoStringNormalizeR norm_fc)"),
    QcRule("hk_factor_high", "hk_factor", ">", "max_hk_factor", "fail",
           "NanoString guideline content factor 0.1–10 (NanoStringNormalizeR norm_fc)"),
)


@dataclass(frozen=True)
class QcFlag:
    """Outcome of one rule on one lane: the value, the threshold and whether it flagged."""

    rule: str
    metric: str
    value: float
    comparison: Comparison
    threshold: float
    severity: Severity
    flagged: bool


@dataclass(frozen=True)
class LaneQc:
    """QC of one lane: metrics and one flag per applicable rule."""

    source: str
    metrics: Mapping[str, float] = field(repr=False)
    flags: tuple[QcFlag, ...] = field(repr=False)
    scanner: str = "MAX/FLEX"

    @property
    def passed(self) -> bool:
        """True when no ``fail``-severity rule flagged (warnings do not fail a lane)."""
        return not any(f.flagged and f.severity == "fail" for f in self.flags)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Failed rules as ``rule: value comparison threshold`` texts."""
        return tuple(
            f"{f.rule}: {f.metric}={f.value:.4g} {f.comparison} {f.threshold:.4g}"
            for f in self.flags
            if f.flagged and f.severity == "fail"
        )


def classify_scanner(scanner_id: str) -> str:
    """``SPRINT`` when the 5th character of the scanner ID is ``P`` (NanoStringNCTools), else
    ``MAX/FLEX``.

    Parameters
    ----------
    scanner_id
        The lane attribute ``ScannerID`` (any case; shorter than 5 characters = MAX/FLEX).

    Returns
    -------
    str
        ``"SPRINT"`` or ``"MAX/FLEX"``; it selects the binding-density limit (1.8 or 2.25).

    Examples
    --------
    >>> from oncotrial.translational import classify_scanner
    >>> classify_scanner("1001P0123"), classify_scanner("1001C0123")
    ('SPRINT', 'MAX/FLEX')
    """
    return "SPRINT" if len(scanner_id) >= 5 and scanner_id[4].upper() == "P" else "MAX/FLEX"


def _float_attr(rcc: Rcc, key: str) -> float:
    text = rcc.lane_attributes.get(key, "")
    try:
        return float(text)
    except ValueError:
        raise DataError("lane attribute is not a number", field=f"{rcc.source}: {key}",
                        value=text, allowed="a number") from None


def _linearity_r2(
    conc: npt.NDArray[np.float64], counts: npt.NDArray[np.float64], thresholds: QcThresholds
) -> float:
    use = conc >= thresholds.min_linearity_conc_fm
    if use.sum() < 3:
        return float("nan")
    x = np.log2(conc[use])
    y = np.log2(np.maximum(counts[use], thresholds.linearity_count_floor))
    if np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def compute_lane_metrics(rcc: Rcc, *, thresholds: QcThresholds | None = None) -> dict[str, float]:
    """Lane metrics: imaging, binding density (+ its scanner limit), linearity, LoD, HK signal.

    Parameters
    ----------
    rcc
        One parsed lane.
    thresholds
        Supplies the scanner's binding-density limit, the LoD multiple of SD(NEG) and the
        linearity settings; default :class:`QcThresholds`.

    Returns
    -------
    dict
        ``fov_count``, ``fov_counted``, ``fov_ratio``, ``binding_density``,
        ``binding_density_limit``, ``pos_linearity_r2``, ``pos_e``, ``neg_mean``, ``neg_sd``,
        ``lod_cutoff``, ``pos_geomean``, ``hk_geomean``, ``n_housekeeping``. A metric that
        cannot be computed (no FOVs, fewer than 3 controls ≥ 0.5 fM, no POS_E, no
        housekeeping genes, fewer than 2 NEG controls for the SD) is NaN.

    Raises
    ------
    DataError
        ``FovCount``, ``FovCounted`` or ``BindingDensity`` is missing or not a number.
    """
    thresholds = thresholds or QcThresholds()
    classes = rcc.probes["code_class"].to_numpy()
    counts = rcc.probes["count"].to_numpy(dtype=float)
    fov_count = _float_attr(rcc, "FovCount")
    fov_counted = _float_attr(rcc, "FovCounted")
    is_pos = classes == "Positive"
    pos_counts = counts[is_pos]
    conc = np.array([compute_positive_concentration(str(n)) for n in
                     rcc.probes["name"].to_numpy()[is_pos]], dtype=float)
    neg = counts[classes == "Negative"]
    hk = counts[classes == "Housekeeping"]
    pos_e = pos_counts[conc == 0.5]
    neg_mean = float(neg.mean()) if neg.size else float("nan")
    neg_sd = float(neg.std(ddof=1)) if neg.size > 1 else float("nan")
    scanner = classify_scanner(rcc.lane_attributes.get("ScannerID", ""))
    return {
        "fov_count": fov_count,
        "fov_counted": fov_counted,
        "fov_ratio": fov_counted / fov_count if fov_count > 0 else float("nan"),
        "binding_density": _float_attr(rcc, "BindingDensity"),
        "binding_density_limit": thresholds.max_binding_density_sprint
        if scanner == "SPRINT"
        else thresholds.max_binding_density,
        "pos_linearity_r2": _linearity_r2(conc, pos_counts, thresholds),
        "pos_e": float(pos_e[0]) if pos_e.size else float("nan"),
        "neg_mean": neg_mean,
        "neg_sd": neg_sd,
        "lod_cutoff": neg_mean + thresholds.lod_sd * neg_sd,
        "pos_geomean": geometric_mean(pos_counts),
        "hk_geomean": geometric_mean(hk) if hk.size else float("nan"),
        "n_housekeeping": float(hk.size),
    }


def grade_lane_qc(
    source: str,
    metrics: Mapping[str, float],
    *,
    thresholds: QcThresholds | None = None,
    scanner: str = "MAX/FLEX",
) -> LaneQc:
    """Apply :data:`QC_RULES` to a lane's metrics; rules whose metric is missing or NaN are
    skipped (e.g. factor rules before normalisation).

    Parameters
    ----------
    source
        The lane's file name (kept in the result).
    metrics
        Metric name → value, as from :func:`compute_lane_metrics` (plus ``pos_factor`` and
        ``hk_factor`` for the normalisation-factor rules).
    thresholds
        The limits; default :class:`QcThresholds`. Lane-specific limits
        (``binding_density_limit``, ``lod_cutoff``) are read from *metrics*.
    scanner
        Scanner class recorded in the result (see :func:`classify_scanner`).

    Returns
    -------
    LaneQc
        The metrics and one :class:`QcFlag` per rule that could be applied.
    """
    thresholds = thresholds or QcThresholds()
    flags = []
    for rule in QC_RULES:
        value = metrics.get(rule.metric, float("nan"))
        limit = (getattr(thresholds, rule.threshold) if hasattr(thresholds, rule.threshold)
                 else metrics.get(rule.threshold, float("nan")))
        if math.isnan(value) or math.isnan(limit):
            continue
        flagged = value < limit if rule.comparison == "<" else value > limit
        flags.append(QcFlag(rule.name, rule.metric, float(value), rule.comparison,
                            float(limit), rule.severity, bool(flagged)))
    return LaneQc(source=source, metrics=dict(metrics), flags=tuple(flags), scanner=scanner)


def grade_batch_qc(
    rccs: Sequence[Rcc],
    *,
    thresholds: QcThresholds | None = None,
    settings: NormalizationSettings | None = None,
) -> list[LaneQc]:
    """QC every lane, including the normalisation-factor rules computed over the batch.

    The factors come from :func:`derive_normalized_counts` on all lanes given (one codeset);
    pass fixed targets in *settings* to judge lanes against an earlier batch.

    Parameters
    ----------
    rccs
        The lanes of one codeset.
    thresholds
        The limits; default :class:`QcThresholds`.
    settings
        Normalisation options used to compute the POS and HK factors; default
        :class:`NormalizationSettings`.

    Returns
    -------
    list of LaneQc
        One per lane, in the order given; empty when *rccs* is empty.

    Raises
    ------
    DataError
        Lanes do not share the same probes, a lane attribute is not a number, or the
        normalisation cannot be done (no Positive or Housekeeping probes, bad *settings*).
    """
    thresholds = thresholds or QcThresholds()
    if not rccs:
        return []
    factors = derive_normalized_counts(derive_count_matrix(rccs), settings=settings).factors
    pos_factor = factors["pos_factor"].astype(float).to_dict()
    hk_factor = factors["hk_factor"].astype(float).to_dict()
    out = []
    for rcc in rccs:
        metrics = compute_lane_metrics(rcc, thresholds=thresholds)
        metrics["pos_factor"] = pos_factor[rcc.source]
        metrics["hk_factor"] = hk_factor[rcc.source]
        scanner = classify_scanner(rcc.lane_attributes.get("ScannerID", ""))
        out.append(grade_lane_qc(rcc.source, metrics, thresholds=thresholds, scanner=scanner))
    return out


_METRIC_COLUMNS = (
    "fov_ratio", "binding_density", "binding_density_limit", "pos_linearity_r2", "pos_e",
    "lod_cutoff", "pos_geomean", "hk_geomean", "pos_factor", "hk_factor",
)


def derive_qc_table(
    lanes: Sequence[LaneQc], *, refused: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per file: ``file``, scanner, each metric, each flag (``flag_<rule>``) with its
    threshold (``threshold_<rule>``, e.g. ``< 0.75``), ``pass`` and ``reason``.

    Parameters
    ----------
    lanes
        Graded lanes (:func:`grade_batch_qc`).
    refused
        Files that were not read (name → reason); they get ``pass`` False and their reason.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``file``; a rule not applied to a lane has ``None`` flag and threshold.
    """
    rows: list[dict[str, object]] = []
    for lane in lanes:
        row: dict[str, object] = {"file": lane.source, "scanner": lane.scanner}
        row.update({m: lane.metrics.get(m, float("nan")) for m in _METRIC_COLUMNS})
        flags = {f.rule: f for f in lane.flags}
        for rule in QC_RULES:
            flag = flags.get(rule.name)
            row[f"flag_{rule.name}"] = None if flag is None else flag.flagged
            row[f"threshold_{rule.name}"] = (
                None if flag is None else f"{flag.comparison} {flag.threshold:.4g}"
            )
        row["pass"] = lane.passed
        row["reason"] = "; ".join(lane.reasons)
        rows.append(row)
    for name, reason in (refused or {}).items():
        rows.append({"file": name, "pass": False, "reason": reason})
    rule_columns = [c for r in QC_RULES for c in (f"flag_{r.name}", f"threshold_{r.name}")]
    columns = ["file", "scanner", *_METRIC_COLUMNS, *rule_columns, "pass", "reason"]
    return pd.DataFrame(rows, columns=columns).sort_values("file", ignore_index=True)
