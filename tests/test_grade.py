"""dlcourse grade: per-exercise grades that tampering cannot change, and a batch that survives bad submissions.

Submissions are built from chapter 00 (solved, unsolved, tampered, looping, crashing, malformed), trimmed to the
import, exercise and check cells so that each runs in a couple of seconds.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest

from dlcourse.tools.cli import main
from dlcourse.tools.grading import ExerciseResult, GradeResult, find_submissions, grade
from dlcourse.tools.grading.gradebook import result_path
from dlcourse.tools.grading.run import grade_one
from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "00"
CELL_TIMEOUT = 30
pytestmark = pytest.mark.notebooks


def _source_notebook(kind: str):
    folder = "solutions" if kind == "solved" else "course"
    path = next((ROOT / folder).glob(f"{CHAPTER}_*.ipynb"))
    return nbformat.read(path, as_version=4)


def trimmed(kind: str = "unsolved"):
    """The chapter's setup cell (first code cell), its exercise and check cells, in order."""
    nb = _source_notebook(kind)
    found = exercises(nb, CHAPTER)
    keep = {i for info in found.values() for i in (info["cell"], info["check"])}
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = [c for i, c in enumerate(nb.cells) if i == first_code or i in keep]
    return nb


def cell_with_tag(nb, tag):
    return next(c for c in nb.cells if tag in c.metadata.get("tags", []))


NAMES = list(exercises(_source_notebook("solved"), CHAPTER))  # in the notebook's order
FIRST = NAMES[0]


def write(folder: Path, name: str, nb) -> Path:
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade one batch of varied submissions once; tests read the grade book."""
    subs = tmp_path_factory.mktemp("submissions")
    solved = trimmed("solved")
    write(subs, f"{CHAPTER}_solved.ipynb", solved)
    write(subs, f"{CHAPTER}_unsolved.ipynb", trimmed("unsolved"))

    # a learner who solved nothing but rewrote every check to pass, and deleted one check altogether
    cheat = trimmed("unsolved")
    for name in NAMES:
        cell_with_tag(cheat, f"test-{CHAPTER}-{name}").source = "print('all good')"
    cheat.cells.remove(cell_with_tag(cheat, f"test-{CHAPTER}-{NAMES[-1]}"))
    write(subs, f"{CHAPTER}_cheat.ipynb", cheat)

    # solved nothing, but tagged every exercise and check cell so that nbval would expect their exceptions
    tagged = trimmed("unsolved")
    for cell in tagged.cells:
        if any(t.startswith(("exercise-", "test-")) for t in cell.metadata.get("tags", [])):
            cell.metadata["tags"] = sorted({*cell.metadata["tags"], "raises-exception", "nbval-skip"})
            cell.source = "# NBVAL_RAISES_EXCEPTION\n" + cell.source
    write(subs, f"{CHAPTER}_tagged.ipynb", tagged)

    # solved, but also reassigns the check function to one that always passes
    patched = trimmed("solved")
    patched.cells.insert(
        1,
        nbformat.v4.new_code_cell(
            f"from dlcourse.checks import ch{CHAPTER}\nch{CHAPTER}.check_{FIRST} = lambda f: print('ok')"
        ),
    )
    cell_with_tag(patched, f"exercise-{CHAPTER}-{FIRST}").source = "def " + FIRST + "(*a, **k):\n    return None"
    write(subs, f"{CHAPTER}_patched.ipynb", patched)

    # solved, except that the first exercise loops forever and a stray cell raises
    looping = trimmed("solved")
    cell_with_tag(looping, f"exercise-{CHAPTER}-{FIRST}").source = "while True:\n    pass"
    looping.cells.insert(1, nbformat.v4.new_code_cell("raise RuntimeError('a broken cell of my own')"))
    write(subs, f"{CHAPTER}_looping.ipynb", looping)

    # the kernel dies half way
    dying = trimmed("solved")
    idx = dying.cells.index(cell_with_tag(dying, f"test-{CHAPTER}-{NAMES[1]}"))
    dying.cells.insert(idx + 1, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    write(subs, f"{CHAPTER}_dying.ipynb", dying)

    (subs / f"{CHAPTER}_broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (subs / "mystery.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8")

    out = tmp_path_factory.mktemp("grades")
    # the per-cell limit stops the looping exercise; it is far above what any other cell needs, even on a busy
    # machine (a limit of a few seconds let a slow import count as a timeout)
    results = grade([subs], out, ROOT, jobs=2, cell_timeout=CELL_TIMEOUT, total_timeout=300, progress=False)
    return subs, out, {Path(r.submission).stem.split("_", 1)[-1]: r for r in results}


def passed(result) -> dict[str, bool]:
    return {k.split("-", 1)[1]: v.passed for k, v in result.exercises.items()}


def test_solved_submission_gets_full_marks(batch):
    r = batch[2]["solved"]
    assert r.status == "ok" and r.score == r.max_score == len(NAMES) >= 3


def test_unsolved_submission_fails_every_exercise_with_the_learners_message(batch):
    r = batch[2]["unsolved"]
    assert r.score == 0 and r.max_score == len(NAMES)
    for e in r.exercises.values():
        assert "not implemented yet" in e.message


def test_learner_copies_tag_checks_raises_exception_yet_they_count_as_failed(batch):
    """The learner copy tags its checks raises-exception (so JupyterLab's Run All goes on), and grading still
    counts a failing check as failed."""
    unsolved = trimmed("unsolved")
    assert all("raises-exception" in cell_with_tag(unsolved, f"test-{CHAPTER}-{n}").metadata["tags"] for n in NAMES)
    assert batch[2]["unsolved"].score == 0


def test_adding_raises_exception_or_skip_tags_to_checks_gains_nothing(batch):
    r = batch[2]["tagged"]
    assert r.status == "ok" and r.score == 0 and r.max_score == len(NAMES)
    assert all("not implemented yet" in e.message for e in r.exercises.values())


def test_edited_and_deleted_checks_are_restored(batch):
    r = batch[2]["cheat"]
    assert r.score == 0 and r.max_score == len(NAMES), "restored checks must run, and fail"


def test_reassigning_a_check_function_gains_nothing(batch):
    assert passed(batch[2]["patched"]) == {name: name != FIRST for name in NAMES}


def test_infinite_loop_and_stray_error_cost_only_their_exercise(batch):
    r = batch[2]["looping"]
    assert passed(r) == {name: name != FIRST for name in NAMES}
    assert r.status == "ok" and "time limit" in r.reason


def test_dead_kernel_is_recorded_and_earlier_checks_count(batch):
    r = batch[2]["dying"]
    assert r.status == "error" and "kernel died" in r.reason
    assert passed(r) == {name: name in NAMES[:2] for name in NAMES}


def test_malformed_and_unknown_notebooks_are_recorded_and_grading_goes_on(batch):
    broken, mystery = batch[2]["broken"], batch[2]["mystery"]
    assert broken.status == "error" and broken.reason.startswith("malformed notebook")
    assert broken.chapter == CHAPTER and broken.max_score == len(NAMES) and broken.score == 0
    assert mystery.status == "error" and "cannot tell which chapter" in mystery.reason


def test_grade_book_files(batch):
    subs, out, results = batch
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(results) == 9
    assert sorted(f"{CHAPTER}-{n}" for n in NAMES) == [c for c in rows[0] if c.startswith(f"{CHAPTER}-")]
    solved = next(r for r in rows if r["submission"].endswith("_solved.ipynb"))
    assert solved["total"] == solved["max"] == str(len(NAMES))
    assert len(json.loads((out / "grades.json").read_text())) == 9
    report = (out / "report.html").read_text()
    assert report.count("<tr>") == 9 + 2 and "not implemented yet" in report
    assert len(list((out / "results").glob("*.json"))) == 9


def test_rerun_skips_graded_and_regrades_changed_or_forced(batch, tmp_path):
    subs, out, _ = batch
    book = tmp_path / "book"
    shutil.copytree(out, book)
    solved = subs / f"{CHAPTER}_solved.ipynb"
    before = json.loads(result_path(book, solved).read_text())
    grade([solved], book, ROOT, progress=False)  # unchanged: skipped
    assert json.loads(result_path(book, solved).read_text()) == before
    grade([solved], book, ROOT, force=True, progress=False)  # --force: graded again
    assert json.loads(result_path(book, solved).read_text())["seconds"] != before["seconds"]


def test_one_submission_result_directly(tmp_path):
    path = write(tmp_path, f"{CHAPTER}_x.ipynb", trimmed("solved"))
    r = grade_one(path, ROOT, cell_timeout=30)
    assert r.score == len(NAMES) and r.sha256 and r.seconds > 0


def test_grade_book_file_reads_back_as_the_same_record(batch):
    """results/*.json and grades.json hold GradeResult.to_dict(); reading gives back an equal record."""
    subs, out, results = batch
    stored = json.loads((out / "grades.json").read_text())
    assert [GradeResult.from_dict(d) for d in stored] == sorted(results.values(), key=lambda r: r.submission)
    solved = subs / f"{CHAPTER}_solved.ipynb"
    data = json.loads(result_path(out, solved).read_text())
    assert list(data) == [
        "submission",
        "sha256",
        "chapter",
        "status",
        "reason",
        "exercises",
        "score",
        "max_score",
        "seconds",
    ]
    assert all(set(e) == {"passed", "message"} for e in data["exercises"].values())


def test_grade_record_layout_without_running_anything(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text("{}", encoding="utf-8")
    r = GradeResult.start(path)
    r.chapter = "01"
    r.exercises["01-a"] = ExerciseResult(True)
    r.fail_all(["01-b"], "\u2718 b: wrong")
    assert (r.status, r.score, r.max_score) == ("ok", 1, 2)
    data = r.fail("stopped").to_dict()
    assert data == {
        "submission": str(path),
        "sha256": r.sha256,
        "chapter": "01",
        "status": "error",
        "reason": "stopped",
        "exercises": {"01-a": {"passed": True, "message": ""}, "01-b": {"passed": False, "message": "\u2718 b: wrong"}},
        "score": 1,
        "max_score": 2,
    }  # no seconds: never timed
    assert GradeResult.from_dict(json.loads(json.dumps(data))) == r
    with pytest.raises(ValueError, match="not a grade record"):
        GradeResult.from_dict({"submission": "x"})


def test_find_submissions_and_bad_arguments(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".ipynb_checkpoints").mkdir()
    write(tmp_path / "a", "00_x.ipynb", nbformat.v4.new_notebook())
    write(tmp_path / "a" / ".ipynb_checkpoints", "00_x-checkpoint.ipynb", nbformat.v4.new_notebook())
    assert [p.name for p in find_submissions([tmp_path / "a"])] == ["00_x.ipynb"]
    with pytest.raises(ValueError, match="does not exist"):
        find_submissions([tmp_path / "nope.ipynb"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .ipynb files"):
        find_submissions([tmp_path / "empty"])
    with pytest.raises(ValueError, match="root: expected the course folder"):
        grade([tmp_path / "a"], tmp_path / "out", tmp_path, progress=False)


def test_cli_grade(tmp_path, capsys):
    path = write(tmp_path, f"{CHAPTER}_cli.ipynb", trimmed("unsolved"))
    assert main(["grade", str(path), "--out", str(tmp_path / "g"), "--root", str(ROOT)]) == 0
    assert "graded 1 submission(s), 0 with errors" in capsys.readouterr().out
    assert (tmp_path / "g" / "grades.csv").exists()
    assert main(["grade", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "g")]) == 2


# ------------------------------------------------------------------ an untouched learner notebook, graded both ways


def readme_nbval_command(notebook: Path) -> list[str]:
    """README's plain-nbval recipe ("For instructors"), with its notebooks replaced by ``notebook``."""
    line = next(
        line.strip()
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("pytest --nbval-lax")
    )
    words = shlex.split(line)
    assert words[-1] == "submissions/*.ipynb", line
    return [sys.executable, "-m", *words[:-1], str(notebook)]


def nbval_cell_outcomes(command: list[str], folder: Path) -> dict[int, str]:
    """Run ``command`` (pytest on one notebook) in ``folder``; return {code cell number: passed/failed/skipped}."""
    junit = folder / "junit.xml"
    proc = subprocess.run([*command, f"--junitxml={junit}"], cwd=folder, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        number = int(re.search(r"Cell (\d+)$", case.get("name")).group(1))
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        outcomes[number] = outcome
    return outcomes


def check_cell_numbers(nb) -> dict[str, int]:
    """{exercise: the number nbval gives its check cell} (code cells counted from 0)."""
    numbers, code = {}, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for tag in cell.metadata.get("tags", []):
            if tag.startswith(f"test-{CHAPTER}-"):
                numbers[tag.split("-", 2)[2]] = code
        code += 1
    return numbers


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    """The whole learner notebook of the chapter, exactly as course/ hands it out, in a folder of its own."""
    folder = tmp_path_factory.mktemp("untouched")
    source = next((ROOT / "course").glob(f"{CHAPTER}_*.ipynb"))
    shutil.copy(source, folder / source.name)
    return folder / source.name


def test_untouched_learner_notebook_gets_zero_with_dlcourse_grade(untouched, tmp_path):
    r = grade_one(untouched, ROOT, cell_timeout=60)
    assert r.status == "ok" and r.max_score == len(NAMES) and r.score == 0, r
    assert all(e.message.startswith("\u2718") and "not implemented yet" in e.message for e in r.exercises.values())


def test_untouched_learner_notebook_gets_zero_with_readmes_plain_nbval(untouched):
    nb = nbformat.read(untouched, as_version=4)
    checks = check_cell_numbers(nb)
    assert sorted(checks) == sorted(NAMES)
    outcomes = nbval_cell_outcomes(readme_nbval_command(untouched), untouched.parent)
    assert {name: outcomes[number] for name, number in checks.items()} == {name: "failed" for name in NAMES}
    others = {n: o for n, o in outcomes.items() if n not in checks.values() and o != "passed"}
    assert others == {}, f"cells outside the checks did not pass: {others}"


def test_without_dlcourses_nbval_plugin_the_raises_exception_tag_would_pass_the_checks(untouched):
    """Why the plugin exists: nbval alone reads raises-exception as "failing is fine"."""
    command = readme_nbval_command(untouched)
    outcomes = nbval_cell_outcomes([*command, "-p", "no:dlcourse.tools.nbval_checks"], untouched.parent)
    assert {outcomes[n] for n in check_cell_numbers(nbformat.read(untouched, as_version=4)).values()} == {"passed"}
