"""Activation layers (``torch.nn.Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Softmax``, ``Identity``)."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class _Activation(Module):
    """An elementwise (or along-one-dim) activation with no parameters."""
    _forward = staticmethod(lambda x: None)
    _backward = staticmethod(lambda dout, cache: None)

    def __init__(self):
        super().__init__()
        self._cache = None

    def forward(self, x):
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout):
        return type(self)._backward(dout, self._cache)


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
        self.negative_slope = float(negative_slope)
        self._cache = None

    def forward(self, x):
        out, self._cache = F.leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout):
        return F.leaky_relu_backward(dout, self._cache)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim
        self._cache = None

    def forward(self, x):
        out, self._cache = F.softmax_forward(x, self.dim)
        return out

    def backward(self, dout):
        return F.softmax_backward(dout, self._cache)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "identity": Identity}
