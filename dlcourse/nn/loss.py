"""Loss layers (``torch.nn.MSELoss``, ``CrossEntropyLoss``, ``BCEWithLogitsLoss``) over :mod:`dlcourse.functional`."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class _Loss(Module):
    _forward = staticmethod(lambda input, target, reduction: None)
    _backward = staticmethod(lambda dloss, cache: None)

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        loss, self._cache = type(self)._forward(input, target, self.reduction)
        return loss

    def backward(self, dloss=1.0):
        """dL/dinput; ``dloss`` is 1.0 when this loss is the quantity being minimised (None means 1.0 too, for a
        scalar loss), an array of the loss's shape with ``reduction='none'``."""
        return self._release(type(self)._backward(dloss, self._saved()))


class MSELoss(_Loss):
    _forward = staticmethod(F.mse_loss_forward)
    _backward = staticmethod(F.mse_loss_backward)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits (N, C) and class indices (N,), like ``torch.nn.CrossEntropyLoss``."""
    _forward = staticmethod(F.cross_entropy_forward)
    _backward = staticmethod(F.cross_entropy_backward)


class BCEWithLogitsLoss(_Loss):
    _forward = staticmethod(F.binary_cross_entropy_with_logits_forward)
    _backward = staticmethod(F.binary_cross_entropy_with_logits_backward)
