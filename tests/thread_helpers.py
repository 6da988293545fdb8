"""What the tests of the fast kernels share: a way to make them split even tiny batches over threads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from dlcourse.fast import threads


@contextlib.contextmanager
def every_item_its_own_thread() -> Iterator[None]:
    """Make the fast kernels split even tiny batches (of images, sequences) over (up to) three threads."""
    before = threads.MIN_WORK_PER_THREAD, threads._num_threads
    threads.MIN_WORK_PER_THREAD, threads._num_threads = 1, 3
    try:
        yield
    finally:
        threads.MIN_WORK_PER_THREAD, threads._num_threads = before
