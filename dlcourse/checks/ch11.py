"""Checks for chapter 11's exercises (evaluation).

=================================  ==========================================  ================================
exercise                           learner writes                              check
=================================  ==========================================  ================================
``exercise-11-confusion-matrix``   ``confusion_matrix(y_true, y_pred, C)``     :func:`check_confusion_matrix`
``exercise-11-macro-f1``           ``macro_f1(y_true, y_pred, C)``             :func:`check_macro_f1`
``exercise-11-roc-auc``            ``roc_auc(y_true, scores)``                 :func:`check_roc_auc`
``exercise-11-stratified-kfold``   ``stratified_kfold(y, n_splits)``           :func:`check_stratified_kfold`
``exercise-11-ece``                ``ece(y_true, probs, n_bins)``              :func:`check_ece`
=================================  ==========================================  ================================

References are independent of dlcourse: scikit-learn (``confusion_matrix``, ``f1_score``, ``roc_auc_score``,
``StratifiedKFold``) and, for the expected calibration error, a loop over the bins written here. Typical mistakes
are recognised by recomputing them (a transposed matrix, the weighted average, ties counted as wins, bins closed on
the left ...) and named in the hint. Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``)
whose ``forbidden`` names every implementation of the thing asked, ours and scikit-learn's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .answers import first_hint, number
from .calls import Call, make_case
from .compare import matches
from .exercise import Exercise
from .runner import Check


# ------------------------------------------------------------------------------------------ confusion matrix
def confusion_cases(seed: int = 0) -> list[dict]:
    """(y_true, y_pred, num_classes): three classes; ten classes; an absent class; one example; imbalanced binary."""
    rng = np.random.default_rng(seed)

    def noisy(y, num_classes, error):
        wrong = rng.random(len(y)) < error
        return np.where(wrong, rng.integers(0, num_classes, len(y)), y)

    y3 = rng.integers(0, 3, 30)
    y10 = rng.integers(0, 10, 200)
    y_absent = rng.integers(0, 4, 40)  # class 4 of 5 never occurs
    y_binary = (rng.random(50) < 0.15).astype(np.int64)
    return [
        {"y_true": y3, "y_pred": noisy(y3, 3, 0.4), "num_classes": 3},
        {"y_true": y10, "y_pred": noisy(y10, 10, 0.3), "num_classes": 10},
        {"y_true": y_absent, "y_pred": noisy(y_absent, 4, 0.3), "num_classes": 5},
        {"y_true": np.array([2]), "y_pred": np.array([1]), "num_classes": 3},
        {"y_true": y_binary, "y_pred": noisy(y_binary, 2, 0.2), "num_classes": 2},
    ]


def _judge_confusion(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.metrics import confusion_matrix

    check = Check("confusion_matrix")
    for case, call in zip(cases, calls):
        y_true, y_pred, num_classes = case["args"].values()
        label = f"confusion_matrix(y_true ({len(y_true)},), y_pred, num_classes={num_classes})"
        got = check.result(call, label)
        expected = confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
        present = np.unique(np.r_[y_true, y_pred])
        hint = None
        if isinstance(got, np.ndarray) and got.shape == (len(present), len(present)) != expected.shape:
            hint = (
                "a class that never occurs was left out: the matrix has a row and a column for every class "
                "0 .. num_classes - 1, whether it occurs or not."
            )
        elif matches(got, expected.T) and not matches(expected.T, expected):
            hint = "rows are the true classes and columns the predictions: M[j, k] counts true j predicted as k."
        check.compare(got, expected, what=label, expect_dtype="int", hint=hint)
    return check.pass_line(
        f"equals sklearn.metrics.confusion_matrix(..., labels=range(num_classes)) in {len(cases)} cases "
        "(an absent class, a single example)"
    )


CONFUSION_MATRIX = Exercise(
    "11-confusion-matrix",
    "confusion_matrix",
    "confusion_matrix",
    lambda seed: [make_case(case) for case in confusion_cases(seed)],
    _judge_confusion,
    forbidden=("dlcourse.metrics.confusion_matrix", "sklearn.metrics.confusion_matrix"),
)


def check_confusion_matrix(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(y_true (N,), y_pred (N,), num_classes)`` -> the (C, C) integer counts, ``M[j, k]`` the examples of
    class j predicted as k: ``sklearn.metrics.confusion_matrix(..., labels=range(C))``."""
    CONFUSION_MATRIX.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ macro F1
def macro_f1_cases(seed: int = 0) -> list[dict]:
    """(y_true, y_pred, num_classes): balanced; imbalanced; a class predicted but never present; a class neither
    present nor predicted; one example."""
    rng = np.random.default_rng(seed)

    def noisy(y, num_classes, error):
        wrong = rng.random(len(y)) < error
        return np.where(wrong, rng.integers(0, num_classes, len(y)), y)

    balanced = rng.integers(0, 5, 60)
    imbalanced = rng.choice(3, size=80, p=[0.75, 0.2, 0.05])
    never_present = rng.integers(0, 3, 40)
    unused = rng.integers(0, 3, 30)
    return [
        {"y_true": balanced, "y_pred": noisy(balanced, 5, 0.4), "num_classes": 5},
        {"y_true": imbalanced, "y_pred": noisy(imbalanced, 3, 0.3), "num_classes": 3},
        {"y_true": never_present, "y_pred": noisy(never_present, 4, 0.3), "num_classes": 4},
        {"y_true": unused, "y_pred": noisy(unused, 3, 0.2), "num_classes": 5},
        {"y_true": np.array([1]), "y_pred": np.array([1]), "num_classes": 2},
    ]


def _f1_per_class(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> tuple[np.ndarray, ...]:
    """tp, fp, fn and support (C,) each, by loops over the classes."""
    tp = np.array([np.sum((y_true == c) & (y_pred == c)) for c in range(num_classes)], dtype=float)
    fp = np.array([np.sum((y_true != c) & (y_pred == c)) for c in range(num_classes)], dtype=float)
    fn = np.array([np.sum((y_true == c) & (y_pred != c)) for c in range(num_classes)], dtype=float)
    return tp, fp, fn, tp + fn


def _safe_ratio(a: np.ndarray, b: np.ndarray, empty: float = 0.0) -> np.ndarray:
    return np.array([x / y if y > 0 else empty for x, y in zip(a, b)])


def _judge_macro_f1(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.metrics import f1_score

    check = Check("macro_f1")
    for case, call in zip(cases, calls):
        y_true, y_pred, num_classes = case["args"].values()
        label = f"macro_f1(y_true ({len(y_true)},), y_pred, num_classes={num_classes})"
        got = number(check, check.result(call, label), label)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = float(f1_score(y_true, y_pred, labels=np.arange(num_classes), average="macro", zero_division=0))
        tp, fp, fn, support = _f1_per_class(y_true, y_pred, num_classes)
        f1 = _safe_ratio(2 * tp, 2 * tp + fp + fn)
        precision, recall = _safe_ratio(tp, tp + fp), _safe_ratio(tp, tp + fn)
        macro_p, macro_r = precision.mean(), recall.mean()
        present = np.isin(np.arange(num_classes), y_true)
        seen = present | np.isin(np.arange(num_classes), y_pred)
        mistakes = [
            (
                float(np.sum(f1 * support) / support.sum()),
                "that is the weighted average (by support); macro averages the classes' F1 scores with equal weights.",
            ),
            (
                float(tp.sum() / len(y_true)),
                "that is the micro average (equal to the accuracy); macro is the plain "
                "mean of the per-class F1 scores.",
            ),
            (
                float(f1[present].mean()),
                "average over all num_classes classes, those absent from y_true included "
                "(their F1 is 0, or computed from their false positives).",
            ),
            (
                float(f1[seen].mean()),
                "average over all num_classes classes: a class that is neither present nor "
                "predicted counts with F1 = 0.",
            ),
            (
                float(_safe_ratio(2 * tp, 2 * tp + fp + fn, 1.0).mean()),
                "a class with 2 TP + FP + FN = 0 has F1 = 0 in this exercise (scikit-learn's zero_division=0), not 1.",
            ),
            (
                float(2 * macro_p * macro_r / (macro_p + macro_r)) if macro_p + macro_r > 0 else None,
                "that is the harmonic mean of macro precision and macro recall; macro F1 is the mean of the per-class "
                "F1 scores.",
            ),
        ]
        check.compare(got, expected, what=label, hint=first_hint(got, mistakes, expected))
    return check.pass_line(
        f"equals sklearn's f1_score(..., average='macro', zero_division=0) in {len(cases)} cases (imbalanced, "
        "absent classes)"
    )


MACRO_F1 = Exercise(
    "11-macro-f1",
    "macro_f1",
    "macro_f1",
    lambda seed: [make_case(case) for case in macro_f1_cases(seed)],
    _judge_macro_f1,
    forbidden=(
        "dlcourse.metrics.f1_score",
        "dlcourse.metrics.precision_recall_fscore_support",
        "dlcourse.metrics.classification_report",
        "sklearn.metrics.f1_score",
        "sklearn.metrics.fbeta_score",
        "sklearn.metrics.precision_recall_fscore_support",
        "sklearn.metrics.classification_report",
    ),
)


def check_macro_f1(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(y_true (N,), y_pred (N,), num_classes)`` -> the unweighted mean of the per-class F1 scores, 0 for a
    class with 2 TP + FP + FN = 0: ``sklearn.metrics.f1_score(..., average='macro', zero_division=0)``."""
    MACRO_F1.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ ROC AUC
def roc_auc_cases(seed: int = 0) -> list[dict]:
    """(y_true, scores): continuous scores; many ties; a perfect scorer; an inverted one; all scores equal; rare
    positives with ties."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.r_[np.zeros(30, np.int64), np.ones(20, np.int64)])
    continuous = rng.standard_normal(50) + 0.8 * y
    y_ties = rng.permutation(np.r_[np.zeros(35, np.int64), np.ones(25, np.int64)])
    ties = np.round(rng.uniform(0, 4, 60) + 1.2 * y_ties).astype(float)  # a handful of distinct values
    y_sep = rng.permutation(np.r_[np.zeros(8, np.int64), np.ones(7, np.int64)])
    separated = rng.uniform(0, 1, 15) + 2.0 * y_sep
    y_rare = rng.permutation(np.r_[np.zeros(37, np.int64), np.ones(3, np.int64)])
    rare = np.round(rng.uniform(0, 3, 40) + y_rare) / 3
    return [
        {"y_true": y, "scores": continuous},
        {"y_true": y_ties, "scores": ties},
        {"y_true": y_sep, "scores": separated},
        {"y_true": y_sep, "scores": -separated},
        {"y_true": y_sep, "scores": np.full(15, 0.3)},
        {"y_true": y_rare, "scores": rare},
    ]


def _pairwise_auc(y: np.ndarray, s: np.ndarray, tie: float) -> float:
    pos, neg = s[y == 1], s[y == 0]
    return float(np.mean((pos[:, None] > neg[None, :]) + tie * (pos[:, None] == neg[None, :])))


def _judge_roc_auc(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.metrics import roc_auc_score

    check = Check("roc_auc")
    for case, call in zip(cases, calls):
        y, s = case["args"].values()
        label = f"roc_auc(y_true ({len(y)},), scores ({len(s)},))"
        got = number(check, check.result(call, label), label)
        expected = float(roc_auc_score(y, s))
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        ordinal = np.empty(len(s))
        ordinal[np.argsort(s, kind="stable")] = np.arange(1, len(s) + 1)
        mistakes = [
            (
                _pairwise_auc(y, s, 1.0),
                "ties count one half: give tied scores the mean of their ranks (a tie "
                "counted as a win makes the AUC too high).",
            ),
            (
                _pairwise_auc(y, s, 0.0),
                "ties count one half: give tied scores the mean of their ranks (a tie "
                "counted as a loss makes the AUC too low).",
            ),
            (
                (ordinal[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg),
                "tied scores must share the mean of their ranks; ranks from argsort alone break ties by position.",
            ),
            (expected - 1 / n_neg, "ranks go from 1 to N (the smallest score has rank 1), not from 0."),
            (1 - expected, "positives and negatives are swapped: sum the ranks of the examples with y_true == 1."),
        ]
        check.compare(got, expected, what=label, hint=first_hint(got, mistakes, expected))
    return check.pass_line(
        f"equals sklearn.metrics.roc_auc_score in {len(cases)} cases (ties, a perfect and an inverted scorer, all "
        "scores equal)"
    )


ROC_AUC = Exercise(
    "11-roc-auc",
    "roc_auc",
    "roc_auc",
    lambda seed: [make_case(case) for case in roc_auc_cases(seed)],
    _judge_roc_auc,
    forbidden=(
        "dlcourse.metrics.roc_auc_score",
        "dlcourse.metrics.roc_curve",
        "dlcourse.metrics.average_ranks",
        "sklearn.metrics.roc_auc_score",
        "sklearn.metrics.roc_curve",
        "scipy.stats.mannwhitneyu",
        "scipy.stats.rankdata",
    ),
)


def check_roc_auc(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(y_true (N,) of 0/1, scores (N,))`` -> the area under the ROC curve by the rank formula, ties counting
    one half: ``sklearn.metrics.roc_auc_score``."""
    ROC_AUC.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ stratified k-fold
def stratified_cases(seed: int = 0) -> list[dict]:
    """(y, n_splits): three integer classes; strings whose first-appearance order is not their sorted order; classes
    first appearing late, after the smallest class, so that the first-appearance order (2, then 0 and 1) is neither
    the sorted order nor the order of the class sizes, whatever the seed; a size not divisible by n_splits; sorted
    imbalanced binary labels."""
    rng = np.random.default_rng(seed)
    names = ["dog"] + rng.permutation(np.repeat(["dog", "cat", "bird"], [6, 6, 5])).tolist()  # dog first
    late = np.r_[np.full(7, 2), rng.permutation(np.r_[np.zeros(10, np.int64), np.ones(9, np.int64)])]
    return [
        {"y": rng.permutation(np.repeat([0, 1, 2], [12, 9, 7])), "n_splits": 3},
        {"y": names, "n_splits": 4},  # first-appearance order dog, ...; sorted: bird, cat, dog
        {"y": late, "n_splits": 5},
        {"y": rng.permutation(np.repeat([3, 7, 5, 1], [8, 6, 5, 4])), "n_splits": 4},
        {"y": np.r_[np.zeros(50, np.int64), np.ones(10, np.int64)], "n_splits": 5},
    ]


def _is_stratified(fold: np.ndarray, y: np.ndarray, n_splits: int) -> bool:
    for c in np.unique(y):
        counts = np.bincount(fold[y == c], minlength=n_splits)
        if counts.max() - counts.min() > 1:
            return False
    return True


def _judge_stratified(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.model_selection import StratifiedKFold

    check = Check("stratified_kfold")
    for case, call in zip(cases, calls):
        y, n_splits = case["args"].values()
        y = np.asarray(y)
        label = f"stratified_kfold(y ({len(y)},), n_splits={n_splits})"
        got = check.result(call, label)
        expected = np.empty(len(y), dtype=np.int64)
        for k, (_, test) in enumerate(StratifiedKFold(n_splits).split(np.zeros((len(y), 1)), y)):
            expected[test] = k
        hint = None
        arr = np.asarray(got) if isinstance(got, (np.ndarray, list, tuple)) else None
        if (
            arr is not None
            and arr.shape == expected.shape
            and arr.dtype.kind in "iu"
            and not np.array_equal(arr, expected)
            and arr.min() >= 0
            and arr.max() < n_splits
        ):
            sorted_classes = np.empty(len(y), dtype=np.int64)
            _, inverse = np.unique(y, return_inverse=True)
            for c in range(inverse.max() + 1):
                counts = [np.sum(np.sort(inverse)[k::n_splits] == c) for k in range(n_splits)]
                sorted_classes[inverse == c] = np.repeat(np.arange(n_splits), counts)
            if np.array_equal(arr, sorted_classes):
                hint = (
                    "number the classes in the order in which they first appear in y, not in sorted order: the "
                    "round-robin deal of step 2 depends on it."
                )
            elif _is_stratified(arr, y, n_splits):
                hint = (
                    "your folds are stratified, but not the assignment asked for: within each class, fill fold 0 "
                    "first (as many examples as it gets), then fold 1, ... in the order of y (step 3), with the "
                    "counts from the round-robin deal of step 2."
                )
            else:
                hint = (
                    "the folds are not stratified: some class has counts in two folds that differ by more than one. "
                    "Deal the class-sorted labels round-robin (step 2) to get each fold's count of each class."
                )
        check.compare(got, expected, what=label, expect_dtype="int", hint=hint)
    return check.pass_line(
        f"equals the test folds of sklearn's StratifiedKFold(n_splits) in {len(cases)} cases (string labels, a "
        "class first seen late, uneven sizes)"
    )


STRATIFIED_KFOLD = Exercise(
    "11-stratified-kfold",
    "stratified_kfold",
    "stratified_kfold",
    lambda seed: [make_case(case) for case in stratified_cases(seed)],
    _judge_stratified,
    forbidden=(
        "dlcourse.model_selection.StratifiedKFold",
        "sklearn.model_selection.StratifiedKFold",
        "sklearn.model_selection.RepeatedStratifiedKFold",
        "sklearn.model_selection.StratifiedGroupKFold",
    ),
)


def check_stratified_kfold(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(y (N,), n_splits)`` -> the test fold (N,) of each example, as
    ``sklearn.model_selection.StratifiedKFold(n_splits)`` (no shuffle) assigns it."""
    STRATIFIED_KFOLD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ ECE
def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ece_cases(seed: int = 0) -> list[dict]:
    """(y_true, probs, n_bins): random; over-confident; confidences exactly on bin edges; two classes; one
    example."""
    rng = np.random.default_rng(seed)
    random_probs = rng.dirichlet(np.ones(5), size=200)
    logits = rng.standard_normal((300, 10)) * 2
    truth = np.array([rng.choice(10, p=p) for p in _softmax(logits)])
    edges = np.array(
        [
            [0.5, 0.25, 0.25],
            [0.25, 0.5, 0.25],
            [0.75, 0.25, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.5, 0.5, 0.0],
            [0.25, 0.75, 0.0],
            [0.75, 0.0, 0.25],
        ]
    )
    two = rng.uniform(0.5, 1.0, 50)
    two_probs = np.c_[two, 1 - two]  # (50, 2): class 0 predicted, with confidence in [0.5, 1)
    return [
        {"y_true": rng.integers(0, 5, 200), "probs": random_probs, "n_bins": 10},
        {"y_true": truth, "probs": _softmax(3 * logits), "n_bins": 15},
        # confidences 0.5, 0.75 and 1 on the edges of 4 bins; the 0.75s under-confident, the 1s over-confident, so
        # bins closed on the left, which merge the two, give another ECE
        {"y_true": np.array([0, 2, 0, 1, 2, 1, 1, 0]), "probs": edges, "n_bins": 4},
        {"y_true": (rng.random(50) >= two).astype(np.int64), "probs": two_probs, "n_bins": 5},
        {"y_true": np.array([1]), "probs": np.array([[0.2, 0.7, 0.1]]), "n_bins": 10},
    ]


def _ece_reference(
    y: np.ndarray,
    probs: np.ndarray,
    n_bins: int,
    *,
    left_closed: bool = False,
    weighted: bool = True,
    confidence: np.ndarray | None = None,
) -> float:
    """The ECE by a loop over the bins (b/B, (b+1)/B], the first also taking 0; variants for the hints."""
    conf = probs.max(axis=1) if confidence is None else confidence
    correct = probs.argmax(axis=1) == y
    gaps, sizes = [], []
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        if left_closed:
            inside = (conf >= lo) & ((conf < hi) | (b == n_bins - 1))
        else:
            inside = ((conf > lo) | (b == 0)) & (conf <= hi)
        if inside.any():
            gaps.append(abs(correct[inside].mean() - conf[inside].mean()))
            sizes.append(inside.sum())
    if weighted:
        return float(np.dot(gaps, sizes) / len(y))
    return float(np.mean(gaps))


def _judge_ece(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("ece")
    for case, call in zip(cases, calls):
        y, probs, n_bins = case["args"].values()
        label = f"ece(y_true ({len(y)},), probs {probs.shape}, n_bins={n_bins})"
        got = number(check, check.result(call, label), label)
        expected = _ece_reference(y, probs, n_bins)
        mistakes = [
            (
                _ece_reference(y, probs, n_bins, left_closed=True),
                "the bins are open on the left and closed on the "
                "right, (lo, hi]: a confidence of exactly 0.5 with 4 bins belongs to (0.25, 0.5]. With np.digitize "
                "that is right=True; or use np.ceil(confidence * n_bins) - 1.",
            ),
            (
                _ece_reference(y, probs, n_bins, weighted=False),
                "weight each bin's gap by its share of the examples, "
                "|S_b| / N; the plain mean over non-empty bins gives a nearly empty bin as much say as a full one.",
            ),
            (
                _ece_reference(y, probs, n_bins, confidence=probs[np.arange(len(y)), y]),
                "the confidence is the "
                "largest probability, probs.max(axis=1), the probability of the predicted class, not of the true one.",
            ),
        ]
        check.compare(got, expected, what=label, hint=first_hint(got, mistakes, expected))
    return check.pass_line(
        f"equals the weighted gap over the bins (lo, hi] in {len(cases)} cases (confidences on bin edges, one example)"
    )


ECE = Exercise(
    "11-ece",
    "ece",
    "ece",
    lambda seed: [make_case(case) for case in ece_cases(seed)],
    _judge_ece,
    forbidden=(
        "dlcourse.metrics.expected_calibration_error",
        "dlcourse.metrics.calibration_curve",
        "sklearn.calibration.calibration_curve",
    ),
)


def check_ece(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(y_true (N,), probs (N, C), n_bins)`` -> the expected calibration error with equal-width bins
    (lo, hi] of the confidence probs.max(axis=1), each bin's |accuracy - confidence| weighted by its share."""
    ECE.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (CONFUSION_MATRIX, MACRO_F1, ROC_AUC, STRATIFIED_KFOLD, ECE)

__all__ = [
    "EXERCISES",
    "check_confusion_matrix",
    "check_ece",
    "check_macro_f1",
    "check_roc_auc",
    "check_stratified_kfold",
]
