"""Chapter 01: small synthetic 2-D classification sets (XOR, circles, moons, spirals, blobs) for the network
playground and the tests, drawn from an explicit generator; chapter 10 adds a ring of Gaussians
(:func:`make_gaussian_ring`), the standard test of a GAN's mode coverage.

Every function returns ``X`` of shape (n_samples, 2), float64, and ``y`` of shape (n_samples,), int64 class labels,
and takes ``noise`` (standard deviation of Gaussian noise added to the points) and ``rng`` (a
``np.random.Generator`` or an int seed): the same rng state gives the same points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .._types import Seed
from .._validate import check_choice, check_number, check_positive_int, check_rng


def _check_noise(noise) -> float:
    return check_number(noise, "noise", minimum=0, what="a finite number")


def _split(n_samples: int, n_classes: int) -> np.ndarray:
    """How many points each class gets: as equal as possible, summing to n_samples."""
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    return counts


XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0, 1, 1, 0])


def make_xor(n_samples: int = 200, noise: float = 0.1, rng: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around the four corners of [-1, 1]^2; label 1 where exactly one coordinate is positive.

    No straight line separates the classes: the smallest problem that needs a hidden layer.
    """
    n = check_positive_int(n_samples, "n_samples")
    noise, rng = _check_noise(noise), check_rng(rng)
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    idx = rng.integers(0, 4, n)
    X = corners[idx] * rng.uniform(0.3, 1.0, (n, 1)) + noise * rng.standard_normal((n, 2))
    y = ((corners[idx, 0] > 0) != (corners[idx, 1] > 0)).astype(np.int64)
    return X, y


def make_circles(
    n_samples: int = 200, noise: float = 0.1, factor: float = 0.5, rng: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (radius 1 for class 0, ``factor`` for class 1), like sklearn's make_circles."""
    n = check_positive_int(n_samples, "n_samples")
    noise, rng = _check_noise(noise), check_rng(rng)
    if not 0 < check_number(factor, "factor", what="a number in (0, 1)") < 1:
        raise ValueError(f"factor: expected a number in (0, 1), got {factor!r}")
    n0, n1 = _split(n, 2)
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.r_[np.ones(n0), np.full(n1, factor)]
    X = np.c_[r * np.cos(t), r * np.sin(t)] + noise * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0), np.ones(n1)].astype(np.int64)


def make_moons(n_samples: int = 200, noise: float = 0.1, rng: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, like sklearn's make_moons."""
    n = check_positive_int(n_samples, "n_samples")
    noise, rng = _check_noise(noise), check_rng(rng)
    n0, n1 = _split(n, 2)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    X = np.r_[np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]]
    X = X + noise * rng.standard_normal((n, 2))
    return X, np.r_[np.zeros(n0), np.ones(n1)].astype(np.int64)


def make_spirals(
    n_samples: int = 300, noise: float = 0.1, n_classes: int = 2, turns: float = 1.25, rng: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (cs231n's spiral data), radius growing from 0 to 1."""
    n = check_positive_int(n_samples, "n_samples")
    k = check_positive_int(n_classes, "n_classes")
    noise, rng = _check_noise(noise), check_rng(rng)
    turns = check_number(turns, "turns", what="a finite number")
    X, y = [], []
    for c, count in enumerate(_split(n, k)):
        r = np.linspace(0.05, 1.0, count)
        t = 2 * np.pi * (turns * r + c / k)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(count, c))
    X = np.concatenate(X) + noise * rng.standard_normal((n, 2))
    return X, np.concatenate(y).astype(np.int64)


def make_blobs(
    n_samples: int = 200, noise: float = 0.3, n_classes: int = 2, rng: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs with standard deviation ``noise`` around centres spread evenly on the unit circle."""
    n = check_positive_int(n_samples, "n_samples")
    k = check_positive_int(n_classes, "n_classes")
    noise, rng = _check_noise(noise), check_rng(rng)
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 4
    centres = np.c_[np.cos(angles), np.sin(angles)]
    y = np.repeat(np.arange(k), _split(n, k))
    X = centres[y] + noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The (n_modes, 2) centres of :func:`make_gaussian_ring`: evenly spaced on a circle of ``radius``, the first at
    angle 0 (on the positive x axis)."""
    k = check_positive_int(n_modes, "n_modes")
    radius = check_number(radius, "radius", minimum=0, what="a finite number")
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def make_gaussian_ring(
    n_samples: int = 512, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, rng: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A mixture of ``n_modes`` equally likely isotropic Gaussians with standard deviation ``std``, centred on a
    circle of ``radius`` (:func:`ring_centres`): the 2-D data on which GANs show mode collapse.

    Returns X (n_samples, 2) and y (n_samples,), the mode each point was drawn from (each mode drawn independently
    with probability 1 / n_modes).
    """
    n = check_positive_int(n_samples, "n_samples")
    centres = ring_centres(n_modes, radius)
    std = check_number(std, "std", minimum=0, what="a finite number")
    rng = check_rng(rng)
    y = rng.integers(0, len(centres), n)
    X = centres[y] + std * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


DATASETS = {"xor": make_xor, "circles": make_circles, "moons": make_moons, "spirals": make_spirals, "blobs": make_blobs}


def make_dataset(
    name: Literal["xor", "circles", "moons", "spirals", "blobs"],
    n_samples: int = 200,
    noise: float = 0.1,
    rng: Seed = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Any of the sets above by name: 'xor', 'circles', 'moons', 'spirals' or 'blobs'."""
    return DATASETS[check_choice(name, "name", sorted(DATASETS))](n_samples=n_samples, noise=noise, rng=rng)
