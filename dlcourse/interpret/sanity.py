"""Chapter 12: are the explanations telling the truth? The model-randomisation check of Adebayo et al. (2018), and
deletion and insertion curves (Petsiuk et al., 2018).

Randomisation: re-initialise the model's layers cumulatively from the top (the output layer first, then the one
below, ...) in a copy, recompute the attribution map each time, and measure how much it still resembles the
original by the Spearman rank correlation (scipy.stats.spearmanr is the reference the tests compare with). A
method whose maps barely change while the network becomes noise explains the input, not the model.

Deletion: hide the most-attributed inputs first and watch the target score fall (a small area under the curve is
good); insertion: start from the baseline and reveal them first (a large area is good).

    check = model_randomization(model, x, target, saliency, rng=0)
    check.correlations          # (L + 1, N): 1 for the trained model, then one row per randomised layer
    curve = deletion_curve(model, x[0], target=3, attribution=attr[0], n_steps=20)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_finite, check_int, check_positive_int, check_rng
from ..nn import Module
from ._common import broadcast_baseline, check_function, check_model, scores_of


def rankdata(a: ArrayLike) -> np.ndarray:
    """Ranks 1 .. n of the values of a 1-D array, ties sharing their average rank (scipy's ``method='average'``)."""
    a = as_float_array(a, "a", ndim=1)
    order = np.argsort(a, kind="stable")
    sorted_a = a[order]
    starts = np.r_[True, sorted_a[1:] != sorted_a[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(a)]  # one past each group's last position
    ranks = np.empty(len(a))
    ranks[order] = ((first + last + 1) / 2)[group]  # the mean of positions first+1 .. last
    return ranks


def spearman_correlation(a: ArrayLike, b: ArrayLike) -> float:
    """The Spearman rank correlation of two maps of the same shape: the Pearson correlation of their ranks (NaN
    if either map is constant, as scipy)."""
    a = as_float_array(a, "a").ravel()
    b = as_float_array(b, "b").ravel()
    if a.shape != b.shape:
        raise ValueError(f"b: expected as many values as a ({a.size}), got {b.size}")
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denom) if denom > 0 else float("nan")


def parameterised_layers(model: Module) -> list[str]:
    """The names of the modules holding parameters, in forward order ('0', '2', ... in a Sequential)."""
    names: list[str] = []

    def walk(module: Module, prefix: str) -> None:
        if module.params:
            names.append(prefix.rstrip(".") or "(model)")
        for name, child in module._modules.items():
            walk(child, prefix + name + ".")

    walk(model, "")
    return names


def _module_at(model: Module, name: str) -> Module:
    if name == "(model)":
        return model
    for part in name.split("."):
        model = model._modules[part]
    return model


def reinitialise(layer: Module, rng: np.random.Generator) -> None:
    """Draw every parameter of ``layer`` anew, in place, from PyTorch's default initialisation of a Linear or Conv2d
    layer: uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with the fan-in of its ``weight``
    (``weight.size / weight.shape[0]``)."""
    first = layer.params.get("weight", next(iter(layer.params.values())))
    fan_in = first.size // first.shape[0] if first.ndim and first.shape[0] else 1
    bound = 1.0 / np.sqrt(max(fan_in, 1))
    for value in layer.params.values():
        value[...] = rng.uniform(-bound, bound, value.shape)


def randomize_layers(model: Module, n_layers: int, rng: Seed) -> Module:
    """A copy of ``model`` whose top ``n_layers`` parameterised layers are re-initialised (:func:`reinitialise`),
    the top one first; the model itself is left unchanged. With the same seed it is the state the cascade of
    :func:`model_randomization` reaches after ``n_layers`` steps."""
    check_model(model)
    layers = parameterised_layers(model)
    n_layers = check_int(n_layers, "n_layers", minimum=0, maximum=len(layers))
    rng = check_rng(rng, needed_for="re-initialising layers")
    out = copy.deepcopy(model)
    for name in layers[len(layers) - n_layers :][::-1]:
        reinitialise(_module_at(out, name), rng)
    return out


@dataclass
class RandomizationCheck:
    """The maps of the trained model and of its cascading randomisations, and how alike they are."""

    layers: list[str]  # the parameterised layers, top first: row k + 1 has layers[:k + 1] randomised
    maps: list[np.ndarray]  # L + 1 attribution maps, the trained model's first
    correlations: np.ndarray  # (L + 1, N): Spearman correlation of each example's map with the trained one's


def model_randomization(
    model: Module,
    x: ArrayLike,
    target: ArrayLike,
    attribution_fn: Callable,
    rng: Seed,
    *,
    absolute: bool = True,
) -> RandomizationCheck:
    """Adebayo et al.'s cascading randomisation check for ``attribution_fn(model, x, target) -> maps (N, ...)``.

    One copy of the model is randomised a layer at a time from the top (:func:`reinitialise`, drawing from
    ``rng``); after each step the maps are recomputed and compared with the trained model's.

    ``absolute`` compares the maps' magnitudes (the paper's main figures), else their signed values.
    """
    check_model(model)
    check_function(attribution_fn, "attribution_fn")
    rng = check_rng(rng, needed_for="re-initialising layers")
    layers = parameterised_layers(model)[::-1]
    maps = [np.asarray(attribution_fn(model, x, target))]
    randomised = copy.deepcopy(model)
    for name in layers:  # the cascade: each step re-initialises one more layer, keeping those above random
        reinitialise(_module_at(randomised, name), rng)
        maps.append(np.asarray(attribution_fn(randomised, x, target)))
    n = maps[0].shape[0]
    shown = [np.abs(m) if absolute else m for m in maps]
    corr = np.array([[spearman_correlation(s[i], shown[0][i]) for i in range(n)] for s in shown])
    return RandomizationCheck(layers, maps, corr)


@dataclass
class Curve:
    """A deletion or insertion curve: the target score against the fraction of the inputs hidden or revealed."""

    fractions: np.ndarray  # (n_steps + 1,): 0, 1/n_steps, ..., 1
    scores: np.ndarray  # (n_steps + 1,): the target score at each step
    auc: float  # the area under the curve (trapezoid rule over the fractions)


def _order(x: np.ndarray, attribution: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The positions (pixels) by decreasing attribution, and the mask shape: an attribution of x's shape orders
    the entries; one of x's shape without its first dimension (H, W for a (C, H, W) image) orders the pixels."""
    a = as_float_array(attribution, "attribution")
    check_finite(a, "attribution")
    if a.shape not in (x.shape, x.shape[1:]):
        raise ValueError(
            f"attribution: expected shape {x.shape} or {x.shape[1:]} (x's without channels), got {a.shape}"
        )
    return np.argsort(-a.ravel(), kind="stable"), a.shape


def _curve(predict_fn, x, target, attribution, n_steps, baseline, insert: bool) -> Curve:
    check_function(predict_fn, "predict_fn")
    x = as_float_array(x, "x")
    check_finite(x, "x")
    n_steps = check_positive_int(n_steps, "n_steps")
    base = broadcast_baseline(baseline, x)
    order, shape = _order(x, attribution)
    counts = np.round(np.linspace(0, order.size, n_steps + 1)).astype(int)
    batch = []
    for c in counts:
        changed = np.zeros(order.size, dtype=bool)
        changed[order[:c]] = True
        changed = np.broadcast_to(changed.reshape(shape), x.shape)
        batch.append(np.where(changed, x, base) if insert else np.where(changed, base, x))
    scores = scores_of(predict_fn, np.stack(batch), "predict_fn")
    target = check_int(target, "target", minimum=0, maximum=scores.shape[1] - 1)
    fractions = counts / order.size
    s = scores[:, target]
    return Curve(fractions, s, float(((s[1:] + s[:-1]) / 2) @ np.diff(fractions)))


def deletion_curve(
    predict_fn: Callable,
    x: ArrayLike,
    target: int,
    attribution: ArrayLike,
    n_steps: int = 20,
    baseline: ArrayLike | None = None,
) -> Curve:
    """The target score of one input x (no batch dimension) as its most-attributed entries (or pixels) are
    replaced by the baseline (zeros by default), in ``n_steps`` equal steps from none to all.

    ``predict_fn`` maps a batch (n, *x.shape) to scores (n, C), e.g. a model followed by a softmax.
    """
    return _curve(predict_fn, x, target, attribution, n_steps, baseline, insert=False)


def insertion_curve(
    predict_fn: Callable,
    x: ArrayLike,
    target: int,
    attribution: ArrayLike,
    n_steps: int = 20,
    baseline: ArrayLike | None = None,
) -> Curve:
    """As :func:`deletion_curve`, starting from the baseline and revealing the most-attributed entries first."""
    return _curve(predict_fn, x, target, attribution, n_steps, baseline, insert=True)
