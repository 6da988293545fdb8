"""One checker for learners, tests and grading: PyTorch (float64) and finite-difference references.

* :class:`Check` / :class:`CheckFailure` — build a check, fail with one clear message, pass with one line;
* :func:`check_function`, :func:`check_kernel` — whole functions and forward/backward pairs;
* :func:`rel_error` (pass or fail), :func:`relative_deviation` (what messages print), :func:`numerical_gradient`,
  :mod:`tolerances` — the pieces;
* ``ch00``, ``ch01``, ... — each chapter's exercise checks, called from its check cells;
* :func:`exercises` — every exercise's check as data and code (:class:`~dlcourse.checks.exercise.Exercise`: cases,
  judgement, forbidden implementations), for grading: :mod:`~dlcourse.checks.calls` records the learner's calls as
  data, :mod:`~dlcourse.checks.wire` carries cases and calls to and from a sandboxed kernel,
  :mod:`~dlcourse.checks.delegation` catches an answer that calls the implementation it should write.
"""

from . import tolerances
from .calls import Call, run_call
from .compare import describe_mismatch, rel_error, relative_deviation
from .errors import CheckFailure
from .exercise import Exercise, Verdict
from .gradcheck import numerical_gradient
from .kernels import check_function, check_kernel
from .runner import Check

#: the chapters whose checks :func:`exercises` collects
CHAPTERS = (
    "ch00",
    "ch01",
    "ch02",
    "ch03",
    "ch04",
    "ch05",
    "ch06",
    "ch07",
    "ch08",
    "ch09",
    "ch10",
    "ch11",
    "ch12",
    "ch13",
    "ch14",
    "ch15",
    "ch16",
    "ch17",
)

__all__ = [
    "Call",
    "Check",
    "CheckFailure",
    "Exercise",
    "Verdict",
    "check_function",
    "check_kernel",
    "describe_mismatch",
    "exercises",
    "object_exercises",
    "numerical_gradient",
    "rel_error",
    "relative_deviation",
    "run_call",
    "tolerances",
]


def exercises() -> dict[str, Exercise]:
    """Every exercise whose check is data and code, by key (``'01-sigmoid'``, matching its cells' tags
    ``exercise-01-sigmoid`` and ``test-01-sigmoid``): an :class:`~dlcourse.checks.exercise.Exercise`."""
    import importlib

    found = {}
    for chapter in CHAPTERS:
        for exercise in importlib.import_module(f".{chapter}", __name__).EXERCISES:
            found[exercise.key] = exercise
    return found


def object_exercises() -> dict[str, str]:
    """Exercises whose check needs objects made in the kernel and cannot be judged from data, by key, each with a
    sentence on how it is judged. None today: every exercise's objects (chapter 03's model, optimizer and loss,
    the generators of chapters 03 and 06) are built in the kernel from data by fixed builders, and their state
    after the call comes back as data (:class:`~dlcourse.checks.calls.Build`)."""
    return {}


def __getattr__(name: str):
    """``checks.ch01`` and friends load on first use, so a chapter's checks cost nothing until called."""
    import importlib
    import re

    if re.fullmatch(r"ch\d\d", name):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
