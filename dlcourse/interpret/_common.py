"""Chapter 12: what the attribution methods share: the scores of a batch, one target per example, and the
gradient of the target scores with respect to the input by the model's own backward pass.

A model here is a ``dlcourse.nn`` module (``forward(x)`` returns scores (N, C), ``backward(dout)`` returns the
input's gradient) in eval mode. The gradient is taken as captum takes it, without touching what the parameters
have accumulated: their ``grads`` are put back as they were after each backward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_finite, check_labels
from ..nn import Module


def check_model(model: object, name: str = "model") -> Module:
    """Return ``model`` if it is a dlcourse module (it has a backward pass), else raise a ValueError."""
    if not isinstance(model, Module):
        raise ValueError(
            f"{name}: expected a dlcourse.nn.Module (with forward and backward), got {type(model).__name__}"
        )
    return model


def check_function(fn: object, name: str) -> Callable:
    """Return ``fn`` if it can be called, else raise a ValueError naming ``name``."""
    if not callable(fn):
        raise ValueError(f"{name}: expected a function of a batch returning scores, got {type(fn).__name__}")
    return fn


def check_batch(x: ArrayLike, name: str = "x", min_ndim: int = 2) -> np.ndarray:
    """A finite float array with a leading batch dimension, (N, ...)."""
    arr = as_float_array(x, name)
    if arr.ndim < min_ndim:
        raise ValueError(f"{name}: expected a batch of at least {min_ndim} dimensions (N, ...), got shape {arr.shape}")
    check_finite(arr, name)
    return arr


def check_targets(target: ArrayLike, n: int, num_classes: int, name: str = "target") -> np.ndarray:
    """One class index per example, (N,); an int means the same class for every example."""
    if isinstance(target, (int, np.integer)) and not isinstance(target, (bool, np.bool_)):
        target = np.full(n, int(target))
    return check_labels(target, name, n, num_classes)


def scores_of(fn: Callable, x: np.ndarray, name: str = "model") -> np.ndarray:
    """``fn(x)`` as a float array (N, C) of scores, one row per example."""
    out = np.asarray(fn(x))
    if out.ndim != 2 or out.shape[0] != x.shape[0]:
        raise ValueError(
            f"{name}: expected scores of shape ({x.shape[0]}, C) for a batch of {x.shape[0]}, got shape {out.shape}"
        )
    return out


def target_scores(fn: Callable, x: np.ndarray, target: np.ndarray, name: str = "model") -> np.ndarray:
    """The score of each example's target class, (N,)."""
    out = scores_of(fn, x, name)
    return out[np.arange(len(target)), target]


def input_gradient(model: Module, x: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The target scores (N,) and their gradients with respect to ``x``, (N, ...), by ``model.backward``.

    Backward from the one-hot upstream gradient: example n's row holds 1 at its target class, so each example's
    input gradient is that of its own target score (the examples do not interact in eval mode).
    """
    saved = {name: p.grad.copy() for name, p in model.named_parameters()}
    out = scores_of(model, x)
    dout = np.zeros_like(out)
    dout[np.arange(len(target)), target] = 1.0
    dx = np.asarray(model.backward(dout))
    for name, p in model.named_parameters():
        p.grad[...] = saved[name]
    return out[np.arange(len(target)), target], dx


def broadcast_baseline(baseline: ArrayLike | None, x: np.ndarray, name: str = "baseline") -> np.ndarray:
    """The baseline as an array of ``x``'s shape: None is zeros, a number or an example's shape broadcasts."""
    if baseline is None:
        return np.zeros_like(x)
    b = as_float_array(baseline, name)
    check_finite(b, name)
    try:
        return np.broadcast_to(b, x.shape).astype(x.dtype)
    except ValueError:
        raise ValueError(
            f"{name}: expected a number or an array broadcastable to {x.shape}, got shape {b.shape}"
        ) from None
