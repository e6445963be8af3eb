"""Vectorised RECIST 1.1 timepoint response: target sums, non-target, new lesions, overall.

Every step is a pandas/numpy operation over all subjects at once (group sums, cumulative
minima, ``np.select`` over the ordered named rules of ``data/recist_1_1.yaml``); there is no
per-subject Python loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from oncotrial.rules.recist._input import KeyedInput
from oncotrial.rules.recist._rules import (
    NEW_CATEGORIES,
    NONTARGET_CATEGORIES,
    TARGET_CATEGORIES,
    NamedRule,
    RecistRules,
)
from oncotrial.rules.recist._settings import RecistSettings

__all__ = [
    "TIMEPOINT_COLUMNS",
    "classify_keyed_timepoints",
    "first_match",
    "lesion_disappeared",
    "target_sum_progressed",
    "target_sum_responded",
]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

TIMEPOINT_COLUMNS = (
    "subject",
    "evaluator",
    "visitnum",
    "visit",
    "date",
    "n_target",
    "n_target_assessed",
    "sum_mm",
    "baseline_sum_mm",
    "nadir_mm",
    "change_from_baseline_pct",
    "change_from_nadir_pct",
    "change_from_nadir_mm",
    "target_response",
    "target_rule",
    "nontarget_response",
    "nontarget_rule",
    "new_lesion",
    "new_lesion_rule",
    "overall_response",
    "overall_rule",
)

_REL_TOL = 1e-9  # compare thresholds at the precision of the data, not of float rounding


def _ge(a: FloatArray, b: FloatArray) -> BoolArray:
    """``a >= b`` tolerant to binary rounding (10 * 1.2 must equal 12)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(a >= b - _REL_TOL * np.maximum(1.0, np.abs(b)), dtype=bool)


def _le(a: FloatArray, b: FloatArray) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(a <= b + _REL_TOL * np.maximum(1.0, np.abs(b)), dtype=bool)


def first_match(
    rules: Sequence[NamedRule], conditions: Mapping[str, BoolArray | bool],
    shape: tuple[int, ...],
) -> npt.NDArray[np.int64]:
    """Index (into *rules*) of the first rule whose condition holds, element-wise; −1 where
    none does. *conditions* maps every rule name to a boolean array of *shape* (or a bool).

    Parameters
    ----------
    rules
        An ordered first-match rule list of the rule data (earlier rules win).
    conditions
        Rule name -> whether its condition holds, per element (a bool holds everywhere).
    shape
        Shape of the result (the number of assessments, for a 1-D list).

    Returns
    -------
    numpy.ndarray of int64
        Per element, the position in *rules* of the first rule that holds, or −1.

    Raises
    ------
    KeyError
        If *conditions* lacks the name of a rule.
    """
    index = np.full(shape, -1, dtype=np.int64)
    for order in range(len(rules) - 1, -1, -1):  # the earliest true rule is written last
        index = np.where(conditions[rules[order].name], order, index)
    return index


def _select(
    rules: Sequence[NamedRule], conditions: dict[str, BoolArray], size: int
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """First-match over ordered named rules: (outcome, rule name) per row."""
    index = first_match(rules, conditions, (size,))
    if size and (index < 0).any():  # the last rule of each list is unconditional
        raise AssertionError("RECIST rule list is not exhaustive")  # pragma: no cover
    outcome = np.array([r.outcome for r in rules], dtype=object)[index]
    names = np.array([r.name for r in rules], dtype=object)[index]
    return outcome, names


def target_sum_progressed(sums: FloatArray, nadir: FloatArray, rules: RecistRules) -> BoolArray:
    """Sum ≥ (1 + 20 %) × nadir and ≥ nadir + 5 mm (RECIST 1.1 §4.3.1 PD; values from the
    rule data); False where either is missing.

    Parameters
    ----------
    sums, nadir
        Sum of target diameters at each assessment and the smallest sum on study before it
        (baseline included), in mm.
    rules
        The RECIST rule data (thresholds ``pd_increase_fraction`` and
        ``pd_min_absolute_increase_mm``).

    Returns
    -------
    numpy.ndarray of bool
        Whether the sum shows progression; both comparisons tolerate binary rounding
        (10 × 1.2 equals 12).

    Examples
    --------
    From a nadir of 20 mm, 24 mm is +20 % but only +4 mm: not PD; 25 mm is. From 50 mm,
    60 mm is PD:

    >>> import numpy as np
    >>> from oncotrial.rules.recist import load_recist_rules, target_sum_progressed
    >>> target_sum_progressed(np.array([24.0, 25.0, 60.0]), np.array([20.0, 20.0, 50.0]),
    ...                       load_recist_rules())
    array([False,  True,  True])
    """
    pd_fraction = rules.threshold("pd_increase_fraction")
    pd_abs = rules.threshold("pd_min_absolute_increase_mm")
    return _ge(sums, nadir * (1.0 + pd_fraction)) & _ge(sums - nadir, np.full_like(sums, pd_abs))


def target_sum_responded(sums: FloatArray, base: FloatArray, rules: RecistRules) -> BoolArray:
    """Sum ≤ (1 − 30 %) × baseline sum (RECIST 1.1 §4.3.1 PR; value from the rule data).

    Parameters
    ----------
    sums, base
        Sum of target diameters at each assessment and at baseline, in mm.
    rules
        The RECIST rule data (threshold ``pr_decrease_fraction``).

    Returns
    -------
    numpy.ndarray of bool
        Whether the sum fell by at least 30 % from baseline; False where either is missing.

    Examples
    --------
    From a baseline sum of 100 mm, 70 mm (−30 %) is a response, 71 mm is not:

    >>> import numpy as np
    >>> from oncotrial.rules.recist import load_recist_rules, target_sum_responded
    >>> target_sum_responded(np.array([70.0, 71.0]), np.array([100.0, 100.0]),
    ...                      load_recist_rules())
    array([ True, False])
    """
    return _le(sums, base * (1.0 - rules.threshold("pr_decrease_fraction")))


def lesion_disappeared(value: FloatArray, nodal: BoolArray, rules: RecistRules) -> BoolArray:
    """A target lesion in CR: 0 mm, or a node with short axis < 10 mm (RECIST 1.1 §4.3.1);
    False where not measured.

    Parameters
    ----------
    value
        Diameter of each lesion in mm (long axis; short axis for a node); NaN when not
        measured.
    nodal
        Whether each lesion is a lymph node.
    rules
        The RECIST rule data (threshold ``node_cr_below_mm``).

    Returns
    -------
    numpy.ndarray of bool
        Whether each lesion has disappeared in the RECIST sense.

    Examples
    --------
    A node of 9.9 mm short axis is normal, one of 10 mm is not; a non-nodal lesion must
    measure 0 mm:

    >>> import numpy as np
    >>> from oncotrial.rules.recist import lesion_disappeared, load_recist_rules
    >>> lesion_disappeared(np.array([9.9, 10.0, 0.0, 1.0, np.nan]),
    ...                    np.array([True, True, False, False, False]), load_recist_rules())
    array([ True, False,  True, False, False])
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(
            np.where(nodal, value < rules.threshold("node_cr_below_mm"), value == 0.0), dtype=bool
        )


def _lesion_grid(keyed: KeyedInput, role: str) -> pd.DataFrame:
    """Every (assessment, lesion of *role*) pair with that lesion's record at that visit.

    Built with integer arithmetic: lesions of a role are grouped by subject-evaluator (``sk``),
    each assessment is repeated once per lesion of its ``sk``, and records are found by the
    key ``ak * n_lesions + lk``."""
    les = keyed.lesions.loc[keyed.lesions["role"] == role, ["sk", "lk", "nodal"]]
    les = les.sort_values(["sk", "lk"], kind="stable")
    n_sk = (
        max(
            int(keyed.assessments["sk"].to_numpy().max(initial=-1)),
            int(les["sk"].to_numpy().max(initial=-1)),
        )
        + 1
    )
    per_sk = np.bincount(les["sk"].to_numpy(dtype=np.int64), minlength=n_sk)
    first_of_sk = np.concatenate([[0], np.cumsum(per_sk)[:-1]])
    a_ak = keyed.assessments["ak"].to_numpy(dtype=np.int64)
    a_sk = keyed.assessments["sk"].to_numpy(dtype=np.int64)
    counts = per_sk[a_sk]
    rows_ak = np.repeat(a_ak, counts)
    # position of each grid row's lesion inside the sorted lesion table
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    lesion_row = np.repeat(first_of_sk[a_sk], counts) + offsets
    rows_lk = les["lk"].to_numpy(dtype=np.int64)[lesion_row]
    n_lk = len(keyed.lesions) + 1
    meas = keyed.measurements
    mine = (meas["role"] == role).to_numpy()
    meas_key = meas["ak"].to_numpy(dtype=np.int64)[mine] * n_lk + meas["lk"].to_numpy()[mine]
    found = pd.Index(meas_key).get_indexer(pd.Index(rows_ak * n_lk + rows_lk))
    diam = meas["diameter_mm"].to_numpy(dtype=float)[mine]
    state = meas["state"].to_numpy(dtype=object)[mine]
    has = found >= 0
    return pd.DataFrame(
        {
            "ak": rows_ak,
            "lk": rows_lk,
            "nodal": les["nodal"].to_numpy(dtype=bool)[lesion_row],
            "diameter_mm": np.where(
                has, diam[np.where(has, found, 0)] if len(diam) else np.nan, np.nan
            ),
            "state": np.where(
                has, state[np.where(has, found, 0)] if len(state) else "", "NOT DONE"
            ),
        }
    )


def _target_values(grid: pd.DataFrame, settings: RecistSettings) -> FloatArray:
    """Diameter used in the sum: the number if given (even < 5 mm), else 0 for ABSENT and the
    protocol's too-small-to-measure value for TOO SMALL TO MEASURE (RECIST 1.1 §4.3.1 note;
    CDISC TR note; EORTC Q&A "Lesions less than 5 mm")."""
    value = grid["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    state = grid["state"].to_numpy()
    missing = np.isnan(value)
    value = np.where(missing & (state == "ABSENT"), 0.0, value)
    return np.where(
        missing & (state == "TOO SMALL TO MEASURE"), settings.too_small_to_measure_mm, value
    )


def _target_block(keyed: KeyedInput, settings: RecistSettings, rules: RecistRules) -> pd.DataFrame:
    grid = _lesion_grid(keyed, "TARGET")
    value = _target_values(grid, settings)
    assessed = ~np.isnan(value)
    nodal = grid["nodal"].to_numpy(dtype=bool)
    lesion_cr = assessed & lesion_disappeared(value, nodal, rules)
    work = pd.DataFrame(
        {
            "ak": grid["ak"].to_numpy(),
            "value": np.where(assessed, value, 0.0),
            "assessed": assessed,
            "lesion_cr": lesion_cr,
        }
    )
    agg = work.groupby("ak", sort=True).agg(
        sum_mm=("value", "sum"),
        n_target_assessed=("assessed", "sum"),
        n_target=("assessed", "size"),
        n_cr=("lesion_cr", "sum"),
    )
    out = keyed.assessments[["ak", "sk", "is_baseline"]].merge(
        agg, left_on="ak", right_index=True, how="left"
    )
    out[["n_target_assessed", "n_target", "n_cr"]] = (
        out[["n_target_assessed", "n_target", "n_cr"]].fillna(0).astype(int)
    )
    out.loc[out["n_target"] == 0, "sum_mm"] = np.nan
    return _target_reference_sums(out)


def _target_reference_sums(out: pd.DataFrame) -> pd.DataFrame:
    """Baseline sum (first assessment) and nadir (smallest complete sum before this one,
    baseline included: RECIST 1.1 §4.3.1 PD)."""
    complete = (out["n_target"] > 0) & (out["n_target_assessed"] == out["n_target"])
    complete_sum = out["sum_mm"].where(complete)
    baseline = complete_sum.where(out["is_baseline"])
    out["baseline_sum_mm"] = baseline.groupby(out["sk"]).transform("first")
    running_min = complete_sum.groupby(out["sk"]).cummin()
    running_min = running_min.groupby(out["sk"]).ffill()
    out["nadir_mm"] = running_min.groupby(out["sk"]).shift(1)
    return out


def _target_response(
    out: pd.DataFrame, rules: RecistRules
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    sums = out["sum_mm"].to_numpy(dtype=float, na_value=np.nan)
    base = out["baseline_sum_mm"].to_numpy(dtype=float, na_value=np.nan)
    nadir = out["nadir_mm"].to_numpy(dtype=float, na_value=np.nan)
    n_target = out["n_target"].to_numpy()
    all_assessed = out["n_target_assessed"].to_numpy() == n_target
    has_reference = ~np.isnan(base) & ~np.isnan(nadir)
    conditions = {
        "target_none_at_baseline": n_target == 0,
        "target_ne_no_baseline_sum": ~has_reference,
        "target_pd_sum_increase": target_sum_progressed(sums, nadir, rules),
        "target_ne_not_all_assessed": ~all_assessed,
        "target_cr_all_gone": out["n_cr"].to_numpy() == n_target,
        "target_pr_30pct_decrease": target_sum_responded(sums, base, rules),
        "target_sd": np.ones(len(out), dtype=bool),
    }
    return _select(rules.target_rules, conditions, len(out))


def _nontarget_block(
    keyed: KeyedInput, rules: RecistRules
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    grid = _lesion_grid(keyed, "NON-TARGET")
    state = grid["state"].to_numpy()
    diam = grid["diameter_mm"].to_numpy(dtype=float, na_value=np.nan)
    nodal = grid["nodal"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        # a non-target node measured < 10 mm short axis is normal, i.e. absent (RECIST §4.3.2)
        normal_node = nodal & (diam < rules.threshold("node_cr_below_mm"))
    work = pd.DataFrame(
        {
            "ak": grid["ak"].to_numpy(),
            "pd": state == "UNEQUIVOCAL",
            "missing": state == "NOT DONE",
            "absent": (state == "ABSENT") | (normal_node & (state != "UNEQUIVOCAL")),
        }
    )
    agg = work.groupby("ak", sort=True).agg(
        any_pd=("pd", "any"),
        any_missing=("missing", "any"),
        all_absent=("absent", "all"),
        n=("pd", "size"),
    )
    agg = agg.reindex(keyed.assessments["ak"], fill_value=0)
    n = agg["n"].to_numpy()
    conditions = {
        "nontarget_none_at_baseline": n == 0,
        "nontarget_pd_unequivocal": agg["any_pd"].to_numpy(dtype=bool),
        "nontarget_ne_not_all_assessed": agg["any_missing"].to_numpy(dtype=bool),
        "nontarget_cr_all_absent": agg["all_absent"].to_numpy(dtype=bool),
        "nontarget_non_cr_non_pd": np.ones(len(agg), dtype=bool),
    }
    return _select(rules.nontarget_rules, conditions, len(agg))


def _new_lesion_block(
    keyed: KeyedInput, rules: RecistRules
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    meas = keyed.measurements
    new = meas.loc[meas["role"] == "NEW", ["ak", "lk", "date", "state"]]
    new = new.loc[~new["state"].isin(["NOT DONE", "ABSENT"])]
    equivocal = new["state"] == "EQUIVOCAL"
    first_unequivocal = new.loc[~equivocal].groupby("lk")["date"].min()
    confirmed_on = new["lk"].map(first_unequivocal)
    # RECIST 1.1 §4.3.3: an equivocal new lesion later confirmed dates PD to its first sighting
    confirmed_later = equivocal & confirmed_on.notna() & (confirmed_on > new["date"])
    work = pd.DataFrame(
        {
            "ak": new["ak"].to_numpy(),
            "unequivocal": (~equivocal).to_numpy(),
            "confirmed": confirmed_later.to_numpy(dtype=bool),
            "equivocal": equivocal.to_numpy(),
        }
    )
    agg = work.groupby("ak", sort=True).any().reindex(keyed.assessments["ak"], fill_value=False)
    size = len(agg)
    conditions = {
        "new_lesion_unequivocal": agg["unequivocal"].to_numpy(dtype=bool),
        "new_lesion_equivocal_confirmed_later": agg["confirmed"].to_numpy(dtype=bool),
        "new_lesion_equivocal_unconfirmed": agg["equivocal"].to_numpy(dtype=bool),
        "new_lesion_none": np.ones(size, dtype=bool),
    }
    return _select(rules.new_lesion_rules, conditions, size)


def _overall(
    target: npt.NDArray[np.object_],
    nontarget: npt.NDArray[np.object_],
    new: npt.NDArray[np.object_],
    rules: RecistRules,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Look the combination up in RECIST 1.1 Tables 1-2 (first-match rows from the data)."""
    table = rules.overall_table()
    shape = (len(TARGET_CATEGORIES), len(NONTARGET_CATEGORIES), len(NEW_CATEGORIES))
    outcome_grid = np.empty(shape, dtype=object)
    rule_grid = np.empty(shape, dtype=object)
    for (t, n, w), (result, name) in table.items():
        idx = (TARGET_CATEGORIES.index(t), NONTARGET_CATEGORIES.index(n), NEW_CATEGORIES.index(w))
        outcome_grid[idx] = result
        rule_grid[idx] = name
    ti = pd.Index(TARGET_CATEGORIES).get_indexer(pd.Index(target))
    ni = pd.Index(NONTARGET_CATEGORIES).get_indexer(pd.Index(nontarget))
    wi = pd.Index(NEW_CATEGORIES).get_indexer(pd.Index(new))
    return outcome_grid[ti, ni, wi], rule_grid[ti, ni, wi]


def _percent(num: pd.Series, den: pd.Series) -> pd.Series:
    den_values = den.to_numpy(dtype=float, na_value=np.nan)
    num_values = num.to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(den_values) & (den_values > 0) & ~np.isnan(num_values)
    out = np.full(len(den_values), np.nan)
    np.divide(100.0 * num_values, den_values, out=out, where=ok)
    return pd.Series(out, index=num.index)


def classify_keyed_timepoints(
    keyed: KeyedInput, settings: RecistSettings, rules: RecistRules
) -> pd.DataFrame:
    """All timepoint responses (post-baseline assessments only) as one DataFrame."""
    target = _target_block(keyed, settings, rules)
    target_resp, target_rule = _target_response(target, rules)
    nontarget_resp, nontarget_rule = _nontarget_block(keyed, rules)
    new_resp, new_rule = _new_lesion_block(keyed, rules)
    overall, overall_rule = _overall(target_resp, nontarget_resp, new_resp, rules)
    a = keyed.assessments
    out = pd.DataFrame(
        {
            "subject": a["subject"].to_numpy(),
            "evaluator": a["evaluator"].to_numpy(),
            "visitnum": a["visitnum"].to_numpy(),
            "visit": a["visit"].to_numpy(),
            "date": a["date"].to_numpy(),
            "n_target": target["n_target"].to_numpy(),
            "n_target_assessed": target["n_target_assessed"].to_numpy(),
            "sum_mm": target["sum_mm"].to_numpy(),
            "baseline_sum_mm": target["baseline_sum_mm"].to_numpy(),
            "nadir_mm": target["nadir_mm"].to_numpy(),
        }
    )
    out["change_from_baseline_pct"] = _percent(
        out["sum_mm"] - out["baseline_sum_mm"], out["baseline_sum_mm"]
    )
    out["change_from_nadir_mm"] = out["sum_mm"] - out["nadir_mm"]
    out["change_from_nadir_pct"] = _percent(out["change_from_nadir_mm"], out["nadir_mm"])
    out["target_response"] = target_resp
    out["target_rule"] = target_rule
    out["nontarget_response"] = nontarget_resp
    out["nontarget_rule"] = nontarget_rule
    out["new_lesion"] = new_resp
    out["new_lesion_rule"] = new_rule
    out["overall_response"] = overall
    out["overall_rule"] = overall_rule
    post = ~a["is_baseline"].to_numpy(dtype=bool)
    return out.loc[post, list(TIMEPOINT_COLUMNS)].reset_index(drop=True)
