"""Global average pooling (chapter 15): the kernel pair and nn.residual.GlobalAvgPool2d against PyTorch's
adaptive_avg_pool2d(x, 1) in float64 and against finite differences, over drawn shapes; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import tolerances as tol
from dlcourse.checks.gradcheck import numerical_gradient
from dlcourse.functional import global_pool
from dlcourse.nn.residual import GlobalAvgPool2d


@st.composite
def pool_inputs(draw):
    shape = tuple(draw(st.integers(1, 4)) for _ in range(4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(shape) * 3, rng.standard_normal(shape[:2])


@scaled_settings(40)
@given(setup=pool_inputs())
def test_forward_and_backward_match_torch_and_finite_differences(setup):
    x, dout = setup
    out, cache = global_pool.global_avg_pool2d_forward(x)
    dx = global_pool.global_avg_pool2d_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.adaptive_avg_pool2d(xt, 1).flatten(1)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=tol.REFERENCE_RTOL, atol=tol.FLOOR)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=tol.REFERENCE_RTOL, atol=tol.FLOOR)
    numeric = numerical_gradient(global_pool.global_avg_pool2d, [x], dout)
    np.testing.assert_allclose(dx, numeric, rtol=tol.FD_RTOL, atol=tol.FD_ROUNDOFF * np.abs(dout).sum() + tol.FLOOR)


@scaled_settings(20)
@given(setup=pool_inputs())
def test_the_layer_is_the_kernel_pair(setup):
    x, dout = setup
    layer = GlobalAvgPool2d()
    out = layer(x)
    assert out.shape == x.shape[:2]
    np.testing.assert_array_equal(out, global_pool.global_avg_pool2d(x))
    np.testing.assert_array_equal(
        layer.backward(dout), global_pool.global_avg_pool2d_backward(dout, global_pool.global_avg_pool2d_forward(x)[1])
    )
    assert layer.num_parameters() == 0


def test_float32_stays_float32():
    x = np.ones((2, 3, 4, 4), np.float32)
    out, cache = global_pool.global_avg_pool2d_forward(x)
    assert (
        out.dtype == np.float32 and global_pool.global_avg_pool2d_backward(np.ones((2, 3)), cache).dtype == np.float32
    )


@pytest.mark.parametrize(
    "x, message",
    [
        (np.ones((2, 3, 4)), "x: expected a 4-D array, got shape (2, 3, 4)"),
        (np.ones((2, 3, 0, 4)), "x: expected at least one position"),
        (None, "x: expected an array, got None"),
    ],
)
def test_bad_input_names_the_argument(x, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        global_pool.global_avg_pool2d_forward(x)


def test_bad_gradient_and_cache_name_the_argument():
    _, cache = global_pool.global_avg_pool2d_forward(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"dout: expected shape \(2, 3\)"):
        global_pool.global_avg_pool2d_backward(np.ones((2, 3, 1, 1)), cache)
    with pytest.raises(ValueError, match="cache: expected the cache returned by global_avg_pool2d_forward"):
        global_pool.global_avg_pool2d_backward(np.ones((2, 3)), None)
