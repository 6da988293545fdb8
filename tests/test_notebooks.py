"""Every chapter, executed whole: the solutions within budget, the learner's copy failing only where it should.

Budgets (COURSE.md): each notebook under 60 s, the whole course under 5 minutes, each kernel under 1 GB, offline.
nbval (collected from solutions/ by the default ``pytest`` run) checks separately that no solutions cell errors.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from dlcourse.notebooks import exercises
from notebook_runner import RUNS_KEY, execute

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
COURSE = sorted((ROOT / "course").glob("*.ipynb"))
NOTEBOOK_SECONDS, COURSE_SECONDS, KERNEL_MIB = 60.0, 300.0, 1024.0
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.notebooks


def test_there_are_chapters():
    assert [p.name[:2] for p in SOLUTIONS] == [p.name[:2] for p in COURSE]
    assert {"00", "01"} <= {p.name[:2] for p in SOLUTIONS}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solutions_notebook_within_budget(path, request):
    run = execute(path)
    request.config.stash.setdefault(RUNS_KEY, {})[path.name] = run
    assert not run.errors
    assert run.seconds < NOTEBOOK_SECONDS, f"{path.name} took {run.seconds:.1f} s (budget {NOTEBOOK_SECONDS:.0f} s)"
    assert run.peak_mib < KERNEL_MIB, f"{path.name}'s kernel peaked at {run.peak_mib:.0f} MiB"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_widget_also_shows_a_picture(path, request):
    """Live widgets in JupyterLab; a PNG of the default figure for exports, nbval and paper."""
    run = request.config.stash.get(RUNS_KEY, {}).get(path.name) or execute(path)
    widget_outputs = [o for c in run.nb.cells if c.cell_type == "code" for o in c.outputs
                      if WIDGET_VIEW in o.get("data", {})]
    assert widget_outputs, f"{path.name} has no interactive widget"
    for output in widget_outputs:
        assert len(output.data.get("image/png", "")) > 1000, "a widget output lacks its PNG of the default figure"


def test_whole_course_within_budget(request):
    runs = request.config.stash.get(RUNS_KEY, {})
    total = sum((runs.get(p.name) or execute(p)).seconds for p in SOLUTIONS)
    assert total < COURSE_SECONDS, f"the whole course took {total:.0f} s (budget {COURSE_SECONDS:.0f} s)"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_learner_notebook_fails_only_in_exercises(path):
    """Run unmodified, a learner's notebook fails in its exercise and check cells and nowhere else."""
    run = execute(path, allow_errors=True)
    found = exercises(run.nb, path.name[:2], where=path.name)
    assert found, f"{path.name} has no exercises"
    allowed = {i for info in found.values() for i in (info["cell"], info["check"])}
    unexpected = {i: e for i, e in run.errors.items() if i not in allowed}
    assert not unexpected, f"cells outside exercises failed: {unexpected}"
    for name, info in found.items():
        error = run.errors.get(info["check"], "")
        assert error.startswith(("CheckFailure", "NotImplementedError", "NameError")), \
            f"exercise {name}: the check cell of an unfinished exercise should fail, got {error!r}"
        assert "Traceback" not in error
