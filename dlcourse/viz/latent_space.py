"""Chapter 09: a 2-D latent space to walk through: move a point, see the digit the decoder makes there.

The figure has four parts: the codes of some examples (their labels as colours) with the chosen point; the image
decoded at that point; a grid of decodes over the shown square of the latent space; and the interpolation between
the codes of two chosen examples, decoded at evenly spaced points of the straight line between them.

    from dlcourse.viz.latent_space import LatentSpaceExplorer
    LatentSpaceExplorer(vae.decode, codes, labels, images)     # last in a cell: the live widget, or its PNG

``decode(z)`` maps codes (M, 2) to images (M, h*w) or (M, 1, h, w); ``codes`` (N, 2) are the examples' codes (a
VAE's means), ``labels`` (N,) their classes and ``images`` (N, ...) the examples themselves. Headless:
``w.controls["z1"].value = 1.0; w.result.image``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_positive_int
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class LatentView:
    """What one setting shows: the point, its decode, the grid of decodes and the interpolation."""

    point: np.ndarray  # (2,)
    image: np.ndarray  # (h, w): the decode at the point
    grid: np.ndarray  # (n, n, h, w): decodes at grid_z[i, j]
    grid_z: np.ndarray  # (n, n, 2): row i from the top has the largest z2
    path_z: np.ndarray  # (steps, 2): from codes[start] to codes[end]
    path: np.ndarray  # (steps, h, w): the decodes along the path
    start: int
    end: int


class LatentSpaceExplorer(InteractiveFigure):
    """Sliders z1 and z2 move a point in a 2-D latent space; two more pick the examples to interpolate between."""

    figsize = (10.0, 6.5)

    def __init__(
        self,
        decode: Callable[[np.ndarray], Any],
        codes: ArrayLike,
        labels: ArrayLike,
        images: ArrayLike,
        *,
        image_shape: tuple[int, int] = (8, 8),
        grid: int = 9,
        steps: int = 8,
        limit: float = 3.0,
    ) -> None:
        import ipywidgets as w

        if not callable(decode):
            raise ValueError(f"decode: expected a function codes (M, 2) -> images, got {type(decode).__name__}")
        self.decode = decode
        self.codes = as_float_array(codes, "codes", ndim=2)
        if self.codes.shape[1] != 2 or len(self.codes) < 2:
            raise ValueError(f"codes: expected at least two codes of shape (N, 2), got {self.codes.shape}")
        self.labels = np.asarray(labels)
        if self.labels.shape != (len(self.codes),):
            raise ValueError(f"labels: expected shape ({len(self.codes)},), got {self.labels.shape}")
        self.images = as_float_array(images, "images").reshape(len(self.codes), *image_shape)
        self.image_shape = tuple(image_shape)
        self.n_grid, self.steps = check_positive_int(grid, "grid"), check_positive_int(steps, "steps")
        self.limit = float(limit)
        style = {"description_width": "initial"}
        n = len(self.codes)

        def slider(name: str, value: float) -> Any:
            return w.FloatSlider(
                value=value,
                min=-self.limit,
                max=self.limit,
                step=0.1,
                description=name,
                continuous_update=False,
                style=style,
            )

        def chooser(name: str, value: int) -> Any:
            return w.IntSlider(value=value, min=0, max=n - 1, description=name, continuous_update=False, style=style)

        start = 0
        end = int(np.argmax(self.labels != self.labels[0])) if np.any(self.labels != self.labels[0]) else 1
        controls = {"z1": slider("z1", 0.0), "z2": slider("z2", 0.0), "start": chooser("from example", start)}
        controls["end"] = chooser("to example", end)
        super().__init__(controls)

    def _decoded(self, z: np.ndarray) -> np.ndarray:
        out = np.asarray(self.decode(np.asarray(z, dtype=np.float64)), dtype=np.float64)
        return out.reshape(len(z), *self.image_shape)

    def compute(self, z1: float = 0.0, z2: float = 0.0, start: int = 0, end: int = 1) -> LatentView:
        point = np.array([z1, z2], dtype=np.float64)
        values = np.linspace(-self.limit, self.limit, self.n_grid)
        zz1, zz2 = np.meshgrid(values, values[::-1])  # top row: the largest z2
        grid_z = np.stack([zz1, zz2], axis=-1)  # (n, n, 2)
        t = np.linspace(0.0, 1.0, self.steps)[:, None]
        path_z = (1 - t) * self.codes[start] + t * self.codes[end]  # (steps, 2)
        decoded = self._decoded(np.vstack([point[None], grid_z.reshape(-1, 2), path_z]))
        n2 = self.n_grid**2
        return LatentView(
            point,
            decoded[0],
            decoded[1 : 1 + n2].reshape(self.n_grid, self.n_grid, *self.image_shape),
            grid_z,
            path_z,
            decoded[1 + n2 :],
            int(start),
            int(end),
        )

    def draw(self, fig: Figure, result: LatentView) -> None:
        gs = fig.add_gridspec(3, 3, height_ratios=(1, 1, 0.5))
        scatter = fig.add_subplot(gs[:2, 0])
        points = scatter.scatter(self.codes[:, 0], self.codes[:, 1], c=self.labels, cmap="tab10", s=6, alpha=0.7)
        scatter.plot(*result.path_z.T, color="black", lw=1)
        scatter.plot(*result.point, marker="x", color="red", ms=12, mew=3)
        scatter.set_xlim(-self.limit, self.limit)
        scatter.set_ylim(-self.limit, self.limit)
        scatter.set_xlabel("z1")
        scatter.set_ylabel("z2")
        scatter.set_title("codes (colour: digit)", fontsize=9)
        fig.colorbar(points, ax=scatter, ticks=range(10), shrink=0.7)
        single = fig.add_subplot(gs[:2, 1])
        single.imshow(result.image, cmap="gray_r", vmin=0, vmax=1)
        single.set_title(f"decoded at z = ({result.point[0]:.1f}, {result.point[1]:.1f})", fontsize=9)
        single.axis("off")
        grid = fig.add_subplot(gs[:2, 2])
        n, (h, w) = self.n_grid, self.image_shape
        mosaic = result.grid.transpose(0, 2, 1, 3).reshape(n * h, n * w)
        extent = (-self.limit, self.limit, -self.limit, self.limit)
        grid.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, extent=extent)
        grid.set_title("decodes over the latent square", fontsize=9)
        grid.set_xlabel("z1")
        grid.set_ylabel("z2")
        strip = fig.add_subplot(gs[2, :])
        row = np.concatenate(
            [self.images[result.start], *result.path, self.images[result.end]], axis=1
        )  # (h, (steps + 2) * w)
        strip.imshow(row, cmap="gray_r", vmin=0, vmax=1)
        strip.set_title(
            f"example {result.start} (label {self.labels[result.start]}), the decodes between their codes, "
            f"example {result.end} (label {self.labels[result.end]})",
            fontsize=9,
        )
        strip.axis("off")

    def summary(self, result: LatentView) -> str:
        return f"point ({result.point[0]:.1f}, {result.point[1]:.1f}); interpolating {result.start} -> {result.end}"
