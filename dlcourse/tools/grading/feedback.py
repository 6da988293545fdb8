"""A learner's feedback page: the graded notebook as HTML, each check's message and points beside its exercise.

    html_text = render_feedback(result, notebook_path, learner="alice", executed=True)

The page is what nbgrader's and otter's feedback files are: a summary at the top (points earned of points
possible, one line per exercise linking to it), then the notebook with, after each check cell, a box saying ✔ or ✘,
the points earned and the message the check printed (the message recorded in the grade book). The notebook is the
one the grader executed when there is one, else the submitted file with the outputs the learner saved (the page
says which).

A submission is untrusted, and so is everything in it, so the notebook is rebuilt from an allow-list before
nbconvert sees it, and nothing a learner wrote can run in the page:

* outputs keep only plain text, streams, errors (all shown as escaped text) and PNG or JPEG pictures whose data is
  base64; HTML, JavaScript, SVG, Markdown, LaTeX, widget views and every other kind are dropped (their text form is
  shown, or a note naming what was left out); output and cell metadata are dropped (tags are kept if they are
  plain words);
* markdown is rendered with raw HTML escaped, links to ``javascript:`` and similar refused, pictures only from the
  cell's own PNG, JPEG or GIF attachments (never a file on the grader's disk or a URL), math typeset as MathML
  (a formula that cannot be typeset is shown as its TeX); a raw cell is shown as text;
* the page (nbconvert's lab template via ``dlcourse_print``, as ``dlcourse export`` uses) has no script of its own,
  and a Content-Security-Policy forbids scripts, frames, forms and any load from the network, so that even
  markup that slipped through could not run or fetch anything.
"""

from __future__ import annotations

import base64
import binascii
import html
import os
import re
import stat
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from ..export import ASSETS, TEMPLATE, MathError, math_html
from .record import GradeResult

#: pictures an output or an attachment may show, as data: URLs
OUTPUT_IMAGES = ("image/png", "image/jpeg")
ATTACHMENT_IMAGES = ("image/png", "image/jpeg", "image/gif")
#: the page loads nothing and runs nothing: inline styles and data: pictures only
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/\s]*={0,2}\s*")
_PLAIN_TAG = re.compile(r"[A-Za-z0-9_-]{1,80}")
_CHECK_TAG = re.compile(r"test-(\d\d)-([a-z0-9_-]+)")
_EXERCISE_TAG = re.compile(r"exercise-(\d\d)-([a-z0-9_-]+)")
_TEMPLATE_FILE = "dlcourse_feedback.html.j2"
#: the largest notebook a page is made from (a larger one gets the summary alone)
MAX_NOTEBOOK_BYTES = 64 * 2**20

FEEDBACK_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}

{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy" content="{{ resources.dlcourse_feedback.csp | e }}">
{%- endblock html_head_js -%}

{%- block html_head_css -%}
{{ super() }}
<style>
.dlcourse-summary, .dlcourse-feedback { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.dlcourse-summary { margin: 1rem 0 2rem; padding: 0.8rem 1.2rem; border: 1px solid #bbb; border-radius: 4px; }
.dlcourse-summary h1 { margin-top: 0; }
.dlcourse-summary table { border-collapse: collapse; }
.dlcourse-summary th, .dlcourse-summary td { text-align: left; padding: 0.2rem 0.8rem; border-bottom: 1px solid #ddd; }
.dlcourse-feedback { margin: 0.3rem 0 1.2rem 0; padding: 0.5rem 0.9rem; border-left: 6px solid; }
.dlcourse-feedback.pass { border-color: #1a7f37; background: #eefbf1; }
.dlcourse-feedback.fail { border-color: #cf222e; background: #fff0f0; }
.dlcourse-feedback pre { white-space: pre-wrap; margin: 0.4rem 0 0; }
.dlcourse-points { font-weight: bold; }
.dlcourse-note { color: #555; }
.dlcourse-image-omitted { color: #555; font-style: italic; }
</style>
{%- endblock html_head_css -%}

{%- block body_header -%}
{{ super() }}
{%- set fb = resources.dlcourse_feedback -%}
<section class="dlcourse-summary">
<h1>Feedback: {{ fb.title | e }}</h1>
<p>Learner <strong>{{ fb.learner | e }}</strong>, submission <code>{{ fb.submission | e }}</code>.</p>
<p class="dlcourse-points">{{ fb.score | e }} of {{ fb.max_score | e }} points</p>
{%- if fb.status != 'ok' or fb.reason %}
<p>Grading: {{ fb.status | e }}{% if fb.reason %}: {{ fb.reason | e }}{% endif %}</p>
{%- endif %}
{%- if fb.exercises %}
<table>
<thead><tr><th>exercise</th><th>points</th><th>check</th></tr></thead>
<tbody>
{%- for ex in fb.exercises %}
<tr><td><a href="#feedback-{{ ex.anchor | e }}">{{ ex.name | e }}</a></td>
<td>{{ ex.earned | e }} / {{ ex.points | e }}</td><td>{% if ex.passed %}&#x2714;{% else %}&#x2718;{% endif %}</td></tr>
{%- endfor %}
</tbody>
</table>
{%- endif %}
<p class="dlcourse-note">{{ fb.source_note | e }}</p>
</section>
{%- endblock body_header -%}

{% block any_cell %}
{%- if not cell.metadata.get('dlcourse_placeholder') -%}
{{ super() }}
{%- endif -%}
{%- set ex = cell.metadata.get('dlcourse_feedback') -%}
{%- if ex %}
<div class="dlcourse-feedback {% if ex.passed %}pass{% else %}fail{% endif %}" id="feedback-{{ ex.anchor | e }}">
<span class="dlcourse-points">{% if ex.passed %}&#x2714;{% else %}&#x2718;{% endif %} {{ ex.name | e }}:
{{ ex.earned | e }} / {{ ex.points | e }} point{% if ex.points != 1 %}s{% endif %}</span>
{%- if ex.message %}
<pre>{{ ex.message | e }}</pre>
{%- endif %}
</div>
{%- endif %}
{% endblock any_cell %}
"""


def _text(value: object) -> str:
    """A notebook's text field (a string or a list of strings) as one string; anything else as nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _image_data(value: object) -> str | None:
    """``value`` if it is base64 that decodes (so it can sit in a data: URL as it is), else None."""
    text = _text(value)
    if not text or not _BASE64.fullmatch(text):
        return None
    try:
        base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, ValueError):
        return None
    return re.sub(r"\s", "", text)


def safe_outputs(outputs: object) -> list:
    """The outputs of a code cell, kept only as text, streams, errors and base64 PNG/JPEG pictures."""
    safe = []
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            name = "stderr" if output.get("name") == "stderr" else "stdout"
            safe.append(new_output("stream", name=name, text=_text(output.get("text"))))
        elif kind == "error":
            traceback = output.get("traceback")
            lines = [_text(line) for line in traceback] if isinstance(traceback, list) else []
            safe.append(
                new_output(
                    "error", ename=_text(output.get("ename")), evalue=_text(output.get("evalue")), traceback=lines
                )
            )
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") if isinstance(output.get("data"), dict) else {}
            kept = {}
            for mime in OUTPUT_IMAGES:
                picture = _image_data(data.get(mime))
                if picture:
                    kept[mime] = picture
            text = _text(data.get("text/plain"))
            left_out = sorted(str(m) for m in data if m not in kept and m != "text/plain")
            if text and not kept:
                kept["text/plain"] = text
            elif not kept:
                kept["text/plain"] = f"[{', '.join(left_out) or 'an empty output'}: not shown in feedback]"
            safe.append(new_output("display_data", data=kept))
    return safe


def _safe_attachments(attachments: object) -> dict:
    safe = {}
    for name, bundle in (attachments or {}).items() if isinstance(attachments, dict) else []:
        if not isinstance(bundle, dict):
            continue
        for mime in ATTACHMENT_IMAGES:
            picture = _image_data(bundle.get(mime))
            if picture:
                safe[str(name)] = {mime: picture}
                break
    return safe


def safe_notebook(nb: object) -> nbformat.NotebookNode:
    """A copy of ``nb`` rebuilt from what a feedback page may show (see the module's docstring).

    Cells keep their type, source, plain-word tags and allowed outputs; everything else (metadata, widget state,
    output metadata, cell ids) is dropped. A raw cell becomes markdown showing its text as code.
    """
    cells = []
    for cell in getattr(nb, "cells", []) or []:
        if not isinstance(cell, dict):
            continue
        tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell.get("metadata"), dict) else []
        tags = [t for t in tags if isinstance(t, str) and _PLAIN_TAG.fullmatch(t)] if isinstance(tags, list) else []
        source = _text(cell.get("source"))
        kind = cell.get("cell_type")
        if kind == "code":
            count = cell.get("execution_count")
            new = new_code_cell(
                source,
                outputs=safe_outputs(cell.get("outputs")),
                execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            )
        elif kind == "markdown":
            new = new_markdown_cell(source)
            attachments = _safe_attachments(cell.get("attachments"))
            if attachments:
                new.attachments = attachments
        else:  # raw, or something unknown: its text, shown as code
            new = new_markdown_cell("\n".join("    " + line for line in source.splitlines()))
        new.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cells.append(new)
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
    out = new_notebook(cells=cells)
    out.metadata = nbformat.from_dict({"language_info": {"name": "python"}})
    return out


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook in ``path`` if it is a regular file of at most :data:`MAX_NOTEBOOK_BYTES`: a link is not
    followed (it could point at solutions/) and a pipe or device is not opened. Raises ValueError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"{path}: cannot be opened as a regular file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError(f"{path}: not a regular file")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"{path}: larger than {MAX_NOTEBOOK_BYTES} bytes")
    return nbformat.reads(data.decode("utf-8"), as_version=4)


def _tag_index(nb: nbformat.NotebookNode, pattern: re.Pattern, chapter: str | None) -> dict[str, int]:
    found = {}
    for i, cell in enumerate(nb.cells):
        for tag in cell.metadata.get("tags", []):
            m = pattern.fullmatch(tag)
            if m and (chapter is None or m.group(1) == chapter):
                found.setdefault(m.group(2), i)
    return found


def annotate(nb: nbformat.NotebookNode, result: GradeResult) -> list[dict]:
    """Attach each exercise's feedback to its check cell in ``nb`` (a :func:`safe_notebook`); return them.

    An exercise whose check cell is not in the notebook gets its box after its exercise cell, else at the end.
    """
    items = []
    for key, exercise in result.exercises.items():
        name = key.split("-", 1)[1] if "-" in key else key
        items.append(
            {
                "name": name,
                "anchor": re.sub(r"[^a-z0-9_-]", "_", name.lower()),
                "passed": bool(exercise.passed),
                "earned": exercise.earned,
                "points": exercise.points,
                "message": exercise.message,
            }
        )
    checks = _tag_index(nb, _CHECK_TAG, result.chapter)
    for item in items:
        if item["name"] in checks:
            nb.cells[checks[item["name"]]].metadata["dlcourse_feedback"] = item
    for item in items:  # the missing checks: a box of their own
        if item["name"] in checks:
            continue
        placeholder = new_markdown_cell("", metadata={"dlcourse_placeholder": True, "dlcourse_feedback": item})
        placeholder.id = f"feedback-cell-{item['anchor']}"
        answers = _tag_index(nb, _EXERCISE_TAG, result.chapter)
        where = answers.get(item["name"])
        nb.cells.insert(len(nb.cells) if where is None else where + 1, placeholder)
    return items


def _exporter_class() -> type:
    """nbconvert's HTMLExporter whose markdown escapes raw HTML and embeds only the cell's own pictures."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class SafeRenderer(IPythonRenderer):
        def image(self, text: str, url: str, title: str | None = None) -> str:
            alt = html.escape(text or "")
            name = url[len("attachment:") :] if url.startswith("attachment:") else None
            bundle = self.attachments.get(name) if name is not None else None
            if bundle:
                mime, data = next(iter(bundle.items()))
                return f'<img src="data:{mime};base64,{data}" alt="{alt}">'
            return f'<span class="dlcourse-image-omitted">[picture not shown: {alt or html.escape(url)}]</span>'

        def block_mermaidjs(self, code: str) -> str:
            return f"<pre><code>{html.escape(code)}</code></pre>"

        def _math(self, tex: str, display: bool) -> str:
            try:
                return math_html(tex, display=display)
            except MathError:
                return f'<code class="dlcourse-tex">{html.escape(tex)}</code>'

        def block_math(self, body: str) -> str:
            return self._math(body, True)

        def inline_math(self, body: str) -> str:
            return self._math(body, False)

        def latex_environment(self, name: str, body: str) -> str:
            return self._math(f"\\begin{{{name}}}{body}\\end{{{name}}}", True)

    class FeedbackExporter(HTMLExporter):
        @jinja2.pass_context
        def markdown2html(self, context: dict, source: str) -> str:
            cell = context.get("cell", {})
            renderer = SafeRenderer(
                escape=True,
                allow_harmful_protocols=False,
                embed_images=False,
                exclude_anchor_links=True,
                attachments=cell.get("attachments", {}),
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    return FeedbackExporter


def render_feedback(
    result: GradeResult,
    notebook: Path | None,
    *,
    learner: str,
    executed: bool = False,
    title: str | None = None,
) -> str:
    """The feedback page of ``result`` as HTML text.

    ``notebook`` is the notebook to show (the executed one when ``executed``, else the submission as it was
    handed in); None, or a file that is not a notebook, gives the summary alone. ``learner`` and ``title`` (default:
    the chapter) head the page.
    """
    import jinja2

    nb = new_notebook()
    note = "The notebook could not be read, so only the grades are shown."
    if notebook is not None:
        try:
            nb = safe_notebook(read_notebook(notebook))
            note = (
                "Outputs are those of the graded run."
                if executed
                else "Outputs are those saved in the submitted notebook; the grades come from a fresh run of it."
            )
        except Exception:  # anything unreadable: the page still gives the grades
            nb = new_notebook()
    if notebook is None:
        note = "No notebook to show: only the grades are given."
    exercises = annotate(nb, result)
    chapter = result.chapter or "unknown chapter"
    page_title = title or f"chapter {chapter}"
    nb.metadata["title"] = f"Feedback: {learner}, {page_title}"
    resources = {
        "metadata": {"name": "feedback", "path": ""},
        "dlcourse_feedback": {
            "csp": CONTENT_SECURITY_POLICY,
            "title": page_title,
            "learner": learner,
            "submission": Path(result.submission).name,
            "score": result.score,
            "max_score": result.max_score,
            "status": result.status,
            "reason": result.reason,
            "exercises": exercises,
            "source_note": note,
        },
    }
    exporter = _exporter_class()(
        extra_template_basedirs=[str(ASSETS)],
        template_name=TEMPLATE,
        template_file=_TEMPLATE_FILE,
        extra_loaders=[jinja2.DictLoader({_TEMPLATE_FILE: FEEDBACK_TEMPLATE})],
        embed_images=False,
        exclude_anchor_links=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
