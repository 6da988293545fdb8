"""Chapter 09: ``nn.Upsample`` with ``mode="nearest"`` and whole-number scale factors, as ``torch.nn.Upsample``."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .._types import Size2
from .._validate import check_choice
from ..functional import upsampling
from ..functional.sizes import pair
from .module import Module


class Upsample(Module):
    """Nearest-neighbour upsampling: (N, C, H, W) -> (N, C, sh·H, sw·W), every pixel copied into an sh x sw block.

    Only whole-number ``scale_factor`` values (an int or a pair) and ``mode="nearest"``, the mode Keras's
    ``UpSampling2D`` uses by default.
    """

    def __init__(self, scale_factor: Size2 = 2, mode: Literal["nearest"] = "nearest") -> None:
        super().__init__()
        self.scale_factor = pair(scale_factor, "scale_factor", minimum=1)
        self.mode = check_choice(mode, "mode", ("nearest",))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = upsampling.upsample_nearest2d_forward(x, self.scale_factor)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """Each input pixel gets the sum of its block's gradients. Only shapes were saved, so, as in PyTorch, a
        second backward pass after one forward pass is fine."""
        return upsampling.upsample_nearest2d_backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}"
