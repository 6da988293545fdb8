r"""Chapters 08 and 10: layer normalisation, as ``torch.nn.functional.layer_norm`` computes it, and batch
normalisation, as ``torch.nn.functional.batch_norm`` does.

Each example is normalised over its last dimensions (``normalized_shape``, usually just the features): for the
D = prod(normalized_shape) values :math:`x_1 .. x_D` of one example,

.. math::
    \mu = \frac1D \sum_i x_i, \qquad \sigma^2 = \frac1D \sum_i (x_i - \mu)^2, \qquad
    \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y_i = \gamma_i \hat x_i + \beta_i,

with the biased variance (divided by D, not D - 1) and a learnable scale :math:`\gamma` (``weight``) and shift
:math:`\beta` (``bias``) of shape ``normalized_shape``. Unlike batch normalisation, nothing is shared across the
batch: training and evaluation compute the same thing.

**Batch normalisation** (chapter 10; Ioffe & Szegedy 2015) normalises each channel c over the batch and the
positions instead, the m = N·(H·W) values :math:`x_{n,c,\dots}` of an input (N, C) or (N, C, *): with their mean
:math:`\mu_c` and biased variance :math:`\sigma_c^2`, :math:`y = \gamma_c (x - \mu_c)/\sqrt{\sigma_c^2 + \varepsilon}
+ \beta_c`. In training it also updates running estimates in place, :math:`\hat\mu \leftarrow (1 - m_o)\hat\mu
+ m_o \mu_c` and the same for the variance with the unbiased :math:`\sigma_c^2\, m/(m-1)` (momentum
:math:`m_o`, 0.1 by default); in evaluation it normalises with those estimates, so an example's output no longer
depends on the rest of its batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_bool, check_cache, check_number, check_upstream


class LayerNormCache(NamedTuple):
    """What :func:`layer_norm_backward` needs from :func:`layer_norm_forward`."""

    x_hat: np.ndarray  # (*, *normalized_shape): the normalised input
    inv_std: np.ndarray  # (*, 1, ..., 1): 1 / sqrt(var + eps), one per example
    weight: np.ndarray | None  # normalized_shape, or None
    has_bias: bool
    normalized_ndim: int  # len(normalized_shape)


def check_normalized_shape(normalized_shape: object) -> tuple[int, ...]:
    """``normalized_shape`` (an int, or a non-empty tuple or list of ints >= 0) as a tuple, else a ValueError."""
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, (bool, np.bool_)):
        normalized_shape = (normalized_shape,)
    ok = isinstance(normalized_shape, (tuple, list)) and len(normalized_shape) > 0
    ok = ok and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 0 for d in normalized_shape
    )
    if not ok:
        raise ValueError(f"normalized_shape: expected an int or a non-empty tuple of ints, got {normalized_shape!r}")
    return tuple(int(d) for d in normalized_shape)


def _check_layer_norm_args(x, normalized_shape, weight, bias, eps):
    x = as_float_array(x, "input")
    shape = check_normalized_shape(normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(
            f"input: expected trailing dimensions normalized_shape={shape}, i.e. shape "
            f"(*, {', '.join(map(str, shape))}), got {x.shape}"
        )
    if weight is not None:
        weight = as_float_array(weight, "weight")
        if weight.shape != shape:
            raise ValueError(f"weight: expected shape normalized_shape={shape}, got {weight.shape}")
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != shape:
            raise ValueError(f"bias: expected shape normalized_shape={shape}, got {bias.shape}")
    eps = check_number(eps, "eps", minimum=0)
    return x, shape, weight, bias, eps


def layer_norm_forward(
    input: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> tuple[np.ndarray, LayerNormCache]:
    r"""Layer normalisation :math:`y = \gamma \hat x + \beta` over the trailing ``normalized_shape``;
    returns ``(out, cache)``.

    Parameters
    ----------
    input : (*, *normalized_shape)
    normalized_shape : int or tuple, the trailing dimensions normalised together (D = their product)
    weight : normalized_shape, or None (:math:`\gamma = 1`)
    bias : normalized_shape, or None (:math:`\beta = 0`)
    eps : added to the variance

    Returns
    -------
    out : (*, *normalized_shape), the input's shape
    cache : :class:`LayerNormCache` for :func:`layer_norm_backward`
    """
    x, shape, weight, bias, eps = _check_layer_norm_args(input, normalized_shape, weight, bias, eps)
    dtype = np.result_type(x, *(a for a in (weight, bias) if a is not None))
    axes = tuple(range(x.ndim - len(shape), x.ndim))  # the normalised axes
    mean = x.mean(axis=axes, keepdims=True)  # (*, 1, ..., 1)
    centred = x - mean
    var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as PyTorch
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centred * inv_std  # (*, *normalized_shape)
    out = x_hat
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out.astype(dtype, copy=False), LayerNormCache(x_hat, inv_std, weight, bias is not None, len(shape))


def layer_norm(
    input: ArrayLike,
    normalized_shape: int | tuple[int, ...],
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    """Layer normalisation, output only (``torch.nn.functional.layer_norm``).

    input : (*, *normalized_shape);  weight, bias : normalized_shape or None  ->  out : the input's shape
    """
    return layer_norm_forward(input, normalized_shape, weight, bias, eps)[0]


def layer_norm_backward(
    dout: ArrayLike, cache: LayerNormCache
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    r"""Gradients of :func:`layer_norm_forward`.

    With :math:`g = \gamma \odot \delta` (:math:`\delta` = ``dout``) and means over the D normalised values of
    each example,

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \varepsilon}}
            \left(g - \overline{g} - \hat x\, \overline{g \hat x}\right), \qquad
        \frac{\partial L}{\partial \gamma} = \sum_{\text{examples}} \delta \odot \hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum_{\text{examples}} \delta.

    Returns
    -------
    dinput : the input's shape;  dweight : normalized_shape, or None without weight;  dbias : normalized_shape,
    or None without bias
    """
    x_hat, inv_std, weight, has_bias, normalized_ndim = check_cache(cache, LayerNormCache, "layer_norm_forward")
    dtype = x_hat.dtype if weight is None else np.result_type(x_hat, weight)
    dout = check_upstream(dout, "dout", x_hat.shape, dtype)
    n_norm = x_hat.ndim - normalized_ndim
    axes = tuple(range(n_norm, x_hat.ndim))  # the normalised axes
    lead = tuple(range(n_norm))  # the examples' axes
    g = dout if weight is None else dout * weight
    dx = inv_std * (
        g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    )  # (*, *normalized_shape)
    dweight = (dout * x_hat).sum(axis=lead) if weight is not None else None
    dbias = dout.sum(axis=lead) if has_bias else None
    return dx.astype(dtype, copy=False), dweight, dbias


# ------------------------------------------------------------------------------ chapter 10: batch normalisation
class BatchNormCache(NamedTuple):
    """What :func:`batch_norm_backward` needs from :func:`batch_norm_forward`."""

    x_hat: np.ndarray  # (N, C, *): the normalised input
    inv_std: np.ndarray  # (1, C, 1, ...): 1 / sqrt(var + eps), per channel (the batch's, or the running one)
    weight: np.ndarray | None  # (C,) or None
    has_bias: bool
    batch_stats: bool  # True: normalised with the batch's own statistics (so they depend on x)


def _channel_view(value: np.ndarray, ndim: int) -> np.ndarray:
    """A per-channel vector (C,) shaped (1, C, 1, ...) to broadcast against an (N, C, *) input."""
    return value.reshape((1, -1) + (1,) * (ndim - 2))


def _check_channel_vector(value, name: str, C: int) -> np.ndarray | None:
    if value is None:
        return None
    value = as_float_array(value, name)
    if value.shape != (C,):
        raise ValueError(f"{name}: expected shape ({C},), one value per channel of input, got {value.shape}")
    return value


def batch_norm_forward(
    input: ArrayLike,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, BatchNormCache]:
    r"""Batch normalisation per channel; returns ``(out, cache)``. In training, ``running_mean`` and
    ``running_var`` (float arrays (C,), or None) are updated in place, as in PyTorch.

    Parameters
    ----------
    input : (N, C) or (N, C, *)
    running_mean, running_var : (C,) float arrays, or None (then ``training`` must be True)
    weight, bias : (C,) or None (:math:`\gamma = 1`, :math:`\beta = 0`)
    training : normalise with the batch's statistics (and update the running ones), else with the running ones
    momentum : weight of the new batch in the running averages, in [0, 1]
    eps : added to the variance

    Returns
    -------
    out : the input's shape
    cache : :class:`BatchNormCache` for :func:`batch_norm_backward`
    """
    x = as_float_array(input, "input")
    if x.ndim < 2 or x.shape[1] == 0:
        raise ValueError(f"input: expected shape (N, C) or (N, C, *) with C >= 1 channels, got {x.shape}")
    C = x.shape[1]
    training = check_bool(training, "training")
    momentum = check_number(momentum, "momentum", minimum=0, maximum=1)
    eps = check_number(eps, "eps", minimum=0)
    weight, bias = _check_channel_vector(weight, "weight", C), _check_channel_vector(bias, "bias", C)
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if value is None:
            if not training:
                raise ValueError(f"{name}: expected an array of shape ({C},) in evaluation (training=False), got None")
        elif not isinstance(value, np.ndarray) or value.shape != (C,) or value.dtype.kind != "f":
            raise ValueError(
                f"{name}: expected a float NumPy array of shape ({C},) (updated in place), got "
                f"{type(value).__name__} {getattr(value, 'shape', '')}"
            )
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    m = x.size // C  # values per channel
    if training and m == 0:  # an empty batch: an empty output, the running statistics untouched (as PyTorch)
        mean, var = np.zeros(C, x.dtype), np.ones(C, x.dtype)
    elif training:
        if m == 1:
            raise ValueError(
                f"input: expected more than 1 value per channel when training, got input of shape {x.shape}"
            )
        mean = x.mean(axis=axes)  # (C,)
        var = ((x - _channel_view(mean, x.ndim)) ** 2).mean(axis=axes)  # (C,), biased
        if running_mean is not None:
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1.0 - momentum
            running_var += momentum * var * m / (m - 1)  # the running variance is the unbiased one
    else:
        mean, var = running_mean, running_var
    inv_std = _channel_view(1.0 / np.sqrt(var + eps), x.ndim)
    x_hat = (x - _channel_view(mean, x.ndim)) * inv_std
    out = x_hat
    if weight is not None:
        out = out * _channel_view(weight, x.ndim)
    if bias is not None:
        out = out + _channel_view(bias, x.ndim)
    dtype = np.result_type(x, *(a for a in (weight, bias) if a is not None))
    cache = BatchNormCache(x_hat.astype(dtype, copy=False), inv_std, weight, bias is not None, training)
    return out.astype(dtype, copy=False), cache


def batch_norm(
    input: ArrayLike,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    """Batch normalisation, output only (``torch.nn.functional.batch_norm``); updates the running statistics in
    training. input : (N, C) or (N, C, *)  ->  out : the input's shape"""
    return batch_norm_forward(input, running_mean, running_var, weight, bias, training, momentum, eps)[0]


def batch_norm_backward(
    dout: ArrayLike, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    r"""Gradients of :func:`batch_norm_forward`.

    With :math:`g = \gamma_c \delta` and means over the m values of each channel: in training (batch statistics)

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma_c^2 + \varepsilon}}
            \left(g - \overline{g} - \hat x\, \overline{g \hat x}\right),

    the layer norm's formula over the other axes; in evaluation the statistics are constants and
    :math:`\partial L/\partial x = g/\sqrt{\hat\sigma_c^2 + \varepsilon}`. Always
    :math:`\partial L/\partial\gamma_c = \sum \delta\,\hat x` and :math:`\partial L/\partial\beta_c = \sum \delta`.

    Returns
    -------
    dinput : the input's shape;  dweight, dbias : (C,), or None without them
    """
    x_hat, inv_std, weight, has_bias, batch_stats = check_cache(cache, BatchNormCache, "batch_norm_forward")
    dout = check_upstream(dout, "dout", x_hat.shape, x_hat.dtype)
    axes = (0, *range(2, x_hat.ndim))
    g = dout if weight is None else dout * _channel_view(weight, x_hat.ndim)
    if batch_stats and x_hat.size:
        dx = inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
    else:  # evaluation (constant statistics), or an empty batch
        dx = g * inv_std
    dweight = (dout * x_hat).sum(axis=axes) if weight is not None else None
    dbias = dout.sum(axis=axes) if has_bias else None
    return dx.astype(x_hat.dtype, copy=False), dweight, dbias
