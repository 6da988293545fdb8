"""The course in a real browser: headless Chromium (Debian's package), driven by playwright.

* Each exported chapter (tests/test_export.py makes the export once per session) is opened from disk with every
  network request refused and printed to PDF: it must have pages, whole figures and rendered math (MathML, laid out
  by the browser), and nothing may stick out of the paper. Each is also printed by Chromium's own
  ``--headless --print-to-pdf`` with no waiting at all: every formula must be on paper, and no TeX.
* JupyterLab is started on 127.0.0.1 with a one-off token, chapter 01 is opened, Run > Run All Cells is clicked,
  and the network playground must show up as a live widget whose picture is not blank.

Playwright never downloads a browser here: it launches the chromium found on PATH. Without one the tests skip.
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from test_export import CHAPTERS, RAW_TEX, ROOT, export_once, first_heading, markdown_formulas, soup, source_name

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install "
                                                          "chromium; .ci/run installs it)")
# playwright adds --headless itself (headless=True)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)     # A4 less print.css's 12 mm side margins: 703 CSS px
PRINT_SECONDS = 300                                     # only against a hang: printing a chapter takes seconds
LAB_START_SECONDS, RUN_ALL_SECONDS = 90, 240
PLAYGROUND_CELL = "NetworkPlayground()"
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


@pytest.fixture(scope="session")
def solutions_export(request, tmp_path_factory):
    return export_once(request.config, tmp_path_factory, learner=False, chapters=CHAPTERS)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh profile; closed at the end of the session."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900}, timeout=60_000)
    except BaseException:
        pw.stop()
        raise
    yield context
    context.close()
    pw.stop()


@dataclass
class Traffic:
    """What a page tried to load from outside ``allowed`` (refused) and which of its loads failed."""
    allowed: tuple[str, ...]
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def guard(page, *allowed: str) -> Traffic:
    """Refuse every request of ``page`` that does not start with one of ``allowed`` (file:, data: by default)."""
    traffic = Traffic(("file:", "data:", "blob:", *allowed))

    def route(r):
        if r.request.url.startswith(traffic.allowed):
            r.continue_()
        else:
            traffic.refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    # MathJax probes for fonts with a blank font at about:blank, which Chromium refuses; that one is expected
    page.on("requestfailed", lambda r: None if r.url == "about:blank" or r.url in traffic.refused
            else traffic.failed.append(f"{r.url} ({r.failure})"))
    return traffic


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
            .filter(p => getComputedStyle(p).whiteSpace !== 'pre-wrap').length,
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
    css = (ROOT / "dlcourse" / "export_assets" / "dlcourse_print" / "print.css").read_text()
    wanted = re.findall(r'"([^"]+)"', re.search(r"\bmath \{\s*font-family:([^;]*);", css).group(1))
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout \
        if shutil.which("fc-list") else ""
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return [name for name in wanted if name in families]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_prints_with_whole_figures_and_rendered_math(chapter, solutions_export, browser, tmp_path):
    page = browser.new_page()
    try:
        traffic = guard(page)
        page.goto(solutions_export.page(chapter).as_uri())      # no script to wait for: complete once loaded
        screen = page.evaluate(SCREEN_FACTS)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})    # the width of the printed page
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
    assert screen["fractions"] > 0 and screen["fractions_flat"] == 0
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
    assert title in " ".join(printed["text"].split())


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def printed_symbols(math) -> list[str]:
    """The non-ASCII characters a formula puts on paper as text (∂, ∑, ×, θ, ...), NFKC-normalised as the PDF's
    text is (an italic 𝜃 is a θ); stretched brackets, braces and accents, drawn in pieces, are left out."""
    symbols = []
    for token in math.find_all(["mi", "mn", "mo", "mtext"]):
        parent = token.parent
        if token.get("stretchy") == "true" or token.get("minsize") or (
                parent.name in ("munder", "mover", "munderover") and parent.find(recursive=False) is not token):
            continue
        symbols += [c for c in unicodedata.normalize("NFKC", token.get_text()) if ord(c) > 127 and not c.isspace()]
    return symbols


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_printed_at_once_by_headless_chromium_has_all_its_math(chapter, solutions_export, tmp_path):
    """`chromium --headless --print-to-pdf page.html` prints as soon as the page has loaded, without waiting for
    any script: the printout must be complete all the same."""
    path = solutions_export.page(chapter)
    pdf = tmp_path / f"{chapter}.pdf"
    subprocess.run([CHROMIUM, "--headless", *CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri()],
                   check=True, capture_output=True, timeout=PRINT_SECONDS)
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
    assert len(reader.pages) > 1 and first_heading(ROOT / "solutions" / source_name(chapter)) in " ".join(text.split())


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


# ------------------------------------------------------------------------------------------------ JupyterLab

LAB_SETTINGS = {   # a fresh user-settings folder: nothing saved behind the test's back, every cell in the DOM
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class Lab:
    url: str
    token: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, token: str) -> None:
    req = urllib.request.Request(url, method="POST", headers={"Authorization": f"token {token}"})
    urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on 127.0.0.1 at the repository, with temporary config, data, runtime, settings and checkpoint
    folders."""
    for name in ("config", "data", "runtime", "workspaces", "checkpoints"):
        (tmp_path / name).mkdir()
    for plugin, values in LAB_SETTINGS.items():
        path = tmp_path / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(24)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={ROOT}", "--ServerApp.allow_root=True",
           f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None",
           # the checkpoint JupyterLab makes when it opens a notebook goes here, not into solutions/
           f"--FileCheckpoints.checkpoint_dir={tmp_path / 'checkpoints'}"]
    log = tmp_path / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + LAB_START_SECONDS
        while True:
            assert proc.poll() is None, f"JupyterLab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()[-3000:]}"
            try:
                urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        yield lab
    finally:
        try:
            _post(f"{lab.url}/api/shutdown", token)      # stops the kernels too
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


KERNEL_IDLE = """() => {
    const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-Toolbar-kernelName');
    const state = document.querySelector('.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator');
    return !!name && name.textContent.includes('Python 3') && !!state && state.dataset.status === 'idle';
}"""

CODE_PROMPTS = "[...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"

# Run All is over: the kernel is idle, no cell is queued or running ([*]) and some cells ran (an error stops the run,
# and the cells after it go back to [ ])
RUN_FINISHED = f"""() => {{
    const prompts = {CODE_PROMPTS};
    return ({KERNEL_IDLE})() && !prompts.some(p => p.includes('*')) && prompts.some(p => /\\[\\d+\\]/.test(p));
}}"""


def stamp(path: Path) -> int | None:
    """When ``path`` was last written (None: it does not exist)."""
    return path.stat().st_mtime_ns if path.exists() else None


def picture_stats(png: bytes) -> dict:
    """Distinct colours and brightness spread of a screenshot (a blank or one-colour box has few of both)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return {"colours": len(np.unique(pixels.reshape(-1, 3), axis=0)), "std": float(pixels.std()),
            "size": pixels.shape[1::-1]}


def test_jupyterlab_runs_chapter_01_and_shows_the_live_playground(jupyterlab, browser, tmp_path):
    notebook = ROOT / "solutions" / "01_neurons_layers.ipynb"
    checkpoint = notebook.parent / ".ipynb_checkpoints" / f"{notebook.stem}-checkpoint.ipynb"
    before = notebook.read_bytes(), stamp(checkpoint)
    start = time.monotonic()
    page = browser.new_page()
    try:
        page.set_viewport_size({"width": 1400, "height": 1000})
        traffic = guard(page, jupyterlab.url)
        page.goto(f"{jupyterlab.url}/lab/tree/solutions/{notebook.name}?token={jupyterlab.token}")
        page.wait_for_function(KERNEL_IDLE, timeout=LAB_START_SECONDS * 1000)
        config = json.loads(page.locator("#jupyter-config-data").text_content())
        assert WIDGETS_EXTENSION in [e["name"] for e in config.get("federated_extensions", [])]

        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        page.wait_for_function(RUN_FINISHED, timeout=RUN_ALL_SECONDS * 1000)
        run_seconds = time.monotonic() - start
        page.screenshot(path=tmp_path / "lab-after-run-all.png")
        tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                  has_text="Traceback")
        assert tracebacks.count() == 0, tracebacks.first.inner_text()[:2000]
        prompts = page.evaluate(f"() => {CODE_PROMPTS}")
        assert all(re.search(r"\[\d+\]", p) for p in prompts), f"cells left unrun: {prompts}"

        cell = page.locator(".jp-Notebook .jp-CodeCell").filter(
            has=page.locator(".jp-InputArea-editor", has_text=PLAYGROUND_CELL)).last
        output = cell.locator(".jp-OutputArea")
        widget = output.locator(".widget-vbox").first
        image = output.locator("img.widget-image")
        image.wait_for(timeout=30_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(),
                               timeout=30_000)
        widget.scroll_into_view_if_needed()
        assert output.locator("select").count() >= 2 and output.locator(".widget-slider").count() >= 3
        natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        box = image.bounding_box()
        assert natural[0] > 300 and natural[1] > 200 and box["width"] > 300 and box["height"] > 200
        shot = widget.screenshot(path=tmp_path / "playground.png")
        stats = picture_stats(shot)
        assert stats["colours"] > 1000 and stats["std"] > 30, stats

        # the widget is live: another data set retrains the network in the kernel and redraws the picture
        old_src = image.get_attribute("src")
        dataset = output.locator("select").first
        assert dataset.input_value() == "xor"
        dataset.select_option("circles")
        page.wait_for_function("([img, old]) => img.src !== old && img.naturalWidth > 0",
                               arg=[image.element_handle(), old_src], timeout=60_000)
        changed = widget.screenshot(path=tmp_path / "playground-circles.png")
        assert picture_stats(changed)["colours"] > 1000 and changed != shot
    except BaseException:
        page.screenshot(path=tmp_path / "lab-failure.png")
        print(f"\nJupyterLab test failed: screenshot {tmp_path / 'lab-failure.png'}, log {jupyterlab.log}")
        raise
    finally:
        page.close()
    print(f"\nJupyterLab: chapter 01 opened and run in {run_seconds:.0f} s; screenshots in {tmp_path}")
    assert traffic.refused == [], "JupyterLab tried to reach the network"
    assert (notebook.read_bytes(), stamp(checkpoint)) == before, "the test wrote into solutions/"
