"""Every chapter, executed whole: the solutions within budget, the learner's copy failing only where it should.

Budgets (AUTHORING.md): each notebook under 60 s, part one (chapters 00-14) under 5 minutes and the whole course
(00-17) under 6 minutes, each kernel under 1 GB, offline.
The solutions are executed by nbval (collected from solutions/ before tests/ by the default ``pytest`` run), whose
time and kernel memory conftest.py records; a solutions notebook nbval did not run in this session is executed
here instead. The learner copies are executed here, offline (non-loopback connections refused).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from notebook_runner import NBVAL_KEY, RUNS_KEY, Run, execute

from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
COURSE = sorted((ROOT / "course").glob("*.ipynb"))
NOTEBOOK_SECONDS, PART_ONE_SECONDS, COURSE_SECONDS, KERNEL_MIB = 60.0, 300.0, 360.0, 1024.0
PART_TWO = "15"  # the first chapter of part two, Going further
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.notebooks


def measured(path: Path, config) -> Run:
    """This session's measurement of a solutions notebook: nbval's, or a fresh offline run."""
    runs = config.stash.setdefault(RUNS_KEY, {})
    if path.name not in runs:
        stats = config.stash.get(NBVAL_KEY, {}).get(path.name)
        if stats and stats["peak_mib"] is not None and not stats["failed"]:
            runs[path.name] = Run(path, stats["seconds"], stats["peak_mib"], None, source="nbval")
        else:
            runs[path.name] = execute(path)
    return runs[path.name]


def test_there_are_chapters():
    assert [p.name for p in SOLUTIONS] == [p.name for p in COURSE]
    assert {"00", "01"} <= {p.name[:2] for p in SOLUTIONS}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solutions_notebook_within_budget(path, request):
    run = measured(path, request.config)
    assert not run.errors, f"{path.name} raised: {run.errors}"
    assert run.seconds < NOTEBOOK_SECONDS, f"{path.name} took {run.seconds:.1f} s (budget {NOTEBOOK_SECONDS:.0f} s)"
    assert run.peak_mib < KERNEL_MIB, f"{path.name}'s kernel peaked at {run.peak_mib:.0f} MiB"


def test_whole_course_within_budget(request):
    part_one = sum(measured(p, request.config).seconds for p in SOLUTIONS if p.name[:2] < PART_TWO)
    total = sum(measured(p, request.config).seconds for p in SOLUTIONS)
    assert part_one < PART_ONE_SECONDS, f"chapters 00-14 took {part_one:.0f} s (budget {PART_ONE_SECONDS:.0f} s)"
    assert total < COURSE_SECONDS, f"the whole course took {total:.0f} s (budget {COURSE_SECONDS:.0f} s)"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_learner_notebook_runs_offline_and_fails_only_in_exercises(path):
    """Run unmodified, a learner's notebook fails in its exercise and check cells and nowhere else, and every
    widget in it shows a picture of its default figure (live in JupyterLab; a PNG for exports and nbval)."""
    run = execute(path, allow_errors=True)
    found = exercises(run.nb, path.name[:2], where=path.name)
    assert len(found) >= 3, f"{path.name} has {len(found)} exercises"
    allowed = {i for info in found.values() for i in (info["cell"], info["check"])}
    unexpected = {i: e for i, e in run.errors.items() if i not in allowed}
    assert not unexpected, f"cells outside exercises failed: {unexpected}"
    for name, info in found.items():
        error = run.errors.get(info["check"], "")
        assert error.startswith(("CheckFailure", "NotImplementedError", "NameError")), (
            f"exercise {name}: the check cell of an unfinished exercise should fail, got {error!r}"
        )
    widget_outputs = [
        o for c in run.nb.cells if c.cell_type == "code" for o in c.outputs if WIDGET_VIEW in o.get("data", {})
    ]
    assert widget_outputs, f"{path.name} has no interactive widget"
    for output in widget_outputs:
        assert len(output.data.get("image/png", "")) > 1000, "a widget output lacks its PNG of the default figure"
