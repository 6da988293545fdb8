r"""Chapter 17: drawing samples from a trained diffusion model, DDPM's ancestral sampler and DDIM's.

Both take the noise predictor as a function ``eps_fn(x, t)`` (x (N, *) at step t, t (N,) ints -> the predicted noise,
shape of x), so a NumPy model and a PyTorch one (wrapped to take and return NumPy arrays) sample the same way::

    result = ddpm_sample(model, rng.standard_normal((500, 2)), betas, rng=1, keep=True)
    result.x0               # (500, 2) the samples
    result.trajectory       # (T + 1, 500, 2): x_T, x_{T-1}, ..., x_0
    ddim_sample(model, x_T, betas, n_steps=10).x0
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_bool, check_choice, check_int, check_rng
from .process import ddim_step, ddpm_step, predict_x0
from .schedule import check_betas

EpsFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


class SampleResult(NamedTuple):
    """Samples and, with ``keep=True``, the whole reverse trajectory.

    x0 (N, *): the samples; steps (S + 1,): the steps visited, T first and 0 last; trajectory (S + 1, N, *) the
    states at those steps and predicted_x0 (S, N, *) the data each step's noise prediction pointed to (both None
    without ``keep``).
    """

    x0: np.ndarray
    steps: np.ndarray
    trajectory: np.ndarray | None
    predicted_x0: np.ndarray | None


def _predict(eps_fn: EpsFn, x: np.ndarray, t: int) -> np.ndarray:
    eps = np.asarray(eps_fn(x, np.full(x.shape[0], t, dtype=np.int64)), dtype=np.float64)
    if eps.shape != x.shape:
        raise ValueError(f"eps_fn: expected a prediction of shape {x.shape}, got {eps.shape}")
    return eps


def ddpm_sample(
    eps_fn: EpsFn,
    x_T: ArrayLike,
    betas: ArrayLike,
    *,
    rng: Seed = None,
    variance: Literal["beta", "posterior"] = "beta",
    keep: bool = False,
    progress: bool = False,
) -> SampleResult:
    r"""Ho et al.'s Algorithm 2: from :math:`x_T` (standard normal noise, shape (N, *)) take :math:`T` steps of
    :func:`~dlcourse.diffusion.process.ddpm_step`, each with fresh noise :math:`z` from ``rng``."""
    b = check_betas(betas)
    x = as_float_array(x_T, "x_T").astype(np.float64)
    rng = check_rng(rng, needed_for="DDPM sampling")
    variance = check_choice(variance, "variance", ("beta", "posterior"))
    keep, progress = check_bool(keep, "keep"), check_bool(progress, "progress")
    T = len(b)
    trajectory, predicted = ([x], []) if keep else (None, None)
    iterator = range(T, 0, -1)
    if progress:
        from tqdm.std import tqdm  # a text bar: it survives exports and printing, unlike a widget

        iterator = tqdm(iterator, desc="DDPM sampling", unit="step", file=sys.stdout, mininterval=1.0)
    for t in iterator:
        eps = _predict(eps_fn, x, t)
        if keep:
            predicted.append(predict_x0(x, t, eps, b))
        x = ddpm_step(x, t, eps, rng.standard_normal(x.shape), b, variance)
        if keep:
            trajectory.append(x)
    steps = np.arange(T, -1, -1)
    if keep:
        return SampleResult(x, steps, np.stack(trajectory), np.stack(predicted))
    return SampleResult(x, steps, None, None)


def ddim_steps(T: int, n_steps: int) -> np.ndarray:
    """The steps DDIM visits: ``n_steps + 1`` integers evenly spaced from T down to 0 (rounded), shape (n_steps + 1,).
    With ``n_steps == T`` every step is visited."""
    T = check_int(T, "T", minimum=1)
    n_steps = check_int(n_steps, "n_steps", minimum=1, maximum=T)
    return np.round(np.linspace(T, 0, n_steps + 1)).astype(np.int64)


def ddim_sample(eps_fn: EpsFn, x_T: ArrayLike, betas: ArrayLike, n_steps: int, *, keep: bool = False) -> SampleResult:
    r"""Song, Meng and Ermon's deterministic sampler: :func:`~dlcourse.diffusion.process.ddim_step` along
    :func:`ddim_steps` (``n_steps`` network calls instead of :math:`T`). The same :math:`x_T` always gives the same
    samples."""
    b = check_betas(betas)
    x = as_float_array(x_T, "x_T").astype(np.float64)
    keep = check_bool(keep, "keep")
    steps = ddim_steps(len(b), n_steps)
    trajectory, predicted = ([x], []) if keep else (None, None)
    for t, s in zip(steps[:-1], steps[1:]):
        eps = _predict(eps_fn, x, int(t))
        if keep:
            predicted.append(predict_x0(x, int(t), eps, b))
        x = ddim_step(x, int(t), int(s), eps, b)
        if keep:
            trajectory.append(x)
    if keep:
        return SampleResult(x, steps, np.stack(trajectory), np.stack(predicted))
    return SampleResult(x, steps, None, None)
