"""Pooling layers, ``torch.nn.MaxPool2d`` and ``torch.nn.AvgPool2d`` (no parameters)."""
from __future__ import annotations

from .. import functional as F
from ..functional.conv import _pair
from .module import Module


class _Pool2d(Module):
    _forward = staticmethod(lambda x, kernel_size, stride, padding: None)
    _backward = staticmethod(lambda dout, cache: None)

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", minimum=1)
        self.padding = _pair(padding, "padding", minimum=0)
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(f"padding: expected at most half the kernel size {self.kernel_size}, got {padding!r}")

    def forward(self, x):
        out, self._cache = type(self)._forward(x, self.kernel_size, self.stride, self.padding)
        return out

    def backward(self, dout):
        return self._release(type(self)._backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling over kh x kw windows (``torch.nn.MaxPool2d``); stride defaults to the window size.

    Shapes: (N, C, H, W) -> (N, C, H', W'), H' = floor((H + 2·padding - kh) / stride) + 1.
    """
    _forward = staticmethod(F.max_pool2d_forward)
    _backward = staticmethod(F.max_pool2d_backward)


class AvgPool2d(_Pool2d):
    """Average pooling over kh x kw windows (``torch.nn.AvgPool2d`` with ``count_include_pad=True``).

    Shapes: (N, C, H, W) -> (N, C, H', W').
    """
    _forward = staticmethod(F.avg_pool2d_forward)
    _backward = staticmethod(F.avg_pool2d_backward)
