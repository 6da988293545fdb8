"""Chapter 05: a grid of labelled images, a first look at an image data set (CIFAR-10, its colour-digits stand-in,
MNIST)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .augment_plots import draw_image
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def image_grid_figure(
    images: ArrayLike,
    labels: ArrayLike | None = None,
    classes: Sequence[str] | None = None,
    *,
    columns: int = 10,
    title: str | None = None,
    size: float = 1.0,
) -> Figure:
    """Images in rows of ``columns``, each titled with its class name.

    Parameters
    ----------
    images : (N, C, H, W) with C = 1 or 3, uint8 in 0..255 or floats in [0, 1]
    labels : None or (N,) class indices;  classes : names of the classes (default: the indices)
    columns : images per row;  title : the figure's title;  size : inches per image
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or len(images) == 0:
        raise ValueError(f"images: expected a non-empty batch (N, C, H, W) with C = 1 or 3, got shape {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"labels: expected {len(images)} labels, one per image, got {len(labels)}")
    pixels = images.astype(np.float64) / 255 if images.dtype == np.uint8 else images.astype(np.float64)
    columns = max(1, min(int(columns), len(images)))
    rows = -(-len(images) // columns)
    fig = new_figure(size * columns, size * rows + (0.35 if title else 0.0) + 0.2 * rows)
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i >= len(images):
            ax.axis("off")
            continue
        name = None
        if labels is not None:
            label = int(labels[i])
            name = str(classes[label]) if classes is not None else str(label)
        draw_image(ax, pixels[i], name)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


__all__ = ["image_grid_figure"]
