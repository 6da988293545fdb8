"""From solutions/ to course/: strip the answers, clear the outputs, and check that nothing is stale.

Conventions (nbgrader's markers, so an instructor may also use nbgrader):

* an answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a code cell tagged
  ``exercise-NN-name``; the learner's copy gets ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the
  marker's indentation (a written answer in a markdown cell, untagged, becomes ``YOUR ANSWER HERE``);
* each exercise has exactly one later check cell tagged ``test-NN-name``, where NN is the chapter number;
* every ``solutions/NN_topic.ipynb`` is paired with ``solutions/NN_topic.py`` (jupytext, percent format);
* each exercise is worth 1 point unless its check cell's metadata says ``{"dlcourse": {"points": 2}}``; build
  writes nbgrader's cell metadata from the tags and points, into solutions/ and course/
  (:mod:`dlcourse.tools.nbgrader_metadata`), so that ``nbgrader generate_assignment`` and ``autograde`` work on them
  and count the points ``dlcourse grade`` counts;
* in the learner's copy, exercise and check cells carry the tag ``raises-exception``: JupyterLab's Run All then
  goes on past an unfinished exercise (it stops at the first cell that raises unless the cell has that tag), so a
  learner sees every cell of the chapter run. Graders must not read the tag as "failing is fine":
  ``dlcourse grade`` uses the canonical cells of solutions/, and the pytest plugin :mod:`dlcourse.tools.nbval_checks`
  makes plain nbval fail such cells when they raise.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import nbgrader_metadata as nbg

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
NOTEBOOK_NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
JUPYTEXT_FORMAT = "py:percent"
#: JupyterLab (and nbval) read this cell tag as "this cell may raise": Run All does not stop there
RAISES_EXCEPTION = "raises-exception"
EXERCISE_TAG = re.compile(r"^(exercise|test)-(\d\d)-([a-z0-9_-]+)$")


class NotebookError(ValueError):
    """A solutions notebook breaks the conventions above; the message names the file and the cell."""


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every BEGIN/END SOLUTION region (markers included) with the learner's stub."""
    out, inside, indent = [], False, ""
    for lineno, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise NotebookError(f"{where}, line {lineno}: '{BEGIN}' inside another solution region")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
            out.extend(indent + s for s in stub)
        elif stripped.startswith(END):
            if not inside:
                raise NotebookError(f"{where}, line {lineno}: '{END}' without a matching '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(nb: nbformat.NotebookNode, chapter: str, where: str = "notebook") -> dict[str, dict]:
    """Map each exercise name to {'cell': index of its solution cell, 'check': index of its check cell}.

    Raises NotebookError when a solution cell is untagged, a tag has the wrong chapter, or an exercise does not
    have exactly one check cell after it.
    """
    found: dict[str, dict] = {}
    checks: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        for tag in _tags(cell):
            m = EXERCISE_TAG.match(tag)
            if not m:
                continue
            kind, nn, name = m.groups()
            if nn != chapter:
                raise NotebookError(f"{where}, cell {i}: tag '{tag}' names chapter {nn}, expected {chapter}")
            if kind == "exercise":
                if name in found:
                    raise NotebookError(f"{where}, cell {i}: exercise '{name}' is tagged twice")
                found[name] = {"cell": i}
            else:
                checks.setdefault(name, []).append(i)
        if (
            cell.cell_type == "code"
            and BEGIN in cell.source
            and not any(t.startswith(f"exercise-{chapter}-") for t in _tags(cell))
        ):
            raise NotebookError(f"{where}, cell {i}: a solution region needs the tag 'exercise-{chapter}-<name>'")
    for name, info in found.items():
        where_checks = checks.get(name, [])
        if len(where_checks) != 1 or where_checks[0] <= info["cell"]:
            raise NotebookError(
                f"{where}: exercise '{name}' needs exactly one check cell tagged "
                f"'test-{chapter}-{name}' after cell {info['cell']}, found cells {where_checks}"
            )
        info["check"] = where_checks[0]
    orphans = sorted(set(checks) - set(found))
    if orphans:
        raise NotebookError(f"{where}: check cells {orphans} have no matching exercise-{chapter}-<name> cell")
    return found


def exercise_points(nb: nbformat.NotebookNode, chapter: str, where: str = "notebook") -> dict[str, int | float]:
    """{exercise name: the points it is worth}, in the notebook's order, read from the check cells' metadata."""
    points = {}
    for name, info in exercises(nb, chapter, where=where).items():
        try:
            points[name] = nbg.cell_points(nb.cells[info["check"]].metadata, f"{where}, cell {info['check']}: points")
        except ValueError as exc:
            raise NotebookError(str(exc)) from None
    return points


def nbgrader_cells(nb: nbformat.NotebookNode, chapter: str, where: str = "notebook") -> dict[int, dict]:
    """{cell index: the nbgrader metadata that cell should carry}; cells not listed carry none."""
    points = exercise_points(nb, chapter, where=where)
    wanted: dict[int, dict] = {}
    for name, info in exercises(nb, chapter, where=where).items():
        wanted[info["cell"]] = nbg.exercise_metadata(f"exercise-{chapter}-{name}")
        wanted[info["check"]] = nbg.check_metadata(f"test-{chapter}-{name}", points[name])
    answers = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and BEGIN in cell.source:
            answers += 1
            wanted[i] = nbg.answer_metadata(f"answer-{chapter}-{answers}")
    return wanted


def set_nbgrader_metadata(nb: nbformat.NotebookNode, chapter: str, where: str = "notebook") -> bool:
    """Give every cell the nbgrader metadata its tags call for (and no other); True if anything changed."""
    wanted = nbgrader_cells(nb, chapter, where=where)
    changed = False
    for i, cell in enumerate(nb.cells):
        meta = wanted.get(i)
        if cell.metadata.get("nbgrader") == meta:
            continue
        if meta is None and "nbgrader" not in cell.metadata:
            continue
        if meta is None:
            del cell.metadata["nbgrader"]
        else:
            cell.metadata["nbgrader"] = nbformat.from_dict(meta)
        changed = True
    return changed


def set_solution_metadata(nb: nbformat.NotebookNode, chapter: str, where: str = "notebook") -> bool:
    """A solutions notebook's metadata as build keeps it: nbgrader's on the cells, and jupytext told to leave it
    out of the text twin; True if anything changed."""
    changed = set_nbgrader_metadata(nb, chapter, where=where)
    jupytext_meta = nb.metadata.setdefault("jupytext", {})
    wanted = nbg.jupytext_filter(jupytext_meta.get("cell_metadata_filter"))
    if jupytext_meta.get("cell_metadata_filter") != wanted:
        jupytext_meta["cell_metadata_filter"] = wanted
        changed = True
    return changed


def learner_notebook(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The learner's copy of a solutions notebook: answers stripped, outputs and widget state cleared."""
    chapter = name[:2]
    exercises(nb, chapter, where=name)  # validate before writing anything
    for i, cell in enumerate(nb.cells):
        if RAISES_EXCEPTION in _tags(cell) and any(EXERCISE_TAG.match(t) for t in _tags(cell)):
            raise NotebookError(
                f"{name}, cell {i}: an exercise or check cell of solutions/ must not be tagged "
                f"'{RAISES_EXCEPTION}' (the answers must pass; the learner's copy gets the tag)"
            )
    out = copy.deepcopy(nb)
    set_nbgrader_metadata(out, chapter, where=name)
    out.metadata.pop("widgets", None)
    out.metadata.pop("jupytext", None)
    for i, cell in enumerate(out.cells):
        cell.source = strip_solutions(cell.source, cell.cell_type, where=f"{name}, cell {i}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            tags = _tags(cell)
            if any(EXERCISE_TAG.match(t) for t in tags) and RAISES_EXCEPTION not in tags:
                cell.metadata["tags"] = tags + [RAISES_EXCEPTION]
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    return out


def clear_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs, execution counts and widget state in place (what stored solutions notebooks carry)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def _pair_differs(nb, text_path: Path) -> str | None:
    """Why the jupytext text file and the notebook disagree, or None if they hold the same cells."""
    import jupytext

    if not text_path.exists():
        return "missing"
    text_nb = jupytext.read(text_path, fmt=JUPYTEXT_FORMAT)
    a = [(c.cell_type, c.source.strip(), sorted(_tags(c)), c.metadata.get(nbg.POINTS_KEY)) for c in nb.cells]
    b = [(c.cell_type, c.source.strip(), sorted(_tags(c)), c.metadata.get(nbg.POINTS_KEY)) for c in text_nb.cells]
    if len(a) != len(b):
        return f"{len(a)} cells in the notebook, {len(b)} in the text file"
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"cell {i} differs"
    return None


@dataclass
class BuildReport:
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # messages: 'path: why'

    @property
    def ok(self) -> bool:
        return not self.stale


def solution_notebooks(root: Path) -> list[Path]:
    paths = sorted((root / "solutions").glob("*.ipynb"))
    for p in paths:
        if not NOTEBOOK_NAME.match(p.name):
            raise NotebookError(f"{p}: notebook names must look like NN_topic.ipynb (lower case)")
    return paths


def sync_pairs(root: Path) -> None:
    """Bring each solutions notebook and its jupytext text file up to date (jupytext: the newer one wins)."""
    for nb_path in solution_notebooks(root):
        sync_pair(nb_path)


def sync_pair(nb_path: Path) -> None:
    """Bring one solutions notebook and its jupytext text file up to date (the newer one wins)."""
    from jupytext.cli import jupytext as jupytext_cli

    if nb_path.with_suffix(".py").exists():
        jupytext_cli(["--quiet", "--sync", str(nb_path)])
    else:
        jupytext_cli(["--quiet", "--set-formats", f"ipynb,{JUPYTEXT_FORMAT}", str(nb_path)])


def build(root: Path, check: bool = False) -> BuildReport:
    """Write course/ from solutions/ (or, with ``check``, only report what is stale).

    Stale means: a course notebook missing, different from what build would write, or left over from a deleted
    chapter; a jupytext pair missing or disagreeing; a solutions notebook storing outputs, or whose nbgrader
    metadata is not what its tags and points call for.
    """
    root = Path(root)
    report = BuildReport()
    if not check:
        sync_pairs(root)
    course = root / "course"
    expected_names = set()
    for nb_path in solution_notebooks(root):
        rel = nb_path.relative_to(root)
        nb = nbformat.read(nb_path, as_version=4)
        why = _pair_differs(nb, nb_path.with_suffix(".py"))
        if why:
            report.stale.append(
                f"{rel.with_suffix('.py')}: jupytext pair is {why} (run `jupytext --sync {rel}` or `dlcourse build`)"
            )
        rewrite = False
        if any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code"):
            if check:
                report.stale.append(f"{rel}: stores outputs (run `dlcourse build` to clear them)")
            else:
                clear_outputs(nb)
                rewrite = True
        marked = copy.deepcopy(nb) if check else nb
        if set_solution_metadata(marked, nb_path.name[:2], where=nb_path.name):
            if check:
                report.stale.append(f"{rel}: nbgrader metadata is missing or out of date (run `dlcourse build`)")
            else:
                rewrite = True
        if rewrite:
            nbformat.write(nb, nb_path)
            sync_pair(nb_path)  # the text twin is touched too: jupytext opens a pair whose text is the newer file
        text = dumps(learner_notebook(nb, nb_path.name))
        target = course / nb_path.name
        expected_names.add(nb_path.name)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            if check:
                report.stale.append(f"{target.relative_to(root)}: out of date with {rel} (run `dlcourse build`)")
            else:
                course.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
                report.written.append(str(target.relative_to(root)))
    for extra in sorted(course.glob("*.ipynb")) if course.exists() else []:
        if extra.name not in expected_names:
            if check:
                report.stale.append(f"{extra.relative_to(root)}: has no source in solutions/ (delete it)")
            else:
                extra.unlink()
                report.written.append(f"{extra.relative_to(root)} (deleted)")
    return report
