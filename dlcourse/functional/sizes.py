r"""Chapter 05: the arithmetic of sliding windows, in one place for convolution and pooling.

A convolution or pooling window is described by three pairs (rows, columns): ``kernel_size`` (kh, kw),
``stride`` (sh, sw) and ``padding`` (ph, pw). PyTorch accepts an int for a pair, and so does dlcourse
(:func:`pair`). Along an axis of n pixels padded by p on each side, a window of k pixels moved by s fits

.. math::
    n' = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1

times (:func:`conv_output_size`). Pooling allows at most half a window of padding (:func:`pool_padding`), as in
PyTorch. :func:`check_conv2d_args` and :func:`check_pool2d_args` check a kernel's arguments and turn a learner's
mistake into one ValueError naming the argument.

Every module that slides a window uses these: :mod:`dlcourse.functional.conv` and
:mod:`dlcourse.functional.pooling` (the kernels the chapter prints), :mod:`dlcourse.fast.conv` and
:mod:`dlcourse.fast.pooling` (the fast ones), and the layers ``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import as_float_array


def pair(value: Size2, name: str, *, minimum: int) -> tuple[int, int]:
    """``value`` (an int, or a pair of ints for rows and columns) as a pair of ints, each >= ``minimum``.

    As PyTorch's ``_pair``: ``pair(3, "kernel_size", minimum=1) == (3, 3)``; anything else (a float, a bool, a
    string, three numbers) raises a ValueError naming ``name``.
    """
    values = value if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: expected values >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    r"""Output length along one axis: :math:`\lfloor (\text{size} + 2p - k) / s \rfloor + 1`.

    The same formula serves convolution and pooling. Raises a ValueError when the kernel does not fit into the
    padded input.
    """
    for value, name, minimum in (
        (size, "size", 1),
        (kernel_size, "kernel_size", 1),
        (stride, "stride", 1),
        (padding, "padding", 0),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if size + 2 * padding < kernel_size:
        raise ValueError(
            f"kernel_size: a kernel of {kernel_size} does not fit an input of {size} padded by "
            f"{padding} on each side ({size + 2 * padding})"
        )
    return (size + 2 * padding - kernel_size) // stride + 1


def pool_padding(padding: Size2, kernel_size: tuple[int, int]) -> tuple[int, int]:
    """Pooling's ``padding`` as a pair, at most half the window ``kernel_size`` (kh, kw) on each axis (PyTorch's
    rule: every window then holds at least one pixel of the input)."""
    ph, pw = pair(padding, "padding", minimum=0)
    if ph > kernel_size[0] // 2 or pw > kernel_size[1] // 2:
        raise ValueError(
            f"padding: expected at most half the kernel size {tuple(kernel_size)} (as in PyTorch), got {padding!r}"
        )
    return ph, pw


def check_conv2d_args(
    x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None, stride: Size2, padding: Size2
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, int], tuple[int, int]]:
    """conv2d's arguments, checked: ``x`` (N, C, H, W) and ``weight`` (F, C, kh, kw) as float arrays, ``bias``
    (F,) or None, ``stride`` and ``padding`` as pairs; the kernel must fit into the padded input.

    Returns ``(x, weight, bias, stride, padding)``; raises a ValueError naming the argument at fault.
    """
    x = as_float_array(x, "x", ndim=4)
    weight = as_float_array(weight, "weight", ndim=4)
    if 0 in weight.shape:
        raise ValueError(f"weight: expected a non-empty (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x: expected {weight.shape[1]} input channels to match weight of shape {weight.shape} "
            f"(out_channels, in_channels, kh, kw), got x of shape {x.shape} (N, C, H, W)"
        )
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(
                f"bias: expected shape ({weight.shape[0]},) to match out_channels of weight "
                f"{weight.shape}, got {bias.shape}"
            )
    stride, padding = pair(stride, "stride", minimum=1), pair(padding, "padding", minimum=0)
    for axis, (size, k, p) in enumerate(zip(x.shape[2:], weight.shape[2:], padding)):
        if size + 2 * p < k:
            raise ValueError(
                f"weight: a {weight.shape[2]}x{weight.shape[3]} kernel does not fit into x of shape "
                f"{x.shape} padded by {padding} (axis {axis + 2}: {size} + 2*{p} < {k})"
            )
    return x, weight, bias, stride, padding


def check_pool2d_args(
    x: ArrayLike, kernel_size: Size2, stride: Size2 | None, padding: Size2
) -> tuple[np.ndarray, tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Pooling's arguments, checked: ``x`` (N, C, H, W) a float array with C, H, W >= 1, ``kernel_size`` a pair,
    ``stride`` a pair (None: the kernel size), ``padding`` a pair of at most half the window; the window must fit.

    Returns ``(x, kernel_size, stride, padding)``; raises a ValueError naming the argument at fault.
    """
    x = as_float_array(x, "x", ndim=4)
    if 0 in x.shape[1:]:
        raise ValueError(
            f"x: expected (N, C, H, W) with C, H and W >= 1 (only the batch may be empty, as in "
            f"PyTorch), got shape {x.shape}"
        )
    kernel_size = pair(kernel_size, "kernel_size", minimum=1)
    stride = kernel_size if stride is None else pair(stride, "stride", minimum=1)
    padding = pool_padding(padding, kernel_size)
    if any(size + 2 * p < k for size, k, p in zip(x.shape[2:], kernel_size, padding)):
        raise ValueError(
            f"kernel_size: a {kernel_size[0]}x{kernel_size[1]} window does not fit into x of shape "
            f"{x.shape} padded by {padding}"
        )
    return x, kernel_size, stride, padding
