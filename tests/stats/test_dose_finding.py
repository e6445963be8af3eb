"""BOIN boundaries, decisions, MTD selection, simulated OC; exact 3+3 operating characteristics."""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.errors import DesignError
from oncotrial.stats.boin import (
    compute_boin_boundaries,
    compute_boin_decision_table,
    compute_boin_oc,
    decide_boin,
    estimate_boin_mtd,
)
from oncotrial.stats.three_plus_three import compute_3plus3_oc
from tests.stats.conftest import read_reference

BOUNDS = read_reference("boin_boundaries.csv")
TABLES = read_reference("boin_boundary_tables.csv")
THREE = read_reference("boin_3plus3_exact_probabilities.csv")
GET_OC = read_reference("boin_get_oc.csv")
GET_OC_TRIALS = 20000  # ntrial of the get.oc run (header of boin_get_oc.csv)


@pytest.mark.parametrize("row", BOUNDS, ids=lambda r: r["target"])
def test_boin_boundaries_match_liu_yuan_2015(row: dict[str, str]) -> None:
    """lambda_e and lambda_d equal Liu & Yuan (2015) for targets .20/.25/.30/.33."""
    b = compute_boin_boundaries(float(row["target"]))
    assert b.lambda_e == pytest.approx(float(row["lambda_e"]), abs=5e-5)
    assert b.lambda_d == pytest.approx(float(row["lambda_d"]), abs=5e-5)


@pytest.mark.parametrize("row", TABLES, ids=lambda r: f"{r['target']}-n{r['n']}")
def test_boin_table_matches_r_get_boundary(row: dict[str, str]) -> None:
    """Integer escalate/de-escalate/eliminate cut-offs equal BOIN::get.boundary."""
    table = compute_boin_decision_table(float(row["target"]), cohort_size=3, max_n=30)
    i = table.n.index(int(row["n"]))
    assert table.escalate_at_most[i] == int(row["escalate_at_most"])
    assert table.deescalate_at_least[i] == int(row["deescalate_at_least"])
    assert table.eliminate_at_least[i] == int(row["eliminate_at_least"])


@pytest.mark.parametrize(
    ("dlt", "n", "action"),
    [(0, 3, "escalate"), (1, 3, "stay"), (2, 3, "de-escalate"), (3, 3, "eliminate"),
     (1, 6, "escalate"), (2, 6, "stay"), (3, 6, "de-escalate"), (4, 6, "eliminate"),
     (2, 2, "de-escalate")],
)
def test_boin_decisions_both_sides_of_each_boundary(dlt: int, n: int, action: str) -> None:
    """Target .30: each boundary is tested on both sides; no elimination below n = 3."""
    decision = decide_boin(dlt, n, target=0.30)
    assert decision.action == action
    assert decision.rule == f"boin_{action.replace('-', '')}"


def test_boin_target_outside_range_is_refused() -> None:
    """Targets outside [0.05, 0.6] are refused as in the BOIN package."""
    with pytest.raises(DesignError, match="target"):
        compute_boin_boundaries(0.7)


def test_isotonic_mtd_selection() -> None:
    """PAVA pools a non-monotone pair; the closest isotonic estimate to .30 is chosen."""
    res = estimate_boin_mtd([0, 2, 1, 4], [3, 6, 6, 6], target=0.30)
    iso = [v for v in res.isotonic if v is not None]
    assert iso == sorted(iso)
    assert res.isotonic[1] == pytest.approx(res.isotonic[2])
    assert res.mtd == 2  # pooled .25 tie: jitter prefers the higher dose below target


def test_mtd_none_when_lowest_eliminated() -> None:
    """3/3 DLT at the lowest dose eliminates every dose: no MTD."""
    assert estimate_boin_mtd([3, 0], [3, 0], target=0.30).mtd is None


def test_boin_oc_is_seeded_and_sane() -> None:
    """Same seed gives the same OC; a very toxic ladder mostly stops; a safe one goes to the top."""
    a = compute_boin_oc([0.05, 0.15, 0.3, 0.45], target=0.3, n_trials=200,
                        rng=np.random.default_rng(11))
    b = compute_boin_oc([0.05, 0.15, 0.3, 0.45], target=0.3, n_trials=200,
                        rng=np.random.default_rng(11))
    assert a == b
    assert sum(a.selection) + a.no_mtd == pytest.approx(1.0)
    assert int(np.argmax(a.selection)) == 2
    toxic = compute_boin_oc([0.75, 0.85], target=0.3, n_trials=200, rng=np.random.default_rng(1))
    assert toxic.no_mtd > 0.9
    safe = compute_boin_oc([0.01, 0.02, 0.28], target=0.3, n_trials=200,
                           rng=np.random.default_rng(2))
    assert safe.selection[2] > 0.6


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted({r["scenario"] for r in GET_OC}))
def test_boin_oc_matches_r_get_oc(scenario: str) -> None:
    """Selection shares, patients and DLTs per dose agree with BOIN::get.oc (BOIN 2.7.2,
    20,000 trials; tests/reference/R/boin_oc.R) within simulation error: both sides simulate
    20,000 trials, so a share s may differ by 4 standard errors of the difference,
    4 sqrt(2 s (1 - s) / 20000) (s floored at 0.005); patient and DLT counts per dose lie in
    [0, 30], so their standard deviation is at most 15 and 4 standard errors at most 0.6."""
    rows = [r for r in GET_OC if r["scenario"] == scenario]
    doses = [r for r in rows if r["dose"] != "none"]
    (stop,) = (r for r in rows if r["dose"] == "none")
    oc = compute_boin_oc([float(r["p_true"]) for r in doses], target=0.3, cohort_size=3,
                         n_cohorts=10, start=int(rows[0]["start"]) - 1,
                         n_trials=GET_OC_TRIALS, rng=np.random.default_rng(20150507))

    def tol(share: float) -> float:
        s = max(share, 0.005)
        return 4 * float(np.sqrt(2 * s * (1 - s) / GET_OC_TRIALS))

    for i, row in enumerate(doses):
        r_share = float(row["selection"])
        assert oc.selection[i] == pytest.approx(r_share, abs=tol(r_share)), row["dose"]
        assert oc.mean_patients[i] == pytest.approx(float(row["mean_patients"]), abs=0.6)
        assert oc.mean_dlt[i] == pytest.approx(float(row["mean_dlt"]), abs=0.6)
    assert oc.no_mtd == pytest.approx(float(stop["selection"]),
                                      abs=tol(float(stop["selection"])))


def test_boin_leader_regimens_from_top() -> None:
    """LEADER-style: start at L18E1.1 (top) and de-escalate over the ordered regimens."""
    calls: list[int] = []
    oc = compute_boin_oc([0.10, 0.25, 0.50], target=0.3, start=2, n_trials=100,
                         labels=["L10E1.1", "L14E1.1", "L18E1.1"],
                         rng=np.random.default_rng(3), progress=calls.append)
    assert sum(calls) == 100
    assert oc.labels[1] == "L14E1.1"
    assert oc.mean_patients[2] >= 3.0
    assert int(np.argmax(oc.selection)) == 1


@pytest.mark.parametrize("row", THREE, ids=lambda r: r["p"])
def test_3plus3_exact_pass_and_top_start(row: dict[str, str]) -> None:
    """Exact 3+3: P(pass a dose) and P(accept the top regimen from a top start) equal §2.3."""
    p = float(row["p"])
    passed = compute_3plus3_oc([p, 0.0])
    assert passed.selection[1] == pytest.approx(float(row["pass"]), abs=5e-4)
    top = compute_3plus3_oc([0.0, p], start=1, labels=["L14E1.1", "L18E1.1"])
    assert top.selection[1] == pytest.approx(float(row["accept_top"]), abs=5e-4)
    assert top.selection[0] == pytest.approx(1.0 - float(row["accept_top"]), abs=5e-4)


def test_3plus3_probabilities_sum_and_dlt_expectation() -> None:
    """Selection probabilities sum to 1 and expected DLTs are p times expected patients."""
    oc = compute_3plus3_oc([0.05, 0.15, 0.3, 0.45, 0.6])
    assert sum(oc.selection) + oc.no_mtd == pytest.approx(1.0, abs=1e-12)
    assert oc.mean_dlt[2] == pytest.approx(0.3 * oc.mean_patients[2])
    assert oc.exact


def test_3plus3_bad_input() -> None:
    """Probabilities outside [0, 1] or a start outside the ladder raise DesignError."""
    with pytest.raises(DesignError, match="p_true"):
        compute_3plus3_oc([0.1, 1.2])
    with pytest.raises(DesignError, match="start"):
        compute_3plus3_oc([0.1, 0.2], start=2)


def test_boin_early_stop_caps_patients_per_dose() -> None:
    """With n_earlystop=9 no dose gets more than 9 patients (BOIN n.earlystop)."""
    oc = compute_boin_oc([0.25, 0.3], target=0.3, n_trials=100, n_earlystop=9,
                         rng=np.random.default_rng(5))
    assert max(oc.mean_patients) <= 9.0
    assert sum(oc.mean_patients) <= 18.0


def test_elimination_posterior_equals_scipy_beta_tail() -> None:
    """The exact binomial-sum form of Pr(p > target | y, n) under Beta(1, 1) equals scipy's
    Beta(y + 1, n - y + 1) upper tail for every y at n = 3..60 and common targets."""
    from scipy import stats

    from oncotrial.stats.boin import _posterior_over

    for n in range(3, 61):
        y = np.arange(n + 1)
        for target in (0.1, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.5):
            ours = np.array([_posterior_over(target, int(k), n) for k in y])
            np.testing.assert_allclose(ours, stats.beta.sf(target, y + 1, n - y + 1),
                                       rtol=1e-12, atol=1e-14)
