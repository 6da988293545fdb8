"""Chapter 02: layers and losses written with :class:`~dlcourse.autograd.Tensor` operations, named like
``torch.nn.functional``.

Nothing here has a backward pass of its own: each function only composes the engine's operations, and
``backward()`` differentiates the composition.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_labels
from .engine import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias``: x (*, in_features), weight (out_features, in_features), bias (out_features,)."""
    out = x @ weight.T  # (*, out)
    return out + bias if bias is not None else out


def mse_loss(input: Tensor, target: Tensor | ArrayLike) -> Tensor:
    """Mean over all elements of (input - target)^2, like ``torch.nn.functional.mse_loss``."""
    target = input._lift(target.data if isinstance(target, Tensor) else target)
    if target.shape != input.shape:
        raise ValueError(f"target: expected the same shape as input {input.shape}, got {target.shape}")
    return ((input - target) ** 2).mean()


def cross_entropy(input: Tensor, target: Tensor | ArrayLike) -> Tensor:
    r"""Mean softmax cross-entropy :math:`-\frac{1}{N}\sum_n \log\mathrm{softmax}(z_n)_{y_n}`.

    Parameters
    ----------
    input : logits, Tensor of shape (N, C)
    target : class indices, integer array of shape (N,)

    Returns
    -------
    loss : scalar Tensor
    """
    if input.ndim != 2:
        raise ValueError(f"input: expected logits of shape (N, C), got shape {input.shape}")
    n, c = input.shape
    target = check_labels(target.data if isinstance(target, Tensor) else target, "target", n, c)
    log_probs = input.log_softmax(dim=1)  # (N, C)
    return -log_probs[np.arange(n), target].mean()  # pick each row's true class, average over the batch
