"""Transposed convolution and nearest upsampling (chapter 09): the readable kernels of dlcourse.functional, the fast
ones of dlcourse.fast and the layers nn.ConvTranspose2d / nn.Upsample, against PyTorch in float64 (outputs and every
gradient), centred finite differences, and each other, over hypothesis-drawn shapes, strides, paddings and output
paddings (ints and pairs, batches split over threads). Also: the transposed convolution is the input gradient of
a convolution, and its input gradient is a convolution.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest as assert_same_math
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings
from thread_helpers import every_item_its_own_thread

import dlcourse.functional as F
from dlcourse import nn
from dlcourse.checks import check_kernel
from dlcourse.fast import conv_transpose as fast_ct
from dlcourse.functional import conv_transpose as ct
from dlcourse.functional import upsampling

WRT = ("x", "weight", "bias")
PAIRS = {
    "teaching": (ct.conv_transpose2d_forward, ct.conv_transpose2d_backward, ct.conv_transpose2d),
    "fast": (fast_ct.conv_transpose2d_forward, fast_ct.conv_transpose2d_backward, fast_ct.conv_transpose2d),
}


def torch_conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0):
    return torch.nn.functional.conv_transpose2d(
        x, weight, bias, stride=stride, padding=padding, output_padding=output_padding
    )


def torch_upsample(x, scale_factor=2):
    factor = tuple(scale_factor) if isinstance(scale_factor, tuple) else (scale_factor, scale_factor)
    return torch.nn.functional.interpolate(x, scale_factor=tuple(float(f) for f in factor), mode="nearest")


def _int_or_pair(draw, lo, hi):
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def _pair(value):
    return tuple(value) if isinstance(value, tuple) else (value, value)


@st.composite
def conv_transpose_setups(draw, max_n=3, max_side=5, bias=None):
    """(inputs, options) for conv_transpose2d: x (N, C_in, H, W), weight (C_in, C_out, kh, kw), bias or None;
    stride, padding and output_padding (< stride) drawn so that the output has at least one pixel per axis."""
    n, c_in, c_out = draw(st.integers(1, max_n)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = _pair(_int_or_pair(draw, 1, 4))
    stride = _int_or_pair(draw, 1, 3)
    (sh, sw) = _pair(stride)
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    ah, aw = draw(st.integers(0, sh - 1)), draw(st.integers(0, sw - 1))
    # the output (H - 1)s - 2p + k + a must be >= 1
    ph = draw(st.integers(0, max(0, ((h - 1) * sh + kh + ah - 1) // 2)))
    pw = draw(st.integers(0, max(0, ((w - 1) * sw + kw + aw - 1) // 2)))
    with_bias = draw(st.booleans()) if bias is None else bias
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inputs = {
        "x": rng.standard_normal((n, c_in, h, w)),
        "weight": rng.standard_normal((c_in, c_out, kh, kw)),
        "bias": rng.standard_normal(c_out) if with_bias else None,
    }
    pad = (ph, pw) if draw(st.booleans()) or ph != pw else ph
    return inputs, {"stride": stride, "padding": pad, "output_padding": (ah, aw)}


@pytest.mark.parametrize("kind", sorted(PAIRS))
@scaled_settings(40)
@given(setup=conv_transpose_setups())
def test_forward_and_backward_match_torch_and_finite_differences(kind, setup):
    inputs, options = setup
    forward, backward, output_only = PAIRS[kind]
    wrt = WRT if inputs["bias"] is not None else WRT[:2]
    with every_item_its_own_thread():
        check_kernel(
            forward,
            backward,
            torch_conv_transpose2d,
            inputs,
            wrt=wrt,
            options=options,
            name="conv_transpose2d",
            report=False,
        )
    out = output_only(**inputs, **options)
    expected = torch_conv_transpose2d(
        *(None if v is None else torch.from_numpy(v) for v in inputs.values()), **options
    ).numpy()
    assert out.shape == expected.shape
    assert_same_math(out, expected, "output only")


@scaled_settings(40)
@given(setup=conv_transpose_setups(max_n=5), seed=st.integers(0, 2**32 - 1))
def test_fast_equals_teaching_outputs_and_every_gradient(setup, seed):
    inputs, options = setup
    out, cache = ct.conv_transpose2d_forward(**inputs, **options)
    with every_item_its_own_thread():
        fast_out, fast_cache = fast_ct.conv_transpose2d_forward(**inputs, **options)
        dout = np.random.default_rng(seed).standard_normal(out.shape)
        fast_grads = fast_ct.conv_transpose2d_backward(dout, fast_cache)
    assert fast_out.shape == out.shape and fast_out.dtype == out.dtype
    assert_same_math(fast_out, out, "output")
    for name, g, fast_g in zip(("dx", "dweight", "dbias"), ct.conv_transpose2d_backward(dout, cache), fast_grads):
        if g is None:
            assert fast_g is None and inputs["bias"] is None, name
            continue
        assert fast_g.shape == g.shape and fast_g.dtype == g.dtype, name
        assert_same_math(fast_g, g, name)


@scaled_settings(30)
@given(setup=conv_transpose_setups(bias=False), seed=st.integers(0, 2**32 - 1))
def test_it_is_the_input_gradient_of_a_convolution_and_its_input_gradient_a_convolution(setup, seed):
    """conv2d with the same weight (as (F=C_in, C=C_out, kh, kw)), stride and padding maps the transposed
    convolution's output size back to H: conv2d_backward's dx of dout = x is conv_transpose2d(x), and
    conv_transpose2d_backward's dx of any dout is conv2d(dout)."""
    inputs, options = setup
    x, weight = inputs["x"], inputs["weight"]
    stride, padding = options["stride"], options["padding"]
    out, cache = ct.conv_transpose2d_forward(x, weight, **options)
    y = np.random.default_rng(seed).standard_normal(out.shape)  # any image of the output's size
    conv_out, conv_cache = F.conv2d_forward(y, weight, None, stride, padding)
    assert conv_out.shape == x.shape
    assert_same_math(F.conv2d_backward(x, conv_cache)[0], out, "conv2d's input gradient")
    assert_same_math(ct.conv_transpose2d_backward(y, cache)[0], conv_out, "conv_transpose2d's input gradient")


@scaled_settings(20)
@given(setup=conv_transpose_setups())
def test_float32_stays_float32(setup):
    inputs, options = setup
    inputs32 = {k: None if v is None else v.astype(np.float32) for k, v in inputs.items()}
    for forward, backward, _ in PAIRS.values():
        out, cache = forward(**inputs32, **options)
        grads = backward(np.ones_like(out), cache)
        assert out.dtype == np.float32
        assert all(g.dtype == np.float32 for g in grads if g is not None)


def test_layer_matches_torch_init_state_dict_forward_and_backward():
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, rng=0)
    reference = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1).double()
    assert {k: v.shape for k, v in layer.state_dict().items()} == {
        k: tuple(v.shape) for k, v in reference.state_dict().items()
    }
    bound = 1 / np.sqrt(2 * 3 * 3)  # fan_in from the weight's second axis, as torch computes it
    assert np.abs(layer.params["weight"]).max() <= bound and np.abs(layer.params["weight"]).max() > 0.8 * bound
    torch_bound = max(float(reference.weight.detach().abs().max()), float(reference.bias.detach().abs().max()))
    assert torch_bound <= bound
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 3, 5, 6))
    out = layer(x)
    xt = torch.tensor(x, requires_grad=True)
    expected = reference(xt)
    assert out.shape == (4, 2, 10, 12) == tuple(expected.shape)
    assert_same_math(out, expected.detach().numpy(), "output")
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx = layer.backward(dout)
    expected.backward(torch.from_numpy(dout))
    assert_same_math(dx, xt.grad.numpy(), "dx")
    assert_same_math(layer.grads["weight"], reference.weight.grad.numpy(), "dweight")
    assert_same_math(layer.grads["bias"], reference.bias.grad.numpy(), "dbias")


def test_nn_conv_transpose2d_runs_the_fast_pair(monkeypatch):
    calls = []
    for name in ("conv_transpose2d_forward", "conv_transpose2d_backward"):
        real = getattr(fast_ct, name)
        monkeypatch.setattr(fast_ct, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    layer = nn.ConvTranspose2d(2, 3, 2, stride=2, rng=0)
    layer.backward(np.ones_like(layer(np.zeros((1, 2, 4, 4)))))
    assert calls == ["conv_transpose2d_forward", "conv_transpose2d_backward"]


@st.composite
def upsample_setups(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(4))
    factor = _int_or_pair(draw, 1, 3)
    return {"x": rng.standard_normal(shape)}, {"scale_factor": factor}


@scaled_settings(40)
@given(setup=upsample_setups())
def test_upsample_matches_torch_and_finite_differences(setup):
    inputs, options = setup
    check_kernel(
        upsampling.upsample_nearest2d_forward,
        upsampling.upsample_nearest2d_backward,
        torch_upsample,
        inputs,
        wrt=("x",),
        options=options,
        name="upsample_nearest2d",
        report=False,
    )
    layer = nn.Upsample(**options)
    out = layer(inputs["x"])
    assert_same_math(out, upsampling.upsample_nearest2d(**inputs, **options), "layer")
    assert layer.backward(np.ones_like(out)).shape == inputs["x"].shape


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ct.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((3, 1, 2, 2))), "x: expected 3 input channels"),
        (lambda: ct.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((2, 1, 2, 2)), np.zeros(2)), "bias: expected"),
        (
            lambda: ct.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((2, 1, 2, 2)), stride=2, output_padding=2),
            "output_padding: expected values smaller than stride",
        ),
        (lambda: ct.conv_transpose2d(np.zeros((1, 2, 1, 1)), np.zeros((2, 1, 1, 1)), padding=1), "padding: "),
        (lambda: ct.conv_transpose2d(np.zeros((2, 3, 3)), np.zeros((2, 1, 2, 2))), "x: expected"),
        (lambda: nn.ConvTranspose2d(2, 3, 3, stride=1, output_padding=1), "output_padding: expected values smaller"),
        (lambda: nn.ConvTranspose2d(0, 3, 3), "in_channels: expected a positive integer"),
        (lambda: nn.Upsample(scale_factor=0), "scale_factor: expected values >= 1"),
        (lambda: nn.Upsample(scale_factor=1.5), "scale_factor: expected an int or a pair of ints"),
        (lambda: nn.Upsample(mode="bilinear"), "mode: "),
        (lambda: upsampling.upsample_nearest2d(np.zeros((2, 3))), "x: expected"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backward_refuses_a_cache_of_another_kernel():
    _, cache = F.conv2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="conv_transpose2d_forward"):
        ct.conv_transpose2d_backward(np.zeros((1, 1, 2, 2)), cache)
    with pytest.raises(ValueError, match="upsample_nearest2d_forward"):
        upsampling.upsample_nearest2d_backward(np.zeros((1, 1, 2, 2)), cache)
