r"""Chapter 17: the forward (noising) process and the reverse steps of a diffusion model, in NumPy.

Notation of Ho et al. (2020): betas (T,) as in :mod:`dlcourse.diffusion.schedule`, :math:`\bar\alpha_t` the product
of :math:`1 - \beta_s` up to :math:`t`, steps :math:`t = 1..T` (:math:`t = 0` is the data). Every function accepts
data of any shape ``(N, *)``, the first axis holding the examples.

* forward: :func:`q_step` (one step of :math:`q(x_t \mid x_{t-1})`) and :func:`q_sample` (the closed form
  :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon`);
* what a noise prediction means: :func:`predict_x0` and :func:`score_from_eps`;
* reverse: :func:`ddpm_step` (Ho et al.'s Algorithm 2, one step) and :func:`ddim_step` (Song, Meng and Ermon's
  deterministic step from :math:`t` to any earlier :math:`s`);
* the training objective: :func:`denoising_loss_forward` / :func:`denoising_loss_backward`;
* a reference: :func:`gaussian_mixture_score`, the exact score of a noised Gaussian mixture.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_choice, check_number, check_upstream
from .schedule import alpha_bars, check_betas, check_step, posterior_variances


def _steps(t: ArrayLike, n: int, T: int, name: str = "t", minimum: int = 0) -> np.ndarray:
    """``t`` (an int, or (N,) ints) as an int array of shape (N,) with values from ``minimum`` to ``T``."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu" or arr.ndim > 1:
        raise ValueError(f"{name}: expected an integer or a 1-D array of integers, got {t!r}")
    if arr.ndim == 1 and arr.shape[0] != n:
        raise ValueError(f"{name}: expected one step per example ({n}), got shape {arr.shape}")
    if arr.size and (arr.min() < minimum or arr.max() > T):
        raise ValueError(f"{name}: expected steps from {minimum} to {T}, got values from {arr.min()} to {arr.max()}")
    return np.broadcast_to(arr.astype(np.int64), (n,))


def _column(values: np.ndarray, ndim: int) -> np.ndarray:
    """(N,) -> (N, 1, ..., 1), to broadcast one number per example over data of ``ndim`` dimensions."""
    return values.reshape((-1,) + (1,) * (ndim - 1))


def _data(x: ArrayLike, name: str) -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.ndim < 1:
        raise ValueError(f"{name}: expected an array of shape (N, ...), got a scalar")
    return arr


def _same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_b}: expected the shape of {name_a} {a.shape}, got {b.shape}")


def q_step(x_prev: ArrayLike, t: int, eps: ArrayLike, betas: ArrayLike) -> np.ndarray:
    r"""One forward step, a draw from :math:`q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)`:
    :math:`x_t = \sqrt{1 - \beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon`.

    x_prev (N, *), eps (N, *) standard normal, t from 1 to T -> x_t (N, *).
    """
    b = check_betas(betas)
    x, e = _data(x_prev, "x_prev"), _data(eps, "eps")
    _same_shape(x, e, "x_prev", "eps")
    t = check_step(t, len(b), minimum=1)
    return np.sqrt(1.0 - b[t - 1]) * x + np.sqrt(b[t - 1]) * e


def q_sample(x0: ArrayLike, t: ArrayLike, eps: ArrayLike, betas: ArrayLike) -> np.ndarray:
    r"""The forward process in closed form, a draw from
    :math:`q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0, (1 - \bar\alpha_t) I)`:
    :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon`.

    x0 (N, *) data, t an int or (N,) ints from 0 to T (one step per example), eps (N, *) standard normal
    -> x_t (N, *).
    """
    b = check_betas(betas)
    x, e = _data(x0, "x0"), _data(eps, "eps")
    _same_shape(x, e, "x0", "eps")
    ab = alpha_bars(b)[_steps(t, x.shape[0], len(b))]
    return _column(np.sqrt(ab), x.ndim) * x + _column(np.sqrt(1.0 - ab), x.ndim) * e


def predict_x0(x_t: ArrayLike, t: ArrayLike, eps_hat: ArrayLike, betas: ArrayLike) -> np.ndarray:
    r"""The data a noise prediction points to, :math:`\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon) /
    \sqrt{\bar\alpha_t}` (``q_sample`` solved for :math:`x_0`). x_t, eps_hat (N, *); t an int or (N,) from 0 to T."""
    b = check_betas(betas)
    x, e = _data(x_t, "x_t"), _data(eps_hat, "eps_hat")
    _same_shape(x, e, "x_t", "eps_hat")
    ab = alpha_bars(b)[_steps(t, x.shape[0], len(b))]
    return (x - _column(np.sqrt(1.0 - ab), x.ndim) * e) / _column(np.sqrt(ab), x.ndim)


def score_from_eps(eps_hat: ArrayLike, t: ArrayLike, betas: ArrayLike) -> np.ndarray:
    r"""The score of the noised data a noise prediction stands for:
    :math:`\nabla_x \log p_t(x) \approx -\hat\epsilon / \sqrt{1 - \bar\alpha_t}`.

    eps_hat (N, *); t an int or (N,) from 1 to T (at :math:`t = 0` there is no noise and no score) -> (N, *).
    """
    b = check_betas(betas)
    e = _data(eps_hat, "eps_hat")
    ab = alpha_bars(b)[_steps(t, e.shape[0], len(b), minimum=1)]
    return -e / _column(np.sqrt(1.0 - ab), e.ndim)


def ddpm_step(
    x_t: ArrayLike,
    t: int,
    eps_hat: ArrayLike,
    z: ArrayLike,
    betas: ArrayLike,
    variance: Literal["beta", "posterior"] = "beta",
) -> np.ndarray:
    r"""One reverse step of DDPM (Ho et al. 2020, Algorithm 2), from :math:`x_t` to :math:`x_{t-1}`:

    .. math::
        x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\,\hat\epsilon\Big)
        + \sigma_t z,

    with :math:`\sigma_t^2 = \beta_t` (``variance='beta'``) or the posterior variance
    :math:`\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t` (``'posterior'``); Ho et al. found both
    to work equally well. At :math:`t = 1` no noise is added (the algorithm's :math:`z = 0`): ``z`` is ignored.

    x_t, eps_hat, z (N, *) with z standard normal; t from 1 to T -> x_{t-1} (N, *).
    """
    b = check_betas(betas)
    x, e, noise = _data(x_t, "x_t"), _data(eps_hat, "eps_hat"), _data(z, "z")
    _same_shape(x, e, "x_t", "eps_hat")
    _same_shape(x, noise, "x_t", "z")
    t = check_step(t, len(b), minimum=1)
    variance = check_choice(variance, "variance", ("beta", "posterior"))
    ab = alpha_bars(b)
    beta = b[t - 1]
    mean = (x - beta / np.sqrt(1.0 - ab[t]) * e) / np.sqrt(1.0 - beta)
    if t == 1:
        return mean
    sigma2 = beta if variance == "beta" else posterior_variances(b)[t - 1]
    return mean + np.sqrt(sigma2) * noise


def ddim_step(x_t: ArrayLike, t: int, s: int, eps_hat: ArrayLike, betas: ArrayLike) -> np.ndarray:
    r"""One deterministic DDIM step (Song, Meng and Ermon 2021, :math:`\eta = 0`) from step :math:`t` to an earlier
    step :math:`s`:

    .. math::
        x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1 - \bar\alpha_s}\,\hat\epsilon, \qquad
        \hat x_0 = \frac{x_t - \sqrt{1 - \bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}}:

    the predicted data, noised again to level :math:`s` with the *same* predicted noise. At :math:`s = 0` it returns
    :math:`\hat x_0`.

    x_t, eps_hat (N, *); 0 <= s < t <= T -> x_s (N, *).
    """
    b = check_betas(betas)
    x, e = _data(x_t, "x_t"), _data(eps_hat, "eps_hat")
    _same_shape(x, e, "x_t", "eps_hat")
    t = check_step(t, len(b), minimum=1)
    s = check_step(s, t - 1, "s")
    ab = alpha_bars(b)
    x0 = (x - np.sqrt(1.0 - ab[t]) * e) / np.sqrt(ab[t])
    return np.sqrt(ab[s]) * x0 + np.sqrt(1.0 - ab[s]) * e


class DenoisingCache(NamedTuple):
    """What :func:`denoising_loss_backward` needs: the difference eps_hat - eps."""

    diff: np.ndarray


def denoising_loss_forward(eps_hat: ArrayLike, eps: ArrayLike) -> tuple[float, DenoisingCache]:
    r"""Ho et al.'s simple loss :math:`L = \operatorname{mean}\,(\hat\epsilon - \epsilon)^2` over every entry (as
    ``torch.nn.functional.mse_loss``). eps_hat, eps (N, *) -> (loss, cache)."""
    e_hat, e = _data(eps_hat, "eps_hat"), _data(eps, "eps")
    _same_shape(e_hat, e, "eps_hat", "eps")
    diff = e_hat - e
    return float(np.mean(diff**2)), DenoisingCache(diff)


def denoising_loss_backward(dout: ArrayLike, cache: DenoisingCache) -> np.ndarray:
    r""":math:`\partial L / \partial \hat\epsilon = 2 (\hat\epsilon - \epsilon) / n` times ``dout`` (a number), n the
    number of entries. Returns (N, *)."""
    cache = check_cache(cache, DenoisingCache, "denoising_loss_forward")
    g = float(check_upstream(dout, "dout", (), np.float64, "the loss's"))
    return g * 2.0 * cache.diff / cache.diff.size


def gaussian_mixture_score(
    x: ArrayLike, means: ArrayLike, std: float, weights: ArrayLike | None = None, alpha_bar: float = 1.0
) -> np.ndarray:
    r"""The exact score :math:`\nabla_x \log p_t(x)` of a Gaussian mixture noised by the forward process.

    The data is :math:`\sum_k w_k \mathcal N(\mu_k, s^2 I)`; :math:`x_t = \sqrt{\bar\alpha}\,x_0 +
    \sqrt{1-\bar\alpha}\,\epsilon` is again a mixture, of :math:`\mathcal N(\sqrt{\bar\alpha}\,\mu_k, v I)` with
    :math:`v = \bar\alpha s^2 + 1 - \bar\alpha`, so

    .. math::
        \nabla_x \log p_t(x) = \sum_k r_k(x)\,\frac{\sqrt{\bar\alpha}\,\mu_k - x}{v}, \qquad
        r_k(x) = \operatorname{softmax}_k\Big(\log w_k - \frac{\lVert x - \sqrt{\bar\alpha}\,\mu_k\rVert^2}{2v}\Big).

    x (N, D), means (K, D), std > 0, weights (K,) summing to 1 (equal by default), alpha_bar in (0, 1] -> (N, D).
    """
    x = as_float_array(x, "x", ndim=2)
    mu = as_float_array(means, "means", ndim=2)
    if mu.shape[1] != x.shape[1]:
        raise ValueError(f"means: expected shape (K, {x.shape[1]}) to match x, got {mu.shape}")
    std = check_number(std, "std", minimum=0.0)
    if std == 0.0:
        raise ValueError("std: expected a positive number, got 0.0")
    alpha_bar = check_number(alpha_bar, "alpha_bar", minimum=0.0, maximum=1.0)
    w = np.full(len(mu), 1.0 / len(mu)) if weights is None else as_float_array(weights, "weights", ndim=1)
    if w.shape != (len(mu),) or np.any(w <= 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights: expected {len(mu)} positive numbers summing to 1, got {w!r}")
    centres = np.sqrt(alpha_bar) * mu  # (K, D)
    v = alpha_bar * std**2 + 1.0 - alpha_bar
    diff = centres[None, :, :] - x[:, None, :]  # (N, K, D)
    logits = np.log(w)[None, :] - (diff**2).sum(-1) / (2 * v)  # (N, K)
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)
    return np.einsum("nk,nkd->nd", r, diff) / v
