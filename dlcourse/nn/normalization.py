"""Chapter 08: layer normalisation, ``torch.nn.LayerNorm``, over the trailing ``normalized_shape`` of its input."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._validate import check_bool, check_number
from ..functional import normalization as F_norm
from .module import Module


class LayerNorm(Module):
    r"""Layer normalisation :math:`y = \gamma \hat x + \beta` (``torch.nn.LayerNorm``): each example normalised to
    mean 0 and variance 1 over its last dimensions, then scaled and shifted.

    Parameters ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros), both of shape
    ``normalized_shape``, when ``elementwise_affine`` (and ``bias``) are True, as in PyTorch.

    Shapes: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.normalized_shape = F_norm.check_normalized_shape(normalized_shape)
        self.eps = check_number(eps, "eps", minimum=0)
        self.elementwise_affine = check_bool(elementwise_affine, "elementwise_affine")
        if self.elementwise_affine:
            self._add_param("weight", np.ones(self.normalized_shape, dtype))
            if check_bool(bias, "bias"):
                self._add_param("bias", np.zeros(self.normalized_shape, dtype))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F_norm.layer_norm_forward(
            x, self.normalized_shape, self.params.get("weight"), self.params.get("bias"), self.eps
        )
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = F_norm.layer_norm_backward(dout, self._saved())
        if "weight" in self.params:
            self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
