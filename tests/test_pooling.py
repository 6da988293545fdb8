"""Max and average pooling against PyTorch (float64, output and gradient) and finite differences, over
hypothesis-drawn window sizes, strides (including the default None and overlapping windows) and paddings."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given

import dlcourse.functional as F
from dlcourse.checks import check_function, check_kernel
from strategies import pool2d_setups, scaled_settings

KERNELS = {"max_pool2d": (F.max_pool2d, F.max_pool2d_forward, F.max_pool2d_backward),
           "avg_pool2d": (F.avg_pool2d, F.avg_pool2d_forward, F.avg_pool2d_backward)}


@pytest.mark.parametrize("op", sorted(KERNELS))
@scaled_settings(40)
@given(setup=pool2d_setups())
def test_pooling_matches_torch_and_finite_differences(op, setup):
    x, options = setup
    fn, forward, backward = KERNELS[op]
    check_kernel(forward, backward, op, {"x": x}, wrt=("x",), options=options, report=False)
    check_function(fn, op, {"x": x}, options=options, report=False)


def test_max_pool_routes_the_gradient_to_the_argmax_only():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0],
                    [3.0, 4.0, 9.0, 1.0],
                    [0.0, 0.0, 1.0, 1.5],
                    [7.0, 0.5, 2.0, 1.0]]]])
    out, cache = F.max_pool2d_forward(x, 2)
    np.testing.assert_array_equal(out[0, 0], [[5.0, 9.0], [7.0, 2.0]])
    dx = F.max_pool2d_backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    expected = np.zeros((4, 4))
    expected[0, 1], expected[1, 2], expected[3, 0], expected[3, 2] = 10.0, 20.0, 30.0, 40.0
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.ones((1, 1, 4, 4))
    out, cache = F.max_pool2d_forward(x, 2)
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(F.max_pool2d_backward(dout, cache), xt.grad.numpy())


def test_overlapping_max_windows_add_their_gradients():
    """3x3 windows with stride 1: the global maximum wins every window that holds it."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 2] = 10.0
    out, cache = F.max_pool2d_forward(x, 3, stride=1)
    dx = F.max_pool2d_backward(np.ones_like(out), cache)
    assert dx[0, 0, 1, 2] == 4.0 and dx.sum() == 4.0


def test_average_pool_spreads_the_gradient_evenly():
    out, cache = F.avg_pool2d_forward(np.zeros((1, 1, 4, 4)), 2)
    dx = F.avg_pool2d_backward(np.full(out.shape, 8.0), cache)
    np.testing.assert_array_equal(dx, np.full((1, 1, 4, 4), 2.0))


def test_float32_in_float32_out():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    for fn, forward, backward in KERNELS.values():
        out, cache = forward(x, 2)
        assert out.dtype == np.float32 and backward(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda: F.max_pool2d(np.zeros((1, 4, 4)), 2), "x: expected a 4-D array"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 0), "kernel_size: expected values >= 1"),
    (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2), "padding: expected at most half"),
    (lambda: F.avg_pool2d(np.zeros((1, 1, 1, 4)), 2), "kernel_size: a 2x2 window does not fit"),
    (lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2, stride=(1, 0)), "stride: expected values >= 1"),
    (lambda: F.max_pool2d_backward(np.zeros((1, 1, 3, 3)), F.max_pool2d_forward(np.zeros((1, 1, 4, 4)), 2)[1]),
     r"dout: expected shape \(1, 1, 2, 2\)"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
