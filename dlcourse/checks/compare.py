"""Comparing a result with its reference and explaining the difference in one message.

Two measures of the same difference:

* :func:`rel_error`, cs231n's ``|got - expected| / max(|got| + |expected|, floor)``, decides pass or fail against
  the tolerances in :mod:`~dlcourse.checks.tolerances`;
* :func:`relative_deviation`, ``|got - expected| / max(|expected|, floor / 2)``, is what messages print: 1.0 for an
  answer twice too large, 0.1 for one 10 % off. For small errors it is twice :func:`rel_error`, so a tolerance
  ``rtol`` on the first reads as :func:`shown_tolerance` ``= 2 * rtol`` on the second (see tolerances).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import tolerances as tol


def rel_error(got: Any, expected: ArrayLike, floor: float = tol.FLOOR) -> np.ndarray:
    """Elementwise relative error ``|got - expected| / max(|got| + |expected|, floor)`` (cs231n's rel_error)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return np.abs(got - expected) / np.maximum(np.abs(got) + np.abs(expected), floor)


def relative_deviation(got: Any, expected: ArrayLike, floor: float = tol.FLOOR) -> np.ndarray:
    """Elementwise ``|got - expected| / max(|expected|, floor / 2)``: the relative error that messages print.

    Where ``|expected| < floor / 2`` it is the absolute error in units of ``floor / 2``, so that, like
    :func:`rel_error`, it compares values near zero absolutely.
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return np.abs(got - expected) / np.maximum(np.abs(expected), floor / 2)


def shown_tolerance(rtol: float) -> float:
    """The tolerance ``rtol`` on :func:`rel_error` expressed on :func:`relative_deviation`, as messages print it."""
    return 2 * rtol


def matches(got: Any, expected: ArrayLike, rtol: float = tol.MISTAKE_RTOL) -> bool:
    """True when ``got`` is a finite array of ``expected``'s shape, within ``rtol`` (relative error) of it.

    Checks use it to recognise a known mistake: a wrong answer that equals what the mistake would produce.
    """
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=np.float64)
    return (
        got.shape == expected.shape
        and bool(np.all(np.isfinite(got)))
        and float(np.max(rel_error(got, expected), initial=0.0)) < rtol
    )


# ------------------------------------------------------------------------------------------------ numbers
def format_pair(got: Any, expected: ArrayLike, digits: int = 6) -> tuple[str, str]:
    """``got`` and ``expected`` printed with ``digits`` significant digits, or as many more (up to 17) as it takes
    for the two strings to differ."""
    g, e = float(got), float(expected)
    for shown in range(digits, 18):
        g_text, e_text = f"{g:.{shown}g}", f"{e:.{shown}g}"
        if g_text != e_text or g == e:
            break
    return g_text, e_text


def _fmt_ratio(ratio: float) -> str:
    """A positive ratio in 2 significant digits, without an exponent from 10 to 10^6: '0.056', '2', '37', '100'."""
    if 10 <= ratio < 1e6:
        return f"{float(f'{ratio:.2g}'):.0f}"
    return f"{ratio:.2g}"


def how_far(got: Any, expected: ArrayLike, floor: float = tol.FLOOR) -> str:
    """How ``got`` compares with ``expected`` in words read at a glance: '2x the expected value', '10% too large',
    'the opposite sign', or '' when the relative error alone says it best (tiny errors, an expected 0)."""
    g, e = float(got), float(expected)
    if abs(e) < floor / 2 or g == 0.0:
        return ""
    ratio = g / e
    if ratio < 0:
        size = "" if abs(abs(ratio) - 1) < 0.05 else f", {_fmt_ratio(-ratio)}x the expected size"
        return f"the opposite sign{size}"
    shown = float(f"{ratio:.2g}")  # decided on the printed ratio: 1.4999999 is 1.5x
    if shown >= 1.5 or shown <= 0.67:
        return f"{_fmt_ratio(ratio)}x the expected value"
    if abs(ratio - 1) >= 1e-3:
        return f"{100 * abs(ratio - 1):.2g}% too {'large' if ratio > 1 else 'small'}"
    return ""


def error_and_tolerance(got: Any, expected: ArrayLike, rtol: float, floor: float = tol.FLOOR) -> str:
    """'relative error 1 > tolerance 2e-07' for two numbers; near an expected 0, the absolute error and tolerance."""
    g, e = float(got), float(expected)
    if abs(e) < floor / 2:
        return f"absolute error {abs(g - e):.2g} > tolerance {rtol * floor:.0e} near 0"
    with np.errstate(invalid="ignore", over="ignore"):
        dev = float(relative_deviation(g, e, floor))
    return f"relative error {dev:.2g} > tolerance {shown_tolerance(rtol):.0e}"


def describe_values(got: Any, expected: ArrayLike, rtol: float, floor: float = tol.FLOOR, detail: str = "") -> str:
    """'got 0.6, expected 0.3: 2x the expected value (relative error 1 > tolerance 2e-07)' for two numbers;
    ``detail`` is added inside the parentheses."""
    g_text, e_text = format_pair(got, expected)
    far = how_far(got, expected, floor)
    return (
        f"got {g_text}, expected {e_text}{': ' + far if far else ''} "
        f"({error_and_tolerance(got, expected, rtol, floor)}{'; ' + detail if detail else ''})"
    )


# ------------------------------------------------------------------------------------------------ precision
FLOAT32_FIX = (
    "compute in float64: do not cast with .astype(np.float32) or np.float32(...), build arrays and "
    "constants as float64, and check the dtype of your intermediate arrays (print(a.dtype))."
)


def _within_float32(got: np.ndarray, expected: np.ndarray, rtol: float = tol.FLOAT32_RTOL) -> bool:
    """True when every entry of ``got`` is within float32 round-off of ``expected``: at most ``rtol`` of the
    largest expected magnitude (round-off in float32 grows with the intermediate values, not with each entry)."""
    scale = float(np.max(np.abs(expected), initial=0.0))
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.all(np.abs(got.astype(np.float64) - expected) <= rtol * scale)) and scale > 0


def _float32_numbers(got: np.ndarray) -> bool:
    """True when every entry of a float64 array is a float32 number: it was rounded to float32 and converted back."""
    with np.errstate(over="ignore"):
        return bool(np.all(got.astype(np.float32).astype(np.float64) == got))


def _digits(dtype) -> int:
    """The significant decimal digits a float dtype keeps: 7 for float32, 16 for float64."""
    return int(round(-np.log10(np.finfo(dtype).eps)))


# ------------------------------------------------------------------------------------------------ mismatch
def _fmt_index(idx: tuple) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else "(scalar)"


class Mismatch(NamedTuple):
    """What :func:`find_mismatch` found: the message (None when ``got`` is right), the worst relative error
    (:func:`relative_deviation`), whether the message is about float32 precision (a check's own hint would then
    mislead), and a hint for the kind of problem (a shape that looks transposed, a missing `return` ...)."""

    problem: str | None
    worst: float
    precision: bool = False
    hint: str | None = None


def _structure_problem(got: Any, expected: np.ndarray, what: str, expect_dtype: str) -> tuple[str | None, str | None]:
    """(problem, hint) for what is wrong before any value is compared (None, not array-like, tuple, shape, dtype
    kind), or (None, None)."""
    if got is None:
        return f"{what} is None. Expected an array of shape {expected.shape}.", "did the function end without `return`?"
    if isinstance(got, tuple) and expected.ndim > 0:
        return (
            f"{what} is a tuple of {len(got)} items, expected one array of shape {expected.shape}.",
            "return only the array.",
        )
    try:
        got_arr = np.asarray(got)
    except Exception:
        return f"{what} is a {type(got).__name__}, expected an array of shape {expected.shape}.", None
    if got_arr.dtype == object:
        return f"{what} is not an array of numbers (got {type(got).__name__}).", None
    if got_arr.shape != expected.shape:
        hint = None
        if got_arr.shape == expected.shape[::-1] and got_arr.ndim == 2:
            hint = "it looks transposed."
        elif got_arr.size == expected.size:
            hint = "same number of elements in another layout; check the reshape or the axis."
        elif got_arr.ndim == expected.ndim - 1 or got_arr.ndim == expected.ndim + 1:
            hint = "a reduction may be missing keepdims=True, or sum over the wrong axis."
        return f"{what} has shape {got_arr.shape}, expected {expected.shape}.", hint
    kind_ok = {
        "float": np.issubdtype(got_arr.dtype, np.floating),
        "float64": got_arr.dtype == np.float64,
        "float32": got_arr.dtype == np.float32,
        "int": np.issubdtype(got_arr.dtype, np.integer),
    }[expect_dtype]
    if not kind_ok:
        return f"{what} has dtype {got_arr.dtype}, expected {expect_dtype}.", (
            "integer arrays truncate; build results from float arrays." if expect_dtype.startswith("float") else None
        )
    return None, None


def _non_finite_problem(got_arr: np.ndarray, expected: np.ndarray, what: str) -> tuple[str | None, str | None]:
    """(problem, hint) for NaN or inf where the reference is finite, or (None, None)."""
    bad = ~np.isfinite(got_arr) & np.isfinite(expected)
    if not bad.any():
        return None, None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    hint = (
        "exp() of a large number overflows; rewrite the formula so the exponent is never large and positive."
        if np.isinf(got_arr[idx])
        else "NaN comes from 0/0, inf - inf or inf * 0 (often after an overflow), or log of a negative number."
    )
    where = f"contains {got_arr[idx]} at index {_fmt_index(idx)}" if idx else f"is {got_arr[idx]}"
    return f"{what} {where} (expected {expected[idx]:.6g}).", hint


def _errors(got: np.ndarray, expected: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`rel_error`, :func:`relative_deviation`) elementwise: 0 where the values are equal (equal infinities
    and NaN where NaN is expected included), inf where the difference is NaN (inf against -inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = rel_error(got, expected, floor)
        dev = relative_deviation(got, expected, floor)
    same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    return (
        np.where(same, 0.0, np.where(np.isnan(err), np.inf, err)),
        np.where(same, 0.0, np.where(np.isnan(dev), np.inf, dev)),
    )


def _precision_problem(got: np.ndarray, expected: np.ndarray, dev: np.ndarray, rtol: float, what: str) -> str | None:
    """The failure of a result that lost precision to float32 where the check needs float64's, if it did: a float32
    result, or float64 values that are all float32 numbers (rounded and converted back), within float32 round-off
    of a reference that float32 cannot hold."""
    if (
        rtol >= tol.FLOAT32_RTOL
        or expected.dtype != np.float64
        or _float32_numbers(expected)
        or not _within_float32(got, expected)
    ):
        return None
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(dev)), dev.shape))
    g_text, e_text = format_pair(got[idx], expected[idx])
    at = (
        f"at index {_fmt_index(idx)}: " if idx else ""
    ) + f"got {g_text}, expected {e_text}, relative error {dev[idx]:.2g}"
    if got.dtype.kind == "f" and got.dtype.itemsize < 8 and dev[idx] > 0:
        return (
            f"{what} has dtype {got.dtype}, but the check compares with float64 to float64 precision, and "
            f"{got.dtype} keeps only about {_digits(got.dtype)} significant digits ({at}). Fix: {FLOAT32_FIX}"
        )
    if got.dtype == np.float64 and dev[idx] > tol.FLOAT64_ROUNDOFF and _float32_numbers(got):
        return (
            f"{what} has dtype float64, but every value in it is a float32 number: it was computed in or "
            f"rounded to float32, which keeps only about 7 significant digits, then converted back ({at}). "
            f"Fix: {FLOAT32_FIX}"
        )
    return None


def _precision_note(got: np.ndarray, expected: np.ndarray, rtol: float, guess: bool) -> str:
    """What a failing result's dtype or error size says about float32 ('' when nothing): certain for a float32
    result, a guess (only when ``guess``) for a float64 result off by float32-sized errors."""
    if rtol >= tol.FLOAT32_RTOL or expected.dtype != np.float64 or _float32_numbers(expected):
        return ""
    if got.dtype.kind == "f" and got.dtype.itemsize < 8:
        return f" Your result also has dtype {got.dtype}: {FLOAT32_FIX}"
    if guess and got.dtype == np.float64 and _within_float32(got, expected, tol.FLOAT32_GUESS):
        return (
            f" Errors this small (at most {tol.FLOAT32_GUESS:.0e} of the largest value) are typical of float32 "
            f"arithmetic (about 7 significant digits): if any array or constant in your computation is float32, "
            f"{FLOAT32_FIX}"
        )
    return ""


def find_mismatch(
    got: Any,
    expected: ArrayLike,
    *,
    what: str = "output",
    rtol: float = tol.REFERENCE_RTOL,
    expect_dtype: str = "float",
    floor: float = tol.FLOOR,
    explain_precision: bool = True,
) -> Mismatch:
    """Compare ``got`` with ``expected``; see :func:`describe_mismatch`.

    ``explain_precision=False`` leaves out the guess that a float64 result failing by errors of float32's size
    lost precision to a float32 intermediate (a check that recognised the mistake says better). What is certain is
    always said: a float32 result, or float64 values that are all float32 numbers.
    """
    expected = np.asarray(expected)
    problem, hint = _structure_problem(got, expected, what, expect_dtype)
    if problem:
        return Mismatch(problem, np.inf, hint=hint)
    got_arr = np.asarray(got)
    problem, hint = _non_finite_problem(got_arr, expected, what) if got_arr.dtype.kind == "f" else (None, None)
    if problem:
        return Mismatch(problem, np.inf, hint=hint)
    if expected.size == 0:
        return Mismatch(None, 0.0)
    err, dev = _errors(got_arr, expected, floor)
    worst = float(np.max(dev))
    problem = _precision_problem(got_arr, expected, dev, rtol, what) if worst > 0 else None
    if problem:
        return Mismatch(problem, worst, precision=True)
    off = err > rtol
    if not off.any():
        return Mismatch(None, worst)
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.where(off, dev, -1.0))), dev.shape))
    count = f"{int(off.sum())} of {err.size} entries off" if err.size > 1 else ""
    values = describe_values(got_arr[idx], expected[idx], rtol, floor, count)
    note = _precision_note(got_arr, expected, rtol, explain_precision)
    where = f" at index {_fmt_index(idx)}" if idx else ""
    return Mismatch(f"{what} is wrong{where}: {values}.{note}", worst)


def describe_mismatch(
    got: Any,
    expected: ArrayLike,
    *,
    what: str = "output",
    rtol: float = tol.REFERENCE_RTOL,
    expect_dtype: str = "float",
    floor: float = tol.FLOOR,
    explain_precision: bool = True,
) -> tuple[str | None, float]:
    """Compare ``got`` with ``expected``; return (problem or None, worst relative error).

    Checks, in order: None, not array-like, shape, dtype kind, NaN/inf, float32 precision, values. ``expect_dtype``
    is 'float' (any floating dtype), 'float64', 'float32' or 'int'. ``floor`` is the relative error's denominator
    floor. Pass or fail follows :func:`rel_error` and ``rtol``; the worst error returned and the numbers printed
    are :func:`relative_deviation`, with the tolerance shown as :func:`shown_tolerance`.
    """
    found = find_mismatch(
        got, expected, what=what, rtol=rtol, expect_dtype=expect_dtype, floor=floor, explain_precision=explain_precision
    )
    if found.problem and found.hint:
        return f"{found.problem} Hint: {found.hint}", found.worst
    return found.problem, found.worst
