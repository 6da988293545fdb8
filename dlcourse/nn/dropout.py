"""Chapter 08: dropout, ``torch.nn.Dropout``: random zeros in training, the identity in evaluation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import check_probability, check_rng
from ..functional import regularization as F_dropout
from .module import Module


class Dropout(Module):
    """Inverted dropout (``torch.nn.Dropout``): in training (``model.train()``, the default) each value is zeroed
    with probability ``p`` and the others divided by 1 - p; after ``model.eval()`` the input passes unchanged.

    The masks come from ``rng`` (a np.random.Generator or an int seed; a fresh generator when None).

    Shapes: input (*) -> output (*).
    """

    def __init__(self, p: float = 0.5, *, rng: Seed = None) -> None:
        super().__init__()
        self.p = check_probability(p, "p")
        self.rng = np.random.default_rng() if rng is None else check_rng(rng)

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F_dropout.dropout_forward(x, self.p, self.training, rng=self.rng)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F_dropout.dropout_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        return f"p={self.p}"
