"""dlcourse.tools.export: chapters as printable HTML pages, executed once per test session.

Every chapter is exported with its solutions, and chapter 00 as the learner's copy; the pages are checked here as
files (structure, embedded figures, every formula as MathML, no script, nothing loaded from the network, the
index). tests/test_browser.py opens the same export in Chromium and prints it. The TeX-to-MathML conversion, the
markdown around it (code spans, escaped dollars), a formula that cannot be converted and the kernels' shutdown are
tested on small notebooks of their own.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

import dlcourse.tools.export
from dlcourse.tools.cli import main
from dlcourse.tools.export import (
    BREAKABLE,
    WIDGET_VIEW,
    MathError,
    chapter_notebooks,
    chapter_title,
    export_html,
    make_exporter,
    prepare_for_export,
    select_chapters,
    tex_to_mathml,
)
from dlcourse.tools.notebooks import exercises
from dlcourse.viz.core import figure_to_png, new_figure

ROOT = Path(__file__).resolve().parents[1]
#: every chapter: each has math of its own (chapter 02 its aligned derivations, chapter 06 its matrices)
CHAPTERS = [p.name[:2] for p in chapter_notebooks(ROOT / "solutions")]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EXPORTS_KEY = pytest.StashKey[dict]()
#: TeX that a reader must never see in a page's text: a $...$ span, a control word, \( or \[
RAW_TEX = re.compile(r"\$[^$\n]*\$|\\[A-Za-z]{2,}|\\[(\[]")


@dataclass
class Export:
    out: Path
    paths: list[Path]

    def page(self, chapter: str) -> Path:
        return next(p for p in self.paths if p.name.startswith(f"{chapter}_"))


def export_once(config, tmp_path_factory, *, learner: bool, chapters: list[str]) -> Export:
    """Export ``chapters`` once per test session (this module and test_browser.py share the result)."""
    cache = config.stash.setdefault(EXPORTS_KEY, {})
    key = (learner, tuple(chapters))
    if key not in cache:
        out = tmp_path_factory.mktemp("export-learner" if learner else "export")
        cache[key] = Export(out, export_html(ROOT, out, learner=learner, chapters=chapters))
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


def markdown_formulas(nb) -> list[tuple[int, str]]:
    """(cell index, TeX) of every formula in the markdown cells, in order, as nbconvert's markdown parser finds
    them (after code spans, code blocks and escaped dollars, which are not math)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    found = []

    class Recorder(IPythonRenderer):
        def block_math(self, body):
            found.append((index, body))
            return ""

        inline_math = block_math

        def latex_environment(self, name, body):
            found.append((index, f"\\begin{{{name}}}{body}\\end{{{name}}}"))
            return ""

    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            MarkdownWithMath(renderer=Recorder(escape=False)).render(cell.source)
    return found


def prose(element) -> str:
    """The text a reader sees in ``element`` outside its code and its math."""
    copy = BeautifulSoup(str(element), "html.parser")
    for e in copy.find_all(["code", "pre", "math", "script", "style"]):
        e.decompose()
    return copy.get_text()


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
    assert names == [f"{p.stem}.html" for p in chapter_notebooks(ROOT / "solutions")] + ["index.html"]
    assert names[:2] == ["00_welcome.html", "01_neurons_layers.html"]
    assert all(p.parent == solutions_export.out and p.stat().st_size > 10_000 for p in solutions_export.paths[:-1])
    # the pages stand alone: nothing else is written next to them (no script or font folder to carry along)
    assert sorted(p.name for p in solutions_export.out.iterdir()) == sorted(names)


def test_index_lists_number_title_and_link_of_each_chapter(solutions_export):
    index = soup(solutions_export.out / "index.html")
    rows = [tr.find_all("td") for tr in index.select("table.chapters tbody tr:not(.part)")]
    got = [(r[0].get_text(strip=True), r[1].get_text(strip=True), r[1].a["href"]) for r in rows]
    # the two parts of the course, each heading before its first chapter, as in README's table
    parts = [tr.get_text(strip=True) for tr in index.select("table.chapters tbody tr.part")]
    assert parts == ["Part one: following the source articles", "Part two: going further"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"### {part}" in readme for part in parts)
    first_of_part_two = index.select_one("table.chapters tbody tr.part:nth-of-type(1) ~ tr.part + tr td")
    assert first_of_part_two.get_text(strip=True) == "15"
    expected = [
        (p.name[:2], first_heading(ROOT / "solutions" / f"{p.stem}.ipynb"), p.name) for p in solutions_export.paths[:-1]
    ]
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
NETWORK_LOAD = re.compile(
    r"""<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
    r"""|import\(\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
    re.I,
)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_loads_nothing_from_the_network(solutions_export, chapter):
    path = solutions_export.page(chapter)
    text = path.read_text(encoding="utf-8")
    assert not NETWORK_LOAD.findall(text)
    # no script at all: nothing has to run before the page is complete, so a printout never catches it half done
    assert soup(path).find_all("script") == []


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_formula_is_typeset_as_mathml(solutions_export, chapter):
    """Each formula of the notebook's markdown is one <math> element of the page, in order, with its TeX as the
    annotation; no TeX is left in the text around them."""
    formulas = markdown_formulas(nbformat.read(ROOT / "solutions" / source_name(chapter), as_version=4))
    page = soup(solutions_export.page(chapter))
    maths = page.select(".jp-MarkdownCell math")
    assert len(formulas) >= 40, "every chapter has math"
    assert [m.select_one("annotation").get_text() for m in maths] == [tex for _, tex in formulas]
    assert all(m["display"] in ("block", "inline") and m.select_one("semantics > mrow") for m in maths)
    assert not page.select("merror")
    leftover = [
        (i, hit) for i, cell in enumerate(page.select(".jp-MarkdownCell")) for hit in RAW_TEX.findall(prose(cell))
    ]
    assert leftover == []


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
    outputs = [
        nbformat.v4.new_output("display_data", {WIDGET_VIEW: view, **data})
        for view, data in [
            ({"model_id": "fig", "version_major": 2, "version_minor": 0}, {"image/png": png, "text/plain": "<Fig>"}),
            ({"model_id": "slider", "version_major": 2, "version_minor": 0}, {"text/plain": "IntSlider(value=3)"}),
        ]
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=outputs)])
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {"fig": {}, "slider": {}},
            "version_major": 2,
            "version_minor": 0,
        }
    }
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
    errors = [
        o
        for o in page.select('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        if "NotImplementedError" in o.get_text()
    ]
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


@pytest.mark.parametrize(
    "source, title",
    [
        ("# 03 · Training on real data\n\ntext", "Training on real data"),
        ("Intro\n\n## 02 - Setup ##", "Setup"),
        ("#no space is not a heading\n# Real one", "Real one"),
        ("no heading at all", "fallback"),
    ],
)
def test_chapter_title_is_the_first_heading_without_its_number(source, title):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("# a comment, not a heading"), nbformat.v4.new_markdown_cell(source)]
    )
    assert chapter_title(nb, default="fallback") == title


@pytest.mark.parametrize(
    "kwargs, name",
    [
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
    ],
)
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
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 07 · Tiny\n\n![a diagram](diagram.png)"),
            nbformat.v4.new_code_cell("print(6 * 7)"),
        ]
    )
    nbformat.write(nb, tmp_path / "solutions" / "07_tiny.ipynb")
    paths = export_html(tmp_path, tmp_path / "out", timeout=60)
    assert [p.name for p in paths] == ["07_tiny.html", "index.html"]
    assert re.search(r"^\[1/1\] 07_tiny\.ipynb: [\d.]+ s -> .*07_tiny\.html", capsys.readouterr().out, re.M)
    page = soup(paths[0])
    [img] = page.select(".jp-RenderedMarkdown img")
    assert img["src"].startswith("data:image/png;base64,") and img["alt"] == "a diagram"
    assert "42" in page.select_one(".jp-OutputArea-output").get_text()
    assert "Tiny" in (tmp_path / "out" / "index.html").read_text()


# --------------------------------------------------------------------------------------------- the math


def mathml(tex: str, *, display: bool = False) -> BeautifulSoup:
    return BeautifulSoup(tex_to_mathml(tex, display=display), "html.parser")


def test_a_formula_becomes_mathml_with_its_tex_as_annotation():
    page = mathml(r"\frac{a}{b} < 1", display=True)
    math = page.math
    assert math["display"] == "block"
    assert math.select_one("semantics > mrow mfrac") is not None
    assert math.select_one("annotation")["encoding"] == "application/x-tex"
    assert math.select_one("annotation").get_text() == r"\frac{a}{b} < 1"
    assert [o.get_text() for o in math.find_all("mo")] == ["<"]
    assert mathml("x").math["display"] == "inline"


@pytest.mark.parametrize(
    "tex, check",
    [
        # letters: Unicode mathematical letters, since MathML Core browsers ignore mathvariant
        (
            r"\mathbf z + \mathbf{W} + \mathbf{\theta}",
            lambda m: (
                [t.get_text() for t in m.find_all("mi")] == ["𝐳", "𝐖", "𝛉"]
                and not m.find(attrs={"mathvariant": "bold"})
            ),
        ),
        (r"\mathbb{R}^{N \times D}", lambda m: m.mi.get_text() == "ℝ"),
        (r"\mathrm{softmax}(x)", lambda m: m.find("mi").get_text() == "softmax"),
        (r"\text{fan\_in} + \text{\#}", lambda m: [t.get_text() for t in m.find_all("mtext")] == ["fan_in", "#"]),
        (r"\texttt{x = y}", lambda m: "monospace" in m.mtext["style"]),
        # spacing as in TeX: none around / and |a|, a thin space after \log, none inside scripts
        (r"\partial L/\partial w", lambda m: all(o["lspace"] == o["rspace"] == "0" for o in m.find_all("mo"))),
        (
            r"|a| + \|b\|",
            lambda m: [o.get("stretchy") for o in m.find_all("mo") if o.get_text() in "|‖"] == ["false"] * 4,
        ),
        (r"\log x", lambda m: m.mi.find_next_sibling().name == "mspace"),
        (r"\log(x)", lambda m: m.mi.find_next_sibling().name == "mo"),
        (r"x_{n+1}", lambda m: m.msub.mo["lspace"] == "0"),
        (r"\max(a, b)", lambda m: m.find("mo").get("rspace") == "0"),
        # limits below and above \sum and \max (the browser sets them to the side in running text)
        (r"\sum_{i=1}^{n} x_i", lambda m: m.munderover.mo["movablelimits"] == "true"),
        (r"\max_{k} x_k", lambda m: m.munder is not None),
        # primes on the baseline, accents as accents
        (
            r"f'(x) + x''_{n}",
            lambda m: (
                not m.find("msup") and [o.get_text() for o in m.find_all("mo") if o.get_text() in "′″"] == ["′", "″"]
            ),
        ),
        (r"\bar x + \hat{y}", lambda m: [o["accent"] for o in m.find_all("mover")] == ["true", "true"]),
        # environments: aligned as a table aligned like TeX's (Chromium needs the CSS), cases, matrices
        (
            r"\begin{aligned} a &= b \\ c + d &= e \end{aligned}",
            lambda m: (
                len(m.find_all("mtr")) == 2
                and "-webkit-right" in m.mtd["style"]
                and "-webkit-left" in m.find_all("mtd")[1]["style"]
            ),
        ),
        (
            r"y = \begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}",
            lambda m: len(m.find_all("mtd")) == 4,
        ),
        (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", lambda m: len(m.find_all("mtd")) == 4),
        (r"\textstyle\sum_n x_n", lambda m: m.mstyle.munder is not None or m.mstyle.munderover is not None),
    ],
)
def test_tex_is_converted_as_tex_would_set_it(tex, check):
    assert check(mathml(tex, display=True)), tex_to_mathml(tex, display=True)


def test_a_wide_display_may_break_between_its_qquad_parts():
    parts = mathml(r"a = 1, \qquad b = 2, \qquad c = 3.", display=True).select_one(f"mrow.{BREAKABLE}")
    assert parts is not None and [p.name for p in parts.find_all(recursive=False)] == ["mrow"] * 3
    assert not parts.find("mspace"), "the gap between the parts is print.css's, not a space that could start a line"
    assert mathml(r"a = 1, \qquad b = 2", display=False).select_one(f"mrow.{BREAKABLE}") is None
    assert mathml(r"a = 1, \quad b = 2", display=True).select_one(f"mrow.{BREAKABLE}") is None
    css = (Path(dlcourse.tools.export.ASSETS) / "dlcourse_print" / "print.css").read_text()
    assert f"mrow.{BREAKABLE}" in css and "flex-wrap: wrap" in css


@pytest.mark.parametrize(
    "tex, message",
    [
        (r"\foo{x} + 1", r"unknown command \\foo"),
        (r"\frac{1}{", r"cannot parse"),
        (r"a & b", r"'&' outside an environment"),
        (r"a \\ b", r"'\\\\' outside an environment"),
        (r"\begin{tikzpicture} x \end{tikzpicture}", r"unsupported environment \{tikzpicture\}"),
        (" ", r"empty formula"),
    ],
)
def test_a_formula_that_cannot_be_typeset_raises_math_error(tex, message):
    with pytest.raises(MathError, match=message):
        tex_to_mathml(tex, display=False)
    assert issubclass(MathError, ValueError)


def test_code_spans_code_blocks_and_escaped_dollars_are_not_math():
    cells = [
        nbformat.v4.new_markdown_cell("# T\n\nIt costs \\$5, or \\$10 with `$x$` and `$$` in code; $y^2$ is math."),
        nbformat.v4.new_markdown_cell(
            "```python\nprice = '$$ 5 $$'  # $z$\n```\n\n    $indented$ code\n\n"
            "| a | b |\n|---|---|\n| $t_1$ | `$` |\n\n$$\\sum_i w_i$$"
        ),
        nbformat.v4.new_markdown_cell(
            "> $\\frac{\\partial L}{\\partial W}$ in a quote\n\n\\begin{equation} e = mc^2 \\end{equation}"
        ),
        nbformat.v4.new_code_cell(
            "show()",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    {"text/latex": r"$$\frac{1}{2}$$", "text/plain": "<IPython.core.display.Math object>"},
                )
            ],
        ),
    ]
    body, _ = make_exporter().from_notebook_node(nbformat.v4.new_notebook(cells=cells))
    page = BeautifulSoup(body, "html.parser")
    texts = [m.select_one("annotation").get_text() for m in page.select("math")]
    assert texts == [
        "y^2",
        "t_1",
        r"\sum_i w_i",
        r"\frac{\partial L}{\partial W}",
        r"\begin{equation} e = mc^2 \end{equation}",
        r"\frac{1}{2}",
    ]
    first = page.select(".jp-MarkdownCell")[0]
    assert "It costs $5, or $10 with" in first.get_text()
    assert [c.get_text() for c in first.find_all("code")] == ["$x$", "$$"]
    assert "price = '$$ 5 $$'  # $z$" in page.select(".jp-MarkdownCell")[1].find("pre").get_text()
    assert "$indented$ code" in page.select(".jp-MarkdownCell")[1].find_all("pre")[1].get_text()
    assert page.select_one(".jp-RenderedLatex math mfrac") is not None
    assert [hit for cell in page.select(".jp-MarkdownCell") for hit in RAW_TEX.findall(prose(cell))] == ["$5, or $"]


def test_a_formula_keeps_the_punctuation_touching_it_on_its_line():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("so $\\eta < 1$: and ($a$ or $b$), $c$ d")])
    body, _ = make_exporter().from_notebook_node(nb)
    groups = [
        (prose(g), [m.annotation.get_text() for m in g.find_all("math")])
        for g in BeautifulSoup(body, "html.parser").select("span.dlcourse-nobreak")
    ]
    assert groups == [(":", [r"\eta < 1"]), ("(", ["a"]), ("),", ["b"])]  # $c$ d: nothing to keep
    assert ".dlcourse-nobreak" in (Path(dlcourse.tools.export.ASSETS) / "dlcourse_print" / "print.css").read_text()


def test_a_formula_that_cannot_be_typeset_names_its_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# T"),
            nbformat.v4.new_code_cell("1"),
            nbformat.v4.new_markdown_cell("fine $x$, broken $\\nope{x}$"),
        ]
    )
    with pytest.raises(MathError, match=r"^cell 2 \(markdown\): formula \$\\nope\{x\}\$: unknown command \\nope$"):
        make_exporter().from_notebook_node(nb)
    nb.cells[2].source = "fine"
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", {"text/latex": r"$$\frac{1}{$$", "text/plain": "1"})]
    with pytest.raises(MathError, match=r"^cell 1 \(an output\): formula \$\$\\frac\{1\}\{\$\$: cannot parse it"):
        make_exporter().from_notebook_node(nb)


def tiny_course(root: Path, chapters: dict[str, list]) -> Path:
    """A course folder of its own: solutions/NN_tiny.ipynb for each chapter number, with the cells given."""
    (root / "solutions").mkdir(parents=True)
    for number, cells in chapters.items():
        nbformat.write(
            nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {number} · Tiny"), *cells]),
            root / "solutions" / f"{number}_tiny.ipynb",
        )
    return root


def test_the_export_stops_at_a_formula_it_cannot_typeset_naming_chapter_cell_and_formula(tmp_path, capsys, monkeypatch):
    root = tiny_course(
        tmp_path / "course",
        {
            "07": [
                nbformat.v4.new_markdown_cell("ok $a$"),
                nbformat.v4.new_markdown_cell("$$\\begin{bmatrix} a \\end{bmat}$$"),
            ]
        },
    )
    expected = r"solutions/07_tiny\.ipynb, cell 2 \(markdown\): formula \$\$\\begin\{bmatrix\} a \\end\{bmat\}\$\$: "
    executed = []
    monkeypatch.setattr(dlcourse.tools.export, "execute_notebook", lambda path, **kwargs: executed.append(path))
    with pytest.raises(MathError, match="^" + expected):
        export_html(root, tmp_path / "out", timeout=60)
    assert executed == [], "the formulas are checked before any notebook runs"
    assert not (tmp_path / "out").exists()
    capsys.readouterr()
    assert main(["export", "html", "--out", str(tmp_path / "out"), "--root", str(root)]) == 2
    assert re.search(r"^dlcourse export: " + expected, capsys.readouterr().err, re.M)


def test_each_chapter_kernel_is_shut_down_before_the_next_chapter_runs(tmp_path, monkeypatch):
    import psutil

    report = nbformat.v4.new_code_cell("import psutil\nme = psutil.Process()\nprint(me.pid, repr(me.create_time()))")
    root = tiny_course(tmp_path / "course", {"07": [report], "08": [report]})
    kernels, alive_at_start = [], []

    def running(pid: int, created: float) -> bool:
        try:
            process = psutil.Process(pid)
            return process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    real = dlcourse.tools.export.execute_notebook

    def execute_and_note_the_kernel(path, **kwargs):
        alive_at_start.append([k for k in kernels if running(*k)])
        nb = real(path, **kwargs)
        pid, created = nb.cells[1].outputs[0].text.split()
        kernels.append((int(pid), float(created)))
        assert not running(*kernels[-1]), f"the kernel of {path.name} is still running after its chapter"
        return nb

    monkeypatch.setattr(dlcourse.tools.export, "execute_notebook", execute_and_note_the_kernel)
    export_html(root, tmp_path / "out", timeout=60)
    assert len(kernels) == 2 and kernels[0][0] != kernels[1][0] and kernels[0][0] != psutil.Process().pid
    assert alive_at_start == [[], []]


def test_a_folder_without_chapters_is_refused(tmp_path):
    (tmp_path / "solutions").mkdir()
    with pytest.raises(ValueError, match=r"^root: no chapter notebooks"):
        export_html(tmp_path, tmp_path / "out")
    with pytest.raises(ValueError, match=r"^root: .* has no course/ folder"):
        export_html(tmp_path, tmp_path / "out", learner=True)
