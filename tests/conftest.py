"""Shared test configuration: hypothesis profiles, and the notebook budgets measured during nbval's own run.

``pytest`` collects solutions/ first (see pyproject.toml), so nbval executes each chapter once; the hooks below
time it (kernel start included) and read its kernel's peak resident memory (VmHWM) before the kernel stops.
tests/test_notebooks.py then checks those numbers against the budgets, executing a notebook itself only when
nbval did not run it in this session.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import settings

from notebook_runner import NBVAL_KEY, RUNS_KEY, Run

settings.register_profile("default", deadline=None, max_examples=30)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_NBVAL_CELL = re.compile(r"(?:^|/)solutions/(\d\d_[a-z0-9_]+\.ipynb)::Cell \d+$")


def _peak_mib(pid: int) -> float | None:
    """Peak resident memory of a process, from Linux's /proc (None elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else None


def pytest_runtest_logreport(report):
    match = _NBVAL_CELL.search(report.nodeid.replace("\\", "/"))
    if match:
        stats = _config.stash.setdefault(NBVAL_KEY, {}).setdefault(
            match.group(1), {"seconds": 0.0, "peak_mib": None, "failed": False})
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
        stats = item.config.stash.setdefault(NBVAL_KEY, {}).setdefault(
            match.group(1), {"seconds": 0.0, "peak_mib": None, "failed": False})
        stats["peak_mib"] = _peak_mib(process.pid)


_config = None


def pytest_configure(config):
    global _config
    _config = config


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    runs: dict[str, Run] = config.stash.get(RUNS_KEY, {})
    if not runs:
        return
    terminalreporter.section("notebook budgets (solutions: time and kernel peak memory)")
    for name, run in sorted(runs.items()):
        terminalreporter.write_line(f"{name:40s} {run.seconds:6.1f} s   peak {run.peak_mib:6.0f} MiB")
    terminalreporter.write_line(f"{'total':40s} {sum(r.seconds for r in runs.values()):6.1f} s")
