"""Chapter 11: splitting data to evaluate a model, and telling whether a difference between models is real.

:class:`KFold` and :class:`StratifiedKFold` give the indices of scikit-learn's classes of the same names for the
same arguments, shuffled ones included (an int ``random_state`` seeds NumPy's legacy ``RandomState``, as
scikit-learn does). :func:`train_test_split` holds out a test set. :func:`bootstrap_ci` is a percentile bootstrap
confidence interval for any metric ``metric(y_true, y_pred)``, and :func:`mcnemar_test` the paired test of two
classifiers on the same test set, exact (binomial) or by the chi-square approximation with continuity correction.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._types import Seed
from ._validate import check_bool, check_int, check_number, check_rng


def _num_samples(X: Any, name: str = "X") -> int:
    if X is None:
        raise ValueError(f"{name}: expected an array of examples, got None")
    if hasattr(X, "shape") and len(X.shape) == 0:
        raise ValueError(f"{name}: expected an array of examples, shape (N, ...), got a scalar")
    try:
        return len(X)
    except TypeError:
        raise ValueError(f"{name}: expected an array of examples, got {type(X).__name__}") from None


def _random_state(random_state: int | np.random.RandomState | None) -> np.random.RandomState:
    """The legacy generator scikit-learn shuffles with: a new one seeded by an int, or the one given."""
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, (bool, np.bool_)):
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state: expected an int seed in [0, 2**32), got {random_state}")
        return np.random.RandomState(int(random_state))
    raise ValueError(
        f"random_state: shuffling needs an int seed or a np.random.RandomState, got {type(random_state).__name__}"
    )


class KFold:
    """K-fold cross-validation (``sklearn.model_selection.KFold``): the examples, in order or shuffled once, are
    cut into ``n_splits`` consecutive folds (the first N % n_splits one example larger); each fold is the test
    set once, the rest the training set.

        for train, test in KFold(5, shuffle=True, random_state=0).split(X):
            ...
    """

    def __init__(
        self, n_splits: int = 5, *, shuffle: bool = False, random_state: int | np.random.RandomState | None = None
    ) -> None:
        self.n_splits = check_int(n_splits, "n_splits", minimum=2)
        self.shuffle = check_bool(shuffle, "shuffle")
        if not self.shuffle and random_state is not None:
            raise ValueError(
                f"random_state: expected None when shuffle is False (it would have no effect), got {random_state!r}"
            )
        if self.shuffle:
            _random_state(random_state)  # checked now, used when splitting
        self.random_state = random_state

    def __repr__(self) -> str:
        name, state = type(self).__name__, self.random_state
        return f"{name}(n_splits={self.n_splits}, shuffle={self.shuffle}, random_state={state!r})"

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of (train, test) pairs :meth:`split` gives."""
        return self.n_splits

    def _check_size(self, X: Any) -> int:
        n = _num_samples(X)
        if self.n_splits > n:
            raise ValueError(f"n_splits: expected at most the number of examples ({n}), got {self.n_splits}")
        return n

    def _test_folds(self, n: int, y: np.ndarray | None) -> Iterator[np.ndarray]:
        """The test indices of each fold."""
        indices = np.arange(n)
        if self.shuffle:
            _random_state(self.random_state).shuffle(indices)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        ends = np.cumsum(sizes)
        for start, end in zip(ends - sizes, ends):
            yield indices[start:end]

    def split(
        self, X: ArrayLike, y: ArrayLike | None = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` index arrays, ``n_splits`` times; X : (N, ...), y : (N,) or None."""
        n = self._check_size(X)
        labels = None if y is None else np.asarray(y)
        if labels is not None and len(labels) != n:
            raise ValueError(f"y: expected {n} labels, one per example of X, got {len(labels)}")
        for test in self._test_folds(n, labels):
            in_test = np.zeros(n, dtype=bool)
            in_test[test] = True
            yield np.flatnonzero(~in_test), np.flatnonzero(in_test)  # both in increasing order


class StratifiedKFold(KFold):
    """K-fold cross-validation whose folds keep the class proportions of y
    (``sklearn.model_selection.StratifiedKFold``).

    The examples are sorted by class (classes in order of first appearance) and dealt round-robin to the folds,
    so each fold gets nearly the same count of every class; within a class, the examples go to the folds in
    order, or in a shuffled order when ``shuffle``. ``split(X, y)`` needs y.
    """

    def _test_folds(self, n: int, y: np.ndarray | None) -> Iterator[np.ndarray]:
        fold_of = self.fold_assignment(y)
        for k in range(self.n_splits):
            yield np.flatnonzero(fold_of == k)

    def fold_assignment(self, y: ArrayLike) -> np.ndarray:
        """The test fold (N,) of each example, from its class labels y (N,)."""
        if y is None:
            raise ValueError("y: expected class labels, StratifiedKFold splits by class, got None")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y: expected class labels of shape (N,), got shape {y.shape}")
        if y.dtype.kind == "f" and (not np.isfinite(y).all() or np.any(y != np.round(y))):
            raise ValueError("y: expected class labels, got continuous values (or NaN): bin them into classes first")
        _, first_index, inverse = np.unique(y, return_index=True, return_inverse=True)
        _, class_rank = np.unique(first_index, return_inverse=True)
        encoded = class_rank[inverse.reshape(-1)]  # classes numbered by first appearance
        counts = np.bincount(encoded)
        if np.all(self.n_splits > counts):
            raise ValueError(
                f"n_splits: expected at most the size of the largest class ({counts.max()}), got {self.n_splits}"
            )
        if self.n_splits > counts.min():
            warnings.warn(
                f"The least populated class in y has only {counts.min()} members, which is less than "
                f"n_splits={self.n_splits}.",
                UserWarning,
                stacklevel=3,
            )
        # deal the examples, sorted by class, round-robin to the folds: allocation[k, c] of class c go to fold k
        ordered = np.sort(encoded)
        allocation = np.array(
            [np.bincount(ordered[k :: self.n_splits], minlength=len(counts)) for k in range(self.n_splits)]
        )
        rng = _random_state(self.random_state) if self.shuffle else None
        fold_of = np.empty(len(y), dtype=np.int64)
        for c in range(len(counts)):
            folds = np.repeat(np.arange(self.n_splits), allocation[:, c])
            if rng is not None:
                rng.shuffle(folds)
            fold_of[encoded == c] = folds
        return fold_of

    def split(
        self, X: ArrayLike, y: ArrayLike | None = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` index arrays, ``n_splits`` times; X : (N, ...), y : (N,) class labels."""
        if y is None:
            raise ValueError("y: expected class labels, StratifiedKFold splits by class, got None")
        return super().split(X, y, groups)


def train_test_split(
    *arrays: ArrayLike, test_size: float = 0.25, rng: Seed = None, stratify: ArrayLike | None = None
) -> list[np.ndarray]:
    """Hold out a random ``test_size`` share of the examples: for each array (N, ...), its train and test rows,
    ``X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)``.

    The test set gets ceil(test_size * N) examples (as scikit-learn's), drawn by ``rng`` (this course's explicit
    generator; the draw differs from scikit-learn's). With ``stratify`` (N,) labels, each class is split in the
    same proportion (rounded per class, so the total may differ by a few)."""
    if not arrays:
        raise ValueError("arrays: expected at least one array to split, got none")
    n = _num_samples(arrays[0], "arrays[0]")
    for i, array in enumerate(arrays[1:], 1):
        if _num_samples(array, f"arrays[{i}]") != n:
            raise ValueError(f"arrays[{i}]: expected {n} examples like arrays[0], got {_num_samples(array)}")
    test_size = check_number(test_size, "test_size", minimum=0, maximum=1)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size: expected a fraction strictly between 0 and 1, got {test_size}")
    rng = check_rng(rng, needed_for="a random split")
    if stratify is None:
        n_test = math.ceil(test_size * n)
        if n_test >= n:
            raise ValueError(f"test_size: leaves no training example out of {n}, got {test_size}")
        test = rng.permutation(n)[:n_test]
    else:
        labels = np.asarray(stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify: expected labels of shape ({n},), got {labels.shape}")
        test = np.concatenate(
            [
                rng.permutation(members)[: math.ceil(test_size * len(members))]
                for members in (np.flatnonzero(labels == c) for c in np.unique(labels))
            ]
        )
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    train, test = np.flatnonzero(~in_test), np.flatnonzero(in_test)
    out = []
    for array in arrays:
        array = np.asarray(array)
        out += [array[train], array[test]]
    return out


# ----------------------------------------------------------------------------------- beyond a single number
class ConfidenceInterval(NamedTuple):
    """A confidence interval: ``low`` and ``high`` ends, and the statistic on the whole sample."""

    low: float
    high: float
    statistic: float


def bootstrap_indices(n: int, n_resamples: int, rng: Seed) -> np.ndarray:
    """(n_resamples, n) indices, each row n draws with replacement from 0..n-1: ``rng.integers(0, n, ...)``."""
    rng = check_rng(rng, needed_for="resampling")
    return rng.integers(0, check_int(n, "n", minimum=1), size=(check_int(n_resamples, "n_resamples", minimum=1), n))


def bootstrap_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    metric: Callable[[np.ndarray, np.ndarray], float],
    n_resamples: int = 1000,
    confidence: float = 0.95,
    rng: Seed = None,
) -> ConfidenceInterval:
    """A percentile bootstrap confidence interval for ``metric(y_true, y_pred)`` (Efron 1979).

    Resample the N test examples with replacement ``n_resamples`` times (pairs (y_true_i, y_pred_i) stay
    together), compute the metric on each resample, and take the (1 - confidence)/2 and (1 + confidence)/2
    percentiles of those values (NumPy's linear interpolation): what ``scipy.stats.bootstrap(...,
    method="percentile", paired=True)`` computes. It says how much the score could move on another test set of
    the same size.

    y_true, y_pred : (N, ...) with N >= 2;  rng : a generator or an int seed (required).
    """
    if not callable(metric):
        raise ValueError(f"metric: expected a function metric(y_true, y_pred) -> float, got {type(metric).__name__}")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = _num_samples(y_true, "y_true")
    if _num_samples(y_pred, "y_pred") != n:
        raise ValueError(f"y_pred: expected as many examples as y_true ({n}), got {len(y_pred)}")
    if n < 2:
        raise ValueError(f"y_true: expected at least 2 examples to resample, got {n}")
    confidence = check_number(confidence, "confidence", minimum=0, maximum=1)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a level strictly between 0 and 1, got {confidence}")
    indices = bootstrap_indices(n, n_resamples, rng)
    values = np.array([metric(y_true[i], y_pred[i]) for i in indices], dtype=np.float64)
    alpha = (1 - confidence) / 2
    low, high = np.percentile(values, [100 * alpha, 100 * (1 - alpha)])
    return ConfidenceInterval(float(low), float(high), float(metric(y_true, y_pred)))


class McNemarResult(NamedTuple):
    """The paired test's statistic and p-value, and the two discordant counts it is computed from."""

    statistic: float
    pvalue: float
    a_only: int  # examples model A gets right and model B wrong
    b_only: int  # examples model B gets right and model A wrong


def _binomial_tail(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), in exact integer arithmetic: sum_{i<=k} C(n, i) / 2^n."""
    return float(Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n))


def mcnemar_test(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike, *, exact: bool = True) -> McNemarResult:
    """McNemar's test of whether classifiers A and B are equally accurate, from their predictions on the same
    test examples (McNemar 1947; Dietterich 1998).

    Only the examples where they disagree about being right count: b = A right and B wrong, c = B right and A
    wrong. If both are equally good, each such example is b or c with probability 1/2.

    * ``exact=True``: the statistic is min(b, c) and the two-sided binomial p-value
      min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2), computed exactly;
    * ``exact=False``: the chi-square statistic with continuity correction (|b - c| - 1)^2 / (b + c) and its
      p-value with one degree of freedom, erfc(sqrt(statistic / 2)).

    With no disagreement (b + c = 0), the statistic is 0 and the p-value 1. A small p-value says the accuracies
    really differ; a large one only that this test set cannot tell.
    """
    exact = check_bool(exact, "exact")
    y_true, pred_a, pred_b = np.asarray(y_true), np.asarray(pred_a), np.asarray(pred_b)
    n = _num_samples(y_true, "y_true")
    if n == 0:
        raise ValueError("y_true: expected at least one example, got an empty array")
    for name, pred in (("pred_a", pred_a), ("pred_b", pred_b)):
        if pred.shape != y_true.shape:
            raise ValueError(f"{name}: expected the shape of y_true {y_true.shape}, got {pred.shape}")
        if pred.dtype.kind == "f" and not np.isfinite(pred).all():
            raise ValueError(f"{name}: expected finite labels, got NaN or infinity")
    right_a = (pred_a == y_true).reshape(n, -1).all(axis=1)
    right_b = (pred_b == y_true).reshape(n, -1).all(axis=1)
    b, c = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
    if b + c == 0:
        return McNemarResult(0.0, 1.0, b, c)
    if exact:
        return McNemarResult(float(min(b, c)), min(1.0, 2 * _binomial_tail(min(b, c), b + c)), b, c)
    statistic = (abs(b - c) - 1) ** 2 / (b + c)
    return McNemarResult(statistic, math.erfc(math.sqrt(statistic / 2)), b, c)
