r"""Chapter 01: the fully connected (dense) layer :math:`y = x W^\top + b`, ``linear`` as in
``torch.nn.functional.linear`` (chapter 02 adds its backward pass).

The weight is stored as (out_features, in_features), PyTorch's layout, so a weight copied from a
``torch.nn.Linear`` needs no transpose.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_upstream


class LinearCache(NamedTuple):
    x: np.ndarray  # input, (*, in_features)
    weight: np.ndarray  # (out_features, in_features)
    has_bias: bool


def _check_linear_args(x, weight, bias):
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight", ndim=2)
    if x.ndim == 0:
        raise ValueError(f"x: expected shape (*, in_features) with in_features={weight.shape[1]}, got a scalar")
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x: expected last dimension in_features={weight.shape[1]} to match weight of shape "
            f"{weight.shape} (out_features, in_features), got x of shape {x.shape}"
        )
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(
                f"bias: expected shape ({weight.shape[0]},) to match out_features of weight "
                f"{weight.shape}, got {bias.shape}"
            )
    return x, weight, bias


def linear(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> np.ndarray:
    r"""Affine map :math:`y = x W^\top + b`.

    Parameters
    ----------
    x : (*, in_features) — usually (N, in_features), one row per example
    weight : (out_features, in_features)
    bias : (out_features,) or None

    Returns
    -------
    y : (*, out_features)
    """
    x, weight, bias = _check_linear_args(x, weight, bias)
    y = x @ weight.T  # (*, out)
    if bias is not None:
        y = y + bias  # bias broadcasts over the leading dimensions
    return y


def linear_forward(x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> tuple[np.ndarray, LinearCache]:
    """Like :func:`linear`, also returning the cache for :func:`linear_backward`."""
    x, weight, bias = _check_linear_args(x, weight, bias)
    return linear(x, weight, bias), LinearCache(x, weight, bias is not None)


def linear_backward(dout: ArrayLike, cache: LinearCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :math:`y = x W^\top + b`.

    .. math:: \frac{\partial L}{\partial x} = \delta W, \quad
              \frac{\partial L}{\partial W} = \delta^\top x, \quad
              \frac{\partial L}{\partial b} = \textstyle\sum_n \delta_n

    where :math:`\delta` = ``dout`` = dL/dy, shape (*, out_features).

    Returns
    -------
    dx : (*, in_features)
    dweight : (out_features, in_features)
    dbias : (out_features,) or None when the forward pass had no bias
    """
    x, weight = check_cache(cache, LinearCache, "linear_forward")[:2]
    dout = check_upstream(dout, "dout", x.shape[:-1] + weight.shape[:1], np.result_type(x, weight))
    x2 = x.reshape(-1, x.shape[-1])  # (M, in), M = product of the leading dims
    d2 = dout.reshape(-1, dout.shape[-1])  # (M, out)
    dx = dout @ weight  # (*, in)
    dweight = d2.T @ x2  # (out, in)
    dbias: np.ndarray | None = d2.sum(axis=0) if cache.has_bias else None  # (out,)
    return dx, dweight, dbias
