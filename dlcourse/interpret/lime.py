"""Chapter 12: LIME (Ribeiro et al., 2016): explain one prediction by a linear model fitted to the predictions on
perturbed copies of the input, weighted by how close each copy is to it.

The recipe of the ``lime`` package (the reference the tests compare with, on its own draws: ``LimeImageExplainer``
for segments, ``lime_base.LimeBase`` for the fit): the input is cut into M features (segments of an image, or each
entry); each perturbation is a binary mask z (M,) that keeps the features with z = 1 and replaces the others by the
baseline (lime's ``hide_color``); the first mask keeps everything. Each mask gets the weight
``sqrt(exp(-d² / kernel_width²))`` where d is its cosine (or Euclidean) distance to the all-ones mask, and a ridge
regression of the target score on the masks with these sample weights (lime's ``Ridge(alpha=1)``) gives one
coefficient per feature. :func:`weighted_ridge` is that fit, the chapter's exercise.

    exp = lime_explain(model, image, target=3, segments=superpixels, n_samples=1000, rng=0)
    exp.coef            # (M,): each segment's weight;   exp.attribution: the same, painted on the input's shape
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import (
    as_float_array,
    check_choice,
    check_finite,
    check_int,
    check_number,
    check_positive_int,
    check_positive_number,
    check_rng,
)
from ._common import broadcast_baseline, check_function, scores_of


@dataclass
class LimeExplanation:
    """A LIME fit: the linear model, the perturbations it was fitted to, and its coefficients on the input."""

    coef: np.ndarray  # (M,): the weight of each feature (segment)
    intercept: float  # the fit's prediction with every feature hidden
    score: float  # the weighted R² of the fit on the perturbations (lime's ``score``)
    masks: np.ndarray  # (n_samples, M) of 0 and 1: the perturbations (drawn: the first keeps every feature)
    weights: np.ndarray  # (n_samples,): the kernel weight of each perturbation
    predictions: np.ndarray  # (n_samples,): the target score of each perturbed input
    attribution: np.ndarray  # x's shape: the coefficient of the feature each entry belongs to


def kernel_weights(distances: ArrayLike, kernel_width: float) -> np.ndarray:
    """lime's exponential kernel, ``sqrt(exp(-d² / kernel_width²))``, for distances d >= 0.

    captum's default Lime kernel, ``exp(-d² / (2 kernel_width²))``, is the same function, with width 1 and d the
    cosine distance between the perturbed and the original *inputs* rather than between the masks.
    """
    d = as_float_array(distances, "distances")
    kernel_width = check_positive_number(kernel_width, "kernel_width")
    return np.sqrt(np.exp(-(d**2) / kernel_width**2))


def mask_distances(masks: ArrayLike, metric: Literal["cosine", "euclidean"] = "cosine") -> np.ndarray:
    """The distance of each mask (n, M) to the all-ones mask, as sklearn's ``pairwise_distances`` (lime's choice):
    cosine, ``1 - z·1 / (|z| |1|)`` (1 for the all-zeros mask), or Euclidean, ``|z - 1|``."""
    z = as_float_array(masks, "masks", ndim=2)
    metric = check_choice(metric, "metric", ("cosine", "euclidean"))
    if metric == "euclidean":
        return np.sqrt(((z - 1.0) ** 2).sum(axis=1))
    norms = np.sqrt((z**2).sum(axis=1)) * np.sqrt(z.shape[1])
    cos = np.divide(z.sum(axis=1), norms, out=np.zeros(len(z)), where=norms > 0)
    return np.clip(1.0 - cos, 0.0, 2.0)


def weighted_ridge(
    X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike, alpha: float = 1.0
) -> tuple[np.ndarray, float]:
    """Weighted least squares with an L2 penalty on the coefficients, and an intercept: sklearn's
    ``Ridge(alpha).fit(X, y, sample_weight)``.

    Minimises ``sum_i w_i (y_i - b - X_i · c)² + alpha |c|²``. The intercept is not penalised, so centring X and y
    on their weighted means removes it; then ``c = (Xcᵀ W Xc + alpha I)⁻¹ Xcᵀ W yc`` and ``b = ȳ - x̄ · c``.

    Shapes: X (n, M), y (n,), sample_weight (n,) >= 0 -> coef (M,), intercept.
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    w = as_float_array(sample_weight, "sample_weight", ndim=1)
    for arr, name in ((X, "X"), (y, "y"), (w, "sample_weight")):
        check_finite(arr, name)
    if len(y) != len(X) or len(w) != len(X):
        raise ValueError(
            f"y, sample_weight: expected {len(X)} values each (one per row of X), got {len(y)} and {len(w)}"
        )
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("sample_weight: expected weights >= 0 with a positive sum")
    alpha = check_number(alpha, "alpha", minimum=0.0)
    x_mean = w @ X / w.sum()
    y_mean = w @ y / w.sum()
    Xc, yc = X - x_mean, y - y_mean
    gram = Xc.T @ (w[:, None] * Xc) + alpha * np.eye(X.shape[1])
    coef = (
        np.linalg.lstsq(gram, Xc.T @ (w * yc), rcond=None)[0] if alpha == 0 else np.linalg.solve(gram, Xc.T @ (w * yc))
    )
    return coef, float(y_mean - x_mean @ coef)


def _weighted_r2(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """sklearn's ``r2_score(y, pred, sample_weight=w)`` (1.0 when y is constant and the fit exact)."""
    total = w @ (y - w @ y / w.sum()) ** 2
    residual = w @ (y - pred) ** 2
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return float(1.0 - residual / total)


def perturb(x: np.ndarray, segments: np.ndarray, masks: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """The perturbed inputs (n, ...): x where the mask keeps the entry's segment, the baseline elsewhere."""
    keep = masks[:, segments].astype(bool)  # (n, *x.shape)
    return np.where(keep, x[None], baseline[None])


def check_masks(masks: ArrayLike, n_features: int, name: str = "masks") -> np.ndarray:
    """Perturbations given by the caller: an integer array (K, M) of 0 and 1, K >= 1, one column per feature."""
    z = np.asarray(masks)
    if z.ndim != 2 or z.shape[1] != n_features or len(z) == 0:
        raise ValueError(f"{name}: expected perturbations (K, {n_features}) with K >= 1, got shape {z.shape}")
    if (
        not (np.issubdtype(z.dtype, np.integer) or z.dtype == bool or np.issubdtype(z.dtype, np.floating))
        or not ((z == 0) | (z == 1)).all()
    ):
        raise ValueError(f"{name}: expected 0 and 1 only (1 keeps a feature, 0 hides it)")
    return z.astype(np.int64)


def lime_explain(
    predict_fn: Callable,
    x: ArrayLike,
    target: int,
    segments: ArrayLike | None = None,
    n_samples: int = 1000,
    kernel_width: float = 0.25,
    rng: Seed = None,
    *,
    metric: Literal["cosine", "euclidean"] = "cosine",
    alpha: float = 1.0,
    baseline: ArrayLike | None = None,
    masks: ArrayLike | None = None,
) -> LimeExplanation:
    """Explain ``predict_fn``'s score for class ``target`` at one input ``x`` with LIME.

    Parameters
    ----------
    predict_fn : a function (or dlcourse model) from a batch (n, *x.shape) to scores (n, C)
    x : one input (any shape, no batch dimension);  target : the class whose score is explained
    segments : an integer array of x's shape labelling each entry's feature 0 .. M-1 (an image's superpixels;
        broadcastable, so an (H, W) map serves every channel of a (C, H, W) image); None: every entry is a feature
    n_samples : the number of perturbations, the all-ones mask first; the others are uniform random 0/1 masks
    kernel_width : the kernel's width (lime's images use 0.25 with cosine distance; its tabular explainer
        ``0.75 sqrt(M)`` with Euclidean)
    rng : the generator of the masks (lime's ``random_state``)
    metric : the distance of a mask to the all-ones mask;  alpha : the ridge penalty (lime's default 1)
    baseline : what replaces a hidden feature: None (zeros), a number, or an array of x's shape (lime's
        ``hide_color``; lime's images default to each segment's mean colour)
    masks : the perturbations themselves, (K, M) of 0 and 1, used as given (then ``n_samples`` and ``rng`` are not
        used, and the first row is not set to ones): to fit the very draws of another implementation. lime's
        ``LimeImageExplainer(random_state=s)`` draws ``np.random.RandomState(s).randint(0, 2, K * M).reshape(K, M)``
        and sets its first row to ones; captum's ``Lime`` draws each row by ``torch.bernoulli`` (no row of ones).
    """
    check_function(predict_fn, "predict_fn")
    x = as_float_array(x, "x")
    check_finite(x, "x")
    if segments is None:
        segments = np.arange(x.size).reshape(x.shape)
    seg = np.asarray(segments)
    if not np.issubdtype(seg.dtype, np.integer):
        raise ValueError(f"segments: expected integer labels of the features, got dtype {seg.dtype}")
    try:
        seg = np.broadcast_to(seg, x.shape)
    except ValueError:
        raise ValueError(
            f"segments: expected labels broadcastable to x's shape {x.shape}, got shape {seg.shape}"
        ) from None
    n_features = int(seg.max()) + 1
    if seg.min() < 0 or len(np.unique(seg)) != n_features:
        raise ValueError(f"segments: expected the labels 0 .. M-1, each used, got {np.unique(seg)[:10].tolist()} ...")
    n_samples = check_positive_int(n_samples, "n_samples")
    base = broadcast_baseline(baseline, x)
    if masks is None:
        rng = check_rng(rng, needed_for="drawing LIME's perturbations")
        masks = rng.integers(0, 2, size=(n_samples, n_features))
        masks[0] = 1
    else:
        masks = check_masks(masks, n_features)
    scores = scores_of(predict_fn, perturb(x, seg, masks, base), "predict_fn")
    target = check_int(target, "target", minimum=0, maximum=scores.shape[1] - 1)
    y = scores[:, target]
    weights = kernel_weights(mask_distances(masks, metric), kernel_width)
    coef, intercept = weighted_ridge(masks, y, weights, alpha)
    score = _weighted_r2(y, masks @ coef + intercept, weights)
    return LimeExplanation(coef, intercept, score, masks, weights, y, coef[seg])
