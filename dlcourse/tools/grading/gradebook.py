"""The grade book in an output folder: one JSON file per graded submission, and the tables made from them.

DIR/results/<submission>.json   written as each submission finishes (a rerun skips those already there)
DIR/grades.csv                  a row per submission, a column per exercise (1/0), total and maximum
DIR/grades.json                 the same with every failure message
DIR/report.html                 a readable table with pass rates per exercise and the messages on hover
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
from pathlib import Path

from .record import GradeResult


def result_path(out: Path, submission: Path) -> Path:
    """Where the result of ``submission`` is stored: a readable slug plus a hash of its full path."""
    full = str(Path(submission).resolve())
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(submission))[-80:]
    return Path(out) / "results" / f"{slug}-{hashlib.sha1(full.encode()).hexdigest()[:10]}.json"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_result(out: Path, submission: Path, result: GradeResult) -> None:
    """Write ``result`` to its file under results/ (atomically: an interrupted write leaves the old file)."""
    path = result_path(out, submission)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, json.dumps(result.to_dict(), indent=1, ensure_ascii=False))


def _read(path: Path) -> GradeResult | None:
    try:
        return GradeResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):  # missing, cut short by an interrupted write, or foreign
        return None


def load_result(out: Path, submission: Path) -> GradeResult | None:
    """The stored result of ``submission``, or None if there is none (or it cannot be read)."""
    return _read(result_path(out, submission))


def load_all(out: Path) -> list[GradeResult]:
    """Every readable stored result, sorted by submission."""
    results = [_read(path) for path in sorted((Path(out) / "results").glob("*.json"))]
    return sorted((r for r in results if r is not None), key=lambda r: r.submission)


def _columns(results: list[GradeResult]) -> list[str]:
    return sorted({key for r in results for key in r.exercises})


def write_tables(out: Path) -> list[GradeResult]:
    """Rewrite grades.csv, grades.json and report.html from every stored result; return the results."""
    out = Path(out)
    results = load_all(out)
    columns = _columns(results)
    rows = []
    for r in results:
        row = {"submission": r.submission, "chapter": r.chapter or "", "status": r.status, "reason": r.reason}
        for col in columns:
            row[col] = "" if col not in r.exercises else int(r.exercises[col].passed)
        row.update(total=r.score, max=r.max_score, seconds="" if r.seconds is None else r.seconds)
        rows.append(row)
    fields = ["submission", "chapter", "status", "reason", *columns, "total", "max", "seconds"]
    tmp = out / "grades.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out / "grades.csv")
    _atomic_write(out / "grades.json", json.dumps([r.to_dict() for r in results], indent=1, ensure_ascii=False))
    _atomic_write(out / "report.html", render_html(results, columns))
    return results


def render_html(results: list[GradeResult], columns: list[str]) -> str:
    """A self-contained page: one row per submission, ✔/✘ per exercise with the message as a tooltip."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for r in results:
        cells = []
        for col in columns:
            e = r.exercises.get(col)
            if e is None:
                cells.append("<td></td>")
            elif e.passed:
                cells.append('<td class="pass">\u2714</td>')
            else:
                cells.append(f'<td class="fail" title="{esc(e.message)}">\u2718</td>')
        status = esc(r.status + (f": {r.reason}" if r.reason else ""))
        body.append(
            f"<tr><td>{esc(r.submission)}</td>{''.join(cells)}<td>{r.score} / {r.max_score}</td><td>{status}</td></tr>"
        )
    rates = []
    for col in columns:
        graded = [r.exercises[col].passed for r in results if col in r.exercises]
        rates.append(f"<td>{100 * sum(graded) / len(graded):.0f}%</td>" if graded else "<td></td>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grades</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: center; }}
td:first-child, td:last-child {{ text-align: left; }} .pass {{ color: #1a7f37; }}
.fail {{ color: #cf222e; cursor: help; }} tfoot td {{ font-weight: bold; }}
</style></head><body>
<h1>Grades</h1>
<p>{len(results)} submission(s). Hover over a \u2718 to read the check's message.</p>
<table><thead><tr><th>submission</th>{head}<th>total</th><th>status</th></tr></thead>
<tbody>{"".join(body)}</tbody>
<tfoot><tr><td>pass rate</td>{"".join(rates)}<td></td><td></td></tr></tfoot></table>
</body></html>
"""
