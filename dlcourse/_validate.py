"""Argument checks that turn a learner's mistake into one clear sentence.

Every public kernel validates what a learner can get wrong (an array of the wrong shape, a list instead of an
array, an integer dtype, NaNs) and raises ``ValueError`` naming the argument, what was expected and what came
back, instead of a broadcasting error three frames deep.
"""
from __future__ import annotations

import numpy as np


def as_float_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a floating-point ndarray, or raise a ValueError naming ``name``.

    Integer and boolean inputs are converted to float64 (like ``torch.as_tensor(x, dtype=torch.float64)``);
    float32 and float64 inputs keep their dtype.
    """
    if value is None:
        raise ValueError(f"{name}: expected an array, got None")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: expected an array of numbers, got {type(value).__name__} ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name}: expected an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape} ({arr.ndim}-D)")
    return arr


def check_last_dim(arr: np.ndarray, size: int, name: str, meaning: str) -> None:
    """Raise a ValueError unless ``arr.shape[-1] == size`` (``meaning`` says what the size stands for)."""
    if arr.shape[-1] != size:
        raise ValueError(f"{name}: expected last dimension {size} ({meaning}), got shape {arr.shape}")


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise a ValueError if ``arr`` holds NaN or infinity, naming the first bad index."""
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}: expected finite values, found {arr[idx]} at index {idx}")


def check_labels(y, name: str, n: int, num_classes: int | None = None) -> np.ndarray:
    """Validate integer class labels of shape (n,), returning them as int64."""
    if y is None:
        raise ValueError(f"{name}: expected integer class labels, got None")
    try:
        arr = np.asarray(y)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: expected shape ({n},) of class indices, got {type(y).__name__} ({exc})") from None
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name}: expected shape ({n},) of class indices, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name}: expected integer class indices, got non-integer values (dtype {arr.dtype})")
    elif not np.issubdtype(arr.dtype, np.integer) and arr.dtype != bool:
        raise ValueError(f"{name}: expected integer class indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if num_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f"{name}: class indices must lie in [0, {num_classes - 1}], got min {arr.min()} "
                         f"and max {arr.max()}")
    return arr


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``np.random.Generator``; an int seeds a new one."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"{name}: expected a np.random.Generator or an int seed, got {type(rng).__name__}")
