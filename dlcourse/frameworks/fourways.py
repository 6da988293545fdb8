"""Chapter 14: one network, the digits MLP of source 002 §4 (64 -> 64 ReLU -> 10), built and trained three ways.

Each ``build_*`` makes the network in one framework, float64; each ``train_*`` runs the same budget: plain
mini-batch SGD on the softmax cross-entropy, the batches in the stored order (no shuffling), so that three runs from
the same initial weights (:mod:`~dlcourse.frameworks.porting`) take the same steps. :func:`code_lines` counts the
lines of code a framework needed.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _lazy, nn, train
from ..optim import SGD
from .porting import import_keras

if TYPE_CHECKING:
    import torch


def build_dlcourse(rng: np.random.Generator | int) -> nn.Module:
    """dlcourse's MLP 64 -> 64 -> 10 with ReLU, its initial weights drawn from ``rng``."""
    return nn.MLP(64, [64], 10, "relu", rng=rng)


def train_dlcourse(model: nn.Module, X: np.ndarray, y: np.ndarray, *, epochs: int, lr: float, batch_size: int) -> Any:
    """Train ``model`` on X (N, 64), y (N,) by SGD for ``epochs`` passes in mini-batches of ``batch_size``."""
    train.fit(model, X, y, epochs=epochs, optimizer=SGD(model, lr=lr), batch_size=batch_size, shuffle=False)
    return model


def build_torch() -> torch.nn.Module:
    """The same MLP as a ``torch.nn.Sequential`` in float64 (PyTorch's own initial weights)."""
    torch = _lazy.torch("build_torch")
    return torch.nn.Sequential(
        torch.nn.Linear(64, 64, dtype=torch.float64), torch.nn.ReLU(), torch.nn.Linear(64, 10, dtype=torch.float64)
    )


def train_torch(module: Any, X: np.ndarray, y: np.ndarray, *, epochs: int, lr: float, batch_size: int) -> Any:
    """The same training in PyTorch: the loop written out, as PyTorch code usually is."""
    torch = _lazy.torch("train_torch")
    optimizer = torch.optim.SGD(module.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            optimizer.zero_grad()
            loss = loss_fn(module(X[start : start + batch_size]), y[start : start + batch_size])
            loss.backward()
            optimizer.step()
    return module


def build_keras() -> Any:
    """The same MLP in Keras 3 (whichever backend ``KERAS_BACKEND`` names), float64."""
    keras = import_keras()
    return keras.Sequential(
        [
            keras.Input((64,), dtype="float64"),
            keras.layers.Dense(64, activation="relu", dtype="float64"),
            keras.layers.Dense(10, dtype="float64"),
        ]
    )


def train_keras(model: Any, X: np.ndarray, y: np.ndarray, *, epochs: int, lr: float, batch_size: int) -> Any:
    """The same training in Keras: ``compile`` names the optimizer and the loss, ``fit`` runs the loop."""
    keras = import_keras()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss)
    model.fit(X, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    return model


def code_lines(*functions: Callable) -> int:
    """Lines of code in the functions' sources: without docstrings, comments and blank lines (a statement that a
    formatter spread over several lines counts as all of them)."""
    total = 0
    for fn in functions:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
        skip: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    skip.update(range(body[0].lineno, body[0].end_lineno + 1))
        for number, line in enumerate(source.splitlines(), start=1):
            text = line.strip()
            if text and not text.startswith("#") and number not in skip:
                total += 1
    return total
