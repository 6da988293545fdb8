"""The grade book holds only what the grader wrote: seals, reruns, the sandbox's absence, and bad arguments.

Every result file is sealed (``dlcourse/tools/grading/integrity.py``: an HMAC under a key only the grader reads). A
result file changed, replaced or forged after grading (the forger of an older grader rewrote a classmate's result
and its own, with the right SHA-256 of the submission) is left out of every table, named in report.html, and graded
again by the next run; a plain rerun keeps what the grader wrote. Grading refuses to start where the sandbox cannot
run, unless told --no-sandbox, which every result and the report then state. Bad arguments are named.

Most tests here replace the grading of one notebook by tests/test_grade_book.py's stand-in: what they check is the
grade book. One grades a real notebook without the sandbox.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_grade import trimmed, write
from test_grade_book import NAMES00, ROOT, fake_grade_one, submission

import dlcourse.tools.grading as grading
from dlcourse.tools.cli import main
from dlcourse.tools.grading import grade, integrity, sandbox
from dlcourse.tools.grading.gradebook import load_book, result_path
from dlcourse.tools.grading.record import UNSANDBOXED
from dlcourse.tools.grading.shards import file_digest


@pytest.fixture
def graded(tmp_path, monkeypatch):
    """A class of three graded by the stand-in: amy passes nothing, bob everything, cat the first exercise; and the
    list of submissions the stand-in was asked to grade (reset before each test's own runs)."""
    calls: list[str] = []

    def counting(path, root, **kwargs):
        calls.append(Path(path).parent.name)
        result = fake_grade_one(path, root, **kwargs)
        reason = json.loads(Path(path).read_text())["metadata"].get("reason")
        if reason:
            result.reason = reason
        return result

    monkeypatch.setattr(grading, "grade_one", counting)
    monkeypatch.chdir(tmp_path)
    submission(Path("subs/amy/00_welcome.ipynb"), "00", [])
    submission(Path("subs/bob/00_welcome.ipynb"), "00", NAMES00)
    submission(Path("subs/cat/00_welcome.ipynb"), "00", NAMES00[:1])
    grade(["subs"], "out", ROOT, progress=False, feedback=False)
    calls.clear()
    return calls


def scores(out: str = "out") -> dict[str, int]:
    book = load_book(Path(out))
    return {book.learner(r): r.score for r in book.results}


def result_file(learner: str) -> Path:
    return result_path(Path("out"), Path(f"subs/{learner}/00_welcome.ipynb"))


def test_a_plain_rerun_keeps_what_the_grader_wrote(graded):
    before = scores()
    assert before == {"amy": 0, "bob": len(NAMES00), "cat": 1}
    grade(["subs"], "out", ROOT, progress=False, feedback=False)
    assert graded == [] and scores() == before
    assert load_book(Path("out")).foreign == []


def test_a_forged_result_is_left_out_of_every_table_and_graded_again(graded, capsys):
    amy, bob = result_file("amy"), result_file("bob")
    forged = json.loads(bob.read_text())  # bob's full marks, made out to amy's file, as the old forger did
    forged["submission"] = json.loads(amy.read_text())["submission"]
    forged["sha256"] = file_digest(Path("subs/amy/00_welcome.ipynb"))
    amy.write_text(json.dumps(forged))
    book = load_book(Path("out"))
    assert "amy" not in {book.learner(r) for r in book.results}
    assert book.foreign == [f"results/{amy.name}: it does not match what the grader wrote (changed or replaced since)"]
    grading.gradebook.write_tables(Path("out"))
    report = Path("out/report.html").read_text()
    assert f"results/{amy.name}: it does not match what the grader wrote" in report
    assert "left out of every table" in report
    assert "amy" not in Path("out/grades.csv").read_text()
    assert main(["grade", "subs", "--out", "out", "--root", str(ROOT), "--no-feedback"]) == 0
    assert graded == ["amy"], "only the forged result is graded again"
    assert scores() == {"amy": 0, "bob": len(NAMES00), "cat": 1}
    assert "subs/amy/00_welcome.ipynb: graded again: the stored result was not kept: it does not match" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize("how", ["seal deleted", "seal copied from another result", "result replaced by another"])
def test_a_result_without_its_own_seal_is_graded_again(graded, how):
    amy, bob = result_file("amy"), result_file("bob")
    seals = Path("out") / integrity.FOLDER / "seals"
    if how == "seal deleted":
        (seals / f"{amy.name}.seal").unlink()
    elif how == "seal copied from another result":  # bob's file and bob's seal, under amy's name
        amy.write_bytes(bob.read_bytes())
        (seals / f"{amy.name}.seal").write_bytes((seals / f"{bob.name}.seal").read_bytes())
    else:
        amy.write_bytes(bob.read_bytes())
    assert "amy" not in {load_book(Path("out")).learner(r) for r in load_book(Path("out")).results}
    grade(["subs"], "out", ROOT, progress=False, feedback=False)
    assert graded == ["amy"]
    assert scores()["amy"] == 0


def test_an_exposed_key_is_replaced_and_every_result_graded_again(graded):
    key = Path("out") / integrity.FOLDER / "key"
    old = key.read_bytes()
    os.chmod(key, 0o644)
    grade(["subs"], "out", ROOT, progress=False, feedback=False)
    assert sorted(graded) == ["amy", "bob", "cat"]
    assert key.read_bytes() != old and key.stat().st_mode & 0o777 == 0o600
    assert (Path("out") / integrity.FOLDER).stat().st_mode & 0o777 == 0o700
    assert scores() == {"amy": 0, "bob": len(NAMES00), "cat": 1}


def test_only_results_whose_outcome_depended_on_the_settings_are_graded_again(graded):
    submission(Path("subs/dan/00_welcome.ipynb"), "00", NAMES00[:2])
    nb = json.loads(Path("subs/dan/00_welcome.ipynb").read_text())
    nb["metadata"]["reason"] = "a cell hit the per-cell time limit"
    Path("subs/dan/00_welcome.ipynb").write_text(json.dumps(nb))
    grade(["subs"], "out", ROOT, progress=False, feedback=False)
    assert graded == ["dan"]
    graded.clear()
    grade(["subs"], "out", ROOT, progress=False, feedback=False, cell_timeout=120)
    assert graded == ["dan"], "a time-limited result is graded again with the longer limit; the others stand"
    graded.clear()
    grade(["subs"], "out", ROOT, progress=False, feedback=False, cell_timeout=120)
    assert graded == []
    sealed = integrity.sealed_settings(Path("out"), result_file("dan"))
    assert sealed["cell_timeout"] == 120.0 and sealed["sandboxed"] is True


def test_merge_keeps_the_seals(graded):
    for k in (1, 2):
        grade(["subs"], f"part{k}", ROOT, progress=False, feedback=False, shard=f"{k}/2")
    grading.merge(Path("merged"), [Path("part1"), Path("part2")])
    assert scores("merged") == scores("out") and load_book(Path("merged")).foreign == []
    assert integrity.read_key(Path("merged")) not in (None, integrity.read_key(Path("part1")))


# ------------------------------------------------------------------------------------ without the sandbox


def test_grading_refuses_to_start_where_the_sandbox_cannot_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "unavailable", lambda root=None: "'bwrap' was not found: install bubblewrap")
    path = write(tmp_path, "00_amy.ipynb", trimmed("unsolved"))
    with pytest.raises(sandbox.SandboxUnavailable, match=r"cannot run on this machine: 'bwrap' was not found"):
        grade([path], tmp_path / "g", ROOT, progress=False)
    assert not (tmp_path / "g" / "results").exists()
    assert main(["grade", str(path), "--out", str(tmp_path / "g"), "--root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "dlcourse grade: the grading sandbox cannot run on this machine" in err and "--no-sandbox" in err


def test_no_sandbox_grades_and_says_so_everywhere(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "00_amy.ipynb", trimmed("solved"))
    out = tmp_path / "g"
    assert main(["grade", str(path), "--out", str(out), "--root", str(ROOT), "--no-sandbox"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: grading WITHOUT a sandbox" in captured.err
    assert "WARNING: 1 submission(s) graded without a sandbox (--no-sandbox)" in captured.err
    [result] = load_book(out).results
    assert result.score == len(NAMES00) and result.reason.startswith(UNSANDBOXED)
    assert "graded without a sandbox</strong> (--no-sandbox)" in (out / "report.html").read_text()
    assert integrity.sealed_settings(out, result_path(out, path))["sandboxed"] is False
    # graded again once a sandbox is used: the note on the result depended on it
    calls = []
    original = grading.grade_one
    monkeypatch.setattr(grading, "grade_one", lambda *a, **k: calls.append(k["sandbox"]) or original(*a, **k))
    grade([path], out, ROOT, progress=False, feedback=False)
    assert calls == [True] and load_book(out).results[0].reason == ""


# ------------------------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "-1"], "--timeout: expected a positive number of seconds, got -1.0"),
        (["--timeout", "nan"], "--timeout: expected a positive number of seconds, got nan"),
        (["--cell-timeout", "0"], "--cell-timeout: expected a positive number of seconds, got 0.0"),
        (["--cell-timeout", "inf"], "--cell-timeout: expected a positive number of seconds, got inf"),
        (["--jobs", "0"], "--jobs: expected a positive whole number of submissions at once, got 0"),
    ],
)
def test_bad_limits_are_named_and_nothing_is_graded(tmp_path, capsys, args, message):
    path = write(tmp_path, "00_amy.ipynb", trimmed("unsolved"))
    out = tmp_path / "g"
    assert main(["grade", str(path), "--out", str(out), "--root", str(ROOT), *args]) == 2
    assert capsys.readouterr().err.strip() == f"dlcourse grade: {message}"
    assert not out.exists(), "nothing is written, so nothing wrong can stick on a rerun"


def test_an_out_that_is_a_file_or_cannot_be_made_is_named(tmp_path, capsys):
    path = write(tmp_path, "00_amy.ipynb", trimmed("unsolved"))
    (tmp_path / "afile").write_text("x")
    base = ["grade", str(path), "--root", str(ROOT)]
    assert main([*base, "--out", str(tmp_path / "afile")]) == 2
    assert f"dlcourse grade: --out: expected a folder for the grade book, but {tmp_path / 'afile'} is a file" in (
        capsys.readouterr().err
    )
    assert main([*base, "--out", str(tmp_path / "afile" / "g")]) == 2
    assert "dlcourse grade: --out: cannot make the grade-book folder" in capsys.readouterr().err
    assert (tmp_path / "afile").read_text() == "x"
