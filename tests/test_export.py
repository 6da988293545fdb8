"""dlcourse.export: chapters as printable HTML pages, executed once per test session.

Chapters 00 and 01 are exported with their solutions, and chapter 00 as the learner's copy; the pages are checked
here as files (structure, embedded figures, nothing loaded from the network, the index). tests/test_browser.py opens
the same export in Chromium and prints it.
"""
from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from dlcourse.export import (WIDGET_VIEW, chapter_notebooks, chapter_title, export_html, make_exporter,
                             prepare_for_export, select_chapters)
from dlcourse.notebooks import exercises
from dlcourse.viz.core import figure_to_png, new_figure

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["00", "01"]                 # exported in the tests; export_html exports every chapter by default
EXPORT_SECONDS = 150.0                   # chapters 00-01 executed and written (each notebook's budget is 60 s)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPORTS_KEY = pytest.StashKey[dict]()


@dataclass
class Export:
    out: Path
    paths: list[Path]
    seconds: float

    def page(self, chapter: str) -> Path:
        return next(p for p in self.paths if p.name.startswith(f"{chapter}_"))


def export_once(config, tmp_path_factory, *, learner: bool, chapters: list[str]) -> Export:
    """Export ``chapters`` once per test session (this module and test_browser.py share the result)."""
    cache = config.stash.setdefault(EXPORTS_KEY, {})
    key = (learner, tuple(chapters))
    if key not in cache:
        out = tmp_path_factory.mktemp("export-learner" if learner else "export")
        start = time.perf_counter()
        paths = export_html(ROOT, out, learner=learner, chapters=chapters)
        cache[key] = Export(out, paths, time.perf_counter() - start)
    return cache[key]


@pytest.fixture(scope="session")
def solutions_export(request, tmp_path_factory) -> Export:
    return export_once(request.config, tmp_path_factory, learner=False, chapters=CHAPTERS)


@pytest.fixture(scope="session")
def learner_export(request, tmp_path_factory) -> Export:
    return export_once(request.config, tmp_path_factory, learner=True, chapters=["00"])


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def source_name(chapter: str) -> str:
    """The file name of a chapter's solutions notebook."""
    return next((ROOT / "solutions").glob(f"{chapter}_*.ipynb")).name


def first_heading(path: Path) -> str:
    """The title as an author writes it: '# NN · Title' on the first line of the first cell."""
    line = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    return line.split("·", 1)[1].strip()


def code_cell_with_input(page: BeautifulSoup, source: str):
    """The exported code cell whose whole input is ``source``."""
    for cell in page.select("div.jp-CodeCell"):
        editor = cell.select_one(".jp-InputArea-editor")
        if editor is not None and editor.get_text().strip() == source:
            return cell
    raise AssertionError(f"no code cell with input {source!r}")


# ---------------------------------------------------------------------------------------------- the export


def test_writes_a_page_per_chapter_then_the_index(solutions_export):
    names = [p.name for p in solutions_export.paths]
    assert names == ["00_welcome.html", "01_neurons_layers.html", "index.html"]
    assert all(p.parent == solutions_export.out and p.stat().st_size > 10_000 for p in solutions_export.paths[:-1])
    assert (solutions_export.out / "mathjax" / "MathJax.js").is_file()
    assert solutions_export.seconds < EXPORT_SECONDS, f"export took {solutions_export.seconds:.0f} s"


def test_index_lists_number_title_and_link_of_each_chapter(solutions_export):
    index = soup(solutions_export.out / "index.html")
    rows = [tr.find_all("td") for tr in index.select("table.chapters tbody tr")]
    got = [(r[0].get_text(strip=True), r[1].get_text(strip=True), r[1].a["href"]) for r in rows]
    expected = [(p.name[:2], first_heading(ROOT / "solutions" / f"{p.stem}.ipynb"), p.name)
                for p in solutions_export.paths[:-1]]
    assert got == expected
    assert got[0][1] == "Welcome and toolkit"
    for _, _, href in got:
        assert (solutions_export.out / href).is_file()
    assert index.select("table.chapters thead th")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_is_titled_and_has_every_cell_run(solutions_export, chapter):
    source = ROOT / "solutions" / source_name(chapter)
    page = soup(solutions_export.page(chapter))
    assert page.title.get_text() == f"{chapter} · {first_heading(source)}"
    n_code = sum(c.cell_type == "code" for c in nbformat.read(source, as_version=4).cells)
    prompts = [p.get_text() for p in page.select("div.jp-CodeCell .jp-InputPrompt")]
    assert len(prompts) == n_code
    assert all(re.search(r"\[\d+\]", p) for p in prompts), "a code cell did not run"


# nothing a page loads may come from the network: scripts, stylesheets, images, frames, fonts, ES modules
NETWORK_LOAD = re.compile(r"""<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
                          r"""|import\(\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_loads_nothing_from_the_network(solutions_export, chapter):
    path = solutions_export.page(chapter)
    text = path.read_text(encoding="utf-8")
    assert not NETWORK_LOAD.findall(text)
    scripts = [s["src"] for s in soup(path).find_all("script", src=True)]
    assert scripts == ["mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"]
    for src in scripts:
        assert (path.parent / src.split("?")[0]).is_file()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_figures_are_embedded_pngs(solutions_export, chapter):
    images = soup(solutions_export.page(chapter)).select(".jp-OutputArea-output img")
    assert images, "no figure in the page"
    for img in images:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC


def test_widget_outputs_show_the_png_of_their_default_figure(solutions_export):
    page = soup(solutions_export.page("01"))
    cell = code_cell_with_input(page, "NetworkPlayground()")
    images = cell.select(".jp-OutputArea-output img")
    assert len(images) == 1
    png = base64.b64decode(images[0]["src"].split(",", 1)[1])
    assert png[:8] == PNG_MAGIC and len(png) > 20_000
    text = str(page)
    assert WIDGET_VIEW not in text and "widget-state+json" not in text
    assert not page.select(".jupyter-widgets")


def test_widget_views_give_way_to_their_png_or_a_note():
    """With the widget state stored (as nbclient does), nbconvert prefers the live view: a blank box on paper."""
    png = base64.b64encode(PNG_MAGIC + b"\0" * 64).decode()
    outputs = [nbformat.v4.new_output("display_data", {WIDGET_VIEW: view, **data}) for view, data in [
        ({"model_id": "fig", "version_major": 2, "version_minor": 0}, {"image/png": png, "text/plain": "<Fig>"}),
        ({"model_id": "slider", "version_major": 2, "version_minor": 0}, {"text/plain": "IntSlider(value=3)"}),
    ]]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=outputs)])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"fig": {}, "slider": {}}, "version_major": 2, "version_minor": 0}}
    plain, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.from_dict(nb))
    assert len(BeautifulSoup(plain, "html.parser").select(".jupyter-widgets.jp-OutputArea-output")) == 2
    assert not BeautifulSoup(plain, "html.parser").select(".jp-OutputArea-output img")
    fixed, _ = make_exporter().from_notebook_node(prepare_for_export(nbformat.from_dict(nb)))
    page = BeautifulSoup(fixed, "html.parser")
    assert [i["src"] for i in page.select(".jp-OutputArea-output img")] == [f"data:image/png;base64,{png}"]
    assert page.select_one(".dlcourse-widget-note") is not None
    assert "IntSlider(value=3)" not in fixed and WIDGET_VIEW not in fixed and "widget-state" not in fixed


def test_learner_export_keeps_going_and_shows_the_errors(learner_export):
    course = ROOT / "course" / source_name("00")
    nb = nbformat.read(course, as_version=4)
    n_exercises = len(exercises(nb, "00", where=course.name))
    assert [p.name for p in learner_export.paths] == [course.with_suffix(".html").name, "index.html"]
    page = soup(learner_export.paths[0])
    errors = [o for o in page.select('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
              if "NotImplementedError" in o.get_text()]
    assert len(errors) >= n_exercises
    prompts = [p.get_text() for p in page.select("div.jp-CodeCell .jp-InputPrompt")]
    assert len(prompts) == sum(c.cell_type == "code" for c in nb.cells)
    assert all(re.search(r"\[\d+\]", p) for p in prompts), "cells after a failing exercise did not run"
    last_error = page.find_all(string=re.compile("NotImplementedError"))[-1]
    assert last_error.find_all_next("img"), "no figure after the last unfinished exercise"
    assert "learner" in (learner_export.out / "index.html").read_text()


# ---------------------------------------------------------------------------------------------- the parts


def test_every_chapter_is_exported_by_default():
    solutions = chapter_notebooks(ROOT / "solutions")
    assert select_chapters(solutions, None) == sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in select_chapters(solutions, ["01", "00"])] == [p.name for p in solutions[:2]]


@pytest.mark.parametrize("source, title", [
    ("# 03 · Training on real data\n\ntext", "Training on real data"),
    ("Intro\n\n## 02 - Setup ##", "Setup"),
    ("#no space is not a heading\n# Real one", "Real one"),
    ("no heading at all", "fallback"),
])
def test_chapter_title_is_the_first_heading_without_its_number(source, title):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# a comment, not a heading"),
                                         nbformat.v4.new_markdown_cell(source)])
    assert chapter_title(nb, default="fallback") == title


@pytest.mark.parametrize("kwargs, name", [
    (dict(root=ROOT / "no-such-folder"), "root"),
    (dict(root=42), "root"),
    (dict(out=ROOT / "pyproject.toml"), "out"),
    (dict(out=ROOT / "solutions" / "html"), "out"),
    (dict(out=ROOT / "course"), "out"),
    (dict(chapters="00"), "chapters"),
    (dict(chapters=[]), "chapters"),
    (dict(chapters=["0"]), "chapters"),
    (dict(chapters=[1]), "chapters"),
    (dict(chapters=["99"]), "chapters"),
    (dict(timeout=0), "timeout"),
    (dict(timeout=-5), "timeout"),
    (dict(timeout="60"), "timeout"),
    (dict(timeout=True), "timeout"),
    (dict(learner="yes"), "learner"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name, tmp_path):
    args = dict(root=ROOT, out=tmp_path / "out") | kwargs
    root, out = args.pop("root"), args.pop("out")
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        export_html(root, out, **args)
    assert not (tmp_path / "out").exists(), "nothing is written when an argument is wrong"


def test_a_markdown_image_next_to_the_notebook_is_embedded(tmp_path, capsys):
    """export_html on a one-chapter course of its own: every chapter by default, linked images inlined."""
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "diagram.png").write_bytes(figure_to_png(new_figure(2, 1)))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 07 · Tiny\n\n![a diagram](diagram.png)"),
                                         nbformat.v4.new_code_cell("print(6 * 7)")])
    nbformat.write(nb, tmp_path / "solutions" / "07_tiny.ipynb")
    paths = export_html(tmp_path, tmp_path / "out", timeout=60)
    assert [p.name for p in paths] == ["07_tiny.html", "index.html"]
    assert re.search(r"^\[1/1\] 07_tiny\.ipynb: [\d.]+ s -> .*07_tiny\.html", capsys.readouterr().out, re.M)
    page = soup(paths[0])
    [img] = page.select(".jp-RenderedMarkdown img")
    assert img["src"].startswith("data:image/png;base64,") and img["alt"] == "a diagram"
    assert "42" in page.select_one(".jp-OutputArea-output").get_text()
    assert "Tiny" in (tmp_path / "out" / "index.html").read_text()


def test_a_folder_without_chapters_is_refused(tmp_path):
    (tmp_path / "solutions").mkdir()
    with pytest.raises(ValueError, match=r"^root: no chapter notebooks"):
        export_html(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match=r"^root: .* has no course/ folder"):
        export_html(tmp_path, tmp_path / "out", learner=True)
