"""The text of a chapter, for tests that hold its prose to the code: numbers quoted in markdown, references.

from prose import chapter_markdown
text = chapter_markdown("04")            # every markdown cell of solutions/04_*.ipynb, joined
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def chapter_path(chapter: str) -> Path:
    """solutions/NN_topic.ipynb for ``chapter`` = "NN"."""
    matches = sorted((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
    assert len(matches) == 1, f"expected one solutions notebook for chapter {chapter}, found {matches}"
    return matches[0]


def chapter_cells(chapter: str, cell_type: str = "markdown") -> list[str]:
    """The sources of the chapter's cells of one type, in order."""
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == cell_type]


def chapter_markdown(chapter: str) -> str:
    """Every markdown cell of the chapter, joined by blank lines, with runs of whitespace (line breaks) as one
    space, so that a sentence can be searched whole."""
    return re.sub(r"[ \t]*\n[ \t]*(?!\n)", " ", "\n\n".join(chapter_cells(chapter)))


def quoted_number(text: str, pattern: str) -> float:
    """The number captured by the one group of ``pattern`` in ``text``; fails the test unless it occurs exactly
    once (a sentence that was reworded must not silently stop being checked)."""
    found = re.findall(pattern, text)
    assert len(found) == 1, f"expected the pattern {pattern!r} once in the chapter, found {len(found)}"
    return float(found[0].replace(",", ""))
