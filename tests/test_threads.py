"""dlcourse.fast.threads: the thread counts of NumPy's BLAS, PyTorch and dlcourse, and the batch-slice thread pool."""

import ast
import subprocess
import sys
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from dlcourse.checks import tolerances
from dlcourse.fast import threads
from dlcourse.fast.threads import limit_threads


@pytest.fixture
def num_threads():
    """Restore dlcourse's thread count after the test."""
    before = threads._num_threads
    yield
    threads._num_threads = before


def _blas_threads() -> int:
    return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")


def test_limit_threads_applies_to_blas_torch_and_dlcourse():
    code = (
        "import torch, threadpoolctl; from dlcourse.fast import threads; threads.limit_threads(1);"
        "blas = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'];"
        "print(torch.get_num_threads(), max(blas), threads.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1", "1"]


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", None])
def test_bad_thread_count_is_named(bad):
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        limit_threads(bad)
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        threads.set_num_threads(bad)


def test_set_num_threads(num_threads):
    threads.set_num_threads(3)
    assert threads.get_num_threads() == 3


@pytest.mark.parametrize(
    "n, work, k, expected",
    [
        (64, 302e6, 2, 2),  # a CIFAR-sized convolution: one slice per thread
        (64, 12e6, 2, 1),  # an MNIST-sized one: not worth a second thread
        (64, 1e12, 4, 4),
        (3, 1e12, 8, 3),  # never more slices than images
        (1, 1e12, 2, 1),
        (10, 1e12, 1, 1),  # one thread allowed
    ],
)
def test_batch_parts_cover_the_batch_in_order(num_threads, n, work, k, expected):
    threads.set_num_threads(k)
    parts = threads.batch_parts(n, work)
    assert len(parts) == expected
    assert [i for part in parts for i in range(n)[part]] == list(range(n))
    sizes = [part.stop - part.start for part in parts]
    assert max(sizes) - min(sizes) <= 1


def test_parallel_map_runs_each_item_on_its_own_thread_with_single_threaded_blas():
    barrier = threading.Barrier(2, timeout=10)  # both calls must be running at the same time to pass it

    def work(i, j):
        barrier.wait()
        return i * j, threading.current_thread().name, _blas_threads()

    with threadpool_limits(limits=2, user_api="blas"):
        results = threads.parallel_map(work, [1, 2], [10, 20])
        assert _blas_threads() == 2  # restored afterwards
    assert [r[0] for r in results] == [10, 40]
    assert results[0][1] != results[1][1] and all(r[1].startswith("dlcourse") for r in results)
    assert [r[2] for r in results] == [1, 1]


def test_a_blas_library_loaded_after_the_first_parallel_map_is_limited_too():
    """SciPy brings its own OpenBLAS: imported after dlcourse's first parallel_map, it must run single-threaded in
    the workers as well (in a fresh process, where SciPy is not loaded yet)."""
    code = "\n".join(
        [
            "import threading, sys",
            "from threadpoolctl import threadpool_info",
            "from dlcourse.fast import threads",
            "assert 'scipy' not in sys.modules",
            "threads.parallel_map(lambda i: i, [0, 1])",
            "import scipy.linalg",
            "barrier = threading.Barrier(2, timeout=10)",
            "def work(i):",
            "    barrier.wait()",
            "    return [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']",
            "print(threads.parallel_map(work, [0, 1]))",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    per_worker = ast.literal_eval(out.strip())  # each worker: the threads of every BLAS library
    assert len(per_worker) == 2 and all(n == 1 for libraries in per_worker for n in libraries), out


def test_parallel_map_with_one_item_runs_on_the_calling_thread():
    with threadpool_limits(limits=2, user_api="blas"):
        [(name, blas)] = threads.parallel_map(lambda _: (threading.current_thread().name, _blas_threads()), [0])
    assert name == threading.current_thread().name and blas == 2


def test_nested_parallel_map_runs_serially_instead_of_deadlocking():
    def outer(i):
        return threads.parallel_map(lambda j: (i, j, threading.current_thread().name), [1, 2, 3])

    results = threads.parallel_map(outer, [0, 1])
    for i, inner in enumerate(results):
        assert [r[:2] for r in inner] == [(i, 1), (i, 2), (i, 3)]
        assert len({r[2] for r in inner}) == 1  # all on the worker that ran outer(i)


def test_parallel_map_raises_the_callers_exception():
    def work(i):
        if i == 1:
            raise KeyError("slice 1 failed")
        return i

    with pytest.raises(KeyError, match="slice 1 failed"):
        threads.parallel_map(work, [0, 1])
    assert threads.parallel_map(work, [0, 2]) == [0, 2]  # the pool still works


def test_parallel_map_of_numpy_work_matches_serial():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 300, 300))
    parallel = threads.parallel_map(lambda x: x @ b, [a[:150], a[150:]])
    # BLAS may block the sums differently with one thread than with two: equal up to rounding
    np.testing.assert_allclose(np.concatenate(parallel), a @ b, rtol=tolerances.REFERENCE_RTOL, atol=1e-12)
