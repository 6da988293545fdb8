"""What the exercise checks of several chapters ask of an answer before comparing it: a pair, one number, or a
result that equals a known mistake (whose hint then replaces the generic one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .compare import matches
from .runner import Check

_NO_ANSWER = object()


def pair(check: Check, got: Any, label: str, names: str) -> tuple:
    """``got`` as a tuple of two, or a failure naming what the function should return (``names``: ``"loss, grad"``)."""
    check.expect(
        got is not None, f"{label} returned None; expected a pair ({names}).", "did the function end without `return`?"
    )
    check.expect(
        isinstance(got, (tuple, list)) and len(got) == 2,
        f"{label} should return a pair ({names}), got {type(got).__name__}"
        + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
        + ".",
        f"end with `return {names}`.",
    )
    return tuple(got)


def number(check: Check, got: Any, label: str) -> float:
    """``got`` as one float, or a failure that says what came instead (None, a string, an array of many values)."""
    check.expect(
        got is not None, f"{label} returned None; expected a number.", "did the function end without `return`?"
    )
    arr = np.asarray(got) if isinstance(got, (int, float, np.number, np.ndarray)) else None
    check.expect(
        arr is not None and arr.size == 1 and arr.dtype.kind in "iuf",
        f"{label} should return one number, got {type(got).__name__}"
        + (f" of shape {arr.shape}" if isinstance(got, np.ndarray) else "")
        + ".",
        "return a single float, e.g. float(value).",
    )
    return float(arr.reshape(()))


def first_hint(got: Any, mistakes: Sequence[tuple[Any, str]], expected: Any = _NO_ANSWER) -> str | None:
    """The hint of the first mistake whose result ``got`` equals. With ``expected`` (the right answer), a mistake
    that gives the right answer on this case is skipped: it cannot be told apart here."""
    for wrong, hint in mistakes:
        if wrong is None or (expected is not _NO_ANSWER and matches(wrong, expected)):
            continue
        if matches(got, wrong):
            return hint
    return None
