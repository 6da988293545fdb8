"""Bad input to chapter 08's kernels and layers (attention, multi-head attention, layer norm, dropout, positional
encoding, the Transformer encoder layer) gets a ValueError that names the argument and says what was expected, and a
backward pass before a forward pass, or a second one after the same forward pass, a RuntimeError (as the other layers
of dlcourse.nn and PyTorch's autograd)."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.functional import attention as A
from dlcourse.functional import normalization as LN
from dlcourse.functional import regularization as D
from dlcourse.functional.activations import gelu_backward
from dlcourse.functional.positional import sinusoidal_positional_encoding
from dlcourse.nn.activation import GELU
from dlcourse.nn.attention import MultiheadAttention
from dlcourse.nn.dropout import Dropout
from dlcourse.nn.normalization import LayerNorm
from dlcourse.nn.transformer import PositionalEncoding, TransformerEncoderLayer

Z = np.zeros
Q, K, V = Z((2, 3, 4)), Z((2, 5, 4)), Z((2, 5, 6))


def sdpa(**kwargs):
    args = {"query": Q, "key": K, "value": V, **kwargs}
    return A.scaled_dot_product_attention(**args)


KERNEL_CALLS = {
    "query-1d": (lambda: sdpa(query=Z(4)), ["query:", "(*, length, features)", "(4,)"]),
    "query-strings": (lambda: sdpa(query=[["a"]]), ["query:", "numbers"]),
    "query-complex": (lambda: sdpa(query=Z((2, 3, 4), complex)), ["query:", "real"]),
    "key-features": (lambda: sdpa(key=Z((2, 5, 3))), ["key:", "E=4", "(2, 5, 3)"]),
    "key-batch": (lambda: sdpa(key=Z((3, 5, 4))), ["key:", "leading", "(3, 5, 4)"]),
    "value-length": (lambda: sdpa(value=Z((2, 4, 6))), ["value:", "S=5", "(2, 4, 6)"]),
    "mask-shape": (lambda: sdpa(attn_mask=np.ones((3, 4), bool)), ["attn_mask:", "(2, 3, 5)", "(3, 4)"]),
    "mask-and-causal": (lambda: sdpa(attn_mask=np.ones((3, 5), bool), is_causal=True), ["attn_mask:", "is_causal"]),
    "causal-string": (lambda: sdpa(is_causal="yes"), ["is_causal:", "True or False", "'yes'"]),
    "dropout-p": (lambda: sdpa(dropout_p=1.5, rng=0), ["dropout_p:", "probability", "1.5"]),
    "scale-nan": (lambda: sdpa(scale=float("nan")), ["scale:", "nan"]),
    "split-divisor": (lambda: A.split_heads(Z((2, 3, 4)), 3), ["num_heads:", "divisor", "E=4", "3"]),
    "split-zero": (lambda: A.split_heads(Z((2, 3, 4)), 0), ["num_heads:", "positive integer", "0"]),
    "split-2d": (lambda: A.split_heads(Z((3, 4)), 2), ["x:", "3-D", "(3, 4)"]),
    "merge-3d": (lambda: A.merge_heads(Z((2, 3, 4))), ["x:", "4-D", "(2, 3, 4)"]),
    "mha-in-proj": (
        lambda: A.multi_head_attention_forward(Q, Q, Q, 2, Z((8, 4)), None, Z((4, 4)), None),
        ["in_proj_weight:", "(3E, E)", "(12, 4)", "(8, 4)"],
    ),
    "mha-heads": (
        lambda: A.multi_head_attention_forward(Q, Q, Q, 3, Z((12, 4)), None, Z((4, 4)), None),
        ["num_heads:", "divisor", "E=4"],
    ),
    "mha-value": (
        lambda: A.multi_head_attention_forward(Q, K, Z((2, 4, 4)), 2, Z((12, 4)), None, Z((4, 4)), None),
        ["value:", "(2, 5, 4)", "(2, 4, 4)"],
    ),
    "ln-trailing": (lambda: LN.layer_norm(Z((2, 3)), (4,)), ["input:", "normalized_shape=(4,)", "(2, 3)"]),
    "ln-shape-str": (lambda: LN.layer_norm(Z((2, 3)), "3"), ["normalized_shape:", "'3'"]),
    "ln-shape-empty": (lambda: LN.layer_norm(Z((2, 3)), ()), ["normalized_shape:", "non-empty"]),
    "ln-weight": (lambda: LN.layer_norm(Z((2, 3)), 3, Z(2)), ["weight:", "(3,)", "(2,)"]),
    "ln-bias": (lambda: LN.layer_norm(Z((2, 3)), 3, None, Z((1, 3))), ["bias:", "(3,)", "(1, 3)"]),
    "ln-eps": (lambda: LN.layer_norm(Z((2, 3)), 3, eps=-1.0), ["eps:", ">= 0", "-1.0"]),
    "dropout-p-2": (lambda: D.dropout_forward(Z(3), 2.0, rng=0), ["p:", "probability", "2.0"]),
    "dropout-training": (lambda: D.dropout_forward(Z(3), 0.5, "no", rng=0), ["training:", "True or False"]),
    "dropout-rng": (lambda: D.dropout_forward(Z(3), 0.5, rng="seed"), ["rng:", "Generator", "str"]),
    "pe-max-len": (lambda: sinusoidal_positional_encoding(-1, 4), ["max_len:", ">= 0", "-1"]),
    "pe-d-model": (lambda: sinusoidal_positional_encoding(3, 0), ["d_model:", "positive integer", "0"]),
    "pe-base": (lambda: sinusoidal_positional_encoding(3, 4, base=0), ["base:", "positive", "0"]),
    "pe-dtype": (lambda: sinusoidal_positional_encoding(3, 4, dtype=np.int64), ["dtype:", "floating", "int64"]),
}


@pytest.mark.parametrize("name", sorted(KERNEL_CALLS))
def test_kernel_errors_name_the_argument(name):
    call, words = KERNEL_CALLS[name]
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


BACKWARD_CASES = {
    "attention": (lambda: A.scaled_dot_product_attention_forward(Q, K, V), A.scaled_dot_product_attention_backward),
    "layer_norm": (lambda: LN.layer_norm_forward(Z((2, 3)), 3), LN.layer_norm_backward),
    "dropout": (lambda: D.dropout_forward(Z((2, 3)), 0.5, rng=0), D.dropout_backward),
    "multi_head_attention": (
        lambda: A.multi_head_attention_forward(Q, Q, Q, 2, Z((12, 4)), None, Z((4, 4)), None),
        A.multi_head_attention_backward,
    ),
}


@pytest.mark.parametrize("name", sorted(BACKWARD_CASES))
def test_backward_names_a_wrong_dout_or_cache(name):
    forward, backward = BACKWARD_CASES[name]
    out, cache = forward()
    bad = out.shape[:-1]
    with pytest.raises(ValueError) as info:
        backward(np.ones(bad), cache)
    assert "dout:" in str(info.value) and str(out.shape) in str(info.value) and str(bad) in str(info.value)
    with pytest.raises(ValueError, match="cache: expected the cache returned by .*_forward"):
        backward(np.ones(out.shape), (out, cache))
    backward(np.ones(out.shape), cache)  # the failed calls used up nothing


def test_gelu_backward_names_a_wrong_cache():
    with pytest.raises(ValueError, match="cache: expected the cache returned by gelu_forward"):
        gelu_backward(np.ones(3), None)


CONSTRUCTORS = {
    "mha-divisor": (lambda: MultiheadAttention(5, 2), ["num_heads:", "divisor", "embed_dim=5", "2"]),
    "mha-embed": (lambda: MultiheadAttention(0, 1), ["embed_dim:", "positive integer", "0"]),
    "mha-dropout": (lambda: MultiheadAttention(4, 2, dropout=2.0), ["dropout:", "probability", "2.0"]),
    "mha-batch-first": (lambda: MultiheadAttention(4, 2, batch_first="yes"), ["batch_first:", "'yes'"]),
    "mha-kdim": (lambda: MultiheadAttention(4, 2, kdim=3), ["kdim:", "None or embed_dim=4", "3"]),
    "layer-norm-shape": (lambda: LayerNorm("4"), ["normalized_shape:", "'4'"]),
    "layer-norm-eps": (lambda: LayerNorm(4, eps=float("nan")), ["eps:", "nan"]),
    "dropout-p": (lambda: Dropout(-0.1), ["p:", "probability", "-0.1"]),
    "encoder-nhead": (lambda: TransformerEncoderLayer(5, 2), ["nhead:", "divisor", "d_model=5", "2"]),
    "encoder-activation": (lambda: TransformerEncoderLayer(4, 2, activation="tanh"), ["activation:", "'tanh'"]),
    "encoder-norm-first": (lambda: TransformerEncoderLayer(4, 2, norm_first=1), ["norm_first:", "True or False"]),
    "encoder-ff": (lambda: TransformerEncoderLayer(4, 2, dim_feedforward=0), ["dim_feedforward:", "0"]),
    "pe-d-model": (lambda: PositionalEncoding(0), ["d_model:", "positive integer"]),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructor_errors_name_the_argument(name):
    make, words = CONSTRUCTORS[name]
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def mha_call(layer, **kwargs):
    x = np.zeros((3, 2, 4))  # (L, N, E)
    return layer(kwargs.pop("query", x), x, x, **kwargs)


FORWARD_CALLS = {
    "mha-query-features": (
        lambda: mha_call(MultiheadAttention(4, 2, rng=0), query=Z((3, 2, 5))),
        ["query:", "(L, N, E)", "E=4", "(3, 2, 5)"],
    ),
    "mha-mixed-batching": (
        lambda: MultiheadAttention(4, 2, rng=0)(Z((3, 4)), Z((3, 2, 4)), Z((3, 2, 4))),
        ["key:", "(3, 2, 4)"],
    ),
    "mha-padding": (
        lambda: mha_call(MultiheadAttention(4, 2, rng=0), key_padding_mask=np.zeros((3, 2), bool)),
        ["key_padding_mask:", "(2, 3)", "(3, 2)"],
    ),
    "mha-attn-mask": (
        lambda: mha_call(MultiheadAttention(4, 2, rng=0), attn_mask=np.zeros((2, 3), bool)),
        ["attn_mask:", "(3, 3)", "(4, 3, 3)", "(2, 3)"],
    ),
    "mha-need-weights": (
        lambda: mha_call(MultiheadAttention(4, 2, rng=0), need_weights="yes"),
        ["need_weights:", "'yes'"],
    ),
    "layer-norm-input": (lambda: LayerNorm(4)(Z((2, 3))), ["input:", "(4,)", "(2, 3)"]),
    "encoder-src": (lambda: TransformerEncoderLayer(4, 2, rng=0)(Z((3, 2, 5))), ["src:", "d_model=4", "(3, 2, 5)"]),
    "pe-too-long": (lambda: PositionalEncoding(4, max_len=3)(Z((5, 4))), ["x:", "max_len=3", "(5, 4)"]),
}


@pytest.mark.parametrize("name", sorted(FORWARD_CALLS))
def test_forward_errors_name_the_argument(name):
    call, words = FORWARD_CALLS[name]
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# name -> (a fresh layer, its forward pass on an example): every layer of chapter 08
LAYERS = {
    "MultiheadAttention": (lambda: MultiheadAttention(4, 2, rng=0), lambda m: m(*[Z((3, 2, 4))] * 3)[0]),
    "LayerNorm": (lambda: LayerNorm(4), lambda m: m(np.arange(8.0).reshape(2, 4))),
    "Dropout": (lambda: Dropout(0.5, rng=0), lambda m: m(np.ones((2, 4)))),
    "GELU": (GELU, lambda m: m(np.ones((2, 4)))),
    "TransformerEncoderLayer": (lambda: TransformerEncoderLayer(4, 2, 8, rng=0), lambda m: m(np.ones((3, 2, 4)))),
    "PositionalEncoding": (lambda: PositionalEncoding(4), lambda m: m(np.ones((3, 2, 4)))),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_backward_before_forward_raises_naming_the_layer(name):
    make, forward = LAYERS[name]
    shape = forward(make()).shape
    with pytest.raises(RuntimeError) as info:
        make().backward(np.ones(shape))
    assert f"{name}.backward" in str(info.value) and "forward" in str(info.value)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_second_backward_raises_and_a_new_forward_allows_one(name):
    make, forward = LAYERS[name]
    layer = make()
    out = forward(layer)
    layer.backward(np.ones(out.shape))
    grads = {p.name: p.grad.copy() for p in layer.parameters()}
    with pytest.raises(RuntimeError, match="second") as info:
        layer.backward(np.ones(out.shape))
    assert "forward again" in str(info.value)
    for p in layer.parameters():  # nothing was added
        np.testing.assert_array_equal(p.grad, grads[p.name])
    forward(layer)
    layer.backward(np.ones(out.shape))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_dout_of_the_wrong_shape_is_named_and_a_right_one_still_works(name):
    make, forward = LAYERS[name]
    layer = make()
    out = forward(layer)
    bad = out.shape + (1,)
    with pytest.raises(ValueError) as info:
        layer.backward(np.ones(bad))
    assert "dout:" in str(info.value) and str(out.shape) in str(info.value) and str(bad) in str(info.value)
    layer.backward(np.ones(out.shape))
