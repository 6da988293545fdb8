"""The grade book: learner IDs, the roster, points, per-chapter tables in notebook order, the LMS CSV, shards.

Grading itself is replaced by a stand-in (``fake_grade_one``) that reads which exercises "pass" from the
submission's metadata, so these tests run no kernel: what they check is what the grade book makes of the results.
tests/test_grade.py grades real notebooks.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
from pathlib import Path

import nbformat
import pytest

import dlcourse.tools.grading as grading
from dlcourse.tools.cli import main
from dlcourse.tools.grading import ExerciseResult, GradeResult, course_info, grade, integrity, merge, output_paths
from dlcourse.tools.grading.roster import Learner, Submission, learner_id, locate, read_roster, safe_name
from dlcourse.tools.grading.shards import parse_shard, shard_of
from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]
COURSE = course_info(ROOT)
TOPICS = {nn: info["notebook"][3:] for nn, info in COURSE.items()}
NAMES00 = list(COURSE["00"]["exercises"])
NAMES01 = list(COURSE["01"]["exercises"])


def fake_grade_one(
    path: Path,
    root: Path,
    *,
    cell_timeout: float = 60,
    total_timeout: float = 900,
    executed_out: Path | None = None,
    **settings: object,
) -> GradeResult:
    """A grader that runs nothing: the exercises named in the notebook's metadata "passed" pass."""
    result = GradeResult.start(path)
    nb = nbformat.read(path, as_version=4)
    chapter = nb.metadata.get("chapter")
    if chapter not in COURSE:
        return result.fail("cannot tell which chapter this is")
    result.chapter = chapter
    passed = set(nb.metadata.get("passed", []))
    for name in COURSE[chapter]["exercises"]:
        ok = name in passed
        result.exercises[f"{chapter}-{name}"] = ExerciseResult(ok, "" if ok else f"\u2718 {name}: wrong")
    return result


@pytest.fixture
def fake_grader(monkeypatch):
    monkeypatch.setattr(grading, "grade_one", fake_grade_one)


def submission(path: Path, chapter: str | None, passed: list[str]) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    if chapter:
        nb.metadata["chapter"] = chapter
    nb.metadata["passed"] = passed
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


# ------------------------------------------------------------------------------------ learner IDs and the roster


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("alice/01_neurons_layers.ipynb", "alice"),  # a folder per learner
        ("alice/week1/01_neurons_layers.ipynb", "alice"),  # nested: the first folder below the one named
        ("alice/ch01/01_neurons_layers.ipynb", "alice"),  # nbgrader's submitted/<student>/<assignment>/
        ("01_bob.ipynb", "bob"),  # named after the learner
        ("01_neurons_layers_carol.ipynb", "carol"),
        ("01_carol_neurons_layers.ipynb", "carol"),
        ("homework.ipynb", "homework"),  # no chapter in the name: the name is the ID
    ],
)
def test_learner_ids_from_folders_and_file_names(tmp_path, relative, expected):
    path = tmp_path / "subs" / relative
    submission(path, "01", [])
    [found] = locate([tmp_path / "subs"])
    assert found.key == relative
    assert learner_id(found, TOPICS) == expected


def test_a_notebook_keeping_its_chapters_name_belongs_to_its_folder(tmp_path):
    path = submission(tmp_path / "erin" / "01_neurons_layers.ipynb", "01", [])
    [named] = locate([path])  # the file itself named on the command line
    assert named.key == "01_neurons_layers.ipynb" and learner_id(named, TOPICS) == "erin"
    [in_folder] = locate([tmp_path / "erin"])  # the learner's folder named
    assert learner_id(in_folder, TOPICS) == "erin"


def test_feedback_paths_stay_inside_the_grade_book():
    assert output_paths("alice", "alice/01_neurons_layers.ipynb") == (
        "feedback/alice/01_neurons_layers.html",
        "executed/alice/01_neurons_layers.ipynb",
    )
    assert output_paths("bob", "01_bob.ipynb")[0] == "feedback/bob/01_bob.html"
    page, _ = output_paths("..", "../../x/<script>.ipynb")
    assert ".." not in Path(page).parts and "<" not in page
    assert safe_name("..") == "_.." and safe_name("a/b c") == "a_b_c" and safe_name("") == "_"


def test_roster_is_read_in_order_with_optional_columns(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffID , Name,email,section\nalice,Alice A,a@example.org,1\n\nbob,,,2\n", encoding="utf-8")
    assert read_roster(path) == [Learner("alice", "Alice A", "a@example.org"), Learner("bob")]
    (tmp_path / "ids.csv").write_text("id\ncarol\n", encoding="utf-8")
    assert read_roster(tmp_path / "ids.csv") == [Learner("carol")]


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,email\nAlice,a@x\n", r"has no 'id' column \(expected a header row such as 'id,name,email'"),
        ("id,name\nalice,A\n,B\n", r"line 3: the id is empty"),
        ("id\nalice\nbob\nAlice\n", r"line 4: id 'Alice' is listed twice \(first on line 2\)"),
        ("id,name\n", r"lists no learners"),
        ("", r"is empty; expected a header row with an 'id' column"),
    ],
)
def test_malformed_roster_is_named_with_what_was_expected(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"^roster: .*" + message):
        read_roster(path)


def test_missing_roster_file(tmp_path):
    with pytest.raises(ValueError, match=r"^roster: .*nope.csv does not exist"):
        read_roster(tmp_path / "nope.csv")


# ------------------------------------------------------------------------------------ points in the record


def test_points_are_kept_in_the_record_and_counted():
    r = GradeResult(submission="x.ipynb", sha256="0", chapter="01")
    r.exercises["01-a"] = ExerciseResult(True, points=2)
    r.exercises["01-b"] = ExerciseResult(False, "\u2718 b", points=0.5)
    r.exercises["01-c"] = ExerciseResult(True)
    assert (r.score, r.max_score) == (3, 3.5)
    data = r.to_dict()
    assert data["exercises"]["01-a"] == {"passed": True, "message": "", "points": 2}
    assert data["exercises"]["01-c"] == {"passed": True, "message": ""}, "the default point is not written"
    assert GradeResult.from_dict(json.loads(json.dumps(data))) == r
    data["exercises"]["01-a"]["points"] = -1
    with pytest.raises(ValueError, match="not a grade record: .*points: expected a positive number, got -1"):
        GradeResult.from_dict(data)
    assert r.set_points({"a": 4.0, "c": 1}).score == 5 and isinstance(r.exercises["01-a"].points, int)


def test_course_info_lists_exercises_in_notebook_order_with_their_points():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert list(COURSE[path.name[:2]]["exercises"]) == list(exercises(nb, path.name[:2]))
    assert NAMES00 != sorted(NAMES00), "chapter 00's order is not alphabetical, so the test below can tell"


# ------------------------------------------------------------------------------------ the tables


@pytest.fixture
def classroom(tmp_path, monkeypatch, fake_grader):
    """Chapters 00 and 01 from four learners in the usual layouts, graded with a roster of four."""
    monkeypatch.chdir(tmp_path)
    subs = Path("subs")
    submission(subs / "alice" / "00_welcome.ipynb", "00", NAMES00)
    submission(subs / "alice" / "01_neurons_layers.ipynb", "01", NAMES01[:2])
    submission(subs / "00_bob.ipynb", "00", NAMES00[1:2])
    submission(subs / "bob" / "00_welcome.ipynb", "00", NAMES00[:3])  # a second chapter 00 from bob: the better
    submission(subs / "carol" / "00_welcome.ipynb", "00", [])  # not on the roster
    submission(subs / "mystery.ipynb", None, [])
    Path("roster.csv").write_text("id,name,email\ndave,Dave D,d@x.org\nBob,Bob B,b@x.org\nalice,Alice A,a@x.org\n")
    results = grade([subs], "book", ROOT, jobs=2, progress=False, roster="roster.csv")
    return Path("book"), results


def test_chapter_tables_follow_the_roster_and_the_notebooks_order(classroom):
    book, _ = classroom
    fields, rows = read_csv(book / "chapters" / "00_welcome.csv")
    assert fields == ["id", "name", "submission", "status", "reason", *NAMES00, "total", "max", "note", "feedback"]
    assert [r["id"] for r in rows] == ["dave", "Bob", "alice", "carol"]  # the roster's order (and spelling), then
    dave, bob, alice, carol = rows
    assert (dave["status"], dave["total"], dave["max"], dave["submission"]) == ("missing", "0", "4", "")
    assert all(dave[n] == "0" for n in NAMES00)
    assert bob["submission"] == str(Path("subs/bob/00_welcome.ipynb")) and bob["total"] == "3"
    assert "also handed in: " + str(Path("subs/00_bob.ipynb")) in bob["note"]
    assert [alice[n] for n in NAMES00] == ["1"] * 4 and alice["feedback"] == "feedback/alice/00_welcome.html"
    assert carol["note"] == "not on the roster"
    fields01, rows01 = read_csv(book / "chapters" / "01_neurons_layers.csv")
    assert fields01[5:-4] == NAMES01
    assert [(r["id"], r["status"], r["total"]) for r in rows01] == [
        ("dave", "missing", "0"),
        ("Bob", "missing", "0"),
        ("alice", "ok", "2"),
    ]


def test_lms_csv_has_a_row_per_roster_learner_and_a_column_per_chapter(classroom):
    book, _ = classroom
    fields, rows = read_csv(book / "lms.csv")
    assert fields == ["id", "name", "email", "00_welcome", "01_neurons_layers", "total"]
    assert rows == [
        {"id": "dave", "name": "Dave D", "email": "d@x.org", "00_welcome": "0", "01_neurons_layers": "0", "total": "0"},
        {"id": "Bob", "name": "Bob B", "email": "b@x.org", "00_welcome": "3", "01_neurons_layers": "0", "total": "3"},
        {
            "id": "alice",
            "name": "Alice A",
            "email": "a@x.org",
            "00_welcome": "4",
            "01_neurons_layers": "2",
            "total": "6",
        },
    ]


def test_grades_csv_json_and_report(classroom):
    book, results = classroom
    fields, rows = read_csv(book / "grades.csv")
    assert len(rows) == len(results) == 6
    assert fields[:5] == ["submission", "learner", "chapter", "status", "reason"] and fields[-1] == "feedback"
    assert {r["learner"] for r in rows} == {"alice", "Bob", "carol", "mystery"}
    records = json.loads((book / "grades.json").read_text())
    assert [GradeResult.from_dict(d) for d in records] == results
    assert {d["learner"] for d in records} == {"alice", "Bob", "carol", "mystery"}
    report = (book / "report.html").read_text()
    assert report.index("<h2>00_welcome") < report.index("<h2>01_neurons_layers")
    head = report.split("<h2>00_welcome", 1)[1].split("</tr>", 1)[0]
    assert [head.index(f"<th>{n}") for n in NAMES00] == sorted(head.index(f"<th>{n}") for n in NAMES00)
    assert "the ID carol is not on the roster" in report and "mystery.ipynb" in report
    assert "\u2718 isclose: wrong" in report and 'href="feedback/alice/00_welcome.html"' in report
    for page in ("alice/00_welcome", "alice/01_neurons_layers", "bob/00_bob", "bob/00_welcome", "carol/00_welcome"):
        assert (book / "feedback" / f"{page}.html").is_file()


def test_the_roster_is_kept_for_reruns_and_replaced_when_given(classroom):
    book, _ = classroom
    grade(["subs"], book, ROOT, progress=False)  # nothing to grade again, the roster stays
    assert [r["id"] for r in read_csv(book / "lms.csv")[1]] == ["dave", "Bob", "alice"]
    Path("small.csv").write_text("id\nalice\n")
    grade(["subs"], book, ROOT, progress=False, roster="small.csv")
    assert [r["id"] for r in read_csv(book / "lms.csv")[1]] == ["alice"]


def test_without_a_roster_every_learner_found_is_listed(tmp_path, monkeypatch, fake_grader):
    monkeypatch.chdir(tmp_path)
    submission(Path("subs/00_zoe.ipynb"), "00", NAMES00[:1])
    submission(Path("subs/Adam/00_welcome.ipynb"), "00", [])
    grade(["subs"], "book", ROOT, progress=False, feedback=False)
    assert [(r["id"], r["00_welcome"]) for r in read_csv(Path("book/lms.csv"))[1]] == [("Adam", "0"), ("zoe", "1")]
    assert not Path("book/feedback").exists()


def test_points_come_from_the_check_cells_metadata(tmp_path, monkeypatch, fake_grader):
    """A course whose first exercise of chapter 00 is worth 3 points: the grade book counts 3."""
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    nb = nbformat.read(ROOT / "solutions" / "00_welcome.ipynb", as_version=4)
    check = exercises(nb, "00")[NAMES00[0]]["check"]
    nb.cells[check].metadata["dlcourse"] = {"points": 3}
    nbformat.write(nb, root / "solutions" / "00_welcome.ipynb")
    monkeypatch.chdir(tmp_path)
    submission(Path("subs/00_amy.ipynb"), "00", NAMES00[:2])
    [result] = grade(["subs"], "book", root, progress=False, feedback=False)
    assert (result.score, result.max_score) == (4, 6)
    stored = json.loads(next(Path("book/results").glob("*.json")).read_text())
    assert stored["exercises"][f"00-{NAMES00[0]}"]["points"] == 3
    assert read_csv(Path("book/chapters/00_welcome.csv"))[1][0][NAMES00[0]] == "3"


# ------------------------------------------------------------------------------------ shards


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "a/b", "2", "1/2/3", " /4"])
def test_bad_shard_values_are_named(value):
    with pytest.raises(ValueError, match=r"^--shard: expected K/N"):
        parse_shard(value)


def test_shards_are_stable_and_share_out_every_submission():
    assert parse_shard(" 2/ 8") == (2, 8) and parse_shard(None) is None
    keys = [f"learner{i}/01_neurons_layers.ipynb" for i in range(200)]
    counts = [0] * 4
    for key in keys:
        counts[shard_of(key, 4) - 1] += 1
    assert sum(counts) == 200 and min(counts) >= 30, counts  # fixed keys, fixed split: not a matter of chance
    assert [shard_of(k, 4) for k in keys[:6]] == [shard_of(k, 4) for k in keys[:6]]
    assert all(shard_of(k, 1) == 1 for k in keys)


@pytest.fixture
def big_class(tmp_path, monkeypatch, fake_grader):
    monkeypatch.chdir(tmp_path)
    for i in range(12):
        submission(Path(f"subs/learner{i:02d}/00_welcome.ipynb"), "00", NAMES00[: i % 5])
        if i % 3 == 0:
            submission(Path(f"subs/learner{i:02d}/01_neurons_layers.ipynb"), "01", NAMES01[: i % 4])
    Path("roster.csv").write_text("id\n" + "".join(f"learner{i:02d}\n" for i in range(14)))
    return Path("subs")


def _table(path: Path, drop: tuple[str, ...] = ("seconds",)) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in drop} for row in read_csv(path)[1]]


def test_grading_in_shards_and_merging_equals_grading_at_once(big_class, capsys):
    assert main(["grade", "subs", "--out", "whole", "--root", str(ROOT), "--roster", "roster.csv"]) == 0
    for k in (1, 2):
        args = ["grade", "subs", "--out", f"part{k}", "--root", str(ROOT), "--roster", "roster.csv"]
        assert main([*args, "--shard", f"{k}/2"]) == 0
    parts = [len(list(Path(f"part{k}/results").glob("*.json"))) for k in (1, 2)]
    assert sum(parts) == 16 and min(parts) > 0
    assert main(["grade", "merge", "merged", "part2", "part1"]) == 0
    whole, merged = Path("whole"), Path("merged")
    assert _table(merged / "grades.csv") == _table(whole / "grades.csv")
    assert _table(merged / "lms.csv") == _table(whole / "lms.csv")
    for chapter in ("00_welcome", "01_neurons_layers"):
        assert _table(merged / "chapters" / f"{chapter}.csv") == _table(whole / "chapters" / f"{chapter}.csv")
    assert sorted(p.relative_to(merged) for p in merged.rglob("*.html")) == sorted(
        p.relative_to(whole) for p in whole.rglob("*.html")
    )
    assert main(["merge-grades", "merged", "part1", "part2"]) == 0, "an earlier merge may be replaced"


def _shards(tmp: Path) -> None:
    for k in (1, 2, 3):
        grade(["subs"], f"part{k}", ROOT, progress=False, feedback=False, shard=f"{k}/3")


def test_merge_refuses_pieces_that_do_not_fit(big_class):
    _shards(Path("."))
    with pytest.raises(ValueError, match=r"^shards: expected all 3 shards, missing 3/3"):
        merge("out", ["part1", "part2"])
    with pytest.raises(ValueError, match=r"^shards: shard 2/3 is given twice"):
        merge("out", ["part1", "part2", "part2", "part3"])
    with pytest.raises(ValueError, match=r"has no shard.json"):
        merge("out", ["part1", "part2", "subs"])
    shutil.copytree("part3", "part3-changed")  # a result of another file than the shard was given
    victim = next(Path("part3-changed/results").glob("*.json"))
    data = json.loads(victim.read_text())
    data["sha256"] = "0" * 64
    victim.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"the result of .* cannot be trusted: it does not match what the grader"):
        merge("out", ["part1", "part2", "part3-changed"])
    integrity.seal(Path("part3-changed"), victim, {})  # as if its grader had written it so
    with pytest.raises(ValueError, match=r"the result of .* is of another file than the one it was given"):
        merge("out", ["part1", "part2", "part3-changed"])
    victim.unlink()  # ... or none at all
    with pytest.raises(ValueError, match=r"shard 3/3 .* is incomplete: .* has no result \(run that shard again\)"):
        merge("out", ["part1", "part2", "part3-changed"])
    submission(Path("subs/late/00_welcome.ipynb"), "00", [])  # a shard graded from another set of files
    grade(["subs"], "part3-late", ROOT, progress=False, feedback=False, shard="3/3")
    with pytest.raises(ValueError, match=r"saw other submissions than shard 1/3 .*from the same folder"):
        merge("out", ["part1", "part2", "part3-late"])
    Path("not-empty").mkdir()
    Path("not-empty/notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"^out: .* is not empty and not an earlier merge"):
        merge("not-empty", ["part1", "part2", "part3"])
    assert len(merge("out", ["part3", "part1", "part2"])) == 16


def test_merge_refuses_shards_of_other_course_versions_or_splits(big_class):
    _shards(Path("."))
    grade(["subs"], "half1", ROOT, progress=False, feedback=False, shard="1/2")
    with pytest.raises(ValueError, match=r"different splits \(N = 2, 3\)"):
        merge("out", ["half1", "part2", "part3"])
    course = json.loads(Path("part2/course.json").read_text())
    course["00"]["exercises"][NAMES00[0]] = 5
    Path("part2/course.json").write_text(json.dumps(course))
    with pytest.raises(ValueError, match=r"shard 2/3 .* was graded against another version of the course"):
        merge("out", ["part1", "part2", "part3"])


def test_cli_reports_bad_shard_and_roster_arguments(tmp_path, capsys, fake_grader):
    subs = tmp_path / "subs"
    submission(subs / "00_amy.ipynb", "00", [])
    base = ["grade", str(subs), "--out", str(tmp_path / "o"), "--root", str(ROOT)]
    assert main([*base, "--shard", "3/2"]) == 2
    assert "dlcourse grade: --shard: expected K/N with 1 <= K <= N" in capsys.readouterr().err
    (tmp_path / "r.csv").write_text("name\nAmy\n")
    assert main([*base, "--roster", str(tmp_path / "r.csv")]) == 2
    assert "dlcourse grade: roster: " in capsys.readouterr().err
    assert main(["merge-grades", str(tmp_path / "m"), str(subs)]) == 2
    assert "dlcourse merge-grades: shards: " in capsys.readouterr().err


def test_submission_keys_are_paths_below_the_folder_named(tmp_path):
    submission(tmp_path / "a" / "x" / "00_welcome.ipynb", "00", [])
    submission(tmp_path / "b.ipynb", "00", [])
    found = locate([tmp_path / "a", tmp_path / "b.ipynb"])
    assert found == [
        Submission(tmp_path / "a" / "x" / "00_welcome.ipynb", "x/00_welcome.ipynb"),
        Submission(tmp_path / "b.ipynb", "b.ipynb"),
    ]


def readme_grading_commands() -> list[str]:
    """The ``dlcourse grade``/``merge-grades`` command lines of README's "For instructors", shell variables set
    as part 1 of 8 would have them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## For instructors", 1)[1].split("\n## ", 1)[0]
    blocks = re.sub(r"\s+#.*", "", "\n".join(re.findall(r"```bash\n(.*?)```", text, re.S)))  # no comments
    values = {
        "$((JOB_COMPLETION_INDEX + 1))": "1",
        "$SLURM_ARRAY_TASK_ID": "1",
        "$SLURM_ARRAY_TASK_COUNT": "8",
        "grades-*/": "grades-1/ grades-2/",
    }
    commands = []
    for found in re.findall(r"dlcourse (?:grade|merge-grades)[^'\n#]*", blocks):
        for name, value in values.items():
            found = found.replace(name, value)
        commands.append(found.strip())
    return commands


def test_readmes_grading_commands_parse(monkeypatch):
    import dlcourse.tools.cli as cli

    seen = []
    monkeypatch.setattr(cli, "cmd_grade", lambda args: seen.append(("grade", args)) or 0)
    monkeypatch.setattr(cli, "cmd_merge", lambda args: seen.append(("merge", args)) or 0)
    commands = readme_grading_commands()
    assert len(commands) >= 5, commands  # grading, merging, Kubernetes, Slurm (twice), JupyterHub
    for command in commands:
        assert main(shlex.split(command)[1:]) == 0, command
    shards = [parse_shard(args.shard) for kind, args in seen if kind == "grade" and args.shard]
    assert shards == [(1, 8), (1, 8)]
    assert any(kind == "merge" and len(args.shards) >= 2 for kind, args in seen)
