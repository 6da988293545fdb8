r"""Chapter 08: layer normalisation, as ``torch.nn.functional.layer_norm`` computes it.

Each example is normalised over its last dimensions (``normalized_shape``, usually just the features): for the
D = prod(normalized_shape) values :math:`x_1 .. x_D` of one example,

.. math::
    \mu = \frac1D \sum_i x_i, \qquad \sigma^2 = \frac1D \sum_i (x_i - \mu)^2, \qquad
    \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y_i = \gamma_i \hat x_i + \beta_i,

with the biased variance (divided by D, not D - 1) and a learnable scale :math:`\gamma` (``weight``) and shift
:math:`\beta` (``bias``) of shape ``normalized_shape``. Unlike batch normalisation, nothing is shared across the
batch: training and evaluation compute the same thing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_number, check_upstream


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
