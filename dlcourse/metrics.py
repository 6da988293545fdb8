"""Chapter 03: evaluation metrics with scikit-learn's names and argument order: ``metric(y_true, y_pred)``.

Inputs are checked as scikit-learn checks them: both must be class labels of the same kind and length (a mix of
labels and probabilities or scores raises "Classification metrics can't handle a mix of ... targets"), NaN and
infinity are rejected, and an empty input raises.

Chapter 10 adds the Fréchet distance between two Gaussians (:func:`frechet_distance`), and between two sets of
feature vectors through their means and covariances (:func:`gaussian_statistics`): the measure behind FID.

Chapter 11 adds the rest of evaluation, each equal to its scikit-learn namesake: precision, recall and F1 per
class and averaged (:func:`precision_recall_fscore_support`, ``average`` binary, micro, macro, weighted or None,
``zero_division`` "warn", 0, 1 or NaN), :func:`confusion_matrix`, :func:`classification_report`; for scores, the
ROC curve and its area by the rank formula (:func:`roc_curve`, :func:`roc_auc_score`), the precision-recall curve
and average precision; :func:`log_loss` for probabilities; MSE, MAE and R² for regression; and calibration: the
reliability curve (:func:`calibration_curve`), the expected calibration error and temperature scaling
(:func:`fit_temperature`). Labels are binary or multiclass (1-D); multilabel indicators are left to scikit-learn.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validate import (
    as_float_array,
    check_bool,
    check_choice,
    check_finite,
    check_int,
    check_interval,
    check_labels,
    check_positive_int,
    check_positive_number,
)


def _as_labels(value, name: str) -> np.ndarray:
    if value is None:
        raise ValueError(f"{name}: expected an array of labels, shape (N,), got None")
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged lists: sequences of sequences
        raise ValueError(f"{name}: expected a 1-D array of labels, got a ragged sequence of sequences") from None
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected an array of labels, shape (N,), got the scalar {value!r}")
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: expected real labels, got complex data (dtype {arr.dtype})")
    return arr


def type_of_target(y: ArrayLike, name: str = "y") -> str:
    """What kind of target ``y`` is, by the rules of ``sklearn.utils.multiclass.type_of_target``.

    * ``'binary'``: 1-D (or one column), at most two distinct values;
    * ``'multiclass'``: 1-D (or one column), whole numbers or strings, more than two distinct values;
    * ``'continuous'``: 1-D floats that are not all whole numbers (scores, probabilities);
    * ``'multilabel-indicator'``: 2-D of 0/1 (any two whole numbers) with more than one column, one per label;
    * ``'multiclass-multioutput'``, ``'continuous-multioutput'``: other 2-D arrays with more than one column;
    * ``'unknown'``: anything else (3-D arrays, objects that are not strings ...).

    Floats holding NaN or infinity raise a ValueError naming ``name``, as in scikit-learn.
    """
    arr = _as_labels(y, name)
    if arr.ndim not in (1, 2) or (arr.dtype == object and arr.size and not isinstance(arr.flat[0], str)):
        return "unknown"
    if arr.size == 0:
        return "binary" if arr.ndim == 1 else "unknown"
    suffix = "-multioutput" if arr.ndim == 2 and arr.shape[1] > 1 else ""
    if suffix and arr.dtype.kind in "biuf" and len(np.unique(arr)) < 3 and np.all(arr == np.round(arr)):
        return "multilabel-indicator"  # scikit-learn's test: at most two distinct whole numbers
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name}: expected finite labels, got {arr[index]} at index {index} (input {name} "
                f"contains {'NaN' if np.isnan(arr[index]) else 'infinity'})"
            )
        if np.any(arr != np.round(arr)):
            return "continuous" + suffix
    if suffix or len(np.unique(arr)) > 2:
        return "multiclass" + suffix
    return "binary"


def _check_targets(y_true, y_pred) -> tuple[str, np.ndarray, np.ndarray]:
    """Both targets as arrays of one supported kind: 'binary', 'multiclass' or 'multilabel-indicator'."""
    y_true, y_pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_pred: expected as many labels as y_true ({len(y_true)}), got {len(y_pred)} (inconsistent "
            f"numbers of samples: [{len(y_true)}, {len(y_pred)}])"
        )
    if len(y_true) == 0:
        raise ValueError("y_true: expected at least one label, got an empty array (a minimum of 1 sample is required)")
    kind_true, kind_pred = type_of_target(y_true, "y_true"), type_of_target(y_pred, "y_pred")
    kinds = {"multiclass"} if {kind_true, kind_pred} == {"binary", "multiclass"} else {kind_true, kind_pred}
    if len(kinds) > 1:
        name, kind = ("y_pred", kind_pred) if kind_pred not in ("binary", "multiclass") else ("y_true", kind_true)
        raise ValueError(
            f"{name}: expected class labels like the other argument, got {kind} values: classification "
            f"metrics can't handle a mix of {kind_true} and {kind_pred} targets (turn scores or "
            f"probabilities into labels first, e.g. with argmax)"
        )
    kind = kinds.pop()
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(f"y_true: expected class labels, got {kind} targets ({kind} is not supported)")
    if kind == "multilabel-indicator":
        if y_true.shape != y_pred.shape:
            raise ValueError(f"y_pred: expected the shape of y_true {y_true.shape}, got {y_pred.shape}")
        return kind, y_true, y_pred
    y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)  # a column (N, 1) counts as (N,)
    if (y_true.dtype.kind in "USO") != (y_pred.dtype.kind in "USO"):
        raise ValueError(
            f"y_pred: expected labels of the same type as y_true ({y_true.dtype}), got {y_pred.dtype} "
            "(a mix of label input types: string and number)"
        )
    return kind, y_true, y_pred


def accuracy_score(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of predictions equal to the true labels (``sklearn.metrics.accuracy_score``).

    y_true, y_pred : (N,) class labels (integers, or strings; a column (N, 1) works too). For multilabel
    indicators (N, L) of 0/1, an example counts as right only when all its L labels are (subset accuracy).
    """
    kind, y_true, y_pred = _check_targets(y_true, y_pred)
    if kind == "multilabel-indicator":
        return float(np.mean(np.all(y_true == y_pred, axis=1)))
    return float(np.mean(y_true == y_pred))


# ------------------------------------------------------------------------------ chapter 10: Fréchet distance
def gaussian_statistics(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The mean (d,) and covariance (d, d) of feature vectors (N, d), N >= 2 (the unbiased covariance, as
    ``np.cov(features, rowvar=False)``)."""
    features = as_float_array(features, "features", ndim=2)
    check_finite(features, "features")
    if features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(
            f"features: expected (N, d) with N >= 2 examples and d >= 1 features, got shape {features.shape}"
        )
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def _psd_eigenvalues(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues and eigenvectors of a symmetric positive semi-definite matrix, with every eigenvalue at the
    level of ``eigh``'s round-off (below ``64 d eps`` times the largest, negative ones included) set to 0: a zero
    eigenvalue comes out as ~eps times the largest, and its square root, ~sqrt(eps), would not be small."""
    values, vectors = np.linalg.eigh((sigma + sigma.T) / 2)
    floor = 64 * len(values) * np.finfo(np.float64).eps * max(float(values.max(initial=0.0)), 0.0)
    return np.where(values > floor, values, 0.0), vectors


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix, by its eigendecomposition."""
    values, vectors = _psd_eigenvalues(sigma)
    return (vectors * np.sqrt(values)) @ vectors.T


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    r"""The squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2):

    .. math::
        d^2 = \lVert \mu_1 - \mu_2 \rVert^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
              - 2\operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2}

    (Dowson & Landau 1982). The trace term is computed from the eigenvalues of the symmetric positive semi-definite
    matrix :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}`, which equal those of :math:`\Sigma_1\Sigma_2`. Computed
    on a classifier's features of real and generated images, it is the FID of Heusel et al. (2017).

    mu1, mu2 : (d,);  sigma1, sigma2 : (d, d) symmetric positive semi-definite  ->  a float >= 0
    """
    mu1, mu2 = as_float_array(mu1, "mu1", ndim=1), as_float_array(mu2, "mu2", ndim=1)
    sigma1, sigma2 = as_float_array(sigma1, "sigma1", ndim=2), as_float_array(sigma2, "sigma2", ndim=2)
    d = len(mu1)
    for name, value, shape in (("mu2", mu2, (d,)), ("sigma1", sigma1, (d, d)), ("sigma2", sigma2, (d, d))):
        if value.shape != shape:
            raise ValueError(f"{name}: expected shape {shape} to match mu1 of shape ({d},), got {value.shape}")
        check_finite(value, name)
    check_finite(mu1, "mu1")
    for name, sigma in (("sigma1", sigma1), ("sigma2", sigma2)):
        scale = max(1.0, float(np.abs(sigma).max(initial=0.0)))
        if not np.allclose(sigma, sigma.T, rtol=0.0, atol=1e-8 * scale):
            raise ValueError(f"{name}: expected a symmetric covariance matrix, got one with sigma != sigma.T")
        if np.linalg.eigvalsh((sigma + sigma.T) / 2).min() < -1e-8 * scale * d:
            raise ValueError(f"{name}: expected a positive semi-definite covariance matrix, got a negative eigenvalue")
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1  # symmetric PSD, same eigenvalues as sigma1 @ sigma2
    trace_sqrt = np.sqrt(_psd_eigenvalues(middle)[0]).sum()
    distance = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    return max(distance, 0.0)  # round-off can make a zero distance a tiny negative number


# ------------------------------------------------------------------ chapter 11: precision, recall, F1, confusion
class UndefinedMetricWarning(UserWarning):
    """A score divides by zero (no predicted or no true examples of a class) and is set by ``zero_division``."""


AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _class_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both label arrays (N,) and the labels present in either, sorted; multilabel indicators are refused."""
    kind, y_true, y_pred = _check_targets(y_true, y_pred)
    if kind == "multilabel-indicator":
        raise ValueError(
            "y_true: expected 1-D class labels, got multilabel-indicator targets (scikit-learn handles those)"
        )
    return y_true, y_pred, np.unique(np.concatenate([y_true, y_pred]))


def _as_label_list(labels, name: str, like: np.ndarray) -> np.ndarray:
    """``labels`` as a 1-D array of labels of the same kind (strings or numbers) as ``like``."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D list of labels, got shape {arr.shape}")
    if arr.size and (arr.dtype.kind in "USO") != (like.dtype.kind in "USO"):
        raise ValueError(f"{name}: expected labels of the same type as y_true ({like.dtype}), got {arr.dtype}")
    return arr


def _zero_division_value(zero_division: object) -> float:
    """The score given to a division by zero: 0 for "warn" (with a warning), else 0, 1 or NaN."""
    if isinstance(zero_division, str) and zero_division == "warn":
        return 0.0
    if isinstance(zero_division, (int, float, np.number)) and (zero_division in (0, 1) or np.isnan(zero_division)):
        return float(zero_division)
    raise ValueError(f"zero_division: expected 'warn', 0, 1 or np.nan, got {zero_division!r}")


def _divide(numerator: np.ndarray, denominator: np.ndarray, zero_division, what: str, warn: bool) -> np.ndarray:
    """numerator / denominator per class; where the denominator is 0, the ``zero_division`` value."""
    zero = denominator == 0
    result = numerator / np.where(zero, 1, denominator)
    result[zero] = _zero_division_value(zero_division)
    if warn and zero.any() and isinstance(zero_division, str):
        warnings.warn(
            f"{what} is ill-defined and being set to 0.0 for labels without examples to divide by; use the "
            "zero_division argument to control this",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    return result


def _nanaverage(scores: np.ndarray, weights: np.ndarray | None) -> float:
    """The (weighted) mean of the scores that are not NaN; NaN if all are; unweighted if the weights sum to 0."""
    keep = ~np.isnan(scores)
    if not keep.any():
        return float("nan")
    if weights is None or weights[keep].sum() == 0:
        return float(np.mean(scores[keep]))
    return float(np.average(scores[keep], weights=weights[keep]))


def _one_hot(y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N, L) of 0/1: ``out[i, j] = 1`` where ``y[i] == labels[j]`` (a label not in ``labels``: a row of zeros)."""
    if (y.dtype.kind in "USO") != (labels.dtype.kind in "USO"):  # a number is never equal to a string
        return np.zeros((len(y), len(labels)), dtype=np.int64)
    return (y[:, None] == labels[None, :]).astype(np.int64)


def _counts(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> tuple:
    true_is, pred_is = _one_hot(y_true, labels), _one_hot(y_pred, labels)
    return (true_is * pred_is).sum(axis=0), pred_is.sum(axis=0), true_is.sum(axis=0)


def multilabel_counts(
    y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per label, (L,) each: true positives, predicted (tp + fp) and true (tp + fn) counts.

    y_true, y_pred : (N,) class labels;  labels : (L,) the classes to count, in this order.
    """
    y_true, y_pred, _ = _class_labels(y_true, y_pred)
    return _counts(y_true, y_pred, _as_label_list(labels, "labels", y_true))


def _set_wise_labels(y_true, y_pred, average, labels, pos_label) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    check_choice(average, "average", AVERAGES)
    y_true, y_pred, present = _class_labels(y_true, y_pred)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                "average: expected 'micro', 'macro', 'weighted' or None for multiclass targets, got 'binary' "
                "(target is multiclass but average='binary')"
            )
        if pos_label not in present.tolist() and len(present) >= 2:
            raise ValueError(f"pos_label: expected one of the labels {present.tolist()}, got {pos_label!r}")
        return y_true, y_pred, np.asarray([pos_label])
    return y_true, y_pred, present if labels is None else _as_label_list(labels, "labels", y_true)


def precision_recall_fscore_support(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int | str = 1,
    average: Literal["binary", "micro", "macro", "weighted"] | None = None,
    zero_division: str | float = "warn",
) -> tuple:
    """Precision tp / (tp + fp), recall tp / (tp + fn), F1 2 tp / (2 tp + fp + fn), and support tp + fn.

    Per class (``average=None``: four arrays (L,) over ``labels``, default every label present), or one number
    each: ``"binary"`` scores the class ``pos_label`` alone; ``"micro"`` pools the counts of all classes first;
    ``"macro"`` is the plain mean of the per-class scores; ``"weighted"`` their mean weighted by support. The
    support is None when averaged. A score dividing by zero is ``zero_division`` (0, 1, NaN; "warn": 0 and a
    warning); NaN scores are left out of an average.
    """
    _zero_division_value(zero_division)
    y_true, y_pred, labels = _set_wise_labels(y_true, y_pred, average, labels, pos_label)
    tp, predicted, true = (c.astype(np.float64) for c in _counts(y_true, y_pred, labels))
    support = true
    if average == "micro":
        tp, predicted, true = tp.sum(keepdims=True), predicted.sum(keepdims=True), true.sum(keepdims=True)
    precision = _divide(tp, predicted, zero_division, "Precision", warn=True)
    recall = _divide(tp, true, zero_division, "Recall", warn=True)
    f1 = _divide(2 * tp, true + predicted, zero_division, "F-score", warn=True)
    if average is None:
        return precision, recall, f1, support.astype(np.int64)
    weights = support if average == "weighted" else None
    return _nanaverage(precision, weights), _nanaverage(recall, weights), _nanaverage(f1, weights), None


def _one_score(which: int, y_true, y_pred, labels, pos_label, average, zero_division) -> float | np.ndarray:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndefinedMetricWarning)
        scores = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, pos_label=pos_label, average=average, zero_division=zero_division
        )
    name = ("Precision", "Recall", "F-score")[which]
    for warning in caught:  # only the warning about this score, as scikit-learn does
        if str(warning.message).startswith(name):
            warnings.warn(warning.message, stacklevel=3)
    return scores[which]


def precision_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int | str = 1,
    average: Literal["binary", "micro", "macro", "weighted"] | None = "binary",
    zero_division: str | float = "warn",
) -> float | np.ndarray:
    """Of the examples predicted positive, the fraction that are: tp / (tp + fp) (``sklearn.metrics``'s).

    See :func:`precision_recall_fscore_support` for ``labels``, ``pos_label``, ``average`` and ``zero_division``.
    """
    return _one_score(0, y_true, y_pred, labels, pos_label, average, zero_division)


def recall_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int | str = 1,
    average: Literal["binary", "micro", "macro", "weighted"] | None = "binary",
    zero_division: str | float = "warn",
) -> float | np.ndarray:
    """Of the positive examples, the fraction predicted positive: tp / (tp + fn) (``sklearn.metrics``'s)."""
    return _one_score(1, y_true, y_pred, labels, pos_label, average, zero_division)


def f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int | str = 1,
    average: Literal["binary", "micro", "macro", "weighted"] | None = "binary",
    zero_division: str | float = "warn",
) -> float | np.ndarray:
    """The harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn) (``sklearn.metrics``'s)."""
    return _one_score(2, y_true, y_pred, labels, pos_label, average, zero_division)


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    normalize: Literal["true", "pred", "all"] | None = None,
) -> np.ndarray:
    """(L, L): ``C[i, j]`` counts the examples of class ``labels[i]`` predicted as ``labels[j]``.

    It is a product of one-hot matrices, ``onehot(y_true).T @ onehot(y_pred)``; examples whose label is not in
    ``labels`` (default: every label present) are left out. ``normalize`` divides by the row sums ("true": each
    row is a class's recall profile), the column sums ("pred") or the total ("all"); 0 / 0 gives 0.
    """
    check_choice(normalize, "normalize", ("true", "pred", "all", None))
    y_true, y_pred, present = _class_labels(y_true, y_pred)
    if labels is None:
        labels = present
    else:
        labels = _as_label_list(labels, "labels", y_true)
        if labels.size == 0:
            raise ValueError("labels: expected at least one label, got an empty list")
        if not np.isin(labels, y_true).any():
            raise ValueError(f"labels: expected at least one label that is in y_true, got {labels.tolist()}")
    counts = _one_hot(y_true, labels).T @ _one_hot(y_pred, labels)
    if counts.shape == (1, 1):
        warnings.warn(
            "A single label was found in y_true and y_pred: pass all known labels in 'labels' for the confusion "
            "matrix to have the right shape",
            UserWarning,
            stacklevel=2,
        )
    if normalize is None:
        return counts
    total = {"true": counts.sum(axis=1, keepdims=True), "pred": counts.sum(axis=0, keepdims=True)}
    with np.errstate(all="ignore"):
        return np.nan_to_num(counts / total.get(normalize, counts.sum()))


def classification_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    target_names: list[str] | None = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: str | float = "warn",
) -> str | dict:
    """Precision, recall, F1 and support per class, then their micro (shown as "accuracy" when every label is
    reported), macro and weighted averages: a text table, or with ``output_dict`` a dict (``sklearn.metrics``'s).
    """
    y_true, y_pred, present = _class_labels(y_true, y_pred)
    digits = check_int(digits, "digits", minimum=0)
    labels_given = labels is not None
    labels = _as_label_list(labels, "labels", y_true) if labels_given else present
    micro_is_accuracy = not labels_given or set(labels.tolist()) >= set(present.tolist())
    if target_names is not None and len(labels) != len(target_names):
        if not labels_given:
            raise ValueError(
                f"target_names: expected one name for each of the {len(labels)} classes, got {len(target_names)}"
            )
        warnings.warn(
            f"labels size, {len(labels)}, does not match size of target_names, {len(target_names)}",
            stacklevel=2,
        )
    names = [f"{label}" for label in labels] if target_names is None else list(target_names)
    headers = ["precision", "recall", "f1-score", "support"]
    p, r, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=zero_division
    )
    rows = list(zip(names, p, r, f1, support))
    averages = []
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        avg_p, avg_r, avg_f1, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=zero_division
        )
        averages.append((heading, avg_p, avg_r, avg_f1, np.sum(support)))
    if output_dict:
        report = {row[0]: dict(zip(headers, [float(v) for v in row[1:]])) for row in rows}
        for heading, *scores in averages:
            report[heading] = float(scores[0]) if heading == "accuracy" else dict(zip(headers, map(float, scores)))
        return report
    width = max(max(len(name) for name in names), len("weighted avg"), digits)
    text = ("{:>{width}s} " + " {:>9}" * 4).format("", *headers, width=width) + "\n\n"
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    for row in rows:
        text += row_fmt.format(*row, width=width, digits=digits)
    text += "\n"
    for heading, *scores in averages:
        if heading == "accuracy":
            fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            text += fmt.format(heading, "", "", *scores[2:], width=width, digits=digits)
        else:
            text += row_fmt.format(heading, *scores, width=width, digits=digits)
    return text


# ---------------------------------------------------------------------- chapter 11: scores, ROC and PR curves
def _scores(y_score, name: str, n: int) -> np.ndarray:
    """Scores (N,) as floats, finite, one per label (a column (N, 1) counts as (N,))."""
    arr = as_float_array(y_score, name, ndim=(1, 2))
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected one score per example, shape ({n},), got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name}: expected as many scores as y_true has labels ({n}), got {len(arr)}")
    check_finite(arr, name)
    return arr


def _binary_target(y_true, y_score, pos_label) -> tuple[np.ndarray, np.ndarray]:
    """y_true as booleans (is it the positive class?) and the scores, both (N,)."""
    y_true = _as_labels(y_true, "y_true")
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if y_true.size == 0:
        raise ValueError("y_true: expected at least one label, got an empty array")
    kind = type_of_target(y_true, "y_true")
    if not (kind == "binary" or (kind == "multiclass" and pos_label is not None)):
        raise ValueError(f"y_true: expected binary labels (or a pos_label), got {kind} targets")
    y_score = _scores(y_score, "y_score", len(y_true))
    if pos_label is None:
        classes = np.unique(y_true).tolist()
        if y_true.dtype.kind in "USO" or not any(classes == ok for ok in ([0, 1], [-1, 1], [0], [-1], [1])):
            raise ValueError(
                f"pos_label: expected the positive class when y_true is not in {{0, 1}} or {{-1, 1}}, got None "
                f"(y_true takes the values {classes})"
            )
        pos_label = 1
    return y_true == pos_label, y_score


def _clf_curve(positive: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives (K,) when predicting positive at each distinct score, highest first, and those
    thresholds (K,): the counts for the rule ``score >= threshold``."""
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, positive = y_score[order], positive[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(y_score)), len(y_score) - 1]
    tps = np.cumsum(positive, dtype=np.float64)[last_of_tie]
    fps = 1 + last_of_tie - tps
    return fps, tps, y_score[last_of_tie]


def roc_curve(
    y_true: ArrayLike, y_score: ArrayLike, *, pos_label: int | str | None = None, drop_intermediate: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: false positive rate fpr (K,), true positive rate tpr (K,) and the thresholds (K,) at
    which they hold (``sklearn.metrics.roc_curve``).

    The first point, threshold +inf, is (0, 0). ``drop_intermediate`` drops the points on a straight segment
    (where neither rate changes its slope), which leaves the curve and its area as they are.
    """
    drop_intermediate = check_bool(drop_intermediate, "drop_intermediate")
    fps, tps, thresholds = _clf_curve(*_binary_target(y_true, y_score, pos_label))
    if drop_intermediate and len(fps) > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fps, tps, thresholds = np.r_[0.0, fps], np.r_[0.0, tps], np.r_[np.inf, thresholds]
    rates = []
    for counts, which in ((fps, "negative"), (tps, "positive")):
        if counts[-1] <= 0:
            warnings.warn(
                f"No {which} samples in y_true: the {'false' if which == 'negative' else 'true'} positive rate "
                "is undefined (NaN)",
                UndefinedMetricWarning,
                stacklevel=2,
            )
            rates.append(np.full(counts.shape, np.nan))
        else:
            rates.append(counts / counts[-1])
    return rates[0], rates[1], thresholds


def average_ranks(x: ArrayLike) -> np.ndarray:
    """The ranks 1..N of the values (N,), tied values sharing the mean of their ranks
    (``scipy.stats.rankdata(x, method="average")``)."""
    x = as_float_array(x, "x", ndim=1)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.flatnonzero(starts)  # 0-based position where each tie group starts
    last = np.r_[first[1:], len(x)] - 1  # ... and ends
    group = np.cumsum(starts) - 1
    ranks = np.empty(len(x))
    ranks[order] = (first[group] + last[group]) / 2 + 1
    return ranks


def _binary_roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    classes = np.unique(y_true)
    if len(classes) != 2:
        warnings.warn(
            "Only one class is present in y_true: ROC AUC is not defined (NaN)", UndefinedMetricWarning, stacklevel=3
        )
        return float("nan")
    positive = y_true == classes[1]
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    rank_sum = average_ranks(y_score)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _per_column(binary_score, y_true, y_score, zero_one: bool = False) -> float:
    """A binary score of (N,) labels and scores; of multilabel indicators (N, L) and scores (N, L), the mean of
    the L columns' scores (scikit-learn's macro average)."""
    y_true = _as_labels(y_true, "y_true")
    if y_true.size == 0:
        raise ValueError("y_true: expected at least one label, got an empty array")
    kind = type_of_target(y_true, "y_true")
    if kind == "multilabel-indicator":
        y_score = as_float_array(y_score, "y_score", ndim=2)
        if y_score.shape != y_true.shape:
            raise ValueError(f"y_score: expected the shape of y_true {y_true.shape}, got {y_score.shape}")
        check_finite(y_score, "y_score")
        if zero_one and not np.isin(y_true, (0, 1)).all():
            raise ValueError(f"y_true: expected indicators of 0 and 1, got the values {np.unique(y_true).tolist()}")
        return float(np.mean([binary_score(y_true[:, c], y_score[:, c]) for c in range(y_true.shape[1])]))
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    if kind != "binary":
        raise ValueError(f"y_true: expected binary labels or multilabel indicators, got {kind} targets")
    return binary_score(y_true, _scores(y_score, "y_score", len(y_true)))


def roc_auc_score(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """The area under the ROC curve of binary labels (the larger label is the positive class), by the rank
    formula (Mann-Whitney U):

    .. math::
        \\text{AUC} = \\frac{\\sum_{i \\in \\text{pos}} r_i - n_+ (n_+ + 1)/2}{n_+ n_-}

    with :math:`r_i` the rank of score i among all scores, ties sharing their mean rank: the probability that a
    random positive scores above a random negative, a tie counting one half. Equal to the trapezoid area under
    :func:`roc_curve`, as ``sklearn.metrics.roc_auc_score`` computes it. One class only: a warning and NaN.
    Multilabel indicators (N, L) with scores (N, L): the mean of the L columns' areas.
    """
    return _per_column(_binary_roc_auc, y_true, y_score, zero_one=True)


def precision_recall_curve(
    y_true: ArrayLike, y_score: ArrayLike, *, pos_label: int | str | None = None, drop_intermediate: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision (K+1,), recall (K+1,) at the thresholds (K,), increasing thresholds
    (``sklearn.metrics.precision_recall_curve``). The last point, precision 1 and recall 0, has no threshold.
    ``drop_intermediate`` drops the thresholds where the number of true positives does not change."""
    drop_intermediate = check_bool(drop_intermediate, "drop_intermediate")
    fps, tps, thresholds = _clf_curve(*_binary_target(y_true, y_score, pos_label))
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    predicted = tps + fps
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted != 0)
    if tps[-1] == 0:
        warnings.warn("No positive class found in y_true: recall is set to one for all thresholds", stacklevel=2)
        recall = np.ones_like(tps)
    else:
        recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision_score(y_true: ArrayLike, y_score: ArrayLike, *, pos_label: int | str = 1) -> float:
    """The precision averaged over the recall steps, sum_k (R_k - R_{k-1}) P_k: the area under the
    precision-recall step curve, without interpolation (``sklearn.metrics.average_precision_score``). Binary
    labels (the class ``pos_label`` is positive), or multilabel indicators (N, L) with scores (N, L): the mean of
    the columns' average precisions."""

    def binary_average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
        precision, recall, _ = precision_recall_curve(labels, scores, pos_label=pos_label)
        return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))

    labels = _as_labels(y_true, "y_true")
    if labels.size and labels.ndim <= 2:
        kind = type_of_target(labels, "y_true")
        present = np.unique(labels).tolist()
        if kind == "binary" and len(present) == 2 and pos_label not in present:
            raise ValueError(f"pos_label: expected one of the labels {present}, got {pos_label!r}")
        if kind == "multilabel-indicator" and pos_label != 1:
            raise ValueError(f"pos_label: expected 1 for multilabel indicators, got {pos_label!r}")
    return _per_column(binary_average_precision, y_true, y_score)


# --------------------------------------------------------------------------- chapter 11: probabilities, regression
def log_loss(
    y_true: ArrayLike, y_proba: ArrayLike, *, normalize: bool = True, labels: ArrayLike | None = None
) -> float:
    """The cross-entropy -mean_i log p_i[y_i] of predicted probabilities (``sklearn.metrics.log_loss``).

    y_true : (N,) labels;  y_proba : (N, C) probabilities of the classes in sorted order (``labels``, or the
    classes of y_true), or (N,) the probability of the larger class of two. Probabilities are clipped to
    [eps, 1 - eps], eps the machine epsilon of their dtype, so that a confident mistake costs -log(eps) (36 in
    float64), not infinity. ``normalize=False`` sums instead of averaging.
    """
    normalize = check_bool(normalize, "normalize")
    y_true = _as_labels(y_true, "y_true")
    proba = as_float_array(y_proba, "y_proba", ndim=(1, 2))
    check_finite(proba, "y_proba")
    if proba.size == 0:
        raise ValueError("y_proba: expected at least one probability, got an empty array")
    if proba.max() > 1 or proba.min() < 0:
        bad = proba.max() if proba.max() > 1 else proba.min()
        raise ValueError(f"y_proba: expected probabilities in [0, 1], got {bad}")
    if len(y_true) != len(proba):
        raise ValueError(f"y_proba: expected as many rows as y_true has labels ({len(y_true)}), got {len(proba)}")
    type_of_target(y_true, "y_true")  # NaN and infinity
    if labels is None:
        classes = np.unique(y_true)
    else:
        classes = np.unique(_as_label_list(labels, "labels", y_true))
        if not np.isin(y_true, classes).all():
            unknown = sorted(set(np.unique(y_true).tolist()) - set(classes.tolist()))
            raise ValueError(f"y_true: expected only labels from labels={classes.tolist()}, got also {unknown}")
    if len(classes) < 2:
        raise ValueError(
            f"{'y_true' if labels is None else 'labels'}: expected at least two classes, got {classes.tolist()} "
            "(pass every class through labels)"
        )
    if proba.ndim == 1 or proba.shape[1] == 1:
        proba = proba.reshape(-1, 1)
        proba = np.concatenate([1 - proba, proba], axis=1)
    if proba.shape[1] != len(classes):
        raise ValueError(
            f"y_proba: expected one column per class ({len(classes)}: {classes.tolist()}), got {proba.shape[1]}"
        )
    if not np.allclose(proba.sum(axis=1), 1, rtol=np.sqrt(np.finfo(proba.dtype).eps), atol=0):
        warnings.warn("The y_proba values do not sum to one. Make sure to pass probabilities.", stacklevel=2)
    eps = np.finfo(proba.dtype).eps
    proba = np.clip(proba, eps, 1 - eps)
    onehot = _one_hot(y_true, classes).astype(proba.dtype)
    losses = -np.sum(np.where(onehot > 0, onehot * np.log(proba), 0), axis=1)
    return float(losses.mean() if normalize else losses.sum())


def _regression_targets(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Both as float arrays (N, k), finite, of the same shape and N >= 1 (a 1-D input is one output, k = 1)."""
    out = []
    for name, value in (("y_true", y_true), ("y_pred", y_pred)):
        arr = as_float_array(value, name, ndim=(1, 2))
        check_finite(arr, name)
        out.append(arr[:, None] if arr.ndim == 1 else arr)
    y_true, y_pred = out
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_pred: expected as many values as y_true ({len(y_true)}), got {len(y_pred)} (inconsistent numbers "
            f"of samples: [{len(y_true)}, {len(y_pred)}])"
        )
    if y_true.shape[1] != y_pred.shape[1]:
        raise ValueError(f"y_pred: expected {y_true.shape[1]} outputs as y_true, got {y_pred.shape[1]}")
    if len(y_true) == 0:
        raise ValueError("y_true: expected at least one value, got an empty array")
    return y_true.astype(np.float64), y_pred.astype(np.float64)


def _reduce_outputs(errors: np.ndarray, multioutput: str) -> float | np.ndarray:
    check_choice(multioutput, "multioutput", ("uniform_average", "raw_values"))
    return errors if multioutput == "raw_values" else float(np.mean(errors))


def mean_squared_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, multioutput: Literal["uniform_average", "raw_values"] = "uniform_average"
) -> float | np.ndarray:
    """mean_i (y_true_i - y_pred_i)^2, per output (N, k) then averaged over outputs (``sklearn.metrics``'s)."""
    y_true, y_pred = _regression_targets(y_true, y_pred)
    return _reduce_outputs(np.mean((y_true - y_pred) ** 2, axis=0), multioutput)


def mean_absolute_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, multioutput: Literal["uniform_average", "raw_values"] = "uniform_average"
) -> float | np.ndarray:
    """mean_i |y_true_i - y_pred_i|, per output then averaged over outputs (``sklearn.metrics``'s)."""
    y_true, y_pred = _regression_targets(y_true, y_pred)
    return _reduce_outputs(np.mean(np.abs(y_true - y_pred), axis=0), multioutput)


def r2_score(
    y_true: ArrayLike, y_pred: ArrayLike, *, multioutput: Literal["uniform_average", "raw_values"] = "uniform_average"
) -> float | np.ndarray:
    """The coefficient of determination 1 - sum (y - y_pred)^2 / sum (y - mean y)^2 (``sklearn.metrics``'s):
    1 for a perfect fit, 0 for predicting the mean, negative for worse. A constant y_true gives 1 if predicted
    exactly, else 0 (scikit-learn's ``force_finite``); fewer than two examples: a warning and NaN."""
    y_true, y_pred = _regression_targets(y_true, y_pred)
    if len(y_true) < 2:
        warnings.warn("R^2 is not well-defined with less than two samples (NaN)", UndefinedMetricWarning, stacklevel=2)
        return float("nan")
    residual = np.sum((y_true - y_pred) ** 2, axis=0)
    total = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    scores = np.where(residual == 0, 1.0, 0.0)
    defined = (residual != 0) & (total != 0)
    scores[defined] = 1 - residual[defined] / total[defined]
    return _reduce_outputs(scores, multioutput)


# ---------------------------------------------------------------------------------- chapter 11: calibration
def calibration_curve(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    pos_label: int | str | None = None,
    n_bins: int = 5,
    strategy: Literal["uniform", "quantile"] = "uniform",
) -> tuple[np.ndarray, np.ndarray]:
    """The reliability curve: per non-empty bin of predicted probability, the fraction of positives prob_true
    (B,) and the mean predicted probability prob_pred (B,) (``sklearn.calibration.calibration_curve``).

    Bins are (lo, hi] intervals: n_bins equal widths on [0, 1] ("uniform"), or edges at the quantiles of y_prob
    ("quantile", bins of equal counts). A calibrated model's points lie on the diagonal.
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    check_choice(strategy, "strategy", ("uniform", "quantile"))
    positive, y_prob = _binary_target(y_true, y_prob, pos_label)
    if y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError(f"y_prob: expected probabilities in [0, 1], got values in [{y_prob.min()}, {y_prob.max()}]")
    if len(np.unique(_as_labels(y_true, "y_true"))) > 2:
        raise ValueError("y_true: expected binary labels, got more than two classes")
    if strategy == "quantile":  # the percentiles as scikit-learn writes them, equal to the last bit
        edges = np.percentile(y_prob, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    totals, prob_sums, true_sums = _bin(y_prob, edges, positive.astype(np.float64))
    nonempty = totals != 0
    return true_sums[nonempty] / totals[nonempty], prob_sums[nonempty] / totals[nonempty]


def _bin(values: np.ndarray, edges: np.ndarray, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin (lo, hi] of the edges (B+1,) (the first also takes lo itself): the count of the values (N,), their
    sum and the sum of their outcomes (N,); (B,) each."""
    n_bins = len(edges) - 1
    bin_ids = np.searchsorted(edges[1:-1], values)
    return (
        np.bincount(bin_ids, minlength=n_bins),
        np.bincount(bin_ids, weights=values, minlength=n_bins),
        np.bincount(bin_ids, weights=outcome, minlength=n_bins),
    )


def expected_calibration_error(y_true: ArrayLike, probs: ArrayLike, n_bins: int = 15) -> float:
    """ECE = sum_b (n_b / N) |accuracy_b - confidence_b| over n_bins equal-width bins (lo, hi] of confidence
    (Guo et al. 2017), between 0 (calibrated) and 1.

    Multi-class: probs (N, C), y_true (N,) class indices; confidence is the largest probability, accuracy
    whether its class is y_true. Binary: probs (N,) the probability of class 1, y_true (N,) of 0/1; confidence
    is that probability and accuracy the fraction of 1s (the reliability curve of :func:`calibration_curve`).
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    probs = as_float_array(probs, "probs", ndim=(1, 2))
    check_finite(probs, "probs")
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError(f"probs: expected probabilities in [0, 1], got values in [{probs.min()}, {probs.max()}]")
    if len(probs) == 0:
        raise ValueError("probs: expected at least one example, got an empty array")
    y = check_labels(y_true, "y_true", len(probs), probs.shape[1] if probs.ndim == 2 else 2)
    if probs.ndim == 2:
        confidence, outcome = probs.max(axis=1), (probs.argmax(axis=1) == y).astype(np.float64)
    else:
        confidence, outcome = probs, y.astype(np.float64)
    _, confidence_sums, outcome_sums = _bin(confidence, np.linspace(0, 1, n_bins + 1), outcome)
    return float(np.sum(np.abs(outcome_sums - confidence_sums)) / len(probs))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def temperature_nll(logits: ArrayLike, y: ArrayLike, temperature: float) -> float:
    """The mean negative log-likelihood of the labels y (N,) under softmax(logits / T), logits (N, C)."""
    logits = as_float_array(logits, "logits", ndim=2)
    temperature = check_positive_number(temperature, "temperature")
    y = check_labels(y, "y", len(logits), logits.shape[1])
    return float(-_log_softmax(logits.astype(np.float64) / temperature)[np.arange(len(y)), y].mean())


def fit_temperature(
    logits: ArrayLike, y: ArrayLike, *, bounds: tuple[float, float] = (0.01, 100.0), tol: float = 1e-12
) -> float:
    """The temperature T > 0 that minimises the NLL of the labels under softmax(logits / T) (Guo et al. 2017).

    logits : (N, C) of held-out examples;  y : (N,) their class indices  ->  T in ``bounds``.

    As a function of the inverse temperature b = 1/T, the NLL, mean_i [logsumexp(b z_i) - b z_i[y_i]], is convex:
    its derivative mean_i (E_p[z_i] - z_i[y_i]) (p = softmax(b z_i)) increases, its second derivative being a
    variance. So Newton's method on the derivative, kept inside a shrinking bracket (bisection when a step would
    leave it), finds the minimum; if the derivative does not change sign in ``bounds``, the nearer bound is it.
    T > 1 softens an over-confident model; argmax, hence accuracy, does not change.
    """
    logits = as_float_array(logits, "logits", ndim=2).astype(np.float64)
    check_finite(logits, "logits")
    if logits.shape[0] == 0 or logits.shape[1] < 2:
        raise ValueError(f"logits: expected (N, C) with N >= 1 and C >= 2, got shape {logits.shape}")
    y = check_labels(y, "y", len(logits), logits.shape[1])
    t_min, t_max = check_interval(bounds, "bounds", strict=True)
    if t_min <= 0:
        raise ValueError(f"bounds: expected 0 < min < max, got {bounds!r}")
    tol = check_positive_number(tol, "tol")
    true_logit = logits[np.arange(len(y)), y]

    def slope_and_curvature(b: float) -> tuple[float, float]:
        p = np.exp(_log_softmax(b * logits))
        mean_z = (p * logits).sum(axis=1)
        var_z = (p * (logits - mean_z[:, None]) ** 2).sum(axis=1)
        return float(np.mean(mean_z - true_logit)), float(np.mean(var_z))

    lo, hi = 1.0 / t_max, 1.0 / t_min  # the bracket on b
    if slope_and_curvature(lo)[0] >= 0:
        return t_max
    if slope_and_curvature(hi)[0] <= 0:
        return t_min
    b = min(max(1.0, lo), hi)
    for _ in range(200):
        slope, curvature = slope_and_curvature(b)
        if slope > 0:
            hi = b
        else:
            lo = b
        step = b - slope / curvature if curvature > 0 else np.inf
        b_new = step if lo < step < hi else (lo + hi) / 2
        if abs(b_new - b) <= tol * b or hi - lo <= tol * b:
            b = b_new
            break
        b = b_new
    return 1.0 / b
