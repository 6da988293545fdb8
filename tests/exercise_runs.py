"""Run a chapter's reference answers through its check cells and collect what each check prints, so that tests can
hold the chapter's descriptions of its checks ("in four settings", "on nine shifts") to what the checks do.

    from exercise_runs import check_outputs
    check_outputs("04")["momentum"]      # '✔ sgd_momentum_step: 4 settings x 200 steps equal ...'
"""

from __future__ import annotations

import contextlib
import importlib
import io

import nbformat
import numpy as np
from prose import chapter_path


def check_outputs(chapter: str) -> dict[str, str]:
    """Exercise name -> the text its check cell prints when run on the chapter's own (solutions) answer."""
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    namespace = {"np": np, f"ch{chapter}": importlib.import_module(f"dlcourse.checks.ch{chapter}")}
    outputs = {}
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if any(t.startswith(f"exercise-{chapter}-") for t in tags):
            exec(compile(cell.source, f"exercise cell of chapter {chapter}", "exec"), namespace)
        for tag in tags:
            if tag.startswith(f"test-{chapter}-"):
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    exec(compile(cell.source, f"check cell {tag}", "exec"), namespace)
                outputs[tag.removeprefix(f"test-{chapter}-")] = printed.getvalue()
    return outputs


WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "sixteen": 16,
}
