"""``dlcourse grade``: run learners' notebooks with nbval and record pass/fail per exercise.

    from dlcourse.tools.grading import grade
    results = grade(["submissions/"], out="grades", root=".")

Each submission runs in its own pytest + kernel process, several at once; its result is stored as soon as it is
done (see :mod:`dlcourse.tools.grading.gradebook`), so an interrupted run loses nothing and a rerun skips what is
graded.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .gradebook import load_result, save_result, write_tables
from .record import ExerciseResult, GradeResult, sha256
from .run import grade_one

__all__ = ["ExerciseResult", "GradeResult", "find_submissions", "grade", "grade_one"]


def find_submissions(paths) -> list[Path]:
    """Notebook files named directly, and every .ipynb below named folders (checkpoints excluded)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.exists():
            found.append(p)
        else:
            raise ValueError(f"submissions: {p} does not exist")
    if not found:
        raise ValueError(f"submissions: no .ipynb files in {', '.join(map(str, paths))}")
    return list(dict.fromkeys(found))


def grade(
    submissions,
    out,
    root,
    *,
    jobs: int | None = None,
    cell_timeout: float = 60,
    total_timeout: float = 900,
    force: bool = False,
    progress: bool = True,
) -> list[GradeResult]:
    """Grade every submission; return all results in ``out`` (including earlier runs'), by submission.

    Parameters
    ----------
    submissions : notebook files and/or folders of them
    out : the grade-book folder (created if needed)
    root : the course folder whose solutions/ holds the canonical check cells
    jobs : submissions run at once (default: the number of CPU cores)
    cell_timeout : seconds one cell may run before it is interrupted and counted as failed
    total_timeout : seconds one submission may take in all before it is stopped
    force : regrade submissions already graded (by default a submission whose file is unchanged is skipped)
    """
    out, root = Path(out), Path(root)
    if not (root / "solutions").is_dir():
        raise ValueError(f"root: expected the course folder holding solutions/, got {root}")
    paths = find_submissions(submissions)
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for p in paths:
        old = load_result(out, p)
        if force or old is None or old.sha256 != sha256(p):
            todo.append(p)
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="grading", unit="notebook")
        if len(todo) < len(paths):
            bar.write(f"skipping {len(paths) - len(todo)} already graded submission(s) (use --force to regrade)")
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {
            pool.submit(grade_one, p, root, cell_timeout=cell_timeout, total_timeout=total_timeout): p for p in todo
        }
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # a grader bug must not stop the batch: record it and go on
                result = GradeResult.start(futures[future]).fail(f"grader error: {type(exc).__name__}: {exc}")
            with lock:
                save_result(out, futures[future], result)
                write_tables(out)
                if bar is not None:
                    bar.update()
                    bar.write(
                        f"{result.submission}: {result.score}/{result.max_score}"
                        + (f" ({result.status}: {result.reason})" if result.reason else "")
                    )
    if bar is not None:
        bar.close()
    return write_tables(out)
