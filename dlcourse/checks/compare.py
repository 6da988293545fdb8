"""Comparing a result with its reference and explaining the difference in one message."""
from __future__ import annotations

import numpy as np

from . import tolerances as tol


def rel_error(got, expected, floor: float = tol.FLOOR) -> np.ndarray:
    """Elementwise relative error ``|got - expected| / max(|got| + |expected|, floor)`` (cs231n's rel_error)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return np.abs(got - expected) / np.maximum(np.abs(got) + np.abs(expected), floor)


def matches(got, expected, rtol: float = tol.MISTAKE_RTOL) -> bool:
    """True when ``got`` is a finite array of ``expected``'s shape, within ``rtol`` (relative error) of it.

    Checks use it to recognise a known mistake: a wrong answer that equals what the mistake would produce.
    """
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=np.float64)
    return (got.shape == expected.shape and bool(np.all(np.isfinite(got)))
            and float(np.max(rel_error(got, expected), initial=0.0)) < rtol)


def _fmt_index(idx: tuple) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else "(scalar)"


def describe_mismatch(got, expected, *, what: str = "output", rtol: float = tol.REFERENCE_RTOL,
                      expect_dtype: str = "float", floor: float = tol.FLOOR) -> tuple[str | None, float]:
    """Compare ``got`` with ``expected``; return (problem or None, worst relative error).

    Checks, in order: None, not array-like, shape, dtype kind, NaN/inf, values. ``expect_dtype`` is 'float'
    (any floating dtype), 'float64', 'float32' or 'int'. ``floor`` is the relative error's denominator floor.
    """
    expected = np.asarray(expected)
    if got is None:
        return (f"{what} is None. Expected an array of shape {expected.shape}. "
                "Hint: did the function end without `return`?"), np.inf
    if isinstance(got, tuple) and expected.ndim > 0:
        return (f"{what} is a tuple of {len(got)} items, expected one array of shape {expected.shape}. "
                "Hint: return only the array."), np.inf
    try:
        got_arr = np.asarray(got)
    except Exception:
        return f"{what} is a {type(got).__name__}, expected an array of shape {expected.shape}.", np.inf
    if got_arr.dtype == object:
        return f"{what} is not an array of numbers (got {type(got).__name__}).", np.inf
    if got_arr.shape != expected.shape:
        hint = ""
        if got_arr.shape == expected.shape[::-1] and got_arr.ndim == 2:
            hint = " Hint: it looks transposed."
        elif got_arr.size == expected.size:
            hint = " Hint: same number of elements in another layout; check the reshape or the axis."
        elif got_arr.ndim == expected.ndim - 1 or got_arr.ndim == expected.ndim + 1:
            hint = " Hint: a reduction may be missing keepdims=True, or sum over the wrong axis."
        return f"{what} has shape {got_arr.shape}, expected {expected.shape}.{hint}", np.inf
    kind_ok = {
        "float": np.issubdtype(got_arr.dtype, np.floating),
        "float64": got_arr.dtype == np.float64,
        "float32": got_arr.dtype == np.float32,
        "int": np.issubdtype(got_arr.dtype, np.integer),
    }[expect_dtype]
    if not kind_ok:
        hint = (" Hint: integer arrays truncate; build results from float arrays." if expect_dtype.startswith("float")
                else "")
        return f"{what} has dtype {got_arr.dtype}, expected {expect_dtype}.{hint}", np.inf
    if got_arr.dtype.kind == "f":
        bad = ~np.isfinite(got_arr) & np.isfinite(expected)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            hint = ("exp() of a large number overflows; rewrite the formula so the exponent is never large and "
                    "positive." if np.isinf(got_arr[idx]) else
                    "NaN comes from 0/0, inf - inf or inf * 0 (often after an overflow), or log of a negative number.")
            return (f"{what} contains {got_arr[idx]} at index {_fmt_index(idx)} (expected {expected[idx]:.6g}). "
                    f"Hint: {hint}"), np.inf
    if expected.size == 0:
        return None, 0.0
    with np.errstate(invalid="ignore"):
        err = rel_error(got_arr, expected, floor)
    same = (got_arr == expected) | (np.isnan(got_arr) & np.isnan(expected))   # incl. equal infinities
    err = np.where(same, 0.0, np.where(np.isnan(err), np.inf, err))           # nan (e.g. inf vs -inf) is a mismatch
    worst = float(np.max(err))
    if worst > rtol:
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
        return (f"{what} is wrong at index {_fmt_index(idx)}: got {got_arr[idx]:.6g}, expected "
                f"{expected[idx]:.6g} (relative error {worst:.1e} > tolerance {rtol:.0e}; "
                f"{int((err > rtol).sum())} of {err.size} entries off)."), worst
    return None, worst
