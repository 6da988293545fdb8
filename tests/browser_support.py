"""What the browser tests share: the Chromium binary and its flags, a network guard for pages, picture statistics.

The ``browser`` fixture itself (one headless Chromium per test session) is in tests/conftest.py. Playwright never
downloads a browser here: it launches the chromium found on PATH, and the tests that need it skip without one.
"""

from __future__ import annotations

import io
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (Debian: apt-get install chromium; .ci/run installs it)"
)
# playwright adds --headless itself (headless=True)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@dataclass
class Traffic:
    """What a page tried to load from outside ``allowed`` (refused) and which of its loads failed."""

    allowed: tuple[str, ...]
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def guard(page, *allowed: str) -> Traffic:
    """Refuse every request of ``page`` that does not start with one of ``allowed`` (file:, data: by default)."""
    traffic = Traffic(("file:", "data:", "blob:", *allowed))

    def route(r):
        if r.request.url.startswith(traffic.allowed):
            r.continue_()
        else:
            traffic.refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    # Chromium refuses about:blank loads some pages make while probing fonts; that one is expected
    page.on(
        "requestfailed",
        lambda r: (
            None
            if r.url == "about:blank" or r.url in traffic.refused
            else traffic.failed.append(f"{r.url} ({r.failure})")
        ),
    )
    return traffic


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(path: Path) -> int | None:
    """When ``path`` was last written (None: it does not exist)."""
    return path.stat().st_mtime_ns if path.exists() else None


def picture_stats(png: bytes) -> dict:
    """Distinct colours and brightness spread of a screenshot (a blank or one-colour box has few of both)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return {
        "colours": len(np.unique(pixels.reshape(-1, 3), axis=0)),
        "std": float(pixels.std()),
        "size": pixels.shape[1::-1],
    }
