"""The learner's JupyterLab, in a real browser (Debian's Chromium, headless, driven by playwright).

JupyterLab is started the way README's quick start says (its own ``jupyter lab ...`` line, plus a port, a one-off
token and throw-away config folders), on 127.0.0.1. Then:

* the server is rooted at the repository (README, solutions/ and course/ reachable) and opens chapter 00;
* every untouched learner notebook of course/ gets *Run > Run All Cells*: every code cell runs (an unfinished
  exercise does not stop the run), each check cell shows its one-line ✘ message and nothing else fails, and the
  last cell's output appears. The notebooks on disk are left as they were;
* chapter 01's solutions run whole, and the network playground is a live widget: its picture is not blank, and
  choosing another data set retrains the network in the kernel and redraws it.

Playwright never downloads a browser here: it launches the chromium found on PATH. Without one the tests skip.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from browser_support import free_port, guard, needs_chromium, picture_stats, stamp

from dlcourse.tools.notebooks import exercises

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted((ROOT / "course").glob("*.ipynb"))
LAB_START_SECONDS, RUN_ALL_SECONDS = 90, 240
FAIL_MARK = "\u2718"

pytestmark = [pytest.mark.notebooks, needs_chromium]
LAB_SETTINGS = {  # a fresh user-settings folder: nothing saved behind the test's back, every cell in the DOM
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
PLAYGROUND_CELL = "NetworkPlayground()"
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


def readme_lab_command() -> list[str]:
    """The ``jupyter lab ...`` line of README's quick start, as arguments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    line = next(line.strip() for line in quick_start.splitlines() if line.strip().startswith("jupyter lab"))
    return shlex.split(line.split("#", 1)[0])


@dataclass
class Lab:
    url: str
    token: str
    log: Path
    runtime: Path

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop_kernels(self) -> None:
        """End every session and its kernel (frees the memory before the next notebook)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started with README's command from the repository, with temporary config, data, runtime,
    settings, workspace and checkpoint folders (nothing is saved into the repository)."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    for name in ("config", "data", "runtime", "workspaces", "checkpoints"):
        (tmp / name).mkdir()
    for plugin, values in LAB_SETTINGS.items():
        path = tmp / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    words = readme_lab_command()
    assert words[:2] == ["jupyter", "lab"], words
    port, token = free_port(), secrets.token_hex(24)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        *words[2:],
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_root=True",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.news_url=None",
        f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}",
    ]
    log = tmp / "jupyterlab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    lab = Lab(f"http://127.0.0.1:{port}", token, log, tmp / "runtime")
    try:
        deadline = time.monotonic() + LAB_START_SECONDS
        while True:
            assert proc.poll() is None, f"JupyterLab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"JupyterLab did not answer:\n{log.read_text()[-3000:]}"
            try:
                lab.api("status")
                break
            except OSError:
                time.sleep(0.5)
        yield lab
    finally:
        try:
            lab.api("shutdown", method="POST")  # stops the kernels too
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


def test_readme_command_roots_lab_at_the_repository_and_opens_chapter_00(lab):
    names = {item["name"] for item in lab.api("contents")["content"]}
    assert {"README.md", "course", "solutions"} <= names, names
    opened = list(lab.runtime.glob("jpserver-file-to-run-*-open.html"))
    assert len(opened) == 1, "README's command should open a notebook"
    assert re.search(r'href="[^"]*/lab/tree/course/00_welcome\.ipynb\?', opened[0].read_text()), opened[0].read_text()


KERNEL_IDLE = """() => {
    const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-Toolbar-kernelName');
    const state = document.querySelector('.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator');
    return !!name && name.textContent.includes('Python 3') && !!state && state.dataset.status === 'idle';
}"""

CODE_PROMPTS = "[...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"

# Run All is over: the kernel is idle and no code cell is queued or running ([*]) or still waiting to run ([ ])
RUN_FINISHED = f"""() => {{
    const prompts = {CODE_PROMPTS};
    return ({KERNEL_IDLE})() && prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p));
}}"""

# per cell of the notebook, in order: its type, and the text of each of its outputs, stderr/error ones marked
CELL_OUTPUTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    outputs: [...cell.querySelectorAll('.jp-OutputArea-output')].map(o => ({
        stderr: o.dataset.mimeType === 'application/vnd.jupyter.stderr',
        text: o.innerText,
    })),
}))"""


@contextmanager
def lab_page(browser, lab: Lab, tmp_path: Path):
    """A new browser page for ``lab``; on failure a screenshot is saved (and named with the server's log); at the
    end the page is closed and every kernel stopped, which frees the memory before the next notebook."""
    page = browser.new_page()
    try:
        yield page
    except BaseException:
        page.screenshot(path=tmp_path / "lab-failure.png")
        print(f"\nJupyterLab test failed: screenshot {tmp_path / 'lab-failure.png'}, log {lab.log}")
        raise
    finally:
        page.close()
        lab.stop_kernels()


def run_all(page, lab: Lab, notebook: str):
    """Open ``notebook`` (a path from the repository) in ``page``, click Run > Run All Cells and wait until every
    code cell has run; return the page's network traffic (everything off 127.0.0.1 is refused)."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    traffic = guard(page, lab.url)
    # a workspace of its own: the tabs of the notebooks tested before are not restored beside this one
    workspace = re.sub(r"[^A-Za-z0-9_-]", "-", notebook)
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{notebook}?token={lab.token}")
    page.wait_for_function(KERNEL_IDLE, timeout=LAB_START_SECONDS * 1000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_FINISHED, timeout=RUN_ALL_SECONDS * 1000)
    return traffic


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_run_all_runs_every_cell_of_an_untouched_learner_notebook(path, lab, browser, tmp_path):
    nb = nbformat.read(path, as_version=4)
    checks = {info["check"]: name for name, info in exercises(nb, path.name[:2], where=path.name).items()}
    before = path.read_bytes()
    start = time.monotonic()
    with lab_page(browser, lab, tmp_path) as page:
        traffic = run_all(page, lab, f"course/{path.name}")
        seconds = time.monotonic() - start
        page.wait_for_timeout(500)  # let the last outputs render
        cells = page.evaluate(CELL_OUTPUTS)
        page.screenshot(path=tmp_path / f"{path.stem}.png", full_page=False)
    print(f"\nJupyterLab: {path.name} run all in {seconds:.0f} s")

    assert len(cells) == len(nb.cells), "every cell should be in the page"
    for i, name in checks.items():
        errors = [o["text"].strip() for o in cells[i]["outputs"] if o["stderr"]]
        assert len(errors) == 1, f"check of {name!r} (cell {i}) should show one message, shows {errors}"
        lines = errors[0].splitlines()
        assert len(lines) == 1 and lines[0].startswith(FAIL_MARK) and "not implemented yet" in lines[0], errors[0]
    others = {
        i: [o["text"][:300] for o in c["outputs"] if o["stderr"] and re.search(r"Traceback|Error|\u2718", o["text"])]
        for i, c in enumerate(cells)
        if i not in checks
    }
    assert {i: e for i, e in others.items() if e} == {}, "cells outside the checks failed"
    last_code = max(i for i, c in enumerate(cells) if c["code"])
    assert cells[last_code]["outputs"], "the last cell's output should appear"
    assert traffic.refused == [], "JupyterLab tried to reach the network"
    assert path.read_bytes() == before, "Run All must not change the notebook on disk"


def test_chapter_01_runs_whole_and_shows_the_live_playground(lab, browser, tmp_path):
    notebook = ROOT / "solutions" / "01_neurons_layers.ipynb"
    checkpoint = notebook.parent / ".ipynb_checkpoints" / f"{notebook.stem}-checkpoint.ipynb"
    before = notebook.read_bytes(), stamp(checkpoint)
    with lab_page(browser, lab, tmp_path) as page:
        traffic = run_all(page, lab, f"solutions/{notebook.name}")
        config = json.loads(page.locator("#jupyter-config-data").text_content())
        assert WIDGETS_EXTENSION in [e["name"] for e in config.get("federated_extensions", [])]
        page.screenshot(path=tmp_path / "lab-after-run-all.png")
        tracebacks = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", has_text="Traceback"
        )
        assert tracebacks.count() == 0, tracebacks.first.inner_text()[:2000]

        cell = (
            page.locator(".jp-Notebook .jp-CodeCell")
            .filter(has=page.locator(".jp-InputArea-editor", has_text=PLAYGROUND_CELL))
            .last
        )
        output = cell.locator(".jp-OutputArea")
        widget = output.locator(".widget-vbox").first
        image = output.locator("img.widget-image")
        image.wait_for(timeout=30_000)
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000
        )
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
        page.wait_for_function(
            "([img, old]) => img.src !== old && img.naturalWidth > 0",
            arg=[image.element_handle(), old_src],
            timeout=60_000,
        )
        changed = widget.screenshot(path=tmp_path / "playground-circles.png")
        assert picture_stats(changed)["colours"] > 1000 and changed != shot
    assert traffic.refused == [], "JupyterLab tried to reach the network"
    assert (notebook.read_bytes(), stamp(checkpoint)) == before, "the test wrote into solutions/"
