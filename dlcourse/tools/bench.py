"""Chapter 05: how fast dlcourse's NumPy kernels run next to PyTorch's, on this machine, in one run: ``dlcourse bench``.

Chapter 05 prints its convolution cases. The kernels timed are the ones the layers of :mod:`dlcourse.nn` run: the
fast convolution and pooling of :mod:`dlcourse.fast` (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.AvgPool2d``) and
:func:`dlcourse.functional.linear_forward` (``nn.Linear``). Every case times one forward *and* backward pass of one
kernel, in float32, with the same number of threads for both libraries (``torch.set_num_threads`` for PyTorch;
``threadpoolctl`` for NumPy's BLAS and :func:`dlcourse.fast.threads.set_num_threads` for dlcourse's own batch
slicing), and reports the best of ``repeat`` timings. The ratio is ours / torch: 1.0 is as fast as PyTorch, 2.0
twice as slow.

    results = run()                      # {case: {"ours_s": ..., "torch_s": ..., "ratio": ...}}
    print(format_table(results))

=================  ============================================================================================
case               what is timed (forward + backward)
=================  ============================================================================================
``conv2d_mnist``   conv 1 -> 32 channels, 3x3, on 64 images of 28x28 (the first layer of source 003's model)
``conv2d_cifar``   conv 32 -> 64 channels, 3x3, padding 1, on 64 maps of 16x16 (a CIFAR-10 model's 2nd layer)
``max_pool2d``     2x2 max pooling of 64 x 32 maps of 26x26
``avg_pool2d``     2x2 average pooling of the same maps
``linear``         a 784 -> 256 fully connected layer on a batch of 128
``lstm``           an LSTM layer 64 -> 128 over T = 50 steps, batch 32 (chapter 07; ``nn.LSTM``'s fast kernels)
``attention``      multi-head self-attention, d = 128, 4 heads, T = 64, batch 32 (chapter 08; ``nn.MultiheadAttention``)
=================  ============================================================================================

torch and threadpoolctl are imported only when :func:`run` is called.
"""

from __future__ import annotations

import os
import timeit
from collections.abc import Callable

import numpy as np

from .. import functional as F
from ..fast import attention as fast_attention
from ..fast import conv as fast_conv
from ..fast import pooling as fast_pool
from ..fast import recurrent as fast_recurrent
from ..fast import threads as dlcourse_threads

DTYPE = np.float32


def _conv_case(n, c, f, size, k, padding):
    def make(rng, torch):
        x = rng.standard_normal((n, c, size, size)).astype(DTYPE)
        w = (rng.standard_normal((f, c, k, k)) / np.sqrt(c * k * k)).astype(DTYPE)
        b = rng.standard_normal(f).astype(DTYPE)
        out = fast_conv.conv2d(x, w, b, 1, padding)
        dout = rng.standard_normal(out.shape).astype(DTYPE)

        def ours():
            _, cache = fast_conv.conv2d_forward(x, w, b, 1, padding)
            fast_conv.conv2d_backward(dout, cache)

        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        dt = torch.from_numpy(dout)

        def theirs():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, stride=1, padding=padding).backward(dt)

        return ours, theirs

    return make


def _pool_case(kind, n, c, size, k):
    def make(rng, torch):
        forward, backward = {
            "max": (fast_pool.max_pool2d_forward, fast_pool.max_pool2d_backward),
            "avg": (fast_pool.avg_pool2d_forward, fast_pool.avg_pool2d_backward),
        }[kind]
        x = rng.standard_normal((n, c, size, size)).astype(DTYPE)
        dout = rng.standard_normal((n, c, size // k, size // k)).astype(DTYPE)

        def ours():
            _, cache = forward(x, k)
            backward(dout, cache)

        xt, dt = torch.tensor(x, requires_grad=True), torch.from_numpy(dout)
        torch_pool = getattr(torch.nn.functional, f"{kind}_pool2d")

        def theirs():
            xt.grad = None
            torch_pool(xt, k).backward(dt)

        return ours, theirs

    return make


def _linear_case(n, d, h):
    def make(rng, torch):
        x = rng.standard_normal((n, d)).astype(DTYPE)
        w = (rng.standard_normal((h, d)) / np.sqrt(d)).astype(DTYPE)
        b = rng.standard_normal(h).astype(DTYPE)
        dout = rng.standard_normal((n, h)).astype(DTYPE)

        def ours():
            _, cache = F.linear_forward(x, w, b)
            F.linear_backward(dout, cache)

        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        dt = torch.from_numpy(dout)

        def theirs():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.linear(xt, wt, bt).backward(dt)

        return ours, theirs

    return make


#: case name -> (description, maker(rng, torch) -> (ours, theirs)): two functions of no arguments
CASES: dict[str, tuple[str, Callable]] = {
    "conv2d_mnist": ("conv2d 1->32, 3x3, N=64, 28x28", _conv_case(64, 1, 32, 28, 3, 0)),
    "conv2d_cifar": ("conv2d 32->64, 3x3 pad 1, N=64, 16x16", _conv_case(64, 32, 64, 16, 3, 1)),
    "max_pool2d": ("max_pool2d 2x2, N=64, C=32, 26x26", _pool_case("max", 64, 32, 26, 2)),
    "avg_pool2d": ("avg_pool2d 2x2, N=64, C=32, 26x26", _pool_case("avg", 64, 32, 26, 2)),
    "linear": ("linear 784->256, N=128", _linear_case(128, 784, 256)),
}


# chapter 07: an LSTM layer, forward and backward, as nn.LSTM runs it
def _lstm_case(t, n, d, h):
    def make(rng, torch):
        x = rng.standard_normal((t, n, d)).astype(DTYPE)
        bound = 1 / np.sqrt(h)
        w_ih, w_hh = (rng.uniform(-bound, bound, (4 * h, k)).astype(DTYPE) for k in (d, h))
        b_ih, b_hh = (rng.uniform(-bound, bound, 4 * h).astype(DTYPE) for _ in range(2))
        dout = rng.standard_normal((t, n, h)).astype(DTYPE)

        def ours():
            _, cache = fast_recurrent.lstm_forward(x, None, None, w_ih, w_hh, b_ih, b_hh)
            fast_recurrent.lstm_backward(dout, None, None, cache)

        lstm = torch.nn.LSTM(d, h)
        with torch.no_grad():
            for name, value in zip(
                ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), (w_ih, w_hh, b_ih, b_hh)
            ):
                getattr(lstm, name).copy_(torch.from_numpy(value))
        xt, dt = torch.tensor(x, requires_grad=True), torch.from_numpy(dout)

        def theirs():
            xt.grad = None
            for p in lstm.parameters():
                p.grad = None
            lstm(xt)[0].backward(dt)

        return ours, theirs

    return make


CASES["lstm"] = ("LSTM 64->128, T=50, N=32", _lstm_case(50, 32, 64, 128))


# chapter 08: multi-head self-attention, forward and backward, as nn.MultiheadAttention runs it
def _attention_case(n, t, d, heads):
    def make(rng, torch):
        x = rng.standard_normal((n, t, d)).astype(DTYPE)
        mha = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        w_in, b_in, w_out, b_out = (
            mha.state_dict()[k].numpy().copy()
            for k in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
        )
        dout = rng.standard_normal((n, t, d)).astype(DTYPE)

        def ours():
            _, cache = fast_attention.multi_head_attention_forward(x, x, x, heads, w_in, b_in, w_out, b_out)
            fast_attention.multi_head_attention_backward(dout, cache)

        xt, dt = torch.tensor(x, requires_grad=True), torch.from_numpy(dout)

        def theirs():
            xt.grad = None
            for p in mha.parameters():
                p.grad = None
            mha(xt, xt, xt, need_weights=False)[0].backward(dt)

        return ours, theirs

    return make


CASES["attention"] = ("self-attention d=128, 4 heads, T=64, N=32", _attention_case(32, 64, 128, 4))


def _best_time(fn, repeat: int) -> float:
    """Seconds per call: the best of ``repeat`` timings, each of enough calls to last about 50 ms."""
    fn()  # warm up (allocations, caches)
    number = max(1, int(0.05 / max(timeit.timeit(fn, number=1), 1e-6)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def _default_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run(cases: list[str] | None = None, repeat: int = 5, threads: int | None = None) -> dict[str, dict]:
    """Time every case (or the named ones) in both libraries.

    Parameters
    ----------
    cases : names from :data:`CASES` (default: all, in that order)
    repeat : timings per case and library; the best is kept
    threads : threads for both libraries: PyTorch, NumPy's BLAS and dlcourse (default: the CPUs this process may use)

    Returns
    -------
    {case: {"ours_s": seconds per forward+backward, "torch_s": the same for PyTorch, "ratio": ours_s / torch_s}}
    """
    names = list(CASES) if cases is None else list(cases)
    unknown = [c for c in names if c not in CASES]
    if unknown or not names:
        raise ValueError(f"cases: expected names from {list(CASES)}, got {cases!r}")
    if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
        raise ValueError(f"repeat: expected a positive integer, got {repeat!r}")
    if threads is None:
        threads = _default_threads()
    elif isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads: expected a positive integer or None, got {threads!r}")

    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads(), dlcourse_threads.get_num_threads()
    results = {}
    try:
        torch.set_num_threads(int(threads))
        dlcourse_threads.set_num_threads(int(threads))
        with threadpool_limits(limits=int(threads), user_api="blas"):
            for name in names:
                ours, theirs = CASES[name][1](np.random.default_rng(0), torch)
                ours_s, torch_s = _best_time(ours, repeat), _best_time(theirs, repeat)
                results[name] = {"ours_s": ours_s, "torch_s": torch_s, "ratio": ours_s / torch_s}
    finally:
        torch.set_num_threads(previous[0])
        dlcourse_threads.set_num_threads(previous[1])
    return results


def format_table(results: dict) -> str:
    """A plain-text table of :func:`run`'s results: case, what it is, milliseconds for both, ratio."""
    lines = [
        f"{'case':14s} {'what (forward + backward, float32)':38s} {'ours (ms)':>10s} {'torch (ms)':>11s} {'ratio':>6s}"
    ]
    for name, r in results.items():
        description = CASES[name][0] if name in CASES else ""
        lines.append(
            f"{name:14s} {description:38s} {r['ours_s'] * 1e3:10.3f} {r['torch_s'] * 1e3:11.3f} {r['ratio']:6.2f}"
        )
    return "\n".join(lines)
