"""Chapter 00: how many CPU threads NumPy's BLAS, PyTorch and dlcourse's own kernels use.

The course's models are small: a matrix product of a (32, 64) batch with a (64, 64) weight takes microseconds, less
than it costs to wake and synchronise a second thread. On a shared or busy CPU (Binder, a laptop running a browser,
CI) several threads per library also compete with each other, and a training loop can become ten times slower.
So chapters that train call ``limit_threads(1)`` once in their setup cell. Large workloads (the benchmarks) set
their own thread counts.

dlcourse's big kernels (the fast convolution) split a batch into slices and run one slice per thread, each slice
with a single-threaded BLAS: the copies around the matrix products (im2col, col2im) then run in parallel too, and
no BLAS thread spins on a core that another slice needs. Small batches stay on the calling thread:

    parts = batch_parts(len(x), work=multiply_adds)     # [slice(0, 32), slice(32, 64)] or [slice(0, 64)]
    results = parallel_map(one_slice, parts)            # one_slice(part) for each part, on all threads
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from .. import _lazy
from .._validate import check_positive_int

#: a slice of a batch gets its own thread only when it brings at least this many multiply-adds
MIN_WORK_PER_THREAD = 50_000_000

_num_threads: int | None = None  # None: as many as the CPUs this process may use
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_blas = None  # a threadpoolctl.ThreadpoolController, made on first use ...
_blas_modules = 0  # ... when len(sys.modules) was this: an import since may have loaded a BLAS
_lock = threading.Lock()
_local = threading.local()  # _local.busy: this thread is already running a part


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def get_num_threads() -> int:
    """Threads dlcourse's own kernels use (like ``torch.get_num_threads``)."""
    return _available_cpus() if _num_threads is None else _num_threads


def set_num_threads(n: int) -> None:
    """Let dlcourse's own kernels use at most ``n`` threads (like ``torch.set_num_threads``)."""
    global _num_threads
    _num_threads = check_positive_int(n, "n")


def limit_threads(n: int = 1) -> None:
    """Let NumPy's BLAS (via threadpoolctl), PyTorch and dlcourse's kernels use at most ``n`` threads from now on."""
    n = check_positive_int(n, "n")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # called as a function, the limit stays in force
    set_num_threads(n)
    try:
        torch = _lazy.torch("limit_threads")
    except ImportError:  # pragma: no cover - torch is a dependency of the course
        return
    torch.set_num_threads(n)


def batch_parts(n: int, work: float) -> list[slice]:
    """Split ``range(n)`` into contiguous slices, one per thread that is worth using.

    ``work`` is the whole batch's cost in multiply-adds; each slice gets at least :data:`MIN_WORK_PER_THREAD` of
    it, and there are at most :func:`get_num_threads` slices (and at most ``n``). One slice means: run serially.
    """
    k = max(1, min(get_num_threads(), n, int(work // MIN_WORK_PER_THREAD)))
    bounds = [n * i // k for i in range(k + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(k)]


def parallel_map(fn: Callable, *iterables: Iterable) -> list:
    """``[fn(*args) for args in zip(*iterables)]``, one call per thread, each with a single-threaded BLAS.

    With a single item (or when called from inside another ``parallel_map``) ``fn`` simply runs on the calling
    thread, and BLAS keeps its own threads. Exceptions propagate to the caller.
    """
    items = list(zip(*iterables))
    if len(items) <= 1 or getattr(_local, "busy", False):
        return [fn(*args) for args in items]
    pool, blas = _workers(len(items))

    def run(args):
        _local.busy = True
        try:
            return fn(*args)
        finally:
            _local.busy = False

    with blas.limit(limits=1, user_api="blas"):
        return list(pool.map(run, items))


def _workers(n: int):
    """The shared thread pool (grown to ``n`` threads when needed) and the BLAS controller.

    A controller knows the BLAS libraries loaded when it was made (it takes about a millisecond to make); one that
    an import has loaded since (SciPy's own OpenBLAS, say) would keep all its threads. So the controller is made
    again whenever modules have been imported since the last one.
    """
    global _pool, _pool_size, _blas, _blas_modules
    with _lock:
        if _pool is None or _pool_size < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool, _pool_size = ThreadPoolExecutor(max_workers=n, thread_name_prefix="dlcourse"), n
        if _blas is None or _blas_modules != len(sys.modules):
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
            _blas_modules = len(sys.modules)
        return _pool, _blas
