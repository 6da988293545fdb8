"""dlcourse.data.load_digits: scikit-learn's digits, scaled and split without overlap, stratified, reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from dlcourse.data import load_digits


def test_split_partitions_the_whole_set():
    s = load_digits(val_size=0.15, test_size=0.2, rng=0)
    bunch = sklearn_digits()
    n = len(bunch.target)
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == n
    all_X = np.concatenate([s.X_train, s.X_val, s.X_test])
    all_y = np.concatenate([s.y_train, s.y_val, s.y_test])
    # the same multiset of (image, label) pairs as scikit-learn's, images scaled by 1/16
    ours = sorted(map(tuple, np.c_[all_X * 16, all_y]))
    theirs = sorted(map(tuple, np.c_[bunch.data, bunch.target]))
    assert ours == theirs
    assert abs(len(s.y_test) - 0.2 * n) <= 10 and abs(len(s.y_val) - 0.15 * n) <= 10


def test_values_dtypes_and_shapes():
    s = load_digits(rng=1)
    assert s.X_train.dtype == np.float64 and s.X_train.shape[1:] == (64,)
    assert s.X_train.min() == 0.0 and s.X_train.max() == 1.0
    assert s.y_train.dtype == np.int64 and set(np.unique(s.y_train)) == set(range(10))
    img = load_digits(rng=1, images=True)
    assert img.X_test.shape == (len(img.y_test), 1, 8, 8)
    np.testing.assert_array_equal(img.X_test.reshape(len(img.y_test), 64), s.X_test)


def test_stratified_each_class_split_in_the_same_proportions():
    s = load_digits(val_size=0.15, test_size=0.2, rng=3)
    total = np.bincount(sklearn_digits().target, minlength=10)
    for y, fraction in ((s.y_test, 0.2), (s.y_val, 0.15)):
        counts = np.bincount(y, minlength=10)
        assert np.all(np.abs(counts - fraction * total) <= 0.5 + 1e-9), (counts, fraction * total)


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = load_digits(rng=5), load_digits(rng=5), load_digits(rng=6)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.y_train, c.y_train)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"val_size": 0.5, "test_size": 0.5}, "val_size \\+ test_size"),
        ({"test_size": -0.1}, "test_size: expected a fraction"),
        ({"val_size": "a"}, "val_size: expected a fraction"),
        ({"rng": "seed"}, "rng: expected"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, words):
    with pytest.raises(ValueError, match=words):
        load_digits(**kwargs)
