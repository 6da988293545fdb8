"""Scaled dot-product attention (dlcourse.functional.attention) against torch.nn.functional.scaled_dot_product_attention
in float64 (output and the gradients of query, key and value) and against centred finite differences of its own
forward pass, over hypothesis-drawn sizes, leading batch dimensions, masks (none, boolean, additive float, causal)
and scales; fully masked rows as PyTorch returns them; split_heads and merge_heads; the readable multi-head pair
against torch.nn.MultiheadAttention.

How far a correct answer may be off is bounded by the size of the terms it sums, not by its own size (a gradient
that cancels to ~0 carries the round-off of its terms): :func:`terms_scale` bounds every term of the output and of
the three gradients, from the inputs' absolute values, and every comparison allows ``tolerance * terms_scale``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_scale as assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds

import dlcourse.functional.attention as A
from dlcourse.checks import tolerances
from dlcourse.checks.gradcheck import numerical_gradient

MASKS = ("none", "bool", "float", "causal")


@st.composite
def attention_setups(draw, masks=MASKS):
    """(inputs, options): query (*, L, E), key (*, S, E), value (*, S, Ev), standard normal (from a drawn seed),
    with 0 to 2 leading dimensions, and options {attn_mask, is_causal, scale}."""
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    L, S, E, Ev = (draw(st.integers(1, 5)) for _ in range(4))
    rng = np.random.default_rng(draw(seeds))
    inputs = {
        "query": rng.standard_normal((*lead, L, E)),
        "key": rng.standard_normal((*lead, S, E)),
        "value": rng.standard_normal((*lead, S, Ev)),
    }
    kind = draw(st.sampled_from(masks))
    mask_shape = draw(st.sampled_from([(L, S), (*lead, L, S), (*lead[-1:], 1, S)]))
    options = {"attn_mask": None, "is_causal": kind == "causal", "scale": draw(st.none() | st.floats(0.1, 2.0))}
    if kind == "bool":
        options["attn_mask"] = rng.random(mask_shape) < 0.7  # True = may attend; some rows fully masked
    elif kind == "float":
        options["attn_mask"] = np.where(rng.random(mask_shape) < 0.2, -np.inf, rng.standard_normal(mask_shape))
    return inputs, options


def torch_attention(inputs, options, dout):
    """PyTorch's output and the gradients of query, key and value, in float64."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    mask = options["attn_mask"]
    out = torch.nn.functional.scaled_dot_product_attention(
        t["query"],
        t["key"],
        t["value"],
        attn_mask=None if mask is None else torch.as_tensor(mask),
        is_causal=options["is_causal"],
        scale=options["scale"],
    )
    out.backward(torch.as_tensor(dout))
    return out.detach().numpy(), tuple(t[k].grad.numpy() for k in ("query", "key", "value"))


def _scale(inputs, options):
    return options["scale"] if options["scale"] is not None else 1 / np.sqrt(inputs["query"].shape[-1])


def softmax_growth(inputs, options):
    """1 + 2 max|score terms|: a score s is computed with an error of a few eps |s| at most |q|.|k| scale (+ |mask|),
    and exp(s - max s) turns it into a relative error of the weights as large as eps |s - max s|."""
    q, k = np.abs(inputs["query"]), np.abs(inputs["key"])
    score_terms = _scale(inputs, options) * q @ np.swapaxes(k, -1, -2)  # (*, L, S)
    mask = options["attn_mask"]
    if mask is not None and mask.dtype != bool:
        score_terms = score_terms + np.abs(np.where(np.isfinite(mask), mask, 0.0))
    return 1.0 + 2.0 * float(score_terms.max(initial=0.0))


def terms_scale(inputs, options, dout):
    """A bound on the size of every term summed into the output and the gradients, times the softmax's growth of
    round-off: the round-off of each is a few eps times this."""
    q, k, v = (np.abs(inputs[n]) for n in ("query", "key", "value"))
    scale = _scale(inputs, options)
    dweights = np.abs(dout) @ np.swapaxes(v, -1, -2)  # bounds |dL/dweights|
    L = q.shape[-2]
    terms = max(
        v.max(initial=0.0),  # out = weights @ v, weights summing to 1
        L * np.abs(dout).max(initial=0.0),  # dvalue = weights^T @ dout
        2 * scale * dweights.max(initial=0.0) * k.max(initial=0.0),  # dquery
        2 * scale * L * dweights.max(initial=0.0) * q.max(initial=0.0),  # dkey
    )
    return softmax_growth(inputs, options) * max(terms, 1e-300)


@scaled_settings(60)
@given(setup=attention_setups(), seed=seeds)
def test_attention_matches_torch_outputs_and_every_gradient(setup, seed):
    inputs, options = setup
    out, cache = A.scaled_dot_product_attention_forward(**inputs, **options)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    expected, expected_grads = torch_attention(inputs, options, dout)
    scale = terms_scale(inputs, options, dout)
    assert out.shape == expected.shape and out.dtype == np.float64
    assert_close(out, expected, scale, "output")
    assert_close(A.scaled_dot_product_attention(**inputs, **options), expected, scale, "output only")
    for name, got, want in zip(
        ("dquery", "dkey", "dvalue"), A.scaled_dot_product_attention_backward(dout, cache), expected_grads
    ):
        assert got.shape == want.shape, name
        assert_close(got, want, scale, name)
    weights = cache.weights  # rows sum to 1, or to 0 where every key is masked
    assert np.all((np.abs(weights.sum(-1) - 1) < 1e-12) | (weights.sum(-1) == 0))


@scaled_settings(40)
@given(setup=attention_setups(), seed=seeds)
def test_attention_gradients_match_finite_differences(setup, seed):
    """Centred differences of the forward pass; the round-off of L = sum(dout * out) is a few eps times the terms it
    sums (:func:`terms_scale`'s softmax factor times sum |dout| (weights @ |v|)), so the comparison is absolute below
    FD_ROUNDOFF times that, divided by FD_RTOL (see dlcourse.checks.tolerances)."""
    inputs, options = setup
    out, cache = A.scaled_dot_product_attention_forward(**inputs, **options)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = A.scaled_dot_product_attention_backward(dout, cache)
    names = list(inputs)
    round_off = softmax_growth(inputs, options) * float(
        np.sum(np.abs(dout) * (cache.weights @ np.abs(inputs["value"])))
    )
    floor = max(tolerances.FLOOR, tolerances.FD_ROUNDOFF * round_off / tolerances.FD_RTOL)

    def f(*arrays):
        return A.scaled_dot_product_attention(*arrays, **options)

    for i, (name, grad) in enumerate(zip(names, grads)):
        numeric = numerical_gradient(f, list(inputs.values()), dout, wrt=i)
        err = np.abs(grad - numeric) / np.maximum(np.abs(grad) + np.abs(numeric), floor)
        assert err.max(initial=0.0) <= tolerances.FD_RTOL, f"d{name}: relative error {err.max():.1e}"


def test_a_fully_masked_row_gives_zeros_as_torch_does():
    """A query that may attend to no key: PyTorch returns a zero output and zero gradients (not NaN); so do we,
    for a boolean mask and for a float mask of -inf."""
    rng = np.random.default_rng(0)
    inputs = {"query": rng.standard_normal((2, 3, 4)), "key": rng.standard_normal((2, 5, 4))}
    inputs["value"] = rng.standard_normal((2, 5, 3))
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False
    for mask in (allowed, np.where(allowed, 0.0, -np.inf)):
        options = {"attn_mask": mask, "is_causal": False, "scale": None}
        out, cache = A.scaled_dot_product_attention_forward(**inputs, **options)
        dout = rng.standard_normal(out.shape)
        expected, expected_grads = torch_attention(inputs, options, dout)
        assert np.all(out[:, 1] == 0) and np.all(expected[:, 1] == 0) and np.all(cache.weights[:, 1] == 0)
        grads = A.scaled_dot_product_attention_backward(dout, cache)
        assert np.all(grads[0][:, 1] == 0) and np.all(expected_grads[0][:, 1] == 0)
        scale = terms_scale(inputs, options, dout)
        assert_close(out, expected, scale, "output")
        for got, want in zip(grads, expected_grads):
            assert_close(got, want, scale, "gradient")


def test_causal_attention_reads_only_the_past():
    """With is_causal, changing a later key or value leaves earlier outputs unchanged, and the weights are lower
    triangular (top-left aligned, tril(ones(L, S)), as PyTorch)."""
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((3, 4, 2, 6, 4))
    out, cache = A.scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    assert np.all(np.triu(cache.weights, k=1) == 0)
    k2, v2 = k.copy(), v.copy()
    k2[..., 4:, :] += 1.0
    v2[..., 4:, :] -= 2.0
    np.testing.assert_array_equal(
        A.scaled_dot_product_attention(q, k2, v2, is_causal=True)[..., :4, :], out[..., :4, :]
    )
    wide = A.scaled_dot_product_attention_forward(q[..., :3, :], k, v, is_causal=True)[1].weights  # L < S
    np.testing.assert_array_equal(wide != 0, np.tril(np.ones((3, 6), dtype=bool)) & (wide != 0))
    assert np.all(wide[..., 0, 1:] == 0)


@scaled_settings(20)
@given(seed=seeds, p=st.floats(0.1, 0.9))
def test_attention_dropout_uses_one_mask_forward_and_backward(seed, p):
    """With dropout_p and an int seed the mask is the same at every call: the output is (weights * mask / (1 - p))
    @ value, and the gradients match finite differences of that forward pass."""
    rng = np.random.default_rng(seed)
    inputs = {"query": rng.standard_normal((2, 3, 2)), "key": rng.standard_normal((2, 4, 2))}
    inputs["value"] = rng.standard_normal((2, 4, 3))
    out, cache = A.scaled_dot_product_attention_forward(**inputs, dropout_p=p, rng=seed)
    keep = cache.keep
    assert set(np.unique(keep)) <= {0.0, 1 / (1 - p)}
    np.testing.assert_array_equal(out, (cache.weights * keep) @ inputs["value"])
    dout = rng.standard_normal(out.shape)
    grads = A.scaled_dot_product_attention_backward(dout, cache)
    options = {"attn_mask": None, "is_causal": False, "scale": None}
    round_off = softmax_growth(inputs, options) * float(
        np.sum(np.abs(dout) * ((cache.weights * keep) @ np.abs(inputs["value"])))
    )
    floor = max(tolerances.FLOOR, tolerances.FD_ROUNDOFF * round_off / tolerances.FD_RTOL)
    for i, grad in enumerate(grads):
        numeric = numerical_gradient(
            lambda *a: A.scaled_dot_product_attention(*a, dropout_p=p, rng=seed), list(inputs.values()), dout, wrt=i
        )
        err = np.abs(grad - numeric) / np.maximum(np.abs(grad) + np.abs(numeric), floor)
        assert err.max() <= tolerances.FD_RTOL


def test_dropout_needs_a_generator_and_is_off_at_zero():
    q = np.ones((2, 3))
    with pytest.raises(ValueError, match="rng: dropout_p > 0"):
        A.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert A.scaled_dot_product_attention_forward(q, q, q, dropout_p=0.0)[1].keep is None
    out = A.scaled_dot_product_attention(q, q, q, dropout_p=1.0, rng=0)
    assert np.all(out == 0)


@scaled_settings(30)
@given(n=st.integers(1, 3), t=st.integers(1, 5), h=st.integers(1, 4), d=st.integers(1, 3), seed=seeds)
def test_split_and_merge_heads(n, t, h, d, seed):
    """split_heads gives head j the features j*d .. (j+1)*d - 1 (torch.nn.MultiheadAttention's layout), and
    merge_heads undoes it exactly."""
    x = np.random.default_rng(seed).standard_normal((n, t, h * d))
    heads = A.split_heads(x, h)
    assert heads.shape == (n, h, t, d)
    for j in range(h):
        np.testing.assert_array_equal(heads[:, j], x[:, :, j * d : (j + 1) * d])
    np.testing.assert_array_equal(A.merge_heads(heads), x)
    expected = torch.tensor(x).view(n, t, h, d).transpose(1, 2)
    np.testing.assert_array_equal(heads, expected.numpy())


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("self_attention", [True, False])
def test_readable_multi_head_attention_matches_torch(bias, self_attention):
    """multi_head_attention_forward / backward (batch first) against torch.nn.MultiheadAttention in float64: the
    output, the heads' weights, and the gradients of query, key, value and every parameter."""
    torch.manual_seed(0)
    E, h, N, L, S = 6, 3, 2, 4, 5
    mha = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=True).double()
    rng = np.random.default_rng(3)
    q = rng.standard_normal((N, L, E))
    k, v = (q, q) if self_attention else (rng.standard_normal((N, S, E)), rng.standard_normal((N, S, E)))
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    if self_attention:
        kt = vt = qt  # one tensor: its gradient is the sum of the three
    out_t, weights_t = mha(qt, kt, vt, average_attn_weights=False)
    sd = {name: value.detach().numpy() for name, value in mha.state_dict().items()}
    params = (sd["in_proj_weight"], sd.get("in_proj_bias"), sd["out_proj.weight"], sd.get("out_proj.bias"))
    out, cache = A.multi_head_attention_forward(q, k, v, h, *params)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    grads = A.multi_head_attention_backward(dout, cache)

    def scale_of(expected):  # a few dozen terms, each at most ~1e3 times max(1, max|expected|): see test_nn_attention
        return max(1.0, float(np.abs(expected).max()))

    assert_close(out, out_t.detach().numpy(), scale_of(out_t.detach().numpy()), "output")
    assert_close(cache.attention.weights, weights_t.detach().numpy(), 1.0, "weights")
    if self_attention:
        assert_close(grads[0] + grads[1] + grads[2], qt.grad.numpy(), scale_of(qt.grad.numpy()), "dx")
    else:
        for got, t in zip(grads[:3], (qt, kt, vt)):
            assert_close(got, t.grad.numpy(), scale_of(t.grad.numpy()), "dinput")
    names = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
    named = dict(mha.named_parameters())
    for name, got in zip(names, grads[3:]):
        if name in named:
            assert_close(got, named[name].grad.numpy(), scale_of(named[name].grad.numpy()), name)
        else:
            assert got is None, name
