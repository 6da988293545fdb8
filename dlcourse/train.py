"""A small, reusable training loop for classifiers built from :mod:`dlcourse.nn`."""
from __future__ import annotations

import numpy as np

from . import nn
from ._validate import check_rng
from .data.batching import iterate_minibatches
from .metrics import accuracy_score
from .optim import SGD, Optimizer


def predict(model: nn.Module, X) -> np.ndarray:
    """Class predictions (N,) from a model that outputs logits (N, C), computed in eval mode."""
    was_training = model.training
    model.eval()
    logits = model(X)
    model.train(was_training)                   # leave the model in the mode it was in
    return logits.argmax(axis=1)


def fit(model: nn.Module, X, y, *, epochs: int, lr: float = 0.1, batch_size: int | None = None,
        optimizer: Optimizer | None = None, loss_fn: nn.Module | None = None, rng=None,
        progress: bool = False) -> dict[str, list[float]]:
    """Train ``model`` on (X, y) by mini-batch gradient descent; return the per-epoch history.

    Parameters
    ----------
    model : maps X (N, D) to logits (N, C)
    X : (N, D) inputs;  y : (N,) class labels
    epochs : passes over the data
    lr : learning rate of the default optimizer, plain ``SGD(model, lr)``
    batch_size : examples per step; None means the whole set (full-batch gradient descent)
    optimizer : any :class:`dlcourse.optim.Optimizer` over ``model``'s parameters
    loss_fn : defaults to ``nn.CrossEntropyLoss()``
    rng : generator that shuffles the mini-batches (needed unless full-batch)
    progress : show a tqdm progress bar

    Returns
    -------
    history : {'loss': [mean training loss per epoch], 'accuracy': [training accuracy after each epoch]}
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    optimizer = optimizer if optimizer is not None else SGD(model, lr=lr)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    full_batch = batch_size is None or batch_size >= len(X)
    if rng is not None:
        rng = check_rng(rng)                    # an int seed becomes one generator: a new order every epoch
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    epoch_iter = range(epochs)
    if progress:
        from tqdm.auto import tqdm
        epoch_iter = tqdm(epoch_iter, desc="training", unit="epoch")
    for _ in epoch_iter:
        losses, sizes = [], []
        batches = [(X, y)] if full_batch else iterate_minibatches(X, y, batch_size, rng=rng)
        for xb, yb in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            model.backward(loss_fn.backward(1.0))
            optimizer.step()
            losses.append(float(loss))
            sizes.append(len(xb))
        history["loss"].append(float(np.average(losses, weights=sizes)))
        history["accuracy"].append(accuracy_score(y, predict(model, X)))
    return history
