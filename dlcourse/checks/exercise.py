"""An exercise's check as data and code: its cases, its judgement, and the implementations it forbids.

:class:`Exercise` ties together what a check needs on both sides of the grading sandbox:

* ``cases(seed)``: the inputs, as data (:mod:`dlcourse.checks.calls` describes a case);
* ``judge(cases, calls)``: the comparison with the references and its message, a :class:`Verdict`, from the calls
  of the learner's function recorded as data (:func:`~dlcourse.checks.calls.run_call`);
* ``forbidden``: the dotted names of the implementations the exercise asks the learner to write, and
  ``static_delegation(source)``, which finds them in the exercise cell's source.

In the learner's notebook, ``check(fn)`` runs the three in the kernel; in grading the grader draws the cases, the
sandboxed kernel only calls the function (:func:`dlcourse.checks.wire.serve`) and the grader judges. Both read the
same :class:`~dlcourse.checks.calls.Call` data, so they print the same line.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .calls import Call, LazyCalls
from .delegation import static_scan
from .errors import CheckFailure
from .runner import FAIL_MARK, delegation_message


@dataclass(frozen=True)
class Verdict:
    """A check's outcome: passed or not, and the one message it prints (the pass line, or the failure)."""

    passed: bool
    message: str


@dataclass(frozen=True)
class Exercise:
    """One exercise's check, as cases, a judgement and the implementations it forbids.

    ``key`` is ``'NN-name'`` (its cells are tagged ``exercise-NN-name`` and ``test-NN-name``); ``function`` the
    name the exercise cell defines (``functions``: every function the cases call, when there are several);
    ``name`` the check's name, first in its messages. ``make_cases(seed)`` draws the cases; ``judgement(cases,
    calls)`` returns the pass line or raises :class:`~dlcourse.checks.CheckFailure`.
    """

    key: str
    function: str
    name: str
    make_cases: Callable[[int], list[dict]]
    judgement: Callable[[Sequence[dict], Sequence[Call]], str]
    forbidden: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.functions:
            object.__setattr__(self, "functions", (self.function,))

    def cases(self, seed: int = 0) -> list[dict]:
        """The cases drawn from ``seed``, each carrying the forbidden names for the call."""
        return [{**case, "forbidden": list(self.forbidden)} for case in self.make_cases(seed)]

    def judge(self, cases: Sequence[dict], calls: Sequence[Call]) -> Verdict:
        """Compare the learner's calls with the references: a :class:`Verdict` with the line the check prints.

        ``calls`` holds one :class:`~dlcourse.checks.calls.Call` per case, in order (anything else fails: a kernel
        that sends back fewer calls has not answered every case).
        """
        if len(calls) != len(cases):
            return Verdict(False, f"{FAIL_MARK} {self.name}: {len(calls)} answers came back for {len(cases)} cases.")
        if not isinstance(calls, LazyCalls) and not all(isinstance(call, Call) for call in calls):
            return Verdict(False, f"{FAIL_MARK} {self.name}: what came back is not the record of calls.")
        try:
            return Verdict(True, self.judgement(cases, calls))
        except CheckFailure as failure:
            return Verdict(False, str(failure))
        except ImportError:  # the grader's own installation is incomplete: not the learner's doing
            raise
        except Exception as exc:  # noqa: BLE001 (whatever the calls hold, the verdict is a message, not a crash)
            return Verdict(
                False, f"{FAIL_MARK} {self.name}: the check could not read the result ({type(exc).__name__}: {exc})."
            )

    def static_delegation(self, source: str) -> str | None:
        """The failure message when the exercise cell's ``source`` uses a forbidden implementation, else None."""
        found = static_scan(source, self.forbidden)
        if found is None:
            return None
        dotted, owner = found
        function = owner if owner in self.functions else self.function
        return f"{FAIL_MARK} {self.name}: {delegation_message(function, dotted)}"

    def check(self, fn: Any, *, seed: int = 0, namespace: Mapping | None = None) -> None:
        """The check cell's check: print the pass line, or raise :class:`~dlcourse.checks.CheckFailure`."""
        source = cell_source(fn)
        message = self.static_delegation(source) if source else None
        if message is None:
            cases = self.cases(seed)
            verdict = self.judge(cases, LazyCalls(fn, cases, namespace))
            if verdict.passed:
                print(verdict.message)
                return
            message = verdict.message
        raise CheckFailure(message)

    def verdict_of(self, calls: Sequence[Call], *, seed: int = 0) -> Verdict:
        """The verdict on ``calls`` for the cases drawn from ``seed`` (what the grader computes)."""
        return self.judge(self.cases(seed), calls)


def cell_source(fn: Any) -> str | None:
    """The source of the notebook cell that defined ``fn``, when it was defined in one (IPython keeps every cell's
    text under the name it compiled it with); None otherwise."""
    code = getattr(fn, "__code__", None)
    filename = getattr(code, "co_filename", "")
    if not isinstance(filename, str) or not ("ipykernel" in filename or filename.startswith("<ipython-input")):
        return None
    return "".join(linecache.getlines(filename)) or None
