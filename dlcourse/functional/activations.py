"""Activation functions as forward/backward kernel pairs.

Each activation ``f`` comes three ways, mirroring ``torch.nn.functional``:

* ``f(x)`` returns the output only (what a forward pass needs);
* ``out, cache = f_forward(x)`` also returns what the backward pass needs;
* ``dx = f_backward(dout, cache)`` turns the upstream gradient dL/dout into dL/dx.

All of them are elementwise except softmax and log_softmax, which act along ``dim``. Shapes are preserved:
``x`` has any shape ``(*)`` and so do ``out``, ``dout`` and ``dx``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import as_float_array


class ActivationCache(NamedTuple):
    """What an elementwise activation's backward pass needs."""
    x: np.ndarray    # the input, shape (*)
    out: np.ndarray  # the output, shape (*)


class SoftmaxCache(NamedTuple):
    out: np.ndarray  # softmax (or log-softmax) output, shape (*)
    dim: int


class LeakyReLUCache(NamedTuple):
    x: np.ndarray
    negative_slope: float


# --------------------------------------------------------------------------------------------- sigmoid
def sigmoid(x) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, computed without overflow.

    For x < 0 the textbook formula overflows in ``exp(-x)``; the equivalent :math:`e^{x} / (1 + e^{x})`
    does not. Both branches use ``exp(-|x|)``, which lies in (0, 1].

    Parameters
    ----------
    x : array of any shape (*)

    Returns
    -------
    out : array of shape (*), values in [0, 1]
    """
    x = as_float_array(x, "x")
    e = np.exp(-np.abs(x))                            # (*) in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x):
    out = sigmoid(x)
    return out, ActivationCache(np.asarray(x), out)


def sigmoid_backward(dout, cache: ActivationCache) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`, so dx = dout * out * (1 - out)."""
    return dout * cache.out * (1.0 - cache.out)


# ------------------------------------------------------------------------------------------------ tanh
def tanh(x) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})`, values in (-1, 1)."""
    return np.tanh(as_float_array(x, "x"))


def tanh_forward(x):
    out = tanh(x)
    return out, ActivationCache(np.asarray(x), out)


def tanh_backward(dout, cache: ActivationCache) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2(x)`."""
    return dout * (1.0 - cache.out ** 2)


# ------------------------------------------------------------------------------------------------ ReLU
def relu(x) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, x)`."""
    x = as_float_array(x, "x")
    return np.maximum(x, 0.0).astype(x.dtype, copy=False)


def relu_forward(x):
    out = relu(x)
    return out, ActivationCache(np.asarray(x), out)


def relu_backward(dout, cache: ActivationCache) -> np.ndarray:
    """The gradient passes where x > 0 and is 0 elsewhere (PyTorch's choice at the kink x = 0 is 0)."""
    return dout * (cache.x > 0)


# ------------------------------------------------------------------------------------------ leaky ReLU
def leaky_relu(x, negative_slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: x for x > 0, ``negative_slope * x`` otherwise (``torch.nn.functional.leaky_relu``)."""
    x = as_float_array(x, "x")
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_forward(x, negative_slope: float = 0.01):
    out = leaky_relu(x, negative_slope)
    return out, LeakyReLUCache(np.asarray(x), float(negative_slope))


def leaky_relu_backward(dout, cache: LeakyReLUCache) -> np.ndarray:
    return dout * np.where(cache.x > 0, 1.0, cache.negative_slope)


# --------------------------------------------------------------------------------------------- softmax
def _check_dim(x: np.ndarray, dim: int) -> int:
    if not isinstance(dim, (int, np.integer)) or not -x.ndim <= dim < max(x.ndim, 1):
        raise ValueError(f"dim: expected an integer in [{-x.ndim}, {x.ndim - 1}] for an input of shape "
                         f"{x.shape}, got {dim!r}")
    return int(dim)


def softmax(x, dim: int = -1) -> np.ndarray:
    r"""Softmax along ``dim``: :math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}`.

    Subtracting the maximum first changes nothing mathematically (it cancels between numerator and
    denominator) but keeps every exponent <= 0, so nothing overflows.

    Parameters
    ----------
    x : array of shape (*), e.g. (N, C) logits
    dim : the axis that sums to one (``torch.softmax``'s ``dim``)

    Returns
    -------
    out : array of shape (*), non-negative, summing to 1 along ``dim``
    """
    x = as_float_array(x, "x")
    dim = _check_dim(x, dim)
    z = x - x.max(axis=dim, keepdims=True)            # (*) every entry <= 0
    e = np.exp(z)
    return e / e.sum(axis=dim, keepdims=True)


def softmax_forward(x, dim: int = -1):
    out = softmax(x, dim)
    return out, SoftmaxCache(out, dim)


def softmax_backward(dout, cache: SoftmaxCache) -> np.ndarray:
    r"""Jacobian-vector product of softmax: :math:`dx = y \odot (dout - \sum_j dout_j y_j)`."""
    y = cache.out
    return y * (dout - (dout * y).sum(axis=cache.dim, keepdims=True))


def log_softmax(x, dim: int = -1) -> np.ndarray:
    r""":math:`\log \mathrm{softmax}(x) = x - \mathrm{logsumexp}(x)`, stable for logits of any size."""
    x = as_float_array(x, "x")
    dim = _check_dim(x, dim)
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def log_softmax_forward(x, dim: int = -1):
    out = log_softmax(x, dim)
    return out, SoftmaxCache(out, dim)


def log_softmax_backward(dout, cache: SoftmaxCache) -> np.ndarray:
    r""":math:`dx = dout - \mathrm{softmax}(x) \sum_j dout_j`."""
    return dout - np.exp(cache.out) * dout.sum(axis=cache.dim, keepdims=True)
