"""Printable HTML of the chapters: ``dlcourse export html``.

Each chapter notebook is executed top to bottom in a fresh kernel of this Python environment and converted with
nbconvert's ``HTMLExporter`` (JupyterLab's look, through the ``dlcourse_print`` template in export_assets/):

* figures are embedded as base64 PNGs; a widget output shows the PNG of its default figure (the live widget view is
  dropped, since a page has no kernel to drive it);
* math is typeset by MathJax 2 from a ``mathjax/`` folder written next to the pages (from the
  ``jupyter-server-mathjax`` package), so the pages read and print with no network;
* a print stylesheet keeps figures and outputs whole, wraps long code lines and hides the prompts.

``index.html`` lists the chapters (number, title from the notebook's first heading, link).

    from dlcourse.export import export_html
    export_html(Path("."), Path("export"))                          # every chapter, with the answers
    export_html(Path("."), Path("export"), learner=True, chapters=["00"])   # the learner's copy: errors shown
"""
from __future__ import annotations

import html
import re
import shutil
import time
from pathlib import Path

import nbformat

from .notebooks import NOTEBOOK_NAME

ASSETS = Path(__file__).resolve().parent / "export_assets"
TEMPLATE = "dlcourse_print"
MATHJAX_DIR = "mathjax"
MATHJAX_URL = f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
#: parts of jupyter-server-mathjax's MathJax that the pages never load (accessibility add-ons, the SVG fonts)
MATHJAX_UNUSED = ("extensions/a11y", "jax/output/SVG")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="dlcourse-widget-note">An interactive widget: run the notebook in JupyterLab to use '
               'it.</p>')


def export_html(root: Path, out: Path, *, learner: bool = False, chapters: list[str] | None = None,
                timeout: int = 300) -> list[Path]:
    """Execute the chapters and write one printable HTML page each, plus ``index.html``, into ``out``.

    ``root`` is the course folder (it holds solutions/ and course/). With ``learner=False`` the solutions
    notebooks run (every answer; a cell that raises stops the export with nbclient's ``CellExecutionError``);
    with ``learner=True`` the course/ notebooks run and their unfinished exercises' errors are shown as they are.
    ``chapters`` picks chapters by number (``["00", "01"]``; default: all). ``timeout`` bounds each cell, in
    seconds. Returns the pages written: the chapters in order, then ``index.html`` (the ``mathjax/`` folder they
    share is written too).
    """
    root, out = _check_folder_args(root, out)
    if not isinstance(learner, bool):
        raise ValueError(f"learner: expected True or False, got {learner!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout: expected a positive number of seconds (int), got {timeout!r}")
    source = root / ("course" if learner else "solutions")
    if not source.is_dir():
        raise ValueError(f"root: {root} has no {source.name}/ folder")
    paths = select_chapters(chapter_notebooks(source), chapters)

    out.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out / MATHJAX_DIR)
    exporter = make_exporter()
    written, rows = [], []
    for i, path in enumerate(paths, 1):
        start = time.perf_counter()
        nb = execute_notebook(path, allow_errors=learner, timeout=timeout)
        number, title = path.name[:2], chapter_title(nb, default=path.stem)
        nb.metadata["title"] = f"{number} · {title}"
        # the notebook's folder: images a markdown cell links to (![](figure.png)) are embedded from there
        resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
        body, _ = exporter.from_notebook_node(prepare_for_export(nb), resources=resources)
        page = out / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        written.append(page)
        rows.append((number, title, page.name))
        print(f"[{i}/{len(paths)}] {path.name}: {time.perf_counter() - start:.1f} s -> {page} "
              f"({page.stat().st_size / 1e6:.1f} MB)", flush=True)
    index = out / "index.html"
    index.write_text(index_page(rows, learner=learner), encoding="utf-8")
    written.append(index)
    return written


def _check_folder_args(root, out) -> tuple[Path, Path]:
    if not isinstance(root, (str, Path)):
        raise ValueError(f"root: expected a folder path, got {type(root).__name__}")
    if not isinstance(out, (str, Path)):
        raise ValueError(f"out: expected a folder path, got {type(out).__name__}")
    root, out = Path(root).resolve(), Path(out).resolve()
    if not root.is_dir():
        raise ValueError(f"root: {root} is not a folder")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a folder")
    if any(out == root / name or root / name in out.parents for name in ("solutions", "course")):
        raise ValueError(f"out: {out} is inside the course's notebooks; choose another folder (e.g. export/)")
    return root, out


def chapter_notebooks(folder: Path) -> list[Path]:
    """The chapter notebooks (``NN_topic.ipynb``) in ``folder``, in chapter order."""
    return sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


def select_chapters(paths: list[Path], chapters: list[str] | None) -> list[Path]:
    """The notebooks of the chapters named (two-digit numbers), or all of them for ``None``."""
    by_number = {p.name[:2]: p for p in paths}
    if chapters is None:
        if not paths:
            raise ValueError("root: no chapter notebooks (NN_topic.ipynb) found")
        return paths
    if isinstance(chapters, str) or not isinstance(chapters, (list, tuple)):
        raise ValueError(f"chapters: expected a list of chapter numbers such as ['00', '01'], got {chapters!r}")
    if not chapters:
        raise ValueError("chapters: expected at least one chapter number, got an empty list")
    bad = [c for c in chapters if not (isinstance(c, str) and re.fullmatch(r"\d\d", c))]
    if bad:
        raise ValueError(f"chapters: expected two-digit chapter numbers such as '01', got {bad!r}")
    missing = [c for c in chapters if c not in by_number]
    if missing:
        raise ValueError(f"chapters: no notebook for {missing}; available: {sorted(by_number)}")
    return [by_number[c] for c in sorted(set(chapters))]


def execute_notebook(path: Path, *, allow_errors: bool, timeout: int):
    """Run ``path`` in a fresh kernel of this Python environment, in the notebook's own folder."""
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors, store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def chapter_title(nb, default: str = "") -> str:
    """The text of the notebook's first markdown heading, without a leading chapter number (``01 · ``)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if m:
                return re.sub(r"^\d\d\s*[·.:—–-]\s*", "", m.group(1)).strip() or default
    return default


def prepare_for_export(nb):
    """Make every output printable: a widget output keeps its PNG (or a note), never the empty live view.

    The course's widgets (dlcourse.viz.InteractiveFigure) send the widget view and a PNG of the default figure;
    nbconvert would prefer the view, which renders as a blank box without a kernel. Changes ``nb`` in place.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data or WIDGET_VIEW not in data:
                continue
            del data[WIDGET_VIEW]
            if set(data) <= {"text/plain"}:          # a widget with no picture of its own
                data["text/html"] = WIDGET_NOTE
    return nb


def make_exporter():
    """nbconvert's HTMLExporter with the dlcourse_print template (lab look, local MathJax, print stylesheet)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    # one stream output per flush (a tqdm bar makes dozens, each starting with '\r'): merged into one, as a live
    # notebook shows it, with the text overwritten by carriage returns removed
    config.CoalesceStreamsPreprocessor.enabled = True
    return HTMLExporter(config=config, extra_template_basedirs=[str(ASSETS)], template_name=TEMPLATE,
                        embed_images=True, mathjax_url=MATHJAX_URL)


def mathjax_source() -> Path:
    """The MathJax 2 tree shipped by the ``jupyter-server-mathjax`` package."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise ImportError("dlcourse export html needs MathJax from the jupyter-server-mathjax package: "
                          "pip install jupyter-server-mathjax") from None
    return Path(jupyter_server_mathjax.__file__).resolve().parent / "static"


def copy_mathjax(dest: Path) -> Path:
    """Copy the MathJax the pages load (core, TeX input, HTML-CSS output, STIX web fonts) to ``dest``."""
    src = mathjax_source()
    unused = {src / part for part in MATHJAX_UNUSED}

    def ignore(folder, names):
        return [n for n in names if Path(folder, n) in unused]

    shutil.copytree(src, dest, ignore=ignore, dirs_exist_ok=True)
    return dest


def index_page(rows: list[tuple[str, str, str]], *, learner: bool = False) -> str:
    """``index.html``: a table of (chapter number, title, link to the page)."""
    kind = "learner's copy, exercises unfinished" if learner else "with solutions"
    body = "\n".join(f'    <tr><td>{html.escape(n)}</td><td><a href="{html.escape(href)}">{html.escape(t)}</a></td>'
                     f'<td><a href="{html.escape(href)}">{html.escape(href)}</a></td></tr>' for n, t, href in rows)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Deep Learning in Python, from scratch: chapters</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 52rem;
         margin: 2rem auto; padding: 0 1rem; color: #222; }}
  table {{ border-collapse: collapse; width: 100%; }}
  th, td {{ text-align: left; padding: 0.4rem 0.8rem; border-bottom: 1px solid #ccc; }}
  td:first-child {{ font-variant-numeric: tabular-nums; width: 3rem; }}
  @media print {{ a {{ color: inherit; text-decoration: none; }} }}
</style>
</head>
<body>
<h1>Deep Learning in Python, from scratch</h1>
<p>The chapters as printable pages ({kind}).</p>
<table class="chapters">
  <thead><tr><th>chapter</th><th>title</th><th>page</th></tr></thead>
  <tbody>
{body}
  </tbody>
</table>
</body>
</html>
"""
