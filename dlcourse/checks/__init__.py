"""One checker for learners, tests and grading: PyTorch (float64) and finite-difference references.

* :class:`Check` / :class:`CheckFailure` — build a check, fail with one clear message, pass with one line;
* :func:`check_function`, :func:`check_kernel` — whole functions and forward/backward pairs;
* :func:`rel_error` (pass or fail), :func:`relative_deviation` (what messages print), :func:`numerical_gradient`,
  :mod:`tolerances` — the pieces;
* ``ch00``, ``ch01``, ... — each chapter's exercise checks, called from its check cells.
"""

from . import tolerances
from .compare import describe_mismatch, rel_error, relative_deviation
from .errors import CheckFailure
from .gradcheck import numerical_gradient
from .kernels import check_function, check_kernel
from .runner import Check

__all__ = [
    "Check",
    "CheckFailure",
    "check_function",
    "check_kernel",
    "describe_mismatch",
    "numerical_gradient",
    "rel_error",
    "relative_deviation",
    "tolerances",
]


def __getattr__(name: str):
    """``checks.ch01`` and friends load on first use, so a chapter's checks cost nothing until called."""
    import importlib
    import re

    if re.fullmatch(r"ch\d\d", name):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
