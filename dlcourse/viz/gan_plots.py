"""Chapter 10: the chapter's static figures: a GAN's generated points over the real ones at chosen training steps
(one row per run), and grids of generated images after chosen epochs. Every function takes what training recorded
and returns a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_snapshots(runs: Mapping[str, Any], indices: Sequence[int], extent: float = 3.0) -> Figure:
    """One row per run (a :class:`dlcourse.models.gan.GANRun`), one panel per snapshot index: the discriminator's
    probability "real" as the background (red high), real points black, generated points orange."""
    fig = new_figure(2.4 * len(indices), 2.6 * len(runs))
    axes = fig.subplots(len(runs), len(indices), squeeze=False)
    for row, (name, run) in zip(axes, runs.items()):
        for ax, index in zip(row, indices):
            snap = run.snapshots[index]
            ax.contourf(run.grid_x, run.grid_y, snap.probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
            ax.scatter(*run.real.T, s=2, c="black")
            ax.scatter(*snap.fake.T, s=2, c="tab:orange")
            ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xticks=[], yticks=[], aspect="equal")
            ax.set_title(f"{name}, step {snap.step}", fontsize=8)
    fig.suptitle("generated points (orange) over real ones (black); background: D's probability real (red high)")
    return fig


def plot_sample_grids(samples: Mapping[int, ArrayLike], columns: int = 4) -> Figure:
    """One square grid of generated images (N, 1, H, W) in [0, 1] per epoch, side by side, titled by the epoch."""
    fig = new_figure(3 * len(samples), 3.6)
    outer = np.atleast_1d(fig.subfigures(1, len(samples)))
    for sub, (epoch, images) in zip(outer, samples.items()):
        images = np.asarray(images)
        rows = int(np.ceil(len(images) / columns))
        axes = np.atleast_1d(sub.subplots(rows, columns))
        for ax in axes.ravel():
            ax.axis("off")
        for ax, image in zip(axes.ravel(), images):
            ax.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
        sub.suptitle(f"after epoch {epoch}", fontsize=9)
    return fig
