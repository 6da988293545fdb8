"""The course in a real browser: headless Chromium (Debian's package), driven by playwright.

* Each exported chapter (tests/test_export.py makes the export once per session) is opened from disk with every
  network request refused, typeset by MathJax and printed to PDF: it must have pages, whole figures and rendered
  math, and nothing may stick out of the paper.
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
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from test_export import CHAPTERS, ROOT, export_once, first_heading, source_name

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install "
                                                          "chromium; .ci/run installs it)")
# playwright adds --headless itself (headless=True)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)     # A4 less print.css's 12 mm side margins: 703 CSS px
MATHJAX_SECONDS, LAB_START_SECONDS, RUN_ALL_SECONDS = 60, 90, 240
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
        copy.querySelectorAll('code, pre, script').forEach(e => e.remove());
        return copy.textContent;
    }).join('\\n');
    return {
        images: [...document.images].map(i => [i.naturalWidth, i.naturalHeight]),
        math: document.querySelectorAll('.MathJax, .MathJax_Display').length,
        math_errors: document.querySelectorAll('.MathJax_Error, merror').length,
        raw_tex: markdown_text.match(/.{0,30}(\\$|\\\\[A-Za-z]{2,}|\\\\\\(|\\\\\\[).{0,30}/g) || [],
        stix_fonts: [...document.fonts].filter(f => f.status === 'loaded' && f.family.includes('STIXMathJax'))
                                       .map(f => f.family),
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
    """Pages, the images placed on each page (their sizes), font types and the text of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts, placed = set(), []
    for page in reader.pages:
        placed += [im.image.size for im in page.images]
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            fonts.add(str(font.get_object().get("/Subtype")))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return {"pages": len(reader.pages), "placed": placed, "fonts": fonts, "text": text}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_prints_with_whole_figures_and_rendered_math(chapter, solutions_export, browser, tmp_path):
    page = browser.new_page()
    try:
        traffic = guard(page)
        page.goto(solutions_export.page(chapter).as_uri())
        page.wait_for_selector("html[data-mathjax='done']", timeout=MATHJAX_SECONDS * 1000)
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
    # math: typeset with MathJax's STIX web fonts, no TeX left over, and those fonts in the PDF (Chromium embeds web
    # fonts as Type 3; the page's other text uses system fonts)
    assert screen["math"] >= 10 and screen["math_errors"] == 0
    assert screen["raw_tex"] == []
    assert "STIXMathJax_Main" in screen["stix_fonts"]
    assert "/Type3" in printed["fonts"]
    # print layout: no prompts, figures unbreakable, code wrapped, nothing wider than the paper
    assert layout["page"] == A4_CONTENT_PX
    assert layout["prompts_shown"] == 0
    assert layout["images_breakable"] == 0 and layout["code_not_wrapping"] == 0
    assert layout["sticking_out"] == []
    assert printed["pages"] > 1
    title = first_heading(ROOT / "solutions" / source_name(chapter))
    assert title in " ".join(printed["text"].split())


def test_index_links_open_the_chapters(solutions_export, browser):
    page = browser.new_page()
    try:
        traffic = guard(page)
        page.goto((solutions_export.out / "index.html").as_uri())
        links = page.locator("table.chapters tbody tr td:nth-child(2) a")
        assert links.count() == len(CHAPTERS)
        links.nth(1).click()
        page.wait_for_selector("html[data-mathjax='done']", timeout=MATHJAX_SECONDS * 1000)
        assert page.url.endswith("/01_neurons_layers.html")
        assert page.title().startswith("01 · ")
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
