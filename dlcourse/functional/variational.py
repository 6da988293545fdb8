r"""Chapter 09: the two pieces a variational autoencoder adds to an autoencoder, as forward/backward pairs.

**The reparameterisation trick.** The encoder outputs a mean :math:`\mu` and a log-variance
:math:`\log\sigma^2` per latent dimension; a code is drawn as

.. math::
    z = \mu + \sigma \odot \varepsilon, \qquad \sigma = e^{\frac{1}{2}\log\sigma^2}, \qquad
    \varepsilon \sim \mathcal{N}(0, I),

so the randomness sits in :math:`\varepsilon`, an input, and the gradients reach :math:`\mu` and
:math:`\log\sigma^2`: :math:`\partial z/\partial\mu = 1` and
:math:`\partial z/\partial\log\sigma^2 = \tfrac{1}{2}\sigma\varepsilon` (Kingma & Welling 2014).

**The Gaussian KL term.** Between the encoder's :math:`q(z\mid x) = \mathcal{N}(\mu, \operatorname{diag}\sigma^2)`
and the prior :math:`\mathcal{N}(0, I)`, in closed form, per example (summed over the d latent dimensions):

.. math::
    D_{\mathrm{KL}} = -\frac{1}{2}\sum_{j=1}^{d}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right), \qquad
    \frac{\partial D_{\mathrm{KL}}}{\partial \mu_j} = \mu_j, \qquad
    \frac{\partial D_{\mathrm{KL}}}{\partial \log\sigma_j^2} = \frac{1}{2}\left(\sigma_j^2 - 1\right).

Shapes: ``mu``, ``logvar`` and ``eps`` are (N, d); the KL is (N,) per example, then reduced over the batch
('mean', as a VAE's loss averages over examples, 'sum', or 'none').
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Reduction
from .._validate import as_float_array, check_cache, check_choice, check_upstream

_REDUCTIONS = ("mean", "sum", "none")


def _pair(mu: ArrayLike, logvar: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    mu, logvar = as_float_array(mu, "mu", ndim=2), as_float_array(logvar, "logvar", ndim=2)
    if logvar.shape != mu.shape:
        raise ValueError(f"logvar: expected the shape of mu {mu.shape} (N, d), got {logvar.shape}")
    return mu, logvar


class ReparameterizeCache(NamedTuple):
    """What :func:`reparameterize_backward` needs: sigma * eps, the noise's part of z."""

    sigma_eps: np.ndarray  # (N, d)


def reparameterize_forward(mu: ArrayLike, logvar: ArrayLike, eps: ArrayLike) -> tuple[np.ndarray, ReparameterizeCache]:
    """z = mu + exp(logvar / 2) * eps; returns ``(z, cache)``.

    mu, logvar, eps : (N, d), eps drawn from N(0, 1) by the caller  ->  z : (N, d)
    """
    mu, logvar = _pair(mu, logvar)
    eps = as_float_array(eps, "eps", ndim=2)
    if eps.shape != mu.shape:
        raise ValueError(f"eps: expected the shape of mu {mu.shape} (N, d), got {eps.shape}")
    sigma_eps = np.exp(0.5 * logvar) * eps
    return mu + sigma_eps, ReparameterizeCache(sigma_eps)


def reparameterize(mu: ArrayLike, logvar: ArrayLike, eps: ArrayLike) -> np.ndarray:
    """z = mu + exp(logvar / 2) * eps, output only: (N, d)."""
    return reparameterize_forward(mu, logvar, eps)[0]


def reparameterize_backward(dz: ArrayLike, cache: ReparameterizeCache) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`reparameterize_forward`: ``dmu = dz`` and ``dlogvar = dz * sigma * eps / 2`` (N, d) each.

    (eps is random noise, not learned: its gradient is not returned.)
    """
    cache = check_cache(cache, ReparameterizeCache, "reparameterize_forward")
    dz = check_upstream(dz, "dz", cache.sigma_eps.shape, cache.sigma_eps.dtype)
    return dz.copy(), 0.5 * dz * cache.sigma_eps


class GaussianKLCache(NamedTuple):
    """What :func:`gaussian_kl_backward` needs."""

    mu: np.ndarray  # (N, d)
    logvar: np.ndarray  # (N, d)
    reduction: Reduction


def gaussian_kl_forward(
    mu: ArrayLike, logvar: ArrayLike, reduction: Reduction = "mean"
) -> tuple[np.floating | np.ndarray, GaussianKLCache]:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example, summed over the latent dimensions, then reduced.

    mu, logvar : (N, d)  ->  a scalar ('mean' over the N examples, or 'sum'), or (N,) with reduction 'none'
    """
    check_choice(reduction, "reduction", _REDUCTIONS)
    mu, logvar = _pair(mu, logvar)
    per_example = -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)  # (N,)
    if reduction == "mean":
        out = per_example.mean() if len(per_example) else per_example.dtype.type(np.nan)
    else:
        out = per_example.sum() if reduction == "sum" else per_example
    return out, GaussianKLCache(mu, logvar, reduction)


def gaussian_kl(mu: ArrayLike, logvar: ArrayLike, reduction: Reduction = "mean") -> np.floating | np.ndarray:
    """The Gaussian KL term, output only (see :func:`gaussian_kl_forward`)."""
    return gaussian_kl_forward(mu, logvar, reduction)[0]


def gaussian_kl_backward(dloss: ArrayLike | None, cache: GaussianKLCache) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`gaussian_kl_forward`: ``dmu = mu * g`` and ``dlogvar = (exp(logvar) - 1) / 2 * g``,
    where g is dloss spread over the examples (divided by N for 'mean'; per example for 'none').

    dloss : a scalar (None: 1.0), or (N,) with reduction 'none'  ->  dmu, dlogvar : (N, d)
    """
    cache = check_cache(cache, GaussianKLCache, "gaussian_kl_forward")
    N = cache.mu.shape[0]
    if cache.reduction == "none":
        g = check_upstream(dloss, "dloss", (N,), cache.mu.dtype, "the per-example KL's with reduction='none'")
    else:
        g = check_upstream(1.0 if dloss is None else dloss, "dloss", (), cache.mu.dtype, "a scalar")
        g = np.full(N, g / N if cache.reduction == "mean" and N else g, dtype=cache.mu.dtype)
    g = g[:, None]  # (N, 1): one factor per example
    return cache.mu * g, 0.5 * (np.exp(cache.logvar) - 1.0) * g
