"""Chapter 00: array recipes the whole course leans on, written once with NumPy broadcasting.

* :func:`explain_broadcast` / :func:`broadcast_shapes` — NumPy's broadcasting rule, axis by axis, with an error
  that names the axis where two shapes clash (``np.broadcast_shapes`` only says that they do);
* :func:`standardize` — column-wise zero mean and unit variance, constant columns left at 0, like
  ``sklearn.preprocessing.StandardScaler().fit_transform``;
* :func:`pairwise_sq_dists` — every squared Euclidean distance between the rows of two matrices, like
  ``torch.cdist(A, B) ** 2``;
* :func:`one_hot` — class indices to one-hot rows, like ``torch.nn.functional.one_hot``.

Data follow the batch convention of the whole course: a matrix ``X`` of shape (N, D) holds N samples (rows) of D
features (columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._validate import as_float_array, check_positive_int


# ------------------------------------------------------------------------------------------- broadcasting
class BroadcastExplanation(NamedTuple):
    """How two shapes broadcast, axis by axis (axes aligned from the right)."""

    shape_a: tuple[int, ...]  # the shapes as given
    shape_b: tuple[int, ...]
    padded_a: tuple[int, ...]  # both shapes left-padded with 1s to the same length
    padded_b: tuple[int, ...]
    shape: tuple[int, ...] | None  # the broadcast shape, or None when the shapes clash
    clash_axis: int | None  # the first clashing axis, counted from the right (-1 is the last), or None
    message: str  # one sentence: the result, or why there is none


def _as_shape(shape, name: str) -> tuple:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{name}: expected a shape (a tuple of sizes), got {shape!r}") from None
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"{name}: expected a tuple of non-negative integer sizes, got {shape!r}")
    return tuple(int(s) for s in shape)


def explain_broadcast(shape_a: int | Sequence[int], shape_b: int | Sequence[int]) -> BroadcastExplanation:
    """Apply the broadcasting rule to two shapes and say what happens.

    The rule (NumPy and PyTorch share it): align the shapes on the right, pad the shorter one with 1s on the
    left; on every axis the sizes must be equal or one of them 1, and the result takes the larger size.

    Parameters
    ----------
    shape_a, shape_b : tuples of non-negative ints (an int means a 1-D shape)

    Returns
    -------
    BroadcastExplanation
    """
    a, b = _as_shape(shape_a, "shape_a"), _as_shape(shape_b, "shape_b")
    ndim = max(len(a), len(b))
    pa = (1,) * (ndim - len(a)) + a
    pb = (1,) * (ndim - len(b)) + b
    out = []
    for axis, (sa, sb) in enumerate(zip(pa, pb)):
        if sa != sb and sa != 1 and sb != 1:
            from_right = axis - ndim
            msg = (
                f"shapes {a} and {b} cannot be broadcast: on axis {from_right} (counting from the right) the "
                f"sizes are {sa} and {sb}; they must be equal or one of them must be 1"
            )
            return BroadcastExplanation(a, b, pa, pb, None, from_right, msg)
        out.append(sb if sa == 1 else sa)
    shape = tuple(out)
    return BroadcastExplanation(a, b, pa, pb, shape, None, f"{a} and {b} broadcast to {shape}")


def broadcast_shapes(*shapes: int | Sequence[int]) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to, like ``np.broadcast_shapes`` and ``torch.broadcast_shapes``.

    Raises
    ------
    ValueError
        naming the two clashing shapes and the axis where they clash.
    """
    result: tuple = ()
    for i, shape in enumerate(shapes):
        explanation = explain_broadcast(result, _as_shape(shape, f"shapes[{i}]"))
        if explanation.shape is None:
            raise ValueError(explanation.message)
        result = explanation.shape
    return result


# ------------------------------------------------------------------------------------------- standardize
def standardize(X: ArrayLike) -> np.ndarray:
    r"""Standardize every column to zero mean and unit variance: :math:`(x_{nd} - \mu_d) / \sigma_d`.

    :math:`\mu_d` is the column mean and :math:`\sigma_d` the population standard deviation (``ddof=0``, what
    ``np.std`` and scikit-learn's ``StandardScaler`` use). A constant column has :math:`\sigma_d = 0` and is only
    centred, so it becomes 0 (not NaN). A column whose spread is pure rounding noise (e.g. ten copies of 0.1,
    whose float64 mean is not exactly 0.1) counts as constant too.

    Parameters
    ----------
    X : array of shape (N, D), N samples of D features; integer inputs are converted to float64

    Returns
    -------
    out : float array of shape (N, D)
    """
    X = as_float_array(X, "X", ndim=2)
    mean = X.mean(axis=0, keepdims=True)  # (1, D)
    std = X.std(axis=0, keepdims=True)  # (1, D)
    noise = 4 * np.finfo(X.dtype).eps * np.abs(mean)  # (1, D): the spread rounding alone can create
    constant = std <= noise  # (1, D) bool
    centred = np.where(constant, 0.0, X - mean)  # (N, D): constant columns exactly 0
    return (centred / np.where(constant, 1.0, std)).astype(X.dtype, copy=False)  # (N, D)


# ------------------------------------------------------------------------------------------- distances
def pairwise_sq_dists(A: ArrayLike, B: ArrayLike) -> np.ndarray:
    r"""All squared Euclidean distances between the rows of A and the rows of B, without a Python loop.

    Uses :math:`\lVert a - b \rVert^2 = \lVert a \rVert^2 + \lVert b \rVert^2 - 2\,a \cdot b`, so the largest
    temporary is (N, M) rather than the (N, M, D) of ``A[:, None, :] - B[None, :, :]``; rounding can make the
    expansion slightly negative, so it is clipped at 0.

    Parameters
    ----------
    A : array of shape (N, D)
    B : array of shape (M, D)

    Returns
    -------
    out : float array of shape (N, M), ``out[i, j] = sum((A[i] - B[j]) ** 2)`` (``torch.cdist(A, B) ** 2``)
    """
    A = as_float_array(A, "A", ndim=2)
    B = as_float_array(B, "B", ndim=2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"B: expected shape (M, {A.shape[1]}) to match A's {A.shape[1]} features, got {B.shape}")
    sq_a = np.sum(A * A, axis=1, keepdims=True)  # (N, 1)
    sq_b = np.sum(B * B, axis=1, keepdims=True).T  # (1, M)
    out = sq_a + sq_b - 2.0 * (A @ B.T)  # (N, M)
    return np.maximum(out, 0.0, out=out)


# ------------------------------------------------------------------------------------------- one-hot
def one_hot(y: ArrayLike, num_classes: int, dtype: DTypeLike = np.int64) -> np.ndarray:
    """One-hot rows from class indices, like ``torch.nn.functional.one_hot(y, num_classes)``.

    Parameters
    ----------
    y : integer array of shape (N,), class indices in [0, num_classes)
    num_classes : int, the number of columns C
    dtype : dtype of the result (int64 like PyTorch; pass np.float64 to compute with it)

    Returns
    -------
    out : array of shape (N, C), ``out[n, c] = 1`` if ``y[n] == c`` else 0
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    if y is None:
        raise ValueError("y: expected an array of class indices, got None")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y: expected a 1-D array of class indices, shape (N,), got shape {y.shape}")
    if y.size and not (
        np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))
    ):
        raise ValueError(f"y: expected integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"y: class indices must lie in [0, {num_classes - 1}], got min {y.min()} and max {y.max()}")
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)  # (N, C)
    out[np.arange(y.shape[0]), y] = 1
    return out
