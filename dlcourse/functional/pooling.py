r"""Chapter 05: 2-D max and average pooling in NCHW layout, as ``torch.nn.functional.max_pool2d`` / ``avg_pool2d``.

A window of kh x kw pixels moves over each channel separately with stride (sh, sw) (default: the window size, so
windows do not overlap); padding p adds p pixels on each side (-inf for max pooling, zeros for average pooling,
which still divides by kh*kw: PyTorch's ``count_include_pad=True``). For output position (i, j):

.. math::
    y^{\max}_{n,c,i,j} = \max_{0 \le u < k_h,\ 0 \le v < k_w} \tilde x_{n,c,\,i s_h + u,\, j s_w + v}, \qquad
    y^{\text{avg}}_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{u,v} \tilde x_{n,c,\,i s_h + u,\, j s_w + v}.

The window size k and the stride s are two different numbers (source 004 §3.2.2 writes s for both).

Backward: max pooling routes each upstream gradient to the one input that was the maximum of its window (the
first one on ties, as PyTorch does); average pooling spreads it evenly, 1/(kh kw) to each input of the window.
Every kernel loops over the kh*kw window offsets (u, v) with whole-array slices, as im2col does, so overlapping
windows add up correctly. ``nn.MaxPool2d`` runs a faster max-pooling backward, :mod:`dlcourse.fast.pooling`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import check_cache, check_upstream
from .conv import pad2d
from .sizes import check_pool2d_args, conv_output_size


class PoolCache(NamedTuple):
    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    kernel_size: tuple[int, int]  # (kh, kw)
    stride: tuple[int, int]  # (sh, sw)
    padding: tuple[int, int]  # (ph, pw)
    dtype: np.dtype
    xp: np.ndarray | None = None  # max pooling only: the padded input (N, C, H+2ph, W+2pw), a view when unpadded
    out: np.ndarray | None = None  # max pooling only: the output (N, C, H', W'), each window's maximum


class MaxPoolCache(PoolCache):
    """max_pool2d_forward's cache (each backward accepts only its own forward's cache)."""

    __slots__ = ()


class AvgPoolCache(PoolCache):
    """avg_pool2d_forward's cache."""

    __slots__ = ()


# ------------------------------------------------------------------------------------------------ max
def max_pool2d_forward(
    x: ArrayLike, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0
) -> tuple[np.ndarray, MaxPoolCache]:
    """Max pooling; returns ``(out, cache)`` for :func:`max_pool2d_backward`.

    Parameters
    ----------
    x : (N, C, H, W)
    kernel_size : int or (kh, kw);  stride : int, (sh, sw) or None (= kernel_size);  padding : int or (ph, pw)

    Returns
    -------
    out : (N, C, H', W') with H' = floor((H + 2ph - kh) / sh) + 1
    cache : :class:`MaxPoolCache` holding the padded input and the output
    """
    x, (kh, kw), (sh, sw), (ph, pw) = check_pool2d_args(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw), value=-np.inf)  # (N, C, H + 2ph, W + 2pw)
    out = np.full((N, C, H_out, W_out), -np.inf, dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):  # the pixel at offset (u, v) of every window: (N, C, H', W')
            np.maximum(out, xp[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw], out=out)
    # which pixel was the maximum is worked out in the backward pass, from xp and out
    return out, MaxPoolCache(x.shape, (kh, kw), (sh, sw), (ph, pw), x.dtype, xp, out)


def max_pool2d(x: ArrayLike, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0) -> np.ndarray:
    """Max pooling, output only. x : (N, C, H, W) -> (N, C, H', W')."""
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


def max_pool2d_backward(dout: ArrayLike, cache: MaxPoolCache) -> np.ndarray:
    """Gradient of max pooling: each dout[n, c, i, j] goes to the input that was its window's maximum.

    The maximum of a window is the first pixel, in the order (u, v) = (0, 0), (0, 1), ..., equal to the window's
    output (as PyTorch: one pixel per window even when several tie); ``free`` marks the windows whose maximum is
    not found yet. ``np.where`` selects, so every other pixel gets exactly 0, even where dout is inf or nan (a
    product ``dout * hit`` would give inf * 0 = nan there), as in PyTorch.

    dout : (N, C, H', W')  ->  dx : (N, C, H, W)
    """
    cache = check_cache(cache, MaxPoolCache, "max_pool2d_forward")
    xp, out = cache.xp, cache.out  # the padded input, the maxima
    dout = check_upstream(dout, "dout", out.shape, cache.dtype)  # (N, C, H', W')
    (_, _, H, W), (kh, kw), (sh, sw), (ph, pw) = cache.x_shape, cache.kernel_size, cache.stride, cache.padding
    H_out, W_out = out.shape[2:]
    dxp = np.zeros(xp.shape, dtype=cache.dtype)  # (N, C, H + 2ph, W + 2pw)
    free = np.ones(out.shape, dtype=bool)  # (N, C, H', W')
    for u in range(kh):
        for v in range(kw):
            at = np.s_[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw]  # offset (u, v) of every window
            hit = free & (xp[at] == out)  # the first maximum of its window
            free &= ~hit
            dxp[at] += np.where(hit, dout, 0.0)  # overlapping windows add up
    return dxp[:, :, ph : ph + H, pw : pw + W]  # (N, C, H, W): the padding dropped


# ---------------------------------------------------------------------------------------------- average
def avg_pool2d_forward(
    x: ArrayLike, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0
) -> tuple[np.ndarray, AvgPoolCache]:
    """Average pooling (zero padding counted, PyTorch's default); returns ``(out, cache)``.

    x : (N, C, H, W)  ->  out : (N, C, H', W');  arguments as in :func:`max_pool2d_forward`
    """
    x, (kh, kw), (sh, sw), (ph, pw) = check_pool2d_args(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw))  # (N, C, H + 2ph, W + 2pw)
    total = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            total += xp[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw]  # offset (u, v) of every window
    return total / (kh * kw), AvgPoolCache(x.shape, (kh, kw), (sh, sw), (ph, pw), x.dtype)


def avg_pool2d(x: ArrayLike, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0) -> np.ndarray:
    """Average pooling, output only. x : (N, C, H, W) -> (N, C, H', W')."""
    return avg_pool2d_forward(x, kernel_size, stride, padding)[0]


def avg_pool2d_backward(dout: ArrayLike, cache: AvgPoolCache) -> np.ndarray:
    """Gradient of average pooling: each input receives dout / (kh*kw) from every window that contains it.

    dout : (N, C, H', W')  ->  dx : (N, C, H, W)
    """
    check_cache(cache, AvgPoolCache, "avg_pool2d_forward")
    (N, C, H, W), (kh, kw), (sh, sw), (ph, pw) = cache.x_shape, cache.kernel_size, cache.stride, cache.padding
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    share = check_upstream(dout, "dout", (N, C, H_out, W_out), cache.dtype) / (kh * kw)
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cache.dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw] += share  # overlapping windows add up
    return dxp[:, :, ph : ph + H, pw : pw + W]  # (N, C, H, W): the padding dropped
