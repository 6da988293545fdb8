r"""Chapter 17: the noise-predicting network of a diffusion model on points, from scratch in NumPy.

:math:`\epsilon_\theta(x_t, t)` must know how noisy its input is, so it reads the step :math:`t` too, as a
**sinusoidal time embedding** (:func:`time_embedding`, the Transformer's positional encoding of Vaswani et al.
2017 with the step as the position, as Ho et al. 2020 do). :class:`NoiseMLP` concatenates the point and the
embedding and passes them through an :class:`~dlcourse.nn.MLP`; :func:`train_denoiser` trains it on the denoising
loss with Adam::

    model = NoiseMLP(2, hidden=(128, 128), embed_dim=16, rng=0)
    losses = train_denoiser(model, points, linear_betas(100), steps=3000, rng=0)
    eps_hat = model(x_t, t)                  # x_t (N, 2), t (N,) steps from 1 to T
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import nn, optim
from .._types import Seed
from .._validate import as_float_array, check_bool, check_number, check_positive_int, check_rng
from .process import denoising_loss_backward, denoising_loss_forward, q_sample
from .schedule import check_betas


def time_embedding(t: ArrayLike, dim: int, max_period: float = 10000.0) -> np.ndarray:
    r"""Sinusoidal features of the steps: for :math:`k = 0, \dots, d/2 - 1` with frequency
    :math:`\omega_k = \text{max\_period}^{-k / (d/2)}`, the row of step :math:`t` is
    :math:`[\cos(\omega_0 t), \dots, \cos(\omega_{d/2-1} t), \sin(\omega_0 t), \dots, \sin(\omega_{d/2-1} t)]`.

    t (N,) steps (ints or floats), dim even -> (N, dim) float64.
    """
    dim = check_positive_int(dim, "dim")
    if dim % 2:
        raise ValueError(f"dim: expected an even number, got {dim}")
    steps = as_float_array(t, "t", ndim=1).astype(np.float64)
    max_period = check_number(max_period, "max_period", minimum=1.0)
    half = dim // 2
    freqs = np.exp(-np.log(max_period) * np.arange(half) / half)
    args = steps[:, None] * freqs[None, :]
    return np.concatenate([np.cos(args), np.sin(args)], axis=1)


class NoiseMLP(nn.Module):
    r""":math:`\epsilon_\theta(x, t)`: an MLP of ``[x, time_embedding(t)]``, predicting the noise, shape of ``x``.

    ``self.mlp`` is ``nn.MLP(dim + embed_dim, hidden, dim, activation)``; its parameters are this module's (named
    ``mlp.0.weight``, ...); ``max_period`` is the time embedding's. Shapes: x (N, dim), t (N,) -> (N, dim).
    ``backward(dout)`` returns dL/dx.
    """

    def __init__(
        self,
        dim: int = 2,
        hidden: Sequence[int] = (128, 128),
        embed_dim: int = 16,
        activation: str = "relu",
        max_period: float = 10000.0,
        *,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.max_period = check_number(max_period, "max_period", minimum=1.0)
        self.dim = check_positive_int(dim, "dim")
        self.embed_dim = check_positive_int(embed_dim, "embed_dim")
        if self.embed_dim % 2:
            raise ValueError(f"embed_dim: expected an even number, got {embed_dim}")
        self.mlp = nn.MLP(self.dim + self.embed_dim, list(hidden), self.dim, activation, rng=rng)
        self._modules["mlp"] = self.mlp

    def forward(self, x: ArrayLike, t: ArrayLike) -> np.ndarray:
        x = as_float_array(x, "x", ndim=2)
        if x.shape[1] != self.dim:
            raise ValueError(f"x: expected shape (N, {self.dim}), got {x.shape}")
        steps = np.broadcast_to(np.asarray(t), (x.shape[0],))
        return self.mlp(np.concatenate([x, time_embedding(steps, self.embed_dim, self.max_period)], axis=1))

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self.mlp.backward(dout)[:, : self.dim]

    def extra_repr(self) -> str:
        return f"dim={self.dim}, embed_dim={self.embed_dim}"


def train_denoiser(
    model: NoiseMLP,
    data: ArrayLike,
    betas: ArrayLike,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 2e-3,
    *,
    rng: Seed = None,
    progress: bool = False,
) -> np.ndarray:
    r"""Train ``model`` on the denoising objective (Ho et al. 2020, Algorithm 1), with Adam.

    Each step draws a batch of data :math:`x_0`, steps :math:`t` uniform in :math:`1..T` and noise
    :math:`\epsilon`, makes :math:`x_t` with :func:`~dlcourse.diffusion.process.q_sample` and takes one gradient step on
    :math:`\operatorname{mean}(\epsilon_\theta(x_t, t) - \epsilon)^2`. The learning rate falls linearly to 0.

    data (n, dim); returns the loss of every step, shape (steps,).
    """
    X = as_float_array(data, "data", ndim=2)
    b = check_betas(betas)
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_number(lr, "lr", minimum=0.0)
    rng = check_rng(rng, needed_for="training")
    progress = check_bool(progress, "progress")
    opt = optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    iterator = range(steps)
    if progress:
        from tqdm.std import tqdm  # a text bar: it survives exports and printing, unlike a widget

        iterator = tqdm(iterator, desc="denoiser", unit="step", file=sys.stdout, mininterval=1.0)
    for i in iterator:
        x0 = X[rng.integers(0, len(X), batch_size)]
        t = rng.integers(1, len(b) + 1, batch_size)
        eps = rng.standard_normal(x0.shape)
        x_t = q_sample(x0, t, eps, b)
        model.zero_grad()
        losses[i], cache = denoising_loss_forward(model(x_t, t), eps)
        model.backward(denoising_loss_backward(1.0, cache))
        for group in opt.param_groups:
            group["lr"] = lr * (1.0 - i / steps)
        opt.step()
    return losses
