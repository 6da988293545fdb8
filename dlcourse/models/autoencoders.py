r"""Chapter 09: whole autoencoders built from :mod:`dlcourse.nn`, their training loop, corruptions for denoising,
and a variational autoencoder.

An autoencoder is ``nn.Sequential(encoder, decoder)``: the encoder maps an input to a code, the decoder maps the
code back, and training lowers the mean squared error between the reconstruction and the input
(:func:`fit_autoencoder`). The builders:

- :func:`dense_autoencoder`: flat inputs (N, D) -> code (N, k) -> (N, D), sigmoid output for pixels in [0, 1];
- :func:`linear_autoencoder`: one Linear layer each way, no activation: it learns PCA's subspace;
- :func:`conv_autoencoder`: 8x8 images (N, 1, 8, 8): Conv2d/MaxPool2d down, Linear to the code, then Linear,
  :class:`Unflatten`, ConvTranspose2d and Upsample back up;
- :func:`seed_autoencoder`: the convolutional autoencoder of source 000 §4.4, repaired, for 28x28 images.

:func:`to_torch_autoencoder` makes any of them a ``torch.nn`` module with the same weights (the state dicts' names
match). :func:`mask_noise` and :func:`gaussian_noise` corrupt inputs for a denoising autoencoder.
:class:`VAE` is a variational autoencoder (Kingma & Welling 2014) whose loss is the negative ELBO: a Bernoulli
reconstruction term (binary cross-entropy from logits, summed over pixels) plus the Gaussian KL term, both averaged
over the batch.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy, interop, nn
from .. import functional as F
from .._types import Seed
from .._validate import (
    as_float_array,
    check_fraction,
    check_number,
    check_positive_int,
    check_rng,
    check_upstream,
)
from ..data.batching import iterate_minibatches
from ..optim import Adam, Optimizer

if TYPE_CHECKING:
    import torch


class Unflatten(nn.Module):
    """``torch.nn.Unflatten(1, shape)``: (N, prod(shape)) -> (N, *shape), Keras's ``Reshape(shape)`` (channels
    first). A size that does not fit raises a ValueError saying how many values came and how many the shape needs.
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        if dim != 1:
            raise ValueError(f"dim: expected 1 (the dimension after the batch), got {dim!r}")
        self.dim = 1
        self.unflattened_size = tuple(check_positive_int(s, "unflattened_size") for s in unflattened_size)

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = as_float_array(x, "x", ndim=2)
        need = math.prod(self.unflattened_size)
        if x.shape[1] != need:
            raise ValueError(
                f"x: expected {need} values per example to reshape to {self.unflattened_size}, got shape {x.shape}"
            )
        self._cache = (x.shape, x.dtype)
        return x.reshape(x.shape[0], *self.unflattened_size)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout reshaped back to (N, prod(shape)); only shapes were saved, so a second backward pass is fine."""
        x_shape, dtype = self._saved()
        dout = check_upstream(dout, "dout", (x_shape[0], *self.unflattened_size), dtype)
        return dout.reshape(x_shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


# ------------------------------------------------------------------------------------------------ builders
def dense_autoencoder(n_features: int = 64, hidden: int = 32, code_size: int = 8, *, rng: Seed = 0) -> nn.Sequential:
    """``Sequential(encoder, decoder)``: Linear-ReLU-Linear to a code of ``code_size``, and back with a sigmoid
    output. (N, n_features) -> (N, code_size) -> (N, n_features)."""
    rng = check_rng(rng)
    encoder = nn.Sequential(nn.Linear(n_features, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, code_size, rng=rng))
    decoder = nn.Sequential(
        nn.Linear(code_size, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, n_features, rng=rng), nn.Sigmoid()
    )
    return nn.Sequential(encoder, decoder)


def linear_autoencoder(n_features: int, code_size: int, *, rng: Seed = 0) -> nn.Sequential:
    """``Sequential(Sequential(Linear(D, k)), Sequential(Linear(k, D)))``: no activation, so the reconstruction is
    ``W_dec (W_enc x + b_enc) + b_dec``, a rank-k affine map."""
    rng = check_rng(rng)
    return nn.Sequential(
        nn.Sequential(nn.Linear(n_features, code_size, rng=rng)),
        nn.Sequential(nn.Linear(code_size, n_features, rng=rng)),
    )


def conv_autoencoder(code_size: int = 8, channels: tuple[int, int] = (8, 16), *, rng: Seed = 0) -> nn.Sequential:
    """A convolutional autoencoder for 8x8 images, (N, 1, 8, 8) -> (N, code_size) -> (N, 1, 8, 8).

    Encoder: Conv2d(1, c1, 3, padding=1), ReLU, MaxPool2d(2) -> (c1, 4, 4); Conv2d(c1, c2, 3, padding=1), ReLU,
    MaxPool2d(2) -> (c2, 2, 2); Flatten, Linear(4·c2, code_size).
    Decoder: Linear(code_size, 4·c2), ReLU, Unflatten -> (c2, 2, 2); ConvTranspose2d(c2, c1, 3, stride=2, padding=1,
    output_padding=1) -> (c1, 4, 4), ReLU; Upsample(2) -> (c1, 8, 8); Conv2d(c1, 1, 3, padding=1), Sigmoid.
    """
    rng = check_rng(rng)
    c1, c2 = (check_positive_int(c, "channels") for c in channels)
    encoder = nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * c2, code_size, rng=rng),
    )
    decoder = nn.Sequential(
        nn.Linear(code_size, 4 * c2, rng=rng),
        nn.ReLU(),
        Unflatten(1, (c2, 2, 2)),
        nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1, rng=rng),
        nn.ReLU(),
        nn.Upsample(scale_factor=2),
        nn.Conv2d(c1, 1, 3, padding=1, rng=rng),
        nn.Sigmoid(),
    )
    return nn.Sequential(encoder, decoder)


def seed_autoencoder(code_size: int = 8, *, rng: Seed = 0) -> nn.Sequential:
    """Source 000 §4.4's convolutional autoencoder for (N, 1, 28, 28), repaired, in PyTorch's layout.

    Encoder (as the source): Conv2d(1, 32, 3), ReLU, MaxPool2d(2), Conv2d(32, 64, 3), ReLU, MaxPool2d(2),
    Conv2d(64, 64, 3), ReLU -> (64, 3, 3); added: Flatten, Linear(576, code_size), the code the decoder reads.
    Decoder: Linear(code_size, 49) (added), Unflatten -> (1, 7, 7) (the source's Reshape), ConvTranspose2d(1, 64, 3,
    padding=1) (stride 1, 'same'), ReLU -> (64, 7, 7); Upsample(2) -> (64, 14, 14); ConvTranspose2d(64, 32, 3,
    stride=2, padding=1, output_padding=1) ('same' with stride 2), ReLU -> (32, 28, 28); ConvTranspose2d(32, 1, 3,
    padding=1) -> (1, 28, 28) (stride 1, no second UpSampling: the source's decoder grew to 112x112), Sigmoid.
    """
    rng = check_rng(rng)
    encoder = nn.Sequential(
        nn.Conv2d(1, 32, 3, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, rng=rng),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(576, code_size, rng=rng),
    )
    decoder = nn.Sequential(
        nn.Linear(code_size, 49, rng=rng),
        Unflatten(1, (1, 7, 7)),
        nn.ConvTranspose2d(1, 64, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.Upsample(scale_factor=2),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1, rng=rng),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, padding=1, rng=rng),
        nn.Sigmoid(),
    )
    return nn.Sequential(encoder, decoder)


def to_torch_autoencoder(model: nn.Module) -> torch.nn.Module:
    """A float64 ``torch.nn`` module with ``model``'s weights: what :func:`dlcourse.interop.to_torch` converts,
    plus ``ConvTranspose2d``, ``Upsample`` and :class:`Unflatten` (nested Sequentials keep their names, so the
    state dicts' keys match)."""
    torch = _lazy.torch("to_torch_autoencoder")
    tnn = torch.nn
    if isinstance(model, nn.Sequential):
        return tnn.Sequential(*(to_torch_autoencoder(child) for child in model)).train(model.training)
    if isinstance(model, nn.ConvTranspose2d):
        out = tnn.ConvTranspose2d(
            model.in_channels,
            model.out_channels,
            model.kernel_size,
            stride=model.stride,
            padding=model.padding,
            output_padding=model.output_padding,
            bias="bias" in model.params,
            dtype=torch.float64,
        )
        with torch.no_grad():
            for name, value in model.params.items():
                getattr(out, name).copy_(torch.from_numpy(value.copy()))
        return out
    if isinstance(model, nn.Upsample):
        return tnn.Upsample(scale_factor=model.scale_factor, mode="nearest")
    if isinstance(model, Unflatten):
        return tnn.Unflatten(model.dim, model.unflattened_size)
    return interop.to_torch(model)


# ------------------------------------------------------------------------------------------------ corruption
def mask_noise(x: ArrayLike, p: float, rng: Seed) -> np.ndarray:
    """Masking noise: every entry of ``x`` is set to 0 where ``u < p``, ``u = rng.random(x.shape)`` (one draw);
    the others are kept as they are (no rescaling, unlike dropout). Returns a new array of x's shape and dtype."""
    x = as_float_array(x, "x")
    p = check_fraction(p, "p", closed=True)
    u = check_rng(rng).random(x.shape)
    return np.where(u < p, 0.0, x).astype(x.dtype, copy=False)


def gaussian_noise(x: ArrayLike, sigma: float, rng: Seed, *, clip: bool = True) -> np.ndarray:
    """Additive Gaussian noise ``x + sigma * rng.standard_normal(x.shape)``, clipped to [0, 1] by default (pixels)."""
    x = as_float_array(x, "x")
    sigma = check_number(sigma, "sigma", minimum=0.0)
    noisy = x + sigma * check_rng(rng).standard_normal(x.shape)
    return np.clip(noisy, 0.0, 1.0) if clip else noisy


# ------------------------------------------------------------------------------------------------ training
def reconstruction_error(model: nn.Module, X: ArrayLike, X_in: ArrayLike | None = None) -> float:
    """Mean squared error per value between ``model(X_in)`` (default: X) and X, in eval mode."""
    X = as_float_array(X, "X")
    was = model.training
    model.eval()
    out = model(X if X_in is None else as_float_array(X_in, "X_in"))
    model.train(was)
    return float(np.mean((out - X) ** 2))


def fit_autoencoder(
    model: nn.Module,
    X: ArrayLike,
    *,
    epochs: int,
    batch_size: int = 64,
    optimizer: Optimizer | None = None,
    rng: Seed = 0,
    corrupt: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    validation_data: ArrayLike | None = None,
    progress: bool = False,
) -> dict[str, list[float]]:
    """Train ``model`` to reconstruct X with ``nn.MSELoss``: each step, ``loss = mse(model(x_in), x)`` where x_in is
    the batch, or ``corrupt(x, rng)`` for a denoising autoencoder (the target stays the clean x).

    optimizer defaults to ``Adam(model.parameters(), lr=1e-3)`` (the source compiles with ``optimizer='adam'``).
    Returns ``{'loss': [mean training loss per epoch], 'val_loss': [...] with validation_data}`` (the validation
    loss on clean inputs).
    """
    X = as_float_array(X, "X")
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng)
    optimizer = Adam(model.parameters(), lr=1e-3) if optimizer is None else optimizer
    loss_fn = nn.MSELoss()
    history: dict[str, list[float]] = {"loss": []}
    if validation_data is not None:
        history["val_loss"] = []
    bar = None
    if progress:
        from tqdm.std import tqdm  # a text bar: it survives exports and printing

        bar = tqdm(total=epochs, desc="training", unit="epoch", file=sys.stdout, mininterval=0.2)
    model.train()
    for _ in range(epochs):
        total, count = 0.0, 0
        for xb, _ in iterate_minibatches(X, X, batch_size, rng=rng):
            x_in = xb if corrupt is None else corrupt(xb, rng)
            optimizer.zero_grad()
            loss = loss_fn(model(x_in), xb)
            model.backward(loss_fn.backward())
            optimizer.step()
            total, count = total + float(loss) * len(xb), count + len(xb)
        history["loss"].append(total / count)
        if validation_data is not None:
            history["val_loss"].append(reconstruction_error(model, validation_data))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
    if bar is not None:
        bar.close()
    return history


# ------------------------------------------------------------------------------------------------ VAE
class VAELoss(NamedTuple):
    """The negative ELBO of a batch and its two terms, each averaged over the examples."""

    loss: float  # recon + kl
    recon: float  # binary cross-entropy summed over the pixels
    kl: float  # KL(q(z|x) || N(0, I)) summed over the latent dimensions


class VAE(nn.Module):
    """A variational autoencoder on flat inputs (N, D) with values in [0, 1] and a latent of ``latent`` dimensions.

    ``encoder``: Linear(D, hidden), ReLU, Linear(hidden, 2·latent) -> [mu | logvar];
    ``decoder``: Linear(latent, hidden), ReLU, Linear(hidden, D) -> pixel logits.
    :meth:`loss_and_backward` computes the negative ELBO for noise ``eps`` (N, latent) and fills every gradient.
    """

    def __init__(self, n_features: int = 64, hidden: int = 64, latent: int = 2, *, rng: Seed = 0) -> None:
        super().__init__()
        rng = check_rng(rng)
        self.latent = check_positive_int(latent, "latent")
        self.encoder = nn.Sequential(
            nn.Linear(n_features, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, 2 * latent, rng=rng)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden, rng=rng), nn.ReLU(), nn.Linear(hidden, n_features, rng=rng)
        )
        self._modules = {"encoder": self.encoder, "decoder": self.decoder}

    def encode(self, x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar), (N, latent) each."""
        h = self.encoder(as_float_array(x, "x", ndim=2))
        return h[:, : self.latent], h[:, self.latent :]

    def decode(self, z: ArrayLike) -> np.ndarray:
        """Pixel probabilities sigmoid(decoder(z)): (N, latent) -> (N, D)."""
        return F.sigmoid(self.decoder(as_float_array(z, "z", ndim=2)))

    def forward(self, x: ArrayLike) -> np.ndarray:
        """The reconstruction from the mean code (no noise): (N, D) probabilities."""
        return self.decode(self.encode(x)[0])

    def loss_and_backward(self, x: ArrayLike, eps: ArrayLike) -> VAELoss:
        """Negative ELBO of the batch x (N, D) with noise eps (N, latent); gradients added to ``grads``."""
        x = as_float_array(x, "x", ndim=2)
        N = x.shape[0]
        mu, logvar = self.encode(x)
        z, z_cache = F.reparameterize_forward(mu, logvar, eps)
        logits = self.decoder(z)  # (N, D)
        recon = float(np.sum(np.logaddexp(0.0, logits) - x * logits) / N)
        kl, kl_cache = F.gaussian_kl_forward(mu, logvar, "mean")
        dlogits = (F.sigmoid(logits) - x) / N
        dz = self.decoder.backward(dlogits)
        dmu, dlogvar = F.reparameterize_backward(dz, z_cache)
        dmu_kl, dlogvar_kl = F.gaussian_kl_backward(1.0, kl_cache)
        self.encoder.backward(np.concatenate([dmu + dmu_kl, dlogvar + dlogvar_kl], axis=1))
        return VAELoss(recon + float(kl), recon, float(kl))


def vae_loss_torch(model: VAE, x: ArrayLike, eps: ArrayLike) -> tuple[torch.Tensor, torch.nn.Module]:
    """The same negative ELBO computed by PyTorch (float64, torch.distributions for the KL) on a copy of the
    model's weights: returns ``(loss, twin)`` where ``twin`` holds 'encoder' and 'decoder' with their gradients
    after ``loss.backward()``."""
    torch = _lazy.torch("vae_loss_torch")
    twin = torch.nn.ModuleDict({"encoder": interop.to_torch(model.encoder), "decoder": interop.to_torch(model.decoder)})
    xt = torch.from_numpy(as_float_array(x, "x", ndim=2).astype(np.float64))
    et = torch.from_numpy(as_float_array(eps, "eps", ndim=2).astype(np.float64))
    h = twin["encoder"](xt)
    mu, logvar = h[:, : model.latent], h[:, model.latent :]
    std = torch.exp(0.5 * logvar)
    logits = twin["decoder"](mu + std * et)
    recon = torch.nn.functional.binary_cross_entropy_with_logits(logits, xt, reduction="sum") / len(xt)
    q = torch.distributions.Normal(mu, std)
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(std))
    kl = torch.distributions.kl_divergence(q, prior).sum(dim=1).mean()
    loss = recon + kl
    loss.backward()
    return loss, twin


def fit_vae(
    model: VAE,
    X: ArrayLike,
    *,
    epochs: int,
    batch_size: int = 64,
    optimizer: Optimizer | None = None,
    rng: Seed = 0,
    progress: bool = False,
) -> dict[str, list[float]]:
    """Train a :class:`VAE` on X (N, D); noise eps drawn from ``rng`` each step. Returns the per-epoch means of
    ``'loss'`` (the negative ELBO), ``'recon'`` and ``'kl'``."""
    X = as_float_array(X, "X", ndim=2)
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng)
    optimizer = Adam(model.parameters(), lr=1e-3) if optimizer is None else optimizer
    history: dict[str, list[float]] = {"loss": [], "recon": [], "kl": []}
    epochs_iter = range(epochs)
    if progress:
        from tqdm.std import tqdm  # a text bar: it survives exports and printing

        epochs_iter = tqdm(epochs_iter, desc="training", unit="epoch", file=sys.stdout, mininterval=0.2)
    for _ in epochs_iter:
        sums, count = np.zeros(3), 0
        for xb, _ in iterate_minibatches(X, X, batch_size, rng=rng):
            optimizer.zero_grad()
            parts = model.loss_and_backward(xb, rng.standard_normal((len(xb), model.latent)))
            optimizer.step()
            sums, count = sums + np.array(parts[:3]) * len(xb), count + len(xb)
        for key, value in zip(("loss", "recon", "kl"), sums / count):
            history[key].append(float(value))
    return history
