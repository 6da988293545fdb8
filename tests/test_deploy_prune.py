"""Chapter 13's magnitude pruning: the masks equal torch.nn.utils.prune's l1_unstructured and ln_structured on the
same weights (hypothesis-drawn, with distinct magnitudes so that the mask is unique), and the sizes it reports."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as torch_prune
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.deploy import prune as P


@st.composite
def distinct_weights(draw):
    """A conv weight (F, C, kh, kw) whose magnitudes, and whose channels' L1 and L2 norms, are all distinct."""
    shape = draw(st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
    n = int(np.prod(shape))
    order = draw(st.permutations(range(1, n + 1)))
    signs = draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    w = (np.array(order, dtype=np.float64) * np.array(signs) / n).reshape(shape)
    # channel norms: a distinct offset per output channel keeps them apart
    w = w + np.sign(w) * np.arange(shape[0]).reshape(-1, 1, 1, 1) * 1e-3
    return w


def module_with(w: np.ndarray) -> torch.nn.Module:
    m = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:]).double()
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(w))
    return m


@given(distinct_weights(), st.floats(0, 1))
@scaled_settings(40)
def test_unstructured_mask_equals_torch(w, amount):
    m = module_with(w)
    torch_prune.l1_unstructured(m, "weight", amount)
    np.testing.assert_array_equal(P.l1_unstructured_mask(w, amount), m.weight_mask.numpy())


@given(distinct_weights(), st.floats(0, 1), st.sampled_from([1, 2, np.inf]), st.integers(0, 1))
@scaled_settings(40)
def test_structured_mask_equals_torch(w, amount, n, dim):
    norms = P.channel_norms(w, n, dim)
    if len(np.unique(norms)) < len(norms):
        return  # ties: torch does not promise which slice goes
    m = module_with(w)
    torch_prune.ln_structured(m, "weight", amount, n=n, dim=dim)
    np.testing.assert_array_equal(P.ln_structured_mask(w, amount, n, dim), m.weight_mask.numpy())


def test_the_count_is_rounded_half_to_even_like_torch():
    w = np.arange(1.0, 11.0)  # 10 weights: amount 0.25 prunes round(2.5) = 2, 0.35 prunes round(3.5) = 4
    assert P.l1_unstructured_mask(w, 0.25).sum() == 8
    assert P.l1_unstructured_mask(w, 0.35).sum() == 6


def test_pruned_state_dict_sparsity_and_size():
    rng = np.random.default_rng(0)
    sd = {"0.weight": rng.standard_normal((8, 4)), "0.bias": rng.standard_normal(8)}
    pruned = P.prune_state_dict(sd, 0.75)
    assert P.sparsity(pruned) == 0.75 and np.array_equal(pruned["0.bias"], sd["0.bias"])
    assert P.sparse_nbytes(pruned) == 4 * 8 + 4 + 4 * 8
    structured = P.prune_state_dict(sd, 0.5, structured=True)
    assert np.sum(np.all(structured["0.weight"] == 0, axis=1)) == 4
    with pytest.raises(ValueError, match="amount"):
        P.l1_unstructured_mask(sd["0.weight"], 1.5)
