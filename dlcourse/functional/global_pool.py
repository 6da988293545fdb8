r"""Chapter 15: global average pooling, (N, C, H, W) -> (N, C), as ``torch.nn.functional.adaptive_avg_pool2d(x, 1)``
followed by a flatten (Lin et al. 2014, *Network In Network*).

Each channel's map is replaced by its mean over the H·W positions:

.. math::
    y_{n,c} = \frac{1}{HW} \sum_{i=1}^{H} \sum_{j=1}^{W} x_{n,c,i,j}, \qquad
    \frac{\partial L}{\partial x_{n,c,i,j}} = \frac{1}{HW} \frac{\partial L}{\partial y_{n,c}}.

The layer has no parameters: a network that ends with it needs a head of only C·K weights (plus K biases) for K
classes, whatever the size of the last feature maps, where flatten and a dense layer need C·H·W·K.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_upstream


class GlobalAvgPoolCache(NamedTuple):
    """What :func:`global_avg_pool2d_backward` needs: the input's shape and dtype."""

    shape: tuple[int, ...]  # (N, C, H, W)
    dtype: np.dtype


def global_avg_pool2d_forward(x: ArrayLike) -> tuple[np.ndarray, GlobalAvgPoolCache]:
    """The mean of every channel over its positions; returns ``(out, cache)``.

    Parameters
    ----------
    x : (N, C, H, W) with H, W >= 1

    Returns
    -------
    out : (N, C)
    cache : :class:`GlobalAvgPoolCache` for :func:`global_avg_pool2d_backward`
    """
    x = as_float_array(x, "x", ndim=4)
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"x: expected at least one position (H, W >= 1), got shape {x.shape}")
    return x.mean(axis=(2, 3)), GlobalAvgPoolCache(x.shape, x.dtype)


def global_avg_pool2d(x: ArrayLike) -> np.ndarray:
    """Global average pooling, output only. x : (N, C, H, W) -> out : (N, C)"""
    return global_avg_pool2d_forward(x)[0]


def global_avg_pool2d_backward(dout: ArrayLike, cache: GlobalAvgPoolCache) -> np.ndarray:
    """Gradient of :func:`global_avg_pool2d_forward`: each position of channel c gets dout[n, c] / (H·W).

    Parameters
    ----------
    dout : (N, C)
    cache : from :func:`global_avg_pool2d_forward`

    Returns
    -------
    dx : (N, C, H, W)
    """
    shape, dtype = check_cache(cache, GlobalAvgPoolCache, "global_avg_pool2d_forward")
    N, C, H, W = shape
    dout = check_upstream(dout, "dout", (N, C), dtype)
    return np.broadcast_to(dout[:, :, None, None] / (H * W), shape).copy()
