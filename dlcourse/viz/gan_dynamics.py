"""Chapter 10: a GAN's training, step by step.

Slide through the snapshots that :func:`dlcourse.models.gan.train_gan` saved: on the left the generated points
(orange) over the real ones (black) and the discriminator's probability that a point is real (red: real, blue:
generated); on the right both losses up to that step, with :math:`2\\log 2` (where the discriminator can no longer
tell) marked. With several runs, a menu switches between them, so two settings can be compared at the same step.

    from dlcourse.viz.gan_dynamics import GANDynamics
    GANDynamics({"fast discriminator": run_a, "fast generator": run_b}, std=0.02)   # last in a cell

Headless: ``w.controls["snapshot"].value = 3; w.result.coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validate import check_number
from ..data.synthetic import ring_centres
from ..models.gan import Coverage, GANRun, mode_coverage
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class DynamicsFrame:
    """One picture: a run's snapshot, its losses so far and the coverage of its generated points."""

    name: str
    step: int
    total_steps: int
    fake: np.ndarray  # (n_points, 2)
    real: np.ndarray  # (n_points, 2)
    probability: np.ndarray  # (grid, grid): sigmoid(D) on grid_y x grid_x
    grid_x: np.ndarray
    grid_y: np.ndarray
    d_losses: np.ndarray  # (step,): the discriminator's loss at steps 1 .. step
    g_losses: np.ndarray  # (step,)
    kind: str
    coverage: Coverage


def draw(fig: Figure, frame: DynamicsFrame, extent: float) -> None:
    """The points over the discriminator's probability, and the losses so far."""
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.2))
    mesh = left.contourf(frame.grid_x, frame.grid_y, frame.probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    left.scatter(*frame.real.T, s=3, c="black", label="real")
    left.scatter(*frame.fake.T, s=3, c="tab:orange", label="generated")
    left.set_xlim(-extent, extent)
    left.set_ylim(-extent, extent)
    left.set_aspect("equal")
    left.legend(loc="lower left", fontsize=7, markerscale=3)
    left.set_title(f"{frame.name}: step {frame.step} of {frame.total_steps}", fontsize=9)
    fig.colorbar(mesh, ax=left, shrink=0.8, label="D: probability real")
    steps = np.arange(1, frame.step + 1)
    right.plot(steps, frame.d_losses, lw=0.6, color="tab:blue", label="discriminator")
    right.plot(steps, frame.g_losses, lw=0.6, color="tab:orange", label=f"generator ({frame.kind})")
    right.axhline(2 * np.log(2), color="grey", ls="--", lw=0.8, label="2 log 2")
    right.set_xlim(0, frame.total_steps)
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.legend(fontsize=7)
    c = frame.coverage
    right.set_title(f"modes covered: {c.modes} of {len(c.counts)}, high quality: {c.high_quality:.0%}", fontsize=9)


class GANDynamics(InteractiveFigure):
    """Step through saved snapshots of one or more GAN runs: generated points, the discriminator, the losses."""

    figsize = (10.0, 4.4)

    def __init__(
        self,
        runs: GANRun | dict[str, GANRun],
        *,
        std: float = 0.02,
        n_modes: int = 8,
        radius: float = 2.0,
        snapshot: int = -1,
    ) -> None:
        import ipywidgets as w

        if isinstance(runs, GANRun):
            runs = {"GAN": runs}
        if not isinstance(runs, dict) or not runs or not all(isinstance(r, GANRun) for r in runs.values()):
            raise ValueError("runs: expected a GANRun or a non-empty dict of name -> GANRun from train_gan")
        counts = {len(r.snapshots) for r in runs.values()}
        if len(counts) != 1:
            raise ValueError(f"runs: expected the same number of snapshots in every run, got {sorted(counts)}")
        self.runs = runs
        self.std = check_number(std, "std", minimum=0)
        self.centres = ring_centres(n_modes, radius)
        self.extent = float(max(abs(next(iter(runs.values())).grid_x).max(), radius * 1.5))
        last = counts.pop() - 1
        if not -last - 1 <= snapshot <= last:
            raise ValueError(f"snapshot: expected an index from {-last - 1} to {last}, got {snapshot!r}")
        controls = {
            "snapshot": w.IntSlider(
                value=snapshot % (last + 1), min=0, max=last, description="snapshot", continuous_update=False
            ),
        }
        if len(runs) > 1:
            controls["run"] = w.Dropdown(options=list(runs), value=next(iter(runs)), description="run")
        super().__init__(controls)

    def compute(self, snapshot: int = 0, run: str | None = None) -> DynamicsFrame:
        name = next(iter(self.runs)) if run is None else run
        r = self.runs[name]
        snap = r.snapshots[snapshot]
        return DynamicsFrame(
            name,
            snap.step,
            len(r.d_losses),
            snap.fake,
            r.real,
            snap.probability,
            r.grid_x,
            r.grid_y,
            r.d_losses[: snap.step],
            r.g_losses[: snap.step],
            r.kind,
            mode_coverage(snap.fake, self.centres, self.std),
        )

    def draw(self, fig: Figure, result: DynamicsFrame) -> None:
        draw(fig, result, self.extent)

    def summary(self, result: DynamicsFrame) -> str:
        c = result.coverage
        return (
            f"step {result.step}: {c.modes} of {len(c.counts)} modes covered, "
            f"{c.high_quality:.0%} of the generated points within 3 std of a mode"
        )
