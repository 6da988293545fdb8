"""How many CPU threads NumPy's BLAS and PyTorch use.

The course's models are small: a matrix product of a (32, 64) batch with a (64, 64) weight takes microseconds, less
than it costs to wake and synchronise a second thread. On a shared or busy CPU (Binder, a laptop running a browser,
CI) several threads per library also compete with each other, and a training loop can become ten times slower.
So chapters that train call ``limit_threads(1)`` once in their setup cell. Large workloads (the benchmarks) set
their own thread counts.
"""
from __future__ import annotations

from ._validate import check_positive_int


def limit_threads(n: int = 1) -> None:
    """Let NumPy's BLAS (via threadpoolctl) and PyTorch use at most ``n`` threads from now on."""
    n = check_positive_int(n, "n")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)          # called as a function, the limit stays in force
    try:
        import torch
    except ImportError:                  # pragma: no cover - torch is a dependency of the course
        return
    torch.set_num_threads(n)
