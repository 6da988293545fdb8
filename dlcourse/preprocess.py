"""Chapter 06: preprocessing, scaling, mean subtraction, PCA and whitening, with scikit-learn's names and API.

Every transformer learns its statistics from the data passed to ``fit`` (the *training* set) and applies them,
unchanged, to whatever ``transform`` receives later (validation and test sets, new inputs)::

    scaler = StandardScaler().fit(X_train)          # mean_ and scale_ from the training set only
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)

* :class:`StandardScaler` — :math:`(x - \\mu) / \\sigma` per column; ``with_std=False`` is plain mean subtraction;
* :class:`MinMaxScaler` — each column mapped linearly onto ``feature_range`` (0 to 1 by default);
* :class:`PCA` — principal components by SVD, optional whitening, as ``sklearn.decomposition.PCA``;
* :class:`ZCA` — zero-phase whitening, :math:`W = U \\operatorname{diag}(1/\\sqrt{\\lambda + \\epsilon}) U^\\top`;
* :func:`normalize` / :class:`Normalize` — per-channel ``(x - mean[c]) / std[c]`` of NCHW images, like
  ``torchvision.transforms.v2.Normalize``; :func:`channel_stats` computes those means and standard deviations.

Data matrices are (N, D): N samples (rows) of D features (columns). Images are (N, C, H, W).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._types import Seed
from ._validate import as_float_array, check_finite, check_interval, check_number

__all__ = ["MinMaxScaler", "Normalize", "PCA", "StandardScaler", "ZCA", "channel_stats", "normalize"]


class _Transformer:
    """``fit`` / ``transform`` / ``fit_transform`` / ``inverse_transform`` on (N, D) matrices."""

    n_features_in_: int | None = None  # set by fit: the mark of a fitted transformer

    def fit(self, X: ArrayLike) -> _Transformer:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def fit_transform(self, X: ArrayLike) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def _check_X(self, X, name: str = "X", fitting: bool = False) -> np.ndarray:
        X = as_float_array(X, name, ndim=2)
        check_finite(X, name)
        if fitting:
            if len(X) < 1:
                raise ValueError(f"{name}: expected at least one sample to fit on, got shape {X.shape}")
            self.n_features_in_ = X.shape[1]
            return X
        if self.n_features_in_ is None:
            raise ValueError(f"{type(self).__name__} is not fitted yet: call fit(X_train) before transforming")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name}: expected {self.n_features_in_} features (columns), as in the data passed to "
                f"fit, got shape {X.shape}"
            )
        return X


# ------------------------------------------------------------------------------------------ scaling
class StandardScaler(_Transformer):
    r"""Standardise each column: :math:`z_{nd} = (x_{nd} - \mu_d) / \sigma_d`, like sklearn's ``StandardScaler``.

    :math:`\mu_d` is the column mean and :math:`\sigma_d` the population standard deviation (``ddof=0``) of the
    data passed to :meth:`fit`. A (nearly) constant column, whose variance is within the rounding error of the
    variance computation, gets ``scale_ = 1``: it is centred, not divided by ~0 (scikit-learn's rule).

    Parameters
    ----------
    with_mean : subtract :math:`\mu_d` (``False`` keeps the offset)
    with_std : divide by :math:`\sigma_d` (``with_std=False`` is mean subtraction alone)

    Attributes (after ``fit``)
    --------------------------
    mean_ : (D,), None only if both options are off;  var_ : (D,) or None;  scale_ : (D,) or None;
    n_features_in_, n_samples_seen_ : int
    """

    def __init__(self, *, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean, self.with_std = bool(with_mean), bool(with_std)
        self.mean_ = self.var_ = self.scale_ = None

    def fit(self, X: ArrayLike) -> StandardScaler:
        X = self._check_X(X, fitting=True)
        n = X.shape[0]
        mean = X.mean(axis=0)  # (D,)
        var = X.var(axis=0)  # (D,), ddof=0
        eps = np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * mean * eps) ** 2  # var below its own rounding error
        self.mean_ = mean if (self.with_mean or self.with_std) else None  # sklearn's rule
        self.var_ = var if self.with_std else None
        self.scale_ = np.where(constant, 1.0, np.sqrt(var)) if self.with_std else None
        self.n_samples_seen_ = n
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """(N, D) -> (N, D) with the training statistics."""
        X = self._check_X(X)
        out = X - self.mean_ if self.with_mean else X.copy()  # mean_ is also known when not subtracted
        if self.with_std:
            out = out / self.scale_
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Undo :meth:`transform`: :math:`x = z\\,\\sigma + \\mu`."""
        Z = self._check_X(Z, "Z")
        out = Z * self.scale_ if self.with_std else Z.copy()
        if self.with_mean:
            out = out + self.mean_
        return out.astype(Z.dtype, copy=False)


class MinMaxScaler(_Transformer):
    r"""Map each column linearly so that its training minimum goes to ``feature_range[0]`` and its maximum to
    ``feature_range[1]``, like sklearn's ``MinMaxScaler``: :math:`x' = x \cdot s_d + m_d` with
    :math:`s_d = (b - a) / (\max_d - \min_d)` and :math:`m_d = a - \min_d s_d`. A constant column has range 1.

    ``clip=True`` clips transformed values (e.g. of test data outside the training range) to ``feature_range``.

    Attributes: ``data_min_``, ``data_max_``, ``data_range_``, ``scale_``, ``min_`` (all (D,)).
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0), *, clip: bool = False) -> None:
        self.feature_range = check_interval(feature_range, "feature_range", strict=True)
        self.clip = bool(clip)
        self.scale_ = None

    def fit(self, X: ArrayLike) -> MinMaxScaler:
        X = self._check_X(X, fitting=True)
        a, b = self.feature_range
        self.data_min_, self.data_max_ = X.min(axis=0), X.max(axis=0)  # (D,)
        self.data_range_ = self.data_max_ - self.data_min_  # (D,)
        range_ = np.where(self.data_range_ < 10 * np.finfo(X.dtype).eps, 1.0, self.data_range_)
        self.scale_ = (b - a) / range_
        self.min_ = a - self.data_min_ * self.scale_
        self.n_samples_seen_ = X.shape[0]
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        X = self._check_X(X)
        out = X * self.scale_ + self.min_
        if self.clip:
            out = np.clip(out, *self.feature_range)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        Z = self._check_X(Z, "Z")
        return ((Z - self.min_) / self.scale_).astype(Z.dtype, copy=False)


# ------------------------------------------------------------------------------------------ PCA
def _svd_flip_rows(Vt: np.ndarray) -> np.ndarray:
    """Flip each row's sign so that its largest-magnitude entry is positive (sklearn's ``svd_flip`` on V)."""
    biggest = np.argmax(np.abs(Vt), axis=1)  # (K,)
    signs = np.sign(Vt[np.arange(len(Vt)), biggest])  # (K,)
    return Vt * np.where(signs == 0, 1.0, signs)[:, None]


class PCA(_Transformer):
    r"""Principal component analysis by singular value decomposition, like ``sklearn.decomposition.PCA``
    (``svd_solver='full'``).

    With the centred data :math:`X_c = X - \bar{x}` (N, D) and its thin SVD :math:`X_c = U S V^\top`, the rows of
    :math:`V^\top` are the principal directions (unit vectors, most variance first) and
    :math:`\lambda_k = s_k^2 / (N - 1)` the variance of the data along direction k. ``transform`` projects:
    :math:`Z = (X - \bar{x}) V_K` (N, K); with ``whiten=True`` every column of Z is divided by
    :math:`\sqrt{\lambda_k}`, so the projected training data have unit variance and no correlation. Signs follow
    scikit-learn: the largest-magnitude entry of every component is positive.

    Parameters
    ----------
    n_components : None (keep min(N, D)), an int K, or a float in (0, 1): the smallest K whose components explain
        more than that fraction of the variance
    whiten : divide the projections by :math:`\sqrt{\lambda_k}`

    Attributes
    ----------
    components_ : (K, D);  explained_variance_, explained_variance_ratio_, singular_values_ : (K,);
    mean_ : (D,);  n_components_ : K;  noise_variance_ : mean of the discarded variances (0 if none)
    """

    def __init__(self, n_components: int | float | None = None, *, whiten: bool = False) -> None:
        if n_components is not None and (
            isinstance(n_components, bool)
            or not isinstance(n_components, (int, float, np.integer, np.floating))
            or n_components <= 0
            or (isinstance(n_components, (float, np.floating)) and n_components >= 1)
        ):
            raise ValueError(f"n_components: expected None, a positive int or a float in (0, 1), got {n_components!r}")
        self.n_components, self.whiten = n_components, bool(whiten)
        self.mean_ = None

    def fit(self, X: ArrayLike) -> PCA:
        X = self._check_X(X, fitting=True)
        n, d = X.shape
        k_max = min(n, d)
        k = self.n_components
        if isinstance(k, (int, np.integer)) and k > k_max:
            raise ValueError(f"n_components: expected at most min(n_samples, n_features) = {k_max}, got {k}")
        self.mean_ = X.mean(axis=0)  # (D,)
        _, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)  # S (k_max,), Vt (k_max, D)
        Vt = _svd_flip_rows(Vt)
        variance = S**2 / max(n - 1, 1)  # (k_max,)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        if k is None:
            k = k_max
        elif isinstance(k, (float, np.floating)):
            k = int(np.searchsorted(np.cumsum(ratio), k, side="right")) + 1  # first K with cumulative ratio > k
            k = min(k, k_max)
        k = int(k)
        self.n_components_ = k
        self.components_ = Vt[:k].copy()
        self.explained_variance_ = variance[:k].copy()
        self.explained_variance_ratio_ = ratio[:k].copy()
        self.singular_values_ = S[:k].copy()
        self.noise_variance_ = float(variance[k:].mean()) if k < min(n, d) else 0.0
        self.n_samples_ = n
        return self

    def _scale(self) -> np.ndarray:
        scale = np.sqrt(self.explained_variance_)  # (K,)
        return np.maximum(scale, np.finfo(scale.dtype).eps)  # rank-deficient data: no 0 divides

    def transform(self, X: ArrayLike) -> np.ndarray:
        """(N, D) -> (N, K) coordinates along the principal directions."""
        X = self._check_X(X)
        Z = (X - self.mean_) @ self.components_.T  # (N, K)
        return Z / self._scale() if self.whiten else Z

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """(N, K) -> (N, D): back to the input space (exact when K = D; the best rank-K approximation otherwise)."""
        Z = as_float_array(Z, "Z", ndim=2)
        if self.n_features_in_ is None:
            raise ValueError("PCA is not fitted yet: call fit(X_train) before inverse_transform")
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"Z: expected {self.n_components_} columns (one per component), got shape {Z.shape}")
        if self.whiten:
            Z = Z * np.sqrt(self.explained_variance_)
        return Z @ self.components_ + self.mean_  # (N, D)


class ZCA(_Transformer):
    r"""ZCA ("zero-phase") whitening: :math:`Z = (X - \bar{x})\, W` with
    :math:`W = V \operatorname{diag}\big(1/\sqrt{\lambda_k + \epsilon}\big) V^\top` (D, D).

    PCA whitening rotates the data onto the principal axes and rescales them; ZCA rotates back afterwards, so the
    whitened data stay as close as possible to the original (same pixel layout for images) while their covariance
    becomes (nearly) the identity. :math:`\epsilon` > 0 keeps directions of tiny variance (mostly noise) from being
    amplified without bound. With :math:`\epsilon = 0` and full-rank data,
    ``ZCA().transform(X) == PCA(whiten=True).transform(X) @ components_``.

    Attributes: ``mean_`` (D,), ``components_`` (D', D), ``explained_variance_`` (D',), ``whitening_`` (D, D),
    ``dewhitening_`` (D, D), where D' = min(N, D).
    """

    def __init__(self, epsilon: float = 1e-6) -> None:
        self.epsilon = check_number(epsilon, "epsilon", minimum=0)
        self.mean_ = None

    def fit(self, X: ArrayLike) -> ZCA:
        pca = PCA().fit(self._check_X(X, fitting=True))
        lam = pca.explained_variance_  # (D',)
        if self.epsilon == 0 and np.any(lam <= np.finfo(np.float64).eps * max(lam.max(), 1.0)):
            raise ValueError(
                "epsilon: the data have directions of (almost) zero variance; whitening them needs epsilon > 0, got 0"
            )
        V = pca.components_  # (D', D)
        self.mean_, self.components_, self.explained_variance_ = pca.mean_, V, lam
        self.whitening_ = (V.T / np.sqrt(lam + self.epsilon)) @ V  # (D, D), symmetric
        self.dewhitening_ = (V.T * np.sqrt(lam + self.epsilon)) @ V  # (D, D)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        X = self._check_X(X)
        return (X - self.mean_) @ self.whitening_

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Exact when min(N, D) = D (the whitening matrix is then invertible)."""
        Z = self._check_X(Z, "Z")
        return Z @ self.dewhitening_ + self.mean_


# ------------------------------------------------------------------------------------------ images
def _as_images(x, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected an image (C, H, W) or a batch (N, C, H, W), got shape {x.shape}")
    return x


def _per_channel(value, channels: int, name: str) -> np.ndarray:
    arr = as_float_array(value, name)
    arr = np.broadcast_to(arr, (channels,)) if arr.ndim == 0 else arr
    if arr.shape != (channels,):
        raise ValueError(f"{name}: expected one number per channel, shape ({channels},), got shape {arr.shape}")
    return arr


def channel_stats(x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population standard deviation of images, over all images and pixels.

    Parameters
    ----------
    x : (N, C, H, W) images (or one image (C, H, W))

    Returns
    -------
    mean, std : two (C,) arrays, what :class:`Normalize` takes (compute them on the training set)
    """
    x = _as_images(x)
    axes = (0, 2, 3) if x.ndim == 4 else (1, 2)
    return x.mean(axis=axes), x.std(axis=axes)


def normalize(x: ArrayLike, mean: ArrayLike, std: ArrayLike) -> np.ndarray:
    r"""Per-channel normalisation of images, :math:`(x_{n,c,i,j} - m_c) / s_c`, like
    ``torchvision.transforms.v2.functional.normalize``.

    Parameters
    ----------
    x : (N, C, H, W) or (C, H, W) float images
    mean, std : C numbers each (or one number for all channels); ``std`` must be positive

    Returns
    -------
    out : same shape and dtype as x
    """
    x = _as_images(x)
    c = x.shape[-3]
    mean, std = _per_channel(mean, c, "mean"), _per_channel(std, c, "std")
    if np.any(std <= 0):
        raise ValueError(f"std: expected positive standard deviations, got {std.tolist()}")
    out = (x - mean[:, None, None]) / std[:, None, None]  # broadcast over (C, 1, 1)
    return out.astype(x.dtype, copy=False)


class Normalize:
    """``Normalize(mean, std)(x)``: :func:`normalize` as a transform object, like ``torchvision.transforms.v2``.

    It has no randomness; the ``rng`` argument is accepted (and ignored) so it composes with the random transforms
    of :mod:`dlcourse.augment`.
    """

    def __init__(self, mean: ArrayLike, std: ArrayLike) -> None:
        self.mean = np.atleast_1d(as_float_array(mean, "mean"))
        self.std = np.atleast_1d(as_float_array(std, "std"))
        if np.any(self.std <= 0):
            raise ValueError(f"std: expected positive standard deviations, got {self.std.tolist()}")

    def __call__(self, x: ArrayLike, rng: Seed = None) -> np.ndarray:
        mean = self.mean if self.mean.size > 1 else self.mean[0]
        std = self.std if self.std.size > 1 else self.std[0]
        return normalize(x, mean, std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
