"""Argument checks that turn a learner's mistake into one clear sentence.

Every public kernel validates what a learner can get wrong (an array of the wrong shape, a list instead of an
array, an integer dtype, NaNs) and raises ``ValueError`` naming the argument, what was expected and what came
back, instead of a broadcasting error three frames deep.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._types import Seed

T = TypeVar("T")


def as_float_array(value: ArrayLike, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
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


def check_labels(y: ArrayLike, name: str, n: int, num_classes: int | None = None) -> np.ndarray:
    """Validate integer class labels of shape (n,), returning them as int64."""
    if y is None:
        raise ValueError(f"{name}: expected integer class labels, got None")
    try:
        arr = np.asarray(y)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: expected shape ({n},) of class indices, got {type(y).__name__} ({exc})") from None
    if arr.ndim != 1 or arr.shape[0] != n:
        hint = " (one class index per example, not one score or probability per class)" if arr.ndim == 2 else ""
        raise ValueError(f"{name}: expected shape ({n},) of class indices{hint}, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise ValueError(
                f"{name}: expected integer class indices, got non-integer values such as "
                f"{arr[bad][0]} (dtype {arr.dtype}): class indices, not probabilities"
            )
    elif not np.issubdtype(arr.dtype, np.integer) and arr.dtype != bool:
        raise ValueError(f"{name}: expected integer class indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if num_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        valid = (
            f"class indices must lie in [0, {num_classes - 1}]"
            if num_classes
            else "no class index is valid for an input with 0 classes"
        )
        raise ValueError(f"{name}: {valid}, got min {arr.min()} and max {arr.max()}")
    return arr


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def check_int(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) in [minimum, maximum], else raise a ValueError.

    ``check_int(n, "count", minimum=0)`` says "count: expected an integer >= 0, got -1"; with both bounds,
    "expected an integer from 1 to 6".
    """
    want = (
        "an integer"
        if minimum is None and maximum is None
        else f"an integer >= {minimum}"
        if maximum is None
        else f"an integer <= {maximum}"
        if minimum is None
        else f"an integer from {minimum} to {maximum}"
    )
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{name}: expected {want}, got {value!r}")
    return int(value)


def check_rng(rng: Seed, name: str = "rng", *, needed_for: str | None = None) -> np.random.Generator:
    """Return ``rng`` if it is a ``np.random.Generator``; an int seeds a new one.

    ``needed_for`` (say "shuffling") explains a missing generator: "rng: shuffling needs an explicit
    np.random.Generator (or int seed), got None". The course never draws from a hidden global generator.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(int(rng))
    if rng is None and needed_for:
        raise ValueError(f"{name}: {needed_for} needs an explicit np.random.Generator (or int seed), got None")
    raise ValueError(f"{name}: expected a np.random.Generator or an int seed, got {type(rng).__name__}")


def check_fraction(value: object, name: str, *, closed: bool = False) -> float:
    """Return ``value`` as a float if it is a fraction in [0, 1) (``closed=True``: [0, 1]), else raise a ValueError.

    For the share of a data set held out (``val_size``, ``test_size``): 1 would leave nothing to train on.
    """
    interval = "[0, 1]" if closed else "[0, 1)"
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
        or value > 1
        or (value == 1 and not closed)
    ):
        raise ValueError(f"{name}: expected a fraction in {interval}, got {value!r}")
    return float(value)


def check_probability(value: object, name: str = "p") -> float:
    """Return ``value`` as a float if it is a probability in [0, 1], else raise a ValueError naming ``name``."""
    return check_number(value, name, minimum=0, maximum=1, what="a probability")


def check_positive_number(value: object, name: str, *, what: str = "a positive number") -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (not a bool), else raise a ValueError:
    "h: expected a positive step, got 0.0" with ``what="a positive step"``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return float(value)


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is True or False (a NumPy bool too), else raise a ValueError naming ``name``.

    For switches where a truthy string such as ``"no"`` would silently mean True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def check_choice(value: T, name: str, choices: Collection[T]) -> T:
    """Return ``value`` if it is one of ``choices`` (names, usually), else raise a ValueError listing them all."""
    try:
        ok = value in choices
    except (TypeError, ValueError):  # unhashable, or an array compared element by element
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected one of {list(choices)}, got {value!r}")
    return value


def check_interval(
    value: object, name: str, *, strict: bool = False, ends: tuple[str, str] = ("min", "max")
) -> tuple[float, float]:
    """Return a pair ``(low, high)`` of finite numbers with low <= high (``strict``: low < high) as floats.

    ``ends`` names the two numbers in the message, e.g. "feature_range: expected min < max, got (1, 0)".
    """
    lo_name, hi_name = ends
    try:
        lo, hi = value
        lo, hi = check_number(lo, name), check_number(hi, name)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a pair ({lo_name}, {hi_name}) of finite numbers, got {value!r}") from None
    if lo > hi or (strict and lo == hi):
        raise ValueError(f"{name}: expected {lo_name} {'<' if strict else '<='} {hi_name}, got {value!r}")
    return lo, hi


def check_pair(value: object, name: str, check: Callable[[object, str], T], *, what: str = "a pair") -> tuple[T, T]:
    """Return ``value`` as a tuple of two items, each passed through ``check(item, f"{name}[i]")``.

    A value that is not a tuple or list of length 2 raises "betas: expected a pair (beta1, beta2) ..., got 0.9"
    (with ``what="a pair (beta1, beta2) ..."``); a bad item is named by its index, "betas[1]: expected ...".
    """
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name}: expected {what}, got {value!r}")
    return check(value[0], f"{name}[0]"), check(value[1], f"{name}[1]")


def check_number(
    value: object, name: str, *, minimum: float | None = None, maximum: float | None = None, what: str = "a number"
) -> float:
    """Return ``value`` as a float if it is a finite real number in [minimum, maximum], else raise a ValueError.

    NaN and infinity are rejected (NaN would slip past a plain ``value < minimum`` test), and so are booleans.
    """
    bounds = (
        ""
        if minimum is None and maximum is None
        else (
            f" >= {minimum}"
            if maximum is None
            else f" <= {maximum}"
            if minimum is None
            else f" in [{minimum}, {maximum}]"
        )
    )
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"{name}: expected {what}{bounds}, got {value!r}")
    return float(value)


def wrap_dim(dim: object, shape: tuple[int, ...], name: str = "dim") -> int:
    """``dim`` in [-ndim, ndim - 1] as an index in [0, ndim - 1], as PyTorch reads a dimension argument.

    A 0-d array counts as having one dimension (dims 0 and -1 are both valid for it, as in PyTorch).
    """
    n = max(len(shape), 1)
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)) or not -n <= dim < n:
        raise ValueError(
            f"{name}: expected an integer in [{-n}, {n - 1}] for an input of shape {tuple(shape)}, got {dim!r}"
        )
    return int(dim) % n


def check_upstream(
    value: ArrayLike, name: str, shape: tuple[int, ...], dtype: DTypeLike, whose: str = "the output's"
) -> np.ndarray:
    """The upstream gradient (``dout``, ``dloss``) as an array of exactly the output's shape, in its dtype.

    As ``tensor.backward(gradient)`` in PyTorch: the shape must match exactly, because a gradient of shape (N,)
    for an output of shape (N, 1) would broadcast silently into an (N, N) array and a wrong gradient. Any real
    dtype is cast to the output's dtype (without a copy when it already has it; ``dtype=None`` keeps the
    gradient's own floating dtype). ``whose`` says in the message whose shape that is.
    """
    arr = as_float_array(value, name)
    if arr.shape != tuple(shape):
        same_but_ones = [d for d in arr.shape if d != 1] == [d for d in shape if d != 1]
        hint = f" (only axes of length 1 differ: reshape it to {tuple(shape)})" if same_but_ones else ""
        raise ValueError(f"{name}: expected shape {tuple(shape)} ({whose}), got shape {arr.shape}{hint}")
    return arr if dtype is None else arr.astype(dtype, copy=False)


def check_cache(cache: object, expected: type[T], forward: str) -> T:
    """Return ``cache`` if it is what ``forward`` returns as its cache (an ``expected``), else raise a ValueError.

    Catches a cache from another kernel (say relu_forward's passed to sigmoid_backward), None, or the whole
    ``(out, cache)`` pair passed instead of the cache alone.
    """
    if isinstance(cache, expected):
        return cache
    got = "None" if cache is None else type(cache).__name__
    hint = ""
    if isinstance(cache, tuple) and len(cache) == 2 and isinstance(cache[1], expected):
        hint = f": that is the pair (out, cache); unpack it with out, cache = {forward}(...)"
    raise ValueError(f"cache: expected the cache returned by {forward} (a {expected.__name__}), got {got}{hint}")
