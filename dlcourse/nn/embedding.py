"""Chapter 07: the embedding table, ``torch.nn.Embedding``: integer tokens in, one learned vector per token out.

``Embedding(num_embeddings, embedding_dim)`` holds ``weight`` (num_embeddings, embedding_dim), drawn, as in
PyTorch, from the standard normal distribution. The forward pass looks rows up, ``weight[input]``; the backward pass
adds each output position's gradient into the row it came from (a token that appears k times gets the sum of k
gradients, ``np.add.at``: a scatter-add, since plain ``grad[idx] += dout`` would keep only one of repeated indices).
With ``padding_idx`` that row starts at zero and never gets a gradient, so padding stays a zero vector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed
from .._validate import check_int, check_positive_int, check_rng, check_upstream
from .module import Module


def _check_indices(value: ArrayLike, num_embeddings: int) -> np.ndarray:
    """Integer token indices in [0, num_embeddings), or a ValueError naming ``input``."""
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"input: expected an array of integer indices, got {type(value).__name__} ({exc})") from None
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"input: expected integer indices (token ids, as PyTorch's LongTensor), got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_embeddings):
        raise ValueError(
            f"input: expected indices from 0 to {num_embeddings - 1} (num_embeddings={num_embeddings}), "
            f"got min {arr.min()} and max {arr.max()}"
        )
    return arr.astype(np.int64, copy=False)


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim`` (``torch.nn.Embedding``).

    Shapes: input (*) integer indices -> output (*, embedding_dim). ``backward(dout)`` adds into
    ``grads['weight']`` and returns None: the indices have no gradient.

    Parameters
    ----------
    num_embeddings : the vocabulary's size
    embedding_dim : the size of each vector
    padding_idx : None, or the index (negative counts from the end, as in PyTorch) of a padding token whose row
        starts at zero and gets no gradient
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            padding_idx = check_int(padding_idx, "padding_idx", minimum=-num_embeddings, maximum=num_embeddings - 1)
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0.0
        self._add_param("weight", weight)

    def forward(self, input: ArrayLike) -> np.ndarray:  # noqa: A002 - torch's argument name
        idx = _check_indices(input, self.num_embeddings)
        self._cache = idx
        return self.params["weight"][idx]  # (*, embedding_dim): one row per index

    def backward(self, dout: ArrayLike) -> None:
        idx = self._saved()
        weight = self.params["weight"]
        dout = check_upstream(dout, "dout", idx.shape + (self.embedding_dim,), weight.dtype)
        dweight = np.zeros_like(weight)
        np.add.at(dweight, idx.reshape(-1), dout.reshape(-1, self.embedding_dim))  # repeated indices add up
        if self.padding_idx is not None:
            dweight[self.padding_idx] = 0.0  # the padding row learns nothing
        self.grads["weight"] += dweight
        return self._release(None)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
