"""Chapter 05: the pooling kernels ``nn.MaxPool2d`` and ``nn.AvgPool2d`` run.

Max pooling's backward pass is the one place where the readable kernel (:mod:`dlcourse.functional.pooling`) leaves
speed behind: for each of the kh*kw window offsets it makes fresh boolean arrays and selects with ``np.where``.
:func:`max_pool2d_backward` here computes the same gradient with two boolean buffers reused in place
(``out=``), and multiplies by the mask instead of selecting when ``dout`` is finite (one sum tells); a ``dout``
holding inf or nan still takes ``np.where``, so every pixel that was not a maximum gets exactly 0, as in PyTorch.

The forward passes, and average pooling's backward pass, are the readable kernels themselves: nothing is faster
to write in NumPy than their kh*kw whole-array slices. tests/test_pooling.py holds both backward passes equal to
each other and to PyTorch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_cache, check_upstream
from ..functional.pooling import (
    MaxPoolCache,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d,
    max_pool2d_forward,
)

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_forward",
]


def max_pool2d_backward(dout: ArrayLike, cache: MaxPoolCache) -> np.ndarray:
    """Gradient of max pooling, as :func:`dlcourse.functional.max_pool2d_backward`, with reused buffers.

    dout : (N, C, H', W')  ->  dx : (N, C, H, W)
    """
    cache = check_cache(cache, MaxPoolCache, "max_pool2d_forward")
    xp, out = cache.xp, cache.out
    dout = check_upstream(dout, "dout", out.shape, cache.dtype)
    finite = np.isfinite(dout.sum())
    (_, _, H, W), (kh, kw), (sh, sw), (ph, pw) = cache.x_shape, cache.kernel_size, cache.stride, cache.padding
    H_out, W_out = out.shape[2:]
    dxp = np.zeros(xp.shape, dtype=cache.dtype)
    free = np.ones(out.shape, dtype=bool)  # windows whose maximum is not found yet
    hit = np.empty(out.shape, dtype=bool)
    for u in range(kh):
        for v in range(kw):
            at = np.s_[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw]
            np.equal(xp[at], out, out=hit)
            np.logical_and(hit, free, out=hit)  # the first maximum of its window only
            np.logical_xor(free, hit, out=free)  # that window is done
            dxp[at] += dout * hit if finite else np.where(hit, dout, 0.0)
    return dxp[:, :, ph : ph + H, pw : pw + W]
