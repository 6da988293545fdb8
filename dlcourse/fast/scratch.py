"""Chapter 05: reusable scratch memory for the big temporaries of the fast kernels (a convolution's im2col
columns).

A fresh array of several megabytes is new memory for the operating system: every 4 KiB page of it is zeroed and
mapped the first time it is written (a page fault), and when the array is freed, the C allocator hands the memory
back. A training step that allocates and frees tens of megabytes of columns every time can spend as long in
page faults as in its matrix products. So a kernel takes its scratch arrays from here:

    cols = scratch.empty((C * kh * kw, n * L), np.float32)    # already mapped memory when some of that size is free

When ``cols`` is garbage-collected (with the cache that holds it, or at the end of the kernel), its memory returns
to a free list, and the next training step reuses it. Views made from ``cols`` must not outlive ``cols`` itself;
the kernels only make short-lived ones. At most :data:`MAX_BYTES` of free memory are kept; beyond that the oldest
free blocks go back to the allocator.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
from numpy.typing import DTypeLike

#: free memory kept for reuse, at most
MAX_BYTES = 256 * 2**20

_free: list[np.ndarray] = []  # free 1-D blocks, oldest first
_lock = threading.RLock()  # re-entrant: a garbage collection inside a locked block may free a scratch array


def empty(shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, in reused memory when a block of its size
    is free. Its memory returns to the free list when the array is garbage-collected."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64))
    block = None
    with _lock:
        for i, free in enumerate(_free):
            if free.dtype == dtype and free.size == size:
                block = _free.pop(i)
                break
    if block is None:
        block = np.empty(size, dtype)
    array = block.reshape(shape)  # a view: when it dies, the block (kept alive here) is free again
    weakref.finalize(array, _give_back, block).atexit = False
    return array


def _give_back(block: np.ndarray) -> None:
    with _lock:
        _free.append(block)
        total = sum(free.nbytes for free in _free)
        while total > MAX_BYTES:
            total -= _free.pop(0).nbytes


def free_bytes() -> int:
    """Memory on the free list, in bytes."""
    with _lock:
        return sum(free.nbytes for free in _free)


def clear() -> None:
    """Drop every free block (its memory goes back to the allocator)."""
    with _lock:
        _free.clear()
