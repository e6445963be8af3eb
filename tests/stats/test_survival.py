"""Kaplan-Meier, quantiles, log-rank and reverse-KM follow-up against R survival and lifelines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from oncotrial.errors import DataError, DesignError
from oncotrial.stats import (
    estimate_followup_median,
    estimate_kaplan_meier,
    estimate_km_quantile,
    estimate_log_rank,
)
from tests.stats.conftest import read_reference

AML = read_reference("km_aml_data.csv")
R_KM = read_reference("km_r_survival_aml.csv")
R_DIFF = {row["quantity"]: row for row in read_reference("km_r_survdiff_aml.csv")}


def _aml(group: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    rows = [r for r in AML if group is None or r["x"] == group]
    return (np.array([float(r["time"]) for r in rows]),
            np.array([int(r["status"]) for r in rows]))


def _decimals(text: str) -> float:
    return 0.5 * 10.0 ** -len(text.split(".")[1]) if "." in text else 0.5


@pytest.mark.parametrize("group", ["Maintained", "Nonmaintained"])
def test_km_matches_r_survfit_aml(group: str) -> None:
    """Survival, Greenwood SE and log intervals equal R summary(survfit(...)) on aml."""
    km = estimate_kaplan_meier(*_aml(group), conf_type="log")
    for row in (r for r in R_KM if r["group"] == group):
        i = int(np.flatnonzero(km.time == float(row["time"]))[0])
        assert km.n_risk[i] == int(row["n_risk"])
        assert km.n_event[i] == int(row["n_event"])
        expected = float(row["survival"])
        assert km.survival[i] == pytest.approx(expected, abs=_decimals(row["survival"]))
        if row["std_err"]:
            for field in ("std_err", "lower", "upper"):
                value = float(getattr(km, field)[i])
                assert value == pytest.approx(float(row[field]), abs=_decimals(row[field]) + 1e-12)
        else:
            assert math.isnan(km.std_err[i])
            assert math.isnan(km.lower[i])
            assert math.isnan(km.upper[i])


def test_km_median_matches_r_print_aml() -> None:
    """Median and its log-band limits equal R print(survfit): 31 (18, NA) and 23 (8, NA)."""
    maintained = estimate_kaplan_meier(*_aml("Maintained"), conf_type="log").median
    non = estimate_kaplan_meier(*_aml("Nonmaintained"), conf_type="log").median
    assert (maintained.estimate, maintained.lower, maintained.upper) == (31.0, 18.0, None)
    assert (non.estimate, non.lower, non.upper) == (23.0, 8.0, None)


@pytest.mark.parametrize("group", ["Maintained", "Nonmaintained", None])
def test_km_log_log_matches_lifelines(group: str | None) -> None:
    """Log-log (exponential Greenwood) limits equal lifelines' KaplanMeierFitter to 1e-10."""
    from lifelines import KaplanMeierFitter

    t, e = _aml(group)
    km = estimate_kaplan_meier(t, e)
    fit = KaplanMeierFitter().fit(t, e)
    table = fit.survival_function_.to_numpy()[1:, 0]
    ci = fit.confidence_interval_.to_numpy()[1:]
    assert np.allclose(km.survival, table, atol=1e-12)
    inside = (km.survival > 0) & (km.survival < 1)
    assert np.allclose(km.lower[inside], ci[inside, 0], atol=1e-10)
    assert np.allclose(km.upper[inside], ci[inside, 1], atol=1e-10)


def test_km_matches_lifelines_on_random_ties(rng: np.random.Generator) -> None:
    """On 2,000 day-valued times with ties, survival and log-log limits equal lifelines."""
    from lifelines import KaplanMeierFitter

    t = np.ceil(rng.exponential(300.0, 2000))
    e = (rng.random(2000) < 0.7).astype(int)
    km = estimate_kaplan_meier(t, e)
    fit = KaplanMeierFitter().fit(t, e)
    surv = fit.survival_function_.loc[km.time].to_numpy()[:, 0]
    ci = fit.confidence_interval_.loc[km.time].to_numpy()
    assert np.allclose(km.survival, surv, atol=1e-12)
    inside = (km.survival > 0) & (km.survival < 1)
    assert np.allclose(km.lower[inside], ci[inside, 0], atol=1e-9)
    assert np.allclose(km.upper[inside], ci[inside, 1], atol=1e-9)
    assert km.median.estimate == pytest.approx(fit.median_survival_time_)


def test_log_rank_matches_r_survdiff_aml() -> None:
    """Observed/expected, chi-square and p equal R survdiff(Surv(time, status) ~ x, aml)."""
    t, e = _aml()
    res = estimate_log_rank(t, e, [r["x"] for r in AML])
    assert res.groups == ("Maintained", "Nonmaintained")
    assert list(res.observed) == [7.0, 11.0]
    for i, key in enumerate(("expected_maintained", "expected_nonmaintained")):
        assert res.expected[i] == pytest.approx(float(R_DIFF[key]["value"]),
                                                abs=float(R_DIFF[key]["tolerance"]))
    for value, key in ((res.chisq, "chisq"), (res.p_value, "p_value")):
        assert value == pytest.approx(float(R_DIFF[key]["value"]),
                                      abs=float(R_DIFF[key]["tolerance"])), key
    assert res.df == 1


def test_log_rank_matches_lifelines_three_groups(rng: np.random.Generator) -> None:
    """A 3-group log-rank equals lifelines' multivariate_logrank_test."""
    from lifelines.statistics import multivariate_logrank_test

    t = np.ceil(rng.exponential(10.0, 300))
    e = (rng.random(300) < 0.8).astype(int)
    g = rng.integers(0, 3, 300)
    res = estimate_log_rank(t, e, g)
    ref = multivariate_logrank_test(t, g, e)
    assert res.df == 2
    assert res.chisq == pytest.approx(ref.test_statistic, rel=1e-9)
    assert res.p_value == pytest.approx(ref.p_value, rel=1e-7)


def test_landmark_survival_and_number_at_risk() -> None:
    """Survival at landmarks is the step value; number at risk counts times >= t."""
    km = estimate_kaplan_meier(*_aml("Maintained"), conf_type="log")
    surv, low, up = km.survival_at([0.0, 9.0, 12.9, 18.0, 30.0])
    assert surv == pytest.approx([1.0, 10 / 11, 10 / 11, 0.7159091, 0.6136364], abs=1e-7)
    assert low[1] == pytest.approx(0.7541, abs=5e-5)
    assert up[0] == 1.0
    assert list(km.n_at_risk([0.0, 9.0, 9.5, 13.0, 161.0, 200.0])) == [11, 11, 10, 10, 1, 0]


def test_landmark_past_follow_up_is_refused() -> None:
    """A landmark past the last time is not extrapolated while the curve is above 0."""
    km = estimate_kaplan_meier(*_aml("Maintained"))
    with pytest.raises(DesignError, match="past the last follow-up"):
        km.survival_at([162.0])
    ended = estimate_kaplan_meier(*_aml("Nonmaintained"))
    assert ended.survival_at([100.0])[0][0] == 0.0


def test_quantiles_and_flat_median() -> None:
    """A curve flat at exactly 0.5 gives the midpoint of the flat as median (R rule)."""
    km = estimate_kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    assert km.median.estimate == 2.5
    q25 = estimate_km_quantile(km, probability=0.25)
    assert q25.estimate == 1.5
    with pytest.raises(DesignError):
        estimate_km_quantile(km, probability=1.0)


def test_reverse_km_follow_up() -> None:
    """Reverse KM median follow-up treats censoring as the event (Schemper & Smith 1996)."""
    t, e = _aml("Maintained")
    fu = estimate_followup_median(t, e)
    direct = estimate_kaplan_meier(t, 1 - e).median
    assert fu == direct
    # Censoring curve: 0.9 at 13, 0.75 at 28, exactly 0.5 from 45 until 161 -> (45 + 161) / 2.
    assert fu.estimate == 103.0


def test_timefix_merges_near_ties() -> None:
    """Times differing by less than sqrt(eps) are one time, as R's aeqSurv merges them."""
    km = estimate_kaplan_meier([1.0, 1.0 + 1e-12, 2.0], [1, 1, 0])
    assert list(km.time) == [1.0, 2.0]
    assert list(km.n_event) == [2, 0]
    raw = estimate_kaplan_meier([1.0, 1.0 + 1e-12, 2.0], [1, 1, 0], timefix=False)
    assert raw.time.size == 3


@pytest.mark.parametrize(
    ("time", "event", "field"),
    [([1.0, -1.0], [1, 0], "time"), ([1.0, np.nan], [1, 0], "time"),
     ([1.0, 2.0], [1, 2], "event"), ([1.0, 2.0], [1], "event"), ([], [], "time")],
)
def test_bad_survival_data_raises(time: list[float], event: list[int], field: str) -> None:
    """Negative/NaN times, non-0/1 events and length mismatches raise DataError naming the field."""
    with pytest.raises(DataError, match=field):
        estimate_kaplan_meier(time, event)


def test_bad_conf_type_raises() -> None:
    """An unknown interval type raises DesignError listing the allowed ones."""
    with pytest.raises(DesignError, match="log-log"):
        estimate_kaplan_meier([1.0], [1], conf_type="arcsine")


def test_log_rank_needs_two_groups() -> None:
    """A single group cannot be tested."""
    with pytest.raises(DataError, match="group"):
        estimate_log_rank([1.0, 2.0], [1, 1], ["a", "a"])


@settings(max_examples=50, deadline=None)
@given(
    times=hnp.arrays(np.float64, st.integers(1, 60),
                     elements=st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1))),
    seed=st.integers(0, 2**16),
    conf_type=st.sampled_from(["log-log", "log", "plain"]),
)
def test_km_monotone_within_unit_interval(times: np.ndarray, seed: int, conf_type: str) -> None:
    """A KM curve is non-increasing within [0, 1], and its band brackets it."""
    events = np.random.default_rng(seed).integers(0, 2, times.size)
    km = estimate_kaplan_meier(times, events, conf_type=conf_type)
    assert np.all(np.diff(km.survival) <= 0)
    assert np.all((km.survival >= 0) & (km.survival <= 1))
    ok = ~np.isnan(km.lower)
    assert np.all(km.lower[ok] <= km.survival[ok] + 1e-12)
    assert np.all(km.upper[ok] >= km.survival[ok] - 1e-12)
    assert int(km.n_event.sum()) == int(events.sum())
    assert km.n_risk[0] == times.size


def test_log_rank_strata_sums_observed_expected_and_variance(rng: np.random.Generator) -> None:
    """With strata, O, E and V are the sums of the per-stratum tests (R survdiff + strata())."""
    n = 600
    t = np.ceil(rng.exponential(10.0, n))
    e = (rng.random(n) < 0.7).astype(int)
    g = rng.integers(0, 3, n)
    s = rng.integers(0, 4, n)
    res = estimate_log_rank(t, e, g, strata=s)
    parts = [estimate_log_rank(t[s == v], e[s == v], g[s == v]) for v in range(4)]
    observed = sum(p.observed for p in parts)
    expected = sum(p.expected for p in parts)
    variance = sum(p.variance for p in parts)
    np.testing.assert_allclose(res.observed, observed)
    np.testing.assert_allclose(res.expected, expected, rtol=1e-12)
    diff = (observed - expected)[:-1]
    chisq = diff @ np.linalg.inv(variance[:-1, :-1]) @ diff
    assert res.chisq == pytest.approx(chisq, rel=1e-10)
    assert res.chisq != pytest.approx(estimate_log_rank(t, e, g).chisq, rel=1e-3)


@pytest.mark.parametrize("extreme", [False, True])
def test_log_rank_matches_lifelines_four_groups_any_time_range(
    rng: np.random.Generator, extreme: bool
) -> None:
    """Four groups with zero times, on ordinary and extreme time ranges (the sort fallback)."""
    from lifelines.statistics import multivariate_logrank_test

    t = np.floor(rng.exponential(5.0, 400))  # includes zeros
    t[:3] = [0.0, 1e-300, 1e300] if extreme else [0.0, 1.0, 1e6]  # extreme: argsort path
    e = (rng.random(400) < 0.8).astype(int)
    g = rng.integers(0, 4, 400)
    res = estimate_log_rank(t, e, g, timefix=False)
    ref = multivariate_logrank_test(t, g, e)
    assert res.chisq == pytest.approx(ref.test_statistic, rel=1e-9)


def test_log_rank_strata_length_is_checked() -> None:
    """A strata column of the wrong length is refused, naming the field."""
    with pytest.raises(DataError, match="strata has 2 values"):
        estimate_log_rank([1.0, 2.0, 3.0], [1, 0, 1], [0, 1, 1], strata=[0, 1])


def test_log_rank_integer_labels_any_values(rng: np.random.Generator) -> None:
    """Integer labels with gaps and an offset give the same test as the same labels as text."""
    t = np.ceil(rng.exponential(10.0, 300))
    e = (rng.random(300) < 0.8).astype(int)
    g = rng.choice([5, 9, 40], 300)
    as_int = estimate_log_rank(t, e, g)
    as_text = estimate_log_rank(t, e, g.astype(str))
    assert as_int.groups == ("5", "9", "40")
    assert as_int.chisq == pytest.approx(as_text.chisq, rel=1e-12)  # text sorts "40" < "5"
    assert sorted(as_int.observed.tolist()) == sorted(as_text.observed.tolist())
