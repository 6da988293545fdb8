"""Chapter 05: pooling layers, ``torch.nn.MaxPool2d`` and ``torch.nn.AvgPool2d`` (no parameters).

Each forward calls a pooling kernel of :mod:`dlcourse.fast.pooling` and keeps its cache; each backward hands that
cache to the kernel's backward (the same numbers as :mod:`dlcourse.functional.pooling`, which the chapter prints).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from ..fast import pooling as fast_pool
from ..functional.sizes import pair, pool_padding
from .module import Module


class _Pool2d(Module):
    """What both pooling layers share: the window's kernel_size, stride and padding as pairs, and their repr."""

    def __init__(self, kernel_size: Size2, stride: Size2 | None = None, padding: Size2 = 0) -> None:
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", minimum=1)
        self.padding = pool_padding(padding, self.kernel_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling over kh x kw windows (``torch.nn.MaxPool2d``); stride defaults to the window size.

    Shapes: (N, C, H, W) -> (N, C, H', W'), H' = floor((H + 2·padding - kh) / stride) + 1.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = fast_pool.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(fast_pool.max_pool2d_backward(dout, self._saved()))


class AvgPool2d(_Pool2d):
    """Average pooling over kh x kw windows (``torch.nn.AvgPool2d`` with ``count_include_pad=True``).

    Shapes: (N, C, H, W) -> (N, C, H', W').
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = fast_pool.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(fast_pool.avg_pool2d_backward(dout, self._saved()))
