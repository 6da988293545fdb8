"""Chapter 16's GPT: the NumPy model against its PyTorch twin in float64 (logits and every parameter's gradient)
over shapes drawn by hypothesis, the tied matrix's gradient as the sum of its two uses, centred finite differences,
and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import numerical_gradient
from dlcourse.checks import tolerances as tol
from dlcourse.checks.compare import rel_error
from dlcourse.models.gpt import GPT, gpt_torch


@st.composite
def gpt_setups(draw):
    n_head = draw(st.integers(1, 3))
    d_model = n_head * draw(st.integers(2, 4))  # width 1: layer norm maps everything to 0
    block_size = draw(st.integers(1, 8))
    return {
        "vocab_size": draw(st.integers(2, 12)),
        "block_size": block_size,
        "d_model": d_model,
        "n_head": n_head,
        "n_layer": draw(st.integers(1, 3)),
        "N": draw(st.integers(1, 3)),
        "T": draw(st.integers(1, block_size)),
        "seed": draw(st.integers(0, 1000)),
    }


@given(gpt_setups())
@scaled_settings(25)
def test_logits_and_every_gradient_equal_pytorch(setup):
    rng = np.random.default_rng(setup["seed"])
    model = GPT(setup["vocab_size"], setup["block_size"], setup["d_model"], setup["n_head"], setup["n_layer"], rng=rng)
    twin = gpt_torch(model)
    ids = rng.integers(0, setup["vocab_size"], (setup["N"], setup["T"]))
    logits = model(ids)
    dlogits = rng.standard_normal(logits.shape)
    model.backward(dlogits)
    logits_t = twin(torch.tensor(ids))
    logits_t.backward(torch.tensor(dlogits))
    assert logits.shape == (setup["N"], setup["T"], setup["vocab_size"])
    assert rel_error(logits, logits_t.detach().numpy()).max() < tol.REFERENCE_RTOL
    theirs = dict(twin.named_parameters())
    ours = dict(model.named_parameters())
    assert set(ours) == set(theirs)
    for name, p in ours.items():
        assert rel_error(p.grad, theirs[name].grad.numpy()).max() < tol.REFERENCE_RTOL, name


def test_the_tied_gradient_is_the_sum_of_both_uses():
    rng = np.random.default_rng(0)
    model = GPT(9, 6, 8, 2, 2, rng=0)
    ids = rng.integers(0, 9, (2, 6))
    dlogits = rng.standard_normal((2, 6, 9))
    model(ids)
    model.backward(dlogits)
    head = np.einsum("ntv,ntd->vd", dlogits, model.features(ids))
    twin = gpt_torch(model)
    twin.wte.weight.requires_grad_(True)
    twin(torch.tensor(ids)).backward(torch.tensor(dlogits))
    assert rel_error(model.wte.grads["weight"], twin.wte.weight.grad.numpy()).max() < tol.REFERENCE_RTOL
    assert np.abs(model.wte.grads["weight"] - head).max() > 1e-3  # the lookup's share is not zero


@pytest.mark.parametrize(
    "name", ["wte.weight", "wpe.weight", "h.0.attn.in_proj_weight", "h.0.mlp_fc.bias", "ln_f.weight"]
)
def test_gradients_equal_finite_differences(name):
    rng = np.random.default_rng(1)
    model = GPT(6, 4, 4, 2, 1, rng=2)
    ids = rng.integers(0, 6, (2, 4))
    dlogits = rng.standard_normal((2, 4, 6))
    model(ids)
    model.backward(dlogits)
    param = dict(model.named_parameters())[name]

    def logits_of(value):
        saved = param.data.copy()
        param.data[...] = value
        out = model(ids)
        param.data[...] = saved
        return out

    numeric = numerical_gradient(logits_of, [param.data], dlogits)
    assert rel_error(param.grad, numeric).max() < tol.FD_RTOL


def test_state_dicts_map_one_to_one():
    model = GPT(7, 5, 8, 2, 2, rng=0)
    twin = gpt_torch(model)
    assert list(model.state_dict()) == list(twin.state_dict())
    other = GPT(7, 5, 8, 2, 2, rng=1)
    other.load_state_dict(twin.state_dict())
    ids = np.array([[1, 2, 3]])
    np.testing.assert_array_equal(other(ids), model(ids))


def test_causality_future_tokens_do_not_change_past_logits():
    model = GPT(10, 8, 8, 2, 2, rng=0)
    a = model(np.array([[1, 2, 3, 4, 5]]))
    b = model(np.array([[1, 2, 3, 9, 0]]))
    np.testing.assert_array_equal(a[:, :3], b[:, :3])
    assert not np.allclose(a[:, 3:], b[:, 3:])
    weights = model.attention_weights()[0]  # (1, n_head, T, T)
    assert np.all(np.triu(weights[0, 0], k=1) == 0)


def test_bad_input_names_the_argument():
    model = GPT(5, 4, 4, 2, 1, rng=0)
    with pytest.raises(ValueError, match="ids"):
        model(np.zeros((1, 5), dtype=int))  # longer than block_size
    with pytest.raises(ValueError, match="ids"):
        model(np.array([[0, 5]]))
    with pytest.raises(ValueError, match="ids"):
        model(np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="n_head"):
        GPT(5, 4, 6, 4, 1)
    with pytest.raises(ValueError, match="vocab_size"):
        GPT(0, 4)
    with pytest.raises(ValueError, match="dlogits"):
        model(np.zeros((1, 2), dtype=int))
        model.backward(np.zeros((1, 3, 5)))
    with pytest.raises(ValueError, match="model"):
        gpt_torch("gpt")
