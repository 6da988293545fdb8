"""The grade book in an output folder: one JSON file per graded submission, and the tables made from them.

What the grader writes as it goes (the tables below are remade from these whenever they change):

DIR/results/<submission>.json   one record per submission (record.py's layout), written as each one finishes
DIR/index.json                  {submission: {"learner": ID, "key": its path below the folder named, "feedback":
                                the page's path in DIR}}
DIR/course.json                 the chapters graded against, from solutions/: {"NN": {"notebook": "NN_topic",
                                "exercises": {name: points, ...}}}, exercises in notebook order
DIR/roster.csv                  the roster (id, name, email), when one was given
DIR/feedback/<learner>/...html  each submission's feedback page (see feedback.py)
DIR/.grader/                    the grader's key and each result file's seal (see integrity.py): a result file
                                that is not, byte for byte, what the grader wrote is left out of every table and
                                named in report.html, and a rerun grades its submission again

The tables:

DIR/grades.csv                  a row per submission: learner, chapter, status, the points earned per exercise (one
                                column per "NN-name", sorted), total and maximum, the feedback page
DIR/grades.json                 the records, each with its learner and feedback page, and every message
DIR/chapters/NN_topic.csv       one table per chapter: a row per learner (the roster's, in its order, then any
                                other), the points per exercise in the notebook's order, total and maximum
DIR/lms.csv                     for a learning-management system: a row per learner (id, name, email), a column of
                                points per chapter, and the total
DIR/report.html                 the chapter tables in a page, ✔/✘ per exercise (hover for the message), links to
                                the feedback pages, pass rates, and what needs a look (IDs not on the roster, two
                                submissions of one chapter, files no chapter was recognised in)

A learner with two submissions of one chapter is counted with the better one (more points; then the one that ran
to its end; then the first by path); the other is named in the table's note column.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..nbgrader_metadata import total_points
from . import integrity
from .record import UNSANDBOXED, GradeResult
from .roster import Learner, Submission, learner_id, read_roster, write_roster

INDEX, COURSE, ROSTER = "index.json", "course.json", "roster.csv"


def result_path(out: Path, submission: Path) -> Path:
    """Where the result of ``submission`` is stored: a readable slug plus a hash of its full path."""
    full = str(Path(submission).resolve())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(submission))[-80:]
    return Path(out) / "results" / f"{slug}-{hashlib.sha1(os.fsencode(full)).hexdigest()[:10]}.json"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_result(out: Path, submission: Path, result: GradeResult, settings: dict | None = None) -> None:
    """Write ``result`` to its file under results/ (atomically: an interrupted write leaves the old file) and seal
    it with the ``settings`` it was graded with (:func:`.integrity.settings`; None: not known)."""
    path = result_path(out, submission)
    atomic_write(path, json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
    integrity.seal(out, path, settings or {})


def read_result(path: Path) -> GradeResult | None:
    """The record in ``path``, or None if it is missing, cut short by an interrupted write, or foreign."""
    try:
        return GradeResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def load_result(out: Path, submission: Path) -> GradeResult | None:
    """The stored result of ``submission``, or None if there is none (or it cannot be read)."""
    return read_result(result_path(out, submission))


def load_all(out: Path) -> list[GradeResult]:
    """Every readable stored result the grader sealed, sorted by submission."""
    return _load_sealed(out)[0]


def _load_sealed(out: Path) -> tuple[list[GradeResult], list[str]]:
    """The readable results the grader sealed, sorted by submission, and the result files it did not write (each
    with why it is left out)."""
    results, foreign = [], []
    for path in sorted((Path(out) / "results").glob("*.json")):
        why = integrity.verify(out, path)
        if why is not None:
            foreign.append(f"results/{path.name}: {why}")
            continue
        record = read_result(path)
        if record is not None:
            results.append(record)
    return sorted(results, key=lambda r: r.submission), foreign


def read_json(path: Path, default: dict) -> dict:
    """A JSON object from ``path``, or ``default`` when there is no such file (a malformed one raises)."""
    path = Path(path)
    if not path.exists():
        return default
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    atomic_write(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def save_roster(out: Path, learners: list[Learner]) -> None:
    """Keep the roster in the grade book: later reruns and merges use it until another is given."""
    Path(out).mkdir(parents=True, exist_ok=True)
    write_roster(learners, Path(out) / ROSTER)


# ------------------------------------------------------------------------------------ what the tables show


@dataclass
class Row:
    """One learner in one chapter's table: the submission that counts (None when there is none)."""

    learner: str
    name: str = ""
    email: str = ""
    result: GradeResult | None = None
    feedback: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "missing" if self.result is None else self.result.status

    @property
    def total(self) -> int | float:
        return 0 if self.result is None else self.result.score


@dataclass
class Book:
    """Everything in a grade book folder the tables are made from."""

    results: list[GradeResult]
    index: dict[str, dict]
    course: dict[str, dict]
    roster: list[Learner] | None
    #: result files the grader did not write (or that changed since), left out of every table, with why
    foreign: list[str] = field(default_factory=list)

    def learner(self, result: GradeResult) -> str:
        """The learner's ID, the roster's spelling of it when the roster lists it."""
        known = self._learners.get(result.submission)
        if known is not None:
            return known
        found = self.index.get(result.submission, {}).get("learner")
        if not found:
            topics = {nn: info.get("notebook", "")[3:] for nn, info in self.course.items()}
            found = learner_id(Submission(Path(result.submission), Path(result.submission).name), topics)
        on_roster = self.roster_ids.get(found.casefold())
        self._learners[result.submission] = on_roster.id if on_roster else found
        return self._learners[result.submission]

    @cached_property
    def _learners(self) -> dict[str, str]:
        return {}

    @cached_property
    def roster_ids(self) -> dict[str, Learner]:
        """{ID in lower case: the roster's line}."""
        return {learner.id.casefold(): learner for learner in self.roster or []}

    def feedback(self, result: GradeResult) -> str:
        return self.index.get(result.submission, {}).get("feedback", "")

    def chapters(self) -> list[str]:
        """The chapters at least one submission was graded in."""
        return sorted({r.chapter for r in self.results if r.chapter})

    def notebook(self, chapter: str) -> str:
        return self.course.get(chapter, {}).get("notebook") or f"{chapter}_chapter"

    def exercise_names(self, chapter: str) -> list[str]:
        """The chapter's exercises in the notebook's order (from course.json, then any others the results hold)."""
        names = list(self.course.get(chapter, {}).get("exercises", {}))
        for r in self.results:
            if r.chapter == chapter:
                names += [k.split("-", 1)[1] for k in r.exercises if k.split("-", 1)[1] not in names]
        return names

    def max_points(self, chapter: str) -> int | float:
        points = self.course.get(chapter, {}).get("exercises")
        if points:
            return total_points(points.values())
        return max((r.max_score for r in self.results if r.chapter == chapter), default=0)

    def rows(self, chapter: str) -> list[Row]:
        """One row per learner: the roster's learners in its order, then the others by ID."""
        mine: dict[str, list[GradeResult]] = {}
        for r in self.results:
            if r.chapter == chapter:
                mine.setdefault(self.learner(r), []).append(r)
        rows = []
        listed = set()
        for learner in self.roster or []:
            listed.add(learner.id)
            rows.append(self._row(Row(learner.id, learner.name, learner.email), mine.get(learner.id, [])))
        for other in sorted(set(mine) - listed, key=lambda s: (s.casefold(), s)):
            row = self._row(Row(other), mine[other])
            if self.roster is not None:
                row.notes.insert(0, "not on the roster")
            rows.append(row)
        return rows

    def _row(self, row: Row, results: list[GradeResult]) -> Row:
        ranked = sorted(results, key=lambda r: (-r.score, r.status != "ok", r.submission))
        if ranked:
            row.result, row.feedback = ranked[0], self.feedback(ranked[0])
            if len(ranked) > 1:
                row.notes.append("also handed in: " + ", ".join(r.submission for r in ranked[1:]))
        return row

    def lms_learners(self) -> list[Learner]:
        """The rows of lms.csv: the roster, or else every learner with a graded chapter, by ID."""
        if self.roster is not None:
            return list(self.roster)
        ids = {self.learner(r) for r in self.results if r.chapter}
        return [Learner(i) for i in sorted(ids, key=lambda s: (s.casefold(), s))]

    def unattributed(self) -> list[GradeResult]:
        """Submissions no chapter was recognised in."""
        return [r for r in self.results if not r.chapter]

    def not_on_roster(self) -> list[tuple[str, GradeResult]]:
        if self.roster is None:
            return []
        ids = self.roster_ids
        return [(self.learner(r), r) for r in self.results if self.learner(r).casefold() not in ids]


def load_book(out: Path) -> Book:
    """Read the grade book in ``out`` (results, index, course, roster)."""
    out = Path(out)
    roster = read_roster(out / ROSTER) if (out / ROSTER).exists() else None
    results, foreign = _load_sealed(out)
    return Book(results, read_json(out / INDEX, {}), read_json(out / COURSE, {}), roster, foreign)


# ------------------------------------------------------------------------------------ writing the tables


def _csv_text(fields: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _columns(results: list[GradeResult]) -> list[str]:
    return sorted({key for r in results for key in r.exercises})


def submissions_table(book: Book) -> tuple[list[str], list[dict]]:
    """grades.csv: a row per submission, a column per exercise ("NN-name", sorted)."""
    columns = _columns(book.results)
    rows = []
    for r in book.results:
        row = {
            "submission": r.submission,
            "learner": book.learner(r),
            "chapter": r.chapter or "",
            "status": r.status,
            "reason": r.reason,
        }
        for col in columns:
            row[col] = "" if col not in r.exercises else r.exercises[col].earned
        row.update(
            total=r.score,
            max=r.max_score,
            seconds="" if r.seconds is None else r.seconds,
            feedback=book.feedback(r),
        )
        rows.append(row)
    fields = ["submission", "learner", "chapter", "status", "reason", *columns, "total", "max", "seconds", "feedback"]
    return fields, rows


def chapter_table(book: Book, chapter: str) -> tuple[list[str], list[dict]]:
    """chapters/NN_topic.csv: a row per learner, the points per exercise in the notebook's order."""
    names = book.exercise_names(chapter)
    top = book.max_points(chapter)
    rows = []
    for row in book.rows(chapter):
        r = row.result
        line = {
            "id": row.learner,
            "name": row.name,
            "submission": r.submission if r else "",
            "status": row.status,
            "reason": r.reason if r else "",
        }
        for name in names:
            exercise = r.exercises.get(f"{chapter}-{name}") if r else None
            line[name] = exercise.earned if exercise else 0
        line.update(total=row.total, max=r.max_score if r else top, note="; ".join(row.notes), feedback=row.feedback)
        rows.append(line)
    fields = ["id", "name", "submission", "status", "reason", *names, "total", "max", "note", "feedback"]
    return fields, rows


def lms_table(book: Book) -> tuple[list[str], list[dict]]:
    """lms.csv: a row per learner (id, name, email), the points of each chapter (0 when not handed in), total."""
    chapters = book.chapters()
    best = {ch: {row.learner: row.total for row in book.rows(ch)} for ch in chapters}
    rows = []
    for learner in book.lms_learners():
        line = {"id": learner.id, "name": learner.name, "email": learner.email}
        for ch in chapters:
            line[book.notebook(ch)] = best[ch].get(learner.id, 0)
        line["total"] = total_points(line[book.notebook(ch)] for ch in chapters)
        rows.append(line)
    return ["id", "name", "email", *(book.notebook(ch) for ch in chapters), "total"], rows


def write_tables(out: Path) -> list[GradeResult]:
    """Rewrite every table from the grade book's records; return the records, sorted by submission."""
    out = Path(out)
    book = load_book(out)
    atomic_write(out / "grades.csv", _csv_text(*submissions_table(book)))
    records = []
    for r in book.results:
        data = r.to_dict()
        data.update(learner=book.learner(r), feedback=book.feedback(r))
        records.append(data)
    atomic_write(out / "grades.json", json.dumps(records, indent=1, ensure_ascii=False))
    wanted = set()
    for chapter in book.chapters():
        path = out / "chapters" / f"{book.notebook(chapter)}.csv"
        wanted.add(path.name)
        atomic_write(path, _csv_text(*chapter_table(book, chapter)))
    for stale in (out / "chapters").glob("*.csv") if (out / "chapters").is_dir() else []:
        if stale.name not in wanted:
            stale.unlink()
    atomic_write(out / "lms.csv", _csv_text(*lms_table(book)))
    atomic_write(out / "report.html", render_html(book))
    return book.results


# ------------------------------------------------------------------------------------ report.html


def _link(href: str, text: str) -> str:
    esc = html.escape
    return f'<a href="{esc(href)}">{esc(text)}</a>' if href else esc(text)


def _chapter_section(book: Book, chapter: str) -> str:
    esc = html.escape
    names = book.exercise_names(chapter)
    points = book.course.get(chapter, {}).get("exercises", {})
    head = "".join(
        f"<th>{esc(n)}" + (f"<br><small>{esc(str(points[n]))} pt</small>" if n in points else "") + "</th>"
        for n in names
    )
    body = []
    rows = book.rows(chapter)
    for row in rows:
        r = row.result
        cells = []
        for name in names:
            e = r.exercises.get(f"{chapter}-{name}") if r else None
            if e is None:
                cells.append("<td></td>")
            elif e.passed:
                cells.append(f'<td class="pass">\u2714 {esc(str(e.earned))}</td>')
            else:
                cells.append(f'<td class="fail" title="{esc(e.message)}">\u2718 0</td>')
        status = row.status + (f": {r.reason}" if r and r.reason else "")
        notes = "; ".join(row.notes)
        learner = _link(row.feedback, row.learner) + (f" <small>{esc(row.name)}</small>" if row.name else "")
        total = f"{row.total} / {r.max_score if r else book.max_points(chapter)}"
        body.append(
            f"<tr><td>{learner}</td>{''.join(cells)}<td>{esc(total)}</td><td>{esc(status)}</td>"
            f"<td>{esc(notes)}</td></tr>"
        )
    rates = []
    for name in names:
        found = [row.result.exercises.get(f"{chapter}-{name}") for row in rows if row.result]
        graded = [e.passed for e in found if e is not None]
        rates.append(f"<td>{100 * sum(graded) / len(graded):.0f}%</td>" if graded else "<td></td>")
    title = book.notebook(chapter)
    return f"""<section>
<h2>{esc(title)} <small>({esc(str(book.max_points(chapter)))} points; \
<a href="chapters/{esc(title)}.csv">CSV</a>)</small></h2>
<table><thead><tr><th>learner</th>{head}<th>total</th><th>status</th><th>note</th></tr></thead>
<tbody>{"".join(body)}</tbody>
<tfoot><tr><td>pass rate</td>{"".join(rates)}<td></td><td></td><td></td></tr></tfoot></table>
</section>"""


def render_html(book: Book) -> str:
    """A self-contained page: a table per chapter, ✔/✘ per exercise with the message as a tooltip."""
    esc = html.escape
    learners = {book.learner(r) for r in book.results}
    warnings = []
    for learner, r in book.not_on_roster():
        warnings.append(f"<li>{esc(r.submission)}: the ID {esc(learner)} is not on the roster</li>")
    for line in book.foreign:
        warnings.append(f"<li>{esc(line)}; left out of every table (grading again replaces it)</li>")
    unsandboxed = [r for r in book.results if UNSANDBOXED in (r.reason or "")]
    if unsandboxed:
        warnings.insert(
            0,
            f"<li><strong>{len(unsandboxed)} submission(s) graded without a sandbox</strong> (--no-sandbox): their "
            "code ran with the grader's rights, and their results are only as trustworthy as their authors</li>",
        )
    sections = [_chapter_section(book, ch) for ch in book.chapters()]
    unattributed = book.unattributed()
    if unattributed:
        rows = "".join(f"<tr><td>{esc(r.submission)}</td><td>{esc(r.reason)}</td></tr>" for r in unattributed)
        sections.append(
            '<section><table class="unattributed"><caption>Submissions in which no chapter was recognised'
            f"</caption><tbody>{rows}</tbody></table></section>"
        )
    warning_list = f"<h2>To look at</h2><ul>{''.join(warnings)}</ul>" if warnings else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grades</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: center; }}
td:first-child, td:last-child {{ text-align: left; }} .pass {{ color: #1a7f37; }}
.fail {{ color: #cf222e; cursor: help; }} tfoot td {{ font-weight: bold; }}
caption {{ text-align: left; font-weight: bold; padding: 4px 0; }}
</style></head><body>
<h1>Grades</h1>
<p>{len(book.results)} submission(s) from {len(learners)} learner(s). Hover over a \u2718 to read the check's message;
a learner's name links to their feedback page. For a learning-management system: <a href="lms.csv">lms.csv</a>.</p>
{warning_list}
{"".join(sections)}
</body></html>
"""
