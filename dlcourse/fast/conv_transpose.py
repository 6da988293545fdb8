r"""Chapter 09: the fast transposed convolution that ``nn.ConvTranspose2d`` runs: the same numbers as
:func:`dlcourse.functional.conv_transpose2d_forward` / :func:`~dlcourse.functional.conv_transpose2d_backward`,
in less time.

A transposed convolution is a convolution's input gradient, so it reuses the fast convolution's pieces
(:mod:`dlcourse.fast.conv`) with their roles swapped: the forward pass multiplies the weight with the input and
adds the columns onto the output with col2im; the backward pass copies the output gradient's receptive fields with
im2col and multiplies them with the weight. As in the fast convolution, the batch is cut into one slice per thread
and the columns live in scratch memory reused from one step to the next.

tests/test_conv_transpose.py holds this module equal to the readable one and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import check_cache, check_upstream
from ..functional.conv_transpose import check_conv_transpose2d_args, conv_transpose_output_size
from . import scratch, threads
from .conv import _col2im, _im2col


class FastConvTranspose2dCache(NamedTuple):
    """What the fast :func:`conv_transpose2d_backward` needs from the fast :func:`conv_transpose2d_forward`."""

    x: np.ndarray  # (N, C_in, H, W)
    weight: np.ndarray  # (C_in, C_out, kh, kw)
    out_shape: tuple[int, int, int, int]  # (N, C_out, H_out, W_out)
    stride: tuple[int, int]  # (sh, sw)
    padding: tuple[int, int]  # (ph, pw)
    has_bias: bool


def conv_transpose2d_forward(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
) -> tuple[np.ndarray, FastConvTranspose2dCache]:
    """Fast transposed convolution; returns ``(out, cache)`` for :func:`conv_transpose2d_backward`.

    Parameters
    ----------
    x : (N, C_in, H, W);  weight : (C_in, C_out, kh, kw);  bias : (C_out,) or None
    stride, padding, output_padding : int or (int, int), output_padding < stride

    Returns
    -------
    out : (N, C_out, H_out, W_out) (a transposed view of a (C_out, N, H_out, W_out) array)
    cache : :class:`FastConvTranspose2dCache` (it may be used more than once)
    """
    x, weight, bias, (sh, sw), (ph, pw), (ah, aw) = check_conv_transpose2d_args(
        x, weight, bias, stride, padding, output_padding
    )
    N, C_in, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    H_out = conv_transpose_output_size(H, kh, sh, ph, ah)
    W_out = conv_transpose_output_size(W, kw, sw, pw, aw)
    dtype = np.result_type(x, weight)
    w_mat = weight.reshape(C_in, C_out * kh * kw).astype(dtype, copy=False)
    out = np.zeros((C_out, N, H_out, W_out), dtype)

    def forward_part(part):  # the images x[part], on one thread
        n = part.stop - part.start
        x_mat = x[part].transpose(1, 0, 2, 3).reshape(C_in, n * H * W)  # (C_in, n*H*W)
        cols = np.matmul(w_mat.T, x_mat, out=scratch.empty((C_out * kh * kw, n * H * W), dtype))
        _col2im(cols.reshape(C_out, kh, kw, n, H, W), out[:, part], (sh, sw), (ph, pw))

    parts = threads.batch_parts(N, work=C_in * C_out * kh * kw * N * H * W)
    threads.parallel_map(forward_part, parts)
    if bias is not None:
        out += bias[:, None, None, None]
    out = out.transpose(1, 0, 2, 3)  # (N, C_out, H_out, W_out)
    return out, FastConvTranspose2dCache(x, weight, out.shape, (sh, sw), (ph, pw), bias is not None)


def conv_transpose2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
) -> np.ndarray:
    """Fast transposed convolution, output only.

    x : (N, C_in, H, W);  weight : (C_in, C_out, kh, kw);  bias : (C_out,) or None  ->  (N, C_out, H_out, W_out)
    """
    return conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding)[0]


def conv_transpose2d_backward(
    dout: ArrayLike, cache: FastConvTranspose2dCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`conv_transpose2d_forward`: im2col of ``dout``, then two matrix products per slice.

    Returns
    -------
    dx : (N, C_in, H, W);  dweight : (C_in, C_out, kh, kw);  dbias : (C_out,) or None without a bias
    """
    cache = check_cache(cache, FastConvTranspose2dCache, "dlcourse.fast.conv_transpose.conv_transpose2d_forward")
    x, weight = cache.x, cache.weight
    N, C_in, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    dtype = np.result_type(x, weight)
    dout = check_upstream(dout, "dout", cache.out_shape, dtype)
    w_mat = weight.reshape(C_in, C_out * kh * kw).astype(dtype, copy=False)
    dx = np.empty((C_in, N, H * W), dtype)

    def backward_part(part):  # the images of one slice
        n = part.stop - part.start
        d_cols = scratch.empty((C_out * kh * kw, n * H * W), dtype)
        _im2col(dout[part], d_cols.reshape(C_out, kh, kw, n, H, W), cache.stride, cache.padding)
        dx[:, part] = (w_mat @ d_cols).reshape(C_in, n, H * W)  # (C_in, C_out*kh*kw) @ (C_out*kh*kw, n*H*W)
        x_mat = x[part].transpose(1, 0, 2, 3).reshape(C_in, n * H * W)
        return x_mat @ d_cols.T  # (C_in, C_out*kh*kw)

    parts = threads.batch_parts(N, work=C_in * C_out * kh * kw * N * H * W)
    dweight = sum(threads.parallel_map(backward_part, parts)).reshape(weight.shape)
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return dx.reshape(C_in, N, H, W).transpose(1, 0, 2, 3), dweight, dbias
