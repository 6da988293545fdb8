"""Chapter 11's classification metrics against scikit-learn (the installed version) on drawn labels and scores:
absent classes, ties, every ``average``, ``labels``, ``pos_label`` and ``zero_division`` option; the same warnings;
and bad input raising a ValueError that names the argument wherever scikit-learn raises.

Round-off: precision, recall and F1 per class are one division of the same integer counts on both sides, hence
equal exactly; an average of L <= 6 such numbers in [0, 1] summed in another order differs by at most L eps, so
averages are compared to ``AVERAGE_ATOL = 8 eps``. Curves are the same cumulative integer counts and divisions:
equal exactly. The ROC area by the rank formula and scikit-learn's trapezoid sum both add at most N terms of
size <= 1 (each carrying a few eps): they agree within ``4 N eps``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats
import sklearn.metrics
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import metrics

EPS = np.finfo(np.float64).eps
AVERAGE_ATOL = 8 * EPS
AVERAGES = ["binary", "micro", "macro", "weighted", None]
ZERO_DIVISIONS = ["warn", 0, 1, np.nan]


def call(fn, *args, **kwargs):
    """(result, error, warned): what fn returned or raised, and whether it warned of an undefined score."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = fn(*args, **kwargs), None
        except (ValueError, TypeError, IndexError) as exc:  # scikit-learn trips on some bad input without checking
            result, error = None, exc
    warned = any("ill-defined" in str(w.message) or "Only one class" in str(w.message) for w in caught)
    return result, error, warned


def assert_same(ours, theirs, exact=False):
    """Equal results (NaN equal to NaN), or both raised a ValueError, ours naming an argument."""
    result, error, _ = ours
    expected, expected_error, _ = theirs
    if expected_error is not None or error is not None:
        assert isinstance(error, ValueError) and expected_error is not None, (error, expected_error)
        assert str(error).split(":")[0].isidentifier(), str(error)
        return
    if isinstance(expected, tuple):
        for got, want in zip(result, expected):
            assert_same((got, None, False), (want, None, False), exact)
        return
    if expected is None:
        assert result is None
        return
    atol = 0.0 if exact else AVERAGE_ATOL
    np.testing.assert_allclose(np.asarray(result, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=atol)


@st.composite
def label_pairs(draw, max_n=25):
    """y_true, y_pred (N,) from a few classes, some classes in one and not the other (or in neither)."""
    n = draw(st.integers(1, max_n))
    n_classes = draw(st.integers(1, 5))
    classes = draw(
        st.sampled_from([np.arange(n_classes), np.arange(n_classes) * 2 - 1, np.array(list("abcde"))[:n_classes]])
    )
    y_true = draw(st.lists(st.sampled_from(list(classes)), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.sampled_from(list(classes)), min_size=n, max_size=n))
    return np.array(y_true), np.array(y_pred), classes


@st.composite
def prf_options(draw, classes):
    options = {"average": draw(st.sampled_from(AVERAGES)), "zero_division": draw(st.sampled_from(ZERO_DIVISIONS))}
    if draw(st.booleans()):
        options["pos_label"] = draw(st.sampled_from(list(classes)))
    if draw(st.booleans()):  # a subset, or classes absent from the data, in any order
        pool = [*classes, *(("z", "y") if classes.dtype.kind == "U" else (7, 9))]
        options["labels"] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    return options


# ----------------------------------------------------------------------------------- precision, recall, F1
@pytest.mark.parametrize("name", ["precision_score", "recall_score", "f1_score", "precision_recall_fscore_support"])
@scaled_settings(60)
@given(data=st.data())
def test_precision_recall_f1_equal_sklearn(name, data):
    y_true, y_pred, classes = data.draw(label_pairs())
    options = data.draw(prf_options(classes))
    if name == "precision_recall_fscore_support" and "average" not in options:
        options["average"] = None
    ours = call(getattr(metrics, name), y_true, y_pred, **options)
    theirs = call(getattr(sklearn.metrics, name), y_true, y_pred, **options)
    assert_same(ours, theirs)
    assert ours[2] == theirs[2], f"warned: ours {ours[2]}, scikit-learn {theirs[2]}"


def test_f1_by_hand_on_a_small_example():
    """Class 1: tp 2, fp 1, fn 1 -> P = R = F1 = 2/3; class 0: tp 1, fp 1, fn 1 -> 1/2; class 2 never predicted."""
    y_true, y_pred = [0, 1, 1, 1, 0, 2], [0, 1, 1, 0, 1, 0]
    p, r, f, support = metrics.precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    np.testing.assert_allclose(p, [1 / 3, 2 / 3, 0])
    np.testing.assert_allclose(r, [1 / 2, 2 / 3, 0])
    np.testing.assert_allclose(f, [2 / 5, 2 / 3, 0])
    assert support.tolist() == [2, 3, 1]
    assert metrics.f1_score(y_true, y_pred, average="macro", zero_division=0) == pytest.approx((2 / 5 + 2 / 3) / 3)
    assert metrics.f1_score(y_true, y_pred, average="micro") == pytest.approx(3 / 6)


def test_zero_division_warns_and_uses_zero_like_sklearn():
    with pytest.warns(metrics.UndefinedMetricWarning, match="Precision is ill-defined"):
        assert metrics.precision_score([0, 1], [0, 0]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.precision_score([0, 1], [0, 0], zero_division=1) == 1.0
        assert np.isnan(metrics.precision_score([0, 1], [0, 0], zero_division=np.nan))
        assert metrics.recall_score([0, 1], [0, 0]) == 0.0  # recall is defined: one true positive example


@scaled_settings(60)
@given(data=st.data())
def test_multilabel_counts_equal_sklearns_multilabel_confusion_matrix(data):
    y_true, y_pred, classes = data.draw(label_pairs())
    labels = data.draw(st.lists(st.sampled_from(list(classes)), min_size=1, max_size=5, unique=True))
    tp, predicted, true = metrics.multilabel_counts(y_true, y_pred, labels)
    mcm = sklearn.metrics.multilabel_confusion_matrix(y_true, y_pred, labels=labels)
    assert tp.tolist() == mcm[:, 1, 1].tolist()
    assert predicted.tolist() == (mcm[:, 1, 1] + mcm[:, 0, 1]).tolist()
    assert true.tolist() == (mcm[:, 1, 1] + mcm[:, 1, 0]).tolist()


# -------------------------------------------------------------------------------- confusion matrix, report
@scaled_settings(60)
@given(data=st.data())
def test_confusion_matrix_equals_sklearn(data):
    y_true, y_pred, classes = data.draw(label_pairs())
    options = {"normalize": data.draw(st.sampled_from(["true", "pred", "all", None]))}
    if data.draw(st.booleans()):
        options["labels"] = data.draw(st.lists(st.sampled_from(list(classes)), min_size=1, max_size=5, unique=True))
    ours = call(metrics.confusion_matrix, y_true, y_pred, **options)
    theirs = call(sklearn.metrics.confusion_matrix, y_true, y_pred, **options)
    assert_same(ours, theirs, exact=True)
    if ours[1] is None and options["normalize"] is None:
        assert ours[0].dtype == theirs[0].dtype


def test_confusion_matrix_rows_are_true_classes():
    cm = metrics.confusion_matrix(["cat", "dog", "dog", "cat"], ["cat", "cat", "dog", "cat"], labels=["dog", "cat"])
    assert cm.tolist() == [[1, 1], [0, 2]]


@scaled_settings(40)
@given(data=st.data())
def test_classification_report_equals_sklearn(data):
    y_true, y_pred, classes = data.draw(label_pairs())
    options = {"zero_division": data.draw(st.sampled_from([0, 1, np.nan])), "digits": data.draw(st.integers(0, 4))}
    if data.draw(st.booleans()):
        options["labels"] = data.draw(st.lists(st.sampled_from(list(classes)), min_size=1, max_size=5, unique=True))
    ours = call(metrics.classification_report, y_true, y_pred, output_dict=True, **options)
    theirs = call(sklearn.metrics.classification_report, y_true, y_pred, output_dict=True, **options)
    if theirs[1] is not None:
        assert ours[1] is not None
        return
    assert list(ours[0]) == list(theirs[0])
    for key, value in theirs[0].items():
        got = ours[0][key] if key == "accuracy" else tuple(ours[0][key].values())
        assert_same((got, None, False), (value if key == "accuracy" else tuple(value.values()), None, False))
    # scikit-learn's support is a float (printed "2.0") when no prediction at all is right: compare text otherwise
    if np.any(y_true == y_pred) and "labels" not in options:
        assert metrics.classification_report(y_true, y_pred, **options) == sklearn.metrics.classification_report(
            y_true, y_pred, **options
        )


def test_classification_report_text_by_hand():
    report = metrics.classification_report([0, 1, 1], [0, 1, 0], target_names=["no", "yes"])
    assert report.splitlines()[0].split() == ["precision", "recall", "f1-score", "support"]
    assert report.splitlines()[2].split() == ["no", "0.50", "1.00", "0.67", "1"]
    assert "accuracy" in report and "macro avg" in report and "weighted avg" in report


# ------------------------------------------------------------------------------------------- scores, curves
@st.composite
def binary_scores(draw, max_n=30):
    """Binary labels y_true (N,) (sometimes one class only) and scores (N,) with ties (quarters in [-2, 2])."""
    n = draw(st.integers(1, max_n))
    classes = draw(st.sampled_from([(0, 1), (-1, 1), (False, True), (0,), (1,)]))
    y_true = np.array(draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n)))
    scores = np.array(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n))) / 4
    return y_true, scores


@pytest.mark.parametrize("name", ["roc_curve", "precision_recall_curve"])
@scaled_settings(60)
@given(data=binary_scores(), drop_intermediate=st.booleans())
def test_curves_equal_sklearn(name, data, drop_intermediate):
    y_true, scores = data
    ours = call(getattr(metrics, name), y_true, scores, drop_intermediate=drop_intermediate)
    theirs = call(getattr(sklearn.metrics, name), y_true, scores, drop_intermediate=drop_intermediate)
    assert_same(ours, theirs, exact=True)


@scaled_settings(60)
@given(data=binary_scores())
def test_roc_auc_by_ranks_equals_sklearns_trapezoid(data):
    y_true, scores = data
    ours = call(metrics.roc_auc_score, y_true, scores)
    theirs = call(sklearn.metrics.roc_auc_score, y_true, scores)
    assert ours[2] == theirs[2]  # one class only: both warn and give NaN
    np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=4 * len(y_true) * EPS)


@scaled_settings(60)
@given(data=binary_scores())
def test_roc_auc_is_the_probability_a_positive_outscores_a_negative(data):
    """Counted over all (positive, negative) pairs, a tie counting one half: exact rationals, compared to eps."""
    y_true, scores = data
    positive = y_true == np.max(y_true)
    if positive.all() or not positive.any():
        return
    diff = scores[positive][:, None] - scores[~positive][None, :]
    expected = (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size
    assert metrics.roc_auc_score(y_true, scores) == pytest.approx(expected, rel=0, abs=4 * EPS)


@scaled_settings(40)
@given(x=st.lists(st.integers(-3, 3), min_size=1, max_size=30))
def test_average_ranks_equal_scipy_rankdata(x):
    np.testing.assert_array_equal(metrics.average_ranks(np.array(x, float)), scipy.stats.rankdata(x))


@scaled_settings(60)
@given(data=binary_scores(), pos_label=st.sampled_from([1, 0, -1]))
def test_average_precision_equals_sklearn(data, pos_label):
    y_true, scores = data
    ours = call(metrics.average_precision_score, y_true, scores, pos_label=pos_label)
    theirs = call(sklearn.metrics.average_precision_score, y_true, scores, pos_label=pos_label)
    assert_same(ours, theirs)


@scaled_settings(30)
@given(data=st.data())
def test_multilabel_areas_are_the_mean_over_columns_like_sklearn(data):
    n, n_labels = data.draw(st.integers(2, 12)), data.draw(st.integers(2, 4))
    y_true = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n * n_labels, max_size=n * n_labels)))
    scores = np.array(data.draw(st.lists(st.integers(0, 6), min_size=n * n_labels, max_size=n * n_labels))) / 6
    y_true, scores = y_true.reshape(n, n_labels), scores.reshape(n, n_labels)
    for name in ("roc_auc_score", "average_precision_score"):
        ours = call(getattr(metrics, name), y_true, scores)
        theirs = call(getattr(sklearn.metrics, name), y_true, scores)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=4 * n * EPS)


# -------------------------------------------------------------------------------------------------- log loss
@st.composite
def probabilities(draw):
    """y_true (N,) of classes 0..C-1 (some absent), probabilities (N, C) with exact 0s and 1s, labels or not."""
    n, c = draw(st.integers(1, 20)), draw(st.integers(2, 4))
    y_true = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    raw = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1e-20]), min_size=n * c, max_size=n * c))
    )
    raw = raw.reshape(n, c)
    raw[raw.sum(axis=1) == 0, 0] = 1.0
    proba = raw / raw.sum(axis=1, keepdims=True)
    labels = list(range(c)) if draw(st.booleans()) else None
    if c == 2 and draw(st.booleans()):
        proba = proba[:, 1]  # the probability of the larger class
    return y_true, proba, labels


@scaled_settings(60)
@given(data=probabilities(), normalize=st.booleans(), float32=st.booleans())
def test_log_loss_equals_sklearn_with_its_eps_clipping(data, normalize, float32):
    """Clipping to [eps, 1 - eps] with eps of the probabilities' dtype (float32's when they are float32), as
    scikit-learn 1.9 does. Each row's loss is one logarithm on both sides; the mean of N positive terms of size
    <= -log(eps) = 36 (float64) differs by at most N eps relatively (float32: N times float32's eps)."""
    y_true, proba, labels = data
    proba = proba.astype(np.float32) if float32 else proba
    ours = call(metrics.log_loss, y_true, proba, normalize=normalize, labels=labels)
    theirs = call(sklearn.metrics.log_loss, y_true, proba, normalize=normalize, labels=labels)
    if theirs[1] is not None or ours[1] is not None:
        assert_same(ours, theirs)
        return
    eps = float(np.finfo(proba.dtype).eps)
    assert ours[0] == pytest.approx(theirs[0], rel=4 * len(y_true) * eps, abs=0)


def test_log_loss_clips_a_confident_mistake_to_minus_log_eps():
    assert metrics.log_loss([0, 1], [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(-np.log(EPS) / 2)
    assert metrics.log_loss([0, 1], np.array([[1, 0], [1, 0]], np.float32)) == pytest.approx(
        -np.log(np.finfo(np.float32).eps) / 2, rel=1e-6
    )


# --------------------------------------------------------------------------------------------------- bad input
BAD = {
    "continuous predictions": ([0, 1, 1], [0.2, 0.7, 0.9]),
    "NaN predicted": ([0, 1, 1], [0, np.nan, 1]),
    "NaN true": ([0, np.nan, 1], [0, 1, 1]),
    "lengths differ": ([0, 1, 2], [0, 1]),
    "empty": ([], []),
    "strings vs numbers": (["a", "b"], [0, 1]),
}
BAD_SCORES = {
    "NaN score": ([0, 1, 1], [0.1, np.nan, 0.3]),
    "infinite score": ([0, 1, 1], [0.1, np.inf, 0.3]),
    "lengths differ": ([0, 1, 1], [0.1, 0.2]),
    "continuous y_true": ([0.5, 1, 0], [0.1, 0.2, 0.3]),
    "multiclass y_true": ([0, 1, 2], [0.1, 0.2, 0.3]),
    "scores per class": ([0, 1, 1], [[0.1, 0.9], [0.2, 0.8], [0.5, 0.5]]),
    "empty": ([], []),
    "strings without pos_label": (["a", "b"], [0.1, 0.2]),
}


@pytest.mark.parametrize(
    "name", ["precision_score", "recall_score", "f1_score", "confusion_matrix", "classification_report"]
)
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_labels_raise_where_sklearn_raises(name, case):
    y_true, y_pred = BAD[case]
    theirs = call(getattr(sklearn.metrics, name), y_true, y_pred)
    assert theirs[1] is not None
    with pytest.raises(ValueError, match=r"^(y_true|y_pred): expected"):
        getattr(metrics, name)(y_true, y_pred)


@pytest.mark.parametrize("name", ["roc_curve", "precision_recall_curve", "roc_auc_score", "average_precision_score"])
@pytest.mark.parametrize("case", sorted(BAD_SCORES))
def test_bad_scores_raise_where_sklearn_raises(name, case):
    y_true, y_score = (np.asarray(v) for v in BAD_SCORES[case])  # scikit-learn wants arrays for y_score
    theirs = call(getattr(sklearn.metrics, name), y_true, y_score)
    ours = call(getattr(metrics, name), y_true, y_score)
    if theirs[1] is None:  # scikit-learn's AP and AUC accept string labels (the larger one is positive)
        assert_same(ours, theirs)
        return
    assert isinstance(ours[1], ValueError), f"scikit-learn raised {theirs[1]!r}, ours gave {ours[0]!r}, {ours[1]!r}"
    assert str(ours[1]).split(":")[0] in ("y_true", "y_score", "pos_label"), str(ours[1])


def test_messages_name_the_argument():
    with pytest.raises(ValueError, match=r"^average: expected 'micro', 'macro', 'weighted' or None"):
        metrics.f1_score([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match=r"^average: expected one of"):
        metrics.f1_score([0, 1], [0, 1], average="mean")
    with pytest.raises(ValueError, match=r"^pos_label: expected one of the labels \['cat', 'dog'\], got 1"):
        metrics.precision_score(["cat", "dog"], ["dog", "dog"])
    with pytest.raises(ValueError, match=r"^zero_division: expected 'warn', 0, 1 or np.nan, got 2"):
        metrics.recall_score([0, 1], [0, 1], zero_division=2)
    with pytest.raises(ValueError, match=r"^normalize: expected one of"):
        metrics.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match=r"^labels: expected at least one label that is in y_true"):
        metrics.confusion_matrix([0, 1], [0, 1], labels=[5])
    with pytest.raises(ValueError, match=r"^y_score: expected finite values, found nan"):
        metrics.roc_curve([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match=r"^pos_label: expected the positive class"):
        metrics.roc_curve([1, 2], [0.5, 0.7])
    with pytest.raises(ValueError, match=r"^y_proba: expected probabilities in \[0, 1\], got 1.5"):
        metrics.log_loss([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match=r"^y_true: expected at least two classes"):
        metrics.log_loss([1, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^y_true: expected 1-D class labels, got multilabel-indicator"):
        metrics.f1_score(np.eye(2, dtype=int), np.eye(2, dtype=int))
    with pytest.raises(ValueError, match=r"^drop_intermediate: expected True or False"):
        metrics.roc_curve([0, 1], [0.5, 0.7], drop_intermediate="yes")


def test_roc_auc_of_one_class_warns_and_is_nan_as_in_this_sklearn():
    """scikit-learn 1.9 warns and returns NaN (older versions raised): the same here."""
    with pytest.warns(metrics.UndefinedMetricWarning, match="Only one class"):
        assert np.isnan(metrics.roc_auc_score([1, 1, 1], [0.2, 0.4, 0.5]))
