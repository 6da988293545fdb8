"""nn.RNN, nn.LSTM, nn.GRU, their cells, nn.Embedding and nn.utils.clip_grad_norm_ against their torch.nn twins in
float64: parameter names and shapes, state dicts copied both ways, default initialisation, outputs, final states and
every gradient (input, initial states, parameters) over drawn sizes, num_layers 1 and 2, batch_first both ways, with
and without initial states and biases, variable lengths against pack_padded_sequence / pad_packed_sequence, and
truncated BPTT against PyTorch fed the sequence in chunks with its states detached between them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds

from dlcourse.checks import tolerances
from dlcourse.nn import Linear, Sequential, Tanh
from dlcourse.nn.embedding import Embedding
from dlcourse.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from dlcourse.nn.utils import clip_grad_norm_

LAYERS = {
    "rnn_tanh": (lambda *a, **k: RNN(*a, **k), lambda *a, **k: torch.nn.RNN(*a, **k)),
    "rnn_relu": (
        lambda *a, **k: RNN(*a, nonlinearity="relu", **k),
        lambda *a, **k: torch.nn.RNN(*a, nonlinearity="relu", **k),
    ),
    "lstm": (LSTM, torch.nn.LSTM),
    "gru": (GRU, torch.nn.GRU),
}
CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell),
    "rnn_relu": (
        lambda *a, **k: RNNCell(*a, nonlinearity="relu", **k),
        lambda *a, **k: torch.nn.RNNCell(*a, nonlinearity="relu", **k),
    ),
    "lstm": (LSTMCell, torch.nn.LSTMCell),
    "gru": (GRUCell, torch.nn.GRUCell),
}


def assert_close(ours, theirs, what):
    """The same float64 math written two ways: equal up to round-off, relative to the values' magnitude."""
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)}, PyTorch {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max(initial=0.0)))
    np.testing.assert_allclose(
        ours, theirs, rtol=tolerances.REFERENCE_RTOL, atol=tolerances.REFERENCE_RTOL * scale, err_msg=what
    )


def twins(kind, input_size, hidden_size, from_torch=True, seed=0, **kwargs):
    """The same layer in both libraries (float64), the weights copied from torch to ours or from ours to torch."""
    make_ours, make_theirs = LAYERS[kind]
    torch.manual_seed(seed)
    ours = make_ours(input_size, hidden_size, rng=seed, **kwargs)
    theirs = make_theirs(input_size, hidden_size, **kwargs).double()
    if from_torch:
        ours.load_state_dict(theirs.state_dict())
    else:
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def torch_run(theirs, kind, x, hx, lengths, batch_first, chunk=None):
    """PyTorch's (out, finals, leaves): lengths through pack_padded_sequence; with ``chunk`` = k the sequence runs k
    steps at a time, its states detached between chunks."""
    leaves = {"x": torch.tensor(x, requires_grad=True)}
    states = None
    if hx is not None:
        arrays = hx if kind == "lstm" else (hx,)
        leaves["hx"] = [torch.tensor(a, requires_grad=True) for a in arrays]
        states = list(leaves["hx"])
    T = x.shape[1] if batch_first else x.shape[0]
    outs = []
    for start in range(0, T, chunk or T):
        xs = leaves["x"][:, start : start + (chunk or T)] if batch_first else leaves["x"][start : start + (chunk or T)]
        arg = None if states is None else (tuple(states) if kind == "lstm" else states[0])
        if lengths is not None:
            size = xs.shape[1] if batch_first else xs.shape[0]
            steps = np.minimum(np.asarray(lengths) - start, size)  # each sequence's steps in this chunk (>= 1)
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                xs, torch.tensor(steps), batch_first=batch_first, enforce_sorted=False
            )
            out, final = theirs(packed, arg)
            out = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first, total_length=size)[0]
        else:
            out, final = theirs(xs, arg)
        outs.append(out)
        final = list(final) if kind == "lstm" else [final]
        states = [s.detach() for s in final] if chunk else final
    out = torch.cat(outs, dim=1 if batch_first else 0)
    return out, final, leaves


@st.composite
def layer_setups(draw, kinds=tuple(LAYERS), lengths=None):
    kind = draw(st.sampled_from(kinds))
    T, N = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    I, H = draw(st.integers(1, 4)), draw(st.integers(1, 4))  # noqa: E741
    L = draw(st.integers(1, 2))
    options = {"num_layers": L, "bias": draw(st.booleans()), "batch_first": draw(st.booleans())}
    rng = np.random.default_rng(draw(seeds))
    x = rng.uniform(-2, 2, (N, T, I) if options["batch_first"] else (T, N, I))
    hx = None
    if draw(st.booleans()):
        states = [rng.uniform(-1, 1, (L, N, H)) for _ in range(2 if kind == "lstm" else 1)]
        hx = tuple(states) if kind == "lstm" else states[0]
    with_lengths = draw(st.booleans()) if lengths is None else lengths
    lens = rng.integers(1, T + 1, N) if with_lengths else None
    return kind, (I, H), options, x, hx, lens, draw(seeds)


def check_against_torch(ours, theirs, kind, x, hx, lengths, options, seed, chunk=None):
    out_t, finals_t, leaves = torch_run(theirs, kind, x, hx, lengths, options["batch_first"], chunk)
    out, final = ours(x, hx, lengths)
    finals = list(final) if kind == "lstm" else [final]
    assert_close(out, out_t, "output")
    for got, exp, what in zip(finals, finals_t, ["h_n", "c_n"]):
        assert_close(got, exp, what)
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal(out.shape)
    dfinal = [rng.standard_normal(f.shape) for f in finals]
    loss = (out_t * torch.from_numpy(dout)).sum() + sum(
        (f * torch.from_numpy(d)).sum() for f, d in zip(finals_t, dfinal)
    )
    loss.backward()
    ours.zero_grad()
    dx = ours.backward(dout, *dfinal, truncation=chunk)
    assert_close(dx, leaves["x"].grad, "dx")
    dhx = list(ours.dhx) if kind == "lstm" else [ours.dhx]
    if hx is not None:
        for got, leaf, what in zip(dhx, leaves["hx"], ["dh0", "dc0"]):
            assert_close(got, leaf.grad, what)
    grads = {p.name: p.grad for p in ours.parameters()}
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad, "d" + name)


# ------------------------------------------------------------------------------------------------ layers
@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_parameter_names_and_shapes_match_torch(kind, num_layers, bias):
    ours, theirs = twins(kind, 3, 5, num_layers=num_layers, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in ours.state_dict().items():
        assert value.shape == tuple(theirs.state_dict()[name].shape), name


@scaled_settings(40)
@given(setup=layer_setups(), from_torch=st.booleans())
def test_layers_match_torch(setup, from_torch):
    kind, (I, H), options, x, hx, lengths, seed = setup  # noqa: E741
    ours, theirs = twins(kind, I, H, from_torch=from_torch, seed=seed % 1000, **options)
    check_against_torch(ours, theirs, kind, x, hx, lengths, options, seed)


@scaled_settings(25)
@given(setup=layer_setups(), data=st.data())
def test_truncated_bptt_matches_torch_in_chunks_with_detached_states(setup, data):
    kind, (I, H), options, x, hx, lengths, seed = setup  # noqa: E741
    T = x.shape[1] if options["batch_first"] else x.shape[0]
    chunk = data.draw(st.integers(1, T + 1))
    if lengths is not None:  # PyTorch cannot pack a chunk in which a sequence has no step: all reach the last one
        lengths = np.maximum(lengths, (T - 1) // chunk * chunk + 1)
    ours, theirs = twins(kind, I, H, seed=seed % 1000, **options)
    check_against_torch(ours, theirs, kind, x, hx, lengths, options, seed, chunk=chunk)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_gradients_from_the_final_states_alone_and_from_the_output_alone(kind):
    rng = np.random.default_rng(0)
    ours, theirs = twins(kind, 3, 4, num_layers=2)
    x = rng.standard_normal((5, 2, 3))
    for which in ("output", "states"):
        out_t, finals_t, leaves = torch_run(theirs, kind, x, None, None, False)
        out, final = ours(x)
        finals = list(final) if kind == "lstm" else [final]
        theirs.zero_grad()
        ours.zero_grad()
        if which == "output":
            dout = rng.standard_normal(out.shape)
            (out_t * torch.from_numpy(dout)).sum().backward()
            dx = ours.backward(dout)
        else:
            dfinal = [rng.standard_normal(f.shape) for f in finals]
            sum((f * torch.from_numpy(d)).sum() for f, d in zip(finals_t, dfinal)).backward()
            dx = ours.backward(None, *dfinal)
        assert_close(dx, leaves["x"].grad, f"dx from the {which}")
        grads = {p.name: p.grad for p in ours.parameters()}
        for name, p in theirs.named_parameters():
            assert_close(grads[name], p.grad, f"d{name} from the {which}")


def test_lengths_give_zeros_past_the_end_and_the_last_valid_state():
    rng = np.random.default_rng(1)
    lstm = LSTM(2, 3, num_layers=2, batch_first=True, rng=0)
    x = rng.standard_normal((3, 6, 2))
    lengths = [6, 2, 4]
    out, (h_n, c_n) = lstm(x, None, lengths)
    for n, length in enumerate(lengths):
        assert np.all(out[n, length:] == 0) and np.all(out[n, length - 1] != 0)
        alone_out, (alone_h, alone_c) = lstm(x[n : n + 1, :length])
        np.testing.assert_allclose(alone_out[0], out[n, :length], rtol=tolerances.REFERENCE_RTOL, atol=1e-15)
        np.testing.assert_allclose(alone_h[:, 0], h_n[:, n], rtol=tolerances.REFERENCE_RTOL, atol=1e-15)
        np.testing.assert_allclose(alone_c[:, 0], c_n[:, n], rtol=tolerances.REFERENCE_RTOL, atol=1e-15)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_default_init_is_torchs_uniform_and_reproducible(kind):
    make_ours, make_theirs = LAYERS[kind]
    H = 16
    bound = 1 / math.sqrt(H)
    a, b = make_ours(8, H, num_layers=2, rng=3), make_ours(8, H, num_layers=2, rng=np.random.default_rng(3))
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[name])
        assert np.all(np.abs(value) <= bound), name
    values = np.concatenate([v.ravel() for v in a.state_dict().values()])
    assert values.max() > 0.95 * bound and values.min() < -0.95 * bound
    n, std = values.size, bound / math.sqrt(3)  # uniform on [-bound, bound]
    assert abs(values.mean()) < tolerances.STAT_SIGMAS * std / math.sqrt(n)
    theirs = make_theirs(8, H, num_layers=2)
    assert max(float(p.detach().abs().max()) for p in theirs.parameters()) <= bound + 1e-7
    c = make_ours(8, H, rng=0, dtype=np.float32)
    assert all(v.dtype == np.float32 for v in c.state_dict().values())


def test_repr_follows_torch():
    assert repr(LSTM(10, 20, num_layers=2, batch_first=True, rng=0)) == repr(
        torch.nn.LSTM(10, 20, num_layers=2, batch_first=True)
    )
    assert repr(RNN(3, 4, bias=False, rng=0)) == repr(torch.nn.RNN(3, 4, bias=False))
    # PyTorch's repr leaves the nonlinearity out; ours names it
    assert repr(RNN(3, 4, nonlinearity="relu", bias=False, rng=0)) == "RNN(3, 4, nonlinearity='relu', bias=False)"
    assert repr(GRU(3, 4, rng=0)) == repr(torch.nn.GRU(3, 4))


# ------------------------------------------------------------------------------------------------- cells
@pytest.mark.parametrize("kind", sorted(CELLS))
@scaled_settings(15)
@given(seed=seeds, T=st.integers(1, 4), bias=st.booleans(), with_state=st.booleans(), from_torch=st.booleans())
def test_a_cell_looped_over_time_matches_torch(kind, seed, T, bias, with_state, from_torch):
    """The cell called at every step of a loop, then backward once per step in reverse order (BPTT by hand)."""
    make_ours, make_theirs = CELLS[kind]
    torch.manual_seed(seed % 1000)
    theirs = make_theirs(3, 4, bias=bias).double()
    ours = make_ours(3, 4, bias=bias, rng=seed)
    if from_torch:
        ours.load_state_dict(theirs.state_dict())
    else:
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, 2, 3))
    lstm = kind == "lstm"
    state = None
    if with_state:
        state = (rng.standard_normal((2, 4)), rng.standard_normal((2, 4))) if lstm else rng.standard_normal((2, 4))
    x_t = torch.tensor(xs, requires_grad=True)
    state_leaves = None
    if state is not None:
        state_leaves = [torch.tensor(s, requires_grad=True) for s in (state if lstm else (state,))]
    s_t = None if state_leaves is None else (tuple(state_leaves) if lstm else state_leaves[0])
    s = state
    hs, hs_t = [], []
    for t in range(T):
        s_t = theirs(x_t[t], s_t)
        s = ours(xs[t], s)
        hs_t.append(s_t[0] if lstm else s_t)
        hs.append(s[0] if lstm else s)
        assert_close(hs[-1], hs_t[-1], f"h at step {t}")
    douts = [rng.standard_normal((2, 4)) for _ in range(T)]
    dc_last = rng.standard_normal((2, 4))
    loss = sum((h * torch.from_numpy(d)).sum() for h, d in zip(hs_t, douts))
    if lstm:
        loss = loss + (s_t[1] * torch.from_numpy(dc_last)).sum()
    loss.backward()
    dh, dc = np.zeros((2, 4)), dc_last
    dxs = [None] * T
    for t in reversed(range(T)):
        if lstm:
            dxs[t] = ours.backward(douts[t] + dh, dc)
            dh, dc = ours.dhx
        else:
            dxs[t] = ours.backward(douts[t] + dh)
            dh = ours.dhx
    assert_close(np.stack(dxs), x_t.grad, "dx")
    if state_leaves is not None:
        for got, leaf, what in zip([dh, dc], state_leaves, ["dh0", "dc0"]):
            assert_close(got, leaf.grad, what)
    grads = {p.name: p.grad for p in ours.parameters()}
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad, "d" + name)
    with pytest.raises(RuntimeError, match="second"):
        ours.backward(np.zeros((2, 4)))


# --------------------------------------------------------------------------------------------- embedding
@scaled_settings(25)
@given(
    seed=seeds,
    V=st.integers(1, 6),
    D=st.integers(1, 4),
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=3),
    padding=st.none() | st.integers(-6, 5),
)
def test_embedding_matches_torch(seed, V, D, shape, padding):
    """Lookup and scatter-add backward (repeated indices add up; the padding row gets no gradient)."""
    if padding is not None and not -V <= padding < V:
        padding = None
    theirs = torch.nn.Embedding(V, D, padding_idx=padding).double()
    ours = Embedding(V, D, padding_idx=padding, rng=seed)
    if padding is not None:
        assert np.all(ours.params["weight"][padding] == 0) and np.all(theirs.weight.detach().numpy()[padding] == 0)
    if seed % 2:
        ours.load_state_dict(theirs.state_dict())
    else:
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, V, shape)
    out = ours(idx)
    out_t = theirs(torch.from_numpy(idx))
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.from_numpy(dout))
    assert ours.backward(dout) is None
    assert_close(ours.grads["weight"], theirs.weight.grad, "dweight")


def test_embedding_init_is_standard_normal_and_names_follow_torch():
    emb = Embedding(1000, 20, padding_idx=-1, rng=0)
    w = emb.params["weight"]
    assert emb.padding_idx == 999 and np.all(w[999] == 0)
    n = w[:999].size
    assert abs(w[:999].mean()) < tolerances.STAT_SIGMAS / math.sqrt(n)
    assert abs(w[:999].var() - 1) < tolerances.STAT_SIGMAS * math.sqrt(2 / n)
    assert list(emb.state_dict()) == list(torch.nn.Embedding(1000, 20).state_dict())
    assert repr(emb) == "Embedding(1000, 20, padding_idx=999)"


# ---------------------------------------------------------------------------------------------- clipping
def _model_pair(seed):
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=0))
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@scaled_settings(40)
@given(
    seed=seeds,
    max_norm=st.sampled_from([0.0, 0.01, 1.0, 1e3]) | st.floats(0.0, 10.0),
    norm_type=st.sampled_from([2.0, 1.0, 3.5, 0.5, math.inf, "inf"]),
    scale=st.sampled_from([1e-3, 1.0, 100.0]),
    form=st.sampled_from(["parameters", "named_parameters", "module"]),
)
def test_clip_grad_norm_matches_torch(seed, max_norm, norm_type, scale, form):
    ours, theirs = _model_pair(seed % 1000)
    rng = np.random.default_rng(seed)
    for p, (_, tp) in zip(ours.parameters(), theirs.named_parameters()):
        p.grad[...] = scale * rng.standard_normal(p.grad.shape)
        tp.grad = torch.from_numpy(p.grad.copy())
    what = {"parameters": ours.parameters(), "named_parameters": ours.named_parameters(), "module": ours}[form]
    total = clip_grad_norm_(what, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type)
    assert isinstance(total, float)
    np.testing.assert_allclose(total, float(expected), rtol=tolerances.REFERENCE_RTOL)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, p.name)


def test_clip_grad_norm_caps_the_norm_and_keeps_the_direction():
    ours, _ = _model_pair(0)
    for p in ours.parameters():
        p.grad[...] = 10.0
    before = np.concatenate([p.grad.ravel() for p in ours.parameters()])
    total = clip_grad_norm_(ours.parameters(), 1.0)
    after = np.concatenate([p.grad.ravel() for p in ours.parameters()])
    assert total == pytest.approx(np.linalg.norm(before))
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))


def test_clip_grad_norm_with_a_non_finite_norm():
    ours, theirs = _model_pair(0)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        p.grad[...] = 1.0
        tp.grad = torch.ones_like(tp)
    ours.parameters()[0].grad[0, 0] = np.inf
    theirs[0].weight.grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="non-finite|nonfinite"):
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="error_if_nonfinite=False"):
        clip_grad_norm_(ours.parameters(), 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(ours.parameters(), 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
    assert total == float(expected) == math.inf
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(np.isnan(p.grad), np.isnan(tp.grad.numpy()))


def test_clip_grad_norm_takes_an_optimizers_parameter_groups():
    from dlcourse.optim import SGD

    ours, theirs = _model_pair(1)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        p.grad[...] = 3.0
        tp.grad = torch.full_like(tp, 3.0)
    opt = SGD([{"params": ours[0].parameters()}, {"params": ours[2].parameters(), "lr": 0.5}], lr=0.1)
    total = clip_grad_norm_(opt.param_groups, 0.5)
    assert total == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5)))
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, p.name)
