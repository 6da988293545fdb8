"""Chapter 10: a small CNN classifier of the digits whose penultimate layer turns images into features for the
Fréchet distance. Chapter 10 scores its GANs with it, chapter 17 its diffusion models.

There is no Inception network offline, and it would not understand 8x8 digits anyway, so the course trains its own
feature extractor, in PyTorch: two 3x3 convolutions with max pooling, a dense layer of 32 ReLU units (the features)
and a linear layer to the 10 classes::

    gen = torch.Generator().manual_seed(0)
    net = train_feature_classifier(digits.X_train, digits.y_train, generator=gen)
    accuracy(net, digits.X_test, digits.y_test)     # about 0.96
    features(net, images)                           # (N, 32) float64, images (N, 64) or (N, 1, 8, 8) in [0, 1]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._validate import as_float_array, check_int, check_positive_int, check_positive_number

if TYPE_CHECKING:
    import torch

FEATURES = 32  #: the width of the penultimate layer: the number of features


def feature_classifier(seed: int = 1) -> torch.nn.Sequential:
    """The untrained network (float32), its weights drawn after ``torch.manual_seed(seed)``."""
    torch = _lazy.torch("feature_classifier")
    torch.manual_seed(check_int(seed, "seed"))
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 2 * 2, FEATURES),
        torch.nn.ReLU(),  # the features: the output of this layer
        torch.nn.Linear(FEATURES, 10),
    )


def _images(images: ArrayLike, name: str) -> np.ndarray:
    """Digits as (N, 1, 8, 8) float32, from (N, 64) or (N, 1, 8, 8)."""
    images = as_float_array(images, name)
    if images.ndim not in (2, 4) or images.shape[1:] not in ((64,), (1, 8, 8)):
        raise ValueError(f"{name}: expected digits of shape (N, 64) or (N, 1, 8, 8), got {images.shape}")
    return images.reshape(-1, 1, 8, 8).astype(np.float32)


def train_feature_classifier(
    X: ArrayLike,
    y: ArrayLike,
    *,
    generator: Any = None,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 1,
) -> torch.nn.Sequential:
    """Train :func:`feature_classifier` with Adam on the digits ``X`` (N, 64) or (N, 1, 8, 8) and labels ``y`` (N,).

    ``generator`` (a ``torch.Generator``) shuffles the batches of each epoch (None: PyTorch's global generator); the
    weights start from ``seed``. Returns the network in evaluation mode.
    """
    torch = _lazy.torch("train_feature_classifier")
    X = torch.from_numpy(_images(X, "X"))
    y = np.asarray(y)
    if y.shape != (len(X),) or y.dtype.kind not in "iu":
        raise ValueError(f"y: expected ({len(X)},) integer labels, got {y.shape} {y.dtype}")
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    net = feature_classifier(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=check_positive_number(lr, "lr"))
    y = torch.from_numpy(y.astype(np.int64))
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), batch_size):
            batch = order[i : i + batch_size]
            loss = torch.nn.functional.cross_entropy(net(X[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.eval()


def accuracy(net: torch.nn.Sequential, X: ArrayLike, y: ArrayLike) -> float:
    """The fraction of the digits ``X`` that ``net`` classifies as their labels ``y``."""
    torch = _lazy.torch("accuracy")
    with torch.no_grad():
        predicted = net(torch.from_numpy(_images(X, "X"))).argmax(1).numpy()
    return float((predicted == np.asarray(y)).mean())


def features(net: torch.nn.Sequential, images: ArrayLike) -> np.ndarray:
    """The penultimate layer of ``net``, (N, 32) in float64, for digits (N, 64) or (N, 1, 8, 8) in [0, 1]."""
    torch = _lazy.torch("features")
    with torch.no_grad():
        return net[:-1](torch.from_numpy(_images(images, "images"))).double().numpy()
