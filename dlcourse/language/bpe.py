r"""Chapter 16: byte-pair encoding (Sennrich, Haddow & Birch, 2016) from scratch, merge for merge as Hugging Face's.

A corpus is first cut into **pieces** (pre-tokenisation): a run of non-space characters with at most one space in
front of it, or a run of whitespace, ``re.findall(r" ?\S+|\s+", text)``. No character is dropped, so decoding is
concatenation. Each piece starts as a sequence of characters; training then repeats one **merge**:

1. count every pair of adjacent symbols over the table of pieces and their frequencies (a piece that occurs f
   times adds f to each of its pairs);
2. take the most frequent pair; **ties** go to the pair whose left symbol is oldest, then whose right symbol is
   oldest (symbols are numbered by age: the alphabet in code-point order, then each merge's result when it first
   appears), the rule of ``tokenizers``' ``BpeTrainer``;
3. replace it everywhere, left to right without overlap (``a a a`` -> ``aa a``).

Training stops when the vocabulary (alphabet plus new symbols) holds ``vocab_size`` symbols or no pair is left.
Encoding a piece applies the learned merges in the order they were learned; the ids are the symbols' numbers.

    tok = train_bpe(texts, vocab_size=300)       # tok.merges[:3] == [("e", " "), ...]
    ids = tok.encode("a new text")               # (n,) int64
    tok.decode(ids) == "a new text"              # for text whose characters are in the alphabet
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_positive_int

PIECE = re.compile(r" ?\S+|\s+")


def pre_tokenize(text: str) -> list[str]:
    """The pieces of ``text``: runs of non-space characters with at most one space in front, and runs of
    whitespace; their concatenation is ``text``."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    return PIECE.findall(text)


def _check_corpus(corpus: str | Iterable[str]) -> list[str]:
    texts = [corpus] if isinstance(corpus, str) else list(corpus)
    if not all(isinstance(t, str) for t in texts):
        raise ValueError("corpus: expected a str or an iterable of str")
    if not any(texts):
        raise ValueError("corpus: expected some text, got none")
    return texts


def word_frequencies(corpus: str | Iterable[str]) -> dict[tuple[str, ...], int]:
    """The table BPE trains on: each piece of the corpus as a tuple of characters -> how often it occurs."""
    counts = Counter(piece for text in _check_corpus(corpus) for piece in pre_tokenize(text))
    return {tuple(piece): n for piece, n in counts.items()}


def merge_word(word: Sequence[str], pair: tuple[str, str]) -> tuple[str, ...]:
    """``word`` with every occurrence of ``pair`` replaced by the joined symbol, left to right, no overlap."""
    a, b = pair
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def _pairs(word: Sequence[str]) -> Counter:
    return Counter(zip(word[:-1], word[1:]))


class BPETokenizer:
    """A trained byte-pair encoding: ``vocab`` (id -> symbol, alphabet first), ``merges`` (in order learned).

    ``encode(text)`` -> (n,) int64 ids; ``decode(ids)`` -> str. Characters outside the alphabet raise a
    ValueError naming them (this tokenizer has no unknown token).
    """

    def __init__(self, vocab: Sequence[str], merges: Sequence[tuple[str, str]]) -> None:
        self.vocab = list(vocab)
        self.merges = [tuple(m) for m in merges]
        self.ids = {}
        for i, symbol in enumerate(self.vocab):
            self.ids.setdefault(symbol, i)
        self.ranks = {pair: r for r, pair in enumerate(self.merges)}
        self._cache: dict[str, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"BPETokenizer({len(self.vocab)} symbols, {len(self.merges)} merges)"

    def encode_piece(self, piece: str) -> tuple[str, ...]:
        """The symbols of one piece: its characters, merged by the learned merges in the order learned."""
        if piece in self._cache:
            return self._cache[piece]
        word = tuple(piece)
        while len(word) > 1:
            ranked = [(self.ranks[p], p) for p in zip(word[:-1], word[1:]) if p in self.ranks]
            if not ranked:
                break
            word = merge_word(word, min(ranked)[1])
        self._cache[piece] = word
        return word

    def tokenize(self, text: str) -> list[str]:
        """The symbols of ``text``, piece by piece."""
        symbols = [s for piece in pre_tokenize(text) for s in self.encode_piece(piece)]
        unknown = sorted({s for s in symbols if s not in self.ids})
        if unknown:
            raise ValueError(f"text: characters outside the tokenizer's alphabet: {unknown[:10]}")
        return symbols

    def encode(self, text: str) -> np.ndarray:
        """(n,) int64 ids of ``text``'s symbols."""
        return np.array([self.ids[s] for s in self.tokenize(text)], dtype=np.int64)

    def decode(self, ids: ArrayLike) -> str:
        """The text of ids (the symbols concatenated)."""
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"ids: expected a 1-D array of integer ids, got {arr.dtype} of shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= len(self.vocab)):
            raise ValueError(f"ids: expected ids from 0 to {len(self.vocab) - 1}, got {arr.min()} to {arr.max()}")
        return "".join(self.vocab[i] for i in arr.tolist())


def train_bpe(corpus: str | Iterable[str], vocab_size: int) -> BPETokenizer:
    """Learn merges on ``corpus`` until the vocabulary holds ``vocab_size`` symbols (or no pair is left).

    Parameters
    ----------
    corpus : a str or an iterable of str (e.g. one review each)
    vocab_size : the number of symbols to reach, alphabet included (a smaller number learns no merge)

    Returns
    -------
    BPETokenizer whose ``merges`` equal those of ``tokenizers``' ``BpeTrainer(vocab_size=vocab_size)`` after the
    same pre-tokenisation.

    The pair counts are kept up to date word by word (only the words that hold the merged pair are recounted),
    and the most frequent pair is taken from a heap whose stale entries are refreshed when they surface.
    """
    vocab_size = check_positive_int(vocab_size, "vocab_size")
    table = word_frequencies(corpus)
    words = list(table)
    freqs = [table[w] for w in words]
    vocab = sorted({c for w in words for c in w})  # the alphabet, in code-point order (ids 0 .. A - 1)
    ids = {s: i for i, s in enumerate(vocab)}
    counts: Counter = Counter()
    where: dict[tuple[str, str], set[int]] = {}
    for j, w in enumerate(words):
        for p, n in _pairs(w).items():
            counts[p] += n * freqs[j]
            where.setdefault(p, set()).add(j)
    heap = [(-n, ids[a], ids[b], (a, b)) for (a, b), n in counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size and heap:
        neg, _, _, pair = heapq.heappop(heap)
        if -neg != counts[pair]:  # stale: the pair lost occurrences to earlier merges
            if counts[pair] > 0:
                heapq.heappush(heap, (-counts[pair], ids[pair[0]], ids[pair[1]], pair))
            continue
        if counts[pair] < 1:
            break
        merges.append(pair)
        new = pair[0] + pair[1]
        if new not in ids:  # two merges can spell the same symbol: it keeps its first number
            ids[new] = len(vocab)
            vocab.append(new)
        grown = set()
        for j in where.pop(pair, set()):
            old, w = words[j], merge_word(words[j], pair)
            before, after = _pairs(old), _pairs(w)
            for p, n in before.items():
                counts[p] -= n * freqs[j]
            for p, n in after.items():
                counts[p] += n * freqs[j]
                where.setdefault(p, set()).add(j)
                if after[p] > before.get(p, 0):
                    grown.add(p)
            words[j] = w
        counts.pop(pair, None)
        for p in grown:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], ids[p[0]], ids[p[1]], p))
    return BPETokenizer(vocab, merges)


def train_hf_bpe(corpus: str | Iterable[str], vocab_size: int) -> list[tuple[str, str]]:
    """The merges of Hugging Face ``tokenizers`` (``models.BPE`` + ``trainers.BpeTrainer``) on ``corpus``, with
    this module's pre-tokenisation (``pre_tokenizers.Split`` on the same pattern, matches kept as pieces) and no
    special tokens: the reference :func:`train_bpe` is compared with."""
    import json

    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    texts = _check_corpus(corpus)
    vocab_size = check_positive_int(vocab_size, "vocab_size")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(PIECE.pattern), behavior="isolated")
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False, special_tokens=[])
    tokenizer.train_from_iterator(texts, trainer=trainer)
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in merges]
