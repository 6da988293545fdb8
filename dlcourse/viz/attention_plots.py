"""Chapter 08: the chapter's static figures: why attention scores are divided by sqrt(d_k), the sinusoidal positional
encoding, and the time self-attention takes as sequences grow. Every function takes numbers computed with dlcourse
and returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_score_scaling(
    dims: Sequence[int], variance: Sequence[float], top_raw: Sequence[float], top_scaled: Sequence[float], n_keys: int
) -> Figure:
    """Left: the measured variance of q·k against d_k (the line d_k for reference). Right: the mean largest softmax
    weight of ``n_keys`` scores, unscaled and divided by sqrt(d_k), with the uniform weight 1/n_keys."""
    fig = new_figure(10, 3.6)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.loglog(dims, variance, "o-", label="measured Var(q·k)")
    ax1.loglog(dims, dims, "k--", lw=1, label="$d_k$")
    ax1.set_xlabel("$d_k$")
    ax1.set_title("variance of the scores")
    ax1.legend()
    ax2.semilogx(dims, top_raw, "o-", label="softmax(q·k)")
    ax2.semilogx(dims, top_scaled, "s-", label="softmax(q·k / √d_k)")
    ax2.axhline(1 / n_keys, color="grey", lw=1, ls=":", label=f"uniform, 1/{n_keys}")
    ax2.set_xlabel("$d_k$")
    ax2.set_ylabel("mean of the largest weight")
    ax2.set_title(f"saturation of the softmax ({n_keys} keys)")
    ax2.legend()
    return fig


def plot_positional_encoding(pe: ArrayLike) -> Figure:
    """Left: the encoding (positions, d) as an image, a row per dimension. Right: the dot products of every pair of
    positions' vectors, which depend on their distance."""
    pe = np.asarray(pe)
    if pe.ndim != 2:
        raise ValueError(f"pe: expected a (positions, d) array, got shape {pe.shape}")
    fig = new_figure(10, 3.4)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
    image = ax1.imshow(pe.T, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax1)
    ax1.set_xlabel("position")
    ax1.set_ylabel("dimension")
    ax1.set_title(f"sinusoidal positional encoding ({pe.shape[0]} positions, d = {pe.shape[1]})")
    ax2.imshow(pe @ pe.T, cmap="viridis")
    ax2.set_xlabel("position")
    ax2.set_ylabel("position")
    ax2.set_title("dot products $PE_i \\cdot PE_j$")
    return fig


def plot_attention_cost(lengths: Sequence[int], seconds: Sequence[float], slope: float) -> Figure:
    """Measured seconds per self-attention against the sequence length on log-log axes, with a line ∝ n² through
    the last point; ``slope`` is the fitted log-log slope shown in the title."""
    lengths, seconds = np.asarray(lengths, dtype=float), np.asarray(seconds, dtype=float)
    fig = new_figure(5.5, 3.6)
    ax = fig.subplots()
    ax.loglog(lengths, seconds, "o-", label="measured")
    ax.loglog(lengths, seconds[-1] * (lengths / lengths[-1]) ** 2, "k--", lw=1, label="$\\propto n^2$")
    ax.set_xlabel("sequence length n")
    ax.set_ylabel("seconds per attention")
    ax.set_title(f"self-attention time, slope {slope:.2f}")
    ax.legend()
    return fig
