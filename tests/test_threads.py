"""dlcourse.threads.limit_threads sets the thread counts of NumPy's BLAS and of PyTorch (in a fresh process)."""
import subprocess
import sys

import pytest

from dlcourse.threads import limit_threads


def test_limit_threads_applies_to_blas_and_torch():
    code = ("import torch, threadpoolctl; from dlcourse.threads import limit_threads; limit_threads(1);"
            "blas = [p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'];"
            "print(torch.get_num_threads(), max(blas))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1"]


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", None])
def test_bad_thread_count_is_named(bad):
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        limit_threads(bad)
