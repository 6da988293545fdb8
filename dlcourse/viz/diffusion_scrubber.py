"""Chapter 17: scrub through the reverse process of a diffusion model.

The trajectory is computed once (:func:`dlcourse.diffusion.ddpm_sample` with ``keep=True``); the slider picks a step
t and the figure shows the points x_t at that step over the training data (left) and, on the right, the data their
noise prediction points to, :math:`\\hat x_0`, which is sharp long before x_t is. With images, one row of each.

    from dlcourse.viz.diffusion_scrubber import DiffusionScrubber
    DiffusionScrubber(result, data=points)        # result = ddpm_sample(..., keep=True); last in a cell

Headless: ``w.controls["t"].value = 50; w.result.x_t``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_int
from ..diffusion.sampling import SampleResult
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class ScrubFrame:
    """One picture: the step t, the states x_t (N, *) and the predicted data (N, *) (at t = 0, the samples)."""

    t: int
    T: int
    x_t: np.ndarray
    predicted_x0: np.ndarray
    spread: float  # the mean distance of x_t to its predicted x_0


class DiffusionScrubber(InteractiveFigure):
    """A slider on the step t of a saved reverse trajectory: x_t and the predicted x_0, for points or images."""

    figsize = (9.0, 4.4)

    def __init__(self, result: SampleResult, *, data: ArrayLike | None = None, t: int | None = None) -> None:
        import ipywidgets as w

        if not isinstance(result, SampleResult) or result.trajectory is None or result.predicted_x0 is None:
            raise ValueError("result: expected the SampleResult of ddpm_sample or ddim_sample called with keep=True")
        self.result_in = result
        self.steps = np.asarray(result.steps)
        self.T = int(self.steps[0])
        self.data = None if data is None else as_float_array(data, "data")
        self.images = result.trajectory.ndim > 3 or result.trajectory.shape[-1] == 64
        start = self.T // 2 if t is None else check_int(t, "t", minimum=0, maximum=self.T)
        if start not in set(self.steps.tolist()):
            raise ValueError(f"t: expected one of the visited steps {self.steps.tolist()}, got {start}")
        controls = {
            "t": w.SelectionSlider(
                options=sorted(self.steps.tolist(), reverse=True),
                value=start,
                description="step t",
                continuous_update=False,
            )
        }
        super().__init__(controls)

    def compute(self, t: int = 0) -> ScrubFrame:
        i = int(np.flatnonzero(self.steps == t)[0])
        x_t = self.result_in.trajectory[i]
        x0 = self.result_in.predicted_x0[i] if i < len(self.result_in.predicted_x0) else x_t
        spread = float(np.linalg.norm((x_t - x0).reshape(len(x_t), -1), axis=1).mean())
        return ScrubFrame(int(t), self.T, x_t, x0, spread)

    def draw(self, fig: Figure, frame: ScrubFrame) -> None:
        left, right = fig.subplots(1, 2)
        titles = (f"x_t at step t = {frame.t} of {frame.T}", "predicted x_0 from that step")
        for ax, values, title in zip((left, right), (frame.x_t, frame.predicted_x0), titles):
            if self.images:
                images = np.clip((values[:16].reshape(-1, 8, 8) + 1) / 2, 0, 1)
                grid = np.block([[np.pad(images[r * 4 + c], 1) for c in range(4)] for r in range(len(images) // 4)])
                ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
                ax.set(xticks=[], yticks=[])
            else:
                if self.data is not None:
                    ax.scatter(self.data[:, 0], self.data[:, 1], s=1, c="0.75")
                ax.scatter(values[:, 0], values[:, 1], s=2, c="tab:orange", alpha=0.7)
                ax.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), aspect="equal", xticks=[], yticks=[])
            ax.set_title(title, fontsize=9)

    def summary(self, frame: ScrubFrame) -> str:
        return f"step {frame.t}: mean distance between x_t and the predicted x_0 = {frame.spread:.3f}"
