"""Activation functions as forward/backward kernel pairs.

Each activation ``f`` comes three ways, mirroring ``torch.nn.functional``:

* ``f(x)`` returns the output only (what a forward pass needs);
* ``out, cache = f_forward(x)`` also returns what the backward pass needs;
* ``dx = f_backward(dout, cache)`` turns the upstream gradient dL/dout into dL/dx.

All of them are elementwise except softmax and log_softmax, which act along ``dim``. Shapes are preserved:
``x`` has any shape ``(*)`` and so do ``out``, ``dout`` and ``dx``. As in PyTorch, ``dout`` must have exactly the
output's shape (it is cast to the output's dtype), and each backward takes only its own forward's cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_number, check_upstream, wrap_dim


class ActivationCache(NamedTuple):
    """What an elementwise activation's backward pass needs."""

    x: np.ndarray  # the input, shape (*)
    out: np.ndarray  # the output, shape (*)


class SigmoidCache(ActivationCache):
    """sigmoid_forward's cache (each backward accepts only its own forward's cache)."""

    __slots__ = ()


class TanhCache(ActivationCache):
    """tanh_forward's cache."""

    __slots__ = ()


class ReLUCache(ActivationCache):
    """relu_forward's cache."""

    __slots__ = ()


class SoftmaxCache(NamedTuple):
    out: np.ndarray  # softmax output, shape (*)
    dim: int | None  # the axis it normalises (None for a 0-d input)


class LogSoftmaxCache(NamedTuple):
    out: np.ndarray  # log-softmax output, shape (*)
    dim: int | None


class LeakyReLUCache(NamedTuple):
    x: np.ndarray
    negative_slope: float


# --------------------------------------------------------------------------------------------- sigmoid
def sigmoid(x: ArrayLike) -> np.ndarray:
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
    e = np.exp(-np.abs(x))  # (*) in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_forward(x: ArrayLike) -> tuple[np.ndarray, SigmoidCache]:
    x = as_float_array(x, "x")
    out = sigmoid(x)
    return out, SigmoidCache(x, out)


def sigmoid_backward(dout: ArrayLike, cache: SigmoidCache) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`, so dx = dout * (1 - out) * out."""
    out = check_cache(cache, SigmoidCache, "sigmoid_forward").out
    dout = check_upstream(dout, "dout", out.shape, out.dtype)
    return dout * (1.0 - out) * out


# ------------------------------------------------------------------------------------------------ tanh
def tanh(x: ArrayLike) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})`, values in (-1, 1)."""
    return np.tanh(as_float_array(x, "x"))


def tanh_forward(x: ArrayLike) -> tuple[np.ndarray, TanhCache]:
    x = as_float_array(x, "x")
    out = tanh(x)
    return out, TanhCache(x, out)


def tanh_backward(dout: ArrayLike, cache: TanhCache) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2(x)`."""
    out = check_cache(cache, TanhCache, "tanh_forward").out
    dout = check_upstream(dout, "dout", out.shape, out.dtype)
    return dout * (1.0 - out**2)


# ------------------------------------------------------------------------------------------------ ReLU
def relu(x: ArrayLike) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, x)`."""
    x = as_float_array(x, "x")
    return np.maximum(x, 0.0).astype(x.dtype, copy=False)


def relu_forward(x: ArrayLike) -> tuple[np.ndarray, ReLUCache]:
    x = as_float_array(x, "x")
    out = relu(x)
    return out, ReLUCache(x, out)


def relu_backward(dout: ArrayLike, cache: ReLUCache) -> np.ndarray:
    """The gradient is 0 where out <= 0 and passes elsewhere (PyTorch's choice at the kink x = 0 is 0).

    As in PyTorch, it also passes where x is nan, and where out <= 0 it is 0 even when dout is inf or nan. The
    product ``dout * keep`` would give inf * 0 = nan there, so a dout that is not all finite (one sum tells) takes
    ``np.where``, which selects, but is 2-3 times slower.
    """
    out = check_cache(cache, ReLUCache, "relu_forward").out
    dout = check_upstream(dout, "dout", out.shape, out.dtype)
    keep = ~(out <= 0)  # (*) where the gradient passes
    return dout * keep if np.isfinite(dout.sum()) else np.where(keep, dout, 0.0)


# ------------------------------------------------------------------------------------------ leaky ReLU
def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: x for x > 0, ``negative_slope * x`` otherwise (``torch.nn.functional.leaky_relu``)."""
    x = as_float_array(x, "x")
    negative_slope = check_number(negative_slope, "negative_slope")
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_forward(x: ArrayLike, negative_slope: float = 0.01) -> tuple[np.ndarray, LeakyReLUCache]:
    x = as_float_array(x, "x")
    out = leaky_relu(x, negative_slope)
    return out, LeakyReLUCache(x, float(negative_slope))


def leaky_relu_backward(dout: ArrayLike, cache: LeakyReLUCache) -> np.ndarray:
    """dout where x > 0, ``negative_slope * dout`` elsewhere."""
    x = check_cache(cache, LeakyReLUCache, "leaky_relu_forward").x
    dout = check_upstream(dout, "dout", x.shape, x.dtype)
    return dout * np.where(x > 0, 1.0, cache.negative_slope).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------------------------- softmax
def _axis(x: np.ndarray, dim) -> int | None:
    """The axis softmax normalises: ``dim`` checked against x's shape; None for a 0-d x (a single element)."""
    dim = wrap_dim(dim, x.shape)
    return dim if x.ndim else None


def softmax(x: ArrayLike, dim: int = -1) -> np.ndarray:
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
    axis = _axis(x, dim)
    z = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # (*) every entry <= 0 (initial: dim may be empty)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_forward(x: ArrayLike, dim: int = -1) -> tuple[np.ndarray, SoftmaxCache]:
    x = as_float_array(x, "x")
    out = softmax(x, dim)
    return out, SoftmaxCache(out, _axis(x, dim))


def softmax_backward(dout: ArrayLike, cache: SoftmaxCache) -> np.ndarray:
    r"""Jacobian-vector product of softmax: :math:`dx = y \odot (dout - \sum_j dout_j y_j)`."""
    y = check_cache(cache, SoftmaxCache, "softmax_forward").out
    dout = check_upstream(dout, "dout", y.shape, y.dtype)
    return y * (dout - (dout * y).sum(axis=cache.dim, keepdims=True))


def log_softmax(x: ArrayLike, dim: int = -1) -> np.ndarray:
    r""":math:`\log \mathrm{softmax}(x) = x - \mathrm{logsumexp}(x)`, stable for logits of any size."""
    x = as_float_array(x, "x")
    axis = _axis(x, dim)
    if x.size == 0:  # nothing to normalise (and log(0) would warn)
        return x.copy()
    z = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def log_softmax_forward(x: ArrayLike, dim: int = -1) -> tuple[np.ndarray, LogSoftmaxCache]:
    x = as_float_array(x, "x")
    out = log_softmax(x, dim)
    return out, LogSoftmaxCache(out, _axis(x, dim))


def log_softmax_backward(dout: ArrayLike, cache: LogSoftmaxCache) -> np.ndarray:
    r""":math:`dx = dout - \mathrm{softmax}(x) \sum_j dout_j`."""
    out = check_cache(cache, LogSoftmaxCache, "log_softmax_forward").out
    dout = check_upstream(dout, "dout", out.shape, out.dtype)
    return dout - np.exp(out) * dout.sum(axis=cache.dim, keepdims=True)


# ------------------------------------------------------------------------------------------------ GELU
class GELUCache(NamedTuple):
    """What :func:`gelu_backward` needs from :func:`gelu_forward`."""

    x: np.ndarray  # the input, any shape


def gelu(x: ArrayLike) -> np.ndarray:
    r"""Gaussian error linear unit, exact form (``torch.nn.functional.gelu``'s default):
    :math:`\mathrm{GELU}(x) = x\,\Phi(x) = \tfrac12 x \left(1 + \mathrm{erf}(x/\sqrt2)\right)`.

    x : any shape  ->  out : the same shape
    """
    from scipy.special import erf  # the error function, not in NumPy

    x = as_float_array(x, "x")
    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(x.dtype, copy=False)


def gelu_forward(x: ArrayLike) -> tuple[np.ndarray, GELUCache]:
    """Like :func:`gelu`, also returning the cache for :func:`gelu_backward`."""
    x = as_float_array(x, "x")
    return gelu(x), GELUCache(x)


def gelu_backward(dout: ArrayLike, cache: GELUCache) -> np.ndarray:
    r"""Gradient of :func:`gelu`: :math:`\Phi(x) + x\,\varphi(x)`, with :math:`\varphi` the standard normal density.

    Returns
    -------
    dx : the input's shape
    """
    from scipy.special import erf

    x = check_cache(cache, GELUCache, "gelu_forward").x
    dout = check_upstream(dout, "dout", x.shape, x.dtype)
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return (dout * (cdf + x * pdf)).astype(x.dtype, copy=False)
