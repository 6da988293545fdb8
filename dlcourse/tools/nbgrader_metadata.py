"""What each exercise is worth, and the nbgrader cell metadata that ``dlcourse build`` derives from the tags.

Points. An exercise is worth 1 point unless its check cell says otherwise in its ``dlcourse`` metadata; in the
chapter's jupytext twin that is the cell's header::

    # %% tags=["test-01-mlp"] dlcourse={"points": 2}

This is the only place points are written: ``dlcourse grade`` reads them from solutions/, and ``dlcourse build``
copies them into nbgrader's metadata, so that both graders count the same points.

nbgrader's metadata (schema 3) is never written by hand; ``dlcourse build`` writes it into solutions/ and course/
from the tags, and ``dlcourse build --check`` reports a notebook whose metadata differs:

* an exercise cell (``exercise-NN-name``) is an autograded answer: ``solution`` true, ``grade`` false, its tag as
  ``grade_id``;
* a check cell (``test-NN-name``) is an autograder test: ``grade`` true, ``locked`` true, the exercise's
  ``points``, its tag as ``grade_id``;
* a markdown cell holding a solution region (a written answer, which ``dlcourse grade`` does not score) is what
  nbgrader calls a manually graded answer, worth 0 points so that the totals agree (``grade_id`` ``answer-NN-K``,
  K counting such cells from 1);
* any other cell carries no nbgrader metadata.

The solutions notebooks also tell jupytext to keep nbgrader's metadata out of the ``.py`` twin
(``cell_metadata_filter: -nbgrader``), so the text an author edits stays as it was.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

#: the cell metadata key under which a check cell states its points
POINTS_KEY = "dlcourse"
#: what an exercise is worth when its check cell says nothing
DEFAULT_POINTS = 1
SCHEMA_VERSION = 3
#: jupytext's cell-metadata filter entry that keeps nbgrader's metadata out of the text twin
JUPYTEXT_FILTER = "-nbgrader"


def as_points(value: object, name: str = "points") -> int | float:
    """``value`` as a number of points: a positive finite number, an int when it is whole (2.0 -> 2).

    Raises a ValueError naming ``name`` otherwise (a bool, a string, zero, a negative number, NaN).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return int(value) if float(value).is_integer() else float(value)


def total_points(values: Iterable[int | float]) -> int | float:
    """The sum of ``values``, an int when it is whole (so 1 + 1 is written 2, not 2.0)."""
    total = math.fsum(values)
    return int(total) if total.is_integer() else total


def cell_points(metadata: Mapping, name: str = "points") -> int | float:
    """The points a check cell's metadata gives its exercise (``{"dlcourse": {"points": 2}}``), default 1."""
    own = metadata.get(POINTS_KEY, {})
    if not isinstance(own, Mapping):
        raise ValueError(f"{name}: expected the cell metadata '{POINTS_KEY}' to be a mapping, got {own!r}")
    unknown = sorted(set(own) - {"points"})
    if unknown:
        raise ValueError(f"{name}: unknown '{POINTS_KEY}' metadata {unknown} (expected only 'points')")
    return as_points(own.get("points", DEFAULT_POINTS), name)


def exercise_metadata(tag: str) -> dict:
    """nbgrader's metadata for an exercise cell tagged ``tag``: an autograded answer."""
    return _metadata(tag, grade=False, solution=True, locked=False)


def check_metadata(tag: str, points: int | float) -> dict:
    """nbgrader's metadata for a check cell tagged ``tag``: a locked autograder test worth ``points``."""
    return _metadata(tag, grade=True, solution=False, locked=True, points=points)


def answer_metadata(grade_id: str) -> dict:
    """nbgrader's metadata for a markdown cell with a written answer: manually graded, worth 0 points."""
    return _metadata(grade_id, grade=True, solution=True, locked=False, points=0)


def _metadata(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked}
    if points is not None:
        meta["points"] = points
    meta.update(schema_version=SCHEMA_VERSION, solution=solution, task=False)
    return meta


def jupytext_filter(current: str | None) -> str:
    """jupytext's ``cell_metadata_filter`` with nbgrader's metadata excluded (other entries kept)."""
    parts = [p.strip() for p in (current or "").split(",") if p.strip()]
    if "-all" in parts or JUPYTEXT_FILTER in parts:
        return ",".join(parts)
    return ",".join([*parts, JUPYTEXT_FILTER])
