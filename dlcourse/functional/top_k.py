r"""Chapter 16: the next token's distribution with a temperature and top-k filtering (Fan, Lewis & Dauphin, 2018).

Keep the k largest logits, set the others to :math:`-\infty`, divide by the temperature :math:`\tau` and take the
softmax: :math:`p_i = e^{z_i/\tau} / \sum_{j \in \text{top-}k} e^{z_j/\tau}` for the k likeliest tokens, 0 for the
rest. Ties at the k-th value keep the tokens with the smaller ids (a stable sort), as ``torch.topk`` does on CPU.
``k = None`` (or k >= V) keeps every token; temperature 0 puts all the probability on the argmax.

    probs = top_k_probs(logits, k=10, temperature=0.8)     # logits (..., V) -> probs (..., V)
    token = sample_top_k(logits, 10, 0.8, rng)             # an id per row
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_number, check_positive_int, check_rng


def top_k_probs(logits: ArrayLike, k: int | None = None, temperature: float = 1.0) -> np.ndarray:
    """softmax(top-k-filtered logits / temperature) over the last axis; shape that of ``logits`` (..., V)."""
    z = as_float_array(logits, "logits")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"logits: expected an array whose last axis holds at least one token, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("logits: expected finite values, got NaN or infinity")
    temperature = check_number(temperature, "temperature", minimum=0.0)
    V = z.shape[-1]
    k = V if k is None else min(check_positive_int(k, "k"), V)
    order = np.argsort(-z, axis=-1, kind="stable")  # (..., V): largest first, ties by smaller id
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)
    if temperature == 0.0:
        return np.eye(V)[order[..., 0]]
    scaled = np.where(keep, z / temperature, -np.inf)
    e = np.exp(scaled - scaled.max(axis=-1, keepdims=True))  # 0 outside the top k
    return e / e.sum(axis=-1, keepdims=True)


def sample_top_k(
    logits: ArrayLike, k: int | None = None, temperature: float = 1.0, rng: Seed = None
) -> int | np.ndarray:
    """Draw a token id from :func:`top_k_probs`: an int for logits (V,), else an int64 array of the leading shape."""
    probs = top_k_probs(logits, k, temperature)
    rng = check_rng(rng, needed_for="sampling")
    flat = probs.reshape(-1, probs.shape[-1])
    cumulative = np.cumsum(flat, axis=1)
    u = rng.random((flat.shape[0], 1)) * cumulative[:, -1:]
    ids = np.minimum((cumulative <= u).sum(axis=1), flat.shape[1] - 1)
    return int(ids[0]) if probs.ndim == 1 else ids.reshape(probs.shape[:-1]).astype(np.int64)
