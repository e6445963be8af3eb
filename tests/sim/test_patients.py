"""Virtual patients: baseline distributions follow the named assumptions."""

from __future__ import annotations

import numpy as np
import pytest

from oncotrial.errors import DataError
from oncotrial.sim.parameters import PopulationParameters
from oncotrial.sim.patients import compute_bsa_mosteller, simulate_patients


def test_histology_sex_and_age_follow_leader(rng: np.random.Generator) -> None:
    """LMS share ≈ 21/30, women ≈ 63 %, median age ≈ 58 (LEADER [S1], [S12])."""
    pts = simulate_patients(20000, rng=rng)
    assert abs(pts.lms.mean() - 0.7) < 0.015
    assert abs(pts.female.mean() - 0.63) < 0.02
    assert abs(np.median(pts.age) - 58) <= 1.0
    assert pts.age.min() >= 20
    assert pts.age.max() <= 85
    assert not (pts.uterine & ~pts.female).any()
    assert not (pts.uterine & ~pts.lms).any()


def test_bsa_by_sex_is_taiwanese_range(rng: np.random.Generator) -> None:
    """Mean BSA ≈ 1.55 m² for women and ≈ 1.8 m² for men (simulation.md §4)."""
    pts = simulate_patients(20000, rng=rng)
    assert 1.50 < pts.bsa_m2[pts.female].mean() < 1.62
    assert 1.74 < pts.bsa_m2[~pts.female].mean() < 1.86


def test_mosteller_matches_published_formula() -> None:
    """Mosteller 1987: √(170 cm × 70 kg / 3600) = 1.8181 m²."""
    got = compute_bsa_mosteller(np.array([170.0]), np.array([70.0]))
    assert got[0] == pytest.approx(1.81812, abs=1e-5)


def test_target_lesions_obey_recist_selection(rng: np.random.Generator) -> None:
    """1–5 targets, ≤ 2 per organ, ≥ 10 mm (nodes ≥ 15 mm short axis) — RECIST 1.1 §3."""
    params = PopulationParameters()
    pts = simulate_patients(5000, rng=rng, params=params)
    assert pts.n_target.min() == 1
    assert pts.n_target.max() == 5
    present = pts.lesion_organ >= 0
    assert (present.sum(axis=1) == pts.n_target).all()
    for organ in range(len(params.organs)):
        assert ((pts.lesion_organ == organ).sum(axis=1) <= 2).all()
    sizes = pts.lesion_mm[present]
    nodal = pts.lesion_nodal[present]
    assert sizes[~nodal].min() >= 10
    assert sizes[nodal].min() >= 15
    assert 29 <= np.median(sizes[~nodal]) <= 36
    assert np.isnan(pts.lesion_mm[~present]).all()


def test_same_seed_same_patients() -> None:
    """Two generators with the same seed give identical patients."""
    a = simulate_patients(50, rng=np.random.default_rng(3))
    b = simulate_patients(50, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.lesion_mm, b.lesion_mm)
    np.testing.assert_array_equal(a.age, b.age)


def test_zero_patients_is_refused(rng: np.random.Generator) -> None:
    """Asking for no patients raises a DataError naming the field."""
    with pytest.raises(DataError, match="n=0"):
        simulate_patients(0, rng=rng)
