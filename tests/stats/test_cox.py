"""Cox PH written here against Therneau & Grambsch's hand calculations, R coxph and lifelines."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncotrial.errors import DataError, DesignError
from oncotrial.stats.cox import estimate_cox_ph, estimate_cox_ph_arrays
from tests.stats.conftest import REFERENCE, read_reference

AML = read_reference("km_aml_data.csv")
R_AML = {row["quantity"]: row for row in read_reference("km_r_survdiff_aml.csv")}
R_COXPH = read_reference("cox_r_coxph.csv")

# Therneau & Grambsch (2000) appendix E, data set 1 (R survival tests/book1.R, book2.R), the
# row with a missing status dropped: time, status, x.
TEST1_TIME = np.array([1.0, 1.0, 6.0, 6.0, 8.0, 9.0])
TEST1_STATUS = np.array([1, 0, 1, 1, 0, 1])
TEST1_X = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])


def _book_breslow(beta: float) -> tuple[float, float, float, np.ndarray]:
    """Log-likelihood, score, information and score residuals by hand (book1.R)."""
    r = np.exp(beta)
    loglik = 2 * beta - (np.log(3 * r + 3) + 2 * np.log(r + 3))
    u = (6 + 3 * r - r**2) / ((r + 1) * (r + 3))
    imat = r / (r + 1) ** 2 + 6 * r / (r + 3) ** 2
    a, b = 3 * (r + 1) ** 2, (r + 3) ** 2
    resid = np.array([(2 * r + 3) / a, -r / a, -r / a + 3 * (3 - r) / b,
                      r / a - r * (r + 1) / b, r / a + 2 * r / b, r / a + 2 * r / b])
    return float(loglik), float(u), float(imat), resid


def _book_efron(beta: float) -> tuple[float, float, float, np.ndarray]:
    """Log-likelihood, score, information and score residuals by hand (book2.R)."""
    r = np.exp(beta)
    loglik = 2 * beta - (np.log(3 * r + 3) + np.log((r + 5) / 2) + np.log(r + 3))
    u = (30 + 23 * r - r**3) / ((r + 1) * (r + 3) * (r + 5))
    imat = sum(v - v * v for v in (r / (r + 1), r / (r + 5), r / (r + 3)))
    a, b, d = r + 1, r + 3, r + 5
    tail = 2 * r * (177 + r * (282 + r * (182 + r * (50 + 5 * r)))) / (3 * (a * b * d) ** 2)
    resid = np.array([
        (2 * r + 3) / (3 * a**2), -r / (3 * a**2),
        (675 + r * (1305 + r * (756 + r * (-4 + r * (-79 - 13 * r))))) / (3 * (a * b * d) ** 2),
        r * (1 / (3 * a**2) - a / (2 * b**2) - b / (2 * d**2)), tail, tail])
    return float(loglik), float(u), float(imat), resid


BOOK = {
    # ties: (hand formulas, exact solution of U(beta) = 0)
    "breslow": (_book_breslow, float(np.log((3 + np.sqrt(33)) / 2))),
    "efron": (_book_efron,
              float(np.log(np.cos(np.arccos((45 / 23) * np.sqrt(3 / 23)) / 3) * 2
                           * np.sqrt(23 / 3)))),
}


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_cox_matches_therneau_grambsch_hand_calculation(ties: str) -> None:
    """Data set 1 of Therneau & Grambsch: exact beta, log-likelihoods, variances and tests."""
    book, beta = BOOK[ties]
    res = estimate_cox_ph_arrays(TEST1_TIME, TEST1_STATUS, TEST1_X, ties=ties, robust=True)
    loglik, _, imat, resid = book(beta)
    loglik0, u0, imat0, _ = book(0.0)
    assert res.coef[0] == pytest.approx(beta, abs=1e-10)
    assert res.log_likelihood == pytest.approx(loglik, abs=1e-12)
    assert res.log_likelihood_null == pytest.approx(loglik0, abs=1e-12)
    assert res.naive_std_err[0] == pytest.approx(1 / np.sqrt(imat), rel=1e-9)
    # robust: dfbeta = score residual / information, variance = sum of squares (R robust=TRUE)
    assert res.std_err[0] == pytest.approx(np.sqrt(np.sum((resid / imat) ** 2)), rel=1e-9)
    assert res.score.statistic == pytest.approx(u0**2 / imat0, rel=1e-12)
    assert res.likelihood_ratio.statistic == pytest.approx(2 * (loglik - loglik0), rel=1e-10)
    assert res.wald.statistic == pytest.approx(beta**2 / res.std_err[0] ** 2, rel=1e-9)
    assert (res.n, res.events, res.ties, res.robust) == (6, 4, ties, True)


def test_breslow_score_test_at_zero_is_8_over_5_step() -> None:
    """book1.R: one Newton step from 0 gives beta = 8/5, i.e. U(0) / I(0) = 1.6."""
    _, u0, imat0, _ = _book_breslow(0.0)
    assert u0 / imat0 == pytest.approx(1.6)
    res = estimate_cox_ph_arrays(TEST1_TIME, TEST1_STATUS, TEST1_X, ties="breslow")
    assert res.score.statistic == pytest.approx(1.6 * u0)


def _reference(data: str) -> dict[tuple[str, str], tuple[float, float]]:
    return {(r["quantity"], r["term"]): (float(r["value"]), float(r["tolerance"]))
            for r in R_COXPH if r["data"] == data}


def _read_data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, comment="#")


@pytest.mark.parametrize(("data", "time", "event", "covariates"), [
    ("lung", "time", "dead", ["age", "sex"]),
    ("rossi", "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro", "prio"]),
])
def test_cox_matches_r_coxph_published(data: str, time: str, event: str,
                                       covariates: list[str]) -> None:
    """Coefficients, SEs, the three global tests with p-values and the concordance equal R coxph
    (tests/reference/R/cox_coxph.R)."""
    frame = _read_data(f"cox_{data}_data.csv")
    if data == "lung":
        frame["dead"] = (frame["status"] == 2).astype(int)  # R: 1 censored, 2 dead
    res = estimate_cox_ph(frame, duration_col=time, event_col=event, covariates=covariates)
    ref = _reference(data)
    for i, name in enumerate(covariates):
        value, tol = ref[("coef", name)]
        assert res.coef[i] == pytest.approx(value, abs=tol), name
        value, tol = ref[("se", name)]
        assert res.std_err[i] == pytest.approx(value, abs=tol), name
    for key, test in (("lr", res.likelihood_ratio), ("wald", res.wald), ("score", res.score)):
        value, tol = ref[(key, "")]
        assert test.statistic == pytest.approx(value, abs=tol), key
        value, tol = ref[(f"{key}_p", "")]
        assert test.p_value == pytest.approx(value, abs=tol), key
        assert test.df == len(covariates)
    value, tol = ref[("concordance", "")]
    assert res.concordance == pytest.approx(value, abs=tol)
    assert (res.n, res.events) == {"lung": (228, 165), "rossi": (432, 114)}[data]


def test_cox_matches_r_coxph_aml() -> None:
    """coef, SE and Wald p equal R coxph(Surv(time, status) ~ x, data = aml) (Efron ties)."""
    frame = pd.DataFrame({
        "time": [float(r["time"]) for r in AML],
        "status": [int(r["status"]) for r in AML],
        "nonmaintained": [int(r["x"] == "Nonmaintained") for r in AML],
    })
    res = estimate_cox_ph(frame, duration_col="time", event_col="status",
                          covariates=["nonmaintained"])
    for field, key in (("coef", "cox_coef"), ("std_err", "cox_se"), ("p_value", "cox_p")):
        assert float(getattr(res, field)[0]) == pytest.approx(
            float(R_AML[key]["value"]), abs=float(R_AML[key]["tolerance"]))
    assert res.hazard_ratio[0] == pytest.approx(math.exp(float(R_AML["cox_coef"]["value"])),
                                                abs=1e-5)
    assert res.likelihood_ratio.statistic == pytest.approx(
        float(R_AML["cox_lr"]["value"]), abs=float(R_AML["cox_lr"]["tolerance"]))
    assert res.lower[0] < res.hazard_ratio[0] < res.upper[0]
    assert (res.n, res.events) == (23, 18)


def _lifelines_fit(frame: pd.DataFrame, **kwargs: object) -> object:
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter().fit(frame, **kwargs)


def _tied_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=(n, 3))
    event_t = rng.exponential(np.exp(-x @ np.array([0.5, -0.3, 0.1])))
    censor_t = rng.exponential(2.0, n)
    return pd.DataFrame({"t": np.round(np.minimum(event_t, censor_t), 1),  # many ties
                         "e": (event_t <= censor_t).astype(int), "a": x[:, 0], "b": x[:, 1],
                         "c": x[:, 2], "s": rng.integers(0, 3, n), "cl": np.arange(n) // 3})


def test_cox_matches_lifelines_efron_with_ties(rng: np.random.Generator) -> None:
    """Efron fit on heavily tied times equals lifelines (coef, SE, log-lik, concordance)."""
    frame = _tied_frame(rng, 3000)
    ours = estimate_cox_ph(frame, duration_col="t", event_col="e", covariates=["a", "b", "c"])
    fit = _lifelines_fit(frame[["t", "e", "a", "b", "c"]], duration_col="t", event_col="e")
    np.testing.assert_allclose(ours.coef, fit.params_.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.std_err, fit.standard_errors_.to_numpy(), atol=1e-6)
    assert ours.log_likelihood == pytest.approx(fit.log_likelihood_, abs=1e-6)
    assert ours.concordance == pytest.approx(fit.concordance_index_, abs=1e-9)
    lr = fit.log_likelihood_ratio_test()
    assert ours.likelihood_ratio.statistic == pytest.approx(lr.test_statistic, abs=1e-6)


def test_cox_matches_lifelines_with_strata(rng: np.random.Generator) -> None:
    """Stratified fit equals lifelines' strata= (separate baseline hazards)."""
    frame = _tied_frame(rng, 3000)
    ours = estimate_cox_ph(frame, duration_col="t", event_col="e", covariates=["a", "b"],
                           strata_col="s")
    fit = _lifelines_fit(frame[["t", "e", "a", "b", "s"]], duration_col="t", event_col="e",
                         strata=["s"])
    np.testing.assert_allclose(ours.coef, fit.params_.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.std_err, fit.standard_errors_.to_numpy(), atol=1e-6)
    assert ours.log_likelihood == pytest.approx(fit.log_likelihood_, abs=1e-6)
    assert ours.concordance == pytest.approx(fit.concordance_index_, abs=1e-9)
    assert ours.strata == 3


def test_cox_robust_and_cluster_match_lifelines_without_ties(rng: np.random.Generator) -> None:
    """Sandwich SEs (with and without clusters) equal lifelines' on continuous times.

    With tied deaths lifelines' score residuals differ from R's; our tied case is pinned by
    the hand calculation above instead.
    """
    frame = _tied_frame(rng, 2000)
    frame["t"] = rng.exponential(1.0, frame.shape[0])
    for cluster in (None, "cl"):
        ours = estimate_cox_ph(frame, duration_col="t", event_col="e", covariates=["a", "b"],
                               robust=True, cluster_col=cluster)
        columns = ["t", "e", "a", "b", *([cluster] if cluster else [])]
        fit = _lifelines_fit(frame[columns], duration_col="t", event_col="e", robust=True,
                             cluster_col=cluster)
        np.testing.assert_allclose(ours.std_err, fit.standard_errors_.to_numpy(), atol=1e-6)
        assert ours.robust


def _brute_concordance(t: np.ndarray, e: np.ndarray, s: np.ndarray, lp: np.ndarray) -> float:
    num = den = 0.0
    for a, b in combinations(range(t.size), 2):
        if s[a] != s[b]:
            continue
        # i has the shorter time (or dies when the other is censored at that time)
        i, j = (b, a) if t[b] < t[a] or (t[b] == t[a] and e[b] and not e[a]) else (a, b)
        if not e[i] or (t[i] == t[j] and e[j]):
            continue
        den += 1
        num += 1.0 if lp[i] > lp[j] else 0.5 if lp[i] == lp[j] else 0.0
    return num / den


@pytest.mark.parametrize("n_strata", [1, 3])
def test_concordance_equals_pair_count(rng: np.random.Generator, n_strata: int) -> None:
    """Harrell's C equals a direct count over all pairs (ties in time and predictor, strata)."""
    n = 150
    t = rng.integers(1, 20, n).astype(float)
    e = rng.integers(0, 2, n)
    x = rng.integers(0, 3, (n, 2)).astype(float) + rng.normal(0, 0.01, (n, 2)) * (
        rng.random((n, 1)) < 0.3)
    s = rng.integers(0, n_strata, n)
    res = estimate_cox_ph_arrays(t, e, x, strata=s)
    lp = x @ res.coef
    assert res.concordance == pytest.approx(_brute_concordance(t, e, s, lp), abs=1e-12)


def test_row_order_does_not_matter(rng: np.random.Generator) -> None:
    """Shuffling the rows leaves every estimate unchanged."""
    frame = _tied_frame(rng, 500)
    x = frame[["a", "b"]].to_numpy()
    first = estimate_cox_ph_arrays(frame["t"], frame["e"], x, strata=frame["s"], robust=True)
    perm = rng.permutation(frame.shape[0])
    second = estimate_cox_ph_arrays(frame["t"].to_numpy()[perm], frame["e"].to_numpy()[perm],
                                    x[perm], strata=frame["s"].to_numpy()[perm], robust=True)
    np.testing.assert_allclose(first.coef, second.coef, atol=1e-12)
    np.testing.assert_allclose(first.std_err, second.std_err, atol=1e-12)
    assert first.concordance == pytest.approx(second.concordance, abs=1e-12)


def test_timefix_merges_near_equal_times() -> None:
    """Times 1e-12 apart are one time (R aeqSurv), so Efron treats the two deaths as tied."""
    near = np.array([1.0, 1.0 + 1e-12, 6.0, 6.0 + 1e-12, 8.0, 9.0])
    merged = estimate_cox_ph_arrays(near, TEST1_STATUS, TEST1_X)
    assert merged.coef[0] == pytest.approx(BOOK["efron"][1], abs=1e-10)
    # kept apart, the x = 1 death at 6 precedes the x = 0 one: the score 1/(r+1) + 3/(r+3)
    # stays positive, so beta runs to infinity and the fit is refused
    with pytest.raises(DesignError, match="infinity"):
        estimate_cox_ph_arrays(near, TEST1_STATUS, TEST1_X, timefix=False)


def test_cox_missing_column_is_named() -> None:
    """A covariate not in the data raises DataError naming it."""
    frame = pd.DataFrame({"time": [1.0, 2.0], "status": [1, 0], "x": [0.0, 1.0]})
    with pytest.raises(DataError, match="score"):
        estimate_cox_ph(frame, duration_col="time", event_col="status", covariates=["score"])


@pytest.mark.parametrize(("time", "event", "x", "error", "match"), [
    ([1.0, -2.0, 3.0], [1, 0, 1], [0.0, 1.0, 0.0], DataError, "non-negative"),
    ([1.0, np.nan, 3.0], [1, 0, 1], [0.0, 1.0, 0.0], DataError, "finite"),
    ([1.0, 2.0, 3.0], [1, 2, 1], [0.0, 1.0, 0.0], DataError, "0 \\(censored\\)"),
    ([1.0, 2.0, 3.0], [1, 0], [0.0, 1.0, 0.0], DataError, "event has 2 values"),
    ([1.0, 2.0, 3.0], [1, 0, 1], [0.0, np.nan, 0.0], DataError, "covariates must be finite"),
    ([1.0, 2.0, 3.0], [0, 0, 0], [0.0, 1.0, 0.0], DesignError, "at least one event"),
    ([1.0, 2.0, 3.0], [1, 1, 1], [1.0, 1.0, 1.0], DesignError, "singular"),
    ([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 0], [1.0, 1.0, 0.0, 0.0], DesignError, "converge"),
])
def test_bad_input_is_named(time: list[float], event: list[int], x: list[float],
                            error: type[Exception], match: str) -> None:
    """Bad data raise errors naming the problem; separation and collinearity are refused."""
    with pytest.raises(error, match=match):
        estimate_cox_ph_arrays(time, event, x)


def test_bad_options_are_refused() -> None:
    """Unknown ties and a level outside (0, 1) raise DesignError."""
    with pytest.raises(DesignError, match="ties='exact'"):
        estimate_cox_ph_arrays(TEST1_TIME, TEST1_STATUS, TEST1_X, ties="exact")
    with pytest.raises(DesignError, match="conf_level"):
        estimate_cox_ph_arrays(TEST1_TIME, TEST1_STATUS, TEST1_X, conf_level=1.0)


def test_oncotrial_does_not_import_lifelines_at_run_time() -> None:
    """The CLI, report and statistics paths (a Cox fit included) never load lifelines."""
    code = (
        "import sys, numpy as np\n"
        "import oncotrial.cli, oncotrial.report, oncotrial.translational.stats\n"
        "from oncotrial.cli import main\n"
        "from oncotrial.stats import estimate_cox_ph_arrays, estimate_kaplan_meier\n"
        "estimate_cox_ph_arrays([1, 2, 3, 4], [1, 0, 1, 1], [0.0, 1.0, 1.0, 0.0])\n"
        "estimate_kaplan_meier([1, 2, 3], [1, 0, 1])\n"
        "assert 'lifelines' not in sys.modules, 'lifelines was imported'\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": f"{src}", "PATH": "/usr/bin:/bin"}, check=False)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("n", [1, 2, 31, 32, 33, 64, 65, 200, 1025])
def test_merge_count_equals_direct_count(rng: np.random.Generator, n: int) -> None:
    """The merge-sort pair count equals a direct count, around the 32-row block edges."""
    from oncotrial.stats.cox import _count_smaller_later

    values = rng.integers(0, max(1, n // 3), n)
    marked = rng.random(n) < 0.6
    direct = sum(int(np.count_nonzero(values[i + 1:] < values[i]))
                 for i in range(n) if marked[i])
    assert _count_smaller_later(values, marked) == direct
