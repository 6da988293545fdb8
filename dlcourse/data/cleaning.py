"""Chapter 03: data cleaning (数据清洗): find what would mislead a model or a measurement, count it, and drop it.

The first step of preprocessing, before any split or scaling (chapter 03)::

    report = audit(X, y, value_range=(0, 16))      # what is wrong, counted
    print(report)
    cleaned = clean(X, y, value_range=(0, 16))      # the rows worth keeping, and why the others went
    leaked = shared_rows(X_train, X_test)           # test rows that have an exact copy in the training set

What is looked for, in a data matrix X of shape (N, D) (N rows = samples, D columns = features) with labels y (N,):

* **duplicates**: rows identical to an earlier row. Copies inflate the weight of some examples, and a copy that
  lands in the training set while its twin is in the test set lets the test score measure memory (leakage);
* **conflicting labels**: identical rows with different labels; at most one of them can be right;
* **missing values**: NaN (and ±inf, which no measurement produces either);
* **out-of-range values**: finite values outside the range the data can take (a pixel count of 17 on a 0-16
  scanner, -1 used as "unknown", a batch stored on another scale);
* **constant columns**: features that take one value in every row. They carry no information; they are reported
  and kept, because dropping a column changes the model's input size (decide it on the training set, if at all).

Rows compare by value: 0.0 and -0.0 are equal, and so are two NaNs in the same places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_interval

__all__ = [
    "AuditReport",
    "Cleaned",
    "audit",
    "clean",
    "constant_columns",
    "duplicate_groups",
    "missing_mask",
    "out_of_range_mask",
    "shared_rows",
]


# -- checks on the arguments ---------------------------------------------------------------------------------------
def _matrix(X, name: str = "X") -> np.ndarray:
    return as_float_array(X, name, ndim=2)


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y: expected one label per row of X, shape ({n},), got shape {y.shape}")
    return y


def _value_range(value_range) -> tuple[float, float]:
    return check_interval(value_range, "value_range", ends=("low", "high"))


# -- rows as hashable keys -------------------------------------------------------------------------------------------
def _row_keys(X: np.ndarray) -> np.ndarray:
    """One bytes-like key per row (N,), equal exactly when the rows are equal value by value."""
    X = np.ascontiguousarray(X, dtype=np.float64) + 0.0  # -0.0 + 0.0 = 0.0: one key for zero
    X[np.isnan(X)] = np.nan  # one NaN bit pattern
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()  # (N,)


def duplicate_groups(X: ArrayLike) -> list[np.ndarray]:
    """The groups of identical rows of X (N, D): a list of index arrays, each of length >= 2, in increasing order,
    the groups ordered by their first row. An empty list when every row is unique."""
    X = _matrix(X)
    if len(X) == 0:
        return []
    _, inverse, counts = np.unique(_row_keys(X), return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    groups = [np.flatnonzero(inverse == g) for g in np.flatnonzero(counts > 1)]
    return sorted(groups, key=lambda idx: idx[0])


def shared_rows(X_reference: ArrayLike, X: ArrayLike) -> np.ndarray:
    """Indices of the rows of X (M, D) that also occur, exactly, in X_reference (N, D): e.g. test images that have a
    copy in the training set. Returns an int array, in increasing order (empty when the two share nothing)."""
    X_reference, X = _matrix(X_reference, "X_reference"), _matrix(X, "X")
    if X_reference.shape[1] != X.shape[1]:
        raise ValueError(f"X: expected {X_reference.shape[1]} columns like X_reference, got shape {X.shape}")
    if len(X) == 0 or len(X_reference) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.isin(_row_keys(X), _row_keys(X_reference)))


# -- values -----------------------------------------------------------------------------------------------------------
def missing_mask(X: ArrayLike) -> np.ndarray:
    """Boolean (N, D): True where X holds NaN or ±inf."""
    return ~np.isfinite(_matrix(X))


def out_of_range_mask(X: ArrayLike, value_range: tuple[float, float]) -> np.ndarray:
    """Boolean (N, D): True where X holds a finite value outside [low, high] = value_range (bounds allowed)."""
    X, (low, high) = _matrix(X), _value_range(value_range)
    with np.errstate(invalid="ignore"):
        return np.isfinite(X) & ((X < low) | (X > high))


def constant_columns(X: ArrayLike) -> np.ndarray:
    """Indices of the columns of X (N, D) whose finite values are all equal (missing values ignored; a column with no
    finite value counts as constant). An int array, in increasing order."""
    X = _matrix(X)
    if len(X) == 0:
        return np.zeros(0, dtype=np.int64)
    finite = np.isfinite(X)
    low = np.where(finite, X, np.inf).min(axis=0)  # (D,)
    high = np.where(finite, X, -np.inf).max(axis=0)  # (D,)
    return np.flatnonzero(~finite.any(axis=0) | (low == high))


# -- the audit ---------------------------------------------------------------------------------------------------------
@dataclass
class AuditReport:
    """What :func:`audit` found. Counts of rows and values; ``None`` where the check needs what was not given
    (labels for conflicting labels, ``value_range`` for out-of-range values)."""

    n_rows: int
    n_columns: int
    duplicate_rows: int  # rows identical to an earlier row (the copies beyond the first)
    duplicate_groups: int  # distinct rows that occur more than once
    conflicting_groups: int | None  # of those groups, how many carry more than one label
    missing_values: int  # NaN or ±inf entries
    rows_with_missing: int
    out_of_range_values: int | None  # finite entries outside value_range
    rows_out_of_range: int | None
    constant_columns: np.ndarray = field(repr=False)  # indices of the columns with a single value

    def __str__(self) -> str:
        def count(value):
            return "not checked" if value is None else f"{value:,}"

        def rows(n):
            return f"{n:,} row" + ("" if n == 1 else "s")

        cols = ", ".join(str(c) for c in self.constant_columns) or "none"
        return "\n".join(
            [
                f"rows x columns:           {self.n_rows:,} x {self.n_columns:,}",
                f"duplicate rows:           {self.duplicate_rows:,} "
                f"(in {self.duplicate_groups:,} groups of identical rows)",
                f"  groups with 2+ labels:  {count(self.conflicting_groups)}",
                f"missing values (NaN/inf): {self.missing_values:,} (in {rows(self.rows_with_missing)})",
                f"out-of-range values:      {count(self.out_of_range_values)}"
                + ("" if self.rows_out_of_range is None else f" (in {rows(self.rows_out_of_range)})"),
                f"constant columns:         {len(self.constant_columns):,} ({cols})",
            ]
        )


def audit(X: ArrayLike, y: ArrayLike | None = None, value_range: tuple[float, float] | None = None) -> AuditReport:
    """Count the problems of a data set: duplicates, conflicting labels, missing values, out-of-range values and
    constant columns.

    Parameters
    ----------
    X : (N, D) data matrix
    y : (N,) labels, optional (needed to find conflicting labels)
    value_range : (low, high), optional: the values X can legitimately take (bounds included)
    """
    X = _matrix(X)
    groups = duplicate_groups(X)
    conflicting = None
    if y is not None:
        y = _labels(y, len(X))
        conflicting = sum(len(np.unique(y[g])) > 1 for g in groups)
    missing = missing_mask(X)
    out = out_of_range_mask(X, value_range) if value_range is not None else None
    return AuditReport(
        n_rows=len(X),
        n_columns=X.shape[1],
        duplicate_rows=sum(len(g) - 1 for g in groups),
        duplicate_groups=len(groups),
        conflicting_groups=conflicting,
        missing_values=int(missing.sum()),
        rows_with_missing=int(missing.any(axis=1).sum()),
        out_of_range_values=None if out is None else int(out.sum()),
        rows_out_of_range=None if out is None else int(out.any(axis=1).sum()),
        constant_columns=constant_columns(X),
    )


# -- the cleaning ----------------------------------------------------------------------------------------------------
@dataclass
class Cleaned:
    """What :func:`clean` kept: ``X`` (M, D) and ``y`` (M,), ``kept`` the indices (M,) of those rows in the input
    (in their original order), and ``dropped``, how many rows went for each reason."""

    X: np.ndarray
    y: np.ndarray
    kept: np.ndarray
    dropped: dict[str, int]

    def __repr__(self) -> str:
        reasons = ", ".join(f"{reason} {n}" for reason, n in self.dropped.items())
        return f"Cleaned(kept={len(self.kept)}, dropped: {reasons})"


def clean(X: ArrayLike, y: ArrayLike, value_range: tuple[float, float] | None = None) -> Cleaned:
    """Drop the rows a model should not learn from, and say why.

    In this order: rows with a missing value; rows with a value outside ``value_range`` (if given); then, of each
    group of identical rows, every copy after the first when the copies agree on the label, and the whole group when
    they do not (there is no telling which label is right). Columns are left alone, constant or not.

    Parameters
    ----------
    X : (N, D) data matrix;  y : (N,) labels;  value_range : (low, high), optional

    Returns
    -------
    Cleaned with X (M, D) and y (M,) (new arrays, the input is not modified), kept (M,) and the per-reason counts
    ``dropped = {'missing': ..., 'out of range': ..., 'duplicate': ..., 'conflicting labels': ...}``.
    """
    X = _matrix(X)
    y = _labels(y, len(X))
    keep = np.ones(len(X), dtype=bool)
    dropped = {}
    bad = missing_mask(X).any(axis=1)
    dropped["missing"] = int(bad.sum())
    keep &= ~bad
    bad = keep & (out_of_range_mask(X, value_range).any(axis=1) if value_range is not None else False)
    dropped["out of range"] = int(np.sum(bad))
    keep &= ~bad
    remaining = np.flatnonzero(keep)
    n_duplicate = n_conflicting = 0
    for group in duplicate_groups(X[remaining]):
        rows = remaining[group]  # indices into X, increasing
        if len(np.unique(y[rows])) > 1:
            keep[rows] = False
            n_conflicting += len(rows)
        else:
            keep[rows[1:]] = False
            n_duplicate += len(rows) - 1
    dropped["duplicate"], dropped["conflicting labels"] = n_duplicate, n_conflicting
    kept = np.flatnonzero(keep)
    return Cleaned(X=X[kept].copy(), y=y[kept].copy(), kept=kept, dropped=dropped)
