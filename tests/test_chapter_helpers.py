"""Every helper module a chapter introduces says so first in its docstring: "Chapter 03: ..." (AUTHORING.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the chapters written (solutions/) and the ones README's chapter table plans: a helper built ahead of its
#: chapter names the chapter it is for
CHAPTERS = {p.name[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.py")} | set(
    re.findall(r"^\| (\d\d) \| .*\| planned \|$", (ROOT / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
)

#: the modules that hold what chapters teach and show, outside the kernels, layers and optimizers
HELPERS = sorted(
    [
        f"dlcourse/{name}.py"
        for name in (
            "arrays",
            "numerics",
            "init",
            "metrics",
            "preprocess",
            "train",
            "hybrid",
            "surfaces",
            "interop",
            "source",
            "sampling",
            "model_selection",
        )
    ]
    + [
        str(p.relative_to(ROOT))
        for sub in (
            "data",
            "augment",
            "autograd",
            "viz",
            "models",
            "interpret",
            "deploy",
            "frameworks",
            "transfer",
            "language",
            "diffusion",
        )
        for p in (ROOT / "dlcourse" / sub).glob("*.py")
    ]
)


def test_the_planned_chapters_are_read_from_readme():
    assert {"00", "06", "07", "14"} <= CHAPTERS


@pytest.mark.parametrize("path", HELPERS)
def test_helper_names_its_chapter(path):
    doc = ast.get_docstring(ast.parse((ROOT / path).read_text(encoding="utf-8"))) or ""
    match = re.match(r"Chapters? (\d\d)\b", doc)
    assert match, f"{path}: the docstring should start with 'Chapter NN: ...', got {doc[:60]!r}"
    assert match.group(1) in CHAPTERS, f"{path}: no chapter {match.group(1)} in solutions/ or planned in README"
