"""Paired pre/post statistics: references, a synthetic DC-increase study and its error rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError
from oncotrial.translational import (
    compute_benjamini_hochberg,
    compute_hodges_lehmann,
    compute_hodges_lehmann_ci,
    compute_scores,
    compute_signed_rank_critical_value,
    derive_marker_expression,
    derive_normalized_counts,
    derive_paired_values,
    estimate_paired_tests,
    estimate_pfs_association,
    estimate_response_association,
)
from tests.translational.conftest import DC_MARKERS, OTHER_MARKERS, synthetic_matrix


def test_bh_matches_benjamini_hochberg_1995_example() -> None:
    """Benjamini & Hochberg 1995 §3.2: of 15 p-values, the 4 smallest are rejected at q=0.05."""
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    q = compute_benjamini_hochberg(p)
    assert (q <= 0.05).sum() == 4
    assert q[3] == pytest.approx(0.0095 * 15 / 4)
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH") gives 0.05 for all five.
    assert compute_benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx([0.05] * 5)
    assert np.isnan(compute_benjamini_hochberg([np.nan, 0.01])[0])


def test_hodges_lehmann_hand_computed() -> None:
    """Walsh averages of [1, 2, 9]: 1, 1.5, 5, 2, 5.5, 9 → median 3.5."""
    assert compute_hodges_lehmann([1, 2, 9]) == pytest.approx(3.5)


def _sheet(n: int) -> pd.DataFrame:
    rows = [{"file": f"p{i}_{tp}", "subject": f"P{i:02d}", "timepoint": tp,
             "response": "PR" if i % 4 == 0 else "SD", "pfs_months": 3.0 + i,
             "pfs_event": 1 if i % 3 else 0} for i in range(n) for tp in ("pre", "post")]
    return pd.DataFrame(rows)


def test_wilcoxon_exact_for_five_positive_pairs() -> None:
    """Five positive differences: exact two-sided signed-rank p = 2/2^5 = 0.0625; paired t too."""
    sheet = _sheet(5)
    pre = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    delta = np.array([0.5, 1.1, 0.2, 0.9, 1.6])
    values = pd.DataFrame({"DC": np.ravel(np.column_stack([pre, pre + delta]))},
                          index=sheet["file"])
    table = estimate_paired_tests(values, samples=sheet).table.set_index("feature")
    assert table.at["DC", "n_pairs"] == 5
    assert table.at["DC", "wilcoxon_p"] == pytest.approx(0.0625)
    # t = mean/(sd/√n) with mean 0.86, sd 0.5459 → t = 3.5227, df 4
    assert table.at["DC", "t_stat"] == pytest.approx(0.86 / (np.std(delta, ddof=1) / np.sqrt(5)))
    assert table.at["DC", "median_delta"] == pytest.approx(0.9)


def test_unpaired_patients_drop_out_and_bad_sheets_raise() -> None:
    """A patient with only a pre biopsy is not paired; bad timepoints/duplicates raise."""
    sheet = _sheet(3)
    values = pd.DataFrame({"DC": np.arange(6.0)}, index=sheet["file"])
    paired = derive_paired_values(values.drop(index="p2_post"), samples=sheet)
    assert list(paired["subject"]) == ["P00", "P01"]
    bad = sheet.assign(timepoint=["pre", "during"] * 3)
    with pytest.raises(DataError, match="timepoint"):
        estimate_paired_tests(values, samples=bad)
    dup = sheet.assign(subject="P00")
    with pytest.raises(DataError, match="one per subject"):
        estimate_paired_tests(values, samples=dup)


def _study(seed: int, *, n: int, dc_effect: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic paired biopsies from counts to scores; DC genes rise by *dc_effect* log2."""
    rng = np.random.default_rng(seed)
    sheet = _sheet(n)
    genes = [*DC_MARKERS, *OTHER_MARKERS, *(f"BG{i}" for i in range(10))]
    patient = rng.normal(0, 1.0, size=(len(genes), n))  # patient-level biology
    level = rng.uniform(7, 10, size=(len(genes), 1))
    pre = level + patient + rng.normal(0, 0.4, size=(len(genes), n))
    post = level + patient + rng.normal(0, 0.4, size=(len(genes), n))
    post[: len(DC_MARKERS)] += dc_effect
    truth = pd.DataFrame(np.ravel(np.stack([pre, post], axis=2), order="C").reshape(
        len(genes), 2 * n), index=genes, columns=sheet["file"])
    matrix = synthetic_matrix(rng, truth, technical=rng.uniform(0.5, 2.0, 2 * n),
                              content=rng.uniform(0.3, 3.0, 2 * n))
    norm = derive_normalized_counts(matrix)
    scores = compute_scores(derive_marker_expression(norm.log2)).scores
    return scores, sheet


def _dc_p(seed: int, *, dc_effect: float) -> float:
    scores, sheet = _study(seed, n=12, dc_effect=dc_effect)
    table = estimate_paired_tests(scores, samples=sheet).table.set_index("feature")
    return float(table.at["DC", "wilcoxon_p"])


def test_synthetic_dc_increase_detected() -> None:
    """A +1 log2 DC increase in 12 patients is found (Wilcoxon q < 0.05); unchanged T is not."""
    scores, sheet = _study(1, n=12, dc_effect=1.0)
    table = estimate_paired_tests(scores, samples=sheet).table.set_index("feature")
    assert table.at["DC", "wilcoxon_q"] < 0.05
    assert table.at["DC", "median_delta"] == pytest.approx(1.0, abs=0.35)
    assert table.at["gene:CCL13", "wilcoxon_p"] < 0.05
    assert table.at["T-cells", "wilcoxon_q"] > 0.05


@pytest.mark.slow
def test_error_rates_over_many_seeds() -> None:
    """Over 40 seeds each (n = 12 pairs): power ≥ 0.9 for +0.5 log2 DC; type I ≤ 0.10 if none.

    Measured over 400 seeds (this design, Wilcoxon p < 0.05 on the DC score): type I error
    0.0175 (exact test, discrete, conservative), power 0.995 at +0.5 log2 and 1.000 at +1 log2.
    The bounds leave room for Monte-Carlo error with 40 seeds (binomial SD ≤ 0.035).
    """
    hits = [_dc_p(seed, dc_effect=0.5) < 0.05 for seed in range(40)]
    nulls = [_dc_p(1000 + seed, dc_effect=0.0) < 0.05 for seed in range(40)]
    assert np.mean(hits) >= 0.9
    assert np.mean(nulls) <= 0.10


def test_responders_vs_non_responders_and_cox() -> None:
    """Mann-Whitney separates higher baseline DC in responders; Cox HR < 1 when high DC delays
    progression."""
    n = 16
    sheet = _sheet(n)
    responder = np.array([i % 4 == 0 for i in range(n)])
    base = np.where(responder, 8.0, 4.0) + np.linspace(0, 0.5, n)
    sheet["pfs_months"] = np.repeat(np.exp(base / 2), 2)
    sheet["pfs_event"] = 1
    values = pd.DataFrame({"DC": np.repeat(base, 2) + np.tile([0.0, 0.5], n)},
                          index=sheet["file"])
    mw = estimate_response_association(values, samples=sheet).table.set_index("feature")
    assert mw.at["DC", "n_responders"] == 4
    assert mw.at["DC", "p"] < 0.01
    cox = estimate_pfs_association(values.assign(DC=values["DC"] + np.tile(
        np.random.default_rng(3).normal(0, 1.0, n), 2)), samples=sheet).table.set_index("feature")
    assert cox.at["DC", "hr"] < 1
    assert cox.at["DC", "hr_lower"] < cox.at["DC", "hr"] < cox.at["DC", "hr_upper"]


def test_unknown_response_value_raises() -> None:
    """A response outside RECIST categories / responder labels raises DataError."""
    sheet = _sheet(2).assign(response="maybe")
    values = pd.DataFrame({"DC": np.arange(4.0)}, index=sheet["file"])
    with pytest.raises(DataError, match="response"):
        estimate_response_association(values, samples=sheet)


REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def test_signed_rank_critical_values_match_published_table() -> None:
    """Exact critical values for n = 5…20 equal the standard two-sided 5 % table."""
    table = pd.read_csv(REFERENCE / "nanostring_signed_rank_critical_values.csv", comment="#")
    for row in table.itertuples():
        assert compute_signed_rank_critical_value(int(row.n)) == row.critical_value, row.n


def test_wilcoxon_matches_r_depression_example() -> None:
    """Paired pre/post on R's wilcox.test depression example: V = 40, two-sided p = 0.0390625."""
    data = pd.read_csv(REFERENCE / "nanostring_wilcoxon_depression.csv", comment="#")
    n = len(data)
    sheet = _sheet(n)
    values = pd.DataFrame({"score": np.ravel(np.column_stack([data["y"], data["x"]]))},
                          index=sheet["file"])  # pre = y, post = x, so Δ = x − y as in R
    row = estimate_paired_tests(values, samples=sheet).table.set_index("feature").loc["score"]
    assert row["wilcoxon_p"] == pytest.approx(2 * 0.01953125, abs=1e-6)
    assert row["hodges_lehmann"] == pytest.approx(0.46)
    # CI by R's rule: [W(qsignrank(0.025, 9)), W(45 − 6 + 1)] = 6th and 40th Walsh averages
    walsh = np.sort([(a + b) / 2 for i, a in enumerate(data["x"] - data["y"])
                     for b in (data["x"] - data["y"])[i:]])
    assert (row["hl_lower"], row["hl_upper"]) == pytest.approx((walsh[5], walsh[39]))
    assert row["hl_lower"] < row["hodges_lehmann"] < row["hl_upper"]


def test_hodges_lehmann_ci_too_few_pairs() -> None:
    """With 5 pairs no 95 % interval exists (c = −1): NaN bounds; bad n raises."""
    assert np.isnan(compute_hodges_lehmann_ci([1, 2, 3, 4, 5])[0])
    with pytest.raises(DataError, match="pair"):
        compute_signed_rank_critical_value(0)


def test_blank_response_left_out() -> None:
    """Subjects with no response recorded are excluded from the responder comparison."""
    sheet = _sheet(8)
    sheet.loc[sheet["subject"] == "P01", "response"] = np.nan
    values = pd.DataFrame({"DC": np.arange(16.0)}, index=sheet["file"])
    row = estimate_response_association(values, samples=sheet).table.iloc[0]
    assert row["n_responders"] + row["n_non_responders"] == 7
