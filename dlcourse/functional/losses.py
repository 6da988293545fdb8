r"""Loss functions as forward/backward pairs, mirroring ``torch.nn.functional``.

``loss, cache = mse_loss_forward(input, target)`` and ``dinput = mse_loss_backward(dloss, cache)``, where
``dloss`` is dL_total/dloss: 1.0 when the loss is the final scalar, or an array shaped like the unreduced loss
when ``reduction='none'`` (as in PyTorch, exactly that shape; None stands for 1.0 only for a scalar loss). Over an
empty batch the 'mean' is nan and the 'sum' 0, as in PyTorch. Classification losses take raw scores (logits) and
fuse the softmax or sigmoid into the loss, which is both cheaper and numerically stable for logits as large as 1e4.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Reduction
from .._validate import as_float_array, check_cache, check_labels, check_upstream
from .activations import log_softmax, sigmoid

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(values: np.ndarray, reduction: str):
    if reduction == "mean":  # the mean of no values is nan, as in PyTorch (NumPy would warn)
        return values.mean() if values.size else values.dtype.type(np.nan)
    if reduction == "sum":
        return values.sum()
    return values


def _unreduce(dloss, shape, reduction: str, count: int, dtype=np.float64) -> np.ndarray:
    """Spread dL/dloss back over the unreduced per-element losses (in the loss input's dtype)."""
    if reduction == "none":
        whose = "the loss's with reduction='none'"
        if dloss is None:
            raise ValueError(f"dloss: expected shape {tuple(shape)} ({whose}: one gradient per element), got None")
        return check_upstream(dloss, "dloss", shape, dtype, whose)
    dloss = 1.0 if dloss is None else dloss
    dloss = check_upstream(dloss, "dloss", (), dtype, f"a scalar, as the loss with reduction={reduction!r}")
    scale = dloss / count if reduction == "mean" and count else dloss  # count 0: an empty batch
    return np.full(shape, scale, dtype=dtype)


class LossCache(NamedTuple):
    input: np.ndarray
    target: np.ndarray
    reduction: Reduction


class MSELossCache(LossCache):
    """mse_loss_forward's cache (each backward accepts only its own forward's cache)."""

    __slots__ = ()


class BCEWithLogitsCache(LossCache):
    """binary_cross_entropy_with_logits_forward's cache."""

    __slots__ = ()


class BCECache(LossCache):
    """binary_cross_entropy_forward's cache."""

    __slots__ = ()


# -------------------------------------------------------------------------------------------------- MSE
def mse_loss_forward(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> tuple[np.floating | np.ndarray, MSELossCache]:
    r"""Mean squared error :math:`L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2` over all M elements.

    Parameters
    ----------
    input : predictions, any shape (*)
    target : same shape as ``input``
    """
    _check_reduction(reduction)
    input = as_float_array(input, "input")
    target = as_float_array(target, "target")
    if input.shape != target.shape:
        raise ValueError(f"target: expected the same shape as input {input.shape}, got {target.shape}")
    loss = _reduce((input - target) ** 2, reduction)
    return loss, MSELossCache(input, target, reduction)


def mse_loss_backward(dloss: ArrayLike | None, cache: MSELossCache) -> np.ndarray:
    r""":math:`\partial L / \partial \hat y_i = 2(\hat y_i - y_i)/M` for the mean."""
    check_cache(cache, MSELossCache, "mse_loss_forward")
    d = _unreduce(dloss, cache.input.shape, cache.reduction, cache.input.size, cache.input.dtype)
    return 2.0 * (cache.input - cache.target) * d


def mse_loss(input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean") -> np.floating | np.ndarray:
    return mse_loss_forward(input, target, reduction)[0]


# ----------------------------------------------------------------------------------------- cross-entropy
class CrossEntropyCache(NamedTuple):
    log_probs: np.ndarray  # (N, C)
    target: np.ndarray  # (N,) int64
    reduction: Reduction


def cross_entropy_forward(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> tuple[np.floating | np.ndarray, CrossEntropyCache]:
    r"""Softmax cross-entropy :math:`L_n = -\log \mathrm{softmax}(z_n)_{y_n}` from logits.

    Parameters
    ----------
    input : logits z, shape (N, C)
    target : class indices y, shape (N,), integers in [0, C)

    Returns
    -------
    loss : scalar (or (N,) with ``reduction='none'``)
    """
    _check_reduction(reduction)
    input = as_float_array(input, "input", ndim=2)
    n, c = input.shape
    target = check_labels(target, "target", n, c)
    log_probs = log_softmax(input, dim=1)  # (N, C), stable
    losses = -log_probs[np.arange(n), target]  # (N,)
    return _reduce(losses, reduction), CrossEntropyCache(log_probs, target, reduction)


def cross_entropy_backward(dloss: ArrayLike | None, cache: CrossEntropyCache) -> np.ndarray:
    r""":math:`\partial L_n / \partial z_n = \mathrm{softmax}(z_n) - \mathrm{onehot}(y_n)`, times dL/dL_n.

    Computed as PyTorch orders it, softmax * d minus d at the target, so that a non-finite d gives the same
    result (inf - inf = nan at the target) as in PyTorch.
    """
    n = check_cache(cache, CrossEntropyCache, "cross_entropy_forward").log_probs.shape[0]
    d = _unreduce(dloss, (n,), cache.reduction, n, cache.log_probs.dtype)  # (N,) dL/dL_n
    grad = np.exp(cache.log_probs) * d[:, None]  # softmax * d, (N, C)
    grad[np.arange(n), cache.target] -= d  # minus onehot * d
    return grad


def cross_entropy(input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean") -> np.floating | np.ndarray:
    return cross_entropy_forward(input, target, reduction)[0]


# ----------------------------------------------------------------------------- binary cross-entropy
def binary_cross_entropy_with_logits_forward(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> tuple[np.floating | np.ndarray, BCEWithLogitsCache]:
    r"""Sigmoid + binary cross-entropy in one stable formula.

    :math:`L_i = -[y_i \log\sigma(z_i) + (1-y_i)\log(1-\sigma(z_i))] = \max(z_i,0) - z_i y_i + \log(1+e^{-|z_i|})`

    Parameters
    ----------
    input : logits z, any shape (*)
    target : probabilities y in [0, 1], same shape
    """
    _check_reduction(reduction)
    input = as_float_array(input, "input")
    target = as_float_array(target, "target")
    if input.shape != target.shape:
        raise ValueError(f"target: expected the same shape as input {input.shape}, got {target.shape}")
    losses = np.maximum(input, 0) - input * target + np.log1p(np.exp(-np.abs(input)))
    return _reduce(losses, reduction), BCEWithLogitsCache(input, target, reduction)


def binary_cross_entropy_with_logits_backward(dloss: ArrayLike | None, cache: BCEWithLogitsCache) -> np.ndarray:
    r""":math:`\partial L_i / \partial z_i = \sigma(z_i) - y_i`."""
    check_cache(cache, BCEWithLogitsCache, "binary_cross_entropy_with_logits_forward")
    d = _unreduce(dloss, cache.input.shape, cache.reduction, cache.input.size, cache.input.dtype)
    return (sigmoid(cache.input) - cache.target) * d


def binary_cross_entropy_with_logits(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> np.floating | np.ndarray:
    return binary_cross_entropy_with_logits_forward(input, target, reduction)[0]


# ------------------------------------------------------------------- binary cross-entropy on probabilities
#: PyTorch clamps each log term of binary_cross_entropy at -100 and the backward's denominator p(1 - p) at 1e-12
BCE_LOG_CLAMP = -100.0
BCE_EPSILON = 1e-12


def binary_cross_entropy_forward(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> tuple[np.floating | np.ndarray, BCECache]:
    r"""Binary cross-entropy of probabilities, :math:`L_i = -[y_i \log p_i + (1-y_i)\log(1-p_i)]`.

    Mirrors ``torch.nn.functional.binary_cross_entropy``, including its safety net: each log term is clamped at
    -100, so p = 0 or 1 gives a finite loss instead of infinity. The clamp hides the problem rather than solving
    it (the loss of a logit of -1e4 with target 1 should be 1e4, not 100); train on logits with
    :func:`binary_cross_entropy_with_logits` instead.

    Parameters
    ----------
    input : probabilities p in [0, 1], any shape (*), e.g. the output of a sigmoid
    target : probabilities y in [0, 1], same shape
    """
    _check_reduction(reduction)
    input = as_float_array(input, "input")
    target = as_float_array(target, "target")
    if input.shape != target.shape:
        raise ValueError(f"target: expected the same shape as input {input.shape}, got {target.shape}")
    if input.size and (np.any(input < 0) or np.any(input > 1) or not np.all(np.isfinite(input))):
        raise ValueError(
            f"input: expected probabilities in [0, 1], got values from {np.nanmin(input):.4g} "
            f"to {np.nanmax(input):.4g} (pass logits to binary_cross_entropy_with_logits)"
        )
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
        log_p = np.maximum(np.log(input), BCE_LOG_CLAMP)
        log_1mp = np.maximum(np.log1p(-input), BCE_LOG_CLAMP)
    losses = -(target * log_p + (1.0 - target) * log_1mp)
    return _reduce(losses, reduction), BCECache(input, target, reduction)


def binary_cross_entropy_backward(dloss: ArrayLike | None, cache: BCECache) -> np.ndarray:
    r""":math:`\partial L_i / \partial p_i = (p_i - y_i) / (p_i (1 - p_i))`, the denominator clamped at 1e-12
    as in PyTorch (so p = 0 or 1 gives a huge but finite gradient)."""
    p, y = check_cache(cache, BCECache, "binary_cross_entropy_forward")[:2]
    d = _unreduce(dloss, p.shape, cache.reduction, p.size, p.dtype)
    return (p - y) / np.maximum(p * (1.0 - p), BCE_EPSILON) * d


def binary_cross_entropy(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> np.floating | np.ndarray:
    return binary_cross_entropy_forward(input, target, reduction)[0]
