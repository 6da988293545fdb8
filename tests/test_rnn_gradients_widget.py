"""Chapter 07's gradient-through-time widget, driven headlessly: its numbers are PyTorch's autograd through
torch.nn.RNN and torch.nn.LSTM, and they show what the chapter says (vanishing, exploding, the forget gate)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.checks import tolerances as tol
from dlcourse.viz.rnn_gradients import BATCH, HIDDEN, INPUTS, GradientFlow, GradientThroughTime, gradient_flow


def torch_flow(scale: float, steps: int, nonlinearity: str, forget_bias: float, seed: int = 0):
    """The same experiment written with torch.nn: the weights drawn exactly as gradient_flow draws them."""
    from dlcourse import init

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, BATCH, INPUTS))
    v = torch.tensor(rng.standard_normal((BATCH, HIDDEN)))
    w_ih = rng.standard_normal((HIDDEN, INPUTS)) / np.sqrt(INPUTS)
    w_hh = init.orthogonal_(np.empty((HIDDEN, HIDDEN)), gain=scale, rng=rng)
    lstm_hh = np.concatenate([init.orthogonal_(np.empty((HIDDEN, HIDDEN)), gain=scale, rng=rng) for _ in range(4)])

    rnn = torch.nn.RNN(INPUTS, HIDDEN, nonlinearity=nonlinearity, bias=False).double()
    lstm = torch.nn.LSTM(INPUTS, HIDDEN).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(w_ih))
        rnn.weight_hh_l0.copy_(torch.tensor(w_hh))
        lstm.weight_ih_l0.copy_(torch.tensor(np.concatenate([w_ih] * 4)))
        lstm.weight_hh_l0.copy_(torch.tensor(lstm_hh))
        lstm.bias_ih_l0.zero_()
        lstm.bias_hh_l0.zero_()
        lstm.bias_ih_l0[HIDDEN : 2 * HIDDEN] = forget_bias
    norms = []
    for net in (rnn, lstm):
        xt = torch.tensor(x, requires_grad=True)
        out, _ = net(xt)
        (out[-1] * v).sum().backward()
        norms.append(xt.grad.norm(dim=2).mean(dim=1).numpy())
    return norms


@pytest.mark.parametrize(
    ("scale", "nonlinearity", "forget_bias"), [(1.0, "tanh", 1.0), (0.5, "relu", 3.0), (2.0, "relu", 0.0)]
)
def test_the_gradients_shown_are_torchs(scale, nonlinearity, forget_bias):
    r = gradient_flow(scale=scale, steps=30, nonlinearity=nonlinearity, forget_bias=forget_bias)
    rnn, lstm = torch_flow(scale, 30, nonlinearity, forget_bias)
    np.testing.assert_allclose(r.rnn, rnn, rtol=tol.REFERENCE_RTOL)
    np.testing.assert_allclose(r.lstm, lstm, rtol=tol.REFERENCE_RTOL)


def test_small_recurrent_weights_make_the_rnns_gradient_vanish_geometrically():
    # each step back multiplies dL/dh by W_hh^T diag(tanh'), whose norm is at most 0.5 · max tanh' = 0.5
    r = gradient_flow(scale=0.5, steps=50)
    assert np.all(np.diff(r.rnn) > 0), "the gradient shrinks at every step away from the loss"
    assert r.rnn_ratio < 0.5**40


def test_large_weights_make_a_relu_rnns_gradient_explode():
    assert gradient_flow(scale=2.0, steps=50, nonlinearity="relu").rnn_ratio > 1e3


def test_a_high_forget_bias_carries_the_lstms_gradient_much_further():
    low, high = gradient_flow(forget_bias=0.0), gradient_flow(forget_bias=3.0)
    assert high.lstm_ratio > 1e6 * low.lstm_ratio
    assert high.lstm_ratio > 1e6 * high.rnn_ratio  # the same weights' scale, the RNN's gradient long gone


def test_widget_builds_redraws_and_summarises():
    w = GradientThroughTime()
    assert isinstance(w.result, GradientFlow) and w.result.rnn.shape == w.result.lstm.shape == (50,)
    assert w.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "RNN" in w.status.value and "LSTM" in w.status.value
    w.controls["steps"].value = 20
    w.controls["nonlinearity"].value = "relu"
    assert w.result.rnn.shape == (20,) and w.result.nonlinearity == "relu"
    assert "image/png" in w._repr_mimebundle_()
    with pytest.raises(ValueError, match="initial: unknown settings"):
        GradientThroughTime(colour="red")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": -1.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"steps": 1}, "steps"),
        ({"nonlinearity": "sigmoid"}, "nonlinearity"),
        ({"forget_bias": float("inf")}, "forget_bias"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=rf"^{message}"):
        gradient_flow(**kwargs)
