"""Run one prepared submission under nbval (lax) in its own pytest process and turn cell outcomes into a grade."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .prepare import SubmissionError, canonical_checks, prepare
from .record import ExerciseResult, GradeResult


def _run_nbval(nb_path: Path, log: Path, cell_timeout: float, total_timeout: float) -> str | None:
    """Run pytest --nbval-lax on ``nb_path``; return None, or why the run itself ended badly."""
    folder = nb_path.parent
    (folder / "pytest.ini").write_text("[pytest]\n")  # keep the project's own config out
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(nb_path),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "dlcourse.tools.grading.recorder",
        "--nbval-lax",
        "--nbval-current-env",
        f"--nbval-cell-timeout={cell_timeout:g}",
        f"--rootdir={folder}",
        "-c",
        str(folder / "pytest.ini"),
    ]
    env = {**os.environ, "DLCOURSE_GRADE_LOG": str(log), "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=total_timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # pytest and its kernel
        proc.communicate()
        return f"stopped after {total_timeout:g} s (the whole submission's time limit)"
    if proc.returncode not in (0, 1):  # 1 = some cells failed: a normal outcome
        tail = out.decode(errors="replace").strip().splitlines()[-3:]
        return f"nbval could not run the notebook (exit {proc.returncode}): {' | '.join(tail)}"
    return None


def grade_one(path: Path, root: Path, *, cell_timeout: float = 60, total_timeout: float = 900) -> GradeResult:
    """Grade one submission; every way it can fail is recorded in the result, never raised."""
    path = Path(path)
    start = time.perf_counter()
    result = GradeResult.start(path)
    try:
        prepared = prepare(path, root)
    except SubmissionError as exc:
        result.chapter = exc.chapter
        result.fail(str(exc))
        if exc.chapter:  # the chapter's exercises still get their columns, at 0
            _, canon = canonical_checks(root, exc.chapter)
            result.fail_all([f"{exc.chapter}-{n}" for n in canon], str(exc))
        result.seconds = round(time.perf_counter() - start, 2)
        return result

    chapter = result.chapter = prepared.chapter
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        nb_path = Path(tmp) / path.name
        nbformat.write(prepared.nb, nb_path)
        log = Path(tmp) / "cells.jsonl"
        log.touch()
        problem = _run_nbval(nb_path, log, cell_timeout, total_timeout)
        cells = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            cells[record["cell"]] = record
    for number, name in sorted(prepared.checks.items()):
        record = cells.get(number)
        key = f"{chapter}-{name}"
        if record is None:
            result.exercises[key] = ExerciseResult(False, problem or "the check cell did not run")
        else:
            passed = record["outcome"] == "passed"
            result.exercises[key] = ExerciseResult(passed, "" if passed else record.get("message", ""))
    if problem:
        result.fail(problem)
    elif any(r.get("kernel_dead") for r in cells.values()):
        result.fail("the kernel died while running the notebook")
    elif any(r.get("timeout") for r in cells.values()):
        result.reason = "a cell hit the per-cell time limit"
    result.seconds = round(time.perf_counter() - start, 2)
    return result
