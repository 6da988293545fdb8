"""What comes out of a sandbox: lines of JSON read as data, checked and capped, never executed or unpickled.

The driver (:mod:`dlcourse.tools.grading.driver`) writes one frame per line on its stdout::

    {"kind": "cell", "index": 3, "status": "ok" | "error" | "timeout" | "dead" | "not-run",
     "message": "...", "seconds": 0.2}
    {"kind": "file", "name": "00-one_hot.npz", "data": "<base64>"}      # a file the kernel wrote in calls/
    {"kind": "notebook", "text": "<the executed notebook, nbformat JSON>"}
    {"kind": "failed", "message": "..."}                                 # the driver itself could not go on
    {"kind": "done"}

:class:`FrameReader` reads them as they come (so a submission stopped half way keeps what it had sent), stops
at ``max_bytes`` in all, and keeps only frames of the right shape: an unknown kind, a field of the wrong type, a
file name that is not a plain name, a second frame for the same cell or file, or a line that is not JSON is
counted in ``rejected`` and otherwise ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

import nbformat

STATUSES = ("ok", "error", "timeout", "dead", "not-run")
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
MAX_MESSAGE = 2000


@dataclass
class CellRecord:
    """How one code cell ended, as the driver reported it."""

    index: int
    status: str
    message: str = ""
    seconds: float = 0.0


@dataclass
class Frames:
    """Everything read back from one run of the driver."""

    cells: dict[int, CellRecord] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    notebook: nbformat.NotebookNode | None = None
    done: bool = False
    failed: str = ""
    overflow: bool = False
    rejected: int = 0
    bytes_read: int = 0


class FrameReader:
    """Read frames from the bytes of a stream (:meth:`feed_bytes`) into :attr:`frames`, up to ``max_bytes``."""

    def __init__(self, max_bytes: int, max_notebook: int) -> None:
        self.max_bytes = max_bytes
        self.max_notebook = max_notebook
        self.frames = Frames()
        self._parts: list[bytes] = []

    def feed_bytes(self, data: bytes) -> None:
        """Take the next bytes of the stream as they come; complete lines are read as frames. Past ``max_bytes`` in
        all, :attr:`Frames.overflow` is set and nothing more is read."""
        f = self.frames
        if f.overflow:
            return
        if f.bytes_read + len(data) > self.max_bytes:
            data = data[: self.max_bytes - f.bytes_read]
            f.overflow = True
        f.bytes_read += len(data)
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._parts.append(data[start:end])
            line, self._parts = b"".join(self._parts), []
            self.feed(line)
            start = end + 1
        self._parts.append(data[start:])
        if f.overflow:
            self._parts = []

    def finish(self) -> Frames:
        """The end of the stream: a last line without its newline is rejected; return the frames."""
        if any(self._parts):
            self.frames.rejected += 1
        self._parts = []
        return self.frames

    def feed(self, line: bytes) -> None:
        """Take one line: a valid frame updates :attr:`frames`, anything else is counted as rejected."""
        try:
            frame = json.loads(line)
            ok = isinstance(frame, dict) and self._take(frame)
        except (ValueError, TypeError, RecursionError):
            ok = False
        if not ok:
            self.frames.rejected += 1

    def _take(self, frame: dict) -> bool:
        f, kind = self.frames, frame.get("kind")
        if kind == "cell":
            index, status = frame.get("index"), frame.get("status")
            message, seconds = frame.get("message", ""), frame.get("seconds", 0)
            if (
                type(index) is not int
                or index < 0
                or index in f.cells
                or status not in STATUSES
                or not isinstance(message, str)
                or type(seconds) not in (int, float)
            ):
                return False
            f.cells[index] = CellRecord(index, status, message[:MAX_MESSAGE], float(seconds))
            return True
        if kind == "file":
            name = frame.get("name")
            if not isinstance(name, str) or not FILE_NAME.fullmatch(name) or name in f.files or name in f.skipped_files:
                return False
            if isinstance(frame.get("skipped"), str):
                f.skipped_files[name] = frame["skipped"][:MAX_MESSAGE]
                return True
            data = frame.get("data")
            if not isinstance(data, str):
                return False
            try:
                f.files[name] = base64.b64decode(data.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                return False
            return True
        if kind == "notebook":
            text = frame.get("text")
            if not isinstance(text, str) or f.notebook is not None or len(text) > self.max_notebook:
                return False
            try:
                nb = nbformat.reads(text, as_version=4)
                nbformat.validate(nb)
            except Exception:  # (whatever nbformat raises on a bad notebook)
                return False
            f.notebook = nb
            return True
        if kind == "failed":
            message = frame.get("message")
            if not isinstance(message, str):
                return False
            f.failed = message[:MAX_MESSAGE]
            return True
        if kind == "done":
            f.done = True
            return True
        return False
