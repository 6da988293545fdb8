"""A pytest plugin that writes one JSON line per nbval cell as soon as the cell has run.

``dlcourse grade`` loads it into the pytest process that runs a submission (``-p dlcourse.tools.grading.recorder``) and
names the output file in the environment variable ``DLCOURSE_GRADE_LOG``. Because every line is written and flushed
when its cell finishes, a submission that has to be killed (a kernel stuck in a loop it will not leave) still
leaves the outcome of every cell that ran.
"""

from __future__ import annotations

import json
import os
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _message(report) -> str:
    """The useful part of a failing cell's report: the error it raised, without source or colour codes."""
    text = _ANSI.sub("", str(report.longrepr))
    if "Traceback:" in text:
        text = text.split("Traceback:", 1)[1]
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    marked = [i for i, line in enumerate(lines) if line.lstrip().startswith("\u2718")]  # a CheckFailure's ✘ line
    if marked:
        lines = lines[marked[0] :]
    elif lines:
        lines = lines[-3:]
    return "\n".join(lines)[:1000]


def pytest_runtest_logreport(report):
    path = os.environ.get("DLCOURSE_GRADE_LOG")
    if not path or report.when != "call" and not (report.when == "setup" and report.failed):
        return
    match = re.search(r"::Cell (\d+)$", report.nodeid)
    if not match:
        return
    record = {"cell": int(match.group(1)), "outcome": report.outcome, "seconds": round(report.duration, 3)}
    if report.failed:
        text = str(report.longrepr)
        record["message"] = _message(report)
        record["timeout"] = "Timeout of" in text and "exceeded executing cell" in text
        record["kernel_dead"] = any(s in text for s in ("Kernel dead", "Kernel died", "Failed to interrupt kernel"))
        if record["kernel_dead"]:
            record["message"] = "the kernel died or stopped responding in this cell"
        elif record["timeout"]:
            record["message"] = "the cell ran past the per-cell time limit and was interrupted"
    elif report.skipped:  # nbval gives up on the cells after a kernel that stopped answering
        record["message"] = "not run: the kernel had died or stopped responding in an earlier cell"
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
        log.flush()
