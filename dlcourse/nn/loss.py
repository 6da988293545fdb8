"""Chapter 02: loss layers (``torch.nn.MSELoss``, ``CrossEntropyLoss``, ``BCEWithLogitsLoss``) over
:mod:`dlcourse.functional`.

``loss = loss_fn(input, target)`` computes the loss (a scalar with ``reduction='mean'``
or ``'sum'``, one value per element with ``'none'``) and keeps what the backward pass needs;
``loss_fn.backward(dloss)`` returns dL/dinput, input's shape. ``dloss`` is 1.0 when this loss is the quantity
being minimised (None means 1.0 too, for a scalar loss), an array of the loss's shape with ``reduction='none'``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import functional as F
from .._types import Reduction
from .module import Module


class _Loss(Module):
    """A loss: no parameters, one ``reduction`` ('mean', 'sum' or 'none')."""

    def __init__(self, reduction: Reduction = "mean") -> None:
        super().__init__()
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error between ``input`` and ``target`` of the same shape, like ``torch.nn.MSELoss``."""

    def forward(self, input: ArrayLike, target: ArrayLike) -> np.floating | np.ndarray:
        loss, self._cache = F.mse_loss_forward(input, target, self.reduction)
        return loss

    def backward(self, dloss: ArrayLike | None = 1.0) -> np.ndarray:
        return self._release(F.mse_loss_backward(dloss, self._saved()))


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits (N, C) and class indices (N,), like ``torch.nn.CrossEntropyLoss``."""

    def forward(self, input: ArrayLike, target: ArrayLike) -> np.floating | np.ndarray:
        loss, self._cache = F.cross_entropy_forward(input, target, self.reduction)
        return loss

    def backward(self, dloss: ArrayLike | None = 1.0) -> np.ndarray:
        return self._release(F.cross_entropy_backward(dloss, self._saved()))


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy on logits and targets in [0, 1] of the same shape, like
    ``torch.nn.BCEWithLogitsLoss``."""

    def forward(self, input: ArrayLike, target: ArrayLike) -> np.floating | np.ndarray:
        loss, self._cache = F.binary_cross_entropy_with_logits_forward(input, target, self.reduction)
        return loss

    def backward(self, dloss: ArrayLike | None = 1.0) -> np.ndarray:
        return self._release(F.binary_cross_entropy_with_logits_backward(dloss, self._saved()))
