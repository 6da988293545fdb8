"""What only the fast convolution (dlcourse.fast.conv, the one nn.Conv2d runs) does, against PyTorch and finite
differences: a batch split over threads, caches that stay valid while later passes reuse scratch memory, and the
flat-shift shortcut of "same" convolutions. tests/test_conv.py holds it equal to the readable pair over drawn shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import conv2d_setups, scaled_settings
from thread_helpers import every_item_its_own_thread

import dlcourse.functional as F
from dlcourse import nn
from dlcourse.checks import check_kernel, tolerances
from dlcourse.fast import conv as fast_conv

WRT = ("x", "weight", "bias")


def test_nn_conv2d_runs_the_fast_pair(monkeypatch):
    calls = []
    for name in ("conv2d_forward", "conv2d_backward"):
        real = getattr(fast_conv, name)
        monkeypatch.setattr(fast_conv, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    layer = nn.Conv2d(2, 3, 3, padding=1, rng=0)
    layer.backward(np.ones_like(layer(np.zeros((1, 2, 4, 4)))))
    assert calls == ["conv2d_forward", "conv2d_backward"]


@scaled_settings(30)
@given(setup=conv2d_setups(max_n=5))
def test_batch_split_over_threads_matches_torch_and_finite_differences(setup):
    inputs, options = setup
    wrt = WRT if inputs["bias"] is not None else WRT[:2]
    with every_item_its_own_thread():
        check_kernel(
            fast_conv.conv2d_forward,
            fast_conv.conv2d_backward,
            "conv2d",
            inputs,
            wrt=wrt,
            options=options,
            report=False,
        )
        assert len(fast_conv.conv2d_forward(**inputs, **options)[1].parts) == min(len(inputs["x"]), 3)


@every_item_its_own_thread()
def test_a_cache_stays_valid_while_later_passes_reuse_scratch_memory():
    """Backward twice on the same cache, and on an older cache after newer forward passes: same gradients."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3, 6, 6)), rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5, 6, 6))
    out, cache = fast_conv.conv2d_forward(x, w, b, 1, 1)
    first = fast_conv.conv2d_backward(dout, cache)
    for _ in range(3):  # scratch memory freed by these is handed out again
        fast_conv.conv2d_backward(dout, fast_conv.conv2d_forward(x + 1.0, w, b, 1, 1)[1])
        fast_conv.conv2d(x - 1.0, w, b, 1, 1)
    again = fast_conv.conv2d_backward(dout, cache)
    for g1, g2 in zip(first, again):
        np.testing.assert_array_equal(g1, g2)
    for ours, theirs in zip(again, F.conv2d_backward(dout, F.conv2d_forward(x, w, b, 1, 1)[1])):
        np.testing.assert_allclose(ours, theirs, rtol=tolerances.REFERENCE_RTOL, atol=1e-12)


@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (5, 3), (7, 7), (3, 7)])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (3, 2), (4, 1), (6, 5)])
def test_same_convolutions_take_the_flat_shortcut_correctly(kernel, size):
    """Stride 1 with padding (k - 1) / 2 keeps the image size and takes the flat-shift im2col/col2im, also when
    the kernel is wider than the image (every window wraps)."""
    rng = np.random.default_rng(sum(kernel) * 10 + sum(size))
    padding = ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)
    inputs = {
        "x": rng.standard_normal((3, 2, *size)),
        "weight": rng.standard_normal((4, 2, *kernel)),
        "bias": rng.standard_normal(4),
    }
    out, _ = fast_conv.conv2d_forward(**inputs, stride=1, padding=padding)
    assert out.shape[2:] == size
    check_kernel(
        fast_conv.conv2d_forward,
        fast_conv.conv2d_backward,
        "conv2d",
        inputs,
        wrt=WRT,
        options={"stride": 1, "padding": padding},
        report=False,
    )
    with every_item_its_own_thread():
        check_kernel(
            fast_conv.conv2d_forward,
            fast_conv.conv2d_backward,
            "conv2d",
            inputs,
            wrt=WRT,
            options={"stride": 1, "padding": padding},
            report=False,
        )


def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients_as_torch():
    x, w, b = np.zeros((0, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3)
    out, cache = fast_conv.conv2d_forward(x, w, b, 1, 1)
    dx, dw, db = fast_conv.conv2d_backward(np.zeros(out.shape), cache)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1)
    assert out.shape == tuple(expected.shape) and dx.shape == x.shape
    assert np.all(dw == 0) and np.all(db == 0)
