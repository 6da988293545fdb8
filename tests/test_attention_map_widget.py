"""Chapter 08's attention viewer, driven headlessly: the maps it shows are torch.nn.MultiheadAttention's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.checks import tolerances as tol
from dlcourse.nn.attention import MultiheadAttention
from dlcourse.viz.attention_map import AttentionMaps, AttentionViewer, self_attention_maps

E, HEADS = 8, 2


@pytest.fixture(scope="module")
def stack():
    return [MultiheadAttention(E, HEADS, rng=seed) for seed in (0, 1)]


def embed(text: str) -> np.ndarray:
    """A fixed embedding per character (its code point seeds it)."""
    return np.stack([np.random.default_rng(ord(ch)).standard_normal(E) for ch in text])


def attend(stack):
    return lambda text: self_attention_maps(stack, embed(text), list(text))


def test_the_maps_are_torchs(stack):
    text = "12 March"
    maps = attend(stack)(text)
    x = torch.tensor(embed(text))
    for layer, ours in zip(stack, maps.weights):
        mha = torch.nn.MultiheadAttention(E, HEADS).double()
        mha.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
        x, w = mha(x, x, x, need_weights=True, average_attn_weights=False)
        np.testing.assert_allclose(ours, w.detach().numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-15)
    assert maps.weights.shape == (2, HEADS, len(text), len(text))


def test_viewer_follows_the_text_the_layer_and_the_head(stack):
    v = AttentionViewer(attend(stack), "12 March", layers=2, heads=HEADS)
    assert v.png[:8] == b"\x89PNG\r\n\x1a\n" and "where each query looks most" in v.status.value
    v.controls["text"].value = "march 3"
    assert v.maps.keys == list("march 3") and v.result[1:] == (0, None)
    v.controls["layer"].value, v.controls["head"].value = 2, 2
    assert v.result[1:] == (1, 1)
    assert "image/png" in v._repr_mimebundle_()


def test_maps_must_be_distributions_of_the_right_shape():
    with pytest.raises(ValueError, match=r"^weights: expected shape \(layers, heads, 2, 3\)"):
        AttentionMaps(list("abc"), list("xy"), np.full((1, 1, 3, 2), 0.5))
    with pytest.raises(ValueError, match=r"^weights: expected every row to be a probability distribution"):
        AttentionMaps(list("ab"), list("xy"), np.full((1, 1, 2, 2), 0.6))


def test_viewer_names_a_bad_attend(stack):
    with pytest.raises(ValueError, match="^attend: expected a function"):
        AttentionViewer("not a function", "x", layers=1, heads=1)
    with pytest.raises(ValueError, match="^attend: returned weights for 2 layers and 2 heads, expected 1 and 2"):
        AttentionViewer(attend(stack), "x", layers=1, heads=HEADS)
    with pytest.raises(ValueError, match="^attend: expected it to return AttentionMaps"):
        AttentionViewer(lambda text: None, "x", layers=1, heads=1)
