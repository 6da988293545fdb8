"""Feedback pages: the graded notebook with each check's message and points, and nothing a learner wrote runs.

A learner's notebook is untrusted: its markdown, outputs, metadata and attachments may hold markup meant to run in
whoever opens the page. The hostile notebook below tries the usual ways in; the page is read with an HTML parser
(no script, no event handler, no javascript: link, pictures only as data: PNG/JPEG/GIF), opened in Chromium (no
dialog, no flag set), and the last test grades real submissions and reads their pages.
"""

from __future__ import annotations

import base64
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from browser_support import needs_chromium
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from dlcourse.tools.grading import ExerciseResult, GradeResult, grade
from dlcourse.tools.grading.feedback import read_notebook, render_feedback, safe_notebook
from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "00"
SOLUTIONS = nbformat.read(next((ROOT / "solutions").glob(f"{CHAPTER}_*.ipynb")), as_version=4)
NAMES = list(exercises(SOLUTIONS, CHAPTER))
PWN = "window.pwned = 1; alert(1)"
#: a tiny valid PNG (1x1 pixel)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def hostile_cells(secret: str) -> list:
    """Cells that try to run script, load things or read files in a feedback page."""
    markdown = new_markdown_cell(
        f"# Hello <script>{PWN}</script>\n\n"
        f'<img src=x onerror="{PWN}"> <iframe src="javascript:{PWN}"></iframe>\n\n'
        f"[click](javascript:{PWN}) [data](data:text/html,<script>{PWN}</script>)\n\n"
        f"![secret]({secret}) ![remote](https://example.org/x.png) ![ok](attachment:dot.png) "
        "![svg](attachment:evil.svg)\n\n"
        "$x^2$ and a formula that cannot be typeset: $\\notacommand{$\n\n"
        f'```mermaid\ngraph TD; A-->B; click A callback "<script>{PWN}</script>"\n```\n',
        attachments={
            "dot.png": {"image/png": PNG},
            "evil.svg": {"image/svg+xml": base64.b64encode(f"<svg onload='{PWN}'/>".encode()).decode()},
        },
    )
    markdown.metadata["tags"] = [f'"><script>{PWN}</script>', "plain-tag"]
    code = new_code_cell(
        'print("</script><script>window.pwned = 1</script>")',
        outputs=[
            new_output("display_data", data={"text/html": f"<script>{PWN}</script>", "text/plain": "<HTML view>"}),
            new_output("display_data", data={"application/javascript": PWN}),
            new_output("display_data", data={"image/svg+xml": f"<svg onload='{PWN}'></svg>"}),
            new_output("display_data", data={"text/markdown": f"<img src=x onerror='{PWN}'>"}),
            new_output("display_data", data={"text/latex": f"$<script>{PWN}</script>$"}),
            new_output("display_data", data={"image/png": f'AAAA" onerror="{PWN}'}),
            new_output("display_data", data={"image/png": PNG}, metadata={"image/png": {"width": f"1 onerror={PWN}"}}),
            new_output("stream", name="stdout", text=f"<script>{PWN}</script>\n"),
            new_output("error", ename="Boom<b>", evalue="<i>", traceback=[f"\x1b[31m<script>{PWN}</script>\x1b[0m"]),
            new_output(
                "display_data",
                data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "Widget"},
            ),
        ],
    )
    code.metadata["dlcourse"] = {"points": f"<script>{PWN}</script>"}
    raw = new_raw_cell(f"<script>{PWN}</script>", metadata={"raw_mimetype": "text/html", "format": "text/html"})
    return [markdown, code, raw]


class Page(HTMLParser):
    """Every element and attribute of a page, to look for anything that runs or loads."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_nothing_runs(text: str) -> Page:
    page = Page(text)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "iframe", "frame", "object", "embed", "form", "svg", "link", "base", "input"}, names
    for tag, attrs in page.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for key in ("href", "src", "action", "formaction", "xlink:href"):
            if key not in attrs:
                continue
            value = (attrs[key] or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text")), (tag, attrs)
            if key == "src":
                assert re.fullmatch(r"data:image/(png|jpeg|gif);base64,[a-z0-9+/=]+", value), (tag, attrs)
            if key == "href":
                assert value.startswith(("#", "https://", "http://", "mailto:")), (tag, attrs)  # links, no loads
    [csp] = [a for t, a in page.tags if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert "default-src 'none'" in csp["content"] and "script" not in csp["content"]
    return page


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A chapter-00 notebook with the hostile cells in front and its last check cell deleted, and its page."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "secret.png").write_bytes(b"\x89PNG TOPSECRET")
    nb = nbformat.read(next((ROOT / "course").glob(f"{CHAPTER}_*.ipynb")), as_version=4)
    found = exercises(nb, CHAPTER)
    last_check = nb.cells[found[NAMES[-1]]["check"]]
    nb.cells = hostile_cells("secret.png") + [c for c in nb.cells if c is not last_check]
    path = folder / f"{CHAPTER}_mallory.ipynb"
    nbformat.write(nb, path)
    result = GradeResult(submission=str(path), sha256="0" * 64, chapter=CHAPTER)
    for i, name in enumerate(NAMES):
        message = f"\u2718 {name}: wrong <script>{PWN}</script>" if i else ""
        result.exercises[f"{CHAPTER}-{name}"] = ExerciseResult(i == 0, message, points=2 if i == 1 else 1)
    page = render_feedback(result, path, learner="mallory<script>", executed=True, title="00_welcome")
    (folder / "page.html").write_text(page, encoding="utf-8")
    return folder / "page.html", page


def test_hostile_notebook_yields_a_page_where_nothing_runs_or_loads(hostile):
    _, text = hostile
    page = assert_nothing_runs(text)
    assert "TOPSECRET" not in text and base64.b64encode(b"\x89PNG TOPSECRET").decode() not in text
    shown = "".join(page.text)
    assert f"<script>{PWN}</script>" in shown, "the learner's markup is shown as text"
    assert "[application/javascript: not shown in feedback]" in shown and "<HTML view>" in shown
    assert "[picture not shown: secret]" in shown and "[picture not shown: remote]" in shown
    images = [a["src"] for t, a in page.tags if t == "img"]
    assert images.count(f"data:image/png;base64,{PNG}") == 2, "the valid PNG output and attachment are shown"
    assert "\\notacommand{" in shown, "a formula that cannot be typeset is shown as its TeX"


def test_page_gives_points_and_messages_beside_each_exercise(hostile):
    _, text = hostile
    shown = "".join(Page(text).text)
    assert "1 of 5 points" in shown
    assert f"\u2714 {NAMES[0]}:\n1 / 1 point" in shown
    assert f"\u2718 {NAMES[1]}:\n0 / 2 points" in shown and f"\u2718 {NAMES[1]}: wrong <script>" in shown
    for name in NAMES:  # each box after its check cell; the deleted check's box after its exercise
        assert text.count(f'id="feedback-{name}"') == 1
    boxes = [m.start() for m in re.finditer(r'class="dlcourse-feedback (pass|fail)"', text)]
    assert len(boxes) == len(NAMES) and boxes == sorted(boxes)
    assert shown.index(f"def {NAMES[-1]}(") < shown.index(f"\u2718 {NAMES[-1]}:\n0 / 1 point")


def test_safe_notebook_keeps_only_what_a_page_may_show():
    nb = safe_notebook(new_notebook(cells=hostile_cells("x.png")))
    markdown, code, raw = nb.cells
    assert markdown.metadata == {"tags": ["plain-tag"]} and set(markdown.attachments) == {"dot.png"}
    kinds = [(o.output_type, sorted(o.get("data", {}))) for o in code.outputs]
    assert all(set(data) <= {"text/plain", "image/png", "image/jpeg"} for _, data in kinds), kinds
    assert all(not o.get("metadata") for o in code.outputs) and code.metadata == {}
    assert raw.cell_type == "markdown" and raw.source.startswith("    <script>")
    assert [c.id for c in nb.cells] == ["cell-0", "cell-1", "cell-2"] and nb.metadata.get("widgets") is None


def test_unreadable_notebook_still_gets_its_grades(tmp_path):
    path = tmp_path / "00_broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    result = GradeResult(submission=str(path), sha256="", chapter=CHAPTER, status="error", reason="malformed")
    result.fail_all([f"{CHAPTER}-{n}" for n in NAMES], "malformed notebook")
    text = render_feedback(result, path, learner="x")
    shown = "".join(assert_nothing_runs(text).text)
    assert "0 of 4 points" in shown and "could not be read" in shown and "malformed notebook" in shown


def test_page_never_follows_a_link_nor_opens_a_pipe(tmp_path):
    """A submission that is a link to solutions/ must not show the answers; a pipe must not block the grader."""
    link = tmp_path / f"{CHAPTER}_eve.ipynb"
    link.symlink_to(next((ROOT / "solutions").glob(f"{CHAPTER}_*.ipynb")))
    result = GradeResult(submission=str(link), sha256="", chapter=CHAPTER, status="error", reason="a link")
    result.fail_all([f"{CHAPTER}-{n}" for n in NAMES], "not a regular file")
    text = render_feedback(result, link, learner="eve")
    assert "BEGIN SOLUTION" not in text and "could not be read" in text
    pipe = tmp_path / f"{CHAPTER}_pipe.ipynb"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="not a regular file"):
        read_notebook(pipe)
    assert "could not be read" in render_feedback(result, pipe, learner="eve")


@needs_chromium
def test_hostile_page_runs_nothing_in_a_browser(hostile, browser):
    path, _ = hostile
    page = browser.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 0
        assert page.locator(".dlcourse-feedback").count() == len(NAMES)
    finally:
        page.close()
    assert dialogs == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []


# ------------------------------------------------------------------------------------ real grading


def trimmed(kind: str) -> nbformat.NotebookNode:
    """The chapter's setup cell, exercise and check cells (solved or as handed out)."""
    folder = "solutions" if kind == "solved" else "course"
    nb = nbformat.read(next((ROOT / folder).glob(f"{CHAPTER}_*.ipynb")), as_version=4)
    found = exercises(nb, CHAPTER)
    keep = {i for info in found.values() for i in (info["cell"], info["check"])}
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = [c for i, c in enumerate(nb.cells) if i == first_code or i in keep]
    return nb


@pytest.mark.notebooks
def test_grading_writes_a_feedback_page_per_submission(tmp_path):
    subs = tmp_path / "submissions"
    solved = trimmed("solved")
    shows = new_code_cell(  # what a graded run outputs is shown as text only, too
        "from IPython.display import HTML, Javascript, display\n"
        f"display(HTML('<script>{PWN}</script>'))\ndisplay(Javascript('{PWN}'))"
    )
    solved.cells[1:1] = [*hostile_cells("secret.png")[:1], shows]
    (subs / "alice").mkdir(parents=True)
    nbformat.write(solved, subs / "alice" / f"{CHAPTER}_welcome.ipynb")
    nbformat.write(trimmed("unsolved"), subs / f"{CHAPTER}_bob.ipynb")
    results = grade([subs], tmp_path / "grades", ROOT, jobs=2, cell_timeout=60, progress=False)
    assert sorted((r.score, r.max_score) for r in results) == [(0, 4), (4, 4)]
    alice = tmp_path / "grades" / "feedback" / "alice" / f"{CHAPTER}_welcome.html"
    bob = tmp_path / "grades" / "feedback" / "bob" / f"{CHAPTER}_bob.html"
    for path, score in ((alice, 4), (bob, 0)):
        shown = "".join(assert_nothing_runs(path.read_text(encoding="utf-8")).text)
        assert f"{score} of 4 points" in shown
        for name in NAMES:
            mark = "\u2714" if score else "\u2718"
            assert f"{mark} {name}:\n{1 if score else 0} / 1 point" in shown
    bob_text = "".join(Page(bob.read_text(encoding="utf-8")).text)
    assert bob_text.count("not implemented yet") >= len(NAMES)
