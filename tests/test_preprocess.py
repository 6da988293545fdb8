"""dlcourse.preprocess against scikit-learn (scalers, PCA) and PyTorch in float64 (statistics, eigenvalues, image
normalisation), over data drawn by hypothesis; exact properties of whitening; errors that name the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from sklearn import decomposition as skd
from sklearn import preprocessing as skp
from strategies import design_matrices, image_batches, scaled_settings

from dlcourse import preprocess as P
from dlcourse.checks import rel_error
from dlcourse.checks import tolerances as tol


def assert_close(got, expected, rtol: float = tol.REFERENCE_RTOL, floor: float = tol.FLOOR):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    worst = float(np.max(rel_error(got, expected, floor), initial=0.0))
    assert worst <= rtol, f"relative error {worst:.2e} > {rtol:.0e}"


def assert_close_to_scale(got, expected, rtol: float = tol.REFERENCE_RTOL):
    """Relative error measured against the size of the largest expected entry: entries that cancel to ~0 (the
    off-diagonal of a covariance, a centred value) are compared to the array's scale, not to themselves."""
    assert_close(got, expected, rtol, floor=max(float(np.max(np.abs(expected), initial=0.0)), tol.FLOOR))


def split_rows(X, frac: float = 0.7):
    k = max(1, int(len(X) * frac))
    return X[:k], X[k:] if k < len(X) else X[:1]


# --------------------------------------------------------------------------------------------- StandardScaler
@given(design_matrices(), st.booleans(), st.booleans())
@scaled_settings(40)
def test_standard_scaler_matches_sklearn(X, with_mean, with_std):
    X_train, X_test = split_rows(X)
    ours = P.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X_train)
    ref = skp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X_train)
    for attr in ("mean_", "var_", "scale_"):
        if getattr(ref, attr) is None:
            assert getattr(ours, attr) is None
        else:
            assert_close(getattr(ours, attr), getattr(ref, attr))
    for Z in (X_train, X_test):
        assert_close(ours.transform(Z), ref.transform(Z))
    assert_close(ours.inverse_transform(ours.transform(X_test)), X_test)
    assert ours.n_features_in_ == X.shape[1] and ours.n_samples_seen_ == len(X_train)


@given(design_matrices(min_n=2, constant_columns=False))
@scaled_settings(30)
def test_standardised_training_data_have_zero_mean_unit_std_as_in_torch(X):
    assume(np.all(X.std(axis=0) > 1e-6 * (np.abs(X).max(axis=0) + 1)))
    Z = P.StandardScaler().fit_transform(X)
    t = torch.from_numpy(X)
    expected = (t - t.mean(0)) / t.std(0, unbiased=False)
    assert_close(Z, expected.numpy())
    assert np.allclose(Z.mean(axis=0), 0.0, atol=tol.REFERENCE_RTOL)
    assert np.allclose(Z.std(axis=0), 1.0, rtol=tol.REFERENCE_RTOL, atol=0)


def test_constant_training_column_is_divided_by_one():
    X_train = np.array([[1.0, 3.0], [2.0, 3.0], [4.0, 3.0]])
    X_test = np.array([[0.0, 5.0]])
    scaler = P.StandardScaler().fit(X_train)
    assert scaler.scale_[1] == 1.0
    assert scaler.transform(X_test)[0, 1] == 2.0  # (5 - 3) / 1, not (5 - 3) / 1e-8
    assert np.all(np.isfinite(scaler.transform(X_train)))


def test_float32_stays_float32():
    X = np.random.default_rng(0).random((10, 3)).astype(np.float32)
    assert P.StandardScaler().fit_transform(X).dtype == np.float32
    assert P.MinMaxScaler().fit_transform(X).dtype == np.float32


# --------------------------------------------------------------------------------------------- MinMaxScaler
@given(design_matrices(), st.sampled_from([(0.0, 1.0), (-1.0, 1.0), (2.0, 5.5)]), st.booleans())
@scaled_settings(40)
def test_min_max_scaler_matches_sklearn(X, feature_range, clip):
    X_train, X_test = split_rows(X)
    ours = P.MinMaxScaler(feature_range, clip=clip).fit(X_train)
    ref = skp.MinMaxScaler(feature_range=feature_range, clip=clip).fit(X_train)
    for attr in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        assert_close(getattr(ours, attr), getattr(ref, attr))
    for Z in (X_train, X_test):
        assert_close(ours.transform(Z), ref.transform(Z))
    t = torch.from_numpy(X_train)
    lo, hi = t.amin(0), t.amax(0)
    span = torch.where(hi - lo > 0, hi - lo, torch.ones_like(lo))
    expected = feature_range[0] + (feature_range[1] - feature_range[0]) * (t - lo) / span  # the formula, in torch
    assert_close_to_scale(ours.transform(X_train), expected.numpy())
    out = ours.transform(X_train)
    width = feature_range[1] - feature_range[0]
    assert out.min() >= feature_range[0] - tol.REFERENCE_RTOL * width
    assert out.max() <= feature_range[1] + tol.REFERENCE_RTOL * width
    if not clip:  # clipping is not invertible
        assert_close(ours.inverse_transform(ours.transform(X_test)), X_test)


# --------------------------------------------------------------------------------------------- PCA
@st.composite
def pca_data(draw):
    """Data (N, D) whose sample variances along the principal axes are well separated, so that the principal
    directions are well defined; and a number of components K < rank."""
    n, d = draw(st.integers(3, 40)), draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    X = rng.standard_normal((n, d)) * 2.0 ** -np.arange(d) * draw(st.floats(0.1, 10.0)) @ q + rng.uniform(-5, 5, d)
    s = np.linalg.svd(X - X.mean(0), compute_uv=False)
    rank = min(n - 1, d)
    assume(rank >= 1 and np.all(s[:rank] > 1e-6 * s[0]))
    assume(rank == 1 or np.all(np.diff(s[:rank]) < -1e-3 * s[0]))  # distinct singular values
    k = draw(st.integers(1, rank))
    return X, k, rank


@given(pca_data(), st.booleans())
@scaled_settings(40)
def test_pca_matches_sklearn(data, whiten):
    X, k, _ = data
    X_train, X_test = X, X[::-1] + 0.5
    ours = P.PCA(k, whiten=whiten).fit(X_train)
    ref = skd.PCA(k, whiten=whiten, svd_solver="full").fit(X_train)
    assert ours.n_components_ == ref.n_components_ == k
    for attr in ("components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"):
        assert_close(getattr(ours, attr), getattr(ref, attr))
    assert_close(ours.noise_variance_, ref.noise_variance_, floor=tol.FLOOR * ref.explained_variance_[0])
    assert_close(ours.transform(X_test), ref.transform(X_test))
    Z = ours.transform(X_test)
    assert_close(ours.inverse_transform(Z), ref.inverse_transform(Z))


@given(pca_data())
@scaled_settings(30)
def test_pca_variances_are_torch_covariance_eigenvalues(data):
    X, _, rank = data
    pca = P.PCA().fit(X)
    cov = torch.atleast_2d(torch.cov(torch.from_numpy(X).T))  # (D, D), divides by N - 1
    eig = torch.linalg.eigvalsh(cov).flip(0).numpy()  # descending
    eig = np.atleast_1d(eig)[: len(pca.explained_variance_)]
    assert_close_to_scale(pca.explained_variance_[:rank], eig[:rank])


@given(pca_data(), st.floats(0.05, 0.99))
@scaled_settings(30)
def test_fractional_n_components_matches_sklearn(data, fraction):
    X, _, _ = data
    ratio = skd.PCA(svd_solver="full").fit(X).explained_variance_ratio_
    assume(np.min(np.abs(np.cumsum(ratio) - fraction)) > 1e-9)  # not on a tie
    assert P.PCA(fraction).fit(X).n_components_ == skd.PCA(fraction, svd_solver="full").fit(X).n_components_


def test_full_pca_reconstructs_exactly_and_whitening_gives_unit_covariance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)) @ rng.standard_normal((4, 4)) + 3.0
    pca = P.PCA(whiten=True).fit(X)
    Z = pca.transform(X)
    assert_close_to_scale(np.cov(Z.T), np.eye(4))
    assert_close(pca.inverse_transform(Z), X)
    assert_close_to_scale(pca.components_ @ pca.components_.T, np.eye(4))


# --------------------------------------------------------------------------------------------- ZCA
@given(pca_data())
@scaled_settings(30)
def test_zca_with_zero_epsilon_is_pca_whitening_rotated_back(data):
    X, _, rank = data
    assume(rank == X.shape[1])  # full rank: N > D
    zca = P.ZCA(0.0).fit(X)
    ref = skd.PCA(whiten=True, svd_solver="full").fit(X)
    Z = zca.transform(X)
    assert_close_to_scale(Z, ref.transform(X) @ ref.components_)
    assert_close_to_scale(np.atleast_2d(np.cov(Z.T)), np.eye(X.shape[1]))
    assert_close_to_scale(zca.whitening_, zca.whitening_.T)
    assert_close(zca.inverse_transform(Z), X)


@given(pca_data(), st.floats(1e-3, 10.0))
@scaled_settings(30)
def test_zca_epsilon_shrinks_each_principal_variance_to_lambda_over_lambda_plus_epsilon(data, epsilon):
    X, _, _ = data
    zca = P.ZCA(epsilon).fit(X)
    lam = zca.explained_variance_
    projected = zca.transform(X) @ zca.components_.T  # whitened data along the principal axes
    assert_close(projected.var(axis=0, ddof=1), lam / (lam + epsilon))


def test_zca_without_epsilon_refuses_rank_deficient_data():
    X = np.random.default_rng(0).standard_normal((3, 5))  # rank 2 after centring
    with pytest.raises(ValueError, match="epsilon"):
        P.ZCA(0.0).fit(X)


# --------------------------------------------------------------------------------------------- images
@given(image_batches(min_n=2, max_side=6))
@scaled_settings(30)
def test_channel_stats_and_normalize_match_torch(x):
    mean, std = P.channel_stats(x)
    t = torch.from_numpy(x.astype(np.float64))
    rtol = tol.FLOAT32_RTOL if x.dtype == np.float32 else tol.REFERENCE_RTOL
    assert_close(mean, t.mean(dim=(0, 2, 3)).numpy(), rtol=rtol)
    assert_close(std, t.std(dim=(0, 2, 3), unbiased=False).numpy(), rtol=rtol)
    m, s = np.linspace(0.2, 0.6, x.shape[1]), np.linspace(0.5, 2.0, x.shape[1])
    out = P.Normalize(m, s)(x)
    expected = (t - torch.from_numpy(m).view(-1, 1, 1)) / torch.from_numpy(s).view(-1, 1, 1)  # torchvision's formula
    assert out.dtype == x.dtype and out.shape == x.shape
    assert_close(out, expected.numpy(), rtol=rtol)
    assert np.array_equal(P.normalize(x[0], m, s), out[0])  # one image (C, H, W)
    assert_close(P.Normalize(0.5, 0.25)(x), (x - 0.5) / 0.25, rtol=rtol)


# --------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: P.StandardScaler().transform(np.ones((2, 2))), "not fitted"),
        (lambda: P.StandardScaler().fit(np.ones((3, 2))).transform(np.ones((3, 4))), "X: expected 2 features"),
        (lambda: P.StandardScaler().fit(np.ones(3)), "X: expected a 2-D array"),
        (lambda: P.StandardScaler().fit(np.array([[1.0, np.nan]])), "X: expected finite"),
        (lambda: P.MinMaxScaler((1, 0)), "feature_range"),
        (lambda: P.PCA(0), "n_components"),
        (lambda: P.PCA(1.5), "n_components"),
        (lambda: P.PCA(5).fit(np.ones((3, 4))), "n_components: expected at most"),
        (
            lambda: P.PCA(2).fit(np.random.default_rng(0).random((5, 3))).inverse_transform(np.ones((2, 3))),
            "Z: expected 2",
        ),
        (lambda: P.ZCA(-1.0), "epsilon"),
        (lambda: P.normalize(np.ones((2, 3, 4, 4)), [0.5, 0.5], [1, 1, 1]), "mean: expected one number per channel"),
        (lambda: P.normalize(np.ones((2, 3, 4, 4)), 0.5, 0.0), "std: expected positive"),
        (lambda: P.normalize(np.ones((4, 4)), 0.5, 1.0), "x: expected an image"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
