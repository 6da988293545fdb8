"""The grade of one submission as a typed record, and its JSON form in the grade book.

    result = GradeResult.start(path)                  # status "ok", no exercises yet
    result.exercises["01-sigmoid"] = ExerciseResult(passed=False, message="✘ sigmoid: ...")
    result.fail("the kernel died while running the notebook")
    result.to_dict()                                  # what results/*.json and grades.json hold

The JSON layout (one object per submission)::

    {"submission": "subs/01_alice.ipynb", "sha256": "...", "chapter": "01", "status": "ok" | "error",
     "reason": "", "exercises": {"01-sigmoid": {"passed": true, "message": ""},
                                 "01-mlp": {"passed": false, "message": "✘ mlp: ...", "points": 2}, ...},
     "score": 3, "max_score": 5, "seconds": 12.3}

An exercise is worth ``points`` (set on its check cell in solutions/, see :mod:`dlcourse.tools.nbgrader_metadata`;
written only when it is not 1, the default), earned in full when its check passed and not at all otherwise.
``score`` and ``max_score`` are points, written for the tables' readers; on reading they are recomputed from
``exercises``. ``seconds`` is left out when the grader itself failed before timing anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..nbgrader_metadata import DEFAULT_POINTS, as_points, total_points

STATUSES = ("ok", "error")
#: in the reason of every result graded without a sandbox
UNSANDBOXED = "NOT SANDBOXED (--no-sandbox): the learner's code ran with the grader's rights, unchecked"


def sha256(path: Path) -> str:
    """The file's SHA-256 in hex: a rerun regrades a submission only when this changes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class ExerciseResult:
    """One exercise of one submission: did its check cell pass, what did it print if not, what is it worth."""

    passed: bool
    message: str = ""
    points: int | float = DEFAULT_POINTS

    @property
    def earned(self) -> int | float:
        """The points this submission earned here: all of them if the check passed, none otherwise."""
        return self.points if self.passed else 0

    def to_dict(self) -> dict:
        data = {"passed": bool(self.passed), "message": self.message}
        if self.points != DEFAULT_POINTS:
            data["points"] = self.points
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ExerciseResult:
        return cls(
            passed=bool(data["passed"]),
            message=data.get("message", ""),
            points=as_points(data.get("points", DEFAULT_POINTS)),
        )


@dataclass
class GradeResult:
    """The grade of one submission.

    ``status`` is "ok" when the notebook ran to its end (a cell that hit the time limit is said in ``reason``),
    "error" when it could not be run or graded in full (``reason`` says why). ``exercises`` maps
    "<chapter>-<name>" to an :class:`ExerciseResult`; an exercise whose check never ran counts as failed.
    """

    submission: str
    sha256: str
    chapter: str | None = None
    status: str = "ok"
    reason: str = ""
    exercises: dict[str, ExerciseResult] = field(default_factory=dict)
    seconds: float | None = None

    @classmethod
    def start(cls, path: Path) -> GradeResult:
        """A fresh record for ``path``: status "ok", no exercises yet."""
        return cls(submission=str(path), sha256=sha256(path))

    @property
    def score(self) -> int | float:
        """Points earned: the sum of the passed exercises' points."""
        return total_points(e.earned for e in self.exercises.values())

    @property
    def max_score(self) -> int | float:
        """Points possible: the sum of every exercise's points."""
        return total_points(e.points for e in self.exercises.values())

    def set_points(self, points: dict[str, int | float]) -> GradeResult:
        """Give each exercise its worth from ``points`` ({exercise name: points}, as
        :func:`dlcourse.tools.notebooks.exercise_points` reads them from solutions/); returns the record.

        An exercise ``points`` does not name keeps its points."""
        for key, exercise in self.exercises.items():
            name = key.split("-", 1)[1] if "-" in key else key
            if name in points:
                exercise.points = as_points(points[name], f"points of {name}")
        return self

    def fail(self, reason: str) -> GradeResult:
        """Mark the submission as not graded in full, saying why; returns the record."""
        self.status, self.reason = "error", reason
        return self

    def fail_all(self, exercise_keys: Iterable[str], message: str) -> GradeResult:
        """Record every exercise in ``exercise_keys`` as failed with ``message`` (they keep their columns)."""
        for key in exercise_keys:
            self.exercises[key] = ExerciseResult(passed=False, message=message)
        return self

    def to_dict(self) -> dict:
        """The JSON layout of the grade book (see the module's docstring)."""
        data = {
            "submission": self.submission,
            "sha256": self.sha256,
            "chapter": self.chapter,
            "status": self.status,
            "reason": self.reason,
            "exercises": {key: e.to_dict() for key, e in self.exercises.items()},
            "score": self.score,
            "max_score": self.max_score,
        }
        if self.seconds is not None:
            data["seconds"] = self.seconds
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GradeResult:
        """Read a record written by :meth:`to_dict`; a layout that is not one raises a ValueError."""
        try:
            exercises = {key: ExerciseResult.from_dict(e) for key, e in data["exercises"].items()}
            result = cls(
                submission=data["submission"],
                sha256=data["sha256"],
                chapter=data["chapter"],
                status=data["status"],
                reason=data["reason"],
                exercises=exercises,
                seconds=data.get("seconds"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a grade record: {type(exc).__name__}: {exc}") from None
        if result.status not in STATUSES:
            raise ValueError(f"not a grade record: status {result.status!r}")
        return result
