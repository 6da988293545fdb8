"""The Fréchet distance between Gaussians (chapter 10) against independent computations: SciPy's general matrix
square root of sigma1 @ sigma2 (the way FID code computes it), closed forms for one dimension and for commuting
(diagonal) covariances, and its properties (zero for equal Gaussians, symmetric, a translation adds its squared
length); bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.metrics import frechet_distance, gaussian_statistics


def random_covariance(rng, d, rank=None):
    a = rng.standard_normal((d, rank or d + 2))
    return a @ a.T / a.shape[1]


def scipy_frechet(mu1, s1, mu2, s2):
    """The FID formula with scipy.linalg.sqrtm of the non-symmetric product sigma1 @ sigma2."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real)


@scaled_settings(40)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 8))
def test_equals_scipys_matrix_square_root_of_the_product(seed, d):
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_covariance(rng, d), random_covariance(rng, d)
    expected = scipy_frechet(mu1, s1, mu2, s2)
    # both sides sum terms of size ~ trace(s1) + trace(s2) + |mu1 - mu2|^2: compare to that scale
    scale = np.trace(s1) + np.trace(s2) + np.sum((mu1 - mu2) ** 2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-9 * scale)


@scaled_settings(40)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6))
def test_diagonal_covariances_have_the_closed_form_of_independent_coordinates(seed, d):
    """Commuting (diagonal) covariances: d^2 = |mu1 - mu2|^2 + sum (s1_i - s2_i)^2 over the standard deviations."""
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    std1, std2 = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((std1 - std2) ** 2)
    got = frechet_distance(mu1, np.diag(std1**2), mu2, np.diag(std2**2))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@scaled_settings(30)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6))
def test_zero_for_equal_gaussians_symmetric_and_a_shift_adds_its_squared_length(seed, d):
    rng = np.random.default_rng(seed)
    mu, shift = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = random_covariance(rng, d), random_covariance(rng, d, rank=max(1, d - 1))  # s2 singular
    scale = np.trace(s1) + np.trace(s2)
    # a zero eigenvalue comes out of eigh as ~eps * scale, and its square root as ~sqrt(eps * scale): the trace of
    # a matrix square root is only that accurate per zero eigenvalue (at most d of them)
    roundoff = 1e-9 * scale + 2 * d * np.sqrt(64 * np.finfo(float).eps * scale)
    assert frechet_distance(mu, s1, mu, s1) == pytest.approx(0.0, abs=roundoff)
    assert frechet_distance(mu, s1, mu, s2) == pytest.approx(frechet_distance(mu, s2, mu, s1), abs=roundoff)
    shifted = frechet_distance(mu, s1, mu + shift, s2)
    expected = frechet_distance(mu, s1, mu, s2) + shift @ shift
    assert shifted == pytest.approx(expected, abs=roundoff + 1e-9 * shift @ shift)


def test_gaussian_statistics_are_numpys_mean_and_unbiased_covariance():
    x = np.random.default_rng(0).standard_normal((50, 3))
    mu, sigma = gaussian_statistics(x)
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(x.T))
    assert gaussian_statistics(x[:, :1])[1].shape == (1, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(2)), "mu2: expected shape"),
        (lambda: frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)), "sigma1: expected shape"),
        (lambda: frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), [[1, 1], [0, 1]]), "sigma2: expected a symm"),
        (lambda: frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2)), "sigma1: expected a positive"),
        (lambda: frechet_distance([np.nan, 0], np.eye(2), np.zeros(2), np.eye(2)), "mu1: expected finite"),
        (lambda: gaussian_statistics(np.zeros((1, 3))), "features: expected .N, d. with N >= 2"),
        (lambda: gaussian_statistics(np.zeros(3)), "features: expected"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@scaled_settings(40)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6), dead=st.integers(1, 20))
def test_features_that_are_zero_in_both_sets_change_nothing(seed, d, dead):
    """Features that are 0 on every example of both sets (a dead ReLU unit) make both covariances singular; they add
    nothing to the distance, which equals the distance over the live features to round-off of the size of the
    covariances (not the ~sqrt(eps) of the square root of an eigenvalue that round-off left at ~eps instead of 0)."""
    rng = np.random.default_rng(seed)
    live = [rng.standard_normal((40, d)) * rng.uniform(0.5, 30.0, d) for _ in range(2)]
    order = np.random.default_rng(seed).permutation(d + dead)  # the same column order for both sets
    padded = [np.concatenate([x, np.zeros((40, dead))], axis=1)[:, order] for x in live]
    (mu1, s1), (mu2, s2) = (gaussian_statistics(x) for x in live)
    (pm1, ps1), (pm2, ps2) = (gaussian_statistics(x) for x in padded)
    scale = max(np.trace(s1), np.trace(s2))
    expected = scipy_frechet(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-9 * scale)
    assert frechet_distance(pm1, ps1, pm2, ps2) == pytest.approx(expected, abs=1e-9 * scale)
    assert frechet_distance(pm1, ps1, pm1, ps1) == pytest.approx(0.0, abs=1e-9 * scale)
