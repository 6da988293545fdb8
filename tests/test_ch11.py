"""Chapter 11's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics
import sklearn.model_selection
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse import metrics, model_selection
from dlcourse.checks import ch11
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def confusion_matrix(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        M[t, p] += 1
    return M


def macro_f1(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else 0.0)
    return float(np.mean(scores))


def mean_ranks(s):
    """Ranks 1..N, ties sharing their mean, by counting: rank = (#smaller) + (#equal + 1) / 2."""
    s = np.asarray(s, dtype=float)
    smaller = (s[None, :] < s[:, None]).sum(axis=1)
    equal = (s[None, :] == s[:, None]).sum(axis=1)
    return smaller + (equal + 1) / 2


def roc_auc(y_true, scores):
    y_true = np.asarray(y_true)
    n_pos = int(np.sum(y_true == 1))
    n_neg = len(y_true) - n_pos
    return float((mean_ranks(scores)[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def stratified_kfold(y, n_splits):
    y = np.asarray(y)
    classes = list(dict.fromkeys(y.tolist()))  # in order of first appearance
    encoded = np.array([classes.index(v) for v in y.tolist()])
    ordered = np.sort(encoded)
    fold = np.empty(len(y), dtype=int)
    for c in range(len(classes)):
        counts = [int(np.sum(ordered[k::n_splits] == c)) for k in range(n_splits)]
        fold[encoded == c] = np.repeat(np.arange(n_splits), counts)
    return fold


def ece(y_true, probs, n_bins):
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    bins = np.digitize(confidence, np.arange(1, n_bins) / n_bins, right=True)  # (lo, hi]
    total = 0.0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return total


ANSWERS = [
    (ch11.check_confusion_matrix, confusion_matrix, "confusion_matrix"),
    (ch11.check_macro_f1, macro_f1, "macro_f1"),
    (ch11.check_roc_auc, roc_auc, "roc_auc"),
    (ch11.check_stratified_kfold, stratified_kfold, "stratified_kfold"),
    (ch11.check_ece, ece, "ece"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_answers_built_on_the_libraries_agree_with_the_checks():
    """Run unguarded: as answers, dlcourse's and scikit-learn's implementations are delegation."""

    def sk_confusion(y_true, y_pred, num_classes):
        return sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))

    def our_macro_f1(y_true, y_pred, num_classes):
        return metrics.f1_score(y_true, y_pred, labels=list(range(num_classes)), average="macro", zero_division=0)

    def our_auc(y_true, scores):
        return metrics.roc_auc_score(y_true, scores)

    def our_folds(y, n_splits):
        return model_selection.StratifiedKFold(n_splits).fold_assignment(y)

    def our_ece(y_true, probs, n_bins):
        return metrics.expected_calibration_error(y_true, probs, n_bins=n_bins)

    for check, fn in [
        (ch11.check_confusion_matrix, sk_confusion),
        (ch11.check_macro_f1, our_macro_f1),
        (ch11.check_roc_auc, our_auc),
        (ch11.check_stratified_kfold, our_folds),
        (ch11.check_ece, our_ece),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


def test_calling_the_library_is_refused():
    fails(
        ch11.check_confusion_matrix,
        lambda y_true, y_pred, num_classes: sklearn.metrics.confusion_matrix(y_true, y_pred),
        "sklearn.metrics.confusion_matrix",
    )
    fails(ch11.check_roc_auc, lambda y, s: metrics.roc_auc_score(y, s), "dlcourse.metrics.roc_auc_score")
    fails(
        ch11.check_stratified_kfold,
        lambda y, k: model_selection.StratifiedKFold(k).fold_assignment(y),
        "StratifiedKFold",
    )


# -------------------------------------------------------------------------------------------------- confusion matrix
def transposed_confusion(y_true, y_pred, num_classes):
    return confusion_matrix(y_pred, y_true, num_classes)


def present_classes_only(y_true, y_pred, num_classes):
    classes = np.unique(np.r_[y_true, y_pred])
    return np.array([[np.sum((y_true == a) & (y_pred == b)) for b in classes] for a in classes])


def float_counts(y_true, y_pred, num_classes):
    return confusion_matrix(y_true, y_pred, num_classes).astype(float)


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (transposed_confusion, ("rows are the true classes",)),
        (present_classes_only, ("never occurs", "shape")),
        (float_counts, ("dtype float64, expected int",)),
    ],
)
def test_confusion_matrix_mistakes_are_named(answer, patterns):
    fails(ch11.check_confusion_matrix, answer, *patterns)


# -------------------------------------------------------------------------------------------------- macro F1
def weighted_f1(y_true, y_pred, num_classes):
    scores, support = [], []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0)
        support.append(tp + fn)
    return float(np.dot(scores, support) / np.sum(support))


def micro_f1(y_true, y_pred, num_classes):
    return float(np.mean(y_true == y_pred))


def present_mean(y_true, y_pred, num_classes):
    classes = np.unique(y_true)
    scores = []
    for c in classes:
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def harmonic_of_macros(y_true, y_pred, num_classes):
    p, r = [], []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        p.append(tp / np.sum(y_pred == c) if np.sum(y_pred == c) else 0.0)
        r.append(tp / np.sum(y_true == c) if np.sum(y_true == c) else 0.0)
    return float(2 * np.mean(p) * np.mean(r) / (np.mean(p) + np.mean(r)))


def empty_class_counts_one(y_true, y_pred, num_classes):
    scores = []
    for c in range(num_classes):
        tp = np.sum((y_true == c) & (y_pred == c))
        denominator = np.sum(y_true == c) + np.sum(y_pred == c)
        scores.append(2 * tp / denominator if denominator else 1.0)
    return float(np.mean(scores))


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (weighted_f1, "weighted average"),
        (micro_f1, "micro average"),
        (present_mean, "absent from y_true"),
        (harmonic_of_macros, "harmonic mean of macro precision and macro recall"),
        (empty_class_counts_one, "not 1"),
    ],
)
def test_macro_f1_mistakes_are_named(answer, pattern):
    fails(ch11.check_macro_f1, answer, pattern)


# -------------------------------------------------------------------------------------------------- ROC AUC
def ties_as_wins(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    return float(np.mean(pos[:, None] >= neg[None, :]))


def ties_as_losses(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    return float(np.mean(pos[:, None] > neg[None, :]))


def argsort_ranks(y_true, scores):
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores, kind="stable")] = np.arange(1, len(scores) + 1)
    n_pos = int(y_true.sum())
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y_true) - n_pos)))


def ranks_from_zero(y_true, scores):
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    return float(((mean_ranks(scores) - 1)[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def swapped(y_true, scores):
    return roc_auc(1 - y_true, scores)


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (ties_as_wins, "counted as a win"),
        (ties_as_losses, "counted as a loss"),
        (argsort_ranks, "break ties by position"),
        (ranks_from_zero, "not from 0"),
        (swapped, "swapped"),
    ],
)
def test_roc_auc_mistakes_are_named(answer, pattern):
    fails(ch11.check_roc_auc, answer, pattern)


def test_roc_auc_cases_have_ties_and_both_classes():
    cases = ch11.roc_auc_cases(0)
    for case in cases:
        y = case["y_true"]
        assert set(np.unique(y)) == {0, 1}
    assert len(np.unique(cases[1]["scores"])) < len(cases[1]["scores"]) / 4  # many ties
    assert [sklearn.metrics.roc_auc_score(c["y_true"], c["scores"]) for c in cases[2:5]] == [1.0, 0.0, 0.5]


# -------------------------------------------------------------------------------------------------- stratified k-fold
def sorted_class_order(y, n_splits):
    y = np.asarray(y)
    _, encoded = np.unique(y, return_inverse=True)
    ordered = np.sort(encoded)
    fold = np.empty(len(y), dtype=int)
    for c in range(encoded.max() + 1):
        counts = [int(np.sum(ordered[k::n_splits] == c)) for k in range(n_splits)]
        fold[encoded == c] = np.repeat(np.arange(n_splits), counts)
    return fold


def round_robin_within_class(y, n_splits):
    y = np.asarray(y)
    fold = np.empty(len(y), dtype=int)
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        fold[members] = np.arange(len(members)) % n_splits
    return fold


def plain_kfold(y, n_splits):
    fold = np.empty(len(y), dtype=int)
    for k, (_, test) in enumerate(sklearn.model_selection.KFold(n_splits).split(np.zeros(len(y)))):
        fold[test] = k
    return fold


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (sorted_class_order, "first appear"),
        (round_robin_within_class, "stratified, but not the assignment"),
        (plain_kfold, "not stratified"),
    ],
)
def test_stratified_kfold_mistakes_are_named(answer, pattern):
    fails(ch11.check_stratified_kfold, answer, pattern)


def test_stratified_cases_tell_first_appearance_from_sorted_order():
    names = ch11.stratified_cases(0)[1]["y"]
    first_seen = list(dict.fromkeys(names))
    assert first_seen != sorted(first_seen)
    assert not np.array_equal(sorted_class_order(names, 4), stratified_kfold(names, 4))


# -------------------------------------------------------------------------------------------------- ECE
def left_closed_bins(y_true, probs, n_bins):
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)  # [lo, hi)
    return sum(
        (bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
        for b in range(n_bins)
        if (bins == b).any()
    )


def unweighted_bins(y_true, probs, n_bins):
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    return float(
        np.mean(
            [abs(correct[bins == b].mean() - confidence[bins == b].mean()) for b in range(n_bins) if (bins == b).any()]
        )
    )


def true_class_confidence(y_true, probs, n_bins):
    confidence = probs[np.arange(len(y_true)), y_true]
    correct = probs.argmax(axis=1) == y_true
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    return sum(
        (bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
        for b in range(n_bins)
        if (bins == b).any()
    )


def returns_per_bin_gaps(y_true, probs, n_bins):
    return np.zeros(n_bins)


@pytest.mark.parametrize(
    "answer, pattern",
    [
        (left_closed_bins, "open on the left"),
        (unweighted_bins, "share of the examples"),
        (true_class_confidence, "not of the true one"),
        (returns_per_bin_gaps, "should return one number"),
    ],
)
def test_ece_mistakes_are_named(answer, pattern):
    fails(ch11.check_ece, answer, pattern)


def test_ece_reference_is_the_librarys_on_random_cases_and_the_edge_case_tells_the_bin_convention():
    for case in ch11.ece_cases(0):
        y, probs, n_bins = case["y_true"], case["probs"], case["n_bins"]
        with unguarded():
            assert np.isclose(
                ch11._ece_reference(y, probs, n_bins), metrics.expected_calibration_error(y, probs, n_bins)
            )
    y, probs, n_bins = (ch11.ece_cases(0)[2][k] for k in ("y_true", "probs", "n_bins"))
    assert not np.isclose(ch11._ece_reference(y, probs, n_bins), left_closed_bins(y, probs, n_bins))


def test_exercises_are_listed():
    assert [e.key for e in ch11.EXERCISES] == [
        "11-confusion-matrix",
        "11-macro-f1",
        "11-roc-auc",
        "11-stratified-kfold",
        "11-ece",
    ]


# ------------------------------------------------------------------------------------ more mistakes a learner makes
def size_from_the_labels(y_true, y_pred, num_classes):
    """num_classes ignored: the size taken from the largest label seen."""
    k = int(max(y_true.max(), y_pred.max())) + 1
    return np.bincount(k * y_true + y_pred, minlength=k * k).reshape(k, k)


def fancy_index_increment(y_true, y_pred, num_classes):
    """M[y_true, y_pred] += 1 adds 1 once per distinct pair: repeated pairs are not accumulated."""
    M = np.zeros((num_classes, num_classes), dtype=int)
    M[y_true, y_pred] += 1
    return M


def test_more_confusion_matrix_mistakes_fail():
    fails(ch11.check_confusion_matrix, size_from_the_labels, "num_classes=5", "never occurs")
    fails(ch11.check_confusion_matrix, fancy_index_increment, "num_classes=3", "is wrong")


def mean_over_seen_classes(y_true, y_pred, num_classes):
    """The mean over the classes that occur in y_true or y_pred: those neither present nor predicted left out."""
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def macro_precision(y_true, y_pred, num_classes):
    p = [np.sum((y_true == c) & (y_pred == c)) / max(np.sum(y_pred == c), 1) for c in range(num_classes)]
    return float(np.mean(p))


def test_more_macro_f1_mistakes_fail():
    fails(ch11.check_macro_f1, mean_over_seen_classes, "num_classes=5", "average over all num_classes classes")
    fails(ch11.check_macro_f1, macro_precision, "is wrong")


def lowest_rank_for_ties(y_true, scores):
    """Tied scores all given the lowest of their ranks (scipy's method='min')."""
    ranks = (scores[None, :] < scores[:, None]).sum(axis=1) + 1.0
    n_pos = int(y_true.sum())
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y_true) - n_pos)))


def test_more_roc_auc_mistakes_fail():
    fails(ch11.check_roc_auc, lowest_rank_for_ties, "roc_auc(y_true (60,)", "is wrong")


def array_split_per_class(y, n_splits):
    """Each class's examples split into n_splits near-equal runs, the larger runs first: stratified, but the counts
    come from the class alone, not from the round-robin deal of all the sorted labels."""
    y = np.asarray(y)
    fold = np.empty(len(y), dtype=int)
    for c in dict.fromkeys(y.tolist()):
        for k, part in enumerate(np.array_split(np.flatnonzero(y == c), n_splits)):
            fold[part] = k
    return fold


def test_more_stratified_kfold_mistakes_fail():
    fails(ch11.check_stratified_kfold, array_split_per_class, "n_splits=4", "stratified, but not the assignment")


def signed_gaps(y_true, probs, n_bins):
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    return float(
        sum((bins == b).mean() * (correct[bins == b].mean() - confidence[bins == b].mean()) for b in np.unique(bins))
    )


def ten_bins_always(y_true, probs, n_bins):
    return ece(y_true, probs, 10)


def test_more_ece_mistakes_fail():
    fails(ch11.check_ece, signed_gaps, "the opposite sign")
    fails(ch11.check_ece, ten_bins_always, "n_bins=15", "is wrong")


def classes_by_size(y, n_splits):
    """Classes numbered by their size, the largest first (as pandas' value_counts lists them), not by first
    appearance."""
    y = np.asarray(y)
    values, counts = np.unique(y, return_counts=True)
    classes = list(values[np.argsort(-counts, kind="stable")])
    encoded = np.array([classes.index(v) for v in y])
    ordered = np.sort(encoded)
    fold = np.empty(len(y), dtype=int)
    for c in range(len(classes)):
        fold[encoded == c] = np.repeat(
            np.arange(n_splits), [int(np.sum(ordered[k::n_splits] == c)) for k in range(n_splits)]
        )
    return fold


def test_classes_numbered_by_size_fail():
    """Passed while the class seen first in the late-classes case was also its largest."""
    fails(ch11.check_stratified_kfold, classes_by_size, "n_splits=5", "in the order in which they first appear")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_late_classes_case_tells_first_appearance_from_sorted_and_size_order(seed):
    y = ch11.stratified_cases(seed)[2]["y"]
    assert not np.array_equal(sorted_class_order(y, 5), stratified_kfold(y, 5))
    assert not np.array_equal(classes_by_size(y, 5), stratified_kfold(y, 5))
