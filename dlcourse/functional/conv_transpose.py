r"""Chapter 09: transposed convolution, as ``torch.nn.functional.conv_transpose2d`` computes it (NCHW).

A convolution maps an image of H pixels to one of :math:`H' = \lfloor (H + 2p - k)/s \rfloor + 1`; its transpose
goes the other way, from a small image to a large one, which is how a decoder grows its feature maps back. For an
input :math:`x` of shape (N, C_in, H, W), a weight :math:`w` of shape (C_in, C_out, kh, kw) (PyTorch's layout for
a transposed convolution: input channels first), a bias (C_out,), stride :math:`s`, padding :math:`p` and
output padding :math:`a` (per axis), every input pixel *paints* a weighted copy of the kernel onto the output:

.. math::
    y_{n,o,\,i s_h + u - p_h,\; j s_w + v - p_w} \mathrel{+}= \sum_{c} x_{n,c,i,j}\, w_{c,o,u,v}, \qquad
    H_{\text{out}} = (H - 1)\, s_h - 2 p_h + k_h + a_h,

plus the bias, where painted positions outside the output are dropped (that is what the padding removes) and
overlapping copies add up. The output padding :math:`a < s` adds rows at the bottom (columns at the right) that
the strided copies do not reach: several output sizes convolve down to the same H, and it picks one.

This is exactly the backward pass of a convolution with respect to its input (:func:`~dlcourse.functional.conv`'s
``conv2d_backward``): the columns ``w_mat.T @ x`` are folded back onto the image with
:func:`~dlcourse.functional.conv.fold`. And its own backward pass is a convolution: the input gradient is
``conv2d(dout, w)``, an :func:`~dlcourse.functional.conv.unfold` and one matrix product.

``nn.ConvTranspose2d`` runs the same computation faster (threads per batch slice, scratch memory):
:mod:`dlcourse.fast.conv_transpose`, tested equal to this module and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import as_float_array, check_cache, check_upstream
from .conv import fold, unfold
from .sizes import pair


def conv_transpose_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> int:
    r"""Output length along one axis: :math:`(\text{size} - 1)\,s - 2p + k + a`."""
    return (size - 1) * stride - 2 * padding + kernel_size + output_padding


def check_conv_transpose2d_args(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None,
    stride: Size2,
    padding: Size2,
    output_padding: Size2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """conv_transpose2d's arguments, checked: ``x`` (N, C_in, H, W), ``weight`` (C_in, C_out, kh, kw), ``bias``
    (C_out,) or None, ``stride``, ``padding`` and ``output_padding`` as pairs, with output_padding < stride and a
    positive output size. Returns them converted; raises a ValueError naming the argument at fault."""
    x = as_float_array(x, "x", ndim=4)
    weight = as_float_array(weight, "weight", ndim=4)
    if 0 in weight.shape:
        raise ValueError(f"weight: expected a non-empty (in_channels, out_channels, kh, kw), got shape {weight.shape}")
    if 0 in x.shape[1:]:
        raise ValueError(f"x: expected a non-empty (N, C, H, W) with C, H, W >= 1, got shape {x.shape}")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"x: expected {weight.shape[0]} input channels to match weight of shape {weight.shape} "
            f"(in_channels, out_channels, kh, kw), got x of shape {x.shape} (N, C, H, W)"
        )
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        if bias.shape[0] != weight.shape[1]:
            raise ValueError(
                f"bias: expected shape ({weight.shape[1]},) to match out_channels of weight {weight.shape}, "
                f"got {bias.shape}"
            )
    stride, padding = pair(stride, "stride", minimum=1), pair(padding, "padding", minimum=0)
    output_padding = pair(output_padding, "output_padding", minimum=0)
    if any(a >= s for a, s in zip(output_padding, stride)):
        raise ValueError(f"output_padding: expected values smaller than stride {stride}, got {output_padding}")
    for axis in range(2):
        size = conv_transpose_output_size(
            x.shape[2 + axis], weight.shape[2 + axis], stride[axis], padding[axis], output_padding[axis]
        )
        if size < 1:
            raise ValueError(
                f"padding: {padding} leaves no output: along axis {axis + 2} the output would have {size} pixels "
                f"((H - 1)*stride - 2*padding + kernel + output_padding)"
            )
    return x, weight, bias, stride, padding, output_padding


class ConvTranspose2dCache(NamedTuple):
    """What :func:`conv_transpose2d_backward` needs from :func:`conv_transpose2d_forward`."""

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
) -> tuple[np.ndarray, ConvTranspose2dCache]:
    """Transposed convolution: one matrix product makes every pixel's painted kernel, ``fold`` adds them up.

    Parameters
    ----------
    x : (N, C_in, H, W);  weight : (C_in, C_out, kh, kw);  bias : (C_out,) or None
    stride, padding, output_padding : int or (int, int), output_padding < stride

    Returns
    -------
    out : (N, C_out, H_out, W_out), H_out = (H - 1)*sh - 2*ph + kh + ah
    cache : :class:`ConvTranspose2dCache` for :func:`conv_transpose2d_backward`
    """
    x, weight, bias, (sh, sw), (ph, pw), (ah, aw) = check_conv_transpose2d_args(
        x, weight, bias, stride, padding, output_padding
    )
    N, C_in, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    H_out = conv_transpose_output_size(H, kh, sh, ph, ah)
    W_out = conv_transpose_output_size(W, kw, sw, pw, aw)
    w_mat = weight.reshape(C_in, C_out * kh * kw)  # (C_in, C_out*kh*kw)
    cols = w_mat.T @ x.reshape(N, C_in, H * W)  # (N, C_out*kh*kw, H*W): each pixel's painted kernel
    out = fold(cols, (H_out, W_out), (kh, kw), (sh, sw), (ph, pw))  # (N, C_out, H_out, W_out): overlaps add up
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out, ConvTranspose2dCache(x, weight, out.shape, (sh, sw), (ph, pw), bias is not None)


def conv_transpose2d(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: Size2 = 1,
    padding: Size2 = 0,
    output_padding: Size2 = 0,
) -> np.ndarray:
    """Transposed convolution, output only (``torch.nn.functional.conv_transpose2d`` without groups and dilation).

    x : (N, C_in, H, W);  weight : (C_in, C_out, kh, kw);  bias : (C_out,) or None  ->  (N, C_out, H_out, W_out)
    """
    return conv_transpose2d_forward(x, weight, bias, stride, padding, output_padding)[0]


def conv_transpose2d_backward(
    dout: ArrayLike, cache: ConvTranspose2dCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""Gradients of :func:`conv_transpose2d_forward`: a convolution of ``dout``.

    With :math:`D` = ``unfold(dout)`` (N, C_out·kh·kw, H·W), the receptive fields of the output gradient at the
    positions each input pixel painted:

    .. math::
        \frac{\partial L}{\partial x_{\text{mat}}} = W_{\text{mat}} D, \qquad
        \frac{\partial L}{\partial W_{\text{mat}}} = \sum_n x_{\text{mat}} D^\top, \qquad
        \frac{\partial L}{\partial b_o} = \sum_{n,i,j} \delta_{n,o,i,j},

    so the input gradient is ``conv2d(dout, weight, stride, padding)``.

    Returns
    -------
    dx : (N, C_in, H, W);  dweight : (C_in, C_out, kh, kw);  dbias : (C_out,) or None without a bias
    """
    cache = check_cache(cache, ConvTranspose2dCache, "conv_transpose2d_forward")
    x, weight = cache.x, cache.weight
    N, C_in, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    dout = check_upstream(dout, "dout", cache.out_shape, np.result_type(x, weight))
    d_cols = unfold(dout, (kh, kw), cache.stride, cache.padding)  # (N, C_out*kh*kw, H*W)
    w_mat = weight.reshape(C_in, C_out * kh * kw)
    dx = (w_mat @ d_cols).reshape(N, C_in, H, W)  # (C_in, C_out*kh*kw) @ (N, C_out*kh*kw, H*W)
    dweight = np.tensordot(x.reshape(N, C_in, H * W), d_cols, axes=([0, 2], [0, 2]))  # (C_in, C_out*kh*kw)
    dbias = dout.sum(axis=(0, 2, 3)) if cache.has_bias else None
    return dx, dweight.reshape(weight.shape), dbias
