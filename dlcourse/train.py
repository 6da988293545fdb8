"""Chapter 03: a small, reusable training loop for classifiers built from :mod:`dlcourse.nn` (chapter 01 already
calls ``fit`` to train its XOR network).

Three pieces, each usable on its own::

    loss = train_epoch(model, X, y, optimizer=opt, loss_fn=loss_fn, batch_size=128, rng=rng)   # one pass
    val_loss, val_acc = evaluate(model, X_val, y_val)                                        # no learning
    history = fit(model, X, y, epochs=30, batch_size=128, optimizer=opt, rng=rng,
                  validation_data=(X_val, y_val), callback=live_plot, progress=True)

``fit`` records one number per epoch and per metric in ``history`` ('loss', 'accuracy', and with validation data
'val_loss', 'val_accuracy'), like the ``History`` of Keras's ``model.fit``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from . import nn
from ._types import Seed
from ._validate import check_positive_int, check_rng
from .data.batching import iterate_minibatches
from .metrics import accuracy_score
from .optim import SGD, Optimizer


def predict(model: nn.Module, X: ArrayLike) -> np.ndarray:
    """Class predictions (N,) from a model that outputs logits (N, C), computed in eval mode."""
    was_training = model.training
    model.eval()
    logits = model(X)
    model.train(was_training)  # leave the model in the mode it was in
    return logits.argmax(axis=1)


def _check_pair(X, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim < 1 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"{name}: expected inputs (N, ...) and labels (N,) of the same length N, got shapes {X.shape} and {y.shape}"
        )
    if len(X) == 0:
        raise ValueError(f"{name}: expected at least one example, got 0")
    return X, y


def evaluate(model: nn.Module, X: ArrayLike, y: ArrayLike, loss_fn: nn.Module | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on (X, y), in eval mode, without changing any parameter.

    Parameters
    ----------
    model : maps X (N, D) to logits (N, C)
    X : (N, D) inputs;  y : (N,) class labels
    loss_fn : defaults to ``nn.CrossEntropyLoss()`` (mean over the N examples)

    Returns
    -------
    (loss, accuracy) : two floats; accuracy is a fraction in [0, 1]
    """
    X, y = _check_pair(X, y, "X, y")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    logits = model(X)  # (N, C)
    model.train(was_training)
    return float(loss_fn(logits, y)), accuracy_score(y, logits.argmax(axis=1))


def train_epoch(
    model: nn.Module,
    X: ArrayLike,
    y: ArrayLike,
    *,
    optimizer: Optimizer,
    loss_fn: nn.Module | None = None,
    batch_size: int | None = None,
    rng: Seed = None,
    shuffle: bool = True,
) -> float:
    """One pass over (X, y) in mini-batches: forward, loss, backward, step. Return the mean training loss.

    Parameters
    ----------
    model : maps X (N, D) to logits (N, C); updated in place
    X : (N, D) inputs;  y : (N,) class labels
    optimizer : a :class:`dlcourse.optim.Optimizer` over ``model``'s parameters
    loss_fn : defaults to ``nn.CrossEntropyLoss()``
    batch_size : examples per step; None (or >= N) means one step on the whole set
    rng : generator drawing this epoch's order (needed when shuffling mini-batches)
    shuffle : visit the examples in a new random order (True) or in their stored order

    Returns
    -------
    loss : mean of the mini-batch losses weighted by batch size (the mean over the N examples, each taken with
        the parameters of its own step)
    """
    X, y = _check_pair(X, y, "X, y")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    if batch_size is None or batch_size >= len(X):
        batches = [(X, y)]
    else:
        batches = iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=rng)
    total, count = 0.0, 0
    for xb, yb in batches:
        optimizer.zero_grad()  # gradients accumulate otherwise
        loss = loss_fn(model(xb), yb)  # forward pass, mean over the batch
        model.backward(loss_fn.backward(1.0))  # backward pass fills the grads
        optimizer.step()  # update the parameters
        total += float(loss) * len(xb)
        count += len(xb)
    return total / count


def fit(
    model: nn.Module,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    lr: float = 0.1,
    batch_size: int | None = None,
    optimizer: Optimizer | None = None,
    loss_fn: nn.Module | None = None,
    rng: Seed = None,
    shuffle: bool = True,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    callback: Callable[[int, dict[str, list[float]]], object] | None = None,
    progress: bool = False,
) -> dict[str, list[float]]:
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
    rng : generator that shuffles the mini-batches (needed unless full-batch); an int seeds one generator for the
        whole run, so every epoch gets a new order
    shuffle : draw a new order every epoch (True) or always visit the examples in their stored order
    validation_data : optional ``(X_val, y_val)``, evaluated after every epoch (adds 'val_loss', 'val_accuracy')
    callback : optional ``callback(epoch, history)``, called after every epoch with epoch = 1, 2, ..., epochs
        (e.g. :class:`dlcourse.viz.curves.LiveLossPlot`)
    progress : show a text progress bar (tqdm) with the latest loss and validation accuracy

    Returns
    -------
    history : {'loss': [mean training loss of each epoch], 'accuracy': [training accuracy after each epoch],
               'val_loss': [...], 'val_accuracy': [...] (only with validation_data)}
    """
    X, y = _check_pair(X, y, "X, y")
    epochs = check_positive_int(epochs, "epochs")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(
                f"validation_data: expected a pair (X_val, y_val), got {type(validation_data).__name__}"
                + (f" of length {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else "")
            )
        X_val, y_val = _check_pair(*validation_data, "validation_data")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback: expected a function callback(epoch, history), got {type(callback).__name__}")
    optimizer = optimizer if optimizer is not None else SGD(model, lr=lr)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    if rng is not None:
        rng = check_rng(rng)  # an int seed becomes one generator: a new order every epoch
    elif shuffle and batch_size is not None and batch_size < len(X):
        raise ValueError("rng: shuffling mini-batches needs an explicit np.random.Generator (or int seed)")

    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    bar = None
    if progress:
        import sys

        from tqdm.std import tqdm  # a text bar: it survives exports and printing, unlike a widget

        bar = tqdm(total=epochs, desc="training", unit="epoch", file=sys.stdout, mininterval=0.2)
    try:
        for epoch in range(1, epochs + 1):
            history["loss"].append(
                train_epoch(
                    model, X, y, optimizer=optimizer, loss_fn=loss_fn, batch_size=batch_size, rng=rng, shuffle=shuffle
                )
            )
            history["accuracy"].append(accuracy_score(y, predict(model, X)))
            if validation_data is not None:
                val_loss, val_accuracy = evaluate(model, X_val, y_val, loss_fn)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in history.items()}, refresh=False)
                bar.update(1)
            if callback is not None:
                callback(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    return history
