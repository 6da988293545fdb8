"""dlcourse.data.chars: Python's reference manual as a character corpus, its vocabulary and shifted batches."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import data
from dlcourse.data.chars import CharVocab, iterate_char_batches, load_python_docs


@pytest.fixture(scope="module")
def text():
    return load_python_docs()


def test_corpus_is_real_english_prose_of_useful_size(text):
    assert isinstance(text, str) and len(text) > 300_000
    assert text.isascii() and "\x00" not in text
    for phrase in ('The "assert" statement', "Assignment statements", " the ", " is "):
        assert phrase in text
    words = text.split()
    assert len(words) > 40_000 and words.count("the") > 2_000


def test_unicode_text_keeps_the_typography():
    raw = load_python_docs(ascii_only=False)
    assert len(raw) >= len(load_python_docs()) - 100 and len(CharVocab(raw)) >= len(CharVocab(load_python_docs()))


def test_vocab_covers_the_text_and_round_trips(text):
    vocab = CharVocab(text)
    assert 60 < len(vocab) < 100 and vocab.itos == sorted(vocab.itos)
    assert all(c in vocab for c in set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),) and ids.min() == 0 and ids.max() == len(vocab) - 1
    assert vocab.decode(ids) == text
    assert [vocab.stoi[c] for c in vocab.itos] == list(range(len(vocab)))


def test_specials_come_first():
    vocab = CharVocab("ba", specials=("<pad>", "<eos>"))
    assert vocab.itos == ["<pad>", "<eos>", "a", "b"] and vocab.stoi["<eos>"] == 1 and len(vocab) == 4
    assert vocab.encode("ab").tolist() == [2, 3]
    assert vocab.decode([2, 3, 1, 0]) == "ab<eos><pad>" and vocab.decode([2, 3, 1, 0], skip_specials=True) == "ab"
    assert "specials ['<pad>', '<eos>']" in repr(vocab)
    with pytest.raises(ValueError, match=r"text: the character '<' is not in the vocabulary"):
        vocab.encode("<eos>")
    with pytest.raises(ValueError, match=r"specials: expected a tuple of distinct names"):
        CharVocab("ab", specials=("<pad>", "<pad>"))
    with pytest.raises(ValueError, match=r"specials: expected a tuple of distinct names"):
        CharVocab("ab", specials=("x",))


def test_vocab_is_sorted_and_checks_its_input():
    vocab = CharVocab("hello")
    assert vocab.itos == ["e", "h", "l", "o"] and len(vocab) == 4 and "CharVocab(4" in repr(vocab)
    assert vocab.decode(np.array([[1, 0], [2, 3]])) == "helo"
    with pytest.raises(ValueError, match=r"text: the character 'z' is not in the vocabulary"):
        vocab.encode("hez")
    with pytest.raises(ValueError, match=r"ids: expected integers from 0 to 3"):
        vocab.decode([0, 4])
    with pytest.raises(ValueError, match=r"text: expected a non-empty str"):
        CharVocab("")
    with pytest.raises(ValueError, match=r"text: expected a str, got list"):
        vocab.encode(["h"])


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("n, seq_len, batch_size", [(101, 10, 3), (1000, 7, 16), (50, 49, 1), (65, 5, 64)])
def test_targets_are_inputs_shifted_by_one(shuffle, n, seq_len, batch_size):
    ids = np.arange(n)  # id = position, so every window shows where it was cut
    batches = list(iterate_char_batches(ids, seq_len, batch_size, rng=0, shuffle=shuffle))
    assert batches
    for x, y in batches:
        assert x.dtype == y.dtype == np.int64 and x.shape == y.shape and x.shape[0] <= batch_size
        assert x.shape[1] <= seq_len
        np.testing.assert_array_equal(y, x + 1)  # the next character of the text
        np.testing.assert_array_equal(np.diff(x, axis=1), 1)  # a window is contiguous text
    starts = np.concatenate([x[:, 0] for x, _ in batches])
    if shuffle:  # non-overlapping windows covering all but the tail the last target needs
        assert sorted(starts.tolist()) == list(range(0, (n - 1) // seq_len * seq_len, seq_len))
        assert all(x.shape == (batch_size, seq_len) for x, _ in batches[:-1])
    else:  # row b continues itself from one batch to the next
        for (x0, _), (x1, _) in zip(batches, batches[1:]):
            np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)
        assert all(x.shape[0] == batch_size for x, _ in batches)
        seen = np.concatenate([x.reshape(-1) for x, _ in batches])
        assert len(np.unique(seen)) == len(seen) == (n - 1) // batch_size * batch_size


def test_shuffled_order_is_drawn_from_the_generator():
    ids = np.arange(2000)
    first = lambda seed: np.concatenate([x[:, 0] for x, _ in iterate_char_batches(ids, 10, 8, seed)])  # noqa: E731
    np.testing.assert_array_equal(first(1), first(np.random.default_rng(1)))
    assert not np.array_equal(first(1), first(2))


@pytest.mark.parametrize("shuffle", [True, False])
def test_drop_last_keeps_only_full_batches(shuffle):
    batches = list(iterate_char_batches(np.arange(1000), 7, 16, 0, shuffle=shuffle, drop_last=True))
    assert batches and all(x.shape == (16, 7) for x, _ in batches)


def test_a_whole_corpus_batches_quickly(text):
    vocab = CharVocab(text)
    x, y = next(iterate_char_batches(vocab.encode(text), 100, 32, 0))
    assert x.shape == (32, 100) and vocab.decode(x[0, 1:]) == vocab.decode(y[0, :-1])


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([1.5, 2.5], 1, 1, 0), {}, r"ids: expected a 1-D array of integer ids, got float64"),
        ((np.arange(10), 0, 1, 0), {}, r"seq_len: expected a positive integer, got 0"),
        ((np.arange(10), 2, -1, 0), {}, r"batch_size: expected a positive integer, got -1"),
        ((np.arange(10), 2, 2, None), {}, r"rng: shuffling needs an explicit np.random.Generator"),
        ((np.arange(10), 10, 2, 0), {}, r"ids: expected more than seq_len = 10 ids, got 10"),
        ((np.arange(3), 2, 3), {"shuffle": False}, r"ids: expected more than batch_size = 3 ids, got 3"),
        ((np.arange(10), 2, 2, 0), {"drop_last": 1}, r"drop_last: expected True or False, got 1"),
    ],
)
def test_bad_arguments_are_named(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        iterate_char_batches(*args, **kwargs)


def test_exported():
    assert data.CharVocab is CharVocab and data.iterate_char_batches is iterate_char_batches
    assert data.load_python_docs is load_python_docs
