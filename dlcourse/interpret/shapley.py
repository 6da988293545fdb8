"""Chapter 12: Shapley values: each feature's fair share of a prediction, exactly by enumerating the coalitions, and
estimated by KernelSHAP (Lundberg and Lee, 2017) as a weighted least-squares fit.

A coalition is a boolean mask (M,) of the features present. :func:`exact_shapley` averages each feature's marginal
contribution ``v(S ∪ {i}) - v(S)`` over the coalitions S without it, with the weights ``|S|! (M - |S| - 1)! / M!``;
it needs all 2^M values. :func:`kernel_shap` defines a coalition's value as the mean prediction when the absent
features take the values of background rows (as ``shap.KernelExplainer``, whose values it equals when every
coalition is enumerated and shap's ``l1_reg=False``), and fits ``v(z) ≈ phi_0 + z · phi`` with the Shapley kernel
weights ``(M - 1) / (C(M, |z|) |z| (M - |z|))`` under the efficiency constraint ``sum(phi) = v(all) - v(none)``.
With every coalition enumerated the fit is exact: it returns the Shapley values.

    phi = exact_shapley(lambda masks: masks @ w, 3)                       # an additive game: phi == w
    phi, base = kernel_shap(predict_fn, x, background, n_samples=200, rng=0)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_finite, check_int, check_positive_int, check_rng
from ._common import check_function

#: the most features whose 2^M coalitions are enumerated
MAX_EXACT_FEATURES = 20


def all_coalitions(n_features: int) -> np.ndarray:
    """Every coalition of ``n_features`` features as a boolean array (2^M, M); row k holds the bits of k."""
    m = check_int(n_features, "n_features", minimum=1, maximum=MAX_EXACT_FEATURES)
    return ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(bool)


def _values(value_fn: Callable, masks: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(value_fn(masks), dtype=np.float64)
    if values.shape != (len(masks),):
        raise ValueError(f"{name}: expected one value per coalition, shape ({len(masks)},), got shape {values.shape}")
    check_finite(values, name)
    return values


def exact_shapley(value_fn: Callable, n_features: int) -> np.ndarray:
    """The Shapley values (M,) of the game ``value_fn``, by enumerating all 2^M coalitions.

    ``value_fn`` maps coalitions, a boolean array (K, M), to their values (K,).
    ``phi_i = sum over S not containing i of |S|! (M - |S| - 1)! / M! * (v(S ∪ {i}) - v(S))``.
    """
    check_function(value_fn, "value_fn")
    masks = all_coalitions(n_features)
    m = masks.shape[1]
    v = _values(value_fn, masks, "value_fn")
    sizes = masks.sum(axis=1)
    phi = np.zeros(m)
    for i in range(m):
        without = np.flatnonzero(~masks[:, i])  # rows k without i; k + 2^i is the same coalition with i
        s = sizes[without]
        weight = np.array([math.factorial(k) * math.factorial(m - k - 1) for k in s]) / math.factorial(m)
        phi[i] = weight @ (v[without + 2**i] - v[without])
    return phi


def shapley_kernel(n_features: int, sizes: ArrayLike) -> np.ndarray:
    """The Shapley kernel weight of coalitions of the given sizes, 1 .. M-1: ``(M - 1) / (C(M, s) s (M - s))``."""
    m = check_positive_int(n_features, "n_features")
    s = np.asarray(sizes)
    if ((s < 1) | (s > m - 1)).any():
        raise ValueError(f"sizes: expected coalition sizes from 1 to {m - 1} (the empty and full ones are constraints)")
    return np.array([(m - 1) / (math.comb(m, int(k)) * k * (m - k)) for k in s.ravel()]).reshape(s.shape)


def sample_coalitions(n_features: int, n_samples: int, rng: Seed) -> tuple[np.ndarray, np.ndarray]:
    """Coalitions for KernelSHAP and their weights: all 2^M - 2 proper ones with their kernel weights when
    ``n_samples >= 2^M - 2``; else ``n_samples`` drawn (in pairs: a coalition and its complement) with a size
    chosen in proportion to the kernel's total weight of that size, uniformly among the coalitions of that size,
    each then with the same weight (the kernel is in the sampling)."""
    m = check_positive_int(n_features, "n_features")
    n_samples = check_positive_int(n_samples, "n_samples")
    if m < 2:
        return np.zeros((0, m), dtype=bool), np.zeros(0)
    if m <= MAX_EXACT_FEATURES and n_samples >= 2**m - 2:
        masks = all_coalitions(m)[1:-1]
        return masks, shapley_kernel(m, masks.sum(axis=1))
    rng = check_rng(rng, needed_for="sampling coalitions")
    sizes = np.arange(1, m)
    size_p = (m - 1) / (sizes * (m - sizes))
    size_p /= size_p.sum()
    half = (n_samples + 1) // 2
    masks = np.zeros((2 * half, m), dtype=bool)
    for k, s in enumerate(rng.choice(sizes, size=half, p=size_p)):
        masks[2 * k, rng.permutation(m)[:s]] = True
        masks[2 * k + 1] = ~masks[2 * k]
    return masks[:n_samples], np.full(n_samples, 1.0 / n_samples)


def kernel_shap(
    predict_fn: Callable,
    x: ArrayLike,
    background: ArrayLike,
    n_samples: int = 2048,
    rng: Seed = None,
    *,
    target: int | None = None,
) -> tuple[np.ndarray, float]:
    """KernelSHAP: the Shapley values (M,) of ``predict_fn`` at one input x (M,), and the base value ``phi_0``.

    Parameters
    ----------
    predict_fn : a function from inputs (n, M) to outputs (n,), or scores (n, C) with ``target``
    x : the input (M,);  background : rows (B, M) whose values stand in for absent features
    n_samples : the number of coalitions evaluated (all of them when ``n_samples >= 2^M - 2``)
    rng : the generator of the sampled coalitions (needed only when they are sampled)

    The value of a coalition z is ``mean_b f(x where z, background row b elsewhere)``; ``phi_0`` is the value of
    the empty coalition (the mean prediction on the background), and ``phi_0 + sum(phi) = f(x)`` holds exactly.
    """
    check_function(predict_fn, "predict_fn")
    x = as_float_array(x, "x", ndim=1)
    background = as_float_array(background, "background", ndim=2)
    check_finite(x, "x")
    check_finite(background, "background")
    m = x.shape[0]
    if background.shape[1] != m or len(background) == 0:
        raise ValueError(f"background: expected rows (B, {m}) with B >= 1, got shape {background.shape}")

    def value(masks: np.ndarray) -> np.ndarray:
        inputs = np.where(masks[:, None, :], x, background[None]).reshape(-1, m)
        out = np.asarray(predict_fn(inputs), dtype=np.float64)
        if target is not None:
            if out.ndim != 2:
                raise ValueError(f"predict_fn: expected scores (n, C) to pick the target from, got shape {out.shape}")
            out = out[:, check_int(target, "target", minimum=0, maximum=out.shape[1] - 1)]
        if out.shape != (len(inputs),):
            raise ValueError(f"predict_fn: expected one output per input, shape ({len(inputs)},), got {out.shape}")
        return out.reshape(len(masks), len(background)).mean(axis=1)

    masks, weights = sample_coalitions(m, n_samples, rng)
    ends = value(np.array([np.zeros(m, dtype=bool), np.ones(m, dtype=bool)]))
    base, total = ends[0], ends[1] - ends[0]
    if m == 1:
        return np.array([total]), float(base)
    # efficiency: phi_M = total - sum(phi_1..M-1); substitute it and solve the weighted least squares for the rest
    z = masks.astype(np.float64)
    y = value(masks) - base - z[:, -1] * total
    design = z[:, :-1] - z[:, -1:]
    sw = np.sqrt(weights)
    phi_rest = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
    return np.append(phi_rest, total - phi_rest.sum()), float(base)
