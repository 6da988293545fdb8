"""Chapter 05 (IMDB's reviews, read by ``load_imdb``; recurrent networks use them in a later chapter): text to integer
ids: a simple tokenizer, a frequency-ranked vocabulary, and padding to a fixed length.

The conventions follow Keras' IMDB pipeline where it helps: id 0 is padding, the most frequent words get the
smallest ids, ``num_words`` bounds every id (ids < num_words, so it is an embedding table's size), and
``pad_sequences`` mirrors ``keras.utils.pad_sequences`` (formerly ``keras.preprocessing.sequence``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

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
