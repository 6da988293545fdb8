"""Activation layers (``torch.nn.Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Softmax``, ``Identity``)."""
from __future__ import annotations

import numpy as np

from .. import functional as F
from .._validate import as_float_array, check_number, check_upstream
from .module import Module


class _Activation(Module):
    """An elementwise (or along-one-dim) activation with no parameters."""
    _forward = staticmethod(lambda x: None)
    _backward = staticmethod(lambda dout, cache: None)

    def forward(self, x):
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout):
        return self._release(type(self)._backward(dout, self._saved()))


class Sigmoid(_Activation):
    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(_Activation):
    _forward = staticmethod(F.tanh_forward)
    _backward = staticmethod(F.tanh_backward)


class ReLU(_Activation):
    _forward = staticmethod(F.relu_forward)
    _backward = staticmethod(F.relu_backward)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope")

    def forward(self, x):
        out, self._cache = F.leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout):
        return self._release(F.leaky_relu_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        out, self._cache = F.softmax_forward(x, self.dim)
        return out

    def backward(self, dout):
        return self._release(F.softmax_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input unchanged. Its backward pass needs nothing from the forward pass, so, as in PyTorch, any
    number of backward passes are fine; dout is checked against the last input's shape and dtype, if any."""

    def forward(self, x):
        arr = np.asarray(x)
        self._cache = arr.shape, (arr.dtype if np.issubdtype(arr.dtype, np.floating) else None)
        return x

    def backward(self, dout):
        if self._cache is None:
            return as_float_array(dout, "dout")
        shape, dtype = self._cache
        return check_upstream(dout, "dout", shape, dtype)


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "identity": Identity}
