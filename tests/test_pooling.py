"""Max and average pooling against PyTorch (float64, output and gradient) and finite differences, over
hypothesis-drawn window sizes, strides (including the default None and overlapping windows) and paddings: the
readable kernels of dlcourse.functional and the ones nn.MaxPool2d and nn.AvgPool2d run (dlcourse.fast.pooling),
which give the same gradients, inf and nan in dout included."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import pool2d_setups, scaled_settings

import dlcourse.functional as F
from dlcourse import nn
from dlcourse.checks import check_function, check_kernel
from dlcourse.fast import pooling as fast_pool

KERNELS = {
    "max_pool2d": (F.max_pool2d, F.max_pool2d_forward, F.max_pool2d_backward),
    "avg_pool2d": (F.avg_pool2d, F.avg_pool2d_forward, F.avg_pool2d_backward),
}
FAST = {
    "max_pool2d": (fast_pool.max_pool2d, fast_pool.max_pool2d_forward, fast_pool.max_pool2d_backward),
    "avg_pool2d": (fast_pool.avg_pool2d, fast_pool.avg_pool2d_forward, fast_pool.avg_pool2d_backward),
}
BOTH = {**{f"{op}-teaching": k for op, k in KERNELS.items()}, **{f"{op}-fast": k for op, k in FAST.items()}}


@pytest.mark.parametrize("name", sorted(BOTH))
@scaled_settings(40)
@given(setup=pool2d_setups())
def test_pooling_matches_torch_and_finite_differences(name, setup):
    x, options = setup
    fn, forward, backward = BOTH[name]
    op = name.split("-")[0]
    check_kernel(forward, backward, op, {"x": x}, wrt=("x",), options=options, report=False)
    check_function(fn, op, {"x": x}, options=options, report=False)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
@scaled_settings(40)
@given(setup=pool2d_setups(), data=st.data())
def test_fast_max_pool_backward_equals_the_teaching_one_even_for_ties_and_non_finite_dout(setup, data):
    """The same pixels get the same gradient, bit for bit: ties (a rounded input) go to the first maximum in both,
    and inf or nan in dout lands on the maxima only."""
    x, options = setup
    if data.draw(st.booleans()):
        x = np.round(x)  # many ties
    out, cache = F.max_pool2d_forward(x, **options)
    values = (
        st.sampled_from([np.inf, -np.inf, np.nan, 0.0, 1.0, -2.5])
        if data.draw(st.booleans())
        else st.floats(-3, 3, allow_nan=False)
    )
    dout = np.array(data.draw(st.lists(values, min_size=out.size, max_size=out.size))).reshape(out.shape)
    np.testing.assert_array_equal(fast_pool.max_pool2d_backward(dout, cache), F.max_pool2d_backward(dout, cache))


def test_nn_pooling_layers_run_the_fast_kernels(monkeypatch):
    calls = []
    for name in ("max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"):
        real = getattr(fast_pool, name)
        monkeypatch.setattr(fast_pool, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    for layer in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
        layer.backward(np.ones_like(layer(np.zeros((1, 1, 4, 4)))))
    assert calls == ["max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"]


def test_max_pool_routes_the_gradient_to_the_argmax_only():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 9.0, 1.0], [0.0, 0.0, 1.0, 1.5], [7.0, 0.5, 2.0, 1.0]]]])
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
    np.testing.assert_array_equal(fast_pool.max_pool2d_backward(dout, cache), xt.grad.numpy())


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
    for fn, forward, backward in BOTH.values():
        out, cache = forward(x, 2)
        assert out.dtype == np.float32 and backward(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: F.max_pool2d(np.zeros((1, 4, 4)), 2), "x: expected a 4-D array"),
        (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 0), "kernel_size: expected values >= 1"),
        (lambda: F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2), "padding: expected at most half"),
        (lambda: F.avg_pool2d(np.zeros((1, 1, 1, 4)), 2), "kernel_size: a 2x2 window does not fit"),
        (lambda: F.avg_pool2d(np.zeros((1, 1, 4, 4)), 2, stride=(1, 0)), "stride: expected values >= 1"),
        (
            lambda: F.max_pool2d_backward(np.zeros((1, 1, 3, 3)), F.max_pool2d_forward(np.zeros((1, 1, 4, 4)), 2)[1]),
            r"dout: expected shape \(1, 1, 2, 2\)",
        ),
        (
            lambda: fast_pool.max_pool2d_backward(
                np.zeros((1, 1, 2, 2)), F.avg_pool2d_forward(np.zeros((1, 1, 4, 4)), 2)[1]
            ),
            "cache: expected the cache returned by max_pool2d_forward",
        ),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
