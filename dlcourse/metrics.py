"""Chapter 03: evaluation metrics with scikit-learn's names and argument order: ``metric(y_true, y_pred)``.

Inputs are checked as scikit-learn checks them: both must be class labels of the same kind and length (a mix of
labels and probabilities or scores raises "Classification metrics can't handle a mix of ... targets"), NaN and
infinity are rejected, and an empty input raises.

Chapter 10 adds the Fréchet distance between two Gaussians (:func:`frechet_distance`), and between two sets of
feature vectors through their means and covariances (:func:`gaussian_statistics`): the measure behind FID.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import as_float_array, check_finite


def _as_labels(value, name: str) -> np.ndarray:
    if value is None:
        raise ValueError(f"{name}: expected an array of labels, shape (N,), got None")
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged lists: sequences of sequences
        raise ValueError(f"{name}: expected a 1-D array of labels, got a ragged sequence of sequences") from None
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected an array of labels, shape (N,), got the scalar {value!r}")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: expected real labels, got complex data (dtype {arr.dtype})")
    return arr


def type_of_target(y: ArrayLike, name: str = "y") -> str:
    """What kind of target ``y`` is, by the rules of ``sklearn.utils.multiclass.type_of_target``.

    * ``'binary'``: 1-D (or one column), at most two distinct values;
    * ``'multiclass'``: 1-D (or one column), whole numbers or strings, more than two distinct values;
    * ``'continuous'``: 1-D floats that are not all whole numbers (scores, probabilities);
    * ``'multilabel-indicator'``: 2-D of 0/1 (any two whole numbers) with more than one column, one per label;
    * ``'multiclass-multioutput'``, ``'continuous-multioutput'``: other 2-D arrays with more than one column;
    * ``'unknown'``: anything else (3-D arrays, objects that are not strings ...).

    Floats holding NaN or infinity raise a ValueError naming ``name``, as in scikit-learn.
    """
    arr = _as_labels(y, name)
    if arr.ndim not in (1, 2) or (arr.dtype == object and arr.size and not isinstance(arr.flat[0], str)):
        return "unknown"
    if arr.size == 0:
        return "binary" if arr.ndim == 1 else "unknown"
    suffix = "-multioutput" if arr.ndim == 2 and arr.shape[1] > 1 else ""
    if suffix and arr.dtype.kind in "biuf" and len(np.unique(arr)) < 3 and np.all(arr == np.round(arr)):
        return "multilabel-indicator"  # scikit-learn's test: at most two distinct whole numbers
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name}: expected finite labels, got {arr[index]} at index {index} (input {name} "
                f"contains {'NaN' if np.isnan(arr[index]) else 'infinity'})"
            )
        if np.any(arr != np.round(arr)):
            return "continuous" + suffix
    if suffix or len(np.unique(arr)) > 2:
        return "multiclass" + suffix
    return "binary"


def _check_targets(y_true, y_pred) -> tuple[str, np.ndarray, np.ndarray]:
    """Both targets as arrays of one supported kind: 'binary', 'multiclass' or 'multilabel-indicator'."""
    y_true, y_pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_pred: expected as many labels as y_true ({len(y_true)}), got {len(y_pred)} (inconsistent "
            f"numbers of samples: [{len(y_true)}, {len(y_pred)}])"
        )
    if len(y_true) == 0:
        raise ValueError("y_true: expected at least one label, got an empty array (a minimum of 1 sample is required)")
    kind_true, kind_pred = type_of_target(y_true, "y_true"), type_of_target(y_pred, "y_pred")
    kinds = {"multiclass"} if {kind_true, kind_pred} == {"binary", "multiclass"} else {kind_true, kind_pred}
    if len(kinds) > 1:
        name, kind = ("y_pred", kind_pred) if kind_pred not in ("binary", "multiclass") else ("y_true", kind_true)
        raise ValueError(
            f"{name}: expected class labels like the other argument, got {kind} values: classification "
            f"metrics can't handle a mix of {kind_true} and {kind_pred} targets (turn scores or "
            f"probabilities into labels first, e.g. with argmax)"
        )
    kind = kinds.pop()
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(f"y_true: expected class labels, got {kind} targets ({kind} is not supported)")
    if kind == "multilabel-indicator":
        if y_true.shape != y_pred.shape:
            raise ValueError(f"y_pred: expected the shape of y_true {y_true.shape}, got {y_pred.shape}")
        return kind, y_true, y_pred
    y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)  # a column (N, 1) counts as (N,)
    if (y_true.dtype.kind in "USO") != (y_pred.dtype.kind in "USO"):
        raise ValueError(
            f"y_pred: expected labels of the same type as y_true ({y_true.dtype}), got {y_pred.dtype} "
            "(a mix of label input types: string and number)"
        )
    return kind, y_true, y_pred


def accuracy_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of predictions equal to the true labels (``sklearn.metrics.accuracy_score``).

    y_true, y_pred : (N,) class labels (integers, or strings; a column (N, 1) works too). For multilabel
    indicators (N, L) of 0/1, an example counts as right only when all its L labels are (subset accuracy).
    """
    kind, y_true, y_pred = _check_targets(y_true, y_pred)
    if kind == "multilabel-indicator":
        return float(np.mean(np.all(y_true == y_pred, axis=1)))
    return float(np.mean(y_true == y_pred))


# ------------------------------------------------------------------------------ chapter 10: Fréchet distance
def gaussian_statistics(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The mean (d,) and covariance (d, d) of feature vectors (N, d), N >= 2 (the unbiased covariance, as
    ``np.cov(features, rowvar=False)``)."""
    features = as_float_array(features, "features", ndim=2)
    check_finite(features, "features")
    if features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(
            f"features: expected (N, d) with N >= 2 examples and d >= 1 features, got shape {features.shape}"
        )
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def _psd_eigenvalues(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues and eigenvectors of a symmetric positive semi-definite matrix, with every eigenvalue at the
    level of ``eigh``'s round-off (below ``64 d eps`` times the largest, negative ones included) set to 0: a zero
    eigenvalue comes out as ~eps times the largest, and its square root, ~sqrt(eps), would not be small."""
    values, vectors = np.linalg.eigh((sigma + sigma.T) / 2)
    floor = 64 * len(values) * np.finfo(np.float64).eps * max(float(values.max(initial=0.0)), 0.0)
    return np.where(values > floor, values, 0.0), vectors


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, by its eigendecomposition."""
    values, vectors = _psd_eigenvalues(sigma)
    return (vectors * np.sqrt(values)) @ vectors.T


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    r"""The squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2):

    .. math::
        d^2 = \lVert \mu_1 - \mu_2 \rVert^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
              - 2\operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}

    (Dowson & Landau 1982). The trace term is computed from the eigenvalues of the symmetric positive semi-definite
    matrix :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}`, which equal those of :math:`\Sigma_1\Sigma_2`. Computed
    on a classifier's features of real and generated images, it is the FID of Heusel et al. (2017).

    mu1, mu2 : (d,);  sigma1, sigma2 : (d, d) symmetric positive semi-definite  ->  a float >= 0
    """
    mu1, mu2 = as_float_array(mu1, "mu1", ndim=1), as_float_array(mu2, "mu2", ndim=1)
    sigma1, sigma2 = as_float_array(sigma1, "sigma1", ndim=2), as_float_array(sigma2, "sigma2", ndim=2)
    d = len(mu1)
    for name, value, shape in (("mu2", mu2, (d,)), ("sigma1", sigma1, (d, d)), ("sigma2", sigma2, (d, d))):
        if value.shape != shape:
            raise ValueError(f"{name}: expected shape {shape} to match mu1 of shape ({d},), got {value.shape}")
        check_finite(value, name)
    check_finite(mu1, "mu1")
    for name, sigma in (("sigma1", sigma1), ("sigma2", sigma2)):
        scale = max(1.0, float(np.abs(sigma).max(initial=0.0)))
        if not np.allclose(sigma, sigma.T, rtol=0.0, atol=1e-8 * scale):
            raise ValueError(f"{name}: expected a symmetric covariance matrix, got one with sigma != sigma.T")
        if np.linalg.eigvalsh((sigma + sigma.T) / 2).min() < -1e-8 * scale * d:
            raise ValueError(f"{name}: expected a positive semi-definite covariance matrix, got a negative eigenvalue")
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1  # symmetric PSD, same eigenvalues as sigma1 @ sigma2
    trace_sqrt = np.sqrt(_psd_eigenvalues(middle)[0]).sum()
    distance = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(distance, 0.0)  # round-off can make a zero distance a tiny negative number
