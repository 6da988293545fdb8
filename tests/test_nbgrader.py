"""nbgrader works on the course, and counts what ``dlcourse grade`` counts.

``dlcourse build`` writes nbgrader's cell metadata from the tags and points (dlcourse/tools/nbgrader_metadata.py);
these tests hold it to nbgrader's own validator, show what build writes and checks, and, last, run
``nbgrader generate_assignment`` and ``nbgrader autograde`` on a chapter and ``dlcourse grade`` on the very same
submissions: the two give every learner the same points, exercise by exercise.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlcourse.tools.grading import grade
from dlcourse.tools.notebooks import (
    NotebookError,
    build,
    exercise_points,
    exercises,
    learner_notebook,
    set_nbgrader_metadata,
    set_solution_metadata,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
COURSE = sorted((ROOT / "course").glob("*.ipynb"))


def test_every_notebook_passes_nbgraders_own_validation():
    from nbgrader.nbgraderformat import MetadataValidator

    validator = MetadataValidator()
    for path in SOLUTIONS + COURSE:
        validator.validate_nb(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_exercise_and_check_cells_carry_nbgraders_metadata_and_nothing_else_does(path):
    chapter = path.name[:2]
    nb = nbformat.read(path, as_version=4)
    course = nbformat.read(ROOT / "course" / path.name, as_version=4)
    points = exercise_points(nb, chapter, where=path.name)
    marked: set[int] = set()
    for name, info in exercises(nb, chapter).items():
        answer, check = nb.cells[info["cell"]].metadata["nbgrader"], nb.cells[info["check"]].metadata["nbgrader"]
        assert (answer["solution"], answer["grade"], answer["grade_id"]) == (True, False, f"exercise-{chapter}-{name}")
        assert (check["grade"], check["locked"], check["solution"]) == (True, True, False)
        assert (check["grade_id"], check["points"]) == (f"test-{chapter}-{name}", points[name])
        marked |= {info["cell"], info["check"]}
    assert {i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata} == marked
    assert [c.metadata.get("nbgrader") for c in course.cells] == [c.metadata.get("nbgrader") for c in nb.cells]
    assert "nbgrader" not in path.with_suffix(".py").read_text(encoding="utf-8").replace("-nbgrader", "")


# ------------------------------------------------------------------------------------ what build writes


def write_project(root: Path, points_header: str = "") -> Path:
    """A one-chapter project whose .py twin is the source; ``points_header`` ends the check cell's header."""
    (root / "solutions").mkdir(parents=True)
    py = root / "solutions" / "07_topic.py"
    py.write_text(
        "# %% [markdown]\n# # 07 · Title\n\n"
        '# %% tags=["exercise-07-square"]\ndef square(x):\n    ### BEGIN SOLUTION\n    return x * x\n'
        "    ### END SOLUTION\n\n\n"
        f'# %% tags=["test-07-square"]{points_header}\nassert square(3) == 9\n\n'
        "# %% [markdown]\n# Why?\n# ### BEGIN SOLUTION\n# Because.\n# ### END SOLUTION\n",
        encoding="utf-8",
    )
    nb = jupytext.read(py, fmt="py:percent")
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    nbformat.write(nb, py.with_suffix(".ipynb"))
    os.utime(py.with_suffix(".ipynb"), (1_000_000_000, 1_000_000_000))  # the .py is the newer file
    return py


def cells(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.cell_type, c.source, c.metadata.get("tags"), c.metadata.get("dlcourse")) for c in nb.cells]


def test_build_writes_the_metadata_and_points_from_the_text_twin(tmp_path):
    py = write_project(tmp_path, ' dlcourse={"points": 2}')
    text_before = py.read_text(encoding="utf-8")
    build(tmp_path)
    assert build(tmp_path, check=True).ok
    nb = nbformat.read(py.with_suffix(".ipynb"), as_version=4)
    assert nb.cells[2].metadata["nbgrader"]["points"] == 2 and exercise_points(nb, "07") == {"square": 2}
    assert nb.cells[3].metadata["nbgrader"] == {  # a written answer: nbgrader grades it by hand, worth 0 points
        "grade": True,
        "grade_id": "answer-07-1",
        "locked": False,
        "points": 0,
        "schema_version": 3,
        "solution": True,
        "task": False,
    }
    course = nbformat.read(tmp_path / "course" / "07_topic.ipynb", as_version=4)
    assert [c.metadata.get("nbgrader") for c in course.cells] == [c.metadata.get("nbgrader") for c in nb.cells]
    text_after = py.read_text(encoding="utf-8")
    assert "nbgrader=" not in text_after and 'dlcourse={"points": 2}' in text_after
    assert cells(jupytext.reads(text_after, fmt="py:percent")) == cells(jupytext.reads(text_before, fmt="py:percent"))
    assert py.stat().st_mtime >= py.with_suffix(".ipynb").stat().st_mtime, "jupytext opens a pair whose .py is newer"


def test_check_reports_metadata_that_is_missing_or_written_by_hand(tmp_path):
    py = write_project(tmp_path)
    build(tmp_path)
    path = py.with_suffix(".ipynb")
    nb = nbformat.read(path, as_version=4)
    del nb.cells[1].metadata["nbgrader"]
    nb.cells[0].metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True, "grade_id": "title"}
    nbformat.write(nb, path)
    stale = build(tmp_path, check=True).stale
    assert stale == ["solutions/07_topic.ipynb: nbgrader metadata is missing or out of date (run `dlcourse build`)"]
    build(tmp_path)
    nb = nbformat.read(path, as_version=4)
    assert "nbgrader" in nb.cells[1].metadata and "nbgrader" not in nb.cells[0].metadata
    assert build(tmp_path, check=True).ok


@pytest.mark.parametrize("points", [0, -1, "2", True, float("nan"), {"pts": 2}])
def test_bad_points_are_named_with_the_cell(points):
    nb = new_notebook(
        cells=[
            new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", metadata={"tags": ["exercise-07-x"]}),
            new_code_cell("assert x == 1", metadata={"tags": ["test-07-x"], "dlcourse": {"points": points}}),
        ]
    )
    if isinstance(points, dict):
        nb.cells[1].metadata["dlcourse"] = points
    with pytest.raises(NotebookError, match=r"^07_topic.ipynb, cell 1: points: .*expected"):
        learner_notebook(nb, "07_topic.ipynb")


def test_solution_metadata_keeps_other_jupytext_filters():
    nb = new_notebook(cells=[new_markdown_cell("# 07")])
    nb.metadata["jupytext"] = {"cell_metadata_filter": "tags,-lines_to_next_cell"}
    assert set_solution_metadata(nb, "07") is True
    assert nb.metadata["jupytext"]["cell_metadata_filter"] == "tags,-lines_to_next_cell,-nbgrader"
    assert set_solution_metadata(nb, "07") is False


# ------------------------------------------------------------------------------------ nbgrader against dlcourse grade


CHAPTER, ASSIGNMENT = "00", "ch00"


def trimmed(folder: str, points: dict[str, int]) -> nbformat.NotebookNode:
    """Chapter 00 from ``folder``: its setup cell, exercise and check cells, with ``points`` on the checks."""
    path = next((ROOT / folder).glob(f"{CHAPTER}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb, CHAPTER)
    for name, worth in points.items():
        nb.cells[found[name]["check"]].metadata["dlcourse"] = {"points": worth}
    keep = {i for info in found.values() for i in (info["cell"], info["check"])}
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = [c for i, c in enumerate(nb.cells) if i == first_code or i in keep]
    set_nbgrader_metadata(nb, CHAPTER)  # the points, as build writes them into solutions/ and course/
    return nb


def nbgrader(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={cwd}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.notebooks
def test_nbgrader_and_dlcourse_grade_give_the_same_points(tmp_path):
    solutions = nbformat.read(next((ROOT / "solutions").glob(f"{CHAPTER}_*.ipynb")), as_version=4)
    names = list(exercises(solutions, CHAPTER))
    points = {names[0]: 2, names[2]: 3}  # not all worth 1, so a count of passed checks would disagree
    source = trimmed("solutions", points)
    notebook = next((ROOT / "solutions").glob(f"{CHAPTER}_*.ipynb")).name

    course = tmp_path / "nbgrader"  # nbgrader's course folder: source/, release/, submitted/, autograded/
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source, course / "source" / ASSIGNMENT / notebook)
    nbgrader("generate_assignment", ASSIGNMENT, cwd=course)
    released = nbformat.read(course / "release" / ASSIGNMENT / notebook, as_version=4)

    found = exercises(source, CHAPTER)
    answers = {name: source.cells[found[name]["cell"]].source for name in names}

    def solved(nb: nbformat.NotebookNode, which: list[str]) -> nbformat.NotebookNode:
        nb = copy.deepcopy(nb)
        for name in which:
            nb.cells[exercises(nb, CHAPTER)[name]["cell"]].source = answers[name]
        return nb

    wrong = solved(released, names[1:])
    wrong.cells[exercises(wrong, CHAPTER)[names[2]]["cell"]].source = answers[names[2]].replace("def ", "def _", 1)
    learner_copy = trimmed("course", points)
    submissions = {
        "alice": solved(released, names),  # nbgrader's release, every answer
        "bob": released,  # nbgrader's release, untouched
        "carol": solved(learner_copy, names[:2]),  # the course/ copy that dlcourse build hands out, two answers
        "dave": wrong,  # a wrong answer among right ones
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / notebook)
    nbgrader("autograde", ASSIGNMENT, cwd=course)

    from nbgrader.api import Gradebook

    by_nbgrader = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in submissions:
            graded = gb.find_submission(ASSIGNMENT, student).notebooks[0]
            by_nbgrader[student] = {g.name.split("-", 2)[2]: (g.score, g.max_score) for g in graded.grades}

    root = tmp_path / "dlcourse"  # the same chapter as dlcourse grade's course folder
    (root / "solutions").mkdir(parents=True)
    nbformat.write(source, root / "solutions" / notebook)
    results = grade([course / "submitted"], tmp_path / "grades", root, jobs=2, progress=False, feedback=False)
    by_dlcourse = {}
    for r in results:
        student = Path(r.submission).relative_to(course / "submitted").parts[0]
        by_dlcourse[student] = {k.split("-", 1)[1]: (e.earned, e.points) for k, e in r.exercises.items()}

    assert by_dlcourse == by_nbgrader
    totals = {s: sum(score for score, _ in ex.values()) for s, ex in by_dlcourse.items()}
    top = sum(1 for _ in names) + sum(p - 1 for p in points.values())
    assert totals == {"alice": top, "bob": 0, "carol": 2 + 1, "dave": top - 2 - 3}
    shutil.rmtree(course / "autograded")  # what nbgrader wrote is not needed any more
