"""Recurrent kernels (dlcourse.functional.recurrent): RNN (tanh, ReLU), LSTM and GRU cells and one-layer sequences,
against PyTorch in float64 (outputs and every gradient: inputs, initial states, weights, biases) and against centred
finite differences of the forward pass, over hypothesis-drawn sizes (T <= 5, N <= 3, input and hidden sizes <= 4),
with and without biases, with and without variable lengths (PyTorch: pack_padded_sequence); truncated BPTT against
PyTorch fed the sequence in chunks with the state detached between them.

The finite differences' round-off is bounded by the terms the forward pass adds up (see
dlcourse/checks/tolerances.py): :func:`roundoff_scale` sums, over every operation of the forward pass, the size of
the terms it combines (a sum of K products counts K times its terms' absolute sum) times the absolute value of the
loss's derivative with respect to its result, which a float64 PyTorch copy of the forward pass gives; the rounding
of each operation moves the loss by at most about eps times that, so the numerical gradient by at most
eps * S / FD_STEP, and the comparison's floor is FD_ROUNDOFF * S / FD_RTOL.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import KINK, scaled_settings, seeds

import dlcourse.functional.recurrent as R
from dlcourse.checks import tolerances
from dlcourse.checks.compare import rel_error
from dlcourse.checks.gradcheck import numerical_gradient

KINDS = ("rnn_tanh", "rnn_relu", "lstm", "gru")
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}
PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def state_names(kind: str) -> list[str]:
    return ["h0", "c0"] if kind == "lstm" else ["h0"]


def wrt_names(kind: str) -> list[str]:
    return ["x", *state_names(kind), *PARAMS]


# ------------------------------------------------------------------------------------------------- drawing
@st.composite
def sequence_setups(draw, kinds=KINDS, max_t: int = 5, max_n: int = 3, max_size: int = 4, lengths=None):
    """(kind, inputs, lengths): inputs {'x': (T, N, I), 'h0' (and 'c0'): (N, H), 'weight_ih': (G*H, I),
    'weight_hh': (G*H, H), 'bias_ih', 'bias_hh': (G*H,) or None}, lengths (N,) in [1, T] or None."""
    kind = draw(st.sampled_from(kinds))
    T, N = draw(st.integers(1, max_t)), draw(st.integers(1, max_n))
    I, H = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))  # noqa: E741
    G = GATES[kind]
    bias = draw(st.booleans())
    rng = np.random.default_rng(draw(seeds))
    inputs = {"x": rng.uniform(-2, 2, (T, N, I))}
    for name in state_names(kind):
        inputs[name] = rng.uniform(-1, 1, (N, H))
    inputs["weight_ih"] = rng.uniform(-1, 1, (G * H, I))
    inputs["weight_hh"] = rng.uniform(-1, 1, (G * H, H))
    inputs["bias_ih"] = rng.uniform(-1, 1, G * H) if bias else None
    inputs["bias_hh"] = rng.uniform(-1, 1, G * H) if bias else None
    with_lengths = draw(st.booleans()) if lengths is None else lengths
    return kind, inputs, (rng.integers(1, T + 1, N) if with_lengths else None)


def upstream(kind: str, inputs: dict, seed: int) -> dict:
    """Random gradients of every result: dout (T, N, H), dh_n (and dc_n) (N, H)."""
    rng = np.random.default_rng(seed)
    T, N, _ = inputs["x"].shape
    H = inputs["weight_hh"].shape[1]
    grads = {"dout": rng.standard_normal((T, N, H)), "dh_n": rng.standard_normal((N, H))}
    if kind == "lstm":
        grads["dc_n"] = rng.standard_normal((N, H))
    return grads


# ------------------------------------------------------------------------------------------ dlcourse side
def forward(kind: str, inputs: dict, lengths=None, module=R):
    """(out, [h_n, (c_n)], cache) from the sequence kernel of ``module``."""
    args = [inputs[n] for n in ["x", *state_names(kind), *PARAMS]]
    if kind == "lstm":
        (out, (h_n, c_n)), cache = module.lstm_forward(*args, lengths=lengths)
        return out, [h_n, c_n], cache
    if kind == "gru":
        (out, h_n), cache = module.gru_forward(*args, lengths=lengths)
    else:
        (out, h_n), cache = module.rnn_forward(*args, nonlinearity=kind[4:], lengths=lengths)
    return out, [h_n], cache


def backward(kind: str, grads: dict, cache, truncation=None, module=R) -> dict:
    """Every gradient by name ('x', 'h0', ('c0'), 'weight_ih', ...) from the sequence kernel's backward."""
    if kind == "lstm":
        result = module.lstm_backward(grads["dout"], grads["dh_n"], grads["dc_n"], cache, truncation)
    else:
        backward_ = module.gru_backward if kind == "gru" else module.rnn_backward
        result = backward_(grads["dout"], grads["dh_n"], cache, truncation)
    return dict(zip(wrt_names(kind), result))


# -------------------------------------------------------------------------------------------- PyTorch side
def torch_layer(kind: str, inputs: dict):
    """torch.nn.RNN / LSTM / GRU (one layer, float64) holding ``inputs``' weights."""
    I, H = inputs["weight_ih"].shape[1], inputs["weight_hh"].shape[1]  # noqa: E741
    bias = inputs["bias_ih"] is not None
    if kind == "lstm":
        layer = torch.nn.LSTM(I, H, bias=bias)
    elif kind == "gru":
        layer = torch.nn.GRU(I, H, bias=bias)
    else:
        layer = torch.nn.RNN(I, H, nonlinearity=kind[4:], bias=bias)
    layer = layer.double()
    with torch.no_grad():
        for name in PARAMS:
            if inputs[name] is not None:
                getattr(layer, f"{name}_l0").copy_(torch.from_numpy(inputs[name]))
    return layer


def torch_sequence(kind: str, inputs: dict, lengths, grads: dict, chunk: int | None = None) -> tuple[list, dict]:
    """PyTorch's results [out, h_n, (c_n)] and every gradient by name, for the loss sum(dout * out) + sum(dh_n *
    h_n) (+ sum(dc_n * c_n)). With ``chunk`` = k the sequence is fed k steps at a time and the states are detached
    between chunks (truncated BPTT)."""
    layer = torch_layer(kind, inputs)
    leaves = {n: torch.tensor(inputs[n], requires_grad=True) for n in ["x", *state_names(kind)]}
    T = inputs["x"].shape[0]
    states = [leaves[n][None] for n in state_names(kind)]
    outs = []
    for start in range(0, T, chunk or T):
        x = leaves["x"][start : start + (chunk or T)]
        hx = tuple(states) if kind == "lstm" else states[0]
        if lengths is not None:
            steps = np.minimum(lengths - start, len(x))  # each sequence's steps in this chunk (none may have 0)
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(steps), enforce_sorted=False)
            out, final = layer(packed, hx)
            out = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=len(x))[0]
        else:
            out, final = layer(x, hx)
        outs.append(out)
        final = list(final) if kind == "lstm" else [final]
        states = [s.detach() for s in final] if chunk else final
    out = torch.cat(outs)
    final = [s[0] for s in (final if chunk else states)]
    loss = (out * torch.from_numpy(grads["dout"])).sum()
    for value, name in zip(final, ["dh_n", "dc_n"]):
        loss = loss + (value * torch.from_numpy(grads[name])).sum()
    loss.backward()
    named = dict(layer.named_parameters())
    result = {n: leaves[n].grad.numpy() for n in leaves}
    for name in PARAMS:
        result[name] = named[f"{name}_l0"].grad.numpy() if f"{name}_l0" in named else None
    return [out.detach().numpy(), *(s.detach().numpy() for s in final)], result


def roundoff_scale(kind: str, inputs: dict, lengths, grads: dict) -> tuple[float, float]:
    """(S, smallest |pre-activation|): S bounds the rounding of the forward pass's loss in units of eps (see the
    module's docstring), measured with a float64 PyTorch copy of the forward pass and its adjoints."""
    t = {n: None if v is None else torch.tensor(v, requires_grad=True) for n, v in inputs.items()}
    x, W, U = t["x"], t["weight_ih"], t["weight_hh"]
    T, N, I = x.shape  # noqa: E741
    H = U.shape[1]
    b_ih = t["bias_ih"] if t["bias_ih"] is not None else torch.zeros(W.shape[0], dtype=torch.float64)
    b_hh = t["bias_hh"] if t["bias_hh"] is not None else torch.zeros(W.shape[0], dtype=torch.float64)
    valid = torch.ones(T, N, 1, dtype=torch.bool)
    if lengths is not None:
        valid = torch.from_numpy((np.arange(T)[:, None] < lengths[None, :])[:, :, None])
    nodes = []  # (tensor whose adjoint is needed, the size of the terms that made it)
    preacts = []

    def node(value, size):
        value.retain_grad()
        nodes.append((value, size))
        return value

    h, c = t["h0"], t.get("c0")
    outs = []
    for step in range(T):
        xs = x[step]
        if kind == "gru":
            gi = node(xs @ W.T + b_ih, (I + 1) * (xs.abs() @ W.abs().T + b_ih.abs()))
            gh = node(h @ U.T + b_hh, (H + 1) * (h.abs() @ U.abs().T + b_hh.abs()))
            pre_rz = node(gi[:, : 2 * H] + gh[:, : 2 * H], gi[:, : 2 * H].abs() + gh[:, : 2 * H].abs())
            rz = node(torch.sigmoid(pre_rz), torch.sigmoid(pre_rz).abs() * 4)
            r, z = rz[:, :H], rz[:, H:]
            pre_n = node(gi[:, 2 * H :] + r * gh[:, 2 * H :], 2 * (gi[:, 2 * H :].abs() + (r * gh[:, 2 * H :]).abs()))
            n = node(torch.tanh(pre_n), torch.tanh(pre_n).abs())
            new = node((1 - z) * n + z * h, 3 * ((1 - z).abs() * n.abs() + (z * h).abs()) + n.abs())
            preacts.append(pre_n)
            news = [new]
        else:
            size = (I + H + 2) * (xs.abs() @ W.abs().T + h.abs() @ U.abs().T + b_ih.abs() + b_hh.abs())
            a = node(xs @ W.T + h @ U.T + b_ih + b_hh, size)
            preacts.append(a)
            if kind == "lstm":
                acts = torch.cat(
                    [torch.sigmoid(a[:, : 2 * H]), torch.tanh(a[:, 2 * H : 3 * H]), torch.sigmoid(a[:, 3 * H :])], 1
                )
                acts = node(acts, 4 * acts.abs())
                i, f, g, o = acts[:, :H], acts[:, H : 2 * H], acts[:, 2 * H : 3 * H], acts[:, 3 * H :]
                c_new = node(f * c + i * g, 2 * ((f * c).abs() + (i * g).abs()))
                tc = node(torch.tanh(c_new), torch.tanh(c_new).abs())
                new = node(o * tc, (o * tc).abs())
                news = [new, c_new]
            else:
                new = node(torch.tanh(a) if kind == "rnn_tanh" else torch.relu(a), a.abs())
                news = [new]
        m = valid[step]
        outs.append(torch.where(m, news[0], torch.zeros_like(news[0])))
        h = torch.where(m, news[0], h)
        if kind == "lstm":
            c = torch.where(m, news[1], c)
    out = torch.stack(outs)
    finals = [h, c] if kind == "lstm" else [h]
    terms = [out * torch.from_numpy(grads["dout"])]
    terms += [v * torch.from_numpy(grads[n]) for v, n in zip(finals, ["dh_n", "dc_n"])]
    loss = sum(term.sum() for term in terms)
    loss.backward()
    S = sum(float(term.detach().abs().sum()) for term in terms) * 2  # the loss's own products and sum
    for value, size in nodes:
        S += float((size.detach() * value.grad.abs()).sum())
    smallest = min(float(p.detach().abs().min()) for p in preacts)
    return S, smallest


# ----------------------------------------------------------------------------------------------- comparing
def assert_same_math(got, expected, what: str) -> None:
    """The same float64 math written two ways: equal up to round-off, relative to the values' magnitude."""
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(
        got, expected, rtol=tolerances.REFERENCE_RTOL, atol=tolerances.REFERENCE_RTOL * scale, err_msg=what
    )


def assert_close_to_finite_differences(got, numeric, S: float, what: str) -> None:
    floor = max(tolerances.FLOOR, tolerances.FD_ROUNDOFF * S / tolerances.FD_RTOL)
    err = rel_error(got, numeric, floor=floor)
    worst = np.unravel_index(np.argmax(err), err.shape) if err.size else ()
    assert err.max(initial=0.0) <= tolerances.FD_RTOL, (
        f"{what}: relative error {err.max():.2e} at {worst} (got {got[worst]}, numeric {numeric[worst]}, floor {floor})"
    )


def finite_difference_gradients(kind: str, inputs: dict, lengths, grads: dict) -> dict:
    names = wrt_names(kind)
    dall = np.concatenate([grads[n].ravel() for n in ("dout", "dh_n", "dc_n") if n in grads])

    def f(*arrays):
        out, finals, _ = forward(kind, dict(zip(names, arrays)), lengths)
        return np.concatenate([out.ravel(), *(s.ravel() for s in finals)])

    values = [inputs[n] for n in names]
    return {n: numerical_gradient(f, values, dall, wrt=k) for k, n in enumerate(names) if inputs[n] is not None}


# --------------------------------------------------------------------------------------------------- tests
@scaled_settings(40)
@given(setup=sequence_setups(), seed=seeds)
def test_sequences_match_torch_in_float64(setup, seed):
    """Outputs, final states and every gradient equal PyTorch's (pack_padded_sequence when lengths are given)."""
    kind, inputs, lengths = setup
    grads = upstream(kind, inputs, seed)
    out, finals, cache = forward(kind, inputs, lengths)
    expected, expected_grads = torch_sequence(kind, inputs, lengths, grads)
    for got, exp, what in zip([out, *finals], expected, ["out", "h_n", "c_n"]):
        assert_same_math(got, exp, what)
    if lengths is not None:
        past_end = np.arange(out.shape[0])[:, None] >= lengths[None, :]  # (T, N)
        assert np.all(out[past_end] == 0)
    got = backward(kind, grads, cache)
    for name in wrt_names(kind):
        if inputs[name] is None:
            assert got[name] is None and expected_grads[name] is None, name
        else:
            assert_same_math(got[name], expected_grads[name], "d" + name)


@scaled_settings(25)
@given(setup=sequence_setups(), seed=seeds)
def test_sequence_gradients_match_finite_differences(setup, seed):
    kind, inputs, lengths = setup
    grads = upstream(kind, inputs, seed)
    S, smallest = roundoff_scale(kind, inputs, lengths, grads)
    if kind == "rnn_relu":
        assume(smallest > KINK)  # away from ReLU's kink, where the derivative is not defined
    _, _, cache = forward(kind, inputs, lengths)
    got = backward(kind, grads, cache)
    for name, numeric in finite_difference_gradients(kind, inputs, lengths, grads).items():
        assert_close_to_finite_differences(got[name], numeric, S, "d" + name)


@scaled_settings(25)
@given(setup=sequence_setups(max_t=6), seed=seeds, data=st.data())
def test_truncated_bptt_is_torch_fed_in_chunks_with_detached_states(setup, seed, data):
    """truncation=k: the gradients PyTorch computes when the sequence runs k steps at a time and the states are
    detached between chunks (with lengths: each chunk packed with the lengths clipped to it, none empty)."""
    kind, inputs, lengths = setup
    T = inputs["x"].shape[0]
    k = data.draw(st.integers(1, T + 1))
    if lengths is not None:  # PyTorch cannot pack a chunk in which a sequence has no step: all reach the last one
        lengths = np.maximum(lengths, (T - 1) // k * k + 1)
    grads = upstream(kind, inputs, seed)
    out, finals, cache = forward(kind, inputs, lengths)
    expected, expected_grads = torch_sequence(kind, inputs, lengths, grads, chunk=k)
    for got, exp, what in zip([out, *finals], expected, ["out", "h_n", "c_n"]):
        assert_same_math(got, exp, what)
    got = backward(kind, grads, cache, truncation=k)
    for name in wrt_names(kind):
        if inputs[name] is not None:
            assert_same_math(got[name], expected_grads[name], "d" + name)
    if k >= T:  # nothing is cut
        full = backward(kind, grads, forward(kind, inputs, lengths)[2])
        for name in wrt_names(kind):
            if inputs[name] is not None:
                np.testing.assert_array_equal(got[name], full[name])


def test_truncation_cuts_the_gradient_from_later_chunks():
    """A loss on the last output only, truncation 2 of T = 6: x_0 .. x_3 and h0 get no gradient, x_4 and x_5 do."""
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((6, 2, 3)), rng.standard_normal((2, 4))
    w_ih, w_hh = rng.standard_normal((4, 3)), rng.standard_normal((4, 4))
    (out, _), cache = R.rnn_forward(x, h0, w_ih, w_hh)
    dout = np.zeros_like(out)
    dout[-1] = 1.0
    dx, dh0, *_ = R.rnn_backward(dout, None, cache, truncation=2)
    assert np.all(dx[:4] == 0) and np.all(dh0 == 0)
    assert np.all(np.abs(dx[4:]).sum(axis=(1, 2)) > 0)


# ----------------------------------------------------------------------------------------------------- cells
CELLS = {
    "rnn_tanh": (R.rnn_cell_forward, R.rnn_cell_backward, torch.nn.RNNCell),
    "rnn_relu": (R.rnn_cell_forward, R.rnn_cell_backward, torch.nn.RNNCell),
    "lstm": (R.lstm_cell_forward, R.lstm_cell_backward, torch.nn.LSTMCell),
    "gru": (R.gru_cell_forward, R.gru_cell_backward, torch.nn.GRUCell),
}


def cell_step(kind: str, inputs: dict):
    """One step of the cell kernel on x[0]: ([h', (c')], cache)."""
    forward_, _, _ = CELLS[kind]
    states = [inputs[n] for n in state_names(kind)]
    weights = [inputs[n] for n in PARAMS]
    extra = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    new, cache = forward_(inputs["x"][0], *states, *weights, **extra)
    return (list(new) if kind == "lstm" else [new]), cache


def cell_backward(kind: str, grads: list, cache) -> dict:
    _, backward_, _ = CELLS[kind]
    result = backward_(*grads, cache)
    return dict(zip(wrt_names(kind), result))


@scaled_settings(40)
@given(setup=sequence_setups(max_t=1, lengths=False), seed=seeds)
def test_cells_match_torch_cells_and_finite_differences(setup, seed):
    kind, inputs, _ = setup
    forward_, _, torch_cell = CELLS[kind]
    I, H = inputs["weight_ih"].shape[1], inputs["weight_hh"].shape[1]  # noqa: E741
    bias = inputs["bias_ih"] is not None
    kwargs = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    cell = torch_cell(I, H, bias=bias, **kwargs).double()
    with torch.no_grad():
        for name in PARAMS:
            if inputs[name] is not None:
                getattr(cell, name).copy_(torch.from_numpy(inputs[name]))
    leaves = {
        n: torch.tensor(inputs[n] if n != "x" else inputs["x"][0], requires_grad=True) for n in wrt_names(kind)[:-4]
    }
    states = [leaves[n] for n in state_names(kind)]
    result = cell(leaves["x"], tuple(states) if kind == "lstm" else states[0])
    expected = list(result) if kind == "lstm" else [result]
    new, cache = cell_step(kind, inputs)
    for got, exp, what in zip(new, expected, ["h'", "c'"]):
        assert_same_math(got, exp.detach().numpy(), what)

    rng = np.random.default_rng(seed)
    dnew = [rng.standard_normal(v.shape) for v in new]
    sum((e * torch.from_numpy(d)).sum() for e, d in zip(expected, dnew)).backward()
    got = cell_backward(kind, dnew, cache)
    params = dict(cell.named_parameters())
    for name in wrt_names(kind):
        if inputs[name] is None:
            assert got[name] is None, name
            continue
        exp = leaves[name].grad.numpy() if name in leaves else params[name].grad.numpy()
        got_name = got[name][None] if name == "x" else got[name]
        assert_same_math(got_name, exp[None] if name == "x" else exp, "d" + name)

    # finite differences: the cell is a sequence of one step whose output is h'
    grads = {"dout": dnew[0][None], "dh_n": np.zeros_like(dnew[0])}
    if kind == "lstm":
        grads["dc_n"] = dnew[1]
    S, smallest = roundoff_scale(kind, inputs, None, grads)
    if kind == "rnn_relu":
        assume(smallest > KINK)
    names = wrt_names(kind)

    def f(*arrays):
        values = dict(zip(names, arrays))
        return np.concatenate([v.ravel() for v in cell_step(kind, values)[0]])

    dall = np.concatenate([d.ravel() for d in dnew])
    for k, name in enumerate(names):
        if inputs[name] is not None:
            numeric = numerical_gradient(f, [inputs[n] for n in names], dall, wrt=k)
            got_name = got[name][None] if name == "x" else got[name]
            assert_close_to_finite_differences(got_name, numeric, S, "d" + name)


def test_lstm_gate_order_is_i_f_g_o():
    """Only the forget gate's bias open (others very negative): c' = c, so the memory is kept exactly, h' ~ 0."""
    H = 3
    b = np.full(4 * H, -50.0)
    b[H : 2 * H] = 50.0  # f = 1
    c = np.array([[0.5, -1.0, 2.0]])
    (h_next, c_next), _ = R.lstm_cell_forward(
        np.zeros((1, 2)), None, c, np.zeros((4 * H, 2)), np.zeros((4 * H, H)), b, 0 * b
    )
    np.testing.assert_allclose(c_next, c, rtol=tolerances.REFERENCE_RTOL)
    assert np.abs(h_next).max() < 1e-20


def test_missing_initial_states_are_zeros_and_still_get_gradients():
    rng = np.random.default_rng(3)
    inputs = {
        "x": rng.standard_normal((4, 2, 3)),
        "h0": np.zeros((2, 5)),
        "c0": np.zeros((2, 5)),
        "weight_ih": rng.standard_normal((20, 3)),
        "weight_hh": rng.standard_normal((20, 5)),
        "bias_ih": rng.standard_normal(20),
        "bias_hh": rng.standard_normal(20),
    }
    grads = upstream("lstm", inputs, 0)
    out, finals, cache = forward("lstm", inputs)
    without = {**inputs, "h0": None, "c0": None}
    out2, finals2, cache2 = forward("lstm", without)
    np.testing.assert_array_equal(out, out2)
    g, g2 = backward("lstm", grads, cache), backward("lstm", grads, cache2)
    for name in wrt_names("lstm"):
        np.testing.assert_array_equal(g[name], g2[name])
    assert g2["h0"].shape == (2, 5) and np.abs(g2["h0"]).sum() > 0


@pytest.mark.parametrize("kind", KINDS)
def test_float32_stays_float32(kind):
    rng = np.random.default_rng(1)
    G = GATES[kind]
    inputs = {"x": rng.standard_normal((3, 2, 4)).astype(np.float32)}
    for name in state_names(kind):
        inputs[name] = rng.standard_normal((2, 3)).astype(np.float32)
    for name, shape in zip(PARAMS, [(G * 3, 4), (G * 3, 3), (G * 3,), (G * 3,)]):
        inputs[name] = rng.standard_normal(shape).astype(np.float32)
    out, finals, cache = forward(kind, inputs)
    assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in finals)
    grads = backward(kind, upstream(kind, inputs, 0), cache)
    assert all(g.dtype == np.float32 for g in grads.values())
