"""Measure each solutions notebook while nbval runs it: time (kernel start included) and the kernel's peak memory.

This file sits at the project root because pytest calls a conftest's per-item hooks only for items below its own
folder, and nbval's items live in solutions/. tests/test_notebooks.py checks the numbers against the budgets.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
from notebook_runner import NBVAL_KEY, peak_mib_of  # noqa: E402  (the module the tests import, not a copy)

_NBVAL_CELL = re.compile(r"(?:^|/)solutions/(\d\d_[a-z0-9_]+\.ipynb)::Cell \d+$")


def _stats(config, name: str) -> dict:
    return config.stash.setdefault(NBVAL_KEY, {}).setdefault(name, {"seconds": 0.0, "peak_mib": None, "failed": False})


def pytest_runtest_logreport(report):
    match = _NBVAL_CELL.search(report.nodeid.replace("\\", "/"))
    if match:
        stats = _stats(_config, match.group(1))
        stats["seconds"] += report.duration
        stats["failed"] |= report.failed


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, while its kernel is still alive, read the kernel's peak memory."""
    match = _NBVAL_CELL.search(item.nodeid.replace("\\", "/"))
    if not match or (nextitem is not None and nextitem.parent is item.parent):
        return
    kernel = getattr(item.parent, "kernel", None)
    process = getattr(getattr(getattr(kernel, "km", None), "provisioner", None), "process", None)
    if process is not None:
        _stats(item.config, match.group(1))["peak_mib"] = peak_mib_of(process.pid)


_config = None


def pytest_configure(config):
    global _config
    _config = config
