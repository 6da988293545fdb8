"""Checks for chapter 16's exercises (embeddings, tokenisation and a GPT).

* ``exercise-16-embedding-backward``: ``embedding_backward(dout, indices, num_embeddings)``,
  :func:`check_embedding_backward`;
* ``exercise-16-bpe-merge``: ``bpe_merge(words, counts, symbols)``, :func:`check_bpe_merge`;
* ``exercise-16-causal-attention``: ``causal_attention(q, k, v)``, :func:`check_causal_attention`;
* ``exercise-16-top-k``: ``top_k_probs(logits, k, temperature)``, :func:`check_top_k`.

References: autograd through ``torch.nn.functional.embedding`` (float64) for the embedding's gradient;
``torch.nn.functional.scaled_dot_product_attention(..., is_causal=True)`` (float64) for causal attention; the
softmax of ``torch.topk``'s logits over the temperature for top-k; and, for one step of byte-pair encoding, the
chapter's rule written out with ``collections.Counter`` (the tests show that it picks the first merge of Hugging
Face's ``BpeTrainer``). Each check recognises the typical mistakes of its exercise and names them in the hint.
``seed`` varies the random cases. Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import first_hint, pair
from .calls import Call, make_case
from .exercise import Exercise
from .runner import Check

_TORCH = "The PyTorch reference of a check"


# ------------------------------------------------------------------------------------------ embedding backward
def embedding_backward_cases(seed: int = 0) -> list[dict]:
    """(dout, indices, num_embeddings): repeated ids in a sentence, a batch of sequences, one id everywhere, and
    ids that never occur (their rows must stay zero)."""
    rng = np.random.default_rng(seed)
    cases = [
        (np.array([3, 1, 3, 0, 3]), 5, 4),
        (rng.integers(0, 6, (2, 7)), 6, 3),
        (np.full((3, 4), 2), 4, 5),
        (rng.integers(0, 4, (4,)), 10, 2),
    ]
    return [
        {"dout": rng.standard_normal(idx.shape + (D,)), "indices": idx.astype(np.int64), "num_embeddings": V}
        for idx, V, D in cases
    ]


def _torch_embedding_grad(dout: np.ndarray, indices: np.ndarray, V: int) -> np.ndarray:
    torch = _lazy.torch(_TORCH)
    weight = torch.zeros(V, dout.shape[-1], dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.embedding(torch.as_tensor(indices), weight)
    out.backward(torch.as_tensor(dout))
    return weight.grad.numpy()


def _judge_embedding_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("embedding_backward")
    for case, call in zip(cases, calls):
        dout, idx, V = case["args"].values()
        label = f"embedding_backward(dout {dout.shape}, indices {idx.shape}, num_embeddings={V})"
        got = check.result(call, label)
        expected = _torch_embedding_grad(dout, idx, V)
        last_wins = np.zeros_like(expected)
        last_wins[idx.reshape(-1)] = dout.reshape(-1, dout.shape[-1])
        mistakes = [
            (
                last_wins,
                "dweight[indices] += dout (or = dout) keeps only one gradient per repeated id: NumPy's fancy "
                "assignment does not add up repeats. Use a scatter-add, np.add.at(dweight, indices.ravel(), "
                "dout.reshape(-1, D)).",
            ),
            (
                np.bincount(idx.reshape(-1), minlength=V)[:, None] * np.ones_like(expected),
                "you counted the ids; each row gets the *sum of the upstream gradients* of the positions that "
                "hold its id.",
            ),
        ]
        hint = first_hint(got, mistakes, expected)
        if hint is None and isinstance(got, np.ndarray) and got.shape == dout.shape:
            hint = "the gradient belongs to the table: shape (num_embeddings, D), one row per id, not per position."
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals autograd through torch.nn.functional.embedding in {len(cases)} cases (repeated ids, a batch, "
        "ids never used)"
    )


EMBEDDING_BACKWARD = Exercise(
    "16-embedding-backward",
    "embedding_backward",
    "embedding_backward",
    lambda seed: [make_case(c) for c in embedding_backward_cases(seed)],
    _judge_embedding_backward,
    forbidden=(
        "dlcourse.functional.embedding.embedding_backward",
        "dlcourse.functional.embedding.embedding_forward",
        "dlcourse.nn.Embedding",
        "torch.nn.functional.embedding",
        "torch.nn.Embedding",
    ),
)


def check_embedding_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout (*, D), indices (*), num_embeddings)`` -> dweight (num_embeddings, D): each position's gradient
    added into the row of its id (a scatter-add), as autograd through ``torch.nn.functional.embedding``."""
    EMBEDDING_BACKWARD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ one BPE merge
def bpe_merge_reference(
    words: Sequence[Sequence[str]], counts: Sequence[int], symbols: Sequence[str]
) -> tuple[tuple[str, str] | None, list[list[str]]]:
    """The chapter's rule: the most frequent adjacent pair (each word's pairs weighted by its count), ties to the
    pair whose left, then right, symbol comes first in ``symbols``; and every word with that pair merged left to
    right without overlap. Returns ``(pair, merged words)``, or ``(None, words)`` when no pair is left."""
    pairs: Counter = Counter()
    for word, n in zip(words, counts):
        for a, b in zip(word[:-1], word[1:]):
            pairs[(a, b)] += n
    if not pairs:
        return None, [list(w) for w in words]
    rank = {s: i for i, s in enumerate(symbols)}
    best = min(pairs, key=lambda p: (-pairs[p], rank[p[0]], rank[p[1]]))
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


def bpe_merge_cases(seed: int = 0) -> list[dict]:
    """Tables of words (lists of symbols), their counts and the symbols by age: a clear winner, a tie decided by
    the left symbol, a tie decided by the right symbol, an overlap (``a a a``), a word with the pair twice, and a
    random table."""
    rng = np.random.default_rng(seed)
    letters = list("abcde")
    random_words = ["".join(rng.choice(letters, rng.integers(1, 6))) for _ in range(8)]
    tables = [
        ([["l", "o", "w"], ["l", "o", "w", "e", "r"], ["n", "e", "w", "e", "s", "t"]], [5, 2, 6]),
        ([["b", "a"], ["a", "b"], ["c", "d"]], [3, 3, 3]),  # three-way tie: ("a", "b") has the oldest left symbol
        ([["a", "c"], ["a", "b"]], [2, 2]),  # tie on the left symbol: the right decides
        ([["a", "a", "a"], ["a", "a", "a", "a"], ["b"]], [1, 1, 4]),
        ([["t", "h", "e", " ", "t", "h", "e"], ["th", "e", "n"]], [1, 2]),
        ([list(w) for w in random_words], [int(n) for n in rng.integers(1, 5, len(random_words))]),
    ]
    cases = []
    for words, counts in tables:
        symbols = sorted({s for w in words for s in w}, key=lambda s: (len(s), s))
        if rng.random() < 0.5 and len(symbols) > 2:  # an age order that is not the alphabet's
            symbols = symbols[1:] + symbols[:1]
        cases.append({"words": words, "counts": counts, "symbols": symbols})
    return cases


def _as_words(got: Any) -> list[list[str]] | None:
    try:
        return [[str(s) for s in w] for w in got]
    except TypeError:
        return None


def _judge_bpe_merge(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("bpe_merge")
    for case, call in zip(cases, calls):
        words, counts, symbols = case["args"].values()
        label = f"bpe_merge(words {[''.join(w) for w in words]}, counts {counts}, symbols {symbols})"
        got = check.result(call, label)
        got_pair, got_words = pair(check, got, label, "pair, merged_words")
        best, merged = bpe_merge_reference(words, counts, symbols)
        got_pair = None if got_pair is None else tuple(got_pair) if isinstance(got_pair, (tuple, list)) else got_pair
        if got_pair != best:
            unweighted = Counter(p for w in words for p in zip(w[:-1], w[1:]))
            hint = None
            if best is not None and got_pair in unweighted and unweighted[got_pair] == max(unweighted.values()):
                hint = "weight each word's pairs by its count: a word that occurs n times adds n to each of its pairs."
            weighted = Counter()
            for w, n in zip(words, counts):
                for p in zip(w[:-1], w[1:]):
                    weighted[p] += n
            alphabetical = sorted(weighted, key=lambda p: (-weighted[p], p))
            if hint is None and alphabetical and got_pair == alphabetical[0]:
                hint = (
                    "among pairs of equal count, the tie goes to the pair whose left symbol comes first in "
                    "`symbols` (the older symbol), then whose right symbol does; not to the alphabetically first."
                )
            check.fail(f"{label}: chose {got_pair!r}, expected {best!r}.", hint)
        if _as_words(got_words) != merged:
            hint = None
            if any(len(w) >= 3 and w[0] == w[1] == w[2] for w in words):
                hint = (
                    "merge left to right without overlap: with the pair ('a', 'a'), a a a becomes aa a, and a a a a "
                    "becomes aa aa."
                )
            check.fail(f"{label}: merged words {_as_words(got_words)!r}, expected {merged!r}.", hint)
    return check.pass_line(
        f"the pair and the merged words equal the chapter's rule in {len(cases)} tables (ties, overlaps, counts)"
    )


BPE_MERGE = Exercise(
    "16-bpe-merge",
    "bpe_merge",
    "bpe_merge",
    lambda seed: [make_case(c) for c in bpe_merge_cases(seed)],
    _judge_bpe_merge,
    forbidden=(
        "dlcourse.language.bpe.train_bpe",
        "dlcourse.language.bpe.merge_word",
        "dlcourse.language.bpe.train_hf_bpe",
        "dlcourse.checks.ch16.bpe_merge_reference",
        "tokenizers.trainers.BpeTrainer",
    ),
)


def check_bpe_merge(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(words, counts, symbols)`` -> (pair, merged_words): the most frequent adjacent pair over the table
    (ties to the older left, then right, symbol of ``symbols``), and every word with it merged."""
    BPE_MERGE.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ causal attention
def causal_attention_cases(seed: int = 0) -> list[dict]:
    """q, k, v of one sequence, of a batch, of a batch of heads, one position, and scores in the hundreds."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.standard_normal(shape)

    return [
        {"q": normal(5, 4), "k": normal(5, 4), "v": normal(5, 3)},
        {"q": normal(2, 6, 8), "k": normal(2, 6, 8), "v": normal(2, 6, 8)},
        {"q": normal(2, 3, 4, 4), "k": normal(2, 3, 4, 4), "v": normal(2, 3, 4, 2)},
        {"q": normal(1, 1, 4), "k": normal(1, 1, 4), "v": normal(1, 1, 4)},
        {"q": 30 * normal(2, 5, 6), "k": 30 * normal(2, 5, 6), "v": normal(2, 5, 3)},
    ]


def _softmax(s: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def _judge_causal_attention(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch(_TORCH)
    check = Check("causal_attention")
    for case, call in zip(cases, calls):
        q, k, v = case["args"].values()
        label = f"causal_attention(q {q.shape}, k {k.shape}, v {v.shape})"
        got = check.result(call, label)
        expected = torch.nn.functional.scaled_dot_product_attention(
            *(torch.as_tensor(a) for a in (q, k, v)), is_causal=True
        ).numpy()
        T, E = q.shape[-2], q.shape[-1]
        raw = q @ np.swapaxes(k, -1, -2)
        lower = np.tril(np.ones((T, T), dtype=bool))
        mistakes = [
            (_softmax(raw / math.sqrt(E)) @ v, "no mask: position t may attend to positions 0 .. t only."),
            (
                _softmax(np.where(np.triu(np.ones((T, T), dtype=bool)), raw / math.sqrt(E), -np.inf)) @ v,
                "the mask is the wrong triangle: position t sees 0 .. t (np.tril), not t .. T-1.",
            ),
            (
                _softmax(np.where(np.tril(np.ones((T, T), dtype=bool), -1), raw / math.sqrt(E), -1e30)) @ v,
                "position t may attend to itself too: keep the diagonal (np.tril(..., k=0)).",
            ),
            (_softmax(np.where(lower, raw, -np.inf)) @ v, "divide the scores by sqrt(d_k) = sqrt(q.shape[-1])."),
            (
                (_softmax(raw / math.sqrt(E)) * lower) @ v,
                "zeroing weights after the softmax leaves rows that do not sum to 1: set the masked scores to -inf "
                "before the softmax.",
            ),
        ]
        hint = first_hint(got, mistakes, expected)
        if hint is None and np.abs(q).max() > 20:
            hint = "scores in the hundreds overflow np.exp: subtract each row's maximum before the exponential."
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals torch's scaled_dot_product_attention(q, k, v, is_causal=True) in {len(cases)} cases"
    )


CAUSAL_ATTENTION = Exercise(
    "16-causal-attention",
    "causal_attention",
    "causal_attention",
    lambda seed: [make_case(c) for c in causal_attention_cases(seed)],
    _judge_causal_attention,
    forbidden=(
        "dlcourse.functional.scaled_dot_product_attention",
        "dlcourse.functional.scaled_dot_product_attention_forward",
        "dlcourse.functional.multi_head_attention_forward",
        "dlcourse.fast.attention.multi_head_attention_forward",
        "dlcourse.nn.MultiheadAttention",
        "torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.MultiheadAttention",
    ),
)


def check_causal_attention(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(q (*, T, E), k (*, T, E), v (*, T, Ev))`` -> (*, T, Ev): softmax(q k^T / sqrt(E)) v with every query
    t attending to keys 0 .. t only, as ``scaled_dot_product_attention(..., is_causal=True)``."""
    CAUSAL_ATTENTION.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ top-k
def top_k_cases(seed: int = 0) -> list[dict]:
    """Distinct logits: one vector, a batch, k = 1 (greedy), k = V (no filter), a low and a high temperature,
    and logits in the hundreds."""
    rng = np.random.default_rng(seed)

    def logits(*shape, scale=2.0):
        return rng.permutation(np.prod(shape)).reshape(shape) * 0.1 * scale + rng.standard_normal(shape) * 0.01

    return [
        {"logits": logits(10), "k": 3, "temperature": 1.0},
        {"logits": logits(4, 12), "k": 5, "temperature": 0.7},
        {"logits": logits(8), "k": 1, "temperature": 1.3},
        {"logits": logits(2, 6), "k": 6, "temperature": 2.0},
        {"logits": logits(3, 9, scale=300.0), "k": 4, "temperature": 0.5},
    ]


def _torch_top_k(logits: np.ndarray, k: int, temperature: float) -> np.ndarray:
    torch = _lazy.torch(_TORCH)
    z = torch.as_tensor(logits)
    values, _ = torch.topk(z, k, dim=-1)
    filtered = z.masked_fill(z < values[..., -1:], float("-inf"))
    return torch.softmax(filtered / temperature, dim=-1).numpy()


def _judge_top_k(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("top_k_probs")
    for case, call in zip(cases, calls):
        logits, k, temperature = case["args"].values()
        label = f"top_k_probs(logits {logits.shape}, k={k}, temperature={temperature})"
        got = check.result(call, label)
        expected = _torch_top_k(logits, k, temperature)
        keep = expected > 0
        plain = _softmax(logits / temperature)
        mistakes = [
            (plain, "keep only the k largest logits: set the others to -inf before the softmax."),
            (plain * keep, "after filtering, renormalise: set the other logits to -inf *before* the softmax."),
            (_softmax(np.where(keep, logits, -np.inf)), "divide the logits by the temperature before the softmax."),
            (
                _torch_top_k(logits, min(k + 1, logits.shape[-1]), temperature),
                "you kept k + 1 tokens: keep exactly the k largest logits.",
            ),
            (
                _softmax(np.where(keep, logits * temperature, -np.inf)),
                "divide the logits by the temperature; you multiplied.",
            ),
        ]
        hint = first_hint(got, mistakes, expected)
        if hint is None and np.abs(logits).max() > 50:
            hint = "logits in the hundreds overflow np.exp: subtract the row's maximum first."
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(f"equals the softmax of torch.topk-filtered logits / temperature in {len(cases)} cases")


TOP_K = Exercise(
    "16-top-k",
    "top_k_probs",
    "top_k_probs",
    lambda seed: [make_case(c) for c in top_k_cases(seed)],
    _judge_top_k,
    forbidden=(
        "dlcourse.functional.top_k.top_k_probs",
        "dlcourse.functional.top_k.sample_top_k",
        "torch.topk",
        "torch.Tensor.topk",
    ),
)


def check_top_k(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(logits (..., V), k, temperature)`` -> probs (..., V): softmax over the k largest logits divided by the
    temperature, 0 for the other tokens."""
    TOP_K.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (EMBEDDING_BACKWARD, BPE_MERGE, CAUSAL_ATTENTION, TOP_K)
