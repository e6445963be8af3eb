"""Baseline checks of lesion selection (RECIST 1.1 §3.1-3.3), reported per lesion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oncotrial.rules.recist._input import KeyedInput
from oncotrial.rules.recist._rules import RecistRules
from oncotrial.rules.recist._settings import RecistSettings

__all__ = ["BASELINE_CHECK_COLUMNS", "check_keyed_baseline"]

BASELINE_CHECK_COLUMNS = ("subject", "evaluator", "lesion_id", "check", "value_mm", "message")
_NODE_ORGAN = "LYMPH NODE"  # EORTC Q&A "Two target lesions": all nodes count as one organ


def _baseline_records(keyed: KeyedInput) -> pd.DataFrame:
    base = keyed.assessments.loc[keyed.assessments["is_baseline"], ["ak", "sk"]]
    meas = keyed.measurements[["ak", "lk", "diameter_mm", "state"]]
    les = keyed.lesions.merge(base, on="sk", how="left")
    return les.merge(meas, on=["ak", "lk"], how="left")


def _issue(frame: pd.DataFrame, mask: pd.Series, check: str, message: str) -> pd.DataFrame:
    hit = frame.loc[mask]
    return pd.DataFrame(
        {
            "subject": hit["subject"].to_numpy(),
            "evaluator": hit["evaluator"].to_numpy(),
            "lesion_id": hit["lesion_id"].to_numpy(),
            "check": check,
            "value_mm": hit["diameter_mm"].to_numpy(dtype=float, na_value=np.nan),
            "message": message,
        }
    )


def _excess(targets: pd.DataFrame, by: list[str], limit: int) -> pd.Series:
    """Lesions beyond *limit* per group, ranking the largest first (order-independent)."""
    ranked = targets.sort_values(
        [*by, "diameter_mm", "lesion_id"],
        ascending=[True] * len(by) + [False, True],
        kind="stable",
        na_position="last",
    )
    position = ranked.groupby(by, sort=False).cumcount()
    return (position >= limit).reindex(targets.index)


def check_keyed_baseline(
    keyed: KeyedInput, settings: RecistSettings, rules: RecistRules
) -> pd.DataFrame:
    """One row per violated check and lesion (empty frame when the baseline is clean)."""
    rec = _baseline_records(keyed)
    diam = rec["diameter_mm"]
    target = rec["role"] == "TARGET"
    nontarget = rec["role"] == "NON-TARGET"
    nodal = rec["nodal"].astype(bool)
    measurable = rules.threshold("measurable_min_mm")
    node_target = rules.threshold("node_target_min_mm")
    node_path = rules.threshold("node_pathological_min_mm")
    targets = rec.loc[target].copy()
    targets["organ_key"] = np.where(
        targets["nodal"].astype(bool), _NODE_ORGAN, targets["organ"].astype(str).str.upper()
    )
    excess_total = _excess(targets, ["sk"], settings.max_target_lesions)
    excess_organ = _excess(targets, ["sk", "organ_key"], settings.max_target_per_organ)
    issues = [
        _issue(
            rec,
            target & diam.isna(),
            "target_missing_baseline_measurement",
            "target lesion has no baseline diameter; the baseline sum cannot be formed",
        ),
        _issue(
            rec,
            target & ~nodal & (diam < measurable),
            "target_not_measurable",
            f"non-nodal target lesion longest diameter < {measurable:g} mm (RECIST 1.1 §3.1.2)",
        ),
        _issue(
            rec,
            target & nodal & (diam < node_target),
            "target_node_below_15mm",
            f"nodal target short axis < {node_target:g} mm is not measurable (RECIST 1.1 §3.1.2)",
        ),
        _issue(
            rec,
            nontarget & nodal & (diam < node_path),
            "nontarget_node_not_pathological",
            f"non-target node short axis < {node_path:g} mm is normal (RECIST 1.1 §3.1.2)",
        ),
        _issue(
            rec,
            (rec["role"] == "NEW") & rec["ak"].notna() & rec["state"].notna(),
            "new_lesion_at_baseline",
            "a lesion recorded as NEW at the baseline assessment",
        ),
        _issue(
            targets,
            excess_total,
            "too_many_target_lesions",
            f"more than {settings.max_target_lesions} target lesions (RECIST 1.1 §3.3); "
            "this lesion is beyond the limit when ranked by size",
        ),
        _issue(
            targets,
            excess_organ,
            "too_many_targets_in_organ",
            f"more than {settings.max_target_per_organ} target lesions in one organ "
            "(RECIST 1.1 §3.3; lymph nodes count as one organ)",
        ),
    ]
    out = (
        pd.concat([i for i in issues if len(i)], ignore_index=True)
        if any(len(i) for i in issues)
        else pd.DataFrame(columns=list(BASELINE_CHECK_COLUMNS))
    )
    return out.sort_values(["subject", "evaluator", "lesion_id", "check"], kind="stable")[
        list(BASELINE_CHECK_COLUMNS)
    ].reset_index(drop=True)
