r"""2-D max and average pooling in NCHW layout, as ``torch.nn.functional.max_pool2d`` / ``avg_pool2d``.

A window of kh x kw pixels moves over each channel separately with stride (sh, sw) (default: the window size, so
windows do not overlap); padding p adds p pixels on each side (-inf for max pooling, zeros for average pooling,
which still divides by kh*kw: PyTorch's ``count_include_pad=True``). For output position (i, j):

.. math::
    y^{\max}_{n,c,i,j} = \max_{0 \le u < k_h,\ 0 \le v < k_w} \tilde x_{n,c,\,i s_h + u,\, j s_w + v}, \qquad
    y^{\text{avg}}_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{u,v} \tilde x_{n,c,\,i s_h + u,\, j s_w + v}.

The window size k and the stride s are two different numbers (source 004 §3.2.2 writes s for both).

Backward: max pooling routes each upstream gradient to the one input that was the maximum of its window (the
first one on ties, as PyTorch does); average pooling spreads it evenly, 1/(kh kw) to each input of the window.
Both loop over the kh*kw window offsets with whole-array slices, so overlapping windows add up correctly.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import as_float_array, check_cache, check_upstream
from .conv import _pair, pad2d


class PoolCache(NamedTuple):
    x_shape: tuple                # (N, C, H, W)
    kernel_size: tuple            # (kh, kw)
    stride: tuple                 # (sh, sw)
    padding: tuple                # (ph, pw)
    dtype: np.dtype
    xp: np.ndarray | None = None  # max pooling only: the padded input (N, C, H+2ph, W+2pw), a view when unpadded
    out: np.ndarray | None = None  # max pooling only: the output (N, C, H', W'), each window's maximum


class MaxPoolCache(PoolCache):
    """max_pool2d_forward's cache (each backward accepts only its own forward's cache)."""
    __slots__ = ()


class AvgPoolCache(PoolCache):
    """avg_pool2d_forward's cache."""
    __slots__ = ()


def _check_pool_args(x, kernel_size, stride, padding):
    x = as_float_array(x, "x", ndim=4)
    if 0 in x.shape[1:]:
        raise ValueError(f"x: expected (N, C, H, W) with C, H and W >= 1 (only the batch may be empty, as in "
                         f"PyTorch), got shape {x.shape}")
    kh, kw = _pair(kernel_size, "kernel_size", minimum=1)
    sh, sw = (kh, kw) if stride is None else _pair(stride, "stride", minimum=1)
    ph, pw = _pair(padding, "padding", minimum=0)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding: expected at most half the kernel size {(kh, kw)} (as in PyTorch), got "
                         f"{padding!r}")
    H, W = x.shape[2:]
    if H + 2 * ph < kh or W + 2 * pw < kw:
        raise ValueError(f"kernel_size: a {kh}x{kw} window does not fit into x of shape {x.shape} padded by "
                         f"{(ph, pw)}")
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    return x, (kh, kw), (sh, sw), (ph, pw), (H_out, W_out)


def _window(xp, u, v, sh, sw, H_out, W_out):
    """The pixel at offset (u, v) of every window: (N, C, H', W'), a strided view."""
    return xp[:, :, u:u + sh * H_out:sh, v:v + sw * W_out:sw]


# ------------------------------------------------------------------------------------------------ max
def max_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """Max pooling; returns ``(out, cache)`` for :func:`max_pool2d_backward`.

    Parameters
    ----------
    x : (N, C, H, W)
    kernel_size : int or (kh, kw);  stride : int, (sh, sw) or None (= kernel_size);  padding : int or (ph, pw)

    Returns
    -------
    out : (N, C, H', W') with H' = floor((H + 2ph - kh) / sh) + 1
    cache : :class:`PoolCache` holding the padded input and the output
    """
    x, (kh, kw), (sh, sw), (ph, pw), (H_out, W_out) = _check_pool_args(x, kernel_size, stride, padding)
    xp = x if ph == pw == 0 else np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=-np.inf)
    out = _window(xp, 0, 0, sh, sw, H_out, W_out).copy()                    # (N, C, H', W'): offset (0, 0) first
    for u in range(kh):
        for v in range(kw):
            np.maximum(out, _window(xp, u, v, sh, sw, H_out, W_out), out=out)
    # which pixel was the maximum is worked out in the backward pass, from xp and out: cheaper than tracking it here
    return out, MaxPoolCache(x.shape, (kh, kw), (sh, sw), (ph, pw), x.dtype, xp, out)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Max pooling, output only. x : (N, C, H, W) -> (N, C, H', W')."""
    return max_pool2d_forward(x, kernel_size, stride, padding)[0]


def _scatter_back(cache: PoolCache, contribution) -> np.ndarray:
    """dx from ``contribution(u, v)`` -> the gradient each window sends to its pixel at offset (u, v)."""
    (N, C, H, W), (kh, kw), (sh, sw), (ph, pw) = cache.x_shape, cache.kernel_size, cache.stride, cache.padding
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cache.dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u:u + sh * H_out:sh, v:v + sw * W_out:sw] += contribution(u, v)   # overlaps add up
    return dxp[:, :, ph:ph + H, pw:pw + W]


def max_pool2d_backward(dout, cache: MaxPoolCache) -> np.ndarray:
    """Gradient of max pooling: each dout[n, c, i, j] goes to the input that was its window's maximum.

    The maximum of a window is the first pixel, in the order (u, v) = (0, 0), (0, 1), ..., equal to the window's
    output (as PyTorch, one pixel per window even when several tie). ``free`` marks the windows whose maximum is
    not found yet. Every other pixel gets exactly 0, even where dout is inf or nan, as in PyTorch: the product
    ``dout * hit`` would give inf * 0 = nan there, so a dout that is not all finite (one sum tells) takes
    ``np.where``, which selects, but is slower.

    dout : (N, C, H', W')  ->  dx : (N, C, H, W)
    """
    out = check_cache(cache, MaxPoolCache, "max_pool2d_forward").out
    dout = check_upstream(dout, "dout", out.shape, cache.dtype)
    finite = np.isfinite(dout.sum())
    sh, sw = cache.stride
    H_out, W_out = cache.out.shape[2:]
    free = np.ones(cache.out.shape, dtype=bool)                             # (N, C, H', W')
    hit = np.empty(cache.out.shape, dtype=bool)

    def contribution(u, v):
        np.equal(_window(cache.xp, u, v, sh, sw, H_out, W_out), cache.out, out=hit)
        np.logical_and(hit, free, out=hit)                                  # the first maximum of its window only
        np.logical_xor(free, hit, out=free)                                 # that window is done
        return dout * hit if finite else np.where(hit, dout, 0.0)
    return _scatter_back(cache, contribution)


# ---------------------------------------------------------------------------------------------- average
def avg_pool2d_forward(x, kernel_size, stride=None, padding=0):
    """Average pooling (zero padding counted, PyTorch's default); returns ``(out, cache)``.

    x : (N, C, H, W)  ->  out : (N, C, H', W');  arguments as in :func:`max_pool2d_forward`
    """
    x, (kh, kw), (sh, sw), (ph, pw), (H_out, W_out) = _check_pool_args(x, kernel_size, stride, padding)
    xp = pad2d(x, (ph, pw))
    total = np.zeros((x.shape[0], x.shape[1], H_out, W_out), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            total += _window(xp, u, v, sh, sw, H_out, W_out)
    return total / (kh * kw), AvgPoolCache(x.shape, (kh, kw), (sh, sw), (ph, pw), x.dtype)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Average pooling, output only. x : (N, C, H, W) -> (N, C, H', W')."""
    return avg_pool2d_forward(x, kernel_size, stride, padding)[0]


def avg_pool2d_backward(dout, cache: AvgPoolCache) -> np.ndarray:
    """Gradient of average pooling: each input receives dout / (kh*kw) from every window that contains it.

    dout : (N, C, H', W')  ->  dx : (N, C, H, W)
    """
    check_cache(cache, AvgPoolCache, "avg_pool2d_forward")
    (N, C, H, W), (kh, kw), (sh, sw), (ph, pw) = cache.x_shape, cache.kernel_size, cache.stride, cache.padding
    out_shape = (N, C, (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1)
    share = check_upstream(dout, "dout", out_shape, cache.dtype) / (kh * kw)
    return _scatter_back(cache, lambda u, v: share)
