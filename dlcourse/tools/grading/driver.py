"""The program that runs one submission inside its sandbox, and reports what happened as data on stdout.

``dlcourse grade`` starts it in the sandbox (``python -I -m dlcourse.tools.grading.driver JOB``) with a job file
written by the grader::

    {"notebook": ".../submission.ipynb",      # the prepared notebook: canonical check cells, answers collected
     "calls": ".../calls",                    # folder where the kernel writes the answers it collected
     "cwd": ".../work",                       # the kernel's working folder
     "cell_timeout": 60, "total_timeout": 900,
     "max_cell_output": 1048576, "max_notebook": 8388608, "max_file": 16777216}

It runs every code cell in order in a fresh kernel (nbclient), interrupting a cell that runs past its time limit,
and after each cell writes one line of JSON (a frame, see :mod:`dlcourse.tools.grading.transport`) to its stdout:
the cell's outcome, then any new file in the calls folder (base64). At the end comes the executed notebook, its
outputs cut to size, and a last frame saying it is done.

The driver runs next to the learner's code and is no more trusted than it: the grader reads its frames as data
(validated, size-limited) and takes from them only what the learner's code could have produced anyway (the
outputs of its own functions, the outcome of its cells). Nothing the grader decides rests on the driver being
honest.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FAIL_MARK = "\u2718"
TRUNCATED = "[output cut by dlcourse grade: the cell printed more than {limit} bytes]\n"


def error_message(ename: str, evalue: str, traceback: list[str]) -> str:
    """The part of a cell's error a learner needs: from a check's ✘ line on, else the traceback's last lines."""
    text = _ANSI.sub("", "\n".join(traceback or []) or f"{ename}: {evalue}")
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    marked = [i for i, line in enumerate(lines) if line.lstrip().startswith(FAIL_MARK)]
    if marked:
        lines = lines[marked[0] :]
    elif lines:
        lines = lines[-3:]
    return "\n".join(lines)[:2000]


def _output_size(output: dict) -> int:
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8", "replace"))


def cap_outputs(outputs: list, limit: int) -> list:
    """``outputs`` up to ``limit`` bytes of JSON; what does not fit is replaced by one line saying so."""
    kept, used = [], 0
    for output in outputs:
        size = _output_size(output)
        if used + size > limit:
            kept.append({"output_type": "stream", "name": "stderr", "text": TRUNCATED.format(limit=limit)})
            break
        kept.append(output)
        used += size
    return kept


class Channel:
    """Frames written to the grader: one JSON object per line, flushed at once."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    def send(self, kind: str, **fields: object) -> None:
        line = json.dumps({"kind": kind, **fields}, ensure_ascii=True).encode("ascii") + b"\n"
        self.stream.write(line)
        self.stream.flush()


def _private_channel() -> Channel:
    """Keep stdout for frames only: the kernel and stray prints get /dev/null, and the process is made
    non-dumpable so that other processes of the same user cannot open its file descriptors through /proc."""
    channel = os.fdopen(os.dup(1), "wb")  # os.dup: not inherited by the kernel
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")  # kept for the process' life
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):  # not Linux: nothing to protect against here
        pass
    return Channel(channel)


def _send_new_files(channel: Channel, folder: Path, sent: set[str], max_file: int) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.name in sent or not path.is_file() or path.is_symlink():
            continue
        sent.add(path.name)
        size = path.stat().st_size
        if size > max_file:
            channel.send("file", name=path.name, skipped=f"{size} bytes, more than {max_file}")
            continue
        channel.send("file", name=path.name, data=base64.b64encode(path.read_bytes()).decode("ascii"))


def run(job: dict, channel: Channel) -> None:
    """Execute the job's notebook cell by cell, sending a frame per cell and the executed notebook at the end."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    start = time.monotonic()
    nb = nbformat.read(job["notebook"], as_version=4)
    calls = Path(job["calls"])
    calls.mkdir(parents=True, exist_ok=True)
    cell_timeout, total = float(job["cell_timeout"]), float(job["total_timeout"])
    max_cell_output = int(job["max_cell_output"])

    printed: dict[int, int] = {}
    cut: set[int] = set()

    class Client(NotebookClient):
        timed_out = False

        async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:  # nbclient's hook
            self.timed_out = True
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:  # nbclient's
            size = printed[cell_index] = printed.get(cell_index, 0) + len(json.dumps(msg.get("content", {})))
            if size > max_cell_output:  # drop the rest of a cell that prints without end, saying so once
                if cell_index not in cut:
                    cut.add(cell_index)
                    note = {"output_type": "stream", "name": "stderr", "text": TRUNCATED.format(limit=max_cell_output)}
                    outs.append(nbformat.from_dict(note))
                return None
            return super().output(outs, msg, display_id, cell_index)

    client = Client(
        nb,
        timeout=max(1, int(cell_timeout)),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "CellTimeout", "evalue": "the cell ran past its time limit", "traceback": []},
        record_timing=False,
        resources={"metadata": {"path": job["cwd"]}},
        skip_cells_with_tag="dlcourse-grade: every cell runs",  # no tag a learner adds skips a cell
    )
    replies: dict[int, dict] = {}

    def on_cell_executed(cell: dict, cell_index: int, execute_reply: dict) -> None:
        replies[cell_index] = (execute_reply or {}).get("content", {})

    client.on_cell_executed = on_cell_executed
    sent: set[str] = set()
    dead = None
    with client.setup_kernel(stdout=open(os.devnull, "wb"), stderr=open(os.devnull, "wb")):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if dead is not None:
                channel.send("cell", index=index, status="not-run", message=dead, seconds=0)
                continue
            if not cell.source.strip():  # nothing to run
                channel.send("cell", index=index, status="ok", message="", seconds=0)
                continue
            remaining = total - (time.monotonic() - start)
            if remaining < 1:
                dead = "not run: the submission's time limit was reached"
                channel.send("cell", index=index, status="not-run", message=dead, seconds=0)
                continue
            client.timeout = max(1, int(min(cell_timeout, remaining)))
            client.timed_out = False
            began = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                dead = "not run: the kernel had died in an earlier cell"
                status, message = "dead", "the kernel died or stopped responding in this cell"
            except Exception as exc:  # nbclient's own failures (a reply it cannot read ...)
                status, message = "error", f"{type(exc).__name__}: {exc}"[:2000]
            else:
                reply = replies.pop(index, {})
                if client.timed_out:
                    status, message = "timeout", "the cell ran past the per-cell time limit and was interrupted"
                elif reply.get("status") == "ok":
                    status, message = "ok", ""
                else:
                    status = "error"
                    message = error_message(
                        str(reply.get("ename", "")), str(reply.get("evalue", "")), reply.get("traceback") or []
                    )
            cell.outputs = cap_outputs(cell.get("outputs", []), max_cell_output)
            channel.send(
                "cell", index=index, status=status, message=message, seconds=round(time.monotonic() - began, 3)
            )
            _send_new_files(channel, calls, sent, int(job["max_file"]))
    text = nbformat.writes(nb)
    if len(text.encode("utf-8")) > int(job["max_notebook"]):
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = cap_outputs(cell.outputs, int(job["max_notebook"]) // max(1, len(nb.cells)))
        text = nbformat.writes(nb)
    channel.send("notebook", text=text)


def main(argv: list[str] | None = None) -> int:
    """``python -m dlcourse.tools.grading.driver JOB``: run the job, frames on stdout; 0 when it ran to its end."""
    argv = sys.argv[1:] if argv is None else argv
    channel = _private_channel()
    try:
        job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
        run(job, channel)
    except BaseException as exc:  # report, then fail: the grader records it
        channel.send("failed", message=f"{type(exc).__name__}: {exc}"[:2000])
        return 1
    channel.send("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
