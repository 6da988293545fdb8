"""Printable HTML of the chapters: ``dlcourse export html``.

Each chapter notebook is executed top to bottom in a fresh kernel of this Python environment and converted with
nbconvert's ``HTMLExporter`` (JupyterLab's look, through the ``dlcourse_print`` template in export_assets/):

* figures are embedded as base64 PNGs; a widget output shows the PNG of its default figure (the live widget view is
  dropped, since a page has no kernel to drive it);
* math is typeset at export time: every ``$...$`` and ``$$...$$`` of the markdown cells (and of markdown or LaTeX
  outputs) becomes MathML (with latex2mathml, see :func:`tex_to_mathml`), which browsers draw natively, so a page
  has no script at all and prints complete however soon it is printed; a formula that cannot be converted stops
  the export with a :class:`MathError` naming the chapter, the cell and the formula;
* each chapter's kernel is shut down as soon as the chapter has run;
* a print stylesheet keeps figures and outputs whole, wraps long code lines and hides the prompts.

``index.html`` lists the chapters (number, title from the notebook's first heading, link).

    from dlcourse.tools.export import export_html
    export_html(Path("."), Path("export"))                          # every chapter, with the answers
    export_html(Path("."), Path("export"), learner=True, chapters=["00"])   # the learner's copy: errors shown
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from .._validate import check_bool, check_positive_int
from .notebooks import NOTEBOOK_NAME

if TYPE_CHECKING:
    from nbconvert import HTMLExporter

ASSETS = Path(__file__).resolve().parent / "export_assets"
TEMPLATE = "dlcourse_print"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: a formula in running text with the punctuation that touches it ("($x$)", "$y$:"): kept on one line, as in TeX
INLINE_MATH = r'<math display="inline">(?:(?!</math>).)*</math>'
NO_BREAK_AROUND_MATH = re.compile(rf"[(\[]+{INLINE_MATH}[.,;:!?)\]]*|{INLINE_MATH}[.,;:!?)\]]+", re.S)
WIDGET_NOTE = '<p class="dlcourse-widget-note">An interactive widget: run the notebook in JupyterLab to use it.</p>'


def export_html(
    root: Path, out: Path, *, learner: bool = False, chapters: list[str] | None = None, timeout: int = 300
) -> list[Path]:
    """Execute the chapters and write one printable HTML page each, plus ``index.html``, into ``out``.

    ``root`` is the course folder (it holds solutions/ and course/). With ``learner=False`` the solutions
    notebooks run (every answer; a cell that raises stops the export with nbclient's ``CellExecutionError``);
    with ``learner=True`` the course/ notebooks run and their unfinished exercises' errors are shown as they are.
    ``chapters`` picks chapters by number (``["00", "01"]``; default: all). ``timeout`` bounds each cell, in
    seconds. Returns the pages written: the chapters in order, then ``index.html``. Raises :class:`MathError`
    (a ValueError) for a formula that cannot be typeset, before any notebook runs (a formula in an output, which
    exists only once its chapter has run, stops the export there).
    """
    root, out = _check_folder_args(root, out)
    check_bool(learner, "learner")
    timeout = check_positive_int(timeout, "timeout")
    source = root / ("course" if learner else "solutions")
    if not source.is_dir():
        raise ValueError(f"root: {root} has no {source.name}/ folder")
    paths = select_chapters(chapter_notebooks(source), chapters)

    exporter = make_exporter()
    for path in paths:  # every formula typeset before any notebook runs: a typo fails in a second
        check_formulas(exporter, nbformat.read(path, as_version=4), where=f"{path.parent.name}/{path.name}")
    out.mkdir(parents=True, exist_ok=True)
    written, rows = [], []
    for i, path in enumerate(paths, 1):
        start = time.perf_counter()
        nb = execute_notebook(path, allow_errors=learner, timeout=timeout)
        number, title = path.name[:2], chapter_title(nb, default=path.stem)
        nb.metadata["title"] = f"{number} · {title}"
        # the notebook's folder: images a markdown cell links to (![](figure.png)) are embedded from there
        resources = {"metadata": {"name": path.stem, "path": str(path.parent)}}
        try:
            body, _ = exporter.from_notebook_node(prepare_for_export(nb), resources=resources)
        except MathError as exc:
            raise MathError(f"{path.parent.name}/{path.name}, {exc}") from None
        page = out / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        written.append(page)
        rows.append((number, title, page.name))
        print(
            f"[{i}/{len(paths)}] {path.name}: {time.perf_counter() - start:.1f} s -> {page} "
            f"({page.stat().st_size / 1e6:.1f} MB)",
            flush=True,
        )
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


def execute_notebook(path: Path, *, allow_errors: bool, timeout: int) -> nbformat.NotebookNode:
    """Run ``path`` in a fresh kernel of this Python environment, in the notebook's own folder.

    The kernel is shut down before this returns, also when a cell fails (nbclient's ``cleanup_kc``: with a kernel
    manager of our own, nbclient would otherwise leave the kernel running until the process exits).
    """
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        allow_errors=allow_errors,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(cleanup_kc=True)
    return nb


def chapter_title(nb: nbformat.NotebookNode, default: str = "") -> str:
    """The text of the notebook's first markdown heading, without a leading chapter number (``01 · ``)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if m:
                return re.sub(r"^\d\d\s*[·.:—–-]\s*", "", m.group(1)).strip() or default
    return default


def prepare_for_export(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
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
            if set(data) <= {"text/plain"}:  # a widget with no picture of its own
                data["text/html"] = WIDGET_NOTE
    return nb


def make_exporter() -> HTMLExporter:
    """nbconvert's HTMLExporter with the dlcourse_print template (lab look, MathML, print stylesheet)."""
    from traitlets.config import Config

    config = Config()
    # one stream output per flush (a tqdm bar makes dozens, each starting with '\r'): merged into one, as a live
    # notebook shows it, with the text overwritten by carriage returns removed
    config.CoalesceStreamsPreprocessor.enabled = True
    return _print_exporter_class()(
        config=config, extra_template_basedirs=[str(ASSETS)], template_name=TEMPLATE, embed_images=True
    )


def _print_exporter_class():
    """HTMLExporter whose markdown renders math as MathML (nbconvert is imported only when exporting)."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's markdown renderer, with each formula typeset as MathML instead of left for MathJax.

        nbconvert's parser finds the formulas ($...$, $$...$$, \\(...\\), \\[...\\], \\begin{env}...\\end{env})
        after code spans and blocks (whose dollars stay dollars), and after backslash escapes (\\$ is a dollar).
        """

        def block_math(self, body: str) -> str:
            return math_html(body, display=True)

        def inline_math(self, body: str) -> str:
            return math_html(body, display=False)

        def latex_environment(self, name: str, body: str) -> str:
            return math_html(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    class PrintExporter(HTMLExporter):
        @jinja2.pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            renderer = MathMLRenderer(
                escape=False,
                attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            try:
                return NO_BREAK_AROUND_MATH.sub(
                    r'<span class="dlcourse-nobreak">\g<0></span>', MarkdownWithMath(renderer=renderer).render(source)
                )
            except MathError as exc:
                raise MathError(f"{_cell_name(context)}: {exc}") from None

    return PrintExporter


def check_formulas(exporter: HTMLExporter, nb: nbformat.NotebookNode, *, where: str) -> None:
    """Typeset the formulas of ``nb``'s markdown cells; a :class:`MathError` names ``where`` (the notebook), the
    cell and the formula of the first that cannot be."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            try:
                exporter.markdown2html({"cell": cell, "nb": nb}, cell.source)
            except MathError as exc:
                raise MathError(f"{where}, {exc}") from None


def _cell_name(context) -> str:
    """'cell 12 (markdown)' or 'cell 7 (an output)' for an error message, counting cells from 0 as nbformat does."""
    nb, cell = context.get("nb"), context.get("cell")
    index = next((i for i, c in enumerate(nb.cells) if c is cell), None) if nb is not None else None
    where = "an output" if "output" in context else "markdown"
    return f"cell {index} ({where})" if index is not None else where


def math_html(tex: str, *, display: bool) -> str:
    """The HTML for one formula of a markdown cell: its MathML, or MathError naming the formula."""
    try:
        return tex_to_mathml(tex, display=display)
    except MathError as exc:
        delimiter = "$$" if display else "$"
        raise MathError(f"formula {delimiter}{tex.strip()}{delimiter}: {exc}") from None


#: the course's parts, by the number of their first chapter (as README's chapter table has them)
PARTS = {"00": "Part one: following the source articles", "15": "Part two: going further"}


def index_page(rows: list[tuple[str, str, str]], *, learner: bool = False) -> str:
    """``index.html``: a table of (chapter number, title, link to the page), a heading row before each part's
    first chapter that ``rows`` hold (:data:`PARTS`)."""
    kind = "learner's copy, exercises unfinished" if learner else "with solutions"
    lines, part = [], None
    for n, t, href in rows:
        current = max((first for first in PARTS if first <= n), default=None)
        if current is not None and current != part:
            lines.append(f'    <tr class="part"><th colspan="3">{html.escape(PARTS[current])}</th></tr>')
            part = current
        lines.append(
            f'    <tr><td>{html.escape(n)}</td><td><a href="{html.escape(href)}">{html.escape(t)}</a></td>'
            f'<td><a href="{html.escape(href)}">{html.escape(href)}</a></td></tr>'
        )
    body = "\n".join(lines)
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
  tr.part th {{ padding-top: 1.2rem; font-size: 1.05rem; }}
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


# ------------------------------------------------------------------------------------ math: TeX to MathML


class MathError(ValueError):
    """A formula that cannot be typeset: the export stops and names the chapter, the cell and the formula."""


#: environments a formula may use (latex2mathml drops the others silently); ``aligned`` is typeset as ``align*``
MATH_ENVIRONMENTS = {
    "aligned",
    "align",
    "align*",
    "split",
    "cases",
    "matrix",
    "pmatrix",
    "bmatrix",
    "Bmatrix",
    "vmatrix",
    "Vmatrix",
    "smallmatrix",
    "array",
    "subarray",
    "equation",
    "equation*",
}
#: TeX's escaped characters, which latex2mathml leaves escaped inside \text{...} (``fan\_in``)
TEX_ESCAPE = re.compile(r"\\([_#$%&{}])")
#: a control word that survived conversion: latex2mathml writes an unknown command out as text
CONTROL_WORD = re.compile(r"\\[A-Za-z]+")
#: operators whose limits go below and above in a displayed formula, to the side in running text (TeX's \sum)
LIMITS_OPERATORS = {
    "∑",
    "∏",
    "∐",
    "⋃",
    "⋂",
    "⨁",
    "⨂",
    "⋀",
    "⋁",
    "max",
    "min",
    "lim",
    "sup",
    "inf",
    "argmax",
    "argmin",
    "det",
    "Pr",
    "gcd",
    "liminf",
    "limsup",
}
#: characters latex2mathml writes as <mi> that are TeX relations or binary operators (spaced), and back
AS_OPERATOR = {"~": "∼", "±": "±", "∓": "∓", "⟹": "⟹", "⟸": "⟸", "⟺": "⟺", "⇒": "⇒", "⇐": "⇐", "⇔": "⇔"}
AS_IDENTIFIER = {"∞"}
#: TeX ordinary symbols written as <mo>: no space around them (∂L/∂x, not ∂ L / ∂ x)
UNSPACED = {"/", "∂", "∇", "."}
#: bars written |a| and ‖x‖ in TeX: ordinary symbols at their natural size
BARS = {"|", "‖"}
SIGNS = {"−", "+", "±", "∓", "-"}
CLOSING = set(")]}⟩⌋⌉") | BARS
PRIMES = "′″‴⁗"
ACCENTS = {"^": "ˆ", "~": "˜", "¯": "¯", "˙": "˙", "¨": "¨", "→": "→", "ˇ": "ˇ", "˘": "˘", "´": "´", "`": "`"}
NAMED_SPACES = {
    f"{neg}{name}mathspace": sign * n / 18
    for n, name in enumerate(["veryverythin", "verythin", "thin", "medium", "thick", "verythick", "veryverythick"], 1)
    for neg, sign in (("", 1), ("negative", -1))
}
#: mathvariant to the Unicode names of the Mathematical Alphanumeric Symbols (Chromium ignores mathvariant)
VARIANT_NAMES = {
    "bold": "BOLD",
    "italic": "ITALIC",
    "bold-italic": "BOLD ITALIC",
    "double-struck": "DOUBLE-STRUCK",
    "script": "SCRIPT",
    "bold-script": "BOLD SCRIPT",
    "fraktur": "FRAKTUR",
    "bold-fraktur": "BOLD FRAKTUR",
    "sans-serif": "SANS-SERIF",
    "bold-sans-serif": "SANS-SERIF BOLD",
    "sans-serif-italic": "SANS-SERIF ITALIC",
    "sans-serif-bold-italic": "SANS-SERIF BOLD ITALIC",
    "monospace": "MONOSPACE",
}
#: the letters Unicode placed in Letterlike Symbols instead (holes in the Mathematical Alphanumeric block)
VARIANT_HOLES = {
    ("ITALIC", "SMALL H"): "ℎ",
    **{("DOUBLE-STRUCK", f"CAPITAL {c}"): u for c, u in zip("CHNPQRZ", "ℂℍℕℙℚℝℤ")},
    **{("SCRIPT", f"CAPITAL {c}"): u for c, u in zip("BEFHILMR", "ℬℰℱℋℐℒℳℛ")},
    **{("SCRIPT", f"SMALL {c}"): u for c, u in zip("ego", "ℯℊℴ")},
    **{("FRAKTUR", f"CAPITAL {c}"): u for c, u in zip("CHIRZ", "ℭℌℑℜℨ")},
}
TEXT_VARIANT_STYLE = {
    "monospace": "font-family: monospace",
    "bold": "font-weight: bold",
    "italic": "font-style: italic",
    "bold-italic": "font-weight: bold; font-style: italic",
    "sans-serif": "font-family: sans-serif",
}
#: the class of a displayed formula's row whose parts may go onto separate lines (print.css)
BREAKABLE = "dlcourse-breakable"
SCRIPT_TO_LIMITS = {"msub": "munder", "msup": "mover", "msubsup": "munderover"}
#: how many children a script, a fraction or a root has
ARITY = {"msub": 2, "msup": 2, "munder": 2, "mover": 2, "mfrac": 2, "mroot": 2, "msubsup": 3, "munderover": 3}
#: elements whose children are a row, one after the other (not the fixed parts of a script or a fraction)
ROWS = {"mrow", "mstyle", "msqrt", "mtd", "mpadded", "mphantom", "menclose", "math"}
ORDINARY = {
    "mi",
    "mn",
    "mtext",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mfrac",
    "msqrt",
    "mroot",
    "mrow",
    "mstyle",
    "mtable",
}


def tex_to_mathml(tex: str, *, display: bool) -> str:
    """One formula (the TeX between ``$...$``, or ``$$...$$`` with ``display=True``) as a MathML ``<math>`` element.

    The MathML is what Chromium, Firefox and Safari draw natively (MathML Core), so a page needs no script to show
    its math. latex2mathml does the parsing; its output is then adjusted where browsers would draw it otherwise
    than TeX: Unicode letters for mathvariant, limits of \\sum and \\max below and above in display, no space
    around ``/``, ``∂`` or ``|a|``, a thin space after ``\\log``, ``aligned`` as a table aligned like TeX's.
    The TeX source is kept as the formula's annotation. Raises MathError (saying what is wrong) for a formula
    it cannot typeset: an unknown command or environment, an unbalanced brace, ``&`` or ``\\\\`` outside an
    environment.
    """
    from latex2mathml.converter import convert

    source = tex.strip()
    if not source:
        raise MathError("empty formula")
    for name in re.findall(r"\\(?:begin|end)\s*\{([^}]*)\}", source):
        if name not in MATH_ENVIRONMENTS:
            raise MathError(f"unsupported environment {{{name}}} (supported: {', '.join(sorted(MATH_ENVIRONMENTS))})")
    source = re.sub(r"\\(begin|end)\s*\{(?:aligned|align)\}", r"\\\1{align*}", source)
    source = re.sub(r"\\(?:begin|end)\s*\{equation\*?\}", " ", source)
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml's own errors: a missing argument, an unbalanced brace, ...
        raise MathError(f"cannot parse it ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})") from None
    if "<mi>&</mi>" in mathml:
        raise MathError("'&' outside an environment such as aligned or pmatrix")
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "").replace("&nbsp;", "&#160;")
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as exc:
        raise MathError(f"cannot convert it to MathML ({exc})") from None
    _check_mathml(root)
    _adjust_mathml(root)
    if display:
        _breakable_at_qquads(root)
    for el in root.iter():
        if el.tag in ARITY and len(el) != ARITY[el.tag]:
            raise MathError(f"cannot convert it to MathML (<{el.tag}> with {len(el)} parts instead of {ARITY[el.tag]})")
    semantics = ET.Element("semantics")
    row = ET.SubElement(semantics, "mrow")
    row.extend(list(root))
    annotation = ET.SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = tex
    for child in list(root):
        root.remove(child)
    root.append(semantics)
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def _check_mathml(root) -> None:
    for el in root.iter():
        words = CONTROL_WORD.findall(TEX_ESCAPE.sub("", el.text or ""))
        if words:
            raise MathError(f"unknown command {words[0]}")
        if el.tag == "mspace" and el.get("linebreak") == "newline":
            raise MathError("'\\\\' outside an environment such as aligned or pmatrix")


def _adjust_mathml(root) -> None:
    """Make latex2mathml's MathML look like TeX in MathML Core browsers (changes ``root`` in place)."""
    for el in list(root.iter()):
        if el.text and el.tag in ("mi", "mo", "mtext", "mn"):
            el.text = TEX_ESCAPE.sub(r"\1", el.text)
        if el.tag == "mi" and el.text in AS_OPERATOR:
            el.tag, el.text = "mo", AS_OPERATOR[el.text]
        elif el.tag == "mo" and el.text in AS_IDENTIFIER:
            el.tag = "mi"
        elif el.tag == "mo" and el.text in UNSPACED:
            el.set("lspace", "0")
            el.set("rspace", "0")
        elif el.tag == "mo" and el.text in BARS and el.get("stretchy") != "true":  # not \left| ... \right|
            el.attrib.update(stretchy="false", lspace="0", rspace="0")
        if el.tag == "mi" and el.get("mathvariant", "normal") != "normal" and el.text:
            _variant_letters(el)
        if el.tag == "mtext" and el.get("mathvariant") in TEXT_VARIANT_STYLE:
            el.set("style", TEXT_VARIANT_STYLE[el.attrib.pop("mathvariant")])
        if el.tag == "mspace" and el.get("width") in NAMED_SPACES:
            el.set("width", f"{NAMED_SPACES[el.get('width')]:.4f}em")
        if el.tag == "mover" and len(el) == 2 and el[1].tag == "mo" and el[1].text in ACCENTS:
            el.set("accent", "true")
            el[1].text = ACCENTS[el[1].text]
            if len(el[0]) <= 1 and el[1].text != "→":  # \bar x, \hat x: the accent of one letter
                el[1].set("stretchy", "false")
        if (
            (el.tag in SCRIPT_TO_LIMITS or el.tag in SCRIPT_TO_LIMITS.values())
            and len(el)
            and el[0].tag == "mo"
            and el[0].text in LIMITS_OPERATORS
        ):
            el.tag = SCRIPT_TO_LIMITS.get(el.tag, el.tag)
            el[0].set("movablelimits", "true")
    for parent in list(root.iter()):
        _merge_upright_words(parent)
        _absorb_into_empty_style(parent)
        _primes_after_base(parent)
    _unspace_scripts(root, in_script=False)
    for parent in list(root.iter()):
        _unary_signs(parent)
        _space_operator_names(parent)
        if parent.tag == "mtable":
            _align_table(parent)


def _breakable_at_qquads(root) -> None:
    """A displayed formula made of parts set apart by \\qquad ("a, \\qquad b, \\qquad c") may break between its
    parts onto several centred lines when it is wider than the page, as TeX's author would break it by hand (a
    browser never breaks MathML): the parts become the items of a wrapping flex row (print.css, BREAKABLE)."""
    top = root[0] if len(root) == 1 and root[0].tag == "mrow" else root
    gaps = [c for c in top if c.tag == "mspace" and c.get("width") == "2em"]
    if not gaps:
        return
    parts, current = [], []
    for c in list(top):
        top.remove(c)
        if c in gaps:
            parts.append(current)
            current = []
        else:
            current.append(c)
    parts.append(current)
    for part in parts:
        if part:
            ET.SubElement(top, "mrow").extend(part)
    if top is root:
        row = ET.Element("mrow")
        row.extend(list(root))
        for c in list(root):
            root.remove(c)
        root.append(row)
        top = row
    top.set("class", BREAKABLE)


def _variant_letters(el) -> None:
    """\\mathbf z as 𝐳: the Unicode letter, since MathML Core browsers draw only mathvariant="normal"."""
    variant = VARIANT_NAMES.get(el.get("mathvariant"))
    if variant is None:
        return
    letters = []
    for ch in el.text:
        name = re.sub(r"^(?:LATIN |GREEK )?(SMALL |CAPITAL )?(?:LETTER )?", r"\1", unicodedata.name(ch, ""))
        try:
            letters.append(VARIANT_HOLES.get((variant, name)) or unicodedata.lookup(f"MATHEMATICAL {variant} {name}"))
        except KeyError:
            return  # no such letter: keep mathvariant (Firefox draws it)
    el.text = "".join(letters)
    del el.attrib["mathvariant"]


def _merge_upright_words(parent) -> None:
    """\\mathrm{softmax}: one upright <mi>softmax</mi> rather than seven one-letter <mi>s (kerned as a word)."""
    if parent.tag != "mrow" or len(parent) < 2:
        return
    if all(
        c.tag == "mi" and c.get("mathvariant") == "normal" and len(c) == 0 and c.text and len(c.text) == 1
        for c in parent
    ):
        word = "".join(c.text for c in parent)
        for c in list(parent):
            parent.remove(c)
        parent.tag = "mi"
        parent.text = word
        parent.set("mathvariant", "normal")


def _absorb_into_empty_style(parent) -> None:
    """``\\textstyle\\sum_n`` inside an alignment cell: latex2mathml leaves the <mstyle> empty; the rest of the
    cell belongs in it, as in TeX."""
    if parent.tag not in ROWS:
        return
    children = list(parent)
    for i, c in enumerate(children):
        if c.tag == "mstyle" and len(c) == 0 and i + 1 < len(children):
            for follower in children[i + 1 :]:
                parent.remove(follower)
                c.append(follower)
            return


def _primes_after_base(parent) -> None:
    """f' as f′ on the baseline: the prime glyph is already raised, and as a superscript it came out tiny."""
    for i, c in enumerate(list(parent)):
        if c.tag not in ("msup", "msubsup") or len(c) < 2:
            continue
        prime = c[-1]
        if prime.tag not in ("mi", "mo") or not prime.text or set(prime.text) - set(PRIMES):
            continue
        prime.tag = "mo"
        prime.attrib.clear()
        prime.attrib.update(lspace="0", rspace="0")
        c.remove(prime)
        base = c[0]
        c.remove(base)
        row = ET.Element("mrow")
        row.extend([base, prime])
        c.insert(0, row)
        if c.tag == "msup":  # nothing left to script: the row replaces the msup
            parent.remove(c)
            parent.insert(i, row)
        else:
            c.tag = "msub"


def _unary_signs(parent) -> None:
    """-x, (-7), = -1: a sign with nothing ordinary before it is unary, set close to what follows (TeX's rule)."""
    if parent.tag not in ROWS:
        return
    previous = None
    for c in parent:
        if (
            c.tag == "mo"
            and c.text in SIGNS
            and c.get("lspace") is None
            and (previous is None or previous.tag == "mo" and previous.text not in CLOSING | UNSPACED)
        ):
            c.attrib.update(lspace="0", rspace="0")
        if c.tag != "mspace":
            previous = c


def _unspace_scripts(el, *, in_script: bool) -> None:
    """No space around + or = in a subscript or superscript (x_{n+1}, \\sum_{i=1}), as TeX sets scripts."""
    if in_script and el.tag == "mo" and el.get("lspace") is None and el.get("rspace") is None:
        el.attrib.update(lspace="0", rspace="0")
    scripted = el.tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover", "mroot")
    for k, child in enumerate(el):
        _unspace_scripts(child, in_script=in_script or (scripted and k > 0))


def _space_operator_names(parent) -> None:
    """TeX's thin space between an operator name (\\log, \\max, \\operatorname{rel}) and an ordinary neighbour."""
    if parent.tag not in ROWS:
        return
    children = list(parent)
    inserts = []
    for i, c in enumerate(children):
        core = c[0] if c.tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover") and len(c) else c
        word = core.text or ""
        if not (len(word) > 1 and word.isalpha()):
            continue
        before = i > 0 and children[i - 1].tag in ORDINARY
        after = i + 1 < len(children) and children[i + 1].tag in ORDINARY
        if core.tag == "mo":  # \max, \min, \operatorname{...}
            core.set("lspace", "0.1667em" if before else "0")
            core.set("rspace", "0.1667em" if after else "0")
        elif core.tag == "mi" and core.get("mathvariant") is None:  # \log, \tanh: not \mathrm{...} words
            if after:
                inserts.append(i + 1)
            if before:
                inserts.append(i)
    for at in sorted(set(inserts), reverse=True):
        parent.insert(at, ET.Element("mspace", width="0.1667em"))


def _align_table(table) -> None:
    """Chromium ignores columnalign and columnspacing: the same as CSS on each cell (aligned, cases, array).

    A cell's content is laid out as a block, which Chromium and Safari align with ``-webkit-right`` and
    ``-webkit-left`` (plain ``right`` does nothing there); Firefox reads the columnalign attribute, kept.
    """
    spacing = table.get("columnspacing")
    gaps = spacing.split() if spacing else []
    for row in table:
        for j, cell in enumerate(row):
            style = []
            align = cell.get("columnalign")
            if align in ("left", "right"):
                style.append(f"text-align: {align}; text-align: -webkit-{align}")
            if gaps:
                left = gaps[min(j - 1, len(gaps) - 1)] if j > 0 else "0em"
                style.append(f"padding-left: {left}; padding-right: 0")
            if style:
                cell.set("style", "; ".join(style))
