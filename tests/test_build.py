"""The solutions -> course pipeline: stripping answers, validating exercises, staleness, the CLI."""

from __future__ import annotations

import os
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlcourse.tools.cli import main
from dlcourse.tools.notebooks import NotebookError, build, exercises, learner_notebook, strip_solutions

ROOT = Path(__file__).resolve().parents[1]

SOLUTION_CELL = '''\
def square(x):
    """Return x squared."""
    ### BEGIN SOLUTION
    y = x * x
    return y
    ### END SOLUTION'''


def make_notebook(chapter="07", with_check=True):
    cells = [
        new_markdown_cell("# 07 · Title"),
        new_code_cell(
            "import numpy as np", execution_count=3, outputs=[new_output("stream", name="stdout", text="hi\n")]
        ),
        new_code_cell(SOLUTION_CELL, metadata={"tags": [f"exercise-{chapter}-square"]}),
    ]
    if with_check:
        cells.append(new_code_cell("assert square(3) == 9", metadata={"tags": [f"test-{chapter}-square"]}))
    cells.append(new_markdown_cell("Explain.\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"))
    nb = new_notebook(cells=cells)
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    return nb


def write_project(root: Path, nb=None, name="07_topic") -> Path:
    (root / "solutions").mkdir(parents=True, exist_ok=True)
    nb = nb or make_notebook()
    path = root / "solutions" / f"{name}.ipynb"
    nbformat.write(nb, path)
    jupytext.write(nb, path.with_suffix(".py"), fmt="py:percent")
    return path


# --- stripping ------------------------------------------------------------------------------------
def test_strip_keeps_indentation_and_removes_answer():
    out = strip_solutions(SOLUTION_CELL)
    assert out.splitlines() == [
        "def square(x):",
        '    """Return x squared."""',
        "    # YOUR CODE HERE",
        "    raise NotImplementedError()",
    ]


def test_strip_markdown_answer():
    assert strip_solutions("Q?\n### BEGIN SOLUTION\nA.\n### END SOLUTION", "markdown") == "Q?\nYOUR ANSWER HERE"


def test_strip_leaves_cells_without_markers_alone():
    src = "x = 1\n# a comment mentioning SOLUTION\ny = 2"
    assert strip_solutions(src) == src


@pytest.mark.parametrize(
    "src, words",
    [
        ("### BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n### END SOLUTION", "without a matching"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_strip_rejects_unbalanced_markers(src, words):
    with pytest.raises(NotebookError, match=words):
        strip_solutions(src, where="07_topic.ipynb, cell 2")


# --- validation -----------------------------------------------------------------------------------
def test_exercises_maps_each_exercise_to_its_check():
    assert exercises(make_notebook(), "07") == {"square": {"cell": 2, "check": 3}}


def test_exercise_without_check_is_rejected():
    with pytest.raises(NotebookError, match="exactly one check cell tagged 'test-07-square'"):
        exercises(make_notebook(with_check=False), "07")


def test_check_before_exercise_is_rejected():
    nb = make_notebook()
    nb.cells[2], nb.cells[3] = nb.cells[3], nb.cells[2]
    with pytest.raises(NotebookError, match="after cell"):
        exercises(nb, "07")


def test_untagged_solution_is_rejected():
    nb = make_notebook()
    nb.cells[2].metadata["tags"] = []
    with pytest.raises(NotebookError, match="needs the tag 'exercise-07-<name>'"):
        exercises(nb, "07")


def test_tag_of_another_chapter_is_rejected():
    with pytest.raises(NotebookError, match="names chapter 03, expected 07"):
        exercises(make_notebook(chapter="03"), "07")


def test_orphan_check_is_rejected():
    nb = make_notebook()
    nb.cells.append(new_code_cell("pass", metadata={"tags": ["test-07-other"]}))
    with pytest.raises(NotebookError, match="no matching"):
        exercises(nb, "07")


# --- the learner's copy ---------------------------------------------------------------------------
def test_learner_notebook_strips_answers_outputs_and_state():
    nb = make_notebook()
    out = learner_notebook(nb, "07_topic.ipynb")
    assert "y = x * x" not in out.cells[2].source and "raise NotImplementedError()" in out.cells[2].source
    assert out.cells[4].source == "Explain.\nYOUR ANSWER HERE"
    assert all(c.outputs == [] and c.execution_count is None for c in out.cells if c.cell_type == "code")
    assert "widgets" not in out.metadata and "jupytext" not in out.metadata
    assert out.cells[2].metadata["tags"] == ["exercise-07-square", "raises-exception"]
    assert out.cells[3].metadata["tags"] == ["test-07-square", "raises-exception"]
    assert "tags" not in out.cells[1].metadata, "only exercise and check cells may raise"
    assert "y = x * x" in nb.cells[2].source, "the solutions notebook itself must not change"
    assert nb.cells[3].metadata["tags"] == ["test-07-square"]


def test_solutions_must_not_tag_exercises_raises_exception():
    """The answers must pass nbval for real; only the learner's copy gets the tag."""
    nb = make_notebook()
    nb.cells[3].metadata["tags"].append("raises-exception")
    with pytest.raises(NotebookError, match="cell 3: an exercise or check cell of solutions/ must not be tagged"):
        learner_notebook(nb, "07_topic.ipynb")


@pytest.mark.parametrize("path", sorted((ROOT / "course").glob("*.ipynb")), ids=lambda p: p.stem)
def test_course_tags_exactly_the_exercise_and_check_cells_raises_exception(path):
    """So that JupyterLab's Run All runs every cell of an untouched learner notebook (tests/test_browser.py)."""
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb, path.name[:2], where=path.name)
    graded = {i for info in found.values() for i in (info["cell"], info["check"])}
    tagged = {i for i, c in enumerate(nb.cells) if "raises-exception" in c.metadata.get("tags", [])}
    assert tagged == graded


# --- build and --check ----------------------------------------------------------------------------
def test_build_writes_course_and_check_passes(tmp_path):
    write_project(tmp_path)
    report = build(tmp_path)
    assert report.written == ["course/07_topic.ipynb"]
    assert build(tmp_path, check=True).ok
    assert build(tmp_path).written == []  # idempotent
    sol = nbformat.read(tmp_path / "solutions/07_topic.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in sol.cells if c.cell_type == "code"), "build clears stored outputs"


def test_check_names_a_stale_course_notebook(tmp_path):
    path = write_project(tmp_path)
    build(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "# 07 · A new title"
    nbformat.write(nb, path)
    jupytext.write(nb, path.with_suffix(".py"), fmt="py:percent")
    stale = build(tmp_path, check=True).stale
    assert len(stale) == 1 and stale[0].startswith("course/07_topic.ipynb: out of date")


def test_check_names_a_stale_jupytext_pair(tmp_path):
    path = write_project(tmp_path)
    build(tmp_path)
    py = path.with_suffix(".py")
    py.write_text(py.read_text().replace("Explain.", "Explain better."))
    stale = build(tmp_path, check=True).stale
    assert any(s.startswith("solutions/07_topic.py: jupytext pair") for s in stale)


def test_check_names_missing_pair_stored_outputs_and_orphans(tmp_path):
    path = write_project(tmp_path)
    build(tmp_path)
    path.with_suffix(".py").unlink()
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="x\n")]
    nbformat.write(nb, path)
    (tmp_path / "course/99_gone.ipynb").write_text("{}")
    stale = "\n".join(build(tmp_path, check=True).stale)
    assert "solutions/07_topic.py: jupytext pair is missing" in stale
    assert "solutions/07_topic.ipynb: stores outputs" in stale
    assert "course/99_gone.ipynb: has no source" in stale


def test_build_syncs_an_edited_text_file_into_the_notebook(tmp_path):
    path = write_project(tmp_path)
    build(tmp_path)
    py = path.with_suffix(".py")
    time.sleep(0.05)
    py.write_text(py.read_text().replace("Explain.", "Explain better."))
    os.utime(py, (time.time() + 5, time.time() + 5))
    build(tmp_path)
    assert "Explain better." in nbformat.read(path, as_version=4).cells[4].source
    assert "Explain better." in (tmp_path / "course/07_topic.ipynb").read_text()
    assert build(tmp_path, check=True).ok


def test_bad_notebook_name_is_rejected(tmp_path):
    write_project(tmp_path, name="Topic")
    with pytest.raises(NotebookError, match="NN_topic.ipynb"):
        build(tmp_path, check=True)


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_check_exit_codes_and_messages(tmp_path, capsys):
    write_project(tmp_path)
    assert main(["build", "--check", "--root", str(tmp_path)]) == 1
    assert "course/07_topic.ipynb: out of date" in capsys.readouterr().err
    assert main(["build", "--root", str(tmp_path)]) == 0
    assert "wrote course/07_topic.ipynb" in capsys.readouterr().out
    assert main(["build", "--check", "--root", str(tmp_path)]) == 0


def test_cli_reports_a_broken_notebook_without_traceback(tmp_path, capsys):
    write_project(tmp_path, nb=make_notebook(with_check=False))
    assert main(["build", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlcourse build: 07_topic.ipynb: exercise 'square'") and "Traceback" not in err


# --- the real course ------------------------------------------------------------------------------
def test_the_course_is_up_to_date(tmp_path):
    """`dlcourse build --check` on this repository: course/ and every jupytext pair are current."""
    report = build(ROOT, check=True)
    assert report.ok, "\n".join(report.stale)


def test_every_course_notebook_keeps_its_checks_and_hides_its_answers():
    for sol_path in sorted((ROOT / "solutions").glob("*.ipynb")):
        sol = nbformat.read(sol_path, as_version=4)
        course = nbformat.read(ROOT / "course" / sol_path.name, as_version=4)
        found = exercises(sol, sol_path.name[:2], where=sol_path.name)
        assert len(found) >= 3, f"{sol_path.name} has {len(found)} exercises, at least 3 expected"
        for info in found.values():
            assert course.cells[info["check"]].source == sol.cells[info["check"]].source
            assert "raise NotImplementedError()" in course.cells[info["cell"]].source
        assert "### BEGIN SOLUTION" not in "\n".join(c.source for c in course.cells)
