"""Chapter 11's splits and tests: KFold and StratifiedKFold give scikit-learn's indices for the same arguments
(shuffled with an int random_state too); train_test_split's properties; the percentile bootstrap against
``scipy.stats.bootstrap(method="percentile")`` on the same resamples; McNemar's test against
``scipy.stats.binomtest`` (exact) and ``scipy.stats.chi2`` (with continuity correction).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats
import sklearn.model_selection
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import model_selection as ms
from dlcourse.metrics import accuracy_score, f1_score, mean_absolute_error

EPS = np.finfo(np.float64).eps


def splits(cv, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return [(train.tolist(), test.tolist()) for train, test in cv.split(*args)], None, len(caught)
        except ValueError as exc:
            return None, exc, len(caught)


@st.composite
def cv_arguments(draw):
    n = draw(st.integers(1, 30))
    n_splits = draw(st.integers(2, 7))
    shuffle = draw(st.booleans())
    random_state = draw(st.integers(0, 2**32 - 1)) if shuffle else None
    y = np.array(
        draw(
            st.lists(
                st.sampled_from(draw(st.sampled_from([[0, 1], [0, 1, 2], ["a", "b", "c", "d"]]))),
                min_size=n,
                max_size=n,
            )
        )
    )
    return n, n_splits, shuffle, random_state, y


@pytest.mark.parametrize("name", ["KFold", "StratifiedKFold"])
@scaled_settings(80)
@given(args=cv_arguments())
def test_folds_equal_sklearns(name, args):
    n, n_splits, shuffle, random_state, y = args
    X = np.zeros((n, 2))
    ours = splits(getattr(ms, name)(n_splits, shuffle=shuffle, random_state=random_state), X, y)
    theirs = splits(getattr(sklearn.model_selection, name)(n_splits, shuffle=shuffle, random_state=random_state), X, y)
    if theirs[1] is not None:
        assert ours[1] is not None, f"scikit-learn raised {theirs[1]!r}"
        assert str(ours[1]).startswith("n_splits: expected"), str(ours[1])
        return
    assert ours[0] == theirs[0]
    assert ours[2] == theirs[2]  # StratifiedKFold warns of a class smaller than n_splits, as scikit-learn does


@scaled_settings(30)
@given(args=cv_arguments())
def test_folds_partition_the_examples_and_keep_class_proportions(args):
    n, n_splits, shuffle, random_state, y = args
    if n < n_splits:
        return
    folds = list(ms.KFold(n_splits, shuffle=shuffle, random_state=random_state).split(np.zeros(n)))
    tests = np.sort(np.concatenate([test for _, test in folds]))
    assert tests.tolist() == list(range(n))
    for train, test in folds:
        assert sorted([*train, *test]) == list(range(n))
        assert len(test) in (n // n_splits, n // n_splits + 1)
    classes, counts = np.unique(y, return_counts=True)
    if counts.max() < n_splits:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strat = list(ms.StratifiedKFold(n_splits, shuffle=shuffle, random_state=random_state).split(np.zeros(n), y))
    for _, test in strat:  # each class split as evenly as possible: counts differ by at most one between folds
        for c, count in zip(classes, counts):
            assert abs(np.sum(y[test] == c) - count / n_splits) < 1


def test_a_shuffled_kfold_is_the_same_on_every_split_call_and_a_random_state_object_is_consumed():
    kfold = ms.KFold(3, shuffle=True, random_state=7)
    assert [t.tolist() for _, t in kfold.split(range(10))] == [t.tolist() for _, t in kfold.split(range(10))]
    ours = ms.KFold(3, shuffle=True, random_state=np.random.RandomState(5))
    theirs = sklearn.model_selection.KFold(3, shuffle=True, random_state=np.random.RandomState(5))
    for _ in range(2):  # the generator moves on between calls, the same way in both
        assert [t.tolist() for _, t in ours.split(range(10))] == [t.tolist() for _, t in theirs.split(range(10))]
    assert repr(ms.StratifiedKFold(4)) == "StratifiedKFold(n_splits=4, shuffle=False, random_state=None)"
    assert ms.KFold(4).get_n_splits() == 4


def test_kfold_bad_arguments():
    with pytest.raises(ValueError, match=r"^n_splits: expected an integer >= 2, got 1"):
        ms.KFold(1)
    with pytest.raises(ValueError, match=r"^shuffle: expected True or False, got 'yes'"):
        ms.KFold(3, shuffle="yes")
    with pytest.raises(ValueError, match=r"^random_state: expected None when shuffle is False"):
        ms.KFold(3, random_state=0)
    with pytest.raises(ValueError, match=r"^random_state: shuffling needs an int seed or a np.random.RandomState"):
        ms.KFold(3, shuffle=True)
    with pytest.raises(ValueError, match=r"^n_splits: expected at most the number of examples \(2\), got 3"):
        list(ms.KFold(3).split(np.zeros(2)))
    with pytest.raises(ValueError, match=r"^y: expected 4 labels, one per example of X, got 3"):
        list(ms.StratifiedKFold(2).split(np.zeros(4), [0, 1, 0]))
    with pytest.raises(ValueError, match=r"^y: expected class labels, StratifiedKFold splits by class, got None"):
        list(ms.StratifiedKFold(2).split(np.zeros(4)))
    with pytest.raises(ValueError, match=r"^y: expected class labels, got continuous values"):
        list(ms.StratifiedKFold(2).split(np.zeros(4), [0.5, 0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"^X: expected an array of examples, got None"):
        list(ms.KFold(2).split(None))


# ------------------------------------------------------------------------------------------ train_test_split
@scaled_settings(30)
@given(n=st.integers(2, 40), test_size=st.floats(0.05, 0.9), seed=st.integers(0, 2**32 - 1), stratify=st.booleans())
def test_train_test_split_partitions_rows_and_keeps_pairs_together(n, test_size, seed, stratify):
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n) % 3
    if not stratify and int(np.ceil(test_size * n)) >= n:
        with pytest.raises(ValueError, match=r"^test_size: leaves no training example"):
            ms.train_test_split(X, y, test_size=test_size, rng=seed)
        return
    X_train, X_test, y_train, y_test = ms.train_test_split(
        X, y, test_size=test_size, rng=seed, stratify=y if stratify else None
    )
    rows = np.concatenate([X_train, X_test])[:, 0] // 2
    assert sorted(rows.tolist()) == list(range(n))
    assert (X_train[:, 0] // 2 % 3 == y_train).all() and (X_test[:, 0] // 2 % 3 == y_test).all()
    if stratify:
        for c in range(3):
            assert np.sum(y_test == c) == np.ceil(test_size * np.sum(y == c))
    else:
        assert len(X_test) == np.ceil(test_size * n)  # scikit-learn's rule for the test size


def test_train_test_split_bad_arguments():
    with pytest.raises(ValueError, match=r"^rng: a random split needs an explicit np.random.Generator"):
        ms.train_test_split(np.zeros(4))
    with pytest.raises(ValueError, match=r"^arrays\[1\]: expected 4 examples like arrays\[0\], got 3"):
        ms.train_test_split(np.zeros(4), np.zeros(3), rng=0)
    with pytest.raises(ValueError, match=r"^test_size: expected a fraction strictly between 0 and 1, got 0.0"):
        ms.train_test_split(np.zeros(4), test_size=0, rng=0)
    with pytest.raises(ValueError, match=r"^arrays: expected at least one array"):
        ms.train_test_split(rng=0)


# ------------------------------------------------------------------------------------------------ bootstrap
@pytest.mark.parametrize("metric", [accuracy_score, mean_absolute_error, f1_score])
@scaled_settings(10)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 40), confidence=st.sampled_from([0.5, 0.9, 0.95]))
def test_bootstrap_ci_equals_scipys_percentile_bootstrap_on_the_same_resamples(metric, seed, n, confidence):
    """scipy.stats.bootstrap with paired data resamples the indices with rng.integers(0, n, (n_resamples, n)),
    as ours does: with generators seeded alike, both see the same resamples and the same B = 200 values of the
    metric. Both ends interpolate linearly between the same two order statistics; SciPy (``stats.quantile``)
    writes the position and the interpolation differently from ``np.percentile``, which moves the position
    p (B - 1) by a few eps B and the result by that times the gap between the two values (at most the range of
    the values), plus a few eps of the values themselves.
    The values agree exactly; the ends differ by ~1e-15 (the largest seen: 9e-16)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.uniform(size=n) < 0.7, y_true, 1 - y_true)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # F1 of a resample without positives
        ours = ms.bootstrap_ci(y_true, y_pred, metric, n_resamples=200, confidence=confidence, rng=seed)
        result = scipy.stats.bootstrap(
            (y_true, y_pred),
            lambda a, b: metric(a, b),
            paired=True,
            vectorized=False,
            n_resamples=200,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        values = [metric(y_true[i], y_pred[i]) for i in ms.bootstrap_indices(n, 200, seed)]
    np.testing.assert_array_equal(values, result.bootstrap_distribution)  # the same resamples
    theirs = result.confidence_interval
    atol = 4 * EPS * (200 + 1)  # these metrics lie in [0, 1]: the gap and the values are at most 1
    assert ours.low == pytest.approx(theirs.low, rel=0, abs=atol)
    assert ours.high == pytest.approx(theirs.high, rel=0, abs=atol)
    assert ours.statistic == metric(y_true, y_pred)


def test_bootstrap_ci_of_accuracy_covers_the_true_accuracy_about_as_often_as_promised():
    """200 test sets of 100 examples, each right with probability 0.8 (fixed seeds: the count is fixed): a 90%
    interval should cover 0.8 about 180 times; the binomial standard deviation is sqrt(200 * 0.9 * 0.1) ~ 4.2 and
    the percentile method undercovers slightly at this size, so between 165 and 195."""
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(200):
        right = rng.uniform(size=100) < 0.8
        ci = ms.bootstrap_ci(right, np.ones(100, bool), accuracy_score, n_resamples=300, confidence=0.9, rng=rng)
        covered += ci.low <= 0.8 <= ci.high
    assert 165 <= covered <= 195, covered


def test_bootstrap_ci_bad_arguments():
    with pytest.raises(ValueError, match=r"^rng: resampling needs an explicit np.random.Generator"):
        ms.bootstrap_ci([0, 1], [0, 1], accuracy_score)
    with pytest.raises(ValueError, match=r"^metric: expected a function"):
        ms.bootstrap_ci([0, 1], [0, 1], "accuracy", rng=0)
    with pytest.raises(ValueError, match=r"^confidence: expected a level strictly between 0 and 1, got 1.0"):
        ms.bootstrap_ci([0, 1], [0, 1], accuracy_score, confidence=1, rng=0)
    with pytest.raises(ValueError, match=r"^y_pred: expected as many examples as y_true \(2\), got 3"):
        ms.bootstrap_ci([0, 1], [0, 1, 1], accuracy_score, rng=0)
    with pytest.raises(ValueError, match=r"^y_true: expected at least 2 examples"):
        ms.bootstrap_ci([0], [0], accuracy_score, rng=0)
    with pytest.raises(ValueError, match=r"^n_resamples: expected an integer >= 1, got 0"):
        ms.bootstrap_ci([0, 1], [0, 1], accuracy_score, n_resamples=0, rng=0)


# -------------------------------------------------------------------------------------------------- McNemar
@st.composite
def paired_predictions(draw):
    n = draw(st.integers(1, 80))
    y = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    a = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    b = np.where(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))), a, y)  # often agreeing with A
    return y, a, b


@scaled_settings(60)
@given(data=paired_predictions())
def test_exact_mcnemar_equals_scipys_binomial_test(data):
    """Ours sums the binomial probabilities in exact integer arithmetic and rounds once; SciPy's binomtest adds
    its two tails in floating point (the two-sided rule for p = 1/2 takes the same values): within 8 eps."""
    y, a, b = data
    result = ms.mcnemar_test(y, a, b, exact=True)
    right_a, right_b = a == y, b == y
    assert (result.a_only, result.b_only) == (np.sum(right_a & ~right_b), np.sum(~right_a & right_b))
    n = result.a_only + result.b_only
    expected = scipy.stats.binomtest(result.a_only, n, 0.5).pvalue if n else 1.0
    assert result.pvalue == pytest.approx(expected, rel=8 * EPS, abs=0)
    assert result.statistic == min(result.a_only, result.b_only)


@scaled_settings(60)
@given(data=paired_predictions())
def test_chi_square_mcnemar_equals_scipys_chi2_survival_function(data):
    """erfc(sqrt(x / 2)) is the survival function of chi-square with one degree of freedom, good to a few eps
    relatively. SciPy's chi2.sf goes through the regularised incomplete gamma function, whose error reaches
    ~1e-14 relatively (1.4e-14 at x = 4/3 against 50-digit mpmath, where ours is within 1 ulp): compare at 1e-13."""
    y, a, b = data
    result = ms.mcnemar_test(y, a, b, exact=False)
    n = result.a_only + result.b_only
    if n == 0:
        assert (result.statistic, result.pvalue) == (0.0, 1.0)
        return
    statistic = (abs(result.a_only - result.b_only) - 1) ** 2 / n
    assert result.statistic == statistic
    assert result.pvalue == pytest.approx(scipy.stats.chi2.sf(statistic, 1), rel=1e-13, abs=0)


def test_mcnemar_by_hand():
    """A right where B is wrong 10 times, the reverse twice: exact p = 2 P(X <= 2), X ~ Bin(12, 1/2) = 79/4096."""
    y = np.zeros(20, int)
    a = np.r_[np.zeros(10), np.ones(2), np.zeros(8)].astype(int)
    b = np.r_[np.ones(10), np.zeros(2), np.zeros(8)].astype(int)
    result = ms.mcnemar_test(y, a, b)
    assert (result.a_only, result.b_only) == (10, 2)
    assert result.pvalue == 2 * (1 + 12 + 66) / 4096
    assert ms.mcnemar_test(y, a, b, exact=False).statistic == 49 / 12


def test_mcnemar_bad_arguments():
    with pytest.raises(ValueError, match=r"^pred_b: expected the shape of y_true \(3,\), got \(2,\)"):
        ms.mcnemar_test([0, 1, 1], [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"^exact: expected True or False"):
        ms.mcnemar_test([0, 1], [0, 1], [0, 1], exact="yes")
    with pytest.raises(ValueError, match=r"^y_true: expected at least one example"):
        ms.mcnemar_test([], [], [])
    with pytest.raises(ValueError, match=r"^pred_a: expected finite labels"):
        ms.mcnemar_test([0, 1], [0, np.nan], [0, 1])
