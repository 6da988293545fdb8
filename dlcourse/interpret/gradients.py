"""Chapter 12: attribution by gradients: saliency, gradient × input, SmoothGrad and Integrated Gradients.

Each is computed with the model's own backward pass (:func:`dlcourse.interpret._common.input_gradient`), for a
batch x (N, ...) and one target class per example. The names and defaults follow captum, the reference the tests
compare with on the PyTorch twin of the model (``captum.attr.Saliency``, ``InputXGradient``, ``NoiseTunnel(...)``
with ``nt_type="smoothgrad"`` on captum's own noise, and ``IntegratedGradients``, whose trapezoid rule differs:
:func:`quadrature`), as they compare with torch autograd.

    sal = saliency(model, x, target=3)                         # |d score_3 / d x|
    attr, delta = integrated_gradients(model, x, 3, n_steps=64)  # delta: completeness error, -> 0 as n_steps grows
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import (
    as_float_array,
    check_bool,
    check_choice,
    check_finite,
    check_number,
    check_positive_int,
    check_rng,
)
from ..nn import Module
from ._common import broadcast_baseline, check_batch, check_model, check_targets, input_gradient, scores_of

#: the quadrature rules of :func:`integrated_gradients`, as captum names them
IG_METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def _prepare(model: Module, x: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    check_model(model)
    x = check_batch(x)
    num_classes = scores_of(model, x[:1]).shape[1]
    return x, check_targets(target, x.shape[0], num_classes)


def saliency(
    model: Module, x: ArrayLike, target: ArrayLike, *, abs: bool = True, channel_max: bool = False
) -> np.ndarray:
    """The gradient of each example's target score with respect to its input (Simonyan et al., 2014).

    Parameters
    ----------
    model : a dlcourse module, scores (N, C) from inputs (N, ...);  x : the inputs (N, ...)
    target : the class to explain, an int or one per example (N,)
    abs : the absolute value of the gradient (captum's ``Saliency(...).attribute(abs=True)``, its default)
    channel_max : for images (N, C, H, W), the largest value over the channels, one map (N, H, W) per image
        (Simonyan et al.'s saliency map; with ``abs`` the largest magnitude)

    Returns
    -------
    (N, ...) like x, or (N, H, W) with ``channel_max``.
    """
    abs, channel_max = check_bool(abs, "abs"), check_bool(channel_max, "channel_max")
    if channel_max and check_batch(x).ndim != 4:
        raise ValueError(f"channel_max: expected images x (N, C, H, W), got x of shape {np.shape(x)}")
    x, target = _prepare(model, x, target)
    _, grad = input_gradient(model, x, target)
    grad = np.abs(grad) if abs else grad
    return grad.max(axis=1) if channel_max else grad


def gradient_x_input(model: Module, x: ArrayLike, target: ArrayLike) -> np.ndarray:
    """The input times the gradient of the target score, elementwise (captum's ``InputXGradient``): (N, ...).

    For a linear model ``w · x + b`` it is ``w * x``, each input's share of the score above that of a zero input.
    """
    x, target = _prepare(model, x, target)
    _, grad = input_gradient(model, x, target)
    return x * grad


def smoothgrad(
    model: Module,
    x: ArrayLike,
    target: ArrayLike,
    n_samples: int = 50,
    stdev: float = 0.15,
    rng: Seed = None,
    *,
    abs: bool = False,
    noise: ArrayLike | None = None,
) -> np.ndarray:
    """SmoothGrad (Smilkov et al., 2017): the gradient averaged over noisy copies of the input, (N, ...).

    ``mean_k grad f(x + eps_k)`` with ``eps_k ~ N(0, stdev²)`` elementwise, as captum's ``NoiseTunnel`` with
    ``nt_type="smoothgrad"``, ``nt_samples=n_samples``, ``stdevs=stdev`` (an absolute standard deviation, in the
    input's units; the paper's 10-20% is of the input's range). The noise is drawn from ``rng`` as one array
    (n_samples, N, ...): the k-th noisy batch is ``x + noise[k]``. ``abs`` averages the gradients' magnitudes
    (captum's NoiseTunnel over ``Saliency``, whose default is ``abs=True``).

    ``noise`` (K, N, ...), if given, is the noise itself, K copies of the batch (then ``n_samples``, ``stdev`` and
    ``rng`` are not used): to average over the very draws of another implementation. captum draws its noise with
    ``torch.normal`` as one tensor (N * K, ...), example n's copies in rows n K .. n K + K - 1
    (``repeat_interleave``), so ``noise[k, n]`` is its row ``n K + k``.
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    stdev = check_number(stdev, "stdev", minimum=0.0)
    abs = check_bool(abs, "abs")
    if noise is None:
        rng = check_rng(rng, needed_for="the noise of SmoothGrad")
    x, target = _prepare(model, x, target)
    if noise is None:
        noise = rng.normal(0.0, stdev, size=(n_samples, *x.shape)).astype(x.dtype, copy=False)
    else:
        noise = as_float_array(noise, "noise")
        check_finite(noise, "noise")
        if noise.ndim != x.ndim + 1 or noise.shape[1:] != x.shape or len(noise) == 0:
            raise ValueError(
                f"noise: expected K >= 1 noisy copies of x, shape (K, *{x.shape}), got shape {noise.shape}"
            )
        n_samples = len(noise)
    noisy = (x[None] + noise).reshape(n_samples * x.shape[0], *x.shape[1:])
    _, grad = input_gradient(model, noisy, np.tile(target, n_samples))
    grad = grad.reshape(n_samples, *x.shape)
    return (np.abs(grad) if abs else grad).mean(axis=0)


def quadrature(n_steps: int, method: str = "riemann_trapezoid") -> tuple[np.ndarray, np.ndarray]:
    """The points ``alphas`` in [0, 1] and weights ``step_sizes`` of a rule for the integral over [0, 1], as captum's
    ``approximation_methods``: ``integral g ≈ sum(step_sizes * g(alphas))``.

    ``riemann_left`` / ``riemann_right``: n points 1/n apart, from 0 / up to 1 (error O(1/n));
    ``riemann_middle``: the midpoints, and ``riemann_trapezoid``: n points from 0 to 1, the ends weighted by half
    (error O(1/n²)); ``gausslegendre``: Gauss-Legendre nodes (exact for polynomials of degree 2n - 1).

    One difference from captum (0.9), by design: captum's ``riemann_trapezoid`` weighs its n points, 1/(n - 1)
    apart, by 1/n (1/(2n) at the ends), so its weights sum to (n - 1)/n and its attributions are ours times
    (n - 1)/n; they then miss completeness (Sundararajan et al., 2017, Prop. 1) by (f(x) - f(x'))/n even for linear
    f. Here the ends weigh 1/(2(n - 1)) and the others 1/(n - 1), the trapezoid rule, whose weights sum to 1.
    captum also rounds its step sizes to float32, and its Riemann points too unless torch's default dtype is
    float64 (``torch.linspace``); here both are float64.
    """
    n = check_positive_int(n_steps, "n_steps")
    method = check_choice(method, "method", IG_METHODS)
    if method == "riemann_trapezoid":
        if n < 2:
            raise ValueError("n_steps: expected at least 2 for riemann_trapezoid (both ends of the path), got 1")
        weights = np.full(n, 1.0 / (n - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n), weights
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * (nodes + 1.0), 0.5 * weights
    start = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
    return (np.arange(n) + start) / n, np.full(n, 1.0 / n)


def integrated_gradients(
    model: Module,
    x: ArrayLike,
    target: ArrayLike,
    baseline: ArrayLike | None = None,
    n_steps: int = 50,
    method: Literal[
        "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre"
    ] = "riemann_trapezoid",
) -> tuple[np.ndarray, np.ndarray]:
    """Integrated Gradients (Sundararajan et al., 2017), as captum's ``IntegratedGradients`` (but for its
    trapezoid rule's weights: :func:`quadrature`).

    ``(x - x') * integral_0^1 grad f(x' + a (x - x')) da`` with the integral replaced by the rule ``method``
    (:func:`quadrature`); x' is the baseline (zeros by default; a number or one example broadcasts).

    Returns
    -------
    attributions : (N, ...) like x
    delta : (N,), the completeness error ``attributions.sum() - (f(x) - f(x'))`` per example (captum's
        ``return_convergence_delta=True``). Summed over the inputs, the attributions are the rule applied to
        ``g(a) = d/da f(x' + a (x - x'))``, whose exact integral is ``f(x) - f(x')``: delta is the rule's error,
        O(1/n_steps) for left and right sums, O(1/n_steps²) for the midpoint and trapezoid rules.
    """
    x, target = _prepare(model, x, target)
    baseline = broadcast_baseline(baseline, x)
    alphas, weights = quadrature(n_steps, method)
    n = x.shape[0]
    diff = x - baseline
    shape = (len(alphas), *([1] * x.ndim))
    path = (baseline[None] + alphas.reshape(shape) * diff[None]).reshape(len(alphas) * n, *x.shape[1:])
    _, grad = input_gradient(model, path, np.tile(target, len(alphas)))
    grad = grad.reshape(len(alphas), *x.shape)
    attributions = diff * np.tensordot(weights, grad, axes=1)
    ends = scores_of(model, np.concatenate([x, baseline]))[np.arange(2 * n), np.tile(target, 2)]
    delta = attributions.reshape(n, -1).sum(axis=1) - (ends[:n] - ends[n:])
    return attributions, delta
