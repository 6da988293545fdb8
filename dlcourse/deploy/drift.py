"""Chapter 13: monitoring a deployed model for drift in its inputs and in its confidence.

Two scores compare a *reference* sample (what the model saw when it was validated) with a *current* one (what it
sees now):

- the **population stability index** over bins fixed on the reference,
  ``PSI = sum_b (a_b - e_b) * ln(a_b / e_b)`` with e_b, a_b the reference's and the current sample's fractions in
  bin b. Bins: the reference's deciles (``bins=10``), the outer edges open (-inf, +inf); an empty bin's fraction is
  raised to ``eps = 1e-4`` so the logarithm stays finite. The usual reading: below 0.1 stable, 0.1 to 0.25 a
  moderate shift, above 0.25 a significant one (Siddiqi 2006, *Credit Risk Scorecards*);
- the **two-sample Kolmogorov-Smirnov** statistic ``D = max_x |F_ref(x) - F_cur(x)|`` with its p-value, equal to
  ``scipy.stats.ks_2samp``: ``method="exact"`` counts the lattice paths that stay inside the band (Hodges 1958),
  ``method="asymp"`` takes the one-sample KS distribution at ``n = round(m n / (m + n))`` (as SciPy does). Where
  SciPy's exact sum comes out above 1 by rounding (a p-value of 1) and it falls back to the asymptotic value, the
  exact one here stays exact.

    psi(reference, current)                       # a number >= 0
    drifted = shift_images(X, "rotation", 20)     # the digits turned by 20 degrees
    ks_2samp(reference, current, method="exact")  # (statistic, pvalue)
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_choice, check_number, check_positive_int, check_positive_number
from ..augment import functional as A

#: the conventional PSI alert levels: below the first, stable; between, watch; above the second, act
PSI_WARN, PSI_ALERT = 0.1, 0.25


def _sample(x: ArrayLike, name: str) -> np.ndarray:
    x = as_float_array(x, name).reshape(-1)
    if x.size == 0:
        raise ValueError(f"{name}: expected at least one value, got an empty array")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: expected finite values, got NaN or infinity")
    return x


def quantile_edges(reference: ArrayLike, bins: int = 10) -> np.ndarray:
    """The ``bins - 1`` inner bin edges: the reference's quantiles at 1/bins, 2/bins, ... (duplicates removed)."""
    x = _sample(reference, "reference")
    bins = check_positive_int(bins, "bins")
    return np.unique(np.quantile(x, np.arange(1, bins) / bins))


def bin_fractions(x: ArrayLike, edges: ArrayLike) -> np.ndarray:
    """The fraction of ``x`` in each bin (-inf, e_1], (e_1, e_2], ..., (e_k, +inf)."""
    x = _sample(x, "x")
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="left")
    return np.bincount(index, minlength=len(edges) + 1) / x.size


def psi(reference: ArrayLike, current: ArrayLike, bins: int = 10, eps: float = 1e-4) -> float:
    """Population stability index of ``current`` against ``reference`` on the reference's quantile bins."""
    edges = quantile_edges(reference, bins)
    eps = check_positive_number(eps, "eps")
    e = np.maximum(bin_fractions(reference, edges), eps)
    a = np.maximum(bin_fractions(current, edges), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_level(value: float) -> str:
    """``"stable"`` below 0.1, ``"moderate"`` up to 0.25, ``"significant"`` above."""
    return "stable" if value < PSI_WARN else "moderate" if value < PSI_ALERT else "significant"


class KSResult(NamedTuple):
    statistic: float  # D, the largest gap between the two empirical distribution functions
    pvalue: float


def ks_statistic(x: ArrayLike, y: ArrayLike) -> float:
    """``max |F_x - F_y|`` over all observed values (each ECDF right-continuous)."""
    x, y = np.sort(_sample(x, "x")), np.sort(_sample(y, "y"))
    both = np.concatenate([x, y])
    gap = np.searchsorted(x, both, side="right") / x.size - np.searchsorted(y, both, side="right") / y.size
    return float(np.abs(gap).max())


def _exact_pvalue(m: int, n: int, h: int, g: int) -> float:
    """P(D >= h g / (m n)) under the null: 1 - the share of the C(m + n, m) orderings whose path from (0, 0) to
    (m, n) keeps |i n - j m| < h g. ``u[j]`` holds that share for the paths to (i, j), by the recurrence
    u(i, j) = (i u(i-1, j) + j u(i, j-1)) / (i + j), which stays between 0 and 1."""
    bound = h * g
    u = np.zeros(n + 1)
    for i in range(m + 1):
        for j in range(n + 1):
            if abs(i * n - j * m) >= bound:
                u[j] = 0.0
            elif i == 0 and j == 0:
                u[j] = 1.0
            else:
                u[j] = ((i * u[j] if i else 0.0) + (j * u[j - 1] if j else 0.0)) / (i + j)
    return float(min(max(1.0 - u[n], 0.0), 1.0))


def ks_2samp(x: ArrayLike, y: ArrayLike, method: Literal["exact", "asymp"] = "exact") -> KSResult:
    """The two-sided two-sample KS test of ``x`` (m,) against ``y`` (n,), as ``scipy.stats.ks_2samp``."""
    check_choice(method, "method", ("exact", "asymp"))
    d = ks_statistic(x, y)
    m, n = np.asarray(x).size, np.asarray(y).size
    if method == "exact":
        g = math.gcd(m, n)
        lcm = (m // g) * n
        h = int(np.round(d * lcm))  # D is a multiple of 1 / lcm(m, n): remove its round-off
        return KSResult(h / lcm, 1.0 if h == 0 else _exact_pvalue(m, n, h, g))
    from scipy.stats import kstwo  # the one-sample KS distribution (Simard & L'Ecuyer 2011)

    big, small = max(m, n), min(m, n)
    en = big * small / (big + small)
    if np.round(en) < 1:
        raise ValueError(f"x, y: method='asymp' needs m n / (m + n) >= 1/2 rounded to 1, got sizes {m} and {n}")
    return KSResult(d, float(np.clip(kstwo.sf(d, np.round(en)), 0, 1)))


def kolmogorov_sf(z: float, terms: int = 100) -> float:
    """The limiting Kolmogorov distribution's tail ``P(K > z) = 2 sum_k (-1)^(k-1) exp(-2 k^2 z^2)``: the
    large-sample p-value of ``sqrt(m n / (m + n)) * D``."""
    if z <= 0:
        return 1.0
    k = np.arange(1, terms + 1)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * z * z)), 0, 1))


def confidence_drift(reference_probs: ArrayLike, current_probs: ArrayLike) -> dict[str, float]:
    """How the model's top-class confidence moved: mean confidence of each sample, their difference, and the PSI
    and KS statistic of the confidences (probabilities (N, C) each)."""
    ref = as_float_array(reference_probs, "reference_probs", ndim=2).max(axis=1)
    cur = as_float_array(current_probs, "current_probs", ndim=2).max(axis=1)
    return {
        "mean_reference": float(ref.mean()),
        "mean_current": float(cur.mean()),
        "drop": float(ref.mean() - cur.mean()),
        "psi": psi(ref, cur),
        "ks": ks_statistic(ref, cur),
    }


ShiftKind = Literal["rotation", "noise"]


def shift_images(x: ArrayLike, kind: ShiftKind, amount: float, rng: Seed = 0) -> np.ndarray:
    """Images (N, 1, H, W) in [0, 1] moved away from the training distribution: ``"rotation"`` turns every image
    by ``amount`` degrees (``dlcourse.augment.functional.rotate``), ``"noise"`` adds normal noise of standard
    deviation ``amount`` (``gaussian_noise``, clipped to [0, 1])."""
    check_choice(kind, "kind", ("rotation", "noise"))
    amount = check_number(amount, "amount", minimum=0 if kind == "noise" else None)
    x = as_float_array(x, "x", ndim=4)
    if amount == 0:
        return x.copy()
    if kind == "rotation":
        return A.rotate(x, amount)
    return A.gaussian_noise(x, rng, sigma=amount)


def image_feature(x: ArrayLike) -> np.ndarray:
    """The input statistic the chapter monitors: each image's mean pixel value (N,)."""
    x = as_float_array(x, "x")
    return x.reshape(len(x), -1).mean(axis=1)


class DriftScores(NamedTuple):
    psi: float  # population stability index
    ks: float  # two-sample KS statistic
    pvalue: float  # its exact p-value
    level: str  # psi_level(psi)


def drift_scores(reference: ArrayLike, current: ArrayLike) -> DriftScores:
    """PSI (deciles of the reference), the KS statistic and its exact p-value, and the PSI's alert level."""
    value = psi(reference, current)
    ks = ks_2samp(reference, current, "exact")
    return DriftScores(value, ks.statistic, ks.pvalue, psi_level(value))
