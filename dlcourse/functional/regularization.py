r"""Chapter 08: regularisation by dropout, as ``torch.nn.functional.dropout`` computes it (inverted dropout).

In training, every value is kept with probability :math:`1 - p` and set to zero otherwise, and the kept values
are divided by :math:`1 - p`, so that the expected output equals the input:

.. math:: y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \mathrm{Bernoulli}(1 - p).

In evaluation (``training=False``), or with :math:`p = 0`, dropout is the identity; :math:`p = 1` drops everything.
The mask comes from an explicit ``np.random.Generator``: the same seed gives the same mask. The backward pass
multiplies the upstream gradient by the same mask and factor.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_bool, check_cache, check_probability, check_rng, check_upstream


class DropoutCache(NamedTuple):
    """What :func:`dropout_backward` needs from :func:`dropout_forward`."""

    keep: np.ndarray | None  # (*): the mask divided by (1 - p), in the input's dtype; None for the identity
    shape: tuple[int, ...]  # the input's shape
    dtype: np.dtype  # the input's dtype


def dropout(input: ArrayLike, p: float = 0.5, training: bool = True, *, rng: Seed = None) -> np.ndarray:
    """Inverted dropout (``torch.nn.functional.dropout``): :func:`dropout_forward` without the cache."""
    return dropout_forward(input, p, training, rng=rng)[0]


def dropout_forward(
    input: ArrayLike, p: float = 0.5, training: bool = True, *, rng: Seed = None
) -> tuple[np.ndarray, DropoutCache]:
    """Inverted dropout; returns ``(out, cache)``.

    Parameters
    ----------
    input : any shape (*)
    p : probability of dropping a value, in [0, 1]
    training : False (evaluation) makes dropout the identity
    rng : np.random.Generator (or int seed) for the mask, needed when training with p > 0

    Returns
    -------
    out : (*), the input's shape and dtype
    cache : :class:`DropoutCache` for :func:`dropout_backward` (it keeps the mask)
    """
    x = as_float_array(input, "input")
    p = check_probability(p, "p")
    training = check_bool(training, "training")
    if not training or p == 0:
        return x.copy(), DropoutCache(None, x.shape, x.dtype)
    rng = check_rng(rng, needed_for="dropout in training with p > 0 (the mask)")
    if p == 1:
        keep = np.zeros(x.shape, x.dtype)  # everything dropped (and no division by 0)
    else:
        keep = ((rng.random(x.shape) >= p) / (1.0 - p)).astype(x.dtype)  # (*): 0 or 1 / (1 - p)
    return x * keep, DropoutCache(keep, x.shape, x.dtype)


def dropout_backward(dout: ArrayLike, cache: DropoutCache) -> np.ndarray:
    r"""Gradient of :func:`dropout_forward`: :math:`\partial L/\partial x = m \odot \delta / (1 - p)`, the same mask.

    Returns
    -------
    dinput : (*), the input's shape
    """
    keep, shape, dtype = check_cache(cache, DropoutCache, "dropout_forward")
    dout = check_upstream(dout, "dout", shape, dtype)
    return dout.copy() if keep is None else dout * keep
