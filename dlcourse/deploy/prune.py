"""Chapter 13: magnitude pruning, unstructured and structured, as masks.

Pruning sets weights to zero and keeps them there. **Unstructured** pruning zeroes the ``round(amount * n)``
weights of smallest magnitude anywhere in the tensor (``torch.nn.utils.prune.l1_unstructured``); **structured**
pruning zeroes whole slices, e.g. the output channels of a convolution with the smallest L_n norm
(``torch.nn.utils.prune.ln_structured``), which a smaller dense layer can then replace.

    mask = l1_unstructured_mask(w, amount=0.5)           # 0/1, same shape as w
    mask = ln_structured_mask(w, amount=0.25, n=1, dim=0)
    pruned = prune_state_dict(model.state_dict(), amount=0.5)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_fraction, check_positive_number, wrap_dim


def _to_prune(amount: float, size: int) -> int:
    """How many of ``size`` entries a fraction ``amount`` prunes: ``round(amount * size)`` (half to even, as
    torch's ``_compute_nparams_toprune``)."""
    return int(round(check_fraction(amount, "amount", closed=True) * size))


def _keep_largest(importance: np.ndarray, keep: int) -> np.ndarray:
    """A 0/1 mask keeping the ``keep`` largest entries of a 1-d ``importance``."""
    mask = np.zeros(importance.shape, dtype=np.float32)
    if keep > 0:
        order = np.argsort(-importance, kind="stable")
        mask[order[:keep]] = 1
    return mask


def l1_unstructured_mask(weight: ArrayLike, amount: float) -> np.ndarray:
    """0/1 mask (float32, the shape of ``weight``) zeroing the ``round(amount * weight.size)`` entries of
    smallest absolute value. Ties at the threshold are broken by position (torch does not promise an order)."""
    w = as_float_array(weight, "weight")
    k = _to_prune(amount, w.size)
    return _keep_largest(np.abs(w).reshape(-1), w.size - k).reshape(w.shape)


def channel_norms(weight: ArrayLike, n: float = 1, dim: int = 0) -> np.ndarray:
    """The L_n norm of every slice of ``weight`` along ``dim`` (shape ``(weight.shape[dim],)``)."""
    w = as_float_array(weight, "weight")
    dim = wrap_dim(dim, w.shape)
    flat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
    if n == np.inf:
        return np.abs(flat).max(axis=1)
    n = check_positive_number(n, "n")
    return (np.abs(flat) ** n).sum(axis=1) ** (1 / n)


def ln_structured_mask(weight: ArrayLike, amount: float, n: float = 1, dim: int = 0) -> np.ndarray:
    """0/1 mask zeroing the ``round(amount * weight.shape[dim])`` slices along ``dim`` of smallest L_n norm."""
    w = as_float_array(weight, "weight")
    dim = wrap_dim(dim, w.shape)
    norms = channel_norms(w, n, dim)
    k = _to_prune(amount, len(norms))
    keep = _keep_largest(norms, len(norms) - k)
    shape = [1] * w.ndim
    shape[dim] = -1
    return np.broadcast_to(keep.reshape(shape), w.shape).astype(np.float32)


def prune_state_dict(
    state_dict: dict[str, np.ndarray], amount: float, structured: bool = False, n: float = 1
) -> dict[str, np.ndarray]:
    """Every ``weight`` of a state dict multiplied by its mask (unstructured, or structured over output channels,
    dim 0); other tensors copied."""
    out = {}
    for name, value in state_dict.items():
        value = np.asarray(value)
        if name.endswith("weight"):
            mask = ln_structured_mask(value, amount, n, 0) if structured else l1_unstructured_mask(value, amount)
            out[name] = (value * mask).astype(value.dtype)
        else:
            out[name] = value.copy()
    return out


def sparsity(state_dict: dict[str, np.ndarray]) -> float:
    """The fraction of exact zeros among the weights (tensors named ``...weight``)."""
    weights = [np.asarray(v) for k, v in state_dict.items() if k.endswith("weight")]
    return float(sum(int(np.sum(w == 0)) for w in weights) / sum(w.size for w in weights))


def sparse_nbytes(state_dict: dict[str, np.ndarray]) -> int:
    """Bytes to store a state dict with its weights sparse: 4 bytes a nonzero weight (float32) plus a bitmask of
    one bit an entry (rounded up to bytes); other tensors dense float32."""
    total = 0
    for name, value in state_dict.items():
        value = np.asarray(value)
        if name.endswith("weight"):
            total += 4 * int(np.count_nonzero(value)) + (value.size + 7) // 8
        else:
            total += 4 * value.size
    return total
