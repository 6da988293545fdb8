"""Chapter 16's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with
a message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import ch16
from dlcourse.checks.delegation import unguarded
from dlcourse.functional import embedding as E
from dlcourse.functional import top_k as TK
from dlcourse.language import bpe


# -------------------------------------------------------------------------------------------------- answers
def embedding_backward(dout, indices, num_embeddings):
    dweight = np.zeros((num_embeddings, dout.shape[-1]))
    np.add.at(dweight, indices.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    return dweight


def bpe_merge(words, counts, symbols):
    pairs = Counter()
    for word, n in zip(words, counts):
        for p in zip(word[:-1], word[1:]):
            pairs[p] += n
    age = {s: i for i, s in enumerate(symbols)}
    best = max(pairs, key=lambda p: (pairs[p], -age[p[0]], -age[p[1]]))
    merged = []
    for word in words:
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        merged.append(out)
    return best, merged


def causal_attention(q, k, v):
    T = q.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ v


def top_k_probs(logits, k, temperature):
    kth = np.sort(logits, axis=-1)[..., -k][..., None]
    z = np.where(logits >= kth, logits / temperature, -np.inf)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ANSWERS = [
    (ch16.check_embedding_backward, embedding_backward, "embedding_backward"),
    (ch16.check_bpe_merge, bpe_merge, "bpe_merge"),
    (ch16.check_causal_attention, causal_attention, "causal_attention"),
    (ch16.check_top_k, top_k_probs, "top_k_probs"),
]


@pytest.mark.parametrize("check, fn, name", ANSWERS, ids=[a[2] for a in ANSWERS])
def test_correct_answers_pass_with_one_line(check, fn, name):
    out = printed(check, fn)
    assert out.startswith(f"\u2714 {name}:") and out.count("\n") == 1, out


@given(st.integers(0, 10_000))
@scaled_settings(3)
def test_correct_answers_pass_for_any_seed(seed):
    for check, fn, _ in ANSWERS:
        printed(check, fn, seed=seed)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")


def test_the_library_agrees_with_the_checks():
    def with_kernel(dout, indices, num_embeddings):
        _, cache = E.embedding_forward(indices, np.zeros((num_embeddings, dout.shape[-1])))
        return E.embedding_backward(dout, cache)

    def with_bpe(words, counts, symbols):
        return ch16.bpe_merge_reference(words, counts, symbols)

    with unguarded():
        assert "\u2714" in printed(ch16.check_embedding_backward, with_kernel)
        assert "\u2714" in printed(ch16.check_top_k, TK.top_k_probs)
        assert "\u2714" in printed(ch16.check_bpe_merge, with_bpe)


def test_the_merge_rule_is_tokenizers_first_merge():
    """The check's reference picks the pair Hugging Face's BpeTrainer merges first, ties included."""
    for corpus in (["ab ba cd"], ["ac ab"], ["the then there"], ["xyyx yxxy"], ["aaa aaaa b b b b"]):
        table = bpe.word_frequencies(corpus)
        words, counts = [list(w) for w in table], list(table.values())
        symbols = sorted({s for w in words for s in w})
        best, _ = ch16.bpe_merge_reference(words, counts, symbols)
        assert best == bpe.train_hf_bpe(corpus, len(symbols) + 1)[0], corpus


# -------------------------------------------------------------------------------------------------- mistakes
def test_embedding_assignment_instead_of_scatter_add():
    def fancy(dout, indices, num_embeddings):
        dweight = np.zeros((num_embeddings, dout.shape[-1]))
        dweight[indices.reshape(-1)] += dout.reshape(-1, dout.shape[-1])
        return dweight

    fails(ch16.check_embedding_backward, fancy, "np.add.at")
    fails(ch16.check_embedding_backward, lambda d, i, n: d, "one row per id")


def test_embedding_delegation_is_caught():
    def through_kernel(dout, indices, num_embeddings):
        _, cache = E.embedding_forward(indices, np.zeros((num_embeddings, dout.shape[-1])))
        return E.embedding_backward(dout, cache)

    fails(ch16.check_embedding_backward, through_kernel, "embedding")


def test_bpe_alphabetical_ties_and_unweighted_counts_fail():
    def alphabetical(words, counts, symbols):
        return bpe_merge(words, counts, sorted(symbols))

    def unweighted(words, counts, symbols):
        return bpe_merge(words, [1] * len(words), symbols)

    def overlapping(words, counts, symbols):
        best, _ = bpe_merge(words, counts, symbols)
        joined = best[0] + best[1]
        merged = []
        for w in words:
            out = [w[0]] if w else []
            for s in w[1:]:
                out[-1:] = (
                    [joined]
                    if (out[-1], s) == best or (out[-1] == joined and s == best[1] and best[0] == best[1])
                    else [out[-1], s]
                )
            merged.append(out)
        return best, merged

    fails(ch16.check_bpe_merge, unweighted, "weight each word's pairs by its count")
    msg = fails(ch16.check_bpe_merge, alphabetical, "expected")
    assert "symbols" in msg
    fails(ch16.check_bpe_merge, overlapping, "without overlap")


def test_causal_attention_mistakes():
    def no_mask(q, k, v):
        s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        w = np.exp(s - s.max(axis=-1, keepdims=True))
        return (w / w.sum(axis=-1, keepdims=True)) @ v

    def upper(q, k, v):
        T = q.shape[-2]
        s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        s = np.where(np.triu(np.ones((T, T), dtype=bool)), s, -np.inf)
        w = np.exp(s - s.max(axis=-1, keepdims=True))
        return (w / w.sum(axis=-1, keepdims=True)) @ v

    def unscaled(q, k, v):
        return causal_attention(q * np.sqrt(q.shape[-1]), k, v)

    fails(ch16.check_causal_attention, no_mask, "no mask")
    fails(ch16.check_causal_attention, upper, "wrong triangle")
    fails(ch16.check_causal_attention, unscaled, "sqrt(d_k)")


def test_top_k_mistakes():
    def not_renormalised(logits, k, temperature):
        p = np.exp(logits / temperature - (logits / temperature).max(axis=-1, keepdims=True))
        p = p / p.sum(axis=-1, keepdims=True)
        kth = np.sort(logits, axis=-1)[..., -k][..., None]
        return np.where(logits >= kth, p, 0.0)

    def no_temperature(logits, k, temperature):
        return top_k_probs(logits, k, 1.0)

    fails(ch16.check_top_k, not_renormalised, "renormalise")
    fails(ch16.check_top_k, no_temperature, "temperature")
    fails(ch16.check_top_k, lambda z, k, t: TK.top_k_probs(z, k, t), "top_k_probs")
