"""The fast multi-head attention (dlcourse.fast.attention, what nn.MultiheadAttention runs) equal to the readable pair
(dlcourse.functional.attention.multi_head_attention_forward / backward) and to PyTorch: over drawn sizes, self- and
cross-attention, masks, biases, dropout (the same mask from the same seed) and batches split over threads; float32
stays float32 and close to PyTorch's float32; a cache stays valid; nn.MultiheadAttention and the bench's
'attention' case run the fast pair.

Both compute the same float64 math in another order: they differ by round-off only (see :func:`assert_same_math`).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds
from thread_helpers import every_item_its_own_thread

from dlcourse.checks import tolerances
from dlcourse.fast import attention as fast
from dlcourse.functional import attention as A
from dlcourse.nn.attention import MultiheadAttention
from dlcourse.tools import bench

GRADS = ("dquery", "dkey", "dvalue", "din_proj_weight", "din_proj_bias", "dout_proj_weight", "dout_proj_bias")


@st.composite
def mha_kernel_setups(draw, dtype=np.float64):
    """(args, kwargs) for both multi_head_attention_forward functions, and the seed for dout."""
    h = draw(st.integers(1, 3))
    E = h * draw(st.integers(1, 3))
    N, L = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(seeds))
    self_attention = draw(st.booleans())
    S = L if self_attention else draw(st.integers(1, 4))
    q = rng.standard_normal((N, L, E)).astype(dtype)
    k, v = (q, q) if self_attention else (rng.standard_normal((N, S, E)).astype(dtype) for _ in range(2))
    bias = draw(st.booleans())
    params = (
        rng.uniform(-0.5, 0.5, (3 * E, E)).astype(dtype),
        rng.standard_normal(3 * E).astype(dtype) if bias else None,
        rng.uniform(-0.5, 0.5, (E, E)).astype(dtype),
        rng.standard_normal(E).astype(dtype) if draw(st.booleans()) else None,
    )
    kind = draw(st.sampled_from(["none", "bool", "float"]))
    mask = None
    if kind == "bool":
        mask = rng.random(draw(st.sampled_from([(L, S), (N, 1, L, S), (N, h, L, S)]))) < 0.7  # some rows empty
    elif kind == "float":
        mask = rng.standard_normal((L, S)).astype(dtype)
    dropout = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))
    kwargs = {"attn_mask": mask, "dropout_p": dropout, "rng": draw(seeds) if dropout else None}
    return (q, k, v, h, *params), kwargs, draw(seeds)


def assert_same_math(got, expected, what, rtol=tolerances.REFERENCE_RTOL, growth=1.0):
    """Equal up to round-off, relative to the largest expected value: these computations sum at most a few dozen
    terms, each at most ~1e3 times max(1, max|expected|) (inputs and parameters of order 1, a dropout factor of at
    most 1/0.7), so two correct float64 answers differ by less than ~1e-11 of that; a wrong formula by 1e-2 or
    more. ``growth`` widens the bound where round-off grows with the inputs (float32 against PyTorch)."""
    assert got.shape == expected.shape and got.dtype == expected.dtype, what
    scale = max(1.0, float(np.abs(expected).max(initial=0.0))) * growth
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def compare_fast_and_teaching(args, kwargs, seed):
    out, cache = A.multi_head_attention_forward(*args, **kwargs)
    fast_out, fast_cache = fast.multi_head_attention_forward(*args, **kwargs)
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    assert_same_math(fast_out, out, "output")
    assert_same_math(fast_cache.weights, cache.attention.weights, "weights")
    for name, g, fast_g in zip(
        GRADS, A.multi_head_attention_backward(dout, cache), fast.multi_head_attention_backward(dout, fast_cache)
    ):
        if g is None:
            assert fast_g is None, name
        else:
            assert_same_math(fast_g, g, name)


@scaled_settings(50)
@given(setup=mha_kernel_setups())
def test_fast_equals_teaching_outputs_weights_and_every_gradient(setup):
    compare_fast_and_teaching(*setup)


@scaled_settings(30)
@given(setup=mha_kernel_setups())
def test_batch_split_over_threads_equals_teaching(setup):
    args, kwargs, seed = setup
    with every_item_its_own_thread():
        assert len(fast.multi_head_attention_forward(*args, **kwargs)[1].parts) == min(len(args[0]), 3)
        compare_fast_and_teaching(args, kwargs, seed)


@scaled_settings(20)
@given(setup=mha_kernel_setups(dtype=np.float32))
def test_float32_stays_float32_and_close_to_torch(setup):
    """In float32 against torch.nn.MultiheadAttention in float32 (no mask, no dropout): within FLOAT32_RTOL of
    the terms' size."""
    (q, k, v, h, w_in, b_in, w_out, b_out), _, seed = setup
    E = q.shape[-1]
    if b_in is None:  # torch's layer has both biases or neither
        b_out = None
    elif b_out is None:
        b_out = np.zeros(E, np.float32)
    out, cache = fast.multi_head_attention_forward(q, k, v, h, w_in, b_in, w_out, b_out)
    assert out.dtype == np.float32 and cache.weights.dtype == np.float32
    dout = np.random.default_rng(seed).standard_normal(out.shape).astype(np.float32)
    grads = fast.multi_head_attention_backward(dout, cache)
    assert all(g.dtype == np.float32 for g in grads if g is not None)
    mha = torch.nn.MultiheadAttention(E, h, bias=b_in is not None, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(w_in))
        mha.out_proj.weight.copy_(torch.from_numpy(w_out))
        if b_in is not None:
            mha.in_proj_bias.copy_(torch.from_numpy(b_in))
            mha.out_proj.bias.copy_(torch.from_numpy(b_out))
    expected = mha(*[torch.from_numpy(a) for a in (q, k, v)], need_weights=False)[0].detach().numpy()
    # float32 round-off: eps (6e-8) times the E features and S keys summed, times the inputs' size
    growth = 1 + float(max(np.abs(a).max() for a in (q, k, v)))
    assert_same_math(out, expected, "float32 output", rtol=tolerances.FLOAT32_RTOL, growth=growth)


@every_item_its_own_thread()
def test_a_cache_stays_valid_for_a_second_backward():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 6))
    args = (x, x, x, 2, rng.standard_normal((18, 6)), rng.standard_normal(18), rng.standard_normal((6, 6)), None)
    out, cache = fast.multi_head_attention_forward(*args)
    dout = rng.standard_normal(out.shape)
    first = fast.multi_head_attention_backward(dout, cache)
    fast.multi_head_attention_forward(*args)  # another pass in between
    for g1, g2 in zip(first, fast.multi_head_attention_backward(dout, cache)):
        if g1 is not None:
            np.testing.assert_array_equal(g1, g2)


def _spy(monkeypatch, calls):
    for name in ("multi_head_attention_forward", "multi_head_attention_backward"):
        real = getattr(fast, name)
        monkeypatch.setattr(fast, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))


def test_nn_multihead_attention_runs_the_fast_pair(monkeypatch):
    calls = []
    _spy(monkeypatch, calls)
    layer = MultiheadAttention(4, 2, rng=0)
    x = np.zeros((3, 1, 4))
    layer.backward(np.ones_like(layer(x, x, x)[0]))
    assert calls == ["multi_head_attention_forward", "multi_head_attention_backward"]


def test_the_bench_case_times_the_pair_nn_multihead_attention_runs(monkeypatch):
    calls = []
    _spy(monkeypatch, calls)
    ours, theirs = bench.CASES["attention"][1](np.random.default_rng(0), torch)
    ours()
    assert calls == ["multi_head_attention_forward", "multi_head_attention_backward"]
    theirs()


def test_a_wrong_cache_or_dout_is_named():
    x = np.zeros((1, 2, 4))
    args = (x, x, x, 2, np.zeros((12, 4)), None, np.zeros((4, 4)), None)
    _, cache = fast.multi_head_attention_forward(*args)
    with pytest.raises(ValueError, match="cache: expected the cache returned by dlcourse.fast.attention"):
        fast.multi_head_attention_backward(np.zeros((1, 2, 4)), A.multi_head_attention_forward(*args)[1])
    with pytest.raises(ValueError, match=r"dout: expected shape \(1, 2, 4\)"):
        fast.multi_head_attention_backward(np.zeros((2, 4)), cache)
