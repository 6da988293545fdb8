"""The whole tree is clean under the linter and the formatter configured in pyproject.toml (ruff).

Fix what this test reports with ``ruff check --fix .`` and ``ruff format .`` (then ``dlcourse build``, since the
solutions' .py twins are formatted too).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args: str) -> subprocess.CompletedProcess:
    command = [shutil.which("ruff")] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "args", [("check", "--output-format", "concise", "."), ("format", "--check", ".")], ids=["lint", "format"]
)
def test_ruff_is_clean_on_the_whole_tree(args):
    result = ruff(*args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
