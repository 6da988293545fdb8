"""Chapter 01: activation layers (``torch.nn.Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``Softmax``, ``Identity``).

Chapter 01 introduces them (the forward pass), chapter 02 their backward pass. Each forward calls the kernel of
:mod:`dlcourse.functional` and keeps its cache; each backward hands that cache to the kernel's backward. None has
parameters. Shapes: any input shape -> the same shape.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import functional as F
from .._validate import as_float_array, check_number, check_upstream
from .module import Module


class Sigmoid(Module):
    """``torch.nn.Sigmoid``: 1 / (1 + exp(-x)), elementwise."""

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.sigmoid_forward(x)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.sigmoid_backward(dout, self._saved()))


class Tanh(Module):
    """``torch.nn.Tanh``: tanh(x), elementwise."""

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.tanh_forward(x)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.tanh_backward(dout, self._saved()))


class ReLU(Module):
    """``torch.nn.ReLU``: max(x, 0), elementwise."""

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.relu_forward(x)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.relu_backward(dout, self._saved()))


class LeakyReLU(Module):
    """``torch.nn.LeakyReLU``: x where x > 0, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number(negative_slope, "negative_slope")

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.leaky_relu_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """``torch.nn.Softmax``: exp(x) normalised to sum 1 along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.softmax_forward(x, self.dim)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.softmax_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input unchanged. Its backward pass needs nothing from the forward pass, so, as in PyTorch, any
    number of backward passes are fine; dout is checked against the last input's shape and dtype, if any."""

    def forward(self, x: ArrayLike) -> ArrayLike:
        arr = np.asarray(x)
        self._cache = arr.shape, (arr.dtype if np.issubdtype(arr.dtype, np.floating) else None)
        return x

    def backward(self, dout: ArrayLike) -> np.ndarray:
        if self._cache is None:
            return as_float_array(dout, "dout")
        shape, dtype = self._cache
        return check_upstream(dout, "dout", shape, dtype)


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "identity": Identity}


class GELU(Module):
    """The GELU activation as a layer (``torch.nn.GELU()``, exact form). Shapes: input (*) -> output (*)."""

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.gelu_forward(x)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F.gelu_backward(dout, self._saved()))
