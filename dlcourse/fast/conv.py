r"""Chapter 05: the fast convolution that ``nn.Conv2d`` runs: the same numbers as
:func:`dlcourse.functional.conv2d_forward` / :func:`~dlcourse.functional.conv2d_backward`, in less time.

The chapter prints the readable pair (:mod:`dlcourse.functional.conv`: ``unfold``, one matrix product, ``fold``)
and explains this one in prose. It computes the same im2col matrix products, with four changes:

* **Threads per batch slice.** A big batch is cut into one slice of images per CPU thread
  (:func:`dlcourse.fast.threads.batch_parts`); each slice runs its im2col, its matrix product (with a
  single-threaded BLAS) and its col2im on its own thread, so the copies run in parallel too. The weight gradient
  is the sum of the slices' weight gradients.
* **Scratch memory.** The columns of a slice, (C*kh*kw, n*H'*W'), live in memory reused from one training step to
  the next (:mod:`dlcourse.fast.scratch`) instead of fresh megabytes that cost a page fault per 4 KiB.
* **No padded copy.** im2col copies one slice per kernel offset (u, v) straight from the unpadded input and writes
  zeros where a window hangs over the border (:func:`_span` works out which outputs read real pixels); col2im
  adds into the unpadded ``dx``. The columns are laid out (C*kh*kw, n*H'*W'): the receptive fields of all images
  of a slice side by side, so one matrix product convolves all of them, and the output comes out as (F, N, H', W')
  (returned as a transposed view).
* **The same-convolution shortcut.** With stride 1 and the output as large as the input, every image is
  flattened to H*W pixels and offset (u, v) becomes one long slice shifted by (u - ph)*W + (v - pw) pixels, per
  channel and image, instead of one short slice per row; the columns that wrapped around a border are zeroed.

tests/test_conv.py and tests/test_fast_conv.py hold this module equal to the readable one and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import check_cache, check_upstream
from ..functional.sizes import check_conv2d_args, conv_output_size
from . import scratch, threads


class FastConv2dCache(NamedTuple):
    """What the fast :func:`conv2d_backward` needs from the fast :func:`conv2d_forward`."""

    cols: list[np.ndarray]  # per batch slice: its receptive fields (C*kh*kw, n*H'*W'), in scratch memory
    parts: list[slice]  # the batch slices (dlcourse.fast.threads.batch_parts), one per thread
    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    weight: np.ndarray  # (F, C, kh, kw)
    stride: tuple[int, int]  # (sh, sw)
    padding: tuple[int, int]  # (ph, pw)
    has_bias: bool


def _span(offset: int, padding: int, stride: int, size: int, out_size: int) -> tuple[int, int, slice]:
    """Kernel offset ``offset`` along one axis reads input index ``i*stride + offset - padding`` for output i.

    Returns ``(first, stop, inputs)``: outputs ``first:stop`` read real pixels (the others read padding zeros),
    namely the input pixels ``inputs``, a slice with step ``stride``.
    """
    first = min(out_size, max(0, -((offset - padding) // stride)))  # ceil((padding - offset) / stride)
    stop = max(first, min(out_size, (size - 1 + padding - offset) // stride + 1))
    start = first * stride + offset - padding
    return first, stop, slice(start, start + stride * (stop - first) if stop > first else start, stride)


def _offsets(kernel_size, size, out_size, stride, padding):
    """For every kernel offset (u, v): ``u, v, rows, columns``, the :func:`_span` of u along H and of v along W."""
    for u in range(kernel_size[0]):
        rows = _span(u, padding[0], stride[0], size[0], out_size[0])
        for v in range(kernel_size[1]):
            yield u, v, rows, _span(v, padding[1], stride[1], size[1], out_size[1])


def _im2col(x, cols, stride, padding) -> None:
    """Copy the receptive fields of x (n, C, H, W) into cols (C, kh, kw, n, H', W'), one slice per kernel offset
    (u, v): ``cols[:, u, v, :, i, j] = x̃[:, :, i*sh + u, j*sw + v]``, with zeros where x̃ is padding."""
    xt = x.transpose(1, 0, 2, 3)  # (C, n, H, W), a view
    _, kh, kw, _, H_out, W_out = cols.shape
    if stride == (1, 1) and (H_out, W_out) == x.shape[2:]:
        return _im2col_same(xt, cols, padding)
    for u, v, (i0, i1, rows), (j0, j1, columns) in _offsets((kh, kw), x.shape[2:], (H_out, W_out), stride, padding):
        dst = cols[:, u, v]  # (C, n, H', W')
        dst[:, :, :i0] = dst[:, :, i1:] = dst[:, :, i0:i1, :j0] = dst[:, :, i0:i1, j1:] = 0  # padding
        dst[:, :, i0:i1, j0:j1] = xt[:, :, rows, columns]


def _col2im(dcols, dx, stride, padding) -> None:
    """The adjoint of :func:`_im2col`: add dcols (C, kh, kw, n, H', W') onto the pixels of dx (C, n, H, W) they
    were copied from; overlapping windows add up, padding positions are dropped."""
    _, kh, kw, _, H_out, W_out = dcols.shape
    if stride == (1, 1) and (H_out, W_out) == dx.shape[2:]:
        return _col2im_same(dcols, dx, padding)
    for u, v, (i0, i1, rows), (j0, j1, columns) in _offsets((kh, kw), dx.shape[2:], (H_out, W_out), stride, padding):
        dx[:, :, rows, columns] += dcols[:, u, v, :, i0:i1, j0:j1]


# A "same" convolution (stride 1, output as large as the input) has a shortcut: flatten every image to H*W pixels,
# and kernel offset (u, v) reads pixel p + shift for output pixel p, one long slice per (channel, image) instead
# of one short slice per row. Windows that hang over the left or right border wrap onto the neighbouring row in
# this flat view; those columns are zeroed.
def _flat_shift(u: int, v: int, padding, H: int, W: int) -> tuple[int, int, int, int, int]:
    """Offset (u, v) of a same convolution: output pixels lo:hi (flat) read input pixels lo+shift:hi+shift, and the
    first ``left`` and last ``right`` columns of every row wrapped around the border."""
    shift = (u - padding[0]) * W + (v - padding[1])
    lo = min(max(0, -shift), H * W)
    hi = max(min(H * W, H * W - shift), lo)
    return shift, lo, hi, min(W, max(0, padding[1] - v)), min(W, max(0, v - padding[1]))


def _im2col_same(xt, cols, padding) -> None:
    """:func:`_im2col` for a same convolution; xt (C, n, H, W), cols (C, kh, kw, n, H, W)."""
    C, n, H, W = xt.shape
    x_flat, cols_flat = xt.reshape(C, n, H * W), cols.reshape(*cols.shape[:4], H * W)
    for u in range(cols.shape[1]):
        for v in range(cols.shape[2]):
            shift, lo, hi, left, right = _flat_shift(u, v, padding, H, W)
            dst = cols_flat[:, u, v]  # (C, n, H*W)
            dst[:, :, lo:hi] = x_flat[:, :, lo + shift : hi + shift]
            dst[:, :, :lo] = dst[:, :, hi:] = 0  # rows above or below the image
            cols[:, u, v, :, :, :left] = cols[:, u, v, :, :, W - right :] = 0  # wrapped columns


def _col2im_same(dcols, dx, padding) -> None:
    """:func:`_col2im` for a same convolution; dcols (C, kh, kw, n, H, W) is scratch: its wrapped columns are
    zeroed in place before the flat slices are added onto dx (C, n, H, W)."""
    C, n, H, W = dx.shape
    d_flat, dx_flat = dcols.reshape(*dcols.shape[:4], H * W), dx.reshape(C, n, H * W)  # views
    for u in range(dcols.shape[1]):
        for v in range(dcols.shape[2]):
            shift, lo, hi, left, right = _flat_shift(u, v, padding, H, W)
            dcols[:, u, v, :, :, :left] = dcols[:, u, v, :, :, W - right :] = 0
            dx_flat[:, :, lo + shift : hi + shift] += d_flat[:, u, v, :, lo:hi]


def conv2d_forward(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: Size2 = 1, padding: Size2 = 0
) -> tuple[np.ndarray, FastConv2dCache]:
    """Fast convolution (im2col + one matrix product); returns ``(out, cache)`` for :func:`conv2d_backward`.

    The batch is cut into slices, one per thread (:mod:`dlcourse.fast.threads`); each slice copies its receptive fields
    into a scratch array (:mod:`dlcourse.fast.scratch`) and multiplies them with the weight in one BLAS call.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None
    stride, padding : int or (int, int)

    Returns
    -------
    out : (N, F, H', W') (a transposed view of an (F, N, H', W') array)
    cache : :class:`FastConv2dCache` for :func:`conv2d_backward` (it may be used more than once)
    """
    x, weight, bias, (sh, sw), (ph, pw) = check_conv2d_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    dtype = np.result_type(x, weight)
    w_mat = weight.reshape(F, -1).astype(dtype, copy=False)  # (F, C*kh*kw)
    out = np.empty((F, N, H_out * W_out), dtype)

    def forward_part(part):  # the images x[part], on one thread
        n = part.stop - part.start
        cols = scratch.empty((C * kh * kw, n * H_out * W_out), dtype)
        _im2col(x[part], cols.reshape(C, kh, kw, n, H_out, W_out), (sh, sw), (ph, pw))
        out_part = out[:, part].reshape(F, n * H_out * W_out)  # a view into out
        np.matmul(w_mat, cols, out=out_part)  # (F, C*kh*kw) @ (C*kh*kw, n*H'*W')
        if bias is not None:
            out_part += bias[:, None]
        return cols

    parts = threads.batch_parts(N, work=F * C * kh * kw * N * H_out * W_out)
    cols = threads.parallel_map(forward_part, parts)
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)  # (N, F, H', W')
    return out, FastConv2dCache(cols, parts, x.shape, weight, (sh, sw), (ph, pw), bias is not None)


def conv2d(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: Size2 = 1, padding: Size2 = 0
) -> np.ndarray:
    """Fast convolution, output only (``torch.nn.functional.conv2d`` without dilation and groups).

    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None  ->  out : (N, F, H', W')
    """
    return conv2d_forward(x, weight, bias, stride, padding)[0]


def conv2d_backward(dout: ArrayLike, cache: FastConv2dCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :func:`conv2d_forward`.

    With :math:`\delta` = ``dout`` = :math:`\partial L/\partial y` of shape (N, F, H', W') and the receptive
    fields :math:`X_{\text{col}}` (C·kh·kw, N·H'·W'):

    .. math::
        \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \delta_{n,f,i,j}, \qquad
        \frac{\partial L}{\partial W} = \delta_{\text{mat}} X_{\text{col}}^\top, \qquad
        \frac{\partial L}{\partial X_{\text{col}}} = W_{\text{mat}}^\top \delta_{\text{mat}},

    and col2im adds each column's gradient back onto the input pixels it was copied from: one strided slice per
    kernel offset (u, v), kh·kw additions in all. Overlapping receptive fields accumulate. Each batch slice of the
    forward pass runs on its own thread; the weight gradient is the sum of the slices' gradients.

    Returns
    -------
    dx : (N, C, H, W);  dweight : (F, C, kh, kw);  dbias : (F,) or None when the forward pass had no bias
    """
    cache = check_cache(cache, FastConv2dCache, "dlcourse.fast.conv.conv2d_forward")
    (N, C, H, W), weight = cache.x_shape, cache.weight
    F, _, kh, kw = weight.shape
    dtype = cache.cols[0].dtype
    H_out = conv_output_size(H, kh, cache.stride[0], cache.padding[0])
    W_out = conv_output_size(W, kw, cache.stride[1], cache.padding[1])
    dout = check_upstream(dout, "dout", (N, F, H_out, W_out), dtype)
    w_mat = weight.reshape(F, -1).astype(dtype, copy=False)  # (F, C*kh*kw)
    dx = np.zeros((C, N, H, W), dtype)

    def backward_part(part, cols):  # the images of one forward slice
        n = part.stop - part.start
        d_mat = dout[part].transpose(1, 0, 2, 3).reshape(F, -1)  # (F, n*H'*W')
        dweight = (cols @ d_mat.T).T  # = d_mat @ cols.T, in the form BLAS runs faster: (F, C*kh*kw)
        dcols = np.matmul(w_mat.T, d_mat, out=scratch.empty(cols.shape, dtype))  # (C*kh*kw, n*H'*W')
        _col2im(dcols.reshape(C, kh, kw, n, H_out, W_out), dx[:, part], cache.stride, cache.padding)
        return dweight, d_mat.sum(axis=1)

    grads = threads.parallel_map(backward_part, cache.parts, cache.cols)
    dweight = sum(g[0] for g in grads).reshape(weight.shape)  # (F, C, kh, kw)
    dbias = sum(g[1] for g in grads) if cache.has_bias else None  # (F,)
    return dx.transpose(1, 0, 2, 3), dweight, dbias  # dx: (N, C, H, W)
