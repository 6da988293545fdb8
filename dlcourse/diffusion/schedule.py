r"""Chapter 17: the variance schedules of a diffusion model, :math:`\beta_1, \dots, \beta_T`.

The forward process adds Gaussian noise in :math:`T` small steps, step :math:`t` with variance :math:`\beta_t`.
Everything else is computed from the betas: :math:`\alpha_t = 1 - \beta_t` and
:math:`\bar\alpha_t = \prod_{s=1}^{t} \alpha_s`, the fraction of the data's signal (in variance) left at step
:math:`t`. Arrays of betas have shape ``(T,)`` and hold :math:`\beta_1 .. \beta_T` (``betas[t - 1]`` is
:math:`\beta_t`); :func:`alpha_bars` returns ``(T + 1,)`` values with :math:`\bar\alpha_0 = 1` first, so that
``alpha_bars(betas)[t]`` is :math:`\bar\alpha_t` for every step :math:`t = 0, \dots, T`.

    betas = linear_betas(1000)          # Ho et al. (2020): 1e-4 .. 0.02
    betas = cosine_betas(1000)          # Nichol and Dhariwal (2021)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_int, check_number, check_positive_int


def linear_betas(T: int, beta_start: float | None = None, beta_end: float | None = None) -> np.ndarray:
    r"""The linear schedule of Ho et al. (2020): betas evenly spaced from ``beta_start`` to ``beta_end``.

    Ho et al. use :math:`10^{-4}` to :math:`0.02` with :math:`T = 1000`. When the ends are not given they are those
    values scaled by :math:`1000 / T` (as in Nichol and Dhariwal's code), so that a shorter chain destroys the
    data as completely as the 1000-step one: :math:`\bar\alpha_T` stays close to 0.

    Returns betas of shape (T,), float64.
    """
    T = check_positive_int(T, "T")
    scale = 1000.0 / T
    start = scale * 1e-4 if beta_start is None else check_number(beta_start, "beta_start", minimum=0.0, maximum=1.0)
    end = min(scale * 0.02, 0.999) if beta_end is None else check_number(beta_end, "beta_end", minimum=0.0, maximum=1.0)
    if start >= 1.0 or end >= 1.0:
        raise ValueError(f"beta_start, beta_end: expected values below 1, got {start!r} and {end!r}")
    return np.linspace(start, end, T, dtype=np.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    r"""The cosine schedule of Nichol and Dhariwal (2021).

    :math:`\bar\alpha_t = f(t) / f(0)` with
    :math:`f(t) = \cos^2\!\big(\tfrac{t/T + s}{1 + s} \cdot \tfrac{\pi}{2}\big)`, and
    :math:`\beta_t = 1 - \bar\alpha_t / \bar\alpha_{t-1}`, clipped at ``max_beta`` (the last betas would otherwise
    reach 1). The signal falls off gently at both ends instead of vanishing long before step :math:`T`.

    Returns betas of shape (T,), float64.
    """
    T = check_positive_int(T, "T")
    s = check_number(s, "s", minimum=0.0)
    max_beta = check_number(max_beta, "max_beta", minimum=0.0, maximum=1.0)
    steps = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1.0 - f[1:] / f[:-1], max_beta)


def check_betas(betas: ArrayLike, name: str = "betas") -> np.ndarray:
    """``betas`` as a float64 array of shape (T,) with every value in (0, 1), or a ValueError naming ``name``."""
    b = as_float_array(betas, name, ndim=1).astype(np.float64)
    if b.size == 0 or not np.all((b > 0) & (b < 1)):
        raise ValueError(f"{name}: expected a non-empty 1-D array of values in (0, 1), got {b!r}")
    return b


def alpha_bars(betas: ArrayLike) -> np.ndarray:
    r""":math:`\bar\alpha_0 = 1, \bar\alpha_1, \dots, \bar\alpha_T`: shape (T + 1,), ``[t]`` is
    :math:`\prod_{s \le t} (1 - \beta_s)`."""
    b = check_betas(betas)
    return np.concatenate([[1.0], np.cumprod(1.0 - b)])


def posterior_variances(betas: ArrayLike) -> np.ndarray:
    r""":math:`\tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\,\beta_t` for :math:`t = 1..T`, shape
    (T,): the variance of :math:`q(x_{t-1} \mid x_t, x_0)` (0 at :math:`t = 1`)."""
    b = check_betas(betas)
    ab = alpha_bars(b)
    return (1.0 - ab[:-1]) / (1.0 - ab[1:]) * b


def check_step(t: object, T: int, name: str = "t", *, minimum: int = 0) -> int:
    """A step index from ``minimum`` to ``T`` as an int, or a ValueError naming ``name``."""
    return check_int(t, name, minimum=minimum, maximum=T)
