"""The course in a real browser: headless Chromium (Debian's package), driven by playwright.

* Each exported chapter (tests/test_export.py makes the export once per session) is opened from disk with every
  network request refused and printed to PDF: it must have pages, whole figures and rendered math (MathML, laid out
  by the browser), and nothing may stick out of the paper. Each is also printed by Chromium's own
  ``--headless --print-to-pdf`` with no waiting at all: every formula must be on paper, and no TeX.

JupyterLab in the browser is tested in tests/test_jupyterlab.py. Playwright never downloads a browser here: it
launches the chromium found on PATH (tests/browser_support.py). Without one the tests skip.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from collections import Counter

import nbformat
import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, guard, needs_chromium
from pypdf import PdfReader
from test_export import CHAPTERS, RAW_TEX, ROOT, export_once, first_heading, markdown_formulas, soup, source_name

pytestmark = needs_chromium
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)  # A4 less print.css's 12 mm side margins: 703 CSS px
PRINT_SECONDS = 300  # only against a hang: printing a chapter takes seconds


@pytest.fixture(scope="session")
def solutions_export(request, tmp_path_factory):
    return export_once(request.config, tmp_path_factory, learner=False, chapters=CHAPTERS)


# ------------------------------------------------------------------------------------- printed chapters

SCREEN_FACTS = """() => {
    const markdown_text = [...document.querySelectorAll('.jp-RenderedMarkdown')].map(md => {
        const copy = md.cloneNode(true);
        copy.querySelectorAll('code, pre, script, annotation').forEach(e => e.remove());
        return copy.textContent;
    }).join('\\n');
    const box = e => e.getBoundingClientRect();
    return {
        images: [...document.images].map(i => [i.naturalWidth, i.naturalHeight]),
        math: document.querySelectorAll('math').length,
        math_errors: document.querySelectorAll('merror').length,
        // laid out as MathML: every formula drawn, each fraction's numerator above its denominator, the TeX hidden
        math_undrawn: [...document.querySelectorAll('math')].filter(m => !(box(m).width > 0 && box(m).height > 0))
            .length,
        fractions: document.querySelectorAll('mfrac').length,
        fractions_flat: [...document.querySelectorAll('mfrac')]
            .filter(f => box(f.children[0]).bottom > box(f.children[1]).top + 0.5).length,
        annotations_shown: [...document.querySelectorAll('annotation')].filter(a => a.getClientRects().length).length,
        raw_tex: markdown_text.match(/.{0,30}(\\$|\\\\[A-Za-z]{2,}|\\\\\\(|\\\\\\[).{0,30}/g) || [],
    };
}"""

PRINT_FACTS = """() => {
    const page = document.documentElement.clientWidth;
    const shown = e => getComputedStyle(e).display !== 'none';
    const sticking_out = [...document.querySelectorAll('main *')].filter(e => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && box.right > page + 1;
    }).map(e => `${e.tagName}.${String(e.className).slice(0, 40)} to ${Math.round(e.getBoundingClientRect().right)}px`);
    return {
        page,
        prompts_shown: [...document.querySelectorAll('.jp-InputPrompt, .jp-OutputPrompt')].filter(shown).length,
        sticking_out,
        images_breakable: [...document.querySelectorAll('.jp-RenderedImage img')]
            .filter(i => getComputedStyle(i).breakInside !== 'avoid').length,
        code_not_wrapping: [...document.querySelectorAll('.jp-InputArea-editor pre, .jp-OutputArea-output pre')]
            .filter(p => getComputedStyle(p).whiteSpace !== 'break-spaces').length,
    };
}"""


def pdf_facts(pdf: bytes) -> dict:
    """Pages, the images placed on each page (their sizes), the fonts embedded and the text of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts, placed = set(), []
    for page in reader.pages:
        placed += [im.image.size for im in page.images]
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return {"pages": len(reader.pages), "placed": placed, "fonts": fonts, "text": text}


def math_fonts_installed() -> list[str]:
    """The fonts of print.css's list for math that this machine has (fontconfig), in the list's order."""
    css = (ROOT / "dlcourse" / "tools" / "export_assets" / "dlcourse_print" / "print.css").read_text()
    wanted = re.findall(r'"([^"]+)"', re.search(r"\bmath \{\s*font-family:([^;]*);", css).group(1))
    listed = (
        subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
        if shutil.which("fc-list")
        else ""
    )
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return [name for name in wanted if name in families]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_prints_with_whole_figures_and_rendered_math(chapter, solutions_export, browser, tmp_path):
    page = browser.new_page()
    try:
        traffic = guard(page)
        page.goto(solutions_export.page(chapter).as_uri())  # no script to wait for: complete once loaded
        screen = page.evaluate(SCREEN_FACTS)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})  # the width of the printed page
        layout = page.evaluate(PRINT_FACTS)
        pdf = page.pdf(format="A4", print_background=True)
        (tmp_path / f"{chapter}.pdf").write_bytes(pdf)
    finally:
        page.close()

    assert traffic.refused == [] and traffic.failed == []
    # figures: every <img> decoded, and each printed exactly once (a figure cut by a page break is drawn twice)
    assert screen["images"] and all(w > 0 and h > 0 for w, h in screen["images"])
    printed = pdf_facts(pdf)
    assert sorted(printed["placed"]) == sorted(tuple(s) for s in screen["images"])
    # math: laid out by the browser as MathML (drawn, fractions stacked, the TeX annotations hidden), no TeX left
    # over, and set in the first math font of print.css that this machine has
    assert screen["math"] >= 40 and screen["math_errors"] == 0 and screen["math_undrawn"] == 0
    nb = nbformat.read(ROOT / "solutions" / source_name(chapter), as_version=4)
    has_fractions = any(re.search(r"\\[dt]?frac\b", tex) for _, tex in markdown_formulas(nb))
    assert screen["fractions"] > 0 or not has_fractions  # a chapter may have no fraction (16 has none)
    assert screen["fractions_flat"] == 0
    assert screen["annotations_shown"] == 0
    assert screen["raw_tex"] == []
    fonts = math_fonts_installed()
    if fonts:
        assert any(fonts[0].replace(" ", "") in name for name in printed["fonts"]), printed["fonts"]
    # print layout: no prompts, figures unbreakable, code wrapped, nothing wider than the paper
    assert layout["page"] == A4_CONTENT_PX
    assert layout["prompts_shown"] == 0
    assert layout["images_breakable"] == 0 and layout["code_not_wrapping"] == 0
    assert layout["sticking_out"] == []
    assert printed["pages"] > 1
    title = first_heading(ROOT / "solutions" / source_name(chapter))
    assert title in one_line(printed["text"])


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def one_line(text: str) -> str:
    """A PDF's text on one line, its ligatures (ﬀ, ﬁ, ...) taken apart as NFKC does: what a reader sees as words."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def printed_symbols(math) -> list[str]:
    """The non-ASCII characters a formula puts on paper as text (∂, ∑, ×, θ, ...), NFKC-normalised as the PDF's
    text is (an italic 𝜃 is a θ); stretched brackets, braces and accents, drawn in pieces, are left out."""
    symbols = []
    for token in math.find_all(["mi", "mn", "mo", "mtext"]):
        parent = token.parent
        if (
            token.get("stretchy") == "true"
            or token.get("minsize")
            or (parent.name in ("munder", "mover", "munderover") and parent.find(recursive=False) is not token)
        ):
            continue
        symbols += [c for c in unicodedata.normalize("NFKC", token.get_text()) if ord(c) > 127 and not c.isspace()]
    return symbols


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_printed_at_once_by_headless_chromium_has_all_its_math(chapter, solutions_export, tmp_path):
    """`chromium --headless --print-to-pdf page.html` prints as soon as the page has loaded, without waiting for
    any script: the printout must be complete all the same."""
    path = solutions_export.page(chapter)
    pdf = tmp_path / f"{chapter}.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            *CHROMIUM_ARGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            path.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=PRINT_SECONDS,
    )
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    page = soup(path)
    # no TeX on paper: a $...$ span, a control word or \( in the printed text is the code of a cell, or a defect
    code = squashed(" ".join(cell.get_text() for cell in page.select(".jp-CodeCell")))
    assert [hit for hit in RAW_TEX.findall(text) if squashed(hit) not in code] == []
    # the math is there: a <math> for each formula of the notebook's markdown, and every formula's symbols printed
    formulas = markdown_formulas(nbformat.read(ROOT / "solutions" / source_name(chapter), as_version=4))
    maths = page.select(".jp-MarkdownCell math")
    assert len(maths) == len(formulas) >= 40
    wanted = Counter(c for math in maths for c in printed_symbols(math))
    printed = Counter(unicodedata.normalize("NFKC", text))
    assert sum(wanted.values()) >= 40
    assert {c: (n, printed[c]) for c, n in wanted.items() if printed[c] < n} == {}
    assert len(reader.pages) > 1 and first_heading(ROOT / "solutions" / source_name(chapter)) in one_line(text)


def test_index_links_open_the_chapters(solutions_export, browser):
    page = browser.new_page()
    try:
        traffic = guard(page)
        page.goto((solutions_export.out / "index.html").as_uri())
        links = page.locator("table.chapters tbody tr td:nth-child(2) a")
        assert links.count() == len(CHAPTERS)
        links.nth(1).click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/01_neurons_layers.html")
        assert page.title().startswith("01 · ")
        assert page.locator("math").count() > 0
    finally:
        page.close()
    assert traffic.refused == [] and traffic.failed == []
