"""The fast LSTM layer (dlcourse.fast.recurrent, the one nn.LSTM runs) equals the readable kernels of
dlcourse.functional.recurrent: outputs, final states and every gradient, in float64 (to round-off) and in float32
(to float32's round-off against the float64 result), with and without biases, variable lengths and truncated BPTT,
over hypothesis-drawn sizes; and, through them, PyTorch (tests/test_recurrent.py holds the readable kernels equal
to PyTorch and to finite differences)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds
from test_recurrent import (
    assert_same_math,
    backward,
    forward,
    sequence_setups,
    torch_sequence,
    upstream,
    wrt_names,
)

import dlcourse.functional.recurrent as R
from dlcourse.checks import tolerances
from dlcourse.fast import recurrent as fast_recurrent
from dlcourse.nn.rnn import LSTM


@scaled_settings(40)
@given(setup=sequence_setups(kinds=("lstm",), max_t=7, max_size=5), seed=seeds, data=st.data())
def test_fast_equals_teaching_in_float64(setup, seed, data):
    _, inputs, lengths = setup
    T = inputs["x"].shape[0]
    truncation = data.draw(st.none() | st.integers(1, T + 1))
    grads = upstream("lstm", inputs, seed)
    if data.draw(st.booleans()):  # gradients from the output alone, or from the final states alone
        grads[data.draw(st.sampled_from(["dout", "dh_n", "dc_n"]))] = None
    out, finals, cache = forward("lstm", inputs, lengths)
    fast_out, fast_finals, fast_cache = forward("lstm", inputs, lengths, module=fast_recurrent)
    for got, expected, what in zip([fast_out, *fast_finals], [out, *finals], ["out", "h_n", "c_n"]):
        assert_same_math(got, expected, what)
    expected = backward("lstm", grads, cache, truncation)
    got = backward("lstm", grads, fast_cache, truncation, module=fast_recurrent)
    for name in wrt_names("lstm"):
        if inputs[name] is None:
            assert got[name] is None and expected[name] is None, name
        else:
            assert_same_math(got[name], expected[name], "d" + name)


@scaled_settings(30)
@given(setup=sequence_setups(kinds=("lstm",), max_t=7, max_size=5), seed=seeds)
def test_fast_float32_stays_float32_and_close_to_float64(setup, seed):
    """float32 in, float32 out, within FLOAT32_RTOL of the float64 computation on the same (float32) numbers.

    Inputs and weights are of order 1 and every output or gradient entry is a sum of at most T*N*(I + H + 2) < 400
    products of such numbers, so float32's round-off (6e-8 per operation) stays far below FLOAT32_RTOL times the
    largest magnitude of the array compared."""
    _, inputs, lengths = setup
    inputs32 = {k: None if v is None else v.astype(np.float32) for k, v in inputs.items()}
    inputs64 = {k: None if v is None else v.astype(np.float64) for k, v in inputs32.items()}
    grads = upstream("lstm", inputs, seed)
    out, finals, cache = forward("lstm", inputs32, lengths, module=fast_recurrent)
    out64, finals64, cache64 = forward("lstm", inputs64, lengths)
    got = backward("lstm", {k: v.astype(np.float32) for k, v in grads.items()}, cache, module=fast_recurrent)
    expected = backward("lstm", grads, cache64)
    pairs = list(zip([out, *finals], [out64, *finals64], ["out", "h_n", "c_n"]))
    pairs += [(got[n], expected[n], "d" + n) for n in wrt_names("lstm") if inputs[n] is not None]
    for value, reference, what in pairs:
        assert value.dtype == np.float32, what
        scale = max(1.0, float(np.abs(reference).max()))
        np.testing.assert_allclose(
            value, reference, rtol=tolerances.FLOAT32_RTOL, atol=tolerances.FLOAT32_RTOL * scale, err_msg=what
        )


@scaled_settings(15)
@given(setup=sequence_setups(kinds=("lstm",)), seed=seeds)
def test_fast_matches_torch(setup, seed):
    _, inputs, lengths = setup
    grads = upstream("lstm", inputs, seed)
    out, finals, cache = forward("lstm", inputs, lengths, module=fast_recurrent)
    expected, expected_grads = torch_sequence("lstm", inputs, lengths, grads)
    for got, exp, what in zip([out, *finals], expected, ["out", "h_n", "c_n"]):
        assert_same_math(got, exp, what)
    got = backward("lstm", grads, cache, module=fast_recurrent)
    for name in wrt_names("lstm"):
        if inputs[name] is not None:
            assert_same_math(got[name], expected_grads[name], "d" + name)


def test_a_cache_can_be_used_twice_and_after_other_passes():
    rng = np.random.default_rng(0)
    x, w_ih, w_hh = rng.standard_normal((5, 3, 2)), rng.standard_normal((16, 2)), rng.standard_normal((16, 4))
    dout = rng.standard_normal((5, 3, 4))
    _, cache = fast_recurrent.lstm_forward(x, None, None, w_ih, w_hh)
    first = fast_recurrent.lstm_backward(dout, None, None, cache)
    fast_recurrent.lstm_backward(dout, None, None, fast_recurrent.lstm_forward(x + 1, None, None, w_ih, w_hh)[1])
    again = fast_recurrent.lstm_backward(dout, None, None, cache)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert first[5] is None and first[6] is None  # no biases


def test_nn_lstm_runs_the_fast_pair(monkeypatch):
    calls = []
    for name in ("lstm_forward", "lstm_backward"):
        real = getattr(fast_recurrent, name)
        monkeypatch.setattr(
            fast_recurrent, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )
    layer = LSTM(3, 4, num_layers=2, rng=0)
    out, _ = layer(np.zeros((5, 2, 3)))
    layer.backward(np.ones_like(out))
    assert calls == ["lstm_forward", "lstm_forward", "lstm_backward", "lstm_backward"]


def test_the_teaching_kernel_rejects_the_fast_cache_and_back():
    x, w_ih, w_hh = np.zeros((2, 1, 3)), np.zeros((8, 3)), np.zeros((8, 2))
    _, fast_cache = fast_recurrent.lstm_forward(x, None, None, w_ih, w_hh)
    _, cache = R.lstm_forward(x, None, None, w_ih, w_hh)
    for backward_, wrong in ((R.lstm_backward, fast_cache), (fast_recurrent.lstm_backward, cache)):
        try:
            backward_(None, np.zeros((1, 2)), None, wrong)
        except ValueError as exc:
            assert "cache: expected the cache returned by" in str(exc)
        else:
            raise AssertionError("a cache from the other kernel was accepted")


def test_torch_is_the_reference_in_float32_too():
    """The bench's setting (float32, torch's init) on a small layer: ours and PyTorch's agree to float32 round-off."""
    torch.manual_seed(0)
    layer = torch.nn.LSTM(6, 8)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 4, 6)).astype(np.float32)
    weights = [p.detach().numpy() for p in layer.parameters()]
    (out, (h_n, c_n)), _ = fast_recurrent.lstm_forward(x, None, None, *weights)
    expected, (eh, ec) = layer(torch.from_numpy(x))
    for got, exp in ((out, expected), (h_n, eh[0]), (c_n, ec[0])):
        np.testing.assert_allclose(
            got, exp.detach().numpy(), rtol=tolerances.FLOAT32_RTOL, atol=tolerances.FLOAT32_RTOL
        )


def test_the_bench_times_the_kernels_nn_lstm_runs(monkeypatch):
    """dlcourse bench's 'lstm' case calls the same kernels as a one-layer nn.LSTM, once each."""
    from dlcourse.tools import bench

    calls = []
    for name in ("lstm_forward", "lstm_backward"):
        real = getattr(fast_recurrent, name)
        monkeypatch.setattr(
            fast_recurrent, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
        )
    layer = LSTM(3, 4, rng=0, dtype=np.float32)
    out, _ = layer(np.zeros((5, 2, 3), np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    by_layer = list(calls)
    calls.clear()
    ours, _ = bench.CASES["lstm"][1](np.random.default_rng(0), torch)
    ours()
    assert by_layer == calls == ["lstm_forward", "lstm_backward"]


def test_changing_the_outputs_in_place_leaves_the_gradients_alone():
    rng = np.random.default_rng(2)
    x, w_ih, w_hh = rng.standard_normal((4, 2, 3)), rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    dout = rng.standard_normal((4, 2, 2))
    (out, (h_n, c_n)), cache = fast_recurrent.lstm_forward(x, None, None, w_ih, w_hh)
    expected = fast_recurrent.lstm_backward(dout, None, None, cache)
    out += 1.0
    h_n += 1.0
    c_n += 1.0
    for a, b in zip(fast_recurrent.lstm_backward(dout, None, None, cache), expected):
        np.testing.assert_array_equal(a, b)
