r"""Chapter 07: text from a language model, one token at a time, with a temperature.

A language model gives, after each prefix, logits :math:`z` over the vocabulary. Sampling divides them by a
temperature :math:`\tau` before the softmax, :math:`p_i = e^{z_i/\tau} / \sum_j e^{z_j/\tau}`: :math:`\tau = 1` samples
the model's own distribution, :math:`\tau < 1` sharpens it towards the likeliest token (safe, repetitive text),
:math:`\tau > 1` flattens it towards uniform (varied, then garbled text), and :math:`\tau \to 0` is greedy decoding,
always the argmax (taken here as exactly :math:`\tau = 0`).

    probs = softmax_with_temperature(logits, 0.8)                  # (..., V)
    token = sample(logits, 0.8, rng)                               # one id per row of logits
    ids = generate(next_logits, prompt_ids, 200, 0.8, rng)         # prompt + 200 new ids

``next_logits(ids)`` is any function from the ids so far, shape (t,), to the next token's logits, shape (V,).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._types import Seed
from ._validate import as_float_array, check_number, check_positive_int, check_rng


def _logits(logits: ArrayLike) -> np.ndarray:
    z = as_float_array(logits, "logits")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"logits: expected an array whose last axis holds at least one token, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("logits: expected finite values, got NaN or infinity")
    return z


def softmax_with_temperature(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """The probabilities of the next token, softmax(logits / temperature) over the last axis; temperature 0 puts
    all the probability on the argmax (the first one, if tied). Shape: that of ``logits``, (..., V)."""
    z = _logits(logits)
    temperature = check_number(temperature, "temperature", minimum=0.0)
    if temperature == 0.0:
        return np.eye(z.shape[-1])[np.argmax(z, axis=-1)]
    scaled = z / temperature
    e = np.exp(scaled - scaled.max(axis=-1, keepdims=True))  # shifted: no overflow, same ratios
    return e / e.sum(axis=-1, keepdims=True)


def sample(logits: ArrayLike, temperature: float = 1.0, rng: Seed = None) -> int | np.ndarray:
    """Draw a token id from softmax(logits / temperature): an int for logits of shape (V,), else an int64 array
    of the leading shape (one draw per row)."""
    probs = softmax_with_temperature(logits, temperature)
    rng = check_rng(rng, needed_for="sampling")
    flat = probs.reshape(-1, probs.shape[-1])
    cumulative = np.cumsum(flat, axis=1)
    u = rng.random((flat.shape[0], 1)) * cumulative[:, -1:]  # inverse CDF, robust to sums of 1 - eps
    ids = np.minimum((cumulative <= u).sum(axis=1), flat.shape[1] - 1)
    return int(ids[0]) if probs.ndim == 1 else ids.reshape(probs.shape[:-1]).astype(np.int64)


def generate(
    next_logits: Callable[[np.ndarray], ArrayLike],
    prompt: ArrayLike,
    length: int,
    temperature: float = 1.0,
    rng: Seed = None,
) -> np.ndarray:
    """``prompt`` followed by ``length`` tokens, each drawn from ``next_logits(ids so far)`` at ``temperature``.

    Parameters
    ----------
    next_logits : ids (t,) -> logits (V,) of the token after them
    prompt : (t0,) ids, t0 >= 1
    length : how many tokens to add

    Returns
    -------
    (t0 + length,) int64 ids
    """
    if not callable(next_logits):
        raise ValueError(f"next_logits: expected a function ids -> logits, got {type(next_logits).__name__}")
    ids = np.asarray(prompt)
    if ids.ndim != 1 or ids.size == 0 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"prompt: expected a non-empty 1-D array of token ids, got {ids.dtype} of shape {ids.shape}")
    length = check_positive_int(length, "length")
    rng = check_rng(rng, needed_for="sampling")
    out = list(ids.astype(np.int64))
    for _ in range(length):
        logits = np.asarray(next_logits(np.array(out, dtype=np.int64)))
        if logits.ndim != 1:
            raise ValueError(f"next_logits: expected it to return logits of shape (V,), got shape {logits.shape}")
        out.append(sample(logits, temperature, rng))
    return np.array(out, dtype=np.int64)
