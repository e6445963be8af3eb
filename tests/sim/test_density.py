"""Density of the virtual target lesions (HU): reproducible per patient, falling under
treatment towards a plateau, following size, read to whole HU."""

from __future__ import annotations

import numpy as np

from oncotrial.sim.density import DensityParameters, target_density_hu

SAME_SIZE = np.ones(3)


def test_same_patient_same_lesions() -> None:
    a = target_density_hu(7, 2, 3, day=42, size_ratio=SAME_SIZE)
    b = target_density_hu(7, 2, 3, day=42, size_ratio=SAME_SIZE)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, target_density_hu(7, 3, 3, day=42, size_ratio=SAME_SIZE))
    assert np.array_equal(a, np.round(a))


def test_density_falls_towards_the_plateau_before_size_changes() -> None:
    quiet = DensityParameters(reader_sd_hu=0.0, fall_sd=0.0, fall_mean=0.2)
    baseline = target_density_hu(1, 0, 2, day=0, size_ratio=np.ones(2), params=quiet)
    half = target_density_hu(1, 0, 2, day=21, size_ratio=np.ones(2), params=quiet)
    late = target_density_hu(1, 0, 2, day=210, size_ratio=np.ones(2), params=quiet)
    np.testing.assert_allclose(half, np.round(baseline * 0.9), atol=1)  # half of 20 % at t½
    np.testing.assert_allclose(late, np.round(baseline * 0.8), atol=1)  # the plateau


def test_a_growing_lesion_regains_density_a_shrinking_one_loses_it() -> None:
    quiet = DensityParameters(reader_sd_hu=0.0)
    grown = target_density_hu(1, 0, 1, day=84, size_ratio=np.array([1.3]), params=quiet)
    same = target_density_hu(1, 0, 1, day=84, size_ratio=np.array([1.0]), params=quiet)
    shrunk = target_density_hu(1, 0, 1, day=84, size_ratio=np.array([0.6]), params=quiet)
    assert shrunk[0] < same[0] < grown[0]


def test_the_assumed_fall_gives_choi_density_responses_in_a_share_of_patients() -> None:
    """With the default parameters a minority-to-half of patients lose ≥ 15 % by 12 weeks:
    the Choi density criterion is reachable but not universal."""
    falls = []
    for patient in range(400):
        base = target_density_hu(3, patient, 1, day=0, size_ratio=np.ones(1))
        later = target_density_hu(3, patient, 1, day=84, size_ratio=np.ones(1))
        falls.append(1 - later[0] / base[0])
    share = float(np.mean(np.array(falls) >= 0.15))
    assert 0.2 < share < 0.6
