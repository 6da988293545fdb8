"""Chapter 09: the chapter's static figures: the checkerboard a strided transposed convolution paints, and rows of
images beside their reconstructions. Every function takes arrays computed with dlcourse and returns a matplotlib
Figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_side_by_side(images: Sequence[ArrayLike], titles: Sequence[str]) -> Figure:
    """2-D arrays side by side, each with its colour bar and title (the checkerboard and its smooth alternative)."""
    if len(images) != len(titles) or not images:
        raise ValueError(f"titles: expected one title per image ({len(images)}), got {len(titles)}")
    fig = new_figure(3.5 * len(images), 3.2)
    for ax, img, title in zip(np.atleast_1d(fig.subplots(1, len(images))), images, titles):
        shown = ax.imshow(np.asarray(img), cmap="viridis")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
        fig.colorbar(shown, ax=ax, shrink=0.8)
    return fig


def plot_reconstructions(rows: Sequence[ArrayLike], titles: Sequence[str], n: int = 10, side: int = 8) -> Figure:
    """Rows of ``n`` images (each row an array (N, side*side) or (N, 1, side, side) in [0, 1]), one row per title:
    the inputs, then each model's reconstructions of them."""
    if len(rows) != len(titles) or not rows:
        raise ValueError(f"titles: expected one title per row ({len(rows)}), got {len(titles)}")
    fig = new_figure(n * 0.8, len(rows) * 0.95)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (images, title) in enumerate(zip(rows, titles)):
        images = np.asarray(images)
        for c in range(n):
            axes[r, c].imshow(images[c].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
    return fig
