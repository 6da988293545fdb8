"""nn.TransformerEncoderLayer against torch.nn.TransformerEncoderLayer in evaluation (dropout off), float64: post-
and pre-norm, relu and gelu, batch_first both ways, unbatched inputs, source masks and key padding masks; the output,
the input's gradient and every parameter's. GELU against torch.nn.functional.gelu and finite differences; the
sinusoidal positional encoding against its formula, written out here independently with math.sin and math.cos.

A correct answer is off by round-off only (see :func:`assert_close`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from close import assert_close_to_largest as assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings, seeds, shapes

from dlcourse.checks import tolerances
from dlcourse.checks.gradcheck import numerical_gradient
from dlcourse.functional.activations import gelu, gelu_backward, gelu_forward
from dlcourse.functional.positional import sinusoidal_positional_encoding
from dlcourse.nn.activation import GELU
from dlcourse.nn.transformer import PositionalEncoding, TransformerEncoderLayer


@st.composite
def encoder_setups(draw):
    nhead = draw(st.integers(1, 2))
    return {
        "d_model": nhead * draw(st.integers(1, 3)),
        "nhead": nhead,
        "dim_feedforward": draw(st.integers(1, 6)),
        "activation": draw(st.sampled_from(["relu", "gelu"])),
        "layer_norm_eps": draw(st.sampled_from([1e-5, 1e-3])),
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "N": draw(st.integers(1, 3)),
        "S": draw(st.integers(1, 4)),
        "mask": draw(st.sampled_from(["none", "causal", "padding", "float"])),
        "seed": draw(seeds),
    }


def run_both(setup, unbatched=False):
    kwargs = {k: setup[k] for k in ("dim_feedforward", "activation", "layer_norm_eps", "batch_first", "norm_first")}
    torch.manual_seed(setup["seed"] % 1000)
    theirs = torch.nn.TransformerEncoderLayer(
        setup["d_model"], setup["nhead"], dropout=0.1, bias=setup["bias"], **kwargs
    ).double()
    rng = np.random.default_rng(setup["seed"])
    with torch.no_grad():  # layer norms and biases away from their initial ones and zeros
        for name, p in theirs.named_parameters():
            if name.startswith("norm") or name.endswith("bias"):
                p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)) * rng.choice([-1, 1], tuple(p.shape))))
    theirs.eval()
    ours = TransformerEncoderLayer(setup["d_model"], setup["nhead"], dropout=0.1, bias=setup["bias"], rng=0, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    ours.eval()
    N, S, E = setup["N"], setup["S"], setup["d_model"]
    shape = (S, E) if unbatched else (N, S, E) if setup["batch_first"] else (S, N, E)
    x = rng.standard_normal(shape)
    src_mask = padding = None
    is_causal = setup["mask"] == "causal"
    if is_causal:
        src_mask = np.triu(np.ones((S, S), dtype=bool), k=1)
    elif setup["mask"] == "float":
        src_mask = rng.standard_normal((S, S))
    elif setup["mask"] == "padding":
        padding = rng.random((S,) if unbatched else (N, S)) < 0.4
        padding[..., 0] = False  # every sequence keeps a token
        src_mask = np.zeros((S, S), dtype=bool)  # of the padding mask's type, as PyTorch asks
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(
        xt,
        None if src_mask is None else torch.as_tensor(src_mask),
        None if padding is None else torch.as_tensor(padding),
        is_causal=is_causal,
    )
    out = ours(x, src_mask, padding, is_causal)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dx = ours.backward(dout)
    assert out.shape == tuple(out_t.shape) and dx.shape == x.shape
    assert_close(out, out_t.detach().numpy(), "output")
    assert_close(dx, xt.grad.numpy(), "dx")
    grads = {p.name: p.grad for p in ours.parameters()}
    assert set(grads) == {name for name, _ in theirs.named_parameters()}
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad.numpy(), name)


@scaled_settings(40)
@given(setup=encoder_setups())
def test_encoder_layer_matches_torch_in_evaluation(setup):
    run_both(setup)


@scaled_settings(15)
@given(setup=encoder_setups())
def test_unbatched_encoder_layer_matches_torch(setup):
    run_both(dict(setup, N=1), unbatched=True)


def test_dropout_makes_training_random_and_evaluation_not():
    layer = TransformerEncoderLayer(4, 2, 8, dropout=0.5, rng=0)
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    assert not np.array_equal(layer(x), layer(x))
    layer.eval()
    assert not layer.self_attn.training and not layer.dropout1.training
    np.testing.assert_array_equal(layer(x), layer(x))


# ---------------------------------------------------------------------------------------------------- GELU
@scaled_settings(40)
@given(x=float_arrays(shapes(max_dims=3)), seed=seeds)
def test_gelu_matches_torch_and_finite_differences(x, seed):
    """The exact (erf) GELU, torch's default: values and the gradient against torch, and centred differences
    (round-off a few eps times sum|dout| (|x| + 1), see tolerances)."""
    out, cache = gelu_forward(x)
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch.nn.functional.gelu(xt)
    dout = np.random.default_rng(seed).standard_normal(x.shape)
    out_t.backward(torch.tensor(dout))
    assert_close(out, out_t.detach().numpy(), "gelu")
    np.testing.assert_array_equal(gelu(x), out)
    dx = gelu_backward(dout, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    numeric = numerical_gradient(gelu, [x], dout)
    floor = max(
        tolerances.FLOOR,
        tolerances.FD_ROUNDOFF * float(np.sum(np.abs(dout) * (np.abs(x) + 1))) / tolerances.FD_RTOL,
    )
    err = np.abs(dx - numeric) / np.maximum(np.abs(dx) + np.abs(numeric), floor)
    assert err.max(initial=0.0) <= tolerances.FD_RTOL


def test_gelu_module_and_float32():
    layer = GELU()
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    out = layer(x)
    assert out.dtype == np.float32 and layer.backward(np.ones(7)).dtype == np.float32
    np.testing.assert_allclose(
        out, torch.nn.GELU()(torch.tensor(x)).numpy(), rtol=tolerances.FLOAT32_RTOL, atol=tolerances.FLOAT32_RTOL
    )


# ------------------------------------------------------------------------------------ positional encoding
def formula(max_len, d_model, base=10000.0):
    """Vaswani et al. (2017), section 3.5, entry by entry: PE(pos, 2i) = sin(pos / base^(2i/d)),
    PE(pos, 2i+1) = cos(pos / base^(2i/d))."""
    table = [[0.0] * d_model for _ in range(max_len)]
    for pos in range(max_len):
        for j in range(d_model):
            i = j // 2
            angle = pos / base ** (2 * i / d_model)
            table[pos][j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return np.array(table).reshape(max_len, d_model)


@scaled_settings(30)
@given(max_len=st.integers(0, 60), d_model=st.integers(1, 12), base=st.sampled_from([10000.0, 100.0]))
def test_positional_encoding_is_the_formula(max_len, d_model, base):
    """Equal up to the round-off of the angle (a few eps times max_len) that sin and cos pass on."""
    pe = sinusoidal_positional_encoding(max_len, d_model, base)
    assert pe.shape == (max_len, d_model) and pe.dtype == np.float64
    np.testing.assert_allclose(
        pe, formula(max_len, d_model, base), rtol=0, atol=tolerances.REFERENCE_RTOL * (max_len + 1)
    )


def test_positional_encoding_first_rows():
    pe = sinusoidal_positional_encoding(3, 4)
    np.testing.assert_array_equal(pe[0], [0.0, 1.0, 0.0, 1.0])  # sin 0, cos 0
    np.testing.assert_allclose(pe[1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)], rtol=1e-15)
    assert sinusoidal_positional_encoding(2, 4, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("batch_first", [False, True])
def test_positional_encoding_module_adds_the_table(batch_first):
    layer = PositionalEncoding(6, max_len=10, batch_first=batch_first)
    x = np.random.default_rng(0).standard_normal((2, 5, 6) if batch_first else (5, 2, 6))
    out = layer(x)
    table = sinusoidal_positional_encoding(10, 6)[:5]
    np.testing.assert_array_equal(out, x + (table[None] if batch_first else table[:, None]))
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))
    np.testing.assert_array_equal(
        layer(x[:, 0] if not batch_first else x[0]), (x[:, 0] if not batch_first else x[0]) + table
    )
    assert not layer.parameters()
    with pytest.raises(ValueError, match="x: expected shape .* T <= max_len=10"):
        layer(np.zeros((11, 6)))


# ---------------------------------------------------------------------------------------- training mode
def _reseed(layer, seed):
    """Fresh generators for every dropout of the layer, so that each forward pass draws the same masks."""
    layer.self_attn.rng = np.random.default_rng(seed)
    for i, name in enumerate(("dropout", "dropout1", "dropout2")):
        getattr(layer, name).rng = np.random.default_rng(seed + 1 + i)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_mode_backward_matches_finite_differences_with_fixed_masks(norm_first, seed):
    """In training, with the masks of every dropout (attention weights, activation, both residual branches) drawn
    anew from the same seeds at each forward pass, dL/dsrc equals centred differences of the forward pass. The
    round-off of L = sum(dout * out) is a few eps times the size of its terms: the layer norms' outputs (|out| + 1)
    times 1/std and the inputs' size, so the comparison is absolute below FD_ROUNDOFF times that, over FD_RTOL."""
    layer = TransformerEncoderLayer(4, 2, 6, dropout=0.3, activation="gelu", norm_first=norm_first, rng=seed)
    rng = np.random.default_rng(seed + 10)
    x = rng.standard_normal((3, 2, 4))

    def f(src):
        _reseed(layer, seed)
        return layer(src)

    out = f(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    numeric = numerical_gradient(f, [x], dout)
    terms = float(np.sum(np.abs(dout) * (np.abs(out) + 1))) * (1 + float(np.abs(x).max())) ** 2 * 10
    floor = max(tolerances.FLOOR, tolerances.FD_ROUNDOFF * terms / tolerances.FD_RTOL)
    err = np.abs(dx - numeric) / np.maximum(np.abs(dx) + np.abs(numeric), floor)
    assert err.max() <= tolerances.FD_RTOL, err.max()
    assert not np.array_equal(out, layer.eval()(x))  # dropout did act in training
