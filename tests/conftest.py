"""Shared test configuration: hypothesis profiles, the headless browser, and the table of notebook budgets printed
after the run.

The measurements themselves are taken by the project's root conftest.py while nbval runs solutions/.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from notebook_runner import RUNS_KEY, Run

settings.register_profile("default", deadline=None, max_examples=30)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A headless Chromium (the one on PATH, see tests/browser_support.py) with a fresh profile, shared by the
    session's browser tests; closed at the end of the session."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            timeout=60_000,
        )
    except BaseException:
        pw.stop()
        raise
    yield context
    context.close()
    pw.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    runs: dict[str, Run] = config.stash.get(RUNS_KEY, {})
    if not runs:
        return
    terminalreporter.section("notebook budgets (solutions: time and kernel peak memory)")
    for name, run in sorted(runs.items()):
        terminalreporter.write_line(f"{name:40s} {run.seconds:6.1f} s   peak {run.peak_mib:6.0f} MiB   ({run.source})")
    terminalreporter.write_line(f"{'total':40s} {sum(r.seconds for r in runs.values()):6.1f} s")
