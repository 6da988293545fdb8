"""Convolution: the readable kernels of dlcourse.functional and the fast ones of dlcourse.fast, against PyTorch
(float64, outputs and every gradient), finite differences, and each other.

fast == teaching == torch: both forward/backward pairs go through the package's own checker (PyTorch and centred
finite differences), and the fast pair's outputs and gradients equal the readable pair's for the same upstream
gradient, over hypothesis-drawn batch sizes, channels, kernel sizes, strides and paddings (ints and pairs, odd
sizes). ``unfold`` equals ``torch.nn.functional.unfold`` and ``fold`` equals ``torch.nn.functional.fold``.
tests/test_fast_conv.py tests what only the fast pair does (threads, scratch memory, the same-convolution shortcut).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import conv2d_setups, scaled_settings

import dlcourse.functional as F
from dlcourse.checks import check_function, check_kernel, tolerances
from dlcourse.fast import conv as fast_conv
from dlcourse.functional import sizes

WRT = ("x", "weight", "bias")
PAIRS = {
    "teaching": (F.conv2d_forward, F.conv2d_backward, F.conv2d),
    "fast": (fast_conv.conv2d_forward, fast_conv.conv2d_backward, fast_conv.conv2d),
}


def _wrt(inputs):
    return WRT if inputs["bias"] is not None else WRT[:2]


def assert_same_math(got, expected, what):
    """The same float64 math written two ways: equal up to round-off, relative to the values' magnitude (a sum of
    a few hundred products of numbers of order 1 carries ~1e-14 of absolute error, a wrong formula order 1)."""
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(
        got, expected, rtol=tolerances.REFERENCE_RTOL, atol=tolerances.REFERENCE_RTOL * scale, err_msg=what
    )


@pytest.mark.parametrize("kind", sorted(PAIRS))
@scaled_settings(40)
@given(setup=conv2d_setups())
def test_conv2d_forward_and_backward_match_torch_and_finite_differences(kind, setup):
    inputs, options = setup
    forward, backward, output_only = PAIRS[kind]
    check_kernel(forward, backward, "conv2d", inputs, wrt=_wrt(inputs), options=options, report=False)
    check_function(output_only, "conv2d", inputs, options=options, report=False)


@scaled_settings(40)
@given(setup=conv2d_setups(max_n=3, max_side=9), seed=st.integers(0, 2**32 - 1))
def test_fast_equals_teaching_outputs_and_every_gradient(setup, seed):
    inputs, options = setup
    out, cache = F.conv2d_forward(**inputs, **options)
    fast_out, fast_cache = fast_conv.conv2d_forward(**inputs, **options)
    assert fast_out.shape == out.shape and fast_out.dtype == out.dtype
    assert_same_math(fast_out, out, "output")
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    for name, g, fast_g in zip(
        ("dx", "dweight", "dbias"), F.conv2d_backward(dout, cache), fast_conv.conv2d_backward(dout, fast_cache)
    ):
        if g is None:
            assert fast_g is None and inputs["bias"] is None, name
            continue
        assert fast_g.shape == g.shape and fast_g.dtype == g.dtype, name
        assert_same_math(fast_g, g, name)


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
    cols = F.unfold(x, kernel, **options)  # (N, C*kh*kw, L)
    out = weight.reshape(len(weight), -1) @ cols  # (N, F, L)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight), **options).numpy()
    assert_same_math(out.reshape(expected.shape), expected, "unfold conv")


def _torch_fold(cols, output_size, kernel_size, stride=1, padding=0):
    return torch.nn.functional.fold(cols, output_size, kernel_size, padding=padding, stride=stride)


@scaled_settings(30)
@given(setup=conv2d_setups(bias=False), seed=st.integers(0, 2**32 - 1))
def test_fold_matches_torch_and_is_the_adjoint_of_unfold(setup, seed):
    """fold(cols) equals torch's fold for random columns, and <unfold(x), c> = <x, fold(c)>."""
    inputs, options = setup
    x, kernel = inputs["x"], inputs["weight"].shape[2:]
    cols_shape = F.unfold(x, kernel, **options).shape
    cols = np.random.default_rng(seed).standard_normal(cols_shape)
    fold_options = {"output_size": x.shape[2:], "kernel_size": kernel, **options}
    check_function(F.fold, _torch_fold, {"cols": cols}, options=fold_options, name="fold", report=False)
    folded = F.fold(cols, **fold_options)
    assert folded.shape == x.shape
    assert_same_math(np.vdot(F.unfold(x, kernel, **options), cols), np.vdot(x, folded), "adjoint")


def test_fold_of_unfold_counts_the_windows_over_each_pixel():
    """A 3x3 kernel with stride 1 and padding 1 on a 4x4 image: corners are in 4 windows, edges 6, the middle 9."""
    counts = F.fold(F.unfold(np.ones((1, 1, 4, 4)), 3, padding=1), (4, 4), 3, padding=1)[0, 0]
    np.testing.assert_array_equal(counts, [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])


@pytest.mark.parametrize("kind", sorted(PAIRS))
@scaled_settings(20)
@given(setup=conv2d_setups(dtype=np.float32))
def test_float32_stays_float32_and_close_to_torch(kind, setup):
    inputs, options = setup
    forward, backward, _ = PAIRS[kind]
    out, cache = forward(**inputs, **options)
    assert out.dtype == np.float32
    dx, dweight, dbias = backward(np.ones_like(out), cache)
    assert dx.dtype == dweight.dtype == np.float32
    tensors = {k: None if v is None else torch.from_numpy(v) for k, v in inputs.items()}
    expected = torch.nn.functional.conv2d(tensors["x"], tensors["weight"], tensors["bias"], **options).numpy()
    scale = np.abs(inputs["x"]).max() * np.abs(inputs["weight"]).sum(axis=(1, 2, 3)).max() + 1
    np.testing.assert_allclose(out, expected, rtol=tolerances.FLOAT32_RTOL, atol=tolerances.FLOAT32_RTOL * scale)


@pytest.mark.parametrize(
    "size, kernel, stride, padding",
    [(28, 3, 1, 0), (28, 3, 1, 1), (32, 5, 2, 2), (7, 7, 1, 0), (8, 2, 2, 0), (9, 4, 3, 1), (1, 3, 1, 1)],
)
def test_conv_output_size_matches_torch(size, kernel, stride, padding):
    out = torch.nn.functional.conv2d(
        torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel), stride=stride, padding=padding
    )
    assert F.conv_output_size(size, kernel, stride, padding) == out.shape[-1]
    assert F.conv_output_size is sizes.conv_output_size


@pytest.mark.parametrize("value, expected", [(3, (3, 3)), ((2, 5), (2, 5)), ([1, 4], (1, 4)), (np.int64(2), (2, 2))])
def test_pair_reads_an_int_or_a_pair_as_pytorch_does(value, expected):
    assert sizes.pair(value, "stride", minimum=1) == expected


@pytest.mark.parametrize(
    "value, match",
    [
        (1.5, "an int or a pair"),
        (True, "an int or a pair"),
        ((1, 2, 3), "a pair"),
        ("2", "an int or a pair"),
        (0, "values >= 1"),
        ((1, -1), "values >= 1"),
    ],
)
def test_pair_names_the_argument(value, match):
    with pytest.raises(ValueError, match="kernel_size: expected .*" + match):
        sizes.pair(value, "kernel_size", minimum=1)


def test_the_kernel_is_not_flipped_cross_correlation():
    """A kernel with a single 1 at its top-left copies the pixel at the window's top-left (no flip)."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    weight = np.zeros((1, 1, 2, 2))
    weight[0, 0, 0, 0] = 1.0
    for conv in (F.conv2d, F.conv2d_naive, fast_conv.conv2d):
        np.testing.assert_array_equal(conv(x, weight)[0, 0], x[0, 0, :3, :3])


@pytest.mark.parametrize("kind", sorted(PAIRS))
def test_backward_with_overlapping_and_skipped_pixels(kind):
    """Stride 2 with a 3x3 kernel: windows overlap on every other row; with stride 3 and a 2x2 kernel, some pixels
    are never read and must get a zero gradient (compared with torch in float64)."""
    forward, backward, _ = PAIRS[kind]
    rng = np.random.default_rng(0)
    for stride, k in [(2, 3), (3, 2)]:
        x, w = rng.standard_normal((2, 2, 7, 7)), rng.standard_normal((3, 2, k, k))
        out, cache = forward(x, w, None, stride, 0)
        dout = rng.standard_normal(out.shape)
        dx, dw, db = backward(dout, cache)
        assert db is None
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        torch.nn.functional.conv2d(xt, wt, stride=stride).backward(torch.from_numpy(dout))
        assert_same_math(dx, xt.grad.numpy(), "dx")
        assert_same_math(dw, wt.grad.numpy(), "dweight")
    assert np.all(dx[:, :, 2::3, :] == 0) and np.all(dx[:, :, :, 2::3] == 0)  # stride 3, k 2: never read


@pytest.mark.parametrize("conv", [F.conv2d, fast_conv.conv2d], ids=["teaching", "fast"])
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda conv: conv(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3))), "weight: expected a 4-D array"),
        (lambda conv: conv(np.zeros((3, 5, 5)), np.zeros((2, 3, 3, 3))), "x: expected a 4-D array"),
        (lambda conv: conv(np.zeros((1, 2, 5, 5)), np.zeros((2, 3, 3, 3))), "x: expected 3 input channels"),
        (
            lambda conv: conv(np.zeros((1, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.zeros(3)),
            r"bias: expected shape \(2,\)",
        ),
        (lambda conv: conv(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3))), "does not fit"),
        (lambda conv: conv(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0), "stride: expected values >= 1"),
        (
            lambda conv: conv(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding=-1),
            "padding: expected values >= 0",
        ),
        (lambda conv: conv(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=1.5), "stride: expected an int"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(conv, call, match):
    with pytest.raises(ValueError, match=match):
        call(conv)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: F.conv2d_naive(np.zeros((1, 1, 5, 5)), np.zeros((1, 2, 3, 3))), "x: expected 2 input channels"),
        (lambda: F.unfold(np.zeros((1, 1, 5)), 3), "x: expected a 4-D array"),
        (lambda: F.unfold(np.zeros((1, 1, 5, 5)), 7), "kernel_size: a kernel of 7 does not fit"),
        (lambda: F.fold(np.zeros((1, 9, 9)), 5, 3, padding=-1), "padding: expected values >= 0"),
        (lambda: F.fold(np.zeros((1, 5, 9)), 5, 3), r"cols: expected shape \(N, C\*3\*3, 9\)"),
        (lambda: F.fold(np.zeros((1, 9, 8)), 5, 3), r"cols: expected shape \(N, C\*3\*3, 9\)"),
        (lambda: F.fold(np.zeros((1, 0, 9)), 5, 3), "cols: expected shape"),
        (lambda: F.fold(np.zeros((9, 9)), 5, 3), "cols: expected a 3-D array"),
        (lambda: F.fold(np.zeros((1, 9, 9)), (5, 0), 3), "output_size: expected values >= 1"),
        (lambda: F.conv_output_size(5, 7), "kernel_size: a kernel of 7 does not fit"),
        (lambda: F.conv_output_size(5, 3, stride=0), "stride: expected an integer >= 1"),
        (
            lambda: F.conv2d_backward(
                np.zeros((1, 1, 2, 2)), F.conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)))[1]
            ),
            r"dout: expected shape \(1, 1, 3, 3\)",
        ),
        (
            lambda: fast_conv.conv2d_backward(
                np.zeros((1, 1, 2, 2)), fast_conv.conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)))[1]
            ),
            r"dout: expected shape \(1, 1, 3, 3\)",
        ),
    ],
)
def test_bad_arguments_of_the_other_kernels_raise_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "forward, backward", [(F.conv2d_forward, fast_conv.conv2d_backward), (fast_conv.conv2d_forward, F.conv2d_backward)]
)
def test_each_backward_takes_only_its_own_forwards_cache(forward, backward):
    x, w = np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3))
    out, cache = forward(x, w)
    with pytest.raises(ValueError, match="cache: expected the cache returned by"):
        backward(np.zeros(out.shape), cache)


@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3))
def test_conv_output_size_formula_agrees_with_unfold(size, kernel, stride, padding):
    if size + 2 * padding < kernel:
        with pytest.raises(ValueError):
            F.conv_output_size(size, kernel, stride, padding)
        return
    n = F.conv_output_size(size, kernel, stride, padding)
    cols = F.unfold(np.zeros((1, 1, size, 1)), (kernel, 1), (stride, 1), (padding, 0))
    assert cols.shape[-1] == n
