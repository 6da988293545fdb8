"""Every chapter's inline math survives the markdown renderer that the HTML export uses.

A `$...$` formula broken across lines inside a blockquote or list is split by the renderer into separate text
runs, and the reader then sees raw TeX. Within each run of text (code spans aside), dollar signs must pair up.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

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
