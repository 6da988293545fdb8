"""The machinery every check is built from: call the learner's code safely, compare, explain, report.

A check reads like the property it tests::

    def check_sigmoid(sigmoid):
        check = Check("sigmoid")
        for x in cases:
            got = check.call(sigmoid, x)
            check.compare(got, torch.sigmoid(x), what=f"sigmoid(x) for x of shape {x.shape}")
        check.passed("matches torch.sigmoid")

Whatever goes wrong (the function is missing or unfinished, raises, returns None, the wrong shape or dtype, NaN,
wrong values, float32 precision, a numerical warning, an input modified in place or restored only up to rounding)
ends in one :class:`CheckFailure` whose message names the cause, with at most one hint line; a pass prints one
line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import tolerances as tol
from .calls import Call, invoke
from .compare import Mismatch, find_mismatch, format_pair, shown_tolerance
from .errors import CheckFailure

PASS_MARK = "\u2714"  # ✔
FAIL_MARK = "\u2718"  # ✘

_WARNING_HINTS = {  # checked in this order: NumPy's 0/0 warning reads "invalid value encountered in divide"
    "overflow": "large inputs overflow exp(); rewrite so that every exponent is <= 0 "
    "(e.g. subtract the maximum, or use exp(-|x|)).",
    "invalid": "an invalid operation (0/0, inf - inf, log of a negative number) produced NaN.",
    "divide by zero": "a division by zero or log(0); guard the denominator, or work with logits and log-sum-exp "
    "instead of probabilities.",
}


def _fmt_entry(name: str, idx: tuple) -> str:
    return f"{name}[{', '.join(str(i) for i in idx)}]" if idx else name


class Change(NamedTuple):
    """How an argument changed during a call: a description, whether only by rounding, and the name of the array
    that changed (``params['0.weight']`` when the argument is a dict of arrays)."""

    text: str
    rounding: bool
    name: str


def _array_change(before: np.ndarray, after, name: str) -> Change | None:
    """How an array argument changed, or None when it is unchanged."""
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return Change(f"{name} now has shape {np.shape(after)} (it had {before.shape})", False, name)
    with np.errstate(invalid="ignore", over="ignore"):
        changed = ~((after == before) | (_isnan(after) & _isnan(before)))
    if not changed.any():
        return None
    count = f"{int(changed.sum())} of {changed.size} entries"
    if before.dtype.kind != "f":
        idx = tuple(int(i) for i in np.argwhere(changed)[0])
        example = f"{_fmt_entry(name, idx)} was {before[idx]}, is now {after[idx]}"
        return Change(f"{count} changed ({example})", False, name)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(changed, np.abs(after.astype(np.float64) - before), 0.0)
    diff = np.where(np.isnan(diff), np.inf, diff)
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    now, was = format_pair(after[idx], before[idx])
    example = f"{_fmt_entry(name, idx)} was {was}, is now {now}"
    scale = float(np.max(np.abs(before), initial=0.0, where=np.isfinite(before)))
    biggest = float(diff[idx])
    if biggest <= tol.ROUNDING_EPS * np.finfo(before.dtype).eps * scale:
        ulps = int(round(biggest / float(np.spacing(max(abs(before[idx]), abs(after[idx]))))))
        return Change(
            f"{count} are off by rounding, by up to {biggest:.2g} ({ulps} unit{'s' if ulps != 1 else ''} "
            f"in the last place: {example})",
            True,
            name,
        )
    return Change(f"{count} changed ({example})", False, name)


def _isnan(a: np.ndarray) -> np.ndarray:
    return np.isnan(a) if a.dtype.kind in "fc" else np.zeros(a.shape, dtype=bool)


def describe_change(before: Any, after: Any, name: str) -> Change | None:
    """How ``after`` (an argument after the call) differs from ``before`` (a copy made before it), or None when
    nothing changed. Arrays, and dicts/lists/tuples of them, are compared entry by entry; ``name`` is the
    argument's name, used in the description."""
    if isinstance(before, np.ndarray):
        return _array_change(before, after, name)
    if isinstance(before, dict):
        if not isinstance(after, dict) or before.keys() != after.keys():
            return Change(f"the keys of {name} changed", False, name)
        return next((c for k in before if (c := describe_change(before[k], after[k], f"{name}[{k!r}]"))), None)
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(before) != len(after):
            return Change(
                f"{name} now has {len(after) if isinstance(after, (list, tuple)) else 'no'} items "
                f"(it had {len(before)})",
                False,
                name,
            )
        fields = getattr(before, "_fields", None)
        names = [f"{name}.{f}" for f in fields] if fields else [f"{name}[{i}]" for i in range(len(before))]
        return next((c for b, a, n in zip(before, after, names) if (c := describe_change(b, a, n))), None)
    return None


def _restore_hint(name: str) -> str:
    return (
        f"a value restored by arithmetic ({name}[i] += h, later {name}[i] -= h) is not always the value you "
        f"started from in floating point. Save the old value and put it back exactly: old = {name}[i]; "
        f"{name}[i] = old + h; ...; {name}[i] = old (or work on a copy, {name} = {name}.copy())."
    )


def _in_place_hint(name: str) -> str:
    return f"compute into a new array ({name} = {name} - ..., not {name} -= ...) so the caller's data stays intact."


def _merge_hints(found: Mismatch, got, hint: str | None) -> str | None:
    """One hint line for a failed comparison: the hint for the kind of problem (a transposed shape ...) and the
    check's own reading of the mistake; the first alone for a missing result or float32 precision, where the
    check's reading (made for wrong values) would mislead."""
    if got is None or found.precision or not hint:
        return found.hint
    return f"{found.hint} {hint}" if found.hint else hint


class Check:
    """One exercise's check: collects the worst error seen and fails with a single clear message."""

    def __init__(self, name: str, rtol: float = tol.REFERENCE_RTOL, function: str | None = None) -> None:
        self.name = name
        self.rtol = rtol
        self.function = function  # the learner's function, as delegation messages name it (default: name)
        self.worst = 0.0
        self.cases = 0

    # -- failing ----------------------------------------------------------------------------------
    def fail(self, message: str, hint: str | None = None) -> None:
        text = f"{FAIL_MARK} {self.name}: {message}"
        if hint:
            text += f"\n  Hint: {hint}"
        raise CheckFailure(text)

    def expect(self, condition: bool, message: str, hint: str | None = None) -> None:
        if not condition:
            self.fail(message, hint)

    # -- calling the learner's code ---------------------------------------------------------------
    def call(self, fn: Callable | None, *args: Any, label: str | None = None, **kwargs: Any) -> Any:
        """Call ``fn(*args, **kwargs)`` on copies of the arguments; turn every way it can go wrong into a failure.

        ``label`` describes the call in messages (default: ``name(...)``).
        """
        label = label or f"{getattr(fn, '__name__', self.name)}(...)"
        record, result = invoke(fn, args, kwargs, data=False)
        self.result(record, label)
        return result

    def result(
        self, call: Call, label: str, *, in_place: bool = True, warnings: bool = True, function: str | None = None
    ) -> Any:
        """The value a recorded call returned; fail, as :meth:`call` would have, when it went wrong.

        ``in_place=False`` leaves changed arguments to the check (an exercise that fills its argument in place);
        ``warnings=False`` ignores numerical warnings; ``function`` names the learner's function when it called a
        forbidden implementation (default: the check's ``function``, else its name).
        """
        if call.kind == "none":
            self.fail(f"got None instead of a function. Pass the function itself, e.g. check({self.name}).")
        if call.kind == "not_callable":
            self.fail(f"expected a function, got {call.error_type}.")
        if call.kind == "delegated":
            self.fail(delegation_message(function or self.function or self.name, call.error_message))
        if call.kind == "not_implemented":
            self.fail("not implemented yet: replace `raise NotImplementedError()` with your code.")
        if call.kind == "check_failure":
            raise CheckFailure(call.error_message)
        if call.kind == "raised":  # the learner's bug, reported without dlcourse's frames
            self.fail(f"{label} raised {call.error_type}: {call.error_message}{call.where}.")
        if call.kind != "returned":
            raise ValueError(f"call: a {call.kind!r} call has no single result")
        if warnings and call.warnings:
            message = call.warnings[0]
            self.fail(
                f"{label} triggered a numerical warning: '{message}'.",
                _WARNING_HINTS.get(
                    next((k for k in _WARNING_HINTS if k in message), ""), "look for the operation named above."
                ),
            )
        if in_place:
            for changed in call.modified:
                i = changed.index
                name = call.params[i] if i < len(call.params) else None
                change = describe_change(changed.before, changed.after, name or "x")
                if change:
                    which = f"its input argument #{i + 1}" + (f" ({name})" if name else "")
                    if change.rounding:
                        self.fail(
                            f"{label} did not restore {which} exactly: {change.text}.", _restore_hint(change.name)
                        )
                    self.fail(f"{label} modified {which} in place: {change.text}.", _in_place_hint(change.name))
        return call.value

    # -- comparing --------------------------------------------------------------------------------
    def compare(
        self,
        got: Any,
        expected: ArrayLike,
        *,
        what: str = "output",
        rtol: float | None = None,
        expect_dtype: str = "float",
        hint: str | None = None,
        record: bool = True,
        floor: float = tol.FLOOR,
    ) -> None:
        """Fail unless ``got`` matches ``expected`` in shape, dtype kind, finiteness and value.

        ``record=False`` keeps this comparison out of the error reported by :meth:`passed` (used for finite
        differences, whose tolerance differs from the check's own). ``hint`` (the check's reading of the mistake)
        is left out when the failure is float32 precision, which the message then explains.
        """
        rtol = self.rtol if rtol is None else rtol
        found = find_mismatch(
            got, expected, what=what, rtol=rtol, expect_dtype=expect_dtype, floor=floor, explain_precision=hint is None
        )
        if found.problem:
            self.fail(found.problem, _merge_hints(found, got, hint))
        if record:
            self.worst = max(self.worst, found.worst)
            self.cases += 1

    def __repr__(self) -> str:
        return f"Check({self.name!r}, cases={self.cases}, worst={self.worst:.1e})"

    def _ipython_display_(self) -> None:
        """Show nothing when a check is the last line of a cell: its one printed line says it all."""

    # -- passing ----------------------------------------------------------------------------------
    def pass_line(self, detail: str) -> str:
        """The one line that says the check passed."""
        numbers = (
            f" (max relative error {self.worst:.1e}, tolerance {shown_tolerance(self.rtol):.0e})" if self.cases else ""
        )
        return f"{PASS_MARK} {self.name}: {detail}{numbers}"

    def passed(self, detail: str) -> None:
        """Print the one line that says the check passed."""
        print(self.pass_line(detail))


def delegation_message(function: str, dotted: str) -> str:
    """What a check says when the learner's ``function`` called ``dotted``, a forbidden implementation."""
    return f"your {function} calls {dotted}, the implementation this exercise asks you to write."
