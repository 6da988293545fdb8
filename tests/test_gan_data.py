"""Chapter 10's ring of Gaussians: centres on the circle, points around them with the stated spread, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.data.synthetic import make_gaussian_ring, ring_centres


def test_centres_are_evenly_spaced_on_the_circle():
    centres = ring_centres(8, 2.0)
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0)
    np.testing.assert_allclose(centres[0], [2.0, 0.0])
    angles = np.unwrap(np.arctan2(centres[:, 1], centres[:, 0]))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)
    np.testing.assert_allclose(centres[2], [0.0, 2.0], atol=1e-15)


def test_points_lie_around_their_modes_with_the_stated_spread():
    X, y = make_gaussian_ring(20_000, n_modes=8, radius=2.0, std=0.05, rng=3)
    assert X.shape == (20_000, 2) and X.dtype == np.float64 and y.dtype == np.int64
    offsets = X - ring_centres(8, 2.0)[y]
    # fixed seed: the sample std of 40,000 normal values is within 1% of 0.05 (its standard error is 0.35%)
    assert abs(offsets.std() - 0.05) < 0.0005
    assert abs(offsets.mean()) < 0.002
    counts = np.bincount(y, minlength=8)
    assert counts.min() > 2300 and counts.max() < 2700  # 2,500 expected, standard error 47


def test_same_seed_same_points_and_a_generator_advances():
    a, b = make_gaussian_ring(50, rng=7), make_gaussian_ring(50, rng=7)
    np.testing.assert_array_equal(a[0], b[0])
    rng = np.random.default_rng(0)
    assert not np.array_equal(make_gaussian_ring(50, rng=rng)[0], make_gaussian_ring(50, rng=rng)[0])


def test_std_zero_puts_every_point_on_a_centre():
    X, y = make_gaussian_ring(30, n_modes=5, radius=1.5, std=0.0, rng=0)
    np.testing.assert_array_equal(X, ring_centres(5, 1.5)[y])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 0}, "n_samples: expected a positive integer"),
        ({"n_modes": 0}, "n_modes: expected a positive integer"),
        ({"std": -1.0}, "std"),
        ({"radius": float("nan")}, "radius"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_gaussian_ring(**kwargs)
