"""The machinery every check is built from: call the learner's code safely, compare, explain, report.

A check reads like the property it tests::

    def check_sigmoid(sigmoid):
        check = Check("sigmoid")
        for x in cases:
            got = check.call(sigmoid, x)
            check.compare(got, torch.sigmoid(x), what=f"sigmoid(x) for x of shape {x.shape}")
        check.passed("matches torch.sigmoid")

Whatever goes wrong (the function is missing or unfinished, raises, returns None, the wrong shape or dtype, NaN,
wrong values, a numerical warning, an input modified in place) ends in one :class:`CheckFailure` whose message names
the cause; a pass prints one line.
"""
from __future__ import annotations

import sysconfig
import traceback
import warnings
from pathlib import Path

import numpy as np

from . import tolerances as tol
from .compare import describe_mismatch
from .errors import CheckFailure

PASS_MARK = "\u2714"   # ✔
FAIL_MARK = "\u2718"   # ✘


_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
# frames in dlcourse, NumPy and other installed packages or the standard library are not the learner's code
_LIBRARY_DIRS = (_PACKAGE_DIR,) + tuple(sorted({str(Path(sysconfig.get_paths()[key]).resolve())
                                                for key in ("stdlib", "platstdlib", "purelib", "platlib")}))


def _learner_frame(exc: BaseException) -> str:
    """' (line N of your cell: code)' for the innermost frame outside dlcourse and the libraries it calls,
    i.e. the learner's own code."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not str(Path(frame.filename).resolve()).startswith(_LIBRARY_DIRS):
            path = frame.filename.replace("\\", "/")
            where = "your cell" if path.startswith("<") or "ipykernel" in path else path.rsplit("/", 1)[-1]
            code = f": {frame.line}" if frame.line else ""
            return f" (line {frame.lineno} of {where}{code})"
    return ""


_WARNING_HINTS = {   # checked in this order: NumPy's 0/0 warning reads "invalid value encountered in divide"
    "overflow": "large inputs overflow exp(); rewrite so that every exponent is <= 0 "
                "(e.g. subtract the maximum, or use exp(-|x|)).",
    "invalid": "an invalid operation (0/0, inf - inf, log of a negative number) produced NaN.",
    "divide by zero": "a division by zero or log(0); guard the denominator, or work with logits and log-sum-exp "
                      "instead of probabilities.",
}


def _copy(value):
    """A copy of an argument deep enough to see in-place changes: arrays, and dicts/lists/tuples of them."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):          # a NamedTuple cache
        return type(value)(*(_copy(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _unchanged(before, after) -> bool:
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and after.shape == before.shape
                and np.array_equal(after, before, equal_nan=True))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and \
            all(_unchanged(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return isinstance(after, (list, tuple)) and len(before) == len(after) and \
            all(_unchanged(b, a) for b, a in zip(before, after))
    return True


class Check:
    """One exercise's check: collects the worst error seen and fails with a single clear message."""

    def __init__(self, name: str, rtol: float = tol.REFERENCE_RTOL):
        self.name = name
        self.rtol = rtol
        self.worst = 0.0
        self.cases = 0

    # -- failing ----------------------------------------------------------------------------------
    def fail(self, message: str, hint: str | None = None):
        text = f"{FAIL_MARK} {self.name}: {message}"
        if hint:
            text += f"\n  Hint: {hint}"
        raise CheckFailure(text)

    def expect(self, condition: bool, message: str, hint: str | None = None) -> None:
        if not condition:
            self.fail(message, hint)

    # -- calling the learner's code ---------------------------------------------------------------
    def call(self, fn, *args, label: str | None = None, **kwargs):
        """Call ``fn(*args, **kwargs)`` on copies of the arguments; turn every way it can go wrong into a failure.

        ``label`` describes the call in messages (default: ``name(...)``).
        """
        label = label or f"{getattr(fn, '__name__', self.name)}(...)"
        if fn is None:
            self.fail(f"got None instead of a function. Pass the function itself, e.g. check({self.name}).")
        if not callable(fn):
            self.fail(f"expected a function, got {type(fn).__name__}.")
        copies = [_copy(a) for a in args]
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            try:
                result = fn(*copies, **kwargs)
            except NotImplementedError:
                self.fail("not implemented yet: replace `raise NotImplementedError()` with your code.")
            except CheckFailure:
                raise
            except Exception as exc:  # the learner's bug, reported without dlcourse's frames
                self.fail(f"{label} raised {type(exc).__name__}: {exc}{_learner_frame(exc)}.")
        numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        if numeric:
            message = str(numeric[0].message)
            self.fail(f"{label} triggered a numerical warning: '{message}'.", _WARNING_HINTS.get(
                next((k for k in _WARNING_HINTS if k in message), ""), "look for the operation named above."))
        for i, (before, after) in enumerate(zip(args, copies)):
            if not _unchanged(before, after):
                self.fail(f"{label} modified its input argument #{i + 1} in place.",
                          "compute into a new array (x = x - m, not x -= m) so the caller's data stays intact.")
        return result

    # -- comparing --------------------------------------------------------------------------------
    def compare(self, got, expected, *, what: str = "output", rtol: float | None = None,
                expect_dtype: str = "float", hint: str | None = None, record: bool = True,
                floor: float = tol.FLOOR) -> None:
        """Fail unless ``got`` matches ``expected`` in shape, dtype kind, finiteness and value.

        ``record=False`` keeps this comparison out of the error reported by :meth:`passed` (used for finite
        differences, whose tolerance differs from the check's own).
        """
        rtol = self.rtol if rtol is None else rtol
        problem, worst = describe_mismatch(got, expected, what=what, rtol=rtol, expect_dtype=expect_dtype,
                                           floor=floor)
        if problem:
            self.fail(problem, hint)
        if record:
            self.worst = max(self.worst, worst)
            self.cases += 1

    def __repr__(self) -> str:
        return f"Check({self.name!r}, cases={self.cases}, worst={self.worst:.1e})"

    def _ipython_display_(self) -> None:
        """Show nothing when a check is the last line of a cell: its one printed line says it all."""

    # -- passing ----------------------------------------------------------------------------------
    def passed(self, detail: str) -> None:
        """Print the one line that says the check passed."""
        numbers = f" (max relative error {self.worst:.1e}, tolerance {self.rtol:.0e})" if self.cases else ""
        print(f"{PASS_MARK} {self.name}: {detail}{numbers}")
