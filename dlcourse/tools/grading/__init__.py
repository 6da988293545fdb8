"""``dlcourse grade``: run learners' notebooks and record, per exercise, the points their checks earned.

    from dlcourse.tools.grading import grade, merge
    results = grade(["submissions/"], out="grades", root=".", roster="roster.csv")
    grade(["submissions/"], out="grades-2", root=".", shard="2/4")      # one job of four
    merge("grades", ["grades-1", "grades-2", "grades-3", "grades-4"])   # one grade book from the four

Each submission runs in its own process and kernel, several at once; its result is stored as soon as it is done
(see :mod:`dlcourse.tools.grading.gradebook`), so an interrupted run loses nothing and a rerun skips what is
graded. Each submission gets a feedback page (:mod:`dlcourse.tools.grading.feedback`); learner IDs and the roster
are described in :mod:`dlcourse.tools.grading.roster`, shards and merging in :mod:`dlcourse.tools.grading.shards`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path, PurePosixPath

from . import integrity
from . import sandbox as sb
from .feedback import render_feedback
from .gradebook import (
    COURSE,
    INDEX,
    atomic_write,
    load_result,
    read_json,
    result_path,
    save_result,
    save_roster,
    write_json,
    write_tables,
)
from .record import ExerciseResult, GradeResult
from .roster import Submission, learner_id, locate, read_roster, safe_name, submission_name
from .run import grade_one
from .shards import MANIFEST, file_digest, merge, parse_shard, select, write_manifest

__all__ = [
    "ExerciseResult",
    "GradeResult",
    "course_info",
    "find_submissions",
    "grade",
    "grade_one",
    "merge",
]


def find_submissions(paths: list[str | Path] | tuple[str | Path, ...]) -> list[Path]:
    """Notebook files named directly, and every .ipynb below named folders (checkpoints excluded)."""
    return [s.path for s in locate(paths)]


def course_info(root: Path) -> dict[str, dict]:
    """course.json: {"NN": {"notebook": "NN_topic", "exercises": {name: points}}} from ``root``/solutions."""
    import nbformat

    from ..notebooks import exercise_points, solution_notebooks

    info = {}
    for path in solution_notebooks(Path(root)):
        nb = nbformat.read(path, as_version=4)
        info[path.name[:2]] = {"notebook": path.stem, "exercises": exercise_points(nb, path.name[:2], where=path.name)}
    return info


def output_paths(learner: str, key: str) -> tuple[str, str]:
    """Where a submission's feedback page and executed notebook go in the grade book (relative paths).

    ``feedback/<learner>/<the rest of its path below the learner's folder>.html``: ``alice/01_neurons_layers.ipynb``
    gives ``feedback/alice/01_neurons_layers.html``, ``01_alice.ipynb`` gives ``feedback/alice/01_alice.html``.
    """
    parts = PurePosixPath(key).parts
    rest = parts[1:] if len(parts) > 1 else parts
    names = [safe_name(learner), *(safe_name(p) for p in rest[:-1]), safe_name(PurePosixPath(rest[-1]).stem)]
    stem = "/".join(names)
    return f"feedback/{stem}.html", f"executed/{stem}.ipynb"


def _check_out(out: Path) -> None:
    """Refuse an output folder that is a file, or that cannot be made or written to, naming --out."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: expected a folder for the grade book, but {out} is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out: cannot make the grade-book folder {out} ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"--out: cannot write into {out} (no permission)")


def _grade_and_explain(
    sub: Submission,
    out: Path,
    root: Path,
    entry: dict,
    course: dict[str, dict],
    *,
    cell_timeout: float,
    total_timeout: float,
    feedback: bool,
    sandbox: bool,
    limits: sb.Limits,
) -> GradeResult:
    """Grade one submission, give its exercises their points, and write its feedback page."""
    executed = out / entry["executed"] if feedback else None
    if executed is not None:
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.unlink(missing_ok=True)  # a page never shows an earlier run's notebook
    result = grade_one(
        sub.path,
        root,
        cell_timeout=cell_timeout,
        total_timeout=total_timeout,
        executed_out=executed,
        sandbox=sandbox,
        limits=limits,
    )
    if result.chapter in course:
        result.set_points(course[result.chapter]["exercises"])
    if feedback:
        ran = executed is not None and executed.is_file()
        title = course.get(result.chapter or "", {}).get("notebook")
        try:
            page = render_feedback(
                result, executed if ran else sub.path, learner=entry["learner"], executed=ran, title=title
            )
        except Exception:  # the notebook defeated the renderer: the page gives the grades alone
            page = render_feedback(result, None, learner=entry["learner"], title=title)
        atomic_write(out / entry["feedback"], page)
    return result


def grade(
    submissions: list[str | Path] | tuple[str | Path, ...],
    out: str | Path,
    root: str | Path,
    *,
    jobs: int | None = None,
    cell_timeout: float = 60,
    total_timeout: float = 900,
    force: bool = False,
    progress: bool = True,
    roster: str | Path | None = None,
    shard: str | tuple[int, int] | None = None,
    feedback: bool = True,
    sandbox: bool = True,
    limits: sb.Limits | None = None,
) -> list[GradeResult]:
    """Grade every submission; return all results in ``out`` (including earlier runs'), by submission.

    Parameters
    ----------
    submissions : notebook files and/or folders of them
    out : the grade-book folder (created if needed)
    root : the course folder whose solutions/ holds the canonical check cells and the exercises' points
    jobs : submissions run at once (default: the number of CPU cores)
    cell_timeout : seconds one cell may run before it is interrupted and counted as failed
    total_timeout : seconds one submission may take in all before it is stopped
    force : regrade submissions already graded (by default a submission whose file is unchanged is skipped)
    roster : a CSV file of the class (``id`` column, optionally ``name`` and ``email``); kept in ``out`` for reruns
    shard : ``"K/N"``: grade only the K-th of N stable parts of the submissions (see :mod:`.shards`)
    feedback : write each submission's feedback page (``out``/feedback/...)
    sandbox : run each submission in its sandbox (:mod:`.sandbox`); where it cannot run, grading refuses to start
        (a :class:`~.sandbox.SandboxUnavailable`, a ValueError, says why). False runs the learners' code with the
        grader's rights: every result and report.html say so
    limits : the sandbox's resource limits (default: :class:`~.sandbox.Limits`)

    A stored result is kept on a rerun only if it is, byte for byte, what the grader wrote (see :mod:`.integrity`)
    and was graded from the same file, with settings its outcome did not depend on otherwise.
    """
    out, root = Path(out), Path(root)
    if not (root / "solutions").is_dir():
        raise ValueError(f"root: expected the course folder holding solutions/, got {root}")
    for name, value in (("cell_timeout", cell_timeout), ("total_timeout", total_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            flag = {"cell_timeout": "--cell-timeout", "total_timeout": "--timeout"}[name]
            raise ValueError(f"{flag}: expected a positive number of seconds, got {value!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"--jobs: expected a positive whole number of submissions at once, got {jobs!r}")
    _check_out(out)
    limits = limits or sb.Limits()
    if sandbox and (why := sb.unavailable(root)):
        raise sb.SandboxUnavailable(
            f"the grading sandbox cannot run on this machine: {why}. Grading needs bubblewrap (bwrap) and "
            "util-linux (prlimit, and setpriv when run as root); see README, 'For instructors'. --no-sandbox "
            "grades without isolation, running every learner's code with your rights"
        )
    config = integrity.settings(
        cell_timeout=cell_timeout, total_timeout=total_timeout, sandboxed=sandbox, limits=limits
    )
    split = parse_shard(shard)
    learners = read_roster(roster) if roster is not None else None
    found = locate(submissions)
    mine = select(found, split)
    course = course_info(root)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / COURSE, course)
    if learners is not None:
        save_roster(out, learners)
    if split is not None:
        write_manifest(out, split, found, mine)
    else:
        (out / MANIFEST).unlink(missing_ok=True)  # a whole grading: no longer one shard of a split
    topics = {nn: info["notebook"][3:] for nn, info in course.items()}
    index = read_json(out / INDEX, {})
    for sub in mine:
        learner = learner_id(sub, topics)
        page, executed = output_paths(learner, sub.key)
        index[submission_name(sub.path)] = {
            "learner": learner,
            "key": sub.key,
            "feedback": page if feedback else "",
            "executed": executed if feedback else "",
        }
    write_json(out / INDEX, index)

    todo, regraded = [], []
    for sub in mine:
        old = load_result(out, sub.path)
        page = out / index[submission_name(sub.path)]["feedback"] if feedback else None
        why = integrity.check(out, result_path(out, sub.path), config) if old is not None else None
        if why is not None:
            regraded.append(f"{submission_name(sub.path)}: graded again: {why}")
        if force or old is None or why or old.sha256 != file_digest(sub.path) or (page and not page.exists()):
            todo.append(sub)
        elif old.chapter in course:  # kept, with the points solutions/ gives its exercises now
            before = old.to_dict()
            if old.set_points(course[old.chapter]["exercises"]).to_dict() != before:
                kept = integrity.sealed_settings(out, result_path(out, sub.path))
                save_result(out, sub.path, old, kept)
    if not sandbox and todo:
        print(
            "WARNING: grading WITHOUT a sandbox (--no-sandbox): learners' code runs with your rights",
            file=sys.stderr,
        )
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="grading", unit="notebook")
        if len(todo) < len(mine):
            bar.write(f"skipping {len(mine) - len(todo)} already graded submission(s) (use --force to regrade)")
        for line in regraded:
            bar.write(line)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {
            pool.submit(
                _grade_and_explain,
                sub,
                out,
                root,
                index[submission_name(sub.path)],
                course,
                cell_timeout=cell_timeout,
                total_timeout=total_timeout,
                feedback=feedback,
                sandbox=sandbox,
                limits=limits,
            ): sub
            for sub in todo
        }
        for future in as_completed(futures):
            sub = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a grader bug must not stop the batch: record it and go on
                result = GradeResult(submission_name(sub.path), file_digest(sub.path))
                result.fail(f"grader error: {type(exc).__name__}: {exc}")
            with lock:
                save_result(out, sub.path, result, config)
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
