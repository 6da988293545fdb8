r"""Chapter 10: a generative adversarial network on 2-D points, from scratch (Goodfellow et al. 2014).

A generator :math:`G` maps noise :math:`z \sim \mathcal N(0, I)` to points; a discriminator :math:`D` maps a point
to a logit :math:`s`, :math:`\sigma(s)` being its probability that the point is real. Training alternates one step
of each (:func:`discriminator_step`, :func:`generator_step`) with the losses of
:mod:`dlcourse.functional.adversarial`, and :func:`train_gan` records the losses at every step and
:class:`GANSnapshot` pictures (generated points, the discriminator's probability on a grid) along the way, for
chapter 10's training-dynamics widget. :func:`mode_coverage` measures what the generator learned on a ring of
Gaussians (:func:`dlcourse.data.synthetic.make_gaussian_ring`)::

    run = train_gan(steps=1500, rng=0)
    samples = run.generator(np.random.default_rng(1).standard_normal((2000, run.latent_dim)))
    mode_coverage(samples, ring_centres(), std=0.02)       # (modes covered, fraction of high-quality samples, counts)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import nn, optim
from .._types import Seed
from .._validate import as_float_array, check_choice, check_number, check_positive_int, check_rng
from ..data.synthetic import make_gaussian_ring, ring_centres
from ..functional.activations import sigmoid
from ..functional.adversarial import (
    GeneratorLoss,
    discriminator_loss_backward,
    discriminator_loss_forward,
    generator_loss_backward,
    generator_loss_forward,
)


def make_generator(
    latent_dim: int = 2, hidden: int = 64, depth: int = 2, out_features: int = 2, *, rng: Seed = None
) -> nn.MLP:
    """The generator: an MLP from ``latent_dim`` noise values through ``depth`` ReLU layers of width ``hidden`` to
    ``out_features`` coordinates (no output activation: the points may lie anywhere).

    Shapes: z (N, latent_dim) -> points (N, out_features)."""
    depth = check_positive_int(depth, "depth")
    return nn.MLP(latent_dim, [hidden] * depth, out_features, "relu", rng=rng)


def make_discriminator(in_features: int = 2, hidden: int = 64, depth: int = 2, *, rng: Seed = None) -> nn.MLP:
    """The discriminator: an MLP from a point through ``depth`` ReLU layers of width ``hidden`` to one
    logit (the sigmoid is in the loss). Shapes: x (N, in_features) -> logits (N, 1)."""
    depth = check_positive_int(depth, "depth")
    return nn.MLP(in_features, [hidden] * depth, 1, "relu", rng=rng)


def discriminator_step(discriminator: nn.Module, real: ArrayLike, fake: ArrayLike, optimizer: optim.Optimizer) -> float:
    """One update of the discriminator on a batch of real (m, d) and generated (m', d) points: one forward pass on
    both, the loss :func:`~dlcourse.functional.adversarial.discriminator_loss_forward`, its gradient back through
    the network, one optimizer step. Returns the loss before the step. The generator is not touched: ``fake`` is
    data here."""
    real, fake = as_float_array(real, "real", ndim=2), as_float_array(fake, "fake", ndim=2)
    optimizer.zero_grad()
    logits = discriminator(np.concatenate([real, fake]))[:, 0]  # (m + m',)
    loss, cache = discriminator_loss_forward(logits[: len(real)], logits[len(real) :])
    dreal, dfake = discriminator_loss_backward(1.0, cache)
    discriminator.backward(np.concatenate([dreal, dfake])[:, None])
    optimizer.step()
    return float(loss)


def generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    z: ArrayLike,
    optimizer: optim.Optimizer,
    kind: GeneratorLoss = "non_saturating",
) -> float:
    """One update of the generator: points G(z), their logits under the (fixed) discriminator, the generator's loss
    of ``kind``, its gradient back through D (whose own gradients are discarded) into G, one step of G's optimizer.
    Returns the loss before the step."""
    kind = check_choice(kind, "kind", ("non_saturating", "minimax"))
    optimizer.zero_grad()
    fake = generator(as_float_array(z, "z", ndim=2))
    logits = discriminator(fake)[:, 0]
    loss, cache = generator_loss_forward(logits, kind)
    dfake = discriminator.backward(generator_loss_backward(1.0, cache)[:, None])
    discriminator.zero_grad()  # D only passes the gradient on; its own gradients are not used
    generator.backward(dfake)
    optimizer.step()
    return float(loss)


class GANSnapshot(NamedTuple):
    """The state of a training run after ``step`` steps, as the widget draws it."""

    step: int
    fake: np.ndarray  # (n_points, 2): generated points from fixed noise
    probability: np.ndarray  # (grid, grid): sigmoid(D) on the grid of GANRun.grid_x x GANRun.grid_y


class GANRun(NamedTuple):
    """What :func:`train_gan` returns: the trained networks and the record of training."""

    generator: nn.Module
    discriminator: nn.Module
    latent_dim: int
    d_losses: np.ndarray  # (steps,): the discriminator's loss at each step
    g_losses: np.ndarray  # (steps,): the generator's loss at each step
    snapshots: list[GANSnapshot]  # at step 0 and every snapshot_every steps, and at the end
    grid_x: np.ndarray  # (grid,): the x coordinates of the probability grid
    grid_y: np.ndarray  # (grid,)
    real: np.ndarray  # (n_points, 2): real points drawn once, to draw under the snapshots
    kind: str


def _snapshot(
    step: int, generator: nn.Module, discriminator: nn.Module, z: np.ndarray, grid: np.ndarray
) -> GANSnapshot:
    fake = generator(z)
    n = int(round(np.sqrt(len(grid))))
    probability = sigmoid(discriminator(grid)[:, 0]).reshape(n, n)
    return GANSnapshot(step, fake, probability)


def train_gan(
    steps: int = 1500,
    *,
    batch_size: int = 128,
    latent_dim: int = 2,
    hidden: int = 64,
    depth: int = 2,
    lr_g: float = 1e-3,
    lr_d: float = 1e-3,
    betas: tuple[float, float] = (0.5, 0.999),
    kind: GeneratorLoss = "non_saturating",
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    snapshot_every: int = 100,
    n_points: int = 512,
    grid: int = 60,
    extent: float = 3.0,
    rng: Seed = 0,
    progress: bool = False,
) -> GANRun:
    """Train a GAN from scratch on :func:`~dlcourse.data.synthetic.make_gaussian_ring` data (fresh real points at
    every step), alternating one discriminator and one generator step, both with Adam.

    Returns a :class:`GANRun`: both networks, the losses at every step, and snapshots every ``snapshot_every`` steps
    of ``n_points`` generated points (always from the same noise) and of the discriminator's probability on a
    ``grid`` x ``grid`` grid over [-extent, extent]^2. The same ``rng`` gives the same run.
    """
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    snapshot_every = check_positive_int(snapshot_every, "snapshot_every")
    n_points, grid = check_positive_int(n_points, "n_points"), check_positive_int(grid, "grid")
    extent = check_number(extent, "extent", minimum=0)
    kind = check_choice(kind, "kind", ("non_saturating", "minimax"))
    rng = check_rng(rng)
    generator = make_generator(latent_dim, hidden, depth, rng=rng)
    discriminator = make_discriminator(2, hidden, depth, rng=rng)
    opt_g = optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    grid_x = grid_y = np.linspace(-extent, extent, grid)
    gx, gy = np.meshgrid(grid_x, grid_y)  # rows: y, columns: x
    grid_points = np.c_[gx.ravel(), gy.ravel()]
    fixed_z = rng.standard_normal((n_points, latent_dim))
    real_shown = make_gaussian_ring(n_points, n_modes, radius, std, rng=rng)[0]
    d_losses, g_losses = np.empty(steps), np.empty(steps)
    snapshots = [_snapshot(0, generator, discriminator, fixed_z, grid_points)]
    iterator = range(steps)
    if progress:
        import sys

        from tqdm.std import tqdm  # a text bar: it survives exports and printing, unlike a widget

        iterator = tqdm(iterator, desc=f"GAN ({kind})", unit="step", file=sys.stdout, mininterval=1.0)
    for step in iterator:
        real = make_gaussian_ring(batch_size, n_modes, radius, std, rng=rng)[0]
        fake = generator(rng.standard_normal((batch_size, latent_dim)))
        d_losses[step] = discriminator_step(discriminator, real, fake, opt_d)
        g_losses[step] = generator_step(
            generator, discriminator, rng.standard_normal((batch_size, latent_dim)), opt_g, kind
        )
        if (step + 1) % snapshot_every == 0 or step + 1 == steps:
            snapshots.append(_snapshot(step + 1, generator, discriminator, fixed_z, grid_points))
    return GANRun(generator, discriminator, latent_dim, d_losses, g_losses, snapshots, grid_x, grid_y, real_shown, kind)


class Coverage(NamedTuple):
    """How well samples cover the modes of a mixture (:func:`mode_coverage`)."""

    modes: int  # modes with at least min_count high-quality samples
    high_quality: float  # fraction of samples within n_std standard deviations of some centre
    counts: np.ndarray  # (K,): high-quality samples per mode


def mode_coverage(
    samples: ArrayLike, centres: ArrayLike, std: float, n_std: float = 3.0, min_count: int = 1
) -> Coverage:
    """Mode coverage of 2-D (or d-D) samples on a mixture of isotropic Gaussians with these ``centres`` (K, d):
    a sample is of **high quality** when it lies within ``n_std * std`` of its nearest centre (the measure of
    Srivastava et al. 2017 and Metz et al. 2017), and a mode is **covered** when at least ``min_count`` high-quality
    samples fall on it.

    samples : (N, d);  centres : (K, d)  ->  :class:`Coverage` (modes covered, fraction high quality, counts (K,))
    """
    samples = as_float_array(samples, "samples", ndim=2)
    centres = as_float_array(centres, "centres", ndim=2)
    if samples.shape[1] != centres.shape[1] or len(samples) == 0:
        raise ValueError(
            f"samples: expected (N, {centres.shape[1]}) points with N >= 1, as the centres, got {samples.shape}"
        )
    std = check_number(std, "std", minimum=0)
    n_std = check_number(n_std, "n_std", minimum=0)
    min_count = check_positive_int(min_count, "min_count")
    distance = np.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))  # (N, K)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    return Coverage(int((counts >= min_count).sum()), float(good.mean()), counts)


__all__ = [
    "Coverage",
    "GANRun",
    "GANSnapshot",
    "discriminator_step",
    "generator_step",
    "make_discriminator",
    "make_generator",
    "mode_coverage",
    "ring_centres",
    "train_gan",
]
