"""Chapter 03: scikit-learn's handwritten digits (1,797 grey 8x8 images of 0-9, shipped inside scikit-learn: no
download), split into train / validation / test sets with an explicit generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._types import Seed
from .._validate import check_fraction, check_rng


@dataclass
class Split:
    """A data set divided three ways. X arrays are (N, 64) float64 in [0, 1]; y arrays (N,) int64 in 0..9."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Split(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, "
            f"features={self.X_train.shape[1:]})"
        )


def load_digits(val_size: float = 0.15, test_size: float = 0.2, rng: Seed = 0, images: bool = False) -> Split:
    """Load the digits, scale pixels from 0..16 to [0, 1], and split them, stratified by class.

    Parameters
    ----------
    val_size, test_size : fractions of the whole set held out for validation and for the final test
    rng : np.random.Generator or int seed that shuffles before splitting (same seed, same split)
    images : return X as (N, 1, 8, 8) images (NCHW, for convolutional networks) instead of (N, 64) vectors

    Each class is split in the same proportions, so every set has all ten digits in nearly equal numbers.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    val_size, test_size = check_fraction(val_size, "val_size"), check_fraction(test_size, "test_size")
    if val_size + test_size >= 1:
        raise ValueError(
            f"val_size + test_size: expected less than 1 to leave training data, got {val_size + test_size}"
        )
    rng = check_rng(rng)
    bunch = sklearn_digits()
    X = bunch.data.astype(np.float64) / 16.0  # (1797, 64), pixel values 0..16 -> [0, 1]
    y = bunch.target.astype(np.int64)  # (1797,)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test, n_val = int(round(test_size * len(idx))), int(round(val_size * len(idx)))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        parts["train"].append(idx[n_test + n_val :])
    out = {}
    for name, chunks in parts.items():
        idx = rng.permutation(np.concatenate(chunks))
        Xs = X[idx].reshape(-1, 1, 8, 8) if images else X[idx]
        out[f"X_{name}"], out[f"y_{name}"] = Xs, y[idx]
    return Split(**out)
