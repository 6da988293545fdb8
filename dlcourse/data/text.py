"""Chapter 05 (IMDB's reviews, read by ``load_imdb``; recurrent networks use them in a later chapter): text to integer
ids: a simple tokenizer, a frequency-ranked vocabulary, and padding to a fixed length.

The conventions follow Keras' IMDB pipeline where it helps: id 0 is padding, the most frequent words get the
smallest ids, ``num_words`` bounds every id (ids < num_words, so it is an embedding table's size), and
``pad_sequences`` mirrors ``keras.utils.pad_sequences`` (formerly ``keras.preprocessing.sequence``).

Chapter 07 adds :func:`to_post_padding` (pre-padded rows to post-padded rows and their lengths, what a recurrent
layer with ``lengths`` reads) and :func:`bag_of_words` (each row's word counts, the input of a linear baseline).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_choice, check_positive_int

PAD, UNK = 0, 1  # ids reserved for padding and for out-of-vocabulary words
SPECIALS = ("<pad>", "<unk>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)  # the HTML line breaks IMDB reviews contain
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters (any alphabet); everything else separates


def tokenize(text: str) -> list[str]:
    """Lower-case, replace ``<br />`` tags by spaces, and split on everything that is not a letter.

    >>> tokenize("A great film!<br /><br />Didn't like the 2nd half.")
    ['a', 'great', 'film', 'didn', 't', 'like', 'the', 'nd', 'half']

    Digits and punctuation are dropped, so "didn't" gives "didn" and "t" (simple on purpose: the same rule
    every time, easy to state; real pipelines use subword tokenizers).
    """
    if not isinstance(text, str):
        raise ValueError(f"text: expected a str, got {type(text).__name__}")
    return _WORD.findall(_BREAK.sub(" ", text).lower())


def build_vocab(texts: Iterable[str], num_words: int | None = None) -> list[str]:
    """The vocabulary of ``texts``: ``vocab[i]`` is the word with id i.

    ``vocab[0] = "<pad>"`` and ``vocab[1] = "<unk>"``; then the words by decreasing count (ties
    alphabetically), cut so that ``len(vocab) <= num_words`` (all words if ``num_words`` is None).
    """
    if num_words is not None and (
        isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer)) or num_words < len(SPECIALS) + 1
    ):
        raise ValueError(
            f"num_words: expected an integer >= {len(SPECIALS) + 1} (ids 0 and 1 are reserved "
            f"for padding and unknown words) or None, got {num_words!r}"
        )
    counts = Counter()
    for text in texts:  # one review at a time: token lists never pile up
        counts.update(tokenize(text))
    ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    keep = len(ranked) if num_words is None else int(num_words) - len(SPECIALS)
    return list(SPECIALS) + [word for word, _ in ranked[:keep]]


def encode(text: str, index: dict[str, int]) -> np.ndarray:
    """The ids of ``tokenize(text)`` under ``index`` (word -> id); unknown words become ``UNK``. Shape (L,) int64."""
    return np.fromiter((index.get(word, UNK) for word in tokenize(text)), dtype=np.int64)


def pad_sequences(
    sequences: Iterable[ArrayLike],
    maxlen: int,
    padding: Literal["pre", "post"] = "pre",
    truncating: Literal["pre", "post"] = "pre",
    value: int = PAD,
) -> np.ndarray:
    """Stack sequences of ids into one (N, maxlen) int64 array, like ``keras.utils.pad_sequences``.

    Parameters
    ----------
    sequences : N sequences of ints of any lengths
    maxlen : length of every row
    padding : "pre" puts the padding ``value`` before a short sequence (Keras' default), "post" after it
    truncating : "pre" drops the beginning of a long sequence, keeping its last ``maxlen`` ids (Keras'
        default: a recurrent network then reads the end of a review last), "post" keeps the first ``maxlen``
    """
    maxlen = check_positive_int(maxlen, "maxlen")
    check_choice(padding, "padding", ("pre", "post"))
    check_choice(truncating, "truncating", ("pre", "post"))
    sequences = list(sequences)
    out = np.full((len(sequences), int(maxlen)), value, dtype=np.int64)  # (N, maxlen)
    for i, seq in enumerate(sequences):
        seq = np.asarray(seq, dtype=np.int64).reshape(-1)
        seq = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if len(seq):
            if padding == "pre":
                out[i, maxlen - len(seq) :] = seq
            else:
                out[i, : len(seq)] = seq
    return out


def _check_ids(X: ArrayLike, name: str = "X") -> np.ndarray:
    ids = np.asarray(X)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or ids.dtype == bool or (ids.size and ids.min() < 0):
        raise ValueError(f"{name}: expected non-negative integer ids of shape (N, T), got {ids.dtype} {ids.shape}")
    return ids


def to_post_padding(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Rows padded in front (``pad_sequences``' default) moved to the back, with each row's length.

    X : (N, T) ids, the padding id 0 before each row's words  ->  (ids (N, T) with the words first and the padding
    after them, lengths (N,) = the number of words, at least 1, so that an all-padding row is read for one step)
    """
    X = _check_ids(X)
    lengths = (X != PAD).sum(axis=1)
    out = np.full_like(X, PAD)
    for row, (ids, n) in enumerate(zip(X, lengths)):
        out[row, :n] = ids[len(ids) - n :]
    return out, np.maximum(lengths, 1)


def bag_of_words(X: ArrayLike, vocab_size: int) -> Any:
    """Each row's word counts as a sparse matrix (N, vocab_size) (``scipy.sparse.csr_matrix``): entry (n, i) is
    how often id i occurs in row n; the padding id 0 is left out. Word order is forgotten."""
    from scipy import sparse

    X = _check_ids(X)
    vocab_size = check_positive_int(vocab_size, "vocab_size")
    if X.size and X.max() >= vocab_size:
        raise ValueError(f"X: expected ids below vocab_size={vocab_size}, got {X.max()}")
    rows = np.repeat(np.arange(len(X)), X.shape[1])
    ids, real = X.ravel(), X.ravel() != PAD
    return sparse.csr_matrix((np.ones(real.sum()), (rows[real], ids[real])), shape=(len(X), vocab_size))
