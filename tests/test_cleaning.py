"""dlcourse.data.cleaning: duplicates, conflicting labels, leaks across a split, missing and out-of-range values,
constant columns; the audit counts them and clean drops the right rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits

from dlcourse import data
from dlcourse.data import cleaning


def messy():
    """Seven rows: 0-1 identical (same label), 2-3 identical but for the sign of zero (different labels), 4-5 with
    a NaN in the same place, 6 out of range for (0, 4)."""
    X = np.array([[0.0, 1.0], [0.0, 1.0], [-0.0, 2.0], [0.0, 2.0], [np.nan, 1.0], [np.nan, 1.0], [5.0, 5.0]])
    y = np.array([0, 0, 1, 2, 0, 0, 3])
    return X, y


def test_duplicate_groups_compare_values_not_bits():
    X, _ = messy()
    groups = cleaning.duplicate_groups(X)
    assert [g.tolist() for g in groups] == [[0, 1], [2, 3], [4, 5]]
    assert cleaning.duplicate_groups(np.eye(3)) == []
    assert cleaning.duplicate_groups(np.zeros((0, 4))) == []


def test_duplicate_groups_of_integers_and_larger_groups_in_order():
    X = np.array([[3, 3], [1, 2], [3, 3], [1, 2], [3, 3]])
    assert [g.tolist() for g in cleaning.duplicate_groups(X)] == [[0, 2, 4], [1, 3]]


def test_shared_rows_finds_rows_with_a_copy_in_the_reference():
    reference = np.array([[1.0, 2.0], [3.0, 4.0]])
    X = np.array([[3.0, 4.0], [5.0, 6.0], [1.0, 2.0], [1.0, 2.5]])
    assert cleaning.shared_rows(reference, X).tolist() == [0, 2]
    assert cleaning.shared_rows(reference, np.zeros((0, 2))).tolist() == []
    with pytest.raises(ValueError, match="columns"):
        cleaning.shared_rows(reference, np.zeros((2, 3)))


def test_missing_and_out_of_range_masks():
    X = np.array([[0.0, np.inf, 3.0], [-1.0, np.nan, 16.0], [17.0, 2.0, 0.5]])
    np.testing.assert_array_equal(cleaning.missing_mask(X), [[0, 1, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(cleaning.out_of_range_mask(X, (0, 16)), [[0, 0, 0], [1, 0, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="value_range"):
        cleaning.out_of_range_mask(X, (16, 0))
    with pytest.raises(ValueError, match="value_range"):
        cleaning.out_of_range_mask(X, 16)


def test_constant_columns_ignore_missing_values():
    X = np.array([[0.0, 1.0, np.nan, 2.0], [0.0, 2.0, np.nan, 2.0], [0.0, 3.0, np.nan, np.nan]])
    assert cleaning.constant_columns(X).tolist() == [0, 2, 3]


def test_audit_counts_everything():
    X, y = messy()
    report = cleaning.audit(X, y, value_range=(0, 4))
    assert (report.n_rows, report.n_columns) == (7, 2)
    assert (report.duplicate_rows, report.duplicate_groups, report.conflicting_groups) == (3, 3, 1)
    assert (report.missing_values, report.rows_with_missing) == (2, 2)
    assert (report.out_of_range_values, report.rows_out_of_range) == (2, 1)
    assert report.constant_columns.tolist() == []
    text = str(report)
    assert "duplicate rows:           3" in text and "(in 1 row)" in text
    bare = cleaning.audit(X)
    assert bare.conflicting_groups is None and bare.out_of_range_values is None
    assert "not checked" in str(bare)


def test_clean_drops_the_right_rows_and_says_why():
    X, y = messy()
    before = X.copy()
    cleaned = cleaning.clean(X, y, value_range=(0, 4))
    assert cleaned.kept.tolist() == [0]
    assert cleaned.dropped == {"missing": 2, "out of range": 1, "duplicate": 1, "conflicting labels": 2}
    np.testing.assert_array_equal(cleaned.X, X[[0]])
    np.testing.assert_array_equal(cleaned.y, y[[0]])
    np.testing.assert_array_equal(X, before)  # the input is untouched
    assert sum(cleaned.dropped.values()) + len(cleaned.kept) == len(X)
    assert "kept=1" in repr(cleaned)


def test_clean_keeps_the_first_copy_and_the_original_order():
    X = np.array([[5.0], [1.0], [5.0], [2.0], [1.0]])
    y = np.array([1, 0, 1, 0, 0])
    cleaned = cleaning.clean(X, y)
    assert cleaned.kept.tolist() == [0, 1, 3]
    assert cleaned.dropped["duplicate"] == 2 and cleaned.dropped["out of range"] == 0
    assert cleaning.audit(cleaned.X, cleaned.y).duplicate_rows == 0


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        cleaning.audit(np.zeros(5))
    with pytest.raises(ValueError, match="y: expected one label per row"):
        cleaning.audit(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="y: expected one label per row"):
        cleaning.clean(np.zeros((5, 2)), np.zeros((5, 1)))


def test_the_digits_are_clean_but_for_three_blank_pixel_columns():
    bunch = sklearn_digits()
    report = cleaning.audit(bunch.data, bunch.target, value_range=(0, 16))
    assert report.n_rows == 1797 and report.n_columns == 64
    assert report.duplicate_rows == 0 and report.conflicting_groups == 0
    assert report.missing_values == 0 and report.out_of_range_values == 0
    assert report.constant_columns.tolist() == [0, 32, 39]
    assert np.all(bunch.data[:, report.constant_columns] == 0)
    split = data.load_digits(rng=0)
    assert len(cleaning.shared_rows(split.X_train, split.X_test)) == 0
    assert len(cleaning.shared_rows(split.X_train, split.X_val)) == 0
