"""Grade one submission: prepare it, run it in its sandbox, and judge its answers outside it.

    result = grade_one(Path("subs/01_alice.ipynb"), root=Path("."), executed_out=Path("feedback/01_alice.ipynb"))

1. The file is read once, as a regular file (a symbolic link, a folder, a device or a pipe named like a notebook is
   refused and recorded, never followed or opened), and its check cells are put back from solutions/
   (:mod:`.prepare`).
2. For each exercise whose check is data (``dlcourse.checks.exercises()``), the grader draws the cases from a
   secret seed of its own and writes them to the sandbox's input folder, and the check cell is replaced by a call
   of ``dlcourse.checks.wire.serve``: at that point of the notebook, the kernel calls the learner's function on each
   case and writes what came back, as data. The other exercises (whose answer is an object: a model, an optimizer
   ...) keep their canonical check cell, which runs in the kernel.
3. The driver (:mod:`.driver`) runs every cell in the sandbox (:mod:`.sandbox`) and sends back, as size-limited
   data (:mod:`.transport`), each cell's outcome, the answers and the executed notebook.
4. The grader judges each data exercise itself (``Exercise.judge``: the same messages the learner sees), after a
   static look at the answer's source for delegation (``Exercise.static_delegation``). A learner's tampering with
   its own kernel (a patched check, a custom exception handler, an input transformer, a fake pass line) changes
   only what the learner's function returned, never the verdict. Object exercises are graded by their check
   cell's outcome in the kernel, which a learner in control of the kernel could fake.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from . import sandbox as sb
from .prepare import SubmissionError, canonical_checks, prepare
from .record import UNSANDBOXED, ExerciseResult, GradeResult

#: the largest file read as a submission
MAX_SUBMISSION = 64 * 2**20
#: added to the submission's time limit before the grader stops its sandbox (the driver stops itself on time)
GRACE_SECONDS = 30


class NotGradable(Exception):
    """The path cannot be graded as a submission (a link, a folder, a device ...); the message says why."""


def display_name(path: Path) -> str:
    """``path`` as text that any file or table can hold: a name that is not valid UTF-8 shows its bytes escaped."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text


def read_submission(path: Path, max_bytes: int = MAX_SUBMISSION) -> bytes:
    """The bytes of ``path``, read only if it is a regular file (a link is not followed, a pipe not opened)."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise NotGradable(f"cannot read the submission: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise NotGradable("refused: a symbolic link, not a notebook file (links are not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise NotGradable("refused: not a regular file (a folder, device, pipe or socket named like a notebook)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotGradable("refused: a symbolic link, not a notebook file (links are not followed)") from None
        raise NotGradable(f"cannot read the submission: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise NotGradable("refused: not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise NotGradable(f"refused: larger than {max_bytes} bytes, too large for a notebook")
    return data


def data_exercises() -> dict[str, Any]:
    """The exercises whose checks are data (``dlcourse.checks.exercises()``), by "NN-name"."""
    try:
        from ...checks import exercises
    except ImportError:
        return {}
    return dict(exercises())


def _wire() -> Any:
    from ...checks import wire

    return wire


def _binds(source: str, name: str) -> bool:
    """Whether a cell's source binds ``name`` at its top level (def, class, assignment, import)."""
    n = re.escape(name)
    pattern = (
        rf"^(?:(?:async\s+)?def\s+{n}\b|class\s+{n}\b|{n}\s*(?::[^=]*)?=[^=]|.*\bimport\b.*\b{n}\b|.*\bas\s+{n}\b)"
    )
    return re.search(pattern, source, re.MULTILINE) is not None


def answer_source(nb: nbformat.NotebookNode, exercise_cell: int | None, functions: tuple[str, ...]) -> str:
    """The learner's code that defines the answer: the exercise cell and every other code cell binding one of the
    names in ``functions``."""
    parts = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (index == exercise_cell or any(_binds(cell.source, f) for f in functions)):
            parts.append(cell.source)
    return "\n\n".join(parts)


def serve_source(cases: str, calls: str, function: str) -> str:
    """The cell that replaces a data check in the sandbox: call the learner's function on the cases."""
    return (
        "from dlcourse.checks import wire as _dlcourse_wire  # answers collected for dlcourse grade\n"
        f"_dlcourse_wire.serve({cases!r}, {calls!r}, {function!r}, namespace=globals())\n"
    )


def _verdict_outputs(passed: bool, message: str) -> list:
    if passed:
        return [nbformat.v4.new_output("stream", name="stdout", text=message + "\n")]
    return [nbformat.v4.new_output("error", ename="CheckFailure", evalue=message, traceback=message.splitlines())]


def _same_cells(returned: nbformat.NotebookNode | None, sent: nbformat.NotebookNode) -> bool:
    """Whether the notebook that came back is the one sent, cell for cell (only its outputs may differ)."""
    if returned is None or len(returned.cells) != len(sent.cells):
        return False
    return all(a.cell_type == b.cell_type and a.source == b.source for a, b in zip(returned.cells, sent.cells))


def _write_executed(
    target: Path, nb: nbformat.NotebookNode, checks: dict[int, str], prepared: Any, verdicts: dict[str, tuple]
) -> None:
    """The executed notebook for feedback: each check cell shows its canonical source and the grader's verdict."""
    nb = copy.deepcopy(nb)
    for index, name in checks.items():
        if index >= len(nb.cells):
            continue
        cell = nb.cells[index]
        cell.source = prepared.canonical[name]["source"]
        cell.metadata = nbformat.from_dict(copy.deepcopy(prepared.canonical[name]["metadata"]))
        if name in verdicts:
            cell.outputs = _verdict_outputs(*verdicts[name])
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def grade_one(
    path: Path,
    root: Path,
    *,
    cell_timeout: float = 60,
    total_timeout: float = 900,
    executed_out: Path | None = None,
    sandbox: bool = True,
    limits: sb.Limits | None = None,
) -> GradeResult:
    """Grade one submission; every way it can fail is recorded in the result, never raised.

    Parameters
    ----------
    path : the submission (a notebook file)
    root : the course folder whose solutions/ holds the canonical check cells
    cell_timeout, total_timeout : seconds one cell, and the whole notebook, may run
    executed_out : where to write the executed notebook (outputs as the sandbox returned them, each check cell
        with its canonical source and the grader's verdict), for feedback; None: not written
    sandbox : run the notebook in its sandbox (False: without isolation, and the result says so in its reason)
    limits : the sandbox's resource limits (default: :class:`~dlcourse.tools.grading.sandbox.Limits`)
    """
    path, root = Path(path), Path(root)
    limits = limits or sb.Limits()
    start = time.perf_counter()
    try:
        data = read_submission(path)
    except NotGradable as exc:
        result = GradeResult(submission=display_name(path), sha256="")
        result.seconds = round(time.perf_counter() - start, 2)
        _write_unrun(executed_out, None)  # feedback shows this, never the file that was refused
        return _mark(result.fail(str(exc)), sandbox)
    result = GradeResult.start(path)
    result.submission, result.sha256 = display_name(path), hashlib.sha256(data).hexdigest()
    try:
        prepared = prepare(path, root, data)
    except SubmissionError as exc:
        _write_unrun(executed_out, data)
        result.chapter = exc.chapter
        result.fail(str(exc))
        if exc.chapter:  # the chapter's exercises still get their columns, at 0
            _, canon = canonical_checks(root, exc.chapter)
            result.fail_all([f"{exc.chapter}-{n}" for n in canon], str(exc))
        result.seconds = round(time.perf_counter() - start, 2)
        return _mark(result, sandbox)
    result.chapter = prepared.chapter
    try:
        _run_and_judge(result, prepared, root, cell_timeout, total_timeout, executed_out, sandbox, limits)
    finally:
        result.seconds = round(time.perf_counter() - start, 2)
    return _mark(result, sandbox)


def _write_unrun(target: Path | None, data: bytes | None) -> None:
    """For a submission that did not run: the notebook as read (outputs cleared), or an empty one."""
    if target is None:
        return
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4) if data is not None else None
        nbformat.validate(nb)
    except Exception:  # (not a notebook: nothing of it is shown)
        nb = nbformat.v4.new_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with contextlib.suppress(OSError):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)


def _mark(result: GradeResult, sandboxed: bool) -> GradeResult:
    if not sandboxed:
        result.reason = f"{UNSANDBOXED}; {result.reason}" if result.reason else UNSANDBOXED
    return result


def _run_and_judge(
    result: GradeResult,
    prepared: Any,
    root: Path,
    cell_timeout: float,
    total_timeout: float,
    executed_out: Path | None,
    sandboxed: bool,
    limits: sb.Limits,
) -> None:
    chapter = prepared.chapter
    if sandboxed and (why := sb.unavailable(root)):
        result.fail_all([f"{chapter}-{n}" for n in sorted(set(prepared.checks.values()))], "not graded")
        result.fail(f"not graded: the sandbox cannot run here ({why})")
        return
    catalogue = data_exercises()
    nb = prepared.nb
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        lay = sb.layout(Path(tmp), isolated=sandboxed)
        (lay.host_inputs / "cases").mkdir()
        served: dict[str, tuple[Any, Any]] = {}  # exercise name -> (Exercise, cases)
        verdicts: dict[str, tuple[bool, str]] = {}
        wire = _wire() if catalogue else None
        for index, name in prepared.checks.items():
            key = f"{chapter}-{name}"
            exercise = catalogue.get(key)
            if exercise is None:
                continue  # an object exercise: its canonical check cell runs in the kernel
            cases = exercise.cases(secrets.randbelow(2**63))
            wire.dump_cases(path=lay.host_inputs / "cases" / f"{key}.npz", cases=cases)
            served[name] = (exercise, cases)
            nb.cells[index].source = serve_source(
                f"{lay.inputs}/cases/{key}.npz", f"{lay.calls}/{key}.npz", exercise.function
            )
        nbformat.write(nb, lay.host_inputs / "submission.ipynb")
        job = {
            "notebook": f"{lay.inputs}/submission.ipynb",
            "calls": lay.calls,
            "cwd": lay.cwd,
            "cell_timeout": cell_timeout,
            "total_timeout": total_timeout,
            "max_cell_output": limits.cell_output,
            "max_notebook": limits.notebook,
            "max_file": limits.answers,
        }
        (lay.host_inputs / "job.json").write_text(json.dumps(job), encoding="utf-8")
        run = sb.run_driver(
            lay,
            f"{lay.inputs}/job.json",
            limits=limits,
            wall_seconds=total_timeout + GRACE_SECONDS,
            cpu_seconds=int(2 * total_timeout + GRACE_SECONDS),
            isolated=sandboxed,
            root=root,
        )
        frames = run.frames
        answers = Path(tmp) / "answers"  # the grader's own copy of what came back, out of the sandbox's reach
        answers.mkdir()
        for file_name, content in frames.files.items():
            (answers / file_name).write_bytes(content)
        problem = _problem(run, total_timeout, limits)
        for index, name in sorted(prepared.checks.items()):
            key = f"{chapter}-{name}"
            record = frames.cells.get(index)
            if name in served:
                exercise, cases = served[name]
                passed, message = _judge(exercise, cases, answers, key, record, problem, limits, prepared, wire)
            elif record is None:
                passed, message = False, problem or "the check cell did not run"
            else:
                passed = record.status == "ok"
                message = "" if passed else record.message
            verdicts[name] = (passed, message)
            result.exercises[key] = ExerciseResult(passed, "" if passed else message)
        if executed_out is not None:
            returned = frames.notebook if _same_cells(frames.notebook, nb) else None
            with contextlib.suppress(OSError, ValueError):
                _write_executed(executed_out, returned or nb, prepared.checks, prepared, verdicts)
    statuses = {r.status for r in frames.cells.values()}
    if problem:
        result.fail(problem)
    elif "dead" in statuses:
        result.fail("the kernel died while running the notebook")
    elif "timeout" in statuses:
        result.reason = "a cell hit the per-cell time limit"


def _problem(run: sb.Run, total_timeout: float, limits: sb.Limits) -> str | None:
    """Why the run as a whole ended badly, or None."""
    frames = run.frames
    if frames.overflow:
        return f"stopped: the submission sent back more than {limits.output} bytes"
    if run.timed_out:
        return f"stopped after {total_timeout:g} s (the whole submission's time limit)"
    if frames.failed:
        return f"the notebook could not be run: {frames.failed}"
    if not frames.done:
        if any(r.status == "not-run" and "time limit" in r.message for r in frames.cells.values()):
            return f"stopped after {total_timeout:g} s (the whole submission's time limit)"
        tail = " | ".join(run.stderr.strip().splitlines()[-3:])[:500]
        return "the sandbox ended before the notebook had run to its end" + (f" ({tail})" if tail else "")
    return None


def _judge(
    exercise: Any,
    cases: Any,
    answers: Path,
    key: str,
    record: Any,
    problem: str | None,
    limits: sb.Limits,
    prepared: Any,
    wire: Any,
) -> tuple[bool, str]:
    """The grader's verdict on a data exercise, from the answers that came back and the answer's source."""
    name = key.split("-", 1)[1]
    delegated = exercise.static_delegation(
        answer_source(
            prepared.nb,
            prepared.exercise_cells.get(name),
            tuple(getattr(exercise, "functions", ())) or (exercise.function,),
        )
    )
    if delegated:
        return False, delegated
    calls_path = answers / f"{key}.npz"
    if not calls_path.exists():
        if record is not None and record.status not in ("ok", "not-run"):
            return False, record.message or "the check cell did not finish"
        return False, problem or "the check cell did not run"
    try:
        calls = wire.load_calls(calls_path, limits.answers)
    except Exception as exc:  # (whatever came back: it is data from an untrusted run)
        return False, f"\u2718 {exercise.function}: the answers could not be read back ({type(exc).__name__}: {exc})"
    verdict = exercise.judge(cases, calls)
    return bool(verdict.passed), str(verdict.message)
