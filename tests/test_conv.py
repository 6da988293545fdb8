"""dlcourse.functional's convolution against PyTorch (float64, outputs and every gradient) and finite differences.

The three implementations (loop, unfold + matrix product, fast im2col pair) all go through the package's own
checker, over hypothesis-drawn batch sizes, channels, kernel sizes, strides and paddings (ints and pairs).
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import dlcourse.functional as F
from dlcourse.fast import threads
from dlcourse.checks import check_function, check_kernel, tolerances
from strategies import conv2d_setups, scaled_settings

WRT = ("x", "weight", "bias")


def _wrt(inputs):
    return WRT if inputs["bias"] is not None else WRT[:2]


@scaled_settings(40)
@given(setup=conv2d_setups())
def test_fast_conv2d_forward_and_backward_match_torch_and_finite_differences(setup):
    inputs, options = setup
    check_kernel(F.conv2d_forward, F.conv2d_backward, "conv2d", inputs, wrt=_wrt(inputs), options=options,
                 report=False)
    check_function(F.conv2d, "conv2d", inputs, options=options, report=False)


@scaled_settings(30)
@given(setup=conv2d_setups())
def test_naive_conv2d_matches_torch(setup):
    inputs, options = setup
    check_function(F.conv2d_naive, "conv2d", inputs, options=options, report=False)


@scaled_settings(30)
@given(setup=conv2d_setups(bias=False))
def test_unfold_matches_torch_and_a_matrix_product_is_conv2d(setup):
    inputs, options = setup
    x, weight = inputs["x"], inputs["weight"]
    kernel = weight.shape[2:]
    check_function(F.unfold, "unfold", {"x": x}, options={"kernel_size": kernel, **options}, report=False)
    cols = F.unfold(x, kernel, **options)                                   # (N, C*kh*kw, L)
    out = weight.reshape(len(weight), -1) @ cols                            # (N, F, L)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight), **options).numpy()
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=tolerances.REFERENCE_RTOL, atol=1e-12)


@scaled_settings(20)
@given(setup=conv2d_setups(dtype=np.float32))
def test_float32_stays_float32_and_close_to_torch(setup):
    inputs, options = setup
    out, cache = F.conv2d_forward(**inputs, **options)
    assert out.dtype == np.float32
    dx, dweight, dbias = F.conv2d_backward(np.ones_like(out), cache)
    assert dx.dtype == dweight.dtype == np.float32
    tensors = {k: None if v is None else torch.from_numpy(v) for k, v in inputs.items()}
    expected = torch.nn.functional.conv2d(tensors["x"], tensors["weight"], tensors["bias"], **options).numpy()
    scale = np.abs(inputs["x"]).max() * np.abs(inputs["weight"]).sum(axis=(1, 2, 3)).max() + 1
    np.testing.assert_allclose(out, expected, rtol=tolerances.FLOAT32_RTOL, atol=tolerances.FLOAT32_RTOL * scale)


@pytest.mark.parametrize("size, kernel, stride, padding", [(28, 3, 1, 0), (28, 3, 1, 1), (32, 5, 2, 2), (7, 7, 1, 0),
                                                           (8, 2, 2, 0), (9, 4, 3, 1), (1, 3, 1, 1)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding):
    out = torch.nn.functional.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                                     stride=stride, padding=padding)
    assert F.conv_output_size(size, kernel, stride, padding) == out.shape[-1]


def test_the_kernel_is_not_flipped_cross_correlation():
    """A kernel with a single 1 at its top-left copies the pixel at the window's top-left (no flip)."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    weight = np.zeros((1, 1, 2, 2))
    weight[0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(F.conv2d(x, weight)[0, 0], x[0, 0, :3, :3])
    np.testing.assert_array_equal(F.conv2d_naive(x, weight)[0, 0], x[0, 0, :3, :3])


def test_backward_with_overlapping_and_skipped_pixels():
    """Stride 2 with a 3x3 kernel: windows overlap on every other row; with stride 3 and a 2x2 kernel, some pixels
    are never read and must get a zero gradient (compared with torch in float64)."""
    rng = np.random.default_rng(0)
    for stride, k in [(2, 3), (3, 2)]:
        x, w = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((3, 2, k, k))
        out, cache = F.conv2d_forward(x, w, None, stride, 0)
        dout = rng.standard_normal(out.shape)
        dx, dw, db = F.conv2d_backward(dout, cache)
        assert db is None
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        torch.nn.functional.conv2d(xt, wt, stride=stride).backward(torch.from_numpy(dout))
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.all(dx[:, :, 2::3, :] == 0) and np.all(dx[:, :, :, 2::3] == 0)    # stride 3, k 2: never read


@pytest.mark.parametrize("call, match", [
    (lambda: F.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3))), "weight: expected a 4-D array"),
    (lambda: F.conv2d(np.zeros((3, 5, 5)), np.zeros((2, 3, 3, 3))), "x: expected a 4-D array"),
    (lambda: F.conv2d(np.zeros((1, 2, 5, 5)), np.zeros((2, 3, 3, 3))), "x: expected 3 input channels"),
    (lambda: F.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(3)), r"bias: expected shape \(2,\)"),
    (lambda: F.conv2d(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))), "does not fit"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0), "stride: expected values >= 1"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding=-1), "padding: expected values >= 0"),
    (lambda: F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=1.5), "stride: expected an int"),
    (lambda: F.conv2d_naive(np.zeros((1, 1, 5, 5)), np.zeros((1, 2, 3, 3))), "x: expected 2 input channels"),
    (lambda: F.unfold(np.zeros((1, 1, 5)), 3), "x: expected a 4-D array"),
    (lambda: F.conv_output_size(5, 7), "kernel_size: a kernel of 7 does not fit"),
    (lambda: F.conv_output_size(5, 3, stride=0), "stride: expected an integer >= 1"),
    (lambda: F.conv2d_backward(np.zeros((1, 1, 2, 2)), F.conv2d_forward(np.zeros((1, 1, 5, 5)),
                                                                        np.zeros((1, 1, 3, 3)))[1]),
     r"dout: expected shape \(1, 1, 3, 3\)"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3))
def test_conv_output_size_formula_agrees_with_unfold(size, kernel, stride, padding):
    if size + 2 * padding < kernel:
        with pytest.raises(ValueError):
            F.conv_output_size(size, kernel, stride, padding)
        return
    n = F.conv_output_size(size, kernel, stride, padding)
    cols = F.unfold(np.zeros((1, 1, size, 1)), (kernel, 1), (stride, 1), (padding, 0))
    assert cols.shape[-1] == n


@contextlib.contextmanager
def every_image_its_own_thread():
    """Make the fast kernels split even tiny batches over (up to) three threads."""
    before = threads.MIN_WORK_PER_THREAD, threads._num_threads
    threads.MIN_WORK_PER_THREAD, threads._num_threads = 1, 3
    try:
        yield
    finally:
        threads.MIN_WORK_PER_THREAD, threads._num_threads = before


@scaled_settings(30)
@given(setup=conv2d_setups(max_n=5))
def test_batch_split_over_threads_matches_torch_and_finite_differences(setup):
    inputs, options = setup
    with every_image_its_own_thread():
        check_kernel(F.conv2d_forward, F.conv2d_backward, "conv2d", inputs, wrt=_wrt(inputs), options=options,
                     report=False)
        assert len(F.conv2d_forward(**inputs, **options)[1].parts) == min(len(inputs["x"]), 3)


@every_image_its_own_thread()
def test_a_cache_stays_valid_while_later_passes_reuse_scratch_memory():
    """Backward twice on the same cache, and on an older cache after newer forward passes: same gradients."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3, 6, 6)), rng.standard_normal((5, 3, 3, 3)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5, 6, 6))
    out, cache = F.conv2d_forward(x, w, b, 1, 1)
    first = F.conv2d_backward(dout, cache)
    for _ in range(3):                                   # scratch memory freed by these is handed out again
        F.conv2d_backward(dout, F.conv2d_forward(x + 1.0, w, b, 1, 1)[1])
        F.conv2d(x - 1.0, w, b, 1, 1)
    again = F.conv2d_backward(dout, cache)
    for g1, g2 in zip(first, again):
        np.testing.assert_array_equal(g1, g2)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.conv2d(xt, wt, bt, padding=1).backward(torch.from_numpy(dout))
    for ours, theirs in zip(again, (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=tolerances.REFERENCE_RTOL, atol=1e-12)


@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (5, 3), (7, 7), (3, 7)])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (3, 2), (4, 1), (6, 5)])
def test_same_convolutions_take_the_flat_shortcut_correctly(kernel, size):
    """Stride 1 with padding (k - 1) / 2 keeps the image size and takes the flat-shift im2col/col2im, also when
    the kernel is wider than the image (every window wraps)."""
    rng = np.random.default_rng(sum(kernel) * 10 + sum(size))
    padding = ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)
    inputs = {"x": rng.standard_normal((3, 2, *size)), "weight": rng.standard_normal((4, 2, *kernel)),
              "bias": rng.standard_normal(4)}
    out, _ = F.conv2d_forward(**inputs, stride=1, padding=padding)
    assert out.shape[2:] == size
    check_kernel(F.conv2d_forward, F.conv2d_backward, "conv2d", inputs, wrt=WRT,
                 options={"stride": 1, "padding": padding}, report=False)
    with every_image_its_own_thread():
        check_kernel(F.conv2d_forward, F.conv2d_backward, "conv2d", inputs, wrt=WRT,
                     options={"stride": 1, "padding": padding}, report=False)
