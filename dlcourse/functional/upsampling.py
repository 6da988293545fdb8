r"""Chapter 09: nearest-neighbour upsampling, as ``torch.nn.functional.interpolate(x, scale_factor=s,
mode="nearest")`` computes it for whole-number factors.

Every pixel becomes an :math:`s_h \times s_w` block of copies of itself:

.. math::
    y_{n,c,i,j} = x_{n,c,\lfloor i / s_h \rfloor, \lfloor j / s_w \rfloor}, \qquad
    (N, C, H, W) \to (N, C, s_h H, s_w W),

and the gradient of a pixel is the sum of its block's gradients. A decoder can grow its feature maps this way and
let an ordinary convolution mix them, instead of a transposed convolution (whose overlapping strides can paint a
checkerboard; Odena, Dumoulin & Olah 2016).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import as_float_array, check_cache, check_upstream
from .sizes import pair


class UpsampleCache(NamedTuple):
    """What :func:`upsample_nearest2d_backward` needs: the input's shape and the factors."""

    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    scale_factor: tuple[int, int]  # (sh, sw)
    dtype: np.dtype  # the input's dtype, which the gradient takes


def upsample_nearest2d_forward(x: ArrayLike, scale_factor: Size2 = 2) -> tuple[np.ndarray, UpsampleCache]:
    """Repeat every pixel ``scale_factor`` times along rows and columns; returns ``(out, cache)``.

    x : (N, C, H, W);  scale_factor : a positive int or a pair  ->  out : (N, C, sh*H, sw*W)
    """
    x = as_float_array(x, "x", ndim=4)
    sh, sw = pair(scale_factor, "scale_factor", minimum=1)
    out = np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)
    return out, UpsampleCache(x.shape, (sh, sw), x.dtype)


def upsample_nearest2d(x: ArrayLike, scale_factor: Size2 = 2) -> np.ndarray:
    """Nearest-neighbour upsampling, output only: (N, C, H, W) -> (N, C, sh*H, sw*W)."""
    return upsample_nearest2d_forward(x, scale_factor)[0]


def upsample_nearest2d_backward(dout: ArrayLike, cache: UpsampleCache) -> np.ndarray:
    """Gradient of :func:`upsample_nearest2d_forward`: each input pixel gets the sum of its block's gradients.

    dout : (N, C, sh*H, sw*W)  ->  dx : (N, C, H, W)
    """
    cache = check_cache(cache, UpsampleCache, "upsample_nearest2d_forward")
    N, C, H, W = cache.x_shape
    sh, sw = cache.scale_factor
    dout = check_upstream(dout, "dout", (N, C, sh * H, sw * W), cache.dtype)
    return dout.reshape(N, C, H, sh, W, sw).sum(axis=(3, 5))
