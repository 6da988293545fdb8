"""A pytest plugin for nbval: exercise and check cells fail when they raise, whatever their tags say.

The learner copies in course/ tag every exercise and check cell ``raises-exception``: JupyterLab's Run All stops
at the first cell that raises unless it carries that tag, and an unfinished exercise must not keep a learner from
running the rest of the chapter. nbval reads the same tag as "an exception here is expected" and would count the
failing check of an unfinished exercise as passed. This plugin, which pytest loads automatically once dlcourse is
installed (entry point ``pytest11``), makes nbval treat every cell tagged ``exercise-NN-name`` or ``test-NN-name``
like an ordinary cell: it fails when it raises and is never skipped, whatever its tags (``raises-exception``,
``nbval-skip``) or comment markers (``# NBVAL_RAISES_EXCEPTION``, ``# NBVAL_SKIP``) say.

So plain ``pytest --nbval-lax course/05_cnn.ipynb`` on an untouched learner notebook reports every check cell as
failed, and a learner cannot turn a failing check into a pass by adding one of those tags or markers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

#: the tags of the cells that grading is about (the same pattern as :data:`dlcourse.tools.notebooks.EXERCISE_TAG`)
GRADED_TAG = re.compile(r"^(exercise|test)-\d\d-[a-z0-9_-]+$")


def is_graded_cell(cell: Mapping[str, Any]) -> bool:
    """True when a notebook cell carries an ``exercise-NN-name`` or ``test-NN-name`` tag."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    return isinstance(tags, list) and any(isinstance(t, str) and GRADED_TAG.match(t) for t in tags)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Switch off nbval's "an exception is expected" and "skip" options on exercise and check cells."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # no nbval: no notebook items to adjust
        return
    for item in items:
        if isinstance(item, IPyNbCell) and is_graded_cell(item.cell):
            item.options["check_exception"] = False
            item.options["skip"] = False
