"""Chapter 08's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse import functional as F
from dlcourse.checks import ch08
from dlcourse.checks.delegation import unguarded
from dlcourse.functional.normalization import LayerNormCache


# -------------------------------------------------------------------------------------------------- answers
def attention(query, key, value, mask=None):
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights


def attention_large_negative(query, key, value, mask=None):
    """-1e9 instead of -inf, as many tutorials write it: also right."""
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights


def split_heads(x, num_heads):
    N, T, E = x.shape
    return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    N, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)


def positional_encoding(max_len, d_model):
    angles = np.arange(max_len)[:, None] / 10000.0 ** (np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe


def layer_norm_backward(dout, cache):
    g = dout * cache.weight
    dx = cache.inv_std * (
        g - g.mean(axis=-1, keepdims=True) - cache.x_hat * (g * cache.x_hat).mean(axis=-1, keepdims=True)
    )
    axes = tuple(range(dout.ndim - 1))
    return dx, (dout * cache.x_hat).sum(axis=axes), dout.sum(axis=axes)


ANSWERS = [
    (ch08.check_attention, attention, "attention"),
    (ch08.check_split_heads, split_heads, "split_heads"),
    (ch08.check_merge_heads, merge_heads, "merge_heads"),
    (ch08.check_positional_encoding, positional_encoding, "positional_encoding"),
    (ch08.check_layer_norm_backward, layer_norm_backward, "layer_norm_backward"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(
    ANSWERS, examples=3
)


def test_another_right_way_passes():
    assert printed(ch08.check_attention, attention_large_negative).startswith("\u2714 attention:")


def test_the_library_agrees_with_the_checks():
    """Run unguarded: as answers, the library's own kernels are delegation."""

    def attention_with_dlcourse(query, key, value, mask=None):
        out, cache = F.scaled_dot_product_attention_forward(query, key, value, mask)
        return out, cache.weights

    for check, fn in [
        (ch08.check_attention, attention_with_dlcourse),
        (ch08.check_split_heads, F.split_heads),
        (ch08.check_merge_heads, F.merge_heads),
        (ch08.check_positional_encoding, F.sinusoidal_positional_encoding),
        (ch08.check_layer_norm_backward, lambda dout, cache: F.layer_norm_backward(dout, LayerNormCache(*cache))),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


def test_delegation_is_caught():
    fails(ch08.check_split_heads, F.split_heads, "split_heads")
    fails(ch08.check_layer_norm_backward, lambda d, c: F.layer_norm_backward(d, c), "layer_norm_backward")


# -------------------------------------------------------------------------------------------------- attention
def test_attention_mistakes_are_named():
    def unscaled(q, k, v, mask=None):
        return attention(q * np.sqrt(q.shape[-1]), k, v, mask)

    def by_e(q, k, v, mask=None):
        return attention(q / np.sqrt(q.shape[-1]), k, v, mask)

    def inverted(q, k, v, mask=None):
        return attention_large_negative(q, k, v, None if mask is None else ~mask)

    def ignored(q, k, v, mask=None):
        return attention(q, k, v)

    def zeroed_after(q, k, v, mask=None):
        out, w = attention(q, k, v)
        if mask is not None:
            w = w * mask
        return w @ v, w

    def masked_to_zero(q, k, v, mask=None):
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        w = np.exp(scores - scores.max(axis=-1, keepdims=True))
        w = w / w.sum(axis=-1, keepdims=True)
        return w @ v, w

    def wrong_axis(q, k, v, mask=None):
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        w = np.exp(scores - scores.max(axis=-2, keepdims=True))
        w = w / w.sum(axis=-2, keepdims=True)
        return w @ v, w

    def unstable(q, k, v, mask=None):
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        if mask is not None:
            scores = np.where(mask, scores, -1e9)
        w = np.exp(scores)
        return (w / w.sum(axis=-1, keepdims=True)) @ v, w / w.sum(axis=-1, keepdims=True)

    def out_only(q, k, v, mask=None):
        return attention(q, k, v, mask)[0]

    def transposed_value(q, k, v, mask=None):
        out, w = attention(q, k, v, mask)
        return w @ v[..., ::-1], w

    fails(ch08.check_attention, unscaled, "weights is wrong", "divide the scores by sqrt(d_k)")
    fails(ch08.check_attention, by_e, "not by E")
    fails(ch08.check_attention, inverted, "the mask is inverted")
    fails(ch08.check_attention, ignored, "the mask was not applied")
    fails(ch08.check_attention, zeroed_after, "zeroing the weights after the softmax")
    fails(ch08.check_attention, masked_to_zero, "still gets weight exp(0)")
    fails(ch08.check_attention, wrong_axis, "over the keys (the last axis)")
    fails(ch08.check_attention, unstable, "numerical warning")
    fails(ch08.check_attention, out_only, "should return a pair (out, weights)")
    fails(ch08.check_attention, transposed_value, "out is wrong", "out = weights @ value")


# -------------------------------------------------------------------------------------------------- heads
def test_split_heads_mistakes_are_named():
    def reshape_only(x, h):
        N, T, E = x.shape
        return x.reshape(N, h, T, E // h)

    def interleaved(x, h):
        N, T, E = x.shape
        return x.reshape(N, T, E // h, h).transpose(0, 3, 1, 2)

    def no_transpose(x, h):
        N, T, E = x.shape
        return x.reshape(N, T, h, E // h)

    fails(ch08.check_split_heads, reshape_only, "split_heads(x (2, 5, 8), num_heads=2)", "reshape to (N, T, h, E/h)")
    fails(ch08.check_split_heads, interleaved, "every h-th feature")
    fails(ch08.check_split_heads, no_transpose, "shape", "swap axes 1 and 2")


def test_merge_heads_mistakes_are_named():
    def reshape_only(x):
        N, h, T, d = x.shape
        return x.reshape(N, T, h * d)

    def interleaved(x):
        N, h, T, d = x.shape
        return x.transpose(0, 2, 3, 1).reshape(N, T, h * d)

    fails(ch08.check_merge_heads, reshape_only, "mixes heads and positions")
    fails(ch08.check_merge_heads, interleaved, "not interleaved")


# -------------------------------------------------------------------------------------------------- positions
def test_positional_encoding_mistakes_are_named():
    def swapped(n, d):
        pe = positional_encoding(n, d)
        out = np.zeros_like(pe)
        angles = np.arange(n)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
        out[:, 0::2], out[:, 1::2] = np.cos(angles), np.sin(angles[:, : d // 2])
        return out

    def column_index(n, d):
        j = np.arange(d)
        angles = np.arange(n)[:, None] / 10000.0 ** (j / d)
        return np.where(j % 2 == 0, np.sin(angles), np.cos(angles))

    def halves(n, d):
        angles = np.arange(n)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
        return np.concatenate([np.sin(angles), np.cos(angles[:, : d // 2])], axis=1)

    def from_one(n, d):
        return positional_encoding(n + 1, d)[1:]

    fails(ch08.check_positional_encoding, swapped, "sines go in the even columns")
    fails(ch08.check_positional_encoding, column_index, "share one frequency")
    fails(ch08.check_positional_encoding, halves, "interleave the two")
    fails(ch08.check_positional_encoding, lambda n, d: positional_encoding(n, d).T, "(10, 8)", "transposed")
    fails(ch08.check_positional_encoding, from_one, "positions start at 0")


# -------------------------------------------------------------------------------------------------- layer norm
def test_layer_norm_backward_mistakes_are_named():
    def no_mean_terms(dout, cache):
        _, dw, db = layer_norm_backward(dout, cache)
        return dout * cache.weight * cache.inv_std, dw, db

    def no_variance_term(dout, cache):
        _, dw, db = layer_norm_backward(dout, cache)
        g = dout * cache.weight
        return cache.inv_std * (g - g.mean(axis=-1, keepdims=True)), dw, db

    def no_gamma(dout, cache):
        _, dw, db = layer_norm_backward(dout, cache)
        g, xh = dout, cache.x_hat
        return cache.inv_std * (g - g.mean(-1, keepdims=True) - xh * (g * xh).mean(-1, keepdims=True)), dw, db

    def swapped(dout, cache):
        dx, dw, db = layer_norm_backward(dout, cache)
        return dx, db, dw

    def not_summed(dout, cache):
        dx, _, _ = layer_norm_backward(dout, cache)
        return dx, dout * cache.x_hat, dout

    fails(ch08.check_layer_norm_backward, no_mean_terms, "dx is wrong", "misses what the mean and the variance")
    fails(ch08.check_layer_norm_backward, no_variance_term, "the term through the variance is missing")
    fails(ch08.check_layer_norm_backward, no_gamma, "use g = dout * weight")
    fails(ch08.check_layer_norm_backward, swapped, "dweight and dbias are swapped")
    fails(ch08.check_layer_norm_backward, not_summed, "dweight", "sum over the batch")
    fails(ch08.check_layer_norm_backward, lambda dout, cache: layer_norm_backward(dout, cache)[:2], "3 gradient(s)")
