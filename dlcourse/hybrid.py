"""Chapter 06: hybrid models, a trained network combined with classical machine-learning models (source 004 §2.2).

Two common ways to combine them:

* **The network's features, a classical classifier.** The last hidden layer of a trained network is a learned
  representation of the input. :func:`hidden_features` computes it, and a support-vector machine or a random forest
  trained on it replaces the network's own final layer (:class:`NetworkFeatures` does the same as a scikit-learn
  transformer, so it can head a ``Pipeline``).
* **An ensemble.** Models that make different mistakes are averaged: :func:`soft_vote` takes each model's class
  probabilities (:func:`predict_proba` for a network, ``predict_proba`` for a scikit-learn model) and averages them,
  which is scikit-learn's ``VotingClassifier(voting="soft")`` for models that are already trained.

Networks here are ``dlcourse.nn.Sequential`` models (``nn.MLP``) whose last layer outputs logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import nn
from .functional import softmax


def _check_model(model) -> nn.Sequential:
    if not isinstance(model, nn.Sequential) or len(model) < 2:
        raise ValueError(
            f"model: expected a dlcourse.nn.Sequential of at least two layers (e.g. nn.MLP), got {type(model).__name__}"
        )
    return model


def _in_eval_mode(model, fn):
    """fn() with the model in eval mode, the model's mode restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        return fn()
    finally:
        model.train(was_training)


def hidden_features(model: nn.Sequential, X: ArrayLike) -> np.ndarray:
    """The activations a Sequential's final layer reads: its last hidden layer, computed in eval mode.

    Parameters
    ----------
    model : ``nn.Sequential`` (e.g. ``nn.MLP(64, [64], 10)``: the 64 ReLU outputs)
    X : (N, ...) inputs the model accepts

    Returns
    -------
    features : (N, H), the input of the last layer (flattened to two axes)
    """
    model = _check_model(model)

    def run():
        x = np.asarray(X, dtype=np.float64) if not isinstance(X, np.ndarray) else X
        for layer in list(model)[:-1]:
            x = layer(x)
        return x.reshape(len(x), -1)

    return _in_eval_mode(model, run)


def predict_proba(model: nn.Sequential, X: ArrayLike) -> np.ndarray:
    """Class probabilities (N, C) of a network that outputs logits: the softmax of its output, in eval mode."""
    model = _check_model(model)
    logits = _in_eval_mode(model, lambda: model(X))
    if logits.ndim != 2:
        raise ValueError(f"model: expected logits of shape (N, C), got shape {logits.shape}")
    return softmax(logits, dim=1)


class NetworkFeatures:
    """A trained network's last hidden layer as a scikit-learn transformer.

    ``make_pipeline(NetworkFeatures(model), SVC())`` trains the SVM on the network's features. ``fit`` does not
    train the network (it must be trained already); it only returns the transformer, as scikit-learn expects.
    """

    def __init__(self, model: nn.Sequential) -> None:
        self.model = _check_model(model)

    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> NetworkFeatures:
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        return hidden_features(self.model, X)

    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None) -> np.ndarray:
        return self.transform(X)

    def __repr__(self) -> str:
        return f"NetworkFeatures({type(self.model).__name__} of {len(self.model)} layers)"


def soft_vote(probabilities: Sequence[ArrayLike], weights: ArrayLike | None = None) -> np.ndarray:
    """Average the class probabilities of several models ("soft voting").

    Parameters
    ----------
    probabilities : sequence of M arrays (N, C), each row a probability distribution (non-negative, sum 1),
        the classes in the same order in every array
    weights : None (equal weights) or M non-negative numbers, not all 0

    Returns
    -------
    (N, C) weighted mean; ``soft_vote(...).argmax(axis=1)`` is the ensemble's prediction
    """
    arrays = [np.asarray(p, dtype=np.float64) for p in probabilities]
    if not arrays:
        raise ValueError("probabilities: expected at least one array (N, C), got none")
    shape = arrays[0].shape
    for i, p in enumerate(arrays):
        if p.ndim != 2 or p.shape != shape:
            raise ValueError(f"probabilities[{i}]: expected shape {shape} like probabilities[0], got {p.shape}")
        if not np.all(np.isfinite(p)) or p.min(initial=0) < 0 or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(f"probabilities[{i}]: expected rows of non-negative numbers summing to 1")
    if weights is None:
        w = np.full(len(arrays), 1.0 / len(arrays))
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(arrays),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() == 0:
            raise ValueError(f"weights: expected {len(arrays)} non-negative numbers, not all 0, got {weights!r}")
        w = w / w.sum()
    return np.tensordot(w, np.stack(arrays), axes=1)


__all__ = ["hidden_features", "predict_proba", "NetworkFeatures", "soft_vote"]
