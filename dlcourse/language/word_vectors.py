r"""Chapter 16: word vectors by skip-gram with negative sampling (Mikolov et al., 2013), cosine neighbours and
analogies.

Each word w has an input vector :math:`u_w` and an output vector :math:`v_w`. For every word and each context word
c within ``window`` positions, the loss pushes :math:`\sigma(u_w \cdot v_c)` towards 1 and, for ``negatives`` words
n drawn from the unigram distribution raised to the power 3/4, :math:`\sigma(u_w \cdot v_n)` towards 0:

.. math:: \ell = -\log\sigma(u_w^\top v_c) - \sum_{n} \log\sigma(-u_w^\top v_n).

    vectors = train_skipgram(ids, vocab_size, dim=50, rng=0)        # (V, dim): the input vectors
    nearest(vectors, vocab, "good", k=5)                            # [(word, cosine), ...]
    analogy(vectors, vocab, "man", "king", "woman")                 # king - man + woman
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._types import Seed
from .._validate import check_number, check_positive_int, check_rng

NOISE_POWER = 0.75  # negatives are drawn in proportion to count ** NOISE_POWER (Mikolov et al., 2013)


def skipgram_pairs(ids: ArrayLike, window: int, rng: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """(centre, context) id pairs of the stream ``ids`` (n,) for offsets 1 .. window on both sides, shuffled."""
    ids = np.asarray(ids, dtype=np.int64)
    window = check_positive_int(window, "window")
    centres, contexts = [], []
    for offset in range(1, window + 1):
        centres += [ids[:-offset], ids[offset:]]
        contexts += [ids[offset:], ids[:-offset]]
    c, o = np.concatenate(centres), np.concatenate(contexts)
    order = check_rng(rng, needed_for="shuffling").permutation(c.size)
    return c[order], o[order]


def train_skipgram(
    ids: ArrayLike,
    vocab_size: int,
    dim: int = 50,
    *,
    window: int = 2,
    negatives: int = 5,
    epochs: int = 1,
    batch_size: int = 1024,
    lr: float = 0.01,
    subsample: float | None = None,
    skip: Sequence[int] = (),
    rng: Seed = 0,
) -> np.ndarray:
    """Input vectors (vocab_size, dim) trained by skip-gram with negative sampling (Adam, in PyTorch, float32).

    ``skip`` lists ids (padding, unknown words) left out of the stream first. With ``subsample`` = t, each
    occurrence of a word of relative frequency f is then dropped with probability 1 - sqrt(t / f) (Mikolov et al.,
    2013): frequent words ("the", "a") give fewer, less informative pairs, and the window reaches further.
    """
    torch = _lazy.torch("train_skipgram")
    vocab_size, dim = check_positive_int(vocab_size, "vocab_size"), check_positive_int(dim, "dim")
    rng = check_rng(rng)
    ids = np.asarray(ids, dtype=np.int64)
    ids = ids[~np.isin(ids, np.asarray(list(skip), dtype=np.int64))]
    counts = np.bincount(ids, minlength=vocab_size).astype(np.float64)
    if subsample is not None:
        t = check_number(subsample, "subsample", minimum=0.0)
        freq = counts / max(counts.sum(), 1.0)
        keep = np.minimum(1.0, np.sqrt(t / np.maximum(freq, 1e-12)))  # (V,): the chance to keep each word
        ids = ids[rng.random(ids.size) < keep[ids]]
    noise = counts**NOISE_POWER / (counts**NOISE_POWER).sum()
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    u = torch.nn.Embedding(vocab_size, dim)
    v = torch.nn.Embedding(vocab_size, dim)
    with torch.no_grad():
        u.weight.uniform_(-0.5 / dim, 0.5 / dim, generator=gen)
        v.weight.zero_()
    opt = torch.optim.Adam([*u.parameters(), *v.parameters()], lr=lr)
    noise_t = torch.as_tensor(noise)
    for _ in range(check_positive_int(epochs, "epochs")):
        c, o = skipgram_pairs(ids, window, rng)
        for i in range(0, c.size, batch_size):
            cb, ob = torch.as_tensor(c[i : i + batch_size]), torch.as_tensor(o[i : i + batch_size])
            nb = torch.multinomial(noise_t, cb.numel() * negatives, replacement=True, generator=gen)
            uc = u(cb)  # (B, dim)
            pos = (uc * v(ob)).sum(1)
            neg = torch.bmm(v(nb.view(-1, negatives)), uc[:, :, None])[..., 0]  # (B, negatives)
            loss = -(torch.nn.functional.logsigmoid(pos).mean() + torch.nn.functional.logsigmoid(-neg).sum(1).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
    return u.weight.detach().double().numpy()


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _index(vocab: Sequence[str], word: str) -> int:
    try:
        return list(vocab).index(word)
    except ValueError:
        raise ValueError(f"word: {word!r} is not in the vocabulary") from None


def nearest(
    vectors: ArrayLike, vocab: Sequence[str], word: str | np.ndarray, k: int = 5, exclude: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """The ``k`` words whose vectors have the largest cosine similarity with ``word``'s (or with a given vector),
    the word itself and ``exclude`` left out: [(word, cosine), ...], most similar first."""
    unit = _unit(np.asarray(vectors, dtype=np.float64))
    if isinstance(word, str):
        query, skip = unit[_index(vocab, word)], {word, *exclude}
    else:
        query, skip = np.asarray(word, dtype=np.float64), set(exclude)
        query = query / max(np.linalg.norm(query), 1e-12)
    sims = unit @ query
    out = []
    for i in np.argsort(-sims, kind="stable"):
        if vocab[i] not in skip:
            out.append((vocab[i], float(sims[i])))
        if len(out) == check_positive_int(k, "k"):
            break
    return out


def analogy(vectors: ArrayLike, vocab: Sequence[str], a: str, b: str, c: str, k: int = 5) -> list[tuple[str, float]]:
    """``a`` is to ``b`` as ``c`` is to ...: the words nearest to unit(b) - unit(a) + unit(c), the three left
    out (Mikolov et al.'s 3CosAdd)."""
    unit = _unit(np.asarray(vectors, dtype=np.float64))
    target = unit[_index(vocab, b)] - unit[_index(vocab, a)] + unit[_index(vocab, c)]
    return nearest(unit, vocab, target, k, exclude=(a, b, c))
