r"""2-D convolution in NCHW layout, as ``torch.nn.functional.conv2d`` computes it (a cross-correlation).

For an input :math:`x` of shape (N, C, H, W), a weight :math:`w` of shape (F, C, kh, kw), a bias :math:`b` of
shape (F,), stride :math:`s` and zero padding :math:`p` (per axis), the output has shape (N, F, H', W') with

.. math::
    y_{n,f,i,j} = b_f + \sum_{c=0}^{C-1} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
                  w_{f,c,u,v}\; \tilde x_{n,c,\,i s_h + u,\, j s_w + v},
    \qquad H' = \left\lfloor \frac{H + 2p_h - k_h}{s_h} \right\rfloor + 1,

where :math:`\tilde x` is :math:`x` padded with :math:`p` zeros on every side (and likewise for W'). The kernel is
*not* flipped: this is cross-correlation, which deep-learning libraries call convolution.

Three ways to compute it, from the most readable to the fastest:

* :func:`conv2d_naive` — loops over the output positions, one small tensor product each (teaching);
* :func:`unfold` — ``torch.nn.functional.unfold``: every receptive field becomes one column (im2col), so the
  convolution is one matrix product ``weight.reshape(F, -1) @ unfold(x)``;
* :func:`conv2d_forward` / :func:`conv2d_backward` — the fast pair: im2col built with kh·kw slice copies, one
  BLAS matrix product per batch slice, and a col2im backward that adds kh·kw slices back (no ``np.add.at``).
  Big batches are split over the CPU's threads, and the columns live in reused scratch memory.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..fast import scratch, threads
from .._validate import as_float_array, check_cache, check_upstream


# ------------------------------------------------------------------------------------------- arguments
def _pair(value, name: str, *, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a pair (PyTorch's ``_pair``)."""
    values = value if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: expected values >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    r"""Output length along one axis: :math:`\lfloor (\text{size} + 2p - k) / s \rfloor + 1`.

    Raises a ValueError when the kernel does not fit into the padded input.
    """
    for value, name, minimum in ((size, "size", 1), (kernel_size, "kernel_size", 1), (stride, "stride", 1),
                                 (padding, "padding", 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if size + 2 * padding < kernel_size:
        raise ValueError(f"kernel_size: a kernel of {kernel_size} does not fit an input of {size} padded by "
                         f"{padding} on each side ({size + 2 * padding})")
    return (size + 2 * padding - kernel_size) // stride + 1


def _check_conv_args(x, weight, bias, stride, padding):
    x = as_float_array(x, "x", ndim=4)
    weight = as_float_array(weight, "weight", ndim=4)
    if 0 in weight.shape:
        raise ValueError(f"weight: expected a non-empty (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x: expected {weight.shape[1]} input channels to match weight of shape {weight.shape} "
                         f"(out_channels, in_channels, kh, kw), got x of shape {x.shape} (N, C, H, W)")
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias: expected shape ({weight.shape[0]},) to match out_channels of weight "
                             f"{weight.shape}, got {bias.shape}")
    stride, padding = _pair(stride, "stride", minimum=1), _pair(padding, "padding", minimum=0)
    for axis, (size, k, p) in enumerate(zip(x.shape[2:], weight.shape[2:], padding)):
        if size + 2 * p < k:
            raise ValueError(f"weight: a {weight.shape[2]}x{weight.shape[3]} kernel does not fit into x of shape "
                             f"{x.shape} padded by {padding} (axis {axis + 2}: {size} + 2*{p} < {k})")
    return x, weight, bias, stride, padding


def pad2d(x: np.ndarray, padding) -> np.ndarray:
    """Zero-pad the last two axes of ``x`` by ``padding`` = p or (ph, pw) on each side."""
    ph, pw = _pair(padding, "padding", minimum=0)
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)])


# ------------------------------------------------------------------------------------- the loop version
def conv2d_naive(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """Convolution (cross-correlation) by a loop over output positions: the definition, written out.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None
    stride, padding : int or (int, int)

    Returns
    -------
    out : (N, F, H', W')
    """
    x, weight, bias, (sh, sw), (ph, pw) = _check_conv_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    xp = pad2d(x, (ph, pw))                                              # (N, C, H + 2ph, W + 2pw)
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, weight))
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]     # (N, C, kh, kw): one receptive field
            # every filter f against every example n: sum over c, u, v of window * weight[f]
            out[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))   # (N, F)
    if bias is not None:
        out += bias[None, :, None, None]
    return out


# ------------------------------------------------------------------------------------------- im2col
def unfold(x, kernel_size, stride=1, padding=0) -> np.ndarray:
    """Every receptive field as a column (im2col), exactly as ``torch.nn.functional.unfold``.

    Parameters
    ----------
    x : (N, C, H, W)
    kernel_size, stride, padding : int or (int, int)

    Returns
    -------
    cols : (N, C*kh*kw, L) with L = H'*W'; row c*kh*kw + u*kw + v holds x̃[n, c, i*sh + u, j*sw + v] in column
        i*W' + j. Then ``conv2d(x, w) = (w.reshape(F, -1) @ cols).reshape(N, F, H', W')``.
    """
    x = as_float_array(x, "x", ndim=4)
    (kh, kw), (sh, sw) = _pair(kernel_size, "kernel_size", minimum=1), _pair(stride, "stride", minimum=1)
    ph, pw = _pair(padding, "padding", minimum=0)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw))
    cols = np.empty((N, C, kh, kw, H_out, W_out), dtype=x.dtype)
    for u in range(kh):                                   # kh*kw slice copies instead of N*C*H'*W' small ones
        for v in range(kw):
            cols[:, :, u, v] = xp[:, :, u:u + sh * H_out:sh, v:v + sw * W_out:sw]   # (N, C, H', W')
    return cols.reshape(N, C * kh * kw, H_out * W_out)


# ----------------------------------------------------------------------------------- the fast pair
class Conv2dCache(NamedTuple):
    cols: list                    # per batch slice: its receptive fields (C*kh*kw, n*H'*W'), in scratch memory
    parts: list                   # the batch slices (dlcourse.fast.threads.batch_parts), one per thread
    x_shape: tuple                # (N, C, H, W)
    weight: np.ndarray            # (F, C, kh, kw)
    stride: tuple                 # (sh, sw)
    padding: tuple                # (ph, pw)
    has_bias: bool


def _span(offset: int, padding: int, stride: int, size: int, out_size: int) -> tuple[int, int, slice]:
    """Kernel offset ``offset`` along one axis reads input index ``i*stride + offset - padding`` for output i.

    Returns ``(first, stop, inputs)``: outputs ``first:stop`` read real pixels (the others read padding zeros),
    namely the input pixels ``inputs``, a slice with step ``stride``.
    """
    first = min(out_size, max(0, -((offset - padding) // stride)))       # ceil((padding - offset) / stride)
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
    xt = x.transpose(1, 0, 2, 3)                                        # (C, n, H, W), a view
    _, kh, kw, _, H_out, W_out = cols.shape
    if stride == (1, 1) and (H_out, W_out) == x.shape[2:]:
        return _im2col_same(xt, cols, padding)
    for u, v, (i0, i1, rows), (j0, j1, columns) in _offsets((kh, kw), x.shape[2:], (H_out, W_out), stride, padding):
        dst = cols[:, u, v]                                             # (C, n, H', W')
        dst[:, :, :i0] = dst[:, :, i1:] = dst[:, :, i0:i1, :j0] = dst[:, :, i0:i1, j1:] = 0   # padding
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
            dst = cols_flat[:, u, v]                                    # (C, n, H*W)
            dst[:, :, lo:hi] = x_flat[:, :, lo + shift:hi + shift]
            dst[:, :, :lo] = dst[:, :, hi:] = 0                         # rows above or below the image
            cols[:, u, v, :, :, :left] = cols[:, u, v, :, :, W - right:] = 0    # wrapped columns


def _col2im_same(dcols, dx, padding) -> None:
    """:func:`_col2im` for a same convolution; dcols (C, kh, kw, n, H, W) is scratch: its wrapped columns are
    zeroed in place before the flat slices are added onto dx (C, n, H, W)."""
    C, n, H, W = dx.shape
    d_flat, dx_flat = dcols.reshape(*dcols.shape[:4], H * W), dx.reshape(C, n, H * W)    # views
    for u in range(dcols.shape[1]):
        for v in range(dcols.shape[2]):
            shift, lo, hi, left, right = _flat_shift(u, v, padding, H, W)
            dcols[:, u, v, :, :, :left] = dcols[:, u, v, :, :, W - right:] = 0
            dx_flat[:, :, lo + shift:hi + shift] += d_flat[:, u, v, :, lo:hi]


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
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
    cache : :class:`Conv2dCache` for :func:`conv2d_backward` (it may be used more than once)
    """
    x, weight, bias, (sh, sw), (ph, pw) = _check_conv_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    dtype = np.result_type(x, weight)
    w_mat = weight.reshape(F, -1).astype(dtype, copy=False)             # (F, C*kh*kw)
    out = np.empty((F, N, H_out * W_out), dtype)

    def forward_part(part):                                             # the images x[part], on one thread
        n = part.stop - part.start
        cols = scratch.empty((C * kh * kw, n * H_out * W_out), dtype)
        _im2col(x[part], cols.reshape(C, kh, kw, n, H_out, W_out), (sh, sw), (ph, pw))
        out_part = out[:, part].reshape(F, n * H_out * W_out)           # a view into out
        np.matmul(w_mat, cols, out=out_part)                            # (F, C*kh*kw) @ (C*kh*kw, n*H'*W')
        if bias is not None:
            out_part += bias[:, None]
        return cols

    parts = threads.batch_parts(N, work=F * C * kh * kw * N * H_out * W_out)
    cols = threads.parallel_map(forward_part, parts)
    out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)         # (N, F, H', W')
    return out, Conv2dCache(cols, parts, x.shape, weight, (sh, sw), (ph, pw), bias is not None)


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """Fast convolution, output only (``torch.nn.functional.conv2d`` without dilation and groups).

    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None  ->  out : (N, F, H', W')
    """
    return conv2d_forward(x, weight, bias, stride, padding)[0]


def conv2d_backward(dout, cache: Conv2dCache):
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
    (N, C, H, W), weight = check_cache(cache, Conv2dCache, "conv2d_forward").x_shape, cache.weight
    F, _, kh, kw = weight.shape
    dtype = cache.cols[0].dtype
    H_out = (H + 2 * cache.padding[0] - kh) // cache.stride[0] + 1
    W_out = (W + 2 * cache.padding[1] - kw) // cache.stride[1] + 1
    dout = check_upstream(dout, "dout", (N, F, H_out, W_out), dtype)
    w_mat = weight.reshape(F, -1).astype(dtype, copy=False)             # (F, C*kh*kw)
    dx = np.zeros((C, N, H, W), dtype)

    def backward_part(part, cols):                                     # the images of one forward slice
        n = part.stop - part.start
        d_mat = dout[part].transpose(1, 0, 2, 3).reshape(F, -1)                  # (F, n*H'*W')
        dweight = (cols @ d_mat.T).T               # = d_mat @ cols.T, in the form BLAS runs faster: (F, C*kh*kw)
        dcols = np.matmul(w_mat.T, d_mat, out=scratch.empty(cols.shape, dtype))   # (C*kh*kw, n*H'*W')
        _col2im(dcols.reshape(C, kh, kw, n, H_out, W_out), dx[:, part], cache.stride, cache.padding)
        return dweight, d_mat.sum(axis=1)

    grads = threads.parallel_map(backward_part, cache.parts, cache.cols)
    dweight = sum(g[0] for g in grads).reshape(weight.shape)            # (F, C, kh, kw)
    dbias = sum(g[1] for g in grads) if cache.has_bias else None        # (F,)
    return dx.transpose(1, 0, 2, 3), dweight, dbias                     # dx: (N, C, H, W)
