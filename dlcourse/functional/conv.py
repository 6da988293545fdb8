r"""Chapter 05: 2-D convolution in NCHW layout, as ``torch.nn.functional.conv2d`` computes it (a cross-correlation).

For an input :math:`x` of shape (N, C, H, W), a weight :math:`w` of shape (F, C, kh, kw), a bias :math:`b` of
shape (F,), stride :math:`s` and zero padding :math:`p` (per axis), the output has shape (N, F, H', W') with

.. math::
    y_{n,f,i,j} = b_f + \sum_{c=0}^{C-1} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
                  w_{f,c,u,v}\; \tilde x_{n,c,\,i s_h + u,\, j s_w + v},
    \qquad H' = \left\lfloor \frac{H + 2p_h - k_h}{s_h} \right\rfloor + 1,

where :math:`\tilde x` is :math:`x` padded with :math:`p` zeros on every side (and likewise for W'). The kernel is
*not* flipped: this is cross-correlation, which deep-learning libraries call convolution.

The code the chapter prints, from the definition to matrix products:

* :func:`conv2d_naive` — loops over the output positions, one small tensor product each;
* :func:`unfold` (im2col, ``torch.nn.functional.unfold``) — every receptive field becomes one column, and
  :func:`fold` (col2im, ``torch.nn.functional.fold``) — its adjoint, adding columns back onto the image;
* :func:`conv2d_forward` / :func:`conv2d_backward` — the pair built on them: the convolution is one matrix product
  ``weight.reshape(F, -1) @ unfold(x)``, and its input gradient the ``fold`` of another.

The layers of :mod:`dlcourse.nn` run the same computation faster (threads, reused scratch memory, a shortcut for
"same" convolutions): :mod:`dlcourse.fast.conv`, tested equal to this module and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import as_float_array, check_cache, check_upstream
from .sizes import check_conv2d_args, conv_output_size, pair


def pad2d(x: np.ndarray, padding: Size2, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``x`` by ``padding`` = p or (ph, pw) on each side with ``value`` (zeros)."""
    ph, pw = pair(padding, "padding", minimum=0)
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)], constant_values=value)


# ------------------------------------------------------------------------------------- the loop version
def conv2d_naive(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: Size2 = 1, padding: Size2 = 0
) -> np.ndarray:
    """Convolution (cross-correlation) by a loop over output positions: the definition, written out.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None
    stride, padding : int or (int, int)

    Returns
    -------
    out : (N, F, H', W')
    """
    x, weight, bias, (sh, sw), (ph, pw) = check_conv2d_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw))  # (N, C, H + 2ph, W + 2pw)
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, weight))
    for i in range(H_out):
        for j in range(W_out):
            window = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (N, C, kh, kw): one receptive field
            # every filter f against every example n: sum over c, u, v of window * weight[f]
            out[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3]))  # (N, F)
    if bias is not None:
        out += bias[None, :, None, None]
    return out


# ----------------------------------------------------------------------------------- im2col and col2im
def unfold(x: ArrayLike, kernel_size: Size2, stride: Size2 = 1, padding: Size2 = 0) -> np.ndarray:
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
    (kh, kw), (sh, sw) = pair(kernel_size, "kernel_size", minimum=1), pair(stride, "stride", minimum=1)
    ph, pw = pair(padding, "padding", minimum=0)
    N, C, H, W = x.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw))  # (N, C, H + 2ph, W + 2pw)
    cols = np.empty((N, C, kh, kw, H_out, W_out), dtype=x.dtype)
    for u in range(kh):  # kh*kw slice copies instead of N*C*H'*W' small ones
        for v in range(kw):
            cols[:, :, u, v] = xp[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw]  # (N, C, H', W')
    return cols.reshape(N, C * kh * kw, H_out * W_out)


def fold(cols: ArrayLike, output_size: Size2, kernel_size: Size2, stride: Size2 = 1, padding: Size2 = 0) -> np.ndarray:
    """Add every column back onto the pixels it came from (col2im), exactly as ``torch.nn.functional.fold``.

    The adjoint of :func:`unfold`: where receptive fields overlap, their values add up; pixels no window reads get
    0, and values that fall on the padding are dropped. So the input gradient of a convolution is ``fold`` of the
    columns' gradient, and ``fold(unfold(x))`` is x times the number of windows that cover each pixel.

    Parameters
    ----------
    cols : (N, C*kh*kw, L), in :func:`unfold`'s layout
    output_size : int or (H, W), the size of the image (without padding)
    kernel_size, stride, padding : int or (int, int)

    Returns
    -------
    x : (N, C, H, W)
    """
    (H, W), (kh, kw) = pair(output_size, "output_size", minimum=1), pair(kernel_size, "kernel_size", minimum=1)
    (sh, sw), (ph, pw) = pair(stride, "stride", minimum=1), pair(padding, "padding", minimum=0)
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    cols = _check_columns(cols, (kh, kw), (H_out, W_out))  # (N, C*kh*kw, L), L = H'*W'
    N, C = cols.shape[0], cols.shape[1] // (kh * kw)
    cols = cols.reshape(N, C, kh, kw, H_out, W_out)
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)  # the padded image
    for u in range(kh):  # kh*kw slice additions
        for v in range(kw):
            xp[:, :, u : u + sh * H_out : sh, v : v + sw * W_out : sw] += cols[:, :, u, v]  # overlapping windows add up
    return xp[:, :, ph : ph + H, pw : pw + W]  # (N, C, H, W): the padding dropped


def _check_columns(cols, kernel_size, windows) -> np.ndarray:
    """``cols`` as a float array of shape (N, C*kh*kw, H'*W') with C >= 1, or a ValueError naming it."""
    cols = as_float_array(cols, "cols", ndim=3)
    (kh, kw), (H_out, W_out) = kernel_size, windows
    if cols.shape[1] == 0 or cols.shape[1] % (kh * kw) or cols.shape[2] != H_out * W_out:
        raise ValueError(
            f"cols: expected shape (N, C*{kh}*{kw}, {H_out * W_out}) with C >= 1 (a {kh}x{kw} kernel "
            f"fits {H_out}x{W_out} times into output_size, stride and padding), got shape {cols.shape}"
        )
    return cols


# --------------------------------------------------------------------- forward and backward, im2col way
class Conv2dCache(NamedTuple):
    """What :func:`conv2d_backward` needs from :func:`conv2d_forward`."""

    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    out_shape: tuple[int, int, int, int]  # (N, F, H', W')
    cols: np.ndarray  # (N, C*kh*kw, H'*W'): unfold(x), the receptive fields
    weight: np.ndarray  # (F, C, kh, kw)
    stride: tuple[int, int]  # (sh, sw)
    padding: tuple[int, int]  # (ph, pw)
    has_bias: bool


def conv2d_forward(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: Size2 = 1, padding: Size2 = 0
) -> tuple[np.ndarray, Conv2dCache]:
    """Convolution as one matrix product with the receptive fields; returns ``(out, cache)``.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None
    stride, padding : int or (int, int)

    Returns
    -------
    out : (N, F, H', W')
    cache : :class:`Conv2dCache` for :func:`conv2d_backward`
    """
    x, weight, bias, (sh, sw), (ph, pw) = check_conv2d_args(x, weight, bias, stride, padding)
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    H_out, W_out = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    cols = unfold(x, (kh, kw), (sh, sw), (ph, pw))  # (N, C*kh*kw, L), L = H'*W'
    out = weight.reshape(F, -1) @ cols  # (F, C*kh*kw) @ (N, C*kh*kw, L): (N, F, L)
    if bias is not None:
        out += bias[:, None]  # (F, 1): one bias per filter
    out = out.reshape(N, F, H_out, W_out)
    return out, Conv2dCache(x.shape, out.shape, cols, weight, (sh, sw), (ph, pw), bias is not None)


def conv2d(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None, stride: Size2 = 1, padding: Size2 = 0
) -> np.ndarray:
    """Convolution, output only (``torch.nn.functional.conv2d`` without dilation and groups).

    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,) or None  ->  out : (N, F, H', W')
    """
    return conv2d_forward(x, weight, bias, stride, padding)[0]


def conv2d_backward(dout: ArrayLike, cache: Conv2dCache) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :func:`conv2d_forward`: the matrix products of a linear layer, then :func:`fold`.

    With :math:`\delta` = ``dout`` = :math:`\partial L/\partial y` as a matrix :math:`\delta_{\text{mat}}`
    (F, L) per image and the receptive fields :math:`X_{\text{col}}` (C·kh·kw, L):

    .. math::
        \frac{\partial L}{\partial b_f} = \sum_{n,l} \delta_{n,f,l}, \qquad
        \frac{\partial L}{\partial W_{\text{mat}}} = \sum_n \delta_{\text{mat}} X_{\text{col}}^\top, \qquad
        \frac{\partial L}{\partial X_{\text{col}}} = W_{\text{mat}}^\top \delta_{\text{mat}},

    and :func:`fold` adds each column's gradient back onto the input pixels it was copied from.

    Returns
    -------
    dx : (N, C, H, W);  dweight : (F, C, kh, kw);  dbias : (F,) or None when the forward pass had no bias
    """
    cache = check_cache(cache, Conv2dCache, "conv2d_forward")
    N, F, H_out, W_out = cache.out_shape
    w_mat = cache.weight.reshape(F, -1)  # (F, C*kh*kw)
    dout = check_upstream(dout, "dout", cache.out_shape, np.result_type(cache.cols, w_mat))
    d_mat = dout.reshape(N, F, H_out * W_out)  # (N, F, L)
    dbias = d_mat.sum(axis=(0, 2)) if cache.has_bias else None  # (F,)
    dweight = np.tensordot(d_mat, cache.cols, axes=([0, 2], [0, 2]))  # (F, C*kh*kw): sum over n and l
    dcols = w_mat.T @ d_mat  # (C*kh*kw, F) @ (N, F, L): (N, C*kh*kw, L)
    dx = fold(dcols, cache.x_shape[2:], cache.weight.shape[2:], cache.stride, cache.padding)  # (N, C, H, W)
    return dx, dweight.reshape(cache.weight.shape), dbias
