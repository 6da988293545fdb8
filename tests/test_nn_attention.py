"""nn.MultiheadAttention against torch.nn.MultiheadAttention in float64: parameter names, shapes and initial values,
state dicts loaded both ways, batch_first both ways, unbatched inputs, self- and cross-attention, key padding masks,
attention masks (boolean and float, 2-D and per head), is_causal, returned weights averaged or per head or none, and
the backward pass (query, key, value and every parameter), over drawn sizes and seeds.

A correct answer is off by round-off only (see :func:`assert_close`).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest as assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds

from dlcourse.nn.attention import MultiheadAttention


def twins(E, h, bias=True, batch_first=False, seed=0):
    """The layer in both libraries, ours loaded from PyTorch's state dict (float64), with random biases."""
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=batch_first).double()
    if bias:
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    ours = MultiheadAttention(E, h, bias=bias, batch_first=batch_first, rng=seed)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@st.composite
def mha_setups(draw):
    """Sizes, options and masks for one call of both layers."""
    h = draw(st.integers(1, 3))
    E = h * draw(st.integers(1, 3))
    N, L = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    self_attention = draw(st.booleans())
    S = L if self_attention else draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(seeds))
    kind = draw(st.sampled_from(["none", "bool", "float", "per_head", "causal"]))
    attn_mask = None
    if kind == "bool":
        attn_mask = rng.random((L, S)) < 0.3  # True = may not attend
        attn_mask[:, 0] = False  # every query keeps a key (a fully masked row: see the test below)
    elif kind == "float":
        attn_mask = rng.standard_normal((L, S))
    elif kind == "per_head":
        attn_mask = rng.standard_normal((N * h, L, S))
    elif kind == "causal":
        attn_mask = np.triu(np.ones((L, S), dtype=bool), k=1)
    padding = None
    if draw(st.booleans()):
        padding = rng.random((N, S)) < 0.3
        padding[:, 0] = False  # key 0, never masked
    return {
        "E": E,
        "h": h,
        "N": N,
        "L": L,
        "S": S,
        "self_attention": self_attention,
        "bias": draw(st.booleans()),
        "batch_first": draw(st.booleans()),
        "attn_mask": attn_mask,
        "key_padding_mask": padding,
        "is_causal": kind == "causal",
        "average_attn_weights": draw(st.booleans()),
        "need_weights": draw(st.booleans()),
        "seed": draw(seeds),
    }


def run_both(setup, unbatched=False):
    """Forward and backward in both libraries; returns ours and PyTorch's (output, weights, input grads, grads)."""
    ours, theirs = twins(setup["E"], setup["h"], setup["bias"], setup["batch_first"], setup["seed"] % 1000)
    rng = np.random.default_rng(setup["seed"])
    N, L, S, E = setup["N"], setup["L"], setup["S"], setup["E"]

    def layout(T):
        return (T, E) if unbatched else (N, T, E) if setup["batch_first"] else (T, N, E)

    q = rng.standard_normal(layout(L))
    k, v = (q, q) if setup["self_attention"] else (rng.standard_normal(layout(S)), rng.standard_normal(layout(S)))
    tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    if setup["self_attention"]:
        tensors = [tensors[0]] * 3
    padding = setup["key_padding_mask"]
    if unbatched and padding is not None:
        padding = padding[0]
    kwargs = {
        "key_padding_mask": padding,
        "need_weights": setup["need_weights"],
        "attn_mask": setup["attn_mask"],
        "average_attn_weights": setup["average_attn_weights"],
        "is_causal": setup["is_causal"],
    }
    torch_kwargs = {key: torch.as_tensor(val) if isinstance(val, np.ndarray) else val for key, val in kwargs.items()}
    out_t, weights_t = theirs(*tensors, **torch_kwargs)
    out, weights = ours(q, k, v, **kwargs)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    grads = ours.backward(dout)
    if setup["self_attention"]:
        grads = (grads[0] + grads[1] + grads[2],)
    torch_grads = (tensors[0].grad,) if setup["self_attention"] else tuple(t.grad for t in tensors)
    return ours, theirs, (out, weights, grads), (out_t, weights_t, torch_grads)


def check_against_torch(setup, unbatched=False):
    ours, theirs, (out, weights, grads), (out_t, weights_t, grads_t) = run_both(setup, unbatched)
    assert out.shape == tuple(out_t.shape)
    assert_close(out, out_t.detach().numpy(), "output")
    if setup["need_weights"]:
        assert weights.shape == tuple(weights_t.shape)
        assert_close(weights, weights_t.detach().numpy(), "weights")
    else:
        assert weights is None and weights_t is None
    for got, want in zip(grads, grads_t):
        assert got.shape == tuple(want.shape)
        assert_close(got, want.numpy(), "input gradient")
    ours_grads = {p.name: p.grad for p in ours.parameters()}
    for name, p in theirs.named_parameters():
        assert_close(ours_grads[name], p.grad.numpy(), name)


MIXED_MASKS = "ignore:Support for mismatched key_padding_mask and attn_mask is deprecated"


@pytest.mark.filterwarnings(MIXED_MASKS)
@scaled_settings(60)
@given(setup=mha_setups())
def test_multihead_attention_matches_torch(setup):
    check_against_torch(setup)


@pytest.mark.filterwarnings(MIXED_MASKS)
@scaled_settings(20)
@given(setup=mha_setups())
def test_unbatched_inputs_match_torch(setup):
    setup = dict(setup, N=1)
    if setup["attn_mask"] is not None and setup["attn_mask"].ndim == 3:
        setup["attn_mask"] = setup["attn_mask"][: setup["h"]]
    check_against_torch(setup, unbatched=True)


@pytest.mark.parametrize("bias", [True, False])
def test_parameter_names_shapes_and_initial_values_are_torchs(bias):
    E, h = 8, 2
    ours, theirs = MultiheadAttention(E, h, bias=bias, rng=0), torch.nn.MultiheadAttention(E, h, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in ours.state_dict().items():
        assert value.shape == tuple(theirs.state_dict()[name].shape), name
    bound = np.sqrt(6 / (E + 3 * E))  # xavier_uniform_ of (3E, E)
    w = ours.params["in_proj_weight"]
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    assert float(theirs.in_proj_weight.detach().abs().max()) <= bound + 1e-7
    assert np.abs(ours.out_proj.params["weight"]).max() <= 1 / np.sqrt(E)
    if bias:
        assert np.all(ours.params["in_proj_bias"] == 0) and np.all(ours.out_proj.params["bias"] == 0)


@scaled_settings(10)
@given(seed=seeds)
def test_state_dicts_load_both_ways(seed):
    """PyTorch's weights into ours (above, in twins) and ours into PyTorch: the same outputs."""
    ours = MultiheadAttention(6, 3, rng=seed)
    theirs = torch.nn.MultiheadAttention(6, 3).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((4, 2, 6))
    out, weights = ours(x, x, x)
    out_t, weights_t = theirs(*[torch.tensor(x)] * 3)
    assert_close(out, out_t.detach().numpy(), "output")
    assert_close(weights, weights_t.detach().numpy(), "weights")


def test_a_fully_padded_sequence_gives_the_output_bias_as_torch_without_weights():
    """Every key of sequence 1 is padding: PyTorch's fast path (need_weights=False) returns out_proj of zeros there,
    and so do we, weights or not (PyTorch's need_weights=True path returns NaN)."""
    ours, theirs = twins(4, 2, seed=1)
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    padding = np.array([[False, False, True], [True, True, True]])
    out, weights = ours(x, x, x, key_padding_mask=padding)
    out_t, _ = theirs(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(padding), need_weights=False)
    assert_close(out, out_t.detach().numpy(), "output")
    np.testing.assert_array_equal(out[:, 1], np.broadcast_to(ours.out_proj.params["bias"], (3, 4)))
    assert np.all(weights[1] == 0) and np.all(
        np.isnan(theirs(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(padding))[1][1].detach().numpy())
    )


def test_dropout_acts_in_training_only():
    layer = MultiheadAttention(4, 2, dropout=0.5, rng=0)
    x = np.random.default_rng(1).standard_normal((5, 2, 4))
    first, second = layer(x, x, x)[0], layer(x, x, x)[0]
    assert not np.array_equal(first, second)  # new masks each pass
    layer.eval()
    np.testing.assert_array_equal(layer(x, x, x)[0], layer(x, x, x)[0])


def test_kdim_and_vdim_other_than_embed_dim_are_refused():
    assert MultiheadAttention(4, 2, kdim=4, vdim=None, rng=0).embed_dim == 4
    for kwargs in ({"kdim": 3}, {"vdim": 5}):
        with pytest.raises(ValueError, match=f"{next(iter(kwargs))}: expected None or embed_dim=4"):
            MultiheadAttention(4, 2, rng=0, **kwargs)
