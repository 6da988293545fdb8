"""Chapter 03: mini-batches, shuffled once per epoch with an explicit generator, then sliced."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import check_positive_int, check_rng


def iterate_minibatches(
    X: ArrayLike, y: ArrayLike, batch_size: int, *, shuffle: bool = True, rng: Seed = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X[idx], y[idx])`` batches covering every example once; the last batch may be smaller.

    Parameters
    ----------
    X : (N, *) inputs;  y : (N, *) targets
    batch_size : examples per batch
    shuffle : draw a new order from ``rng`` (required when shuffling) for this pass
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"y: expected {len(X)} targets to match X of shape {X.shape}, got shape {y.shape}")
    batch_size = check_positive_int(batch_size, "batch_size")
    if shuffle:
        order = check_rng(rng, needed_for="shuffling").permutation(len(X))
    else:
        order = np.arange(len(X))
    return _batches(X, y, order, batch_size)  # the checks above run at the call, not at the first batch


def _batches(X, y, order, batch_size):
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
