"""Chapter 12: occlusion (Zeiler and Fergus, 2014): hide a window of the input, see how much the target score
drops, and credit the drop to every input the window covered.

As captum's ``Occlusion`` (the reference the tests compare with; captum 0.9 returns the result rounded to float32,
here it stays float64): the window slides over each example's
dimensions with the given strides (the last window cut at the border), the hidden part is replaced by the
baseline, and each input's attribution is the average of the drops ``f(x) - f(x with the window hidden)`` over the
windows that cover it. Any function of a batch returning scores (N, C) will do, a dlcourse model included: no
gradient is needed.

    attr = occlusion(model, images, target=labels, window=(1, 4, 4), stride=(1, 2, 2))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_positive_int
from ._common import broadcast_baseline, check_batch, check_function, check_targets, scores_of


def _per_dim(value: int | tuple[int, ...], name: str, ndim: int, sizes: tuple[int, ...]) -> tuple[int, ...]:
    """An int (the same for every dimension of an example) or one positive int per dimension, at most its size."""
    values = (value,) * ndim if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not isinstance(values, (tuple, list)) or len(values) != ndim:
        raise ValueError(
            f"{name}: expected an int or {ndim} ints, one per dimension of an example {sizes}, got {value!r}"
        )
    out = tuple(check_positive_int(v, f"{name}[{i}]") for i, v in enumerate(values))
    if name == "window" and any(w > s for w, s in zip(out, sizes)):
        raise ValueError(f"window: expected at most the size of an example {sizes} in every dimension, got {out}")
    return out


def window_corners(sizes: tuple[int, ...], window: tuple[int, ...], stride: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every position of the window's first corner, as captum places them: in each dimension
    ``ceil((size - window) / stride) + 1`` starts 0, stride, 2 stride, ..., the last window cut at the border when
    the strides do not fit the size exactly, so that every input is covered."""
    starts = [range(0, math.ceil((s - w) / t) * t + 1, t) for s, w, t in zip(sizes, window, stride)]
    return list(itertools.product(*starts))


def occlusion(
    predict_fn: Callable,
    x: ArrayLike,
    target: ArrayLike,
    window: int | tuple[int, ...],
    stride: int | tuple[int, ...] = 1,
    baseline: ArrayLike | None = None,
) -> np.ndarray:
    """The average drop of the target score over the occluding windows that cover each input, (N, ...).

    Parameters
    ----------
    predict_fn : a function (or dlcourse model) from inputs (B, ...) to scores (B, C)
    x : the inputs (N, ...);  target : the class to explain, an int or one per example (N,)
    window : the window's size in each dimension of an example (captum's ``sliding_window_shapes``), e.g.
        (1, 3, 3) for a 3×3 patch of one channel of (C, H, W) images; an int for every dimension
    stride : the window's step in each dimension (captum's ``strides``)
    baseline : what hides the window: None (zeros), a number, or an array broadcastable to x

    The windows start at 0, stride, 2 stride, ... in each dimension until one reaches the border (cut there if the
    strides do not fit), so every input is covered; the stride may not exceed the window (as in captum).
    """
    check_function(predict_fn, "predict_fn")
    x = check_batch(x)
    sizes = x.shape[1:]
    window = _per_dim(window, "window", len(sizes), sizes)
    stride = _per_dim(stride, "stride", len(sizes), sizes)
    if any(t > w and w < s for t, w, s in zip(stride, window, sizes)):
        raise ValueError(
            f"stride: expected at most the window {window} in every dimension the window does not cover whole "
            f"(captum's rule: no input is skipped), got {stride}"
        )
    baseline = broadcast_baseline(baseline, x)
    full = scores_of(predict_fn, x, "predict_fn")
    target = check_targets(target, x.shape[0], full.shape[1])
    corners = window_corners(sizes, window, stride)
    rows = np.arange(x.shape[0])
    total = np.zeros_like(x)
    counts = np.zeros(sizes)
    for corner in corners:
        where = tuple(slice(c, c + w) for c, w in zip(corner, window))  # cut at the border
        hidden = x.copy()
        hidden[(slice(None), *where)] = baseline[(slice(None), *where)]
        drop = full[rows, target] - scores_of(predict_fn, hidden, "predict_fn")[rows, target]
        total[(slice(None), *where)] += drop.reshape(-1, *([1] * len(sizes)))
        counts[where] += 1
    return total / counts
