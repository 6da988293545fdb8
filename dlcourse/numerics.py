r"""Chapter 00: floating-point numbers up close: machine epsilon, spacing, rounding, and why gradient checks use
float64.

A binary floating-point number is :math:`x = \pm 1.f \times 2^{e}` with a fraction :math:`f` of ``p`` bits
(float16: 10, float32: 23, float64: 52). Between :math:`2^e` and :math:`2^{e+1}` the representable numbers are
evenly spaced by :math:`2^{e-p}`, so the spacing grows with the magnitude and the *relative* spacing stays about
machine epsilon :math:`\varepsilon = 2^{-p}`. Rounding to the nearest representable number therefore has relative
error at most :math:`\varepsilon / 2` (IEEE 754, round to nearest even).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import check_int

#: the three floating-point types the course compares
FLOAT_DTYPES = ("float16", "float32", "float64")


def as_float_dtype(dtype: DTypeLike, name: str = "dtype") -> np.dtype:
    """``np.dtype(dtype)`` if it is a floating-point type, else a ValueError naming ``name``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"{name}: expected a floating-point dtype such as np.float32, got {dtype!r}") from None
    if not np.issubdtype(dt, np.floating):
        raise ValueError(f"{name}: expected a floating-point dtype such as np.float32, got {dt}")
    return dt


def machine_epsilon(dtype: DTypeLike = np.float64) -> float:
    """The gap between 1 and the next representable number, found the slow way: halve until 1 + eps/2 == 1.

    Equals ``np.finfo(dtype).eps`` (2**-52 for float64, 2**-23 for float32, 2**-10 for float16).
    """
    t = as_float_dtype(dtype).type
    one, eps = t(1), t(1)
    while one + eps / t(2) != one:  # every operation rounds to dtype
        eps = eps / t(2)
    return float(eps)


def neighbours(x: float, dtype: DTypeLike = np.float32, count: int = 3) -> np.ndarray:
    """The representable numbers of ``dtype`` around ``x``: ``count`` below, ``x`` rounded, ``count`` above.

    Returns
    -------
    values : array of shape (2 * count + 1,) and dtype ``dtype``, increasing; the middle one is ``dtype(x)``
    """
    dt = as_float_dtype(dtype)
    count = check_int(count, "count", minimum=0)
    with np.errstate(over="ignore"):
        centre = dt.type(x)
    below, above = [centre], [centre]
    for _ in range(count):
        below.append(np.nextafter(below[-1], dt.type(-np.inf)))
        above.append(np.nextafter(above[-1], dt.type(np.inf)))
    return np.array(below[:0:-1] + above, dtype=dt)


def rounding_error(value: str | float, dtype: DTypeLike = np.float32) -> dict:
    """Round a decimal number into ``dtype`` and measure the error exactly (with Python's ``Decimal``).

    Parameters
    ----------
    value : a decimal string such as "0.1" (exact), or a float (taken as its exact binary value)
    dtype : the floating-point type to round into

    Returns
    -------
    dict with ``stored`` (the dtype value), ``exact`` (the stored value's exact decimal expansion, a string),
    ``abs_error`` and ``rel_error`` (floats; inf on overflow), ``spacing`` (the gap to the next representable
    number), ``overflow`` and ``underflow`` (bools)
    """
    dt = as_float_dtype(dtype)
    true = Decimal(value) if isinstance(value, str) else Decimal(float(value))
    with np.errstate(over="ignore", under="ignore"):
        stored = dt.type(float(true))  # via float64: for float32 and float16 this rounds correctly
        spacing = np.abs(np.spacing(stored)) if np.isfinite(stored) else np.inf
    overflow = bool(np.isinf(stored)) and not true.is_infinite()
    underflow = stored == 0 and true != 0
    if overflow:
        abs_err = rel_err = float("inf")
        exact = str(stored)
    else:
        exact_stored = Decimal(float(stored))
        abs_err = float(abs(exact_stored - true))
        rel_err = float(abs(exact_stored - true) / abs(true)) if true != 0 else 0.0
        exact = str(exact_stored)
    return {
        "stored": stored,
        "exact": exact,
        "abs_error": abs_err,
        "rel_error": rel_err,
        "spacing": float(spacing),
        "overflow": overflow,
        "underflow": bool(underflow),
    }


def centred_difference_error(
    f: Callable[[np.ndarray], np.ndarray],
    df: Callable[[np.ndarray], np.ndarray],
    x: ArrayLike,
    h: ArrayLike,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    r"""Error of the centred difference :math:`(f(x+h) - f(x-h)) / 2h` against the true derivative, in ``dtype``.

    The truncation error shrinks like :math:`h^2` while the rounding error grows like :math:`\varepsilon / h`,
    so the total is smallest near :math:`h \approx \varepsilon^{1/3}`: about 1e-5 for float64 (error ~1e-11)
    but 5e-3 for float32 (error ~1e-5), too coarse to catch a subtle gradient bug.

    Parameters
    ----------
    f : elementwise function of an array (e.g. ``np.sin``) that keeps its input's dtype
    df : its true derivative, evaluated in float64
    x : float, or array of shape (P,): the points
    h : array of shape (K,), the steps
    dtype : the floating-point type the difference is computed in

    Returns
    -------
    err : float64 array of shape (K,) for a scalar x, (K, P) for an array, ``|estimate - df(x)|``
    """
    dt = as_float_dtype(dtype)
    h = np.asarray(h, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if h.ndim != 1 or x.ndim > 1:
        raise ValueError(f"h, x: expected h of shape (K,) and x a float or of shape (P,), got {h.shape} and {x.shape}")
    xs = x.astype(dt)[None, ...]  # (1, P) or (1,): x as stored in dtype
    hs = h.astype(dt).reshape((-1,) + (1,) * x.ndim)  # (K, 1) or (K,): the step as stored in dtype
    with np.errstate(all="ignore"):
        estimate = (f(xs + hs) - f(xs - hs)) / (dt.type(2) * hs)  # (K, P) or (K,), every operation in dtype
    return np.abs(estimate.astype(np.float64) - df(x))
