"""Chapter 07: text to ids one character at a time, for a character-level language model: a corpus that ships
with Python, a character vocabulary, and (input, target) batches shifted by one character.

The text is Python's own reference manual, as the interpreter ships it for ``help()``: the module
``pydoc_data.topics`` of the standard library holds some 80 topics of the Python Language Reference ("The
"assert" statement", "Assignment statements", ...) as plain English prose with code examples, some 450,000
characters (the exact text differs a little from one Python version to the next). It is part of the Python
documentation, copyright the Python Software Foundation, distributed under the PSF License Agreement (its code
examples also under the Zero-Clause BSD licence). No download: every Python has it.

A model trained on it learns English words, the manual's headings (``"**********"`` lines) and its indented
grammar rules and code, all in a few minutes of training on a laptop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import check_bool, check_positive_int, check_rng

#: typographic characters of the manual and the ASCII they become with ``ascii_only=True``
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "—": "--", "–": "-"})


def load_python_docs(ascii_only: bool = True) -> str:
    """The Python reference manual's topics as one text, in the order the interpreter stores them.

    Topics are separated by a blank line. With ``ascii_only=True`` curly quotes, dashes and ellipses become
    their ASCII equivalents and the few remaining non-ASCII characters (a "ß", a "°") are left out, so that
    the character vocabulary stays small (under 100 characters).
    """
    from pydoc_data.topics import topics  # 0.5 MB of text, loaded when asked for

    check_bool(ascii_only, "ascii_only")
    text = "\n\n".join(topic.strip("\n") for topic in topics.values()) + "\n"
    if ascii_only:
        text = text.translate(_TYPOGRAPHY).encode("ascii", "ignore").decode("ascii")
    return text


class CharVocab:
    """A character vocabulary: ``itos[i]`` is the character with id i, ``stoi[c]`` the id of character c.

    Built from a text, its characters are sorted (``CharVocab("hello").itos == ["e", "h", "l", "o"]``), so the
    same text always gives the same ids. ``specials`` (say ``("<pad>", "<sos>", "<eos>")`` for a
    sequence-to-sequence model) take the first ids, in the order given, before the characters. The names
    follow Karpathy's char-rnn and nanoGPT (``stoi``, ``itos``, ``encode``, ``decode``); ``len(vocab)`` is the
    size of the model's input and output layers.
    """

    def __init__(self, text: str | Iterable[str], specials: tuple[str, ...] = ()) -> None:
        chars = sorted(set(text))
        if not chars or not all(isinstance(c, str) and len(c) == 1 for c in chars):
            raise ValueError(f"text: expected a non-empty str (or single characters), got {text!r:.60}")
        if (
            not isinstance(specials, tuple)
            or not all(isinstance(t, str) and len(t) > 1 for t in specials)
            or len(set(specials)) < len(specials)
        ):
            raise ValueError(
                f"specials: expected a tuple of distinct names longer than one character, got {specials!r}"
            )
        self.specials: tuple[str, ...] = specials
        self.itos: list[str] = list(specials) + chars
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, char: object) -> bool:
        return char in self.stoi

    def __repr__(self) -> str:
        chars = "".join(self.itos[len(self.specials) :])
        specials = f", specials {list(self.specials)}" if self.specials else ""
        return f"CharVocab({len(self) - len(self.specials)} characters: {chars!r}{specials})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters, shape (len(text),) int64; a character not in the vocabulary is an error."""
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {type(text).__name__}")
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as err:
            raise ValueError(f"text: the character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: ArrayLike, skip_specials: bool = False) -> str:
        """The text of a sequence of ids (any shape, read in order): ``vocab.decode(vocab.encode(s)) == s``.

        A special id is written as its name (``"<pad>"``), or left out with ``skip_specials=True``.
        """
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids: expected integers from 0 to {len(self) - 1}, got {ids[:8]}...")
        first = len(self.specials) if check_bool(skip_specials, "skip_specials") else 0
        return "".join(self.itos[i] for i in ids.tolist() if i >= first)


def iterate_char_batches(
    ids: ArrayLike,
    seq_len: int,
    batch_size: int,
    rng: Seed = None,
    *,
    shuffle: bool = True,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One pass over a text's ids as (input, target) batches for a language model: the target is the input
    shifted by one character, ``y[b, t] == x[b, t + 1]`` and ``y[b, -1]`` is the character after the window.

    Parameters
    ----------
    ids : (T,) ints, a whole text encoded by ``CharVocab.encode``
    seq_len : characters per window (the length of backpropagation through time)
    batch_size : windows per batch
    rng : np.random.Generator or int seed; required when ``shuffle`` is True
    shuffle : True cuts the text into non-overlapping windows and draws a new order of them from ``rng``;
        False keeps the text's order in the layout of PyTorch's word-language-model example (``batchify``):
        the text is cut into ``batch_size`` streams and batch k holds the k-th window of every stream, so row
        b of one batch continues row b of the previous one and a recurrent network can carry its hidden state
        over (truncated backpropagation through time)
    drop_last : leave out a last batch smaller than the others (fewer windows when shuffling, a shorter
        window when not)

    Yields
    ------
    x, y : (B, L) int64 arrays, B = batch_size and L = seq_len except possibly in the last batch.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids: expected a 1-D array of integer ids, got {ids.dtype} of shape {ids.shape}")
    ids = ids.astype(np.int64, copy=False)
    seq_len = check_positive_int(seq_len, "seq_len")
    batch_size = check_positive_int(batch_size, "batch_size")
    shuffle, drop_last = check_bool(shuffle, "shuffle"), check_bool(drop_last, "drop_last")
    if shuffle:
        rng = check_rng(rng, needed_for="shuffling")
        n_windows = (len(ids) - 1) // seq_len  # window w reads ids[w * seq_len : (w + 1) * seq_len + 1]
        if n_windows < 1:
            raise ValueError(f"ids: expected more than seq_len = {seq_len} ids, got {len(ids)}")
        return _shuffled_batches(ids, seq_len, batch_size, rng.permutation(n_windows), drop_last)
    stream_len = (len(ids) - 1) // batch_size
    if stream_len < 1:
        raise ValueError(f"ids: expected more than batch_size = {batch_size} ids, got {len(ids)}")
    return _stream_batches(ids, seq_len, batch_size, stream_len, drop_last)


def _shuffled_batches(ids, seq_len, batch_size, order, drop_last):
    offsets = np.arange(seq_len)
    for start in range(0, len(order), batch_size):
        windows = order[start : start + batch_size]
        if drop_last and len(windows) < batch_size:
            return
        at = windows[:, None] * seq_len + offsets  # (B, L) positions of the inputs
        yield ids[at], ids[at + 1]


def _stream_batches(ids, seq_len, batch_size, stream_len, drop_last):
    x_streams = ids[: batch_size * stream_len].reshape(batch_size, stream_len)  # (B, S): row b is one stream
    y_streams = ids[1 : batch_size * stream_len + 1].reshape(batch_size, stream_len)
    for start in range(0, stream_len, seq_len):
        if drop_last and start + seq_len > stream_len:
            return
        yield x_streams[:, start : start + seq_len].copy(), y_streams[:, start : start + seq_len].copy()
