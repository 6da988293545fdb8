r"""Chapter 16: the embedding lookup as a kernel pair, ``torch.nn.functional.embedding``.

A one-hot row times the table selects a row, :math:`\mathrm{onehot}(i)\,W = W_i`, so the lookup is ``weight[input]``
and its backward pass is that of a matrix product, :math:`\partial L/\partial W = \mathrm{onehot}^\top\,\delta`:
each position's upstream gradient is added into the row it came from, and a token that occurs k times gets the sum
of k gradients (a scatter-add, ``np.add.at``; ``grad[idx] += dout`` would keep one of repeated indices only).

    out, cache = embedding_forward(input, weight)     # input (*) ints, weight (V, D) -> out (*, D)
    dweight = embedding_backward(dout, cache)          # dout (*, D) -> (V, D)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_upstream


class EmbeddingCache(NamedTuple):
    indices: np.ndarray  # (*) int64
    num_embeddings: int
    dtype: np.dtype


def _indices(value: ArrayLike, num_embeddings: int) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"input: expected integer indices, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_embeddings):
        raise ValueError(
            f"input: expected indices from 0 to {num_embeddings - 1}, got min {arr.min()} and max {arr.max()}"
        )
    return arr.astype(np.int64, copy=False)


def embedding_forward(input: ArrayLike, weight: ArrayLike) -> tuple[np.ndarray, EmbeddingCache]:  # noqa: A002
    """Rows of ``weight`` (V, D) picked by ``input`` (*) integer ids: out (*, D), and the cache."""
    weight = as_float_array(weight, "weight", ndim=2)
    idx = _indices(input, weight.shape[0])
    return weight[idx], EmbeddingCache(idx, weight.shape[0], weight.dtype)


def embedding_backward(dout: ArrayLike, cache: EmbeddingCache) -> np.ndarray:
    """The table's gradient (V, D) for the upstream gradient ``dout`` (*, D): scatter-add by index."""
    D = np.shape(dout)[-1] if np.ndim(dout) else 0
    dout = check_upstream(dout, "dout", cache.indices.shape + (D,), cache.dtype)
    dweight = np.zeros((cache.num_embeddings, D), dtype=dout.dtype)
    np.add.at(dweight, cache.indices.reshape(-1), dout.reshape(-1, D))  # (V, D): repeated indices add up
    return dweight


def embedding(input: ArrayLike, weight: ArrayLike) -> np.ndarray:  # noqa: A002 - torch's argument name
    """``weight[input]``: (*) ids -> (*, D)."""
    return embedding_forward(input, weight)[0]
