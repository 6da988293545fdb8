"""Chapter 01: the fully connected layer, ``torch.nn.Linear`` (chapter 02 adds its backward pass)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .. import functional as F
from .._types import Seed
from .._validate import check_positive_int, check_rng
from .module import Module


class Linear(Module):
    r"""Fully connected layer :math:`y = x W^\top + b` (``torch.nn.Linear``).

    Parameters ``weight`` (out_features, in_features) and ``bias`` (out_features,) start, as in PyTorch, uniform
    in :math:`[-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}}]`.

    Shapes: input (*, in_features) -> output (*, out_features).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self._add_param("weight", rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        if bias:
            self._add_param("bias", rng.uniform(-bound, bound, out_features).astype(dtype))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F.linear_forward(x, self.params["weight"], self.params.get("bias"))
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = F.linear_backward(dout, self._saved())
        self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={'bias' in self.params}"
