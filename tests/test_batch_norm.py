"""Batch normalisation (chapter 10): F.batch_norm's forward/backward pair and nn.BatchNorm1d / BatchNorm2d against
PyTorch in float64, in training mode (batch statistics, running statistics updated in place, unbiased running
variance) and in eval mode (running statistics), outputs and every gradient, finite differences, over drawn shapes;
buffers in state_dict under PyTorch's names; momentum=None as a cumulative average; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

import dlcourse.functional as F
from dlcourse import nn
from dlcourse.checks import check_kernel


@st.composite
def batch_norm_inputs(draw, training=None):
    """(inputs, options): input (N, C, *) with at least 2 values per channel, running stats, optional affine."""
    ndim = draw(st.sampled_from([2, 3, 4]))
    shape = (draw(st.integers(1, 5)), draw(st.integers(1, 4))) + tuple(draw(st.integers(1, 4)) for _ in range(ndim - 2))
    if np.prod(shape) // shape[1] < 2:
        shape = (shape[0] + 1,) + shape[1:]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    C = shape[1]
    affine = draw(st.booleans())
    inputs = {
        "input": rng.standard_normal(shape) * rng.uniform(0.5, 3.0) + rng.uniform(-2, 2),
        "running_mean": rng.standard_normal(C),
        "running_var": rng.uniform(0.5, 2.0, C),
        "weight": rng.standard_normal(C) if affine else None,
        "bias": rng.standard_normal(C) if affine else None,
    }
    training = draw(st.booleans()) if training is None else training
    return inputs, {"training": training, "momentum": draw(st.sampled_from([0.1, 0.5, 1.0])), "eps": 1e-5}


def torch_batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return torch.nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@scaled_settings(50)
@given(setup=batch_norm_inputs())
def test_forward_and_backward_match_torch_and_finite_differences(setup):
    inputs, options = setup
    if options["training"]:  # the checker refuses kernels that change their inputs: the in-place update of the
        inputs = dict(inputs, running_mean=None, running_var=None)  # running statistics is tested below
    wrt = ("input", "weight", "bias") if inputs["weight"] is not None else ("input",)
    check_kernel(
        F.batch_norm_forward,
        F.batch_norm_backward,
        torch_batch_norm,
        inputs,
        wrt=wrt,
        options=options,
        name="batch_norm",
        report=False,
    )


@scaled_settings(40)
@given(setup=batch_norm_inputs(training=True))
def test_training_updates_the_running_statistics_in_place_as_torch_does(setup):
    inputs, options = setup
    ours = {k: inputs[k].copy() for k in ("running_mean", "running_var")}
    theirs = {k: torch.tensor(inputs[k]) for k in ("running_mean", "running_var")}
    out = F.batch_norm(
        inputs["input"], ours["running_mean"], ours["running_var"], inputs["weight"], inputs["bias"], **options
    )
    expected = torch_batch_norm(
        torch.tensor(inputs["input"]),
        theirs["running_mean"],
        theirs["running_var"],
        *(None if inputs[k] is None else torch.tensor(inputs[k]) for k in ("weight", "bias")),
        **options,
    )
    assert_close_to_largest(out, expected.numpy(), "output")
    for k in ours:
        assert_close_to_largest(ours[k], theirs[k].numpy(), k)


@pytest.mark.parametrize(
    ("cls", "shape"), [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 6))]
)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("track", [True, False])
def test_layer_matches_torch_over_training_steps_then_in_eval(cls, shape, momentum, track):
    ours = getattr(nn, cls)(3, momentum=momentum, track_running_stats=track)
    theirs = getattr(torch.nn, cls)(3, momentum=momentum, track_running_stats=track).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    theirs.weight.data = torch.tensor(rng.standard_normal(3))
    theirs.bias.data = torch.tensor(rng.standard_normal(3))
    ours.load_state_dict(theirs.state_dict())
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        x = rng.standard_normal(shape) * 2 + 1
        xt = torch.tensor(x, requires_grad=True)
        out, expected = ours(x), theirs(xt)
        assert_close_to_largest(out, expected.detach().numpy(), f"output, step {step}")
        dout = rng.standard_normal(shape)
        ours.zero_grad()
        theirs.zero_grad()
        dx = ours.backward(dout)
        expected.backward(torch.tensor(dout))
        assert_close_to_largest(dx, xt.grad.numpy(), f"dx, step {step}")
        assert_close_to_largest(ours.grads["weight"], theirs.weight.grad.numpy(), f"dweight, step {step}")
        assert_close_to_largest(ours.grads["bias"], theirs.bias.grad.numpy(), f"dbias, step {step}")
        for name, value in theirs.state_dict().items():
            assert_close_to_largest(ours.state_dict()[name], value.numpy(), f"{name}, step {step}")


def test_an_eval_output_does_not_depend_on_the_rest_of_the_batch():
    layer = nn.BatchNorm2d(2)
    rng = np.random.default_rng(1)
    for _ in range(3):
        layer(rng.standard_normal((4, 2, 3, 3)))
    layer.eval()
    x = rng.standard_normal((5, 2, 3, 3))
    np.testing.assert_array_equal(layer(x)[:1], layer(x[:1]))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.BatchNorm1d(3)(np.zeros((1, 3))), "input: expected more than 1 value per channel when training"),
        (lambda: nn.BatchNorm1d(3)(np.zeros((4, 2))), r"input: expected \(N, C\) or \(N, C, L\) with C = num_features"),
        (lambda: nn.BatchNorm2d(3)(np.zeros((4, 3, 2))), r"input: expected \(N, C, H, W\)"),
        (lambda: nn.BatchNorm2d(0), "num_features: expected a positive integer"),
        (lambda: nn.BatchNorm2d(2, momentum=1.5), "momentum: "),
        (
            lambda: F.batch_norm(np.zeros((2, 3)), None, None),
            r"running_mean: expected an array of shape \(3,\) in evaluation",
        ),
        (
            lambda: F.batch_norm(np.zeros((2, 3)), [0, 0, 0], np.ones(3), training=True),
            "running_mean: expected a float NumPy array",
        ),
        (
            lambda: F.batch_norm(np.zeros((2, 3)), None, None, np.ones(2), training=True),
            r"weight: expected shape \(3,\)",
        ),
        (lambda: F.batch_norm(np.zeros(3), None, None, training=True), "input: expected shape"),
        (
            lambda: F.batch_norm_backward(np.zeros((2, 3)), F.layer_norm_forward(np.zeros((2, 3)), 3)[1]),
            "batch_norm_forward",
        ),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_docstrings_read_as_written():
    """The kernels' docstrings name gamma and beta in TeX, with no control character (a lost backslash in
    ``\\beta`` once became a backspace)."""
    for fn in (F.batch_norm_forward, F.batch_norm_backward, F.batch_norm):
        doc = fn.__doc__ or ""
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in doc), fn.__name__
    assert r":math:`\beta = 0`" in F.batch_norm_forward.__doc__
