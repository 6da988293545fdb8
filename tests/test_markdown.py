"""The chapters' text: inline math survives the markdown renderer, and references point at real chapters.

* A `$...$` formula broken across lines inside a blockquote or list is split by the renderer that the HTML export
  uses into separate text runs, and the reader then sees raw TeX. Within each run of text (code spans aside),
  dollar signs must pair up.
* A chapter of the course is cited with two digits ("chapter 07", "chapters 09 and 10"; one digit is left for
  books: "chapter 9 of Goodfellow et al."). Every chapter cited must exist; until it does, the text says
  "a later chapter".
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_inline_math_is_not_split_by_markdown(path):
    nb = nbformat.read(path, as_version=4)
    broken = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        html = re.sub(r"<code>.*?</code>", "", markdown2html_mistune(cell.source), flags=re.S)
        for run in re.split(r"<[^>]+>", html):
            if run.replace("\\$", "").count("$") % 2:
                broken.append(f"cell {i}: {run.strip()[:80]!r}")
                break
    assert not broken, "inline math split across lines (keep each $...$ on one line):\n" + "\n".join(broken)


COURSE_CHAPTER = re.compile(r"\b[Cc]hapters?\s+(\d\d(?:\s*(?:,|and|or|to|-|\u2013)\s*\d\d)*)\b")


def cited_chapters(text: str) -> list[str]:
    """The two-digit chapter numbers cited in ``text`` ("chapters 09 and 10" -> ["09", "10"])."""
    return [n for group in COURSE_CHAPTER.findall(text) for n in re.findall(r"\d\d", group)]


def test_cited_chapters_reads_lists_and_leaves_books_alone():
    assert cited_chapters("see chapter 07, then chapters 09 and 10; Chapter 11-12") == ["07", "09", "10", "11", "12"]
    assert cited_chapters("chapter 9 of Goodfellow et al.; chapter 8, Optimization") == []


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "solutions").glob("*.py")) + sorted((ROOT / "dlcourse").rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_cited_chapter_exists(path):
    """The chapters (solutions/) cite only chapters that exist. dlcourse/ may also name a chapter README's table
    plans: library code is written ahead of its chapter, and its docstring says which chapter it is for."""
    existing = {p.name[:2] for p in (ROOT / "solutions").glob("*.ipynb")}
    if path.is_relative_to(ROOT / "dlcourse"):
        existing |= planned_chapters()
    missing = sorted({n for n in cited_chapters(path.read_text(encoding="utf-8")) if n not in existing})
    assert not missing, (
        f"{path.relative_to(ROOT)} cites chapter(s) {', '.join(missing)}, which do not exist yet: "
        "say 'a later chapter' until they do"
    )


def planned_chapters(readme: str | None = None) -> set[str]:
    """The chapters README's table (or the table in ``readme``) lists as planned."""
    if readme is None:
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| (\d\d) \| .*\| planned \|$", readme, re.MULTILINE))


def test_planned_chapters_are_read_from_a_table():
    table = "| 14 | Frameworks: a, b | [`course/14_frameworks.ipynb`](course/14_frameworks.ipynb) | ready |\n"
    table += "| 15 | Modern convolutional networks | | planned |\n| 16 | GPT from scratch | | planned |\n"
    assert planned_chapters(table) == {"15", "16"}


def test_readme_plans_no_chapter_that_exists():
    existing = {p.name[:2] for p in (ROOT / "solutions").glob("*.ipynb")}
    assert not existing & planned_chapters()


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_number_of_exercises_the_title_promises(path):
    """A title cell that says "including the five exercises" has five exercises, each with its check."""
    nb = nbformat.read(path, as_version=4)
    text = " ".join(cell.source for cell in nb.cells if cell.cell_type == "markdown").split()
    promised = re.findall(r"including the (\w+) exercises", " ".join(text))
    count = len(exercises(nb, path.name[:2], where=path.name))
    assert promised in ([], [NUMBER_WORDS[count]]), f"the text promises {promised} exercises, the notebook has {count}"


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_a_chapter_opens_with_its_title_cell(path):
    """The first cell is the title, "# NN · Title", with NN the file's number: the export, the index and the table
    of contents take the title from there."""
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} · "), first.source[:60]
