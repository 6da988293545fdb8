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
  BLAS matrix product for the whole batch, and a col2im backward that adds kh·kw slices back (no ``np.add.at``).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from .._validate import as_float_array


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
    cols: np.ndarray              # (C, kh, kw, N, H', W'): the receptive fields of the whole batch
    x_shape: tuple                # (N, C, H, W)
    weight: np.ndarray            # (F, C, kh, kw)
    stride: tuple                 # (sh, sw)
    padding: tuple                # (ph, pw)
    has_bias: bool


def _im2col_batch(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, H_out: int, W_out: int) -> np.ndarray:
    """Receptive fields of a padded batch (N, C, Hp, Wp) laid out (C, kh, kw, N, H', W'), so that one matrix
    product ``weight.reshape(F, C*kh*kw) @ cols.reshape(C*kh*kw, N*H'*W')`` convolves the whole batch."""
    N, C = xp.shape[:2]
    xt = xp.transpose(1, 0, 2, 3)                                       # (C, N, Hp, Wp), a view
    cols = np.empty((C, kh, kw, N, H_out, W_out), dtype=xp.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, u, v] = xt[:, :, u:u + sh * H_out:sh, v:v + sw * W_out:sw]   # (C, N, H', W')
    return cols


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """Fast convolution (im2col + one matrix product); returns ``(out, cache)`` for :func:`conv2d_backward`.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None
    stride, padding : int or (int, int)

    Returns
    -------
    out : (N, F, H', W') (a transposed view of an (F, N, H', W') array)
    cache : :class:`Conv2dCache`
    """
    x, weight, bias, (sh, sw), (ph, pw) = _check_conv_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    dtype = np.result_type(x, weight)
    cols = _im2col_batch(pad2d(x, (ph, pw)).astype(dtype, copy=False), kh, kw, sh, sw, H_out, W_out)
    out = weight.reshape(F, -1).astype(dtype, copy=False) @ cols.reshape(C * kh * kw, -1)   # (F, N*H'*W')
    out = out.reshape(F, N, H_out, W_out)
    if bias is not None:
        out += bias.astype(dtype, copy=False)[:, None, None, None]
    out = out.transpose(1, 0, 2, 3)                                     # (N, F, H', W')
    return out, Conv2dCache(cols, x.shape, weight, (sh, sw), (ph, pw), bias is not None)


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
    kernel offset (u, v), kh·kw additions in all. Overlapping receptive fields accumulate.

    Returns
    -------
    dx : (N, C, H, W);  dweight : (F, C, kh, kw);  dbias : (F,) or None when the forward pass had no bias
    """
    cols, (N, C, H, W), weight = cache.cols, cache.x_shape, cache.weight
    (sh, sw), (ph, pw) = cache.stride, cache.padding
    F, _, kh, kw = weight.shape
    dout = np.asarray(dout)
    H_out, W_out = cols.shape[4:]
    if dout.shape != (N, F, H_out, W_out):
        raise ValueError(f"dout: expected shape {(N, F, H_out, W_out)} (the output's), got {dout.shape}")
    dtype = cols.dtype
    d_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1).astype(dtype, copy=False)    # (F, N*H'*W')
    dbias: Optional[np.ndarray] = d_mat.sum(axis=1) if cache.has_bias else None     # (F,)
    # dW = d_mat @ cols.T, computed as (cols @ d_mat.T).T: the same product, but BLAS runs this form faster
    dweight = (cols.reshape(C * kh * kw, -1) @ d_mat.T).T.reshape(weight.shape)     # (F, C, kh, kw)
    dcols = (weight.reshape(F, -1).T.astype(dtype, copy=False) @ d_mat)             # (C*kh*kw, N*H'*W')
    dcols = dcols.reshape(C, kh, kw, N, H_out, W_out)
    # col2im: every kernel offset (u, v) sends one slice back; overlapping windows add up
    dxp = np.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=dtype)
    for u in range(kh):
        for v in range(kw):
            dxp[:, :, u:u + sh * H_out:sh, v:v + sw * W_out:sw] += dcols[:, u, v]
    dx = dxp[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)                     # (N, C, H, W)
    return dx, dweight, dbias
