"""Shared test configuration: hypothesis profiles, and the table of notebook budgets printed after the run.

The measurements themselves are taken by the project's root conftest.py while nbval runs solutions/.
"""
from __future__ import annotations

import os

from hypothesis import settings

from notebook_runner import RUNS_KEY, Run

settings.register_profile("default", deadline=None, max_examples=30)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    runs: dict[str, Run] = config.stash.get(RUNS_KEY, {})
    if not runs:
        return
    terminalreporter.section("notebook budgets (solutions: time and kernel peak memory)")
    for name, run in sorted(runs.items()):
        terminalreporter.write_line(f"{name:40s} {run.seconds:6.1f} s   peak {run.peak_mib:6.0f} MiB   ({run.source})")
    terminalreporter.write_line(f"{'total':40s} {sum(r.seconds for r in runs.values()):6.1f} s")
