"""Pre/post statistics for translational scores and genes (the patient is the unit).

* Paired change Δ = post − pre on the log2 scale per patient; patients without both biopsies
  drop out of paired tests.
* Primary test: Wilcoxon signed-rank on Δ (``scipy.stats.wilcoxon``, exact for small n
  without ties or zeros); secondary: paired t (``scipy.stats.ttest_rel``). Reported with the
  number of pairs, median and mean Δ and the Hodges–Lehmann estimate (median of Walsh
  averages). (translational.md §5.)
* Benjamini–Hochberg q-values (``scipy.stats.false_discovery_control``) within the family
  passed in one call: call once for the cell types + TIS and once for the genes.
* Responders (RECIST 1.1 CR/PR) vs non-responders: Mann–Whitney U, two-sided.
* Baseline score vs PFS: Cox proportional hazards (:func:`oncotrial.stats.estimate_cox_ph`,
  Efron ties, as R coxph), HR per 1 log2 unit.

Sample sheet columns: ``file``, ``subject``, ``timepoint`` (``pre``/``post``); optional
``response`` (RECIST category or ``responder``/``non-responder``), ``pfs_months`` and
``pfs_event`` (1 = progression or death, 0 = censored).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from oncotrial.errors import DataError, DesignError
from oncotrial.stats import estimate_cox_ph

__all__ = [
    "RESPONDER_CATEGORIES",
    "TestTable",
    "compute_benjamini_hochberg",
    "compute_hodges_lehmann",
    "compute_hodges_lehmann_ci",
    "compute_signed_rank_critical_value",
    "derive_paired_values",
    "estimate_paired_tests",
    "estimate_pfs_association",
    "estimate_response_association",
    "validate_sample_sheet",
]

# RECIST 1.1 objective response = CR or PR (Eisenhauer et al., Eur J Cancer 2009;45:228 §4.4).
RESPONDER_CATEGORIES = frozenset({"CR", "PR", "RESPONDER", "YES", "TRUE", "1"})
_NON_RESPONDER = frozenset({"SD", "PD", "NE", "NON-CR/NON-PD", "NON-RESPONDER", "NO", "FALSE",
                            "0"})
_TIMEPOINTS = ("pre", "post")


@dataclass(frozen=True)
class TestTable:
    """A table of per-feature tests with the family over which q-values were adjusted."""

    table: pd.DataFrame = field(repr=False)
    family: str
    method: str


def validate_sample_sheet(samples: pd.DataFrame) -> pd.DataFrame:
    """Check a sample sheet and return it with ``timepoint`` lower-cased and ``file`` as index.

    Parameters
    ----------
    samples
        One row per sample file: ``file``, ``subject``, ``timepoint`` (``pre``/``post``, any
        case, surrounding blanks ignored); optional ``response``, ``pfs_months``, ``pfs_event``
        and ``til_stromal_percent``. Not modified.

    Returns
    -------
    pandas.DataFrame
        A copy indexed by ``file``, with ``subject`` as text and ``timepoint`` stripped and
        lower-cased.

    Raises
    ------
    DataError
        Missing columns, unknown timepoints, duplicated files or duplicated subject/timepoint,
        an unknown ``response`` category, ``pfs_months`` not a number ≥ 0, ``pfs_event`` not 0
        or 1, or ``til_stromal_percent`` outside 0–100.
    """
    missing = [c for c in ("file", "subject", "timepoint") if c not in samples.columns]
    if missing:
        raise DataError("sample sheet lacks column(s)", field="columns", value=missing,
                        allowed="file, subject, timepoint[, response, pfs_months, pfs_event]")
    sheet = samples.copy()
    sheet["subject"] = sheet["subject"].astype(str)
    sheet["timepoint"] = sheet["timepoint"].astype(str).str.strip().str.lower()
    bad = sheet.loc[~sheet["timepoint"].isin(_TIMEPOINTS)]
    if not bad.empty:
        row = bad.iloc[0]
        raise DataError("unknown timepoint", field="timepoint", value=row["timepoint"],
                        allowed="pre, post", subject=str(row["subject"]))
    dup = sheet.duplicated(subset=["subject", "timepoint"], keep=False)
    if dup.any():
        row = sheet.loc[dup].iloc[0]
        raise DataError("two samples for one subject and timepoint", field="file",
                        value=list(sheet.loc[dup, "file"]), allowed="one per subject/timepoint",
                        subject=str(row["subject"]), visit=str(row["timepoint"]))
    if sheet["file"].duplicated().any():
        raise DataError("file listed twice", field="file",
                        value=list(sheet.loc[sheet["file"].duplicated(), "file"]),
                        allowed="each file once")
    if "response" in sheet.columns:
        _responders(sheet)  # unknown categories refused here, before any analysis
    _check_pfs(sheet)
    return sheet.set_index("file")


def _check_pfs(sheet: pd.DataFrame) -> None:
    """PFS and TIL columns, when present: months a number ≥ 0, event 0 or 1, stromal TILs a
    percentage (blank = not known)."""
    checks = (("pfs_months", "a number ≥ 0 or blank"),
              ("pfs_event", "0 (censored), 1 (event) or blank"),
              ("til_stromal_percent", "a percentage 0-100 or blank"))
    for column, allowed in checks:
        if column not in sheet.columns:
            continue
        raw = sheet[column]
        given = raw.notna() & (raw.astype(str).str.strip() != "")
        number = pd.to_numeric(raw.where(given), errors="coerce").fillna(-1.0)
        valid = (number.isin([0.0, 1.0]) if column == "pfs_event"
                 else (number >= 0) & ((number <= 100) | (column == "pfs_months")))
        bad = given & ~valid
        if bad.any():
            row = sheet.loc[bad].iloc[0]
            raise DataError("bad value in sample sheet", field=column, value=row[column],
                            allowed=allowed, subject=str(row["subject"]))


def derive_paired_values(values: pd.DataFrame, *, samples: pd.DataFrame) -> pd.DataFrame:
    """Long table of paired values: ``subject, feature, pre, post, delta`` (+ ``response``).

    Parameters
    ----------
    values
        Rows = files (samples), columns = features (scores or genes). Files not in the sample
        sheet are ignored.
    samples
        The sample sheet (see :func:`validate_sample_sheet`).

    Returns
    -------
    pandas.DataFrame
        One row per subject and feature with both a ``pre`` and a ``post`` value;
        ``delta`` = post − pre; ``response`` when the sample sheet has that column.

    Raises
    ------
    DataError
        The sample sheet is invalid (:func:`validate_sample_sheet`).
    """
    sheet = validate_sample_sheet(samples)
    known = sheet.index.intersection(values.index)
    long = (values.loc[known].rename_axis("file").reset_index()
            .melt(id_vars="file", var_name="feature", value_name="value"))
    long = long.join(sheet[["subject", "timepoint"]], on="file")
    wide = long.pivot_table(index=["subject", "feature"], columns="timepoint", values="value",
                            aggfunc="first")
    for tp in _TIMEPOINTS:
        if tp not in wide.columns:
            wide[tp] = np.nan
    wide = wide.dropna(subset=list(_TIMEPOINTS)).reset_index()
    wide["delta"] = wide["post"] - wide["pre"]
    if "response" in sheet.columns:
        response = sheet.groupby("subject")["response"].first()
        wide["response"] = wide["subject"].map(response)
    wide.columns.name = None
    return wide[[c for c in ("subject", "feature", "pre", "post", "delta", "response")
                 if c in wide.columns]]


def compute_hodges_lehmann(delta: npt.ArrayLike) -> float:
    """One-sample Hodges–Lehmann estimate: median of all Walsh averages (dᵢ + dⱼ)/2, i ≤ j.

    Parameters
    ----------
    delta
        Paired differences (post − pre).

    Returns
    -------
    float
        The pseudo-median (R ``wilcox.test(delta, conf.int = TRUE)$estimate``); NaN when empty.

    Examples
    --------
    The Walsh averages of 1, 2, 4 are 1, 1.5, 2, 2.5, 3, 4; their median is 2.25.

    >>> from oncotrial.translational import compute_hodges_lehmann
    >>> compute_hodges_lehmann([1.0, 2.0, 4.0])
    2.25
    """
    d = np.asarray(delta, dtype=float)
    if d.size == 0:
        return float("nan")
    i, j = np.triu_indices(d.size)
    return float(np.median((d[i] + d[j]) / 2.0))


def compute_signed_rank_critical_value(n: int, *, alpha: float = 0.05) -> int:
    """Largest c with P(T ≤ c) ≤ alpha/2 under the exact null of the signed-rank statistic T.

    The null counts the subsets of {1, …, n} by rank sum (2^n equally likely sign patterns).

    Parameters
    ----------
    n
        Number of pairs (non-zero differences).
    alpha
        Two-sided significance level.

    Returns
    -------
    int
        The critical value c (reject when T ≤ c; R: largest c with ``psignrank(c, n)`` ≤
        alpha/2); −1 when even c = 0 is too likely (n too small for the level).

    Raises
    ------
    DataError
        *n* < 1.

    Examples
    --------
    Two-sided 5 %: T ≤ 8 is significant for 10 pairs, as the standard tables of the Wilcoxon
    signed-rank test give; 5 pairs can never reach 5 %.

    >>> from oncotrial.translational import compute_signed_rank_critical_value
    >>> compute_signed_rank_critical_value(10), compute_signed_rank_critical_value(5)
    (8, -1)
    """
    if n < 1:
        raise DataError("need at least one pair", field="n", value=n, allowed="≥ 1")
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    cdf = np.cumsum(counts) / 2.0**n
    return int(np.searchsorted(cdf, alpha / 2.0, side="right")) - 1


def compute_hodges_lehmann_ci(
    delta: npt.ArrayLike, *, conf_level: float = 0.95
) -> tuple[float, float]:
    """Distribution-free CI for the pseudo-median from the sorted Walsh averages.

    With c = :func:`compute_signed_rank_critical_value` and M = n(n+1)/2 Walsh averages, the
    interval is [W₍c+1₎, W₍M−c₎] (Hollander & Wolfe, Nonparametric Statistical Methods, §3.3);
    exact without ties or zeros.

    Parameters
    ----------
    delta
        Paired differences (post − pre).
    conf_level
        Two-sided confidence level.

    Returns
    -------
    tuple of float
        ``(lower, upper)``; both NaN when *delta* is empty or n is too small for the level.

    Examples
    --------
    Hamilton depression scores before and after a tranquilizer (Hollander & Wolfe, p. 29, the
    data of R's ``?wilcox.test`` example); R ``wilcox.test(x, y, paired = TRUE,
    conf.int = TRUE)`` gives the 95 % interval 0.01 to 0.786:

    >>> from oncotrial.translational import compute_hodges_lehmann_ci
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> lower, upper = compute_hodges_lehmann_ci([a - b for a, b in zip(x, y)])
    >>> round(lower, 3), round(upper, 3)
    (0.01, 0.786)
    """
    d = np.asarray(delta, dtype=float)
    if d.size == 0:
        return float("nan"), float("nan")
    c = compute_signed_rank_critical_value(d.size, alpha=1.0 - conf_level)
    if c < 0:
        return float("nan"), float("nan")
    i, j = np.triu_indices(d.size)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    return float(walsh[c]), float(walsh[walsh.size - 1 - c])


def compute_benjamini_hochberg(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini–Hochberg q-values; NaN p-values stay NaN and are not counted in m.

    Parameters
    ----------
    p_values
        One p-value per test; NaN for a test not done.

    Returns
    -------
    numpy.ndarray
        The q-values in the input order (R ``p.adjust(p, method = "BH")``).

    Examples
    --------
    R ``p.adjust(c(0.001, 0.01, 0.03, 0.04, 0.2), "BH")`` gives 0.005, 0.025, 0.05, 0.05, 0.2:

    >>> from oncotrial.translational import compute_benjamini_hochberg
    >>> compute_benjamini_hochberg([0.001, 0.01, 0.03, 0.04, 0.2, float("nan")]).tolist()
    [0.005, 0.025, 0.05, 0.05, 0.2, nan]
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = sps.false_discovery_control(p[ok], method="bh")
    return q


def _paired_row(delta: npt.NDArray[np.float64]) -> dict[str, float]:
    n = delta.size
    row = {"n_pairs": float(n), "median_delta": float(np.median(delta)) if n else np.nan,
           "mean_delta": float(np.mean(delta)) if n else np.nan,
           "hodges_lehmann": compute_hodges_lehmann(delta),
           "hl_lower": compute_hodges_lehmann_ci(delta)[0],
           "hl_upper": compute_hodges_lehmann_ci(delta)[1],
           "wilcoxon_stat": np.nan, "wilcoxon_p": np.nan, "t_stat": np.nan, "t_p": np.nan}
    if n < 2:
        return row
    if np.any(delta != 0):
        w = sps.wilcoxon(delta)
        row["wilcoxon_stat"], row["wilcoxon_p"] = float(w.statistic), float(w.pvalue)
    else:
        row["wilcoxon_p"] = 1.0
    if np.std(delta, ddof=1) > 0:
        t = sps.ttest_1samp(delta, 0.0)  # identical to ttest_rel(post, pre)
        row["t_stat"], row["t_p"] = float(t.statistic), float(t.pvalue)
    return row


def estimate_paired_tests(
    values: pd.DataFrame, *, samples: pd.DataFrame, family: str = "cell types"
) -> TestTable:
    """Paired pre/post tests per feature with BH q-values within this *family*.

    Parameters
    ----------
    values
        Rows = files (samples), columns = features (scores or genes), on the log2 scale.
    samples
        The sample sheet (see :func:`validate_sample_sheet`).
    family
        Name of the family of tests over which q-values are adjusted (kept in the result).

    Returns
    -------
    TestTable
        ``table`` columns: ``feature``, ``n_pairs``, ``median_delta``, ``mean_delta``,
        ``fold_change`` (2^median Δ), ``hodges_lehmann`` with 95 % ``hl_lower``/``hl_upper``,
        ``wilcoxon_stat``, ``wilcoxon_p``,
        ``wilcoxon_q``, ``t_stat``, ``t_p``, ``t_q``. Tests need ≥ 2 pairs; when every Δ is
        0 the Wilcoxon p is 1 and the t test is not done (NaN).

    Raises
    ------
    DataError
        The sample sheet is invalid (:func:`validate_sample_sheet`).
    """
    paired = derive_paired_values(values, samples=samples)
    rows = []
    for feature in values.columns:
        delta = paired.loc[paired["feature"] == feature, "delta"].to_numpy(dtype=float)
        rows.append({"feature": feature, **_paired_row(delta[~np.isnan(delta)])})
    table = pd.DataFrame(rows)
    table["fold_change"] = np.exp2(table["median_delta"])
    table["wilcoxon_q"] = compute_benjamini_hochberg(table["wilcoxon_p"])
    table["t_q"] = compute_benjamini_hochberg(table["t_p"])
    return TestTable(table=table, family=family,
                     method="Wilcoxon signed-rank (primary), paired t; BH within family")


def _responders(sheet: pd.DataFrame) -> pd.Series:
    """Subject → True (CR/PR) / False (other categories); blank responses are left out."""
    if "response" not in sheet.columns:
        raise DataError("sample sheet has no response column", field="response", value=None,
                        allowed="CR, PR, SD, PD, NE or responder/non-responder")
    known = sheet[sheet["response"].notna()]
    text = known["response"].astype(str).str.strip().str.upper()
    text = text[text != ""]
    unknown = sorted(set(text) - RESPONDER_CATEGORIES - _NON_RESPONDER)
    if unknown:
        raise DataError("unknown response value", field="response", value=unknown,
                        allowed="CR, PR, SD, PD, NE, NON-CR/NON-PD, responder, non-responder")
    return text.isin(RESPONDER_CATEGORIES).groupby(known.loc[text.index, "subject"]).first()


def estimate_response_association(
    values: pd.DataFrame, *, samples: pd.DataFrame, timepoint: str = "pre",
    family: str = "cell types",
) -> TestTable:
    """Responders (CR/PR) vs non-responders, two-sided Mann–Whitney U per feature, BH q.

    Subjects with a blank response (not evaluable) are left out.

    Parameters
    ----------
    values
        Rows = files (samples), columns = features (scores or genes).
    samples
        The sample sheet with a ``response`` column (see :func:`validate_sample_sheet`).
    timepoint
        ``"pre"`` compares baseline values, ``"post"`` on-treatment values, ``"delta"`` the
        paired change Δ.
    family
        Name of the family of tests over which q-values are adjusted (kept in the result).

    Returns
    -------
    TestTable
        ``table`` columns: ``feature``, ``n_responders``, ``n_non_responders``,
        ``median_responders``, ``median_non_responders``, ``u_stat``, ``p``, ``q`` (NaN when a
        group is empty).

    Raises
    ------
    DataError
        Invalid sample sheet, no ``response`` column, an unknown response category or an
        unknown *timepoint*.
    """
    sheet = validate_sample_sheet(samples)
    responder = _responders(sheet)
    if timepoint == "delta":
        paired = derive_paired_values(values, samples=samples)
        per_subject = paired.pivot_table(index="subject", columns="feature", values="delta")
    elif timepoint in _TIMEPOINTS:
        files = sheet.index[(sheet["timepoint"] == timepoint)].intersection(values.index)
        per_subject = values.loc[files].set_axis(sheet.loc[files, "subject"], axis=0)
    else:
        raise DataError("unknown timepoint", field="timepoint", value=timepoint,
                        allowed="pre, post, delta")
    rows = []
    for feature in values.columns:
        col = per_subject[feature].dropna() if feature in per_subject else pd.Series(dtype=float)
        col = col[col.index.isin(responder.index)]  # subjects without a response are left out
        group = responder.reindex(col.index).to_numpy(dtype=bool)
        a, b = col[group].to_numpy(), col[~group].to_numpy()
        row = {"feature": feature, "n_responders": a.size, "n_non_responders": b.size,
               "median_responders": float(np.median(a)) if a.size else np.nan,
               "median_non_responders": float(np.median(b)) if b.size else np.nan,
               "u_stat": np.nan, "p": np.nan}
        if a.size and b.size:
            u = sps.mannwhitneyu(a, b, alternative="two-sided")
            row["u_stat"], row["p"] = float(u.statistic), float(u.pvalue)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["q"] = compute_benjamini_hochberg(table["p"])
    return TestTable(table=table, family=family, method="Mann-Whitney U two-sided; BH")


def estimate_pfs_association(
    values: pd.DataFrame, *, samples: pd.DataFrame, family: str = "cell types"
) -> TestTable:
    """Cox model of PFS on each baseline (``pre``) feature: HR per 1 log2 unit, 95 % CI, Wald p.

    Uses :func:`oncotrial.stats.estimate_cox_ph` (Efron ties, as R coxph). Features with < 2
    events, no spread or a fit that does not converge get NaN and a ``note`` saying why.

    Parameters
    ----------
    values
        Rows = files (samples), columns = features (scores or genes), on the log2 scale.
    samples
        The sample sheet with ``pfs_months`` and ``pfs_event`` (see
        :func:`validate_sample_sheet`); only ``pre`` samples are used.
    family
        Name of the family of tests over which q-values are adjusted (kept in the result).

    Returns
    -------
    TestTable
        ``table`` columns: ``feature``, ``n``, ``events``, ``hr``, ``hr_lower``, ``hr_upper``,
        ``p`` (Wald), ``note``, ``q``.

    Raises
    ------
    DataError
        Invalid sample sheet or no ``pfs_months``/``pfs_event`` column.
    """
    sheet = validate_sample_sheet(samples)
    missing = [c for c in ("pfs_months", "pfs_event") if c not in sheet.columns]
    if missing:
        raise DataError("sample sheet lacks PFS column(s)", field="columns", value=missing,
                        allowed="pfs_months, pfs_event")
    base = sheet[sheet["timepoint"] == "pre"]
    files = base.index.intersection(values.index)
    rows = []
    for feature in values.columns:
        frame = pd.DataFrame({
            "x": values.loc[files, feature].astype(float),
            "time": pd.to_numeric(base.loc[files, "pfs_months"], errors="coerce"),
            "event": pd.to_numeric(base.loc[files, "pfs_event"], errors="coerce"),
        }).dropna()
        events = float(frame["event"].sum())
        row: dict[str, object] = {"feature": feature, "n": len(frame), "events": events,
                                  "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan,
                                  "p": np.nan, "note": ""}
        if events < 2 or not frame["x"].std() > 0:
            row["note"] = "not estimable: < 2 events or no spread in the score"
        else:
            try:
                cox = estimate_cox_ph(frame, duration_col="time", event_col="event",
                                      covariates=["x"])
            except DesignError as exc:  # e.g. non-convergence under perfect separation
                row["note"] = f"not estimable: {exc}"
            else:
                row.update(hr=float(cox.hazard_ratio[0]), hr_lower=float(cox.lower[0]),
                           hr_upper=float(cox.upper[0]), p=float(cox.p_value[0]))
        rows.append(row)
    table = pd.DataFrame(rows)
    table["q"] = compute_benjamini_hochberg(table["p"])
    return TestTable(table=table, family=family, method="Cox PH (Efron ties); BH")
