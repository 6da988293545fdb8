"""Make a submission gradable: find its chapter and put the canonical check cells back in place.

A learner may have edited a check cell, deleted it, or retagged it; none of that may change the grade. So before a
submission runs, every check cell of its chapter is restored from solutions/: a cell carrying the check's tag gets
the canonical source and metadata back (so a ``raises-exception`` or ``nbval-skip`` tag added to it is gone); a
missing check is re-inserted right after its exercise cell (or at the end if that is gone too); tags copied onto
other cells are removed. Each restored check first reloads the chapter's check module,
so a learner's reassignment of ``chNN.check_...`` earlier in the notebook has no effect.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..notebooks import exercises

_NAME = re.compile(r"^(\d\d)_")


class SubmissionError(ValueError):
    """The submission cannot be graded at all (malformed file, unknown chapter); the message says why.

    ``chapter`` is set when the chapter is still known (from the file name), so the grade sheet can show the
    chapter's exercises as failed.
    """

    def __init__(self, message: str, chapter: str | None = None) -> None:
        super().__init__(message)
        self.chapter = chapter


@dataclass
class Prepared:
    """A submission ready to run: its chapter, the notebook with canonical checks, where each check is."""

    chapter: str
    nb: nbformat.NotebookNode
    checks: dict[int, str]  # index of the check cell in nb.cells -> exercise name
    exercise_cells: dict[str, int]  # exercise name -> index of its exercise cell, when the submission has one
    canonical: dict[str, dict]  # exercise name -> {'source', 'metadata'} of its check in solutions/


def canonical_checks(root: Path, chapter: str) -> tuple[Path, dict[str, dict]]:
    """The solutions notebook of ``chapter`` and {exercise: {'cell', 'check', 'source'}} from it."""
    matches = sorted((Path(root) / "solutions").glob(f"{chapter}_*.ipynb"))
    if not matches:
        raise SubmissionError(f"no solutions notebook for chapter {chapter}")
    nb = nbformat.read(matches[0], as_version=4)
    found = exercises(nb, chapter, where=matches[0].name)
    for info in found.values():
        info["source"] = nb.cells[info["check"]].source
        info["metadata"] = copy.deepcopy(dict(nb.cells[info["check"]].metadata))
    return matches[0], found


def detect_chapter(path: Path, nb: nbformat.NotebookNode, known: set[str]) -> str:
    """The chapter from the file name (``NN_...``), else from the notebook's exercise/test tags."""
    match = _NAME.match(path.name)
    if match and match.group(1) in known:
        return match.group(1)
    tagged = {
        m.group(1)
        for cell in nb.cells
        for tag in cell.get("metadata", {}).get("tags", [])
        if (m := re.fullmatch(r"(?:exercise|test)-(\d\d)-.+", tag))
    }
    tagged &= known
    if len(tagged) == 1:
        return tagged.pop()
    raise SubmissionError(
        "cannot tell which chapter this is: name the file like NN_topic.ipynb "
        f"(known chapters: {', '.join(sorted(known)) or 'none'})"
    )


def _restore_source(chapter: str, source: str) -> str:
    module = f"ch{chapter}"
    return (
        f"import importlib as _importlib  # check restored by dlcourse grade\n"
        f"{module} = _importlib.reload(_importlib.import_module('dlcourse.checks.{module}'))\n{source}"
    )


def prepare(path: Path, root: Path, text: str | bytes | None = None) -> Prepared:
    """Read ``path`` (or its content ``text``, already read) and return the notebook to run, with canonical checks
    restored and outputs cleared."""
    known = {p.name[:2] for p in (Path(root) / "solutions").glob("*.ipynb")}
    match = _NAME.match(Path(path).name)
    try:
        if text is None:
            text = Path(path).read_bytes()
        nb = nbformat.reads(text.decode("utf-8") if isinstance(text, bytes) else text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        raise SubmissionError(
            f"malformed notebook: {type(exc).__name__}: {first_line}",
            match.group(1) if match and match.group(1) in known else None,
        ) from None
    chapter = detect_chapter(Path(path), nb, known)
    _, canon = canonical_checks(root, chapter)

    def tags(cell):
        return cell.setdefault("metadata", {}).setdefault("tags", [])

    for name, info in canon.items():
        tag = f"test-{chapter}-{name}"
        holders = [c for c in nb.cells if tag in tags(c)]
        for extra in holders[1:]:
            extra.metadata["tags"] = [t for t in tags(extra) if t != tag]
        cell = holders[0] if holders else None
        if cell is None or cell.cell_type != "code":
            if cell is not None:
                cell.metadata["tags"] = [t for t in tags(cell) if t != tag]
            cell = nbformat.v4.new_code_cell(metadata={"tags": [tag]})
            anchor = next((i for i, c in enumerate(nb.cells) if f"exercise-{chapter}-{name}" in tags(c)), None)
            nb.cells.insert(len(nb.cells) if anchor is None else anchor + 1, cell)
        cell.source = _restore_source(chapter, info["source"])
        # the canonical metadata too: no raises-exception or nbval-skip tag a learner may have added survives
        cell.metadata = nbformat.from_dict(copy.deepcopy(info["metadata"]))
    checks, exercise_cells = {}, {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        for tag in tags(cell):
            m = re.fullmatch(rf"(test|exercise)-{chapter}-(.+)", tag)
            if m and m.group(2) in canon:
                if m.group(1) == "test":
                    checks[index] = m.group(2)
                else:
                    exercise_cells.setdefault(m.group(2), index)
    canonical = {name: {"source": info["source"], "metadata": info["metadata"]} for name, info in canon.items()}
    return Prepared(chapter, nb, checks, exercise_cells, canonical)
