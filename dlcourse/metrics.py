"""Evaluation metrics with scikit-learn's names and argument order: ``metric(y_true, y_pred)``."""
from __future__ import annotations

import numpy as np


def accuracy_score(y_true, y_pred) -> float:
    """Fraction of predictions equal to the true labels (``sklearn.metrics.accuracy_score``).

    y_true, y_pred : (N,) class labels
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_pred: expected the shape of y_true {y_true.shape} (1-D), got {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("y_true: expected at least one label, got an empty array")
    return float(np.mean(y_true == y_pred))
