"""Chapter 17: the diffusion chapter's static figures: data noised step by step, the schedules, points flowing from
noise to data, the learned score field against the true one, grids of sampled digits, and sample quality against
the number of sampling steps. Every function takes numbers computed with :mod:`dlcourse.diffusion` and returns a
matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_noising(
    points: Mapping[int, ArrayLike], images: Mapping[int, ArrayLike] | None = None, extent: float = 3.0
) -> Figure:
    """One panel per step t: the points x_t (N, 2) and, with ``images``, a row of noised images (N, 8, 8) below."""
    rows = 1 if images is None else 2
    fig = new_figure(2.2 * len(points), 2.5 if images is None else 3.2)
    ratios = (1.0,) if images is None else (1.0, 0.3)
    axes = fig.subplots(rows, len(points), squeeze=False, height_ratios=ratios)
    for ax, (t, x) in zip(axes[0], points.items()):
        x = np.asarray(x)
        ax.scatter(x[:, 0], x[:, 1], s=1.5, c="tab:blue", alpha=0.6)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xticks=[], yticks=[], aspect="equal")
        ax.set_title(f"t = {t}", fontsize=9)
    if images is not None:
        for ax, (t, im) in zip(axes[1], images.items()):
            im = np.asarray(im)
            row = np.concatenate([np.pad(i, 1, constant_values=np.nan) for i in im], axis=1)
            ax.imshow(row, cmap="gray_r", vmin=-1.5, vmax=1.5)
            ax.set(xticks=[], yticks=[])
    fig.suptitle("the forward process: data noised step by step (top: 2-D points, bottom: digits)", fontsize=10)
    return fig


def plot_schedules(schedules: Mapping[str, ArrayLike]) -> Figure:
    """For each named schedule of alpha-bars (T + 1,): the signal fraction against t / T, and its beta_t."""
    fig = new_figure(10, 3.4)
    left, right = fig.subplots(1, 2)
    for name, ab in schedules.items():
        ab = np.asarray(ab)
        T = len(ab) - 1
        left.plot(np.arange(T + 1) / T, ab, label=name)
        right.plot(np.arange(1, T + 1) / T, 1 - ab[1:] / ab[:-1], label=name)
    left.set(xlabel="t / T", ylabel=r"$\bar\alpha_t$ (signal left, in variance)", title="signal left")
    right.set(xlabel="t / T", ylabel=r"$\beta_t$", yscale="log", title="variance added per step")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


def plot_flow(steps: Sequence[int], states: Sequence[ArrayLike], data: ArrayLike, extent: float = 2.5) -> Figure:
    """One panel per step: the sampled points at that step (orange) over the training data (grey)."""
    fig = new_figure(2.2 * len(steps), 2.5)
    axes = fig.subplots(1, len(steps), squeeze=False)[0]
    data = np.asarray(data)
    for ax, t, x in zip(axes, steps, states):
        x = np.asarray(x)
        ax.scatter(data[:, 0], data[:, 1], s=1, c="0.75")
        ax.scatter(x[:, 0], x[:, 1], s=1.5, c="tab:orange", alpha=0.7)
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xticks=[], yticks=[], aspect="equal")
        ax.set_title(f"t = {t}", fontsize=9)
    fig.suptitle("reverse process: sampled points (orange) flowing from noise to the data (grey)", fontsize=10)
    return fig


def plot_score_fields(
    grid: ArrayLike, fields: Mapping[str, tuple[ArrayLike, ArrayLike]], data: ArrayLike | None = None
) -> Figure:
    """One panel per entry ``title -> (true_score, learned_score)``, each (G, 2) on the points ``grid`` (G, 2):
    true arrows black, learned ones red, both scaled to unit length (direction only)."""
    grid = np.asarray(grid)
    fig = new_figure(3.4 * len(fields), 3.6)
    axes = fig.subplots(1, len(fields), squeeze=False)[0]
    for ax, (title, (true, learned)) in zip(axes, fields.items()):
        if data is not None:
            d = np.asarray(data)
            ax.scatter(d[:, 0], d[:, 1], s=0.5, c="0.8")
        for field, colour in ((np.asarray(true), "black"), (np.asarray(learned), "tab:red")):
            unit = field / np.maximum(np.linalg.norm(field, axis=1, keepdims=True), 1e-12)
            ax.quiver(grid[:, 0], grid[:, 1], unit[:, 0], unit[:, 1], color=colour, scale=25, width=0.005, alpha=0.8)
        ax.set(xticks=[], yticks=[], aspect="equal")
        ax.set_title(title, fontsize=9)
    fig.suptitle("the score: true (black) and learned, -eps/sqrt(1 - abar_t) (red), directions", fontsize=10)
    return fig


def plot_digit_samples(samples: Mapping[str, ArrayLike], columns: int = 8) -> Figure:
    """One grid per name of images (N, 8, 8) or (N, 64) in [0, 1], side by side."""
    fig = new_figure(2.6 * len(samples), 2.9)
    outer = np.atleast_1d(fig.subfigures(1, len(samples)))
    for sub, (name, images) in zip(outer, samples.items()):
        images = np.asarray(images).reshape(-1, 8, 8)
        rows = int(np.ceil(len(images) / columns))
        axes = np.atleast_1d(sub.subplots(rows, columns))
        for ax in axes.ravel():
            ax.axis("off")
        for ax, image in zip(axes.ravel(), images):
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        sub.suptitle(name, fontsize=9)
    return fig


def plot_steps_quality(
    results: Mapping[str, Mapping[int, float]], anchors: Mapping[str, float], xlabel: str = "sampling steps"
) -> Figure:
    """The Fréchet distance against the number of sampling steps, one line per sampler, anchors as dashed lines."""
    fig = new_figure(8.4, 3.8)
    ax = fig.subplots()
    for name, values in results.items():
        steps = sorted(values)
        ax.plot(steps, [values[s] for s in steps], "o-", label=name)
    for (name, value), style in zip(anchors.items(), (":", "--", "-.")):
        ax.axhline(value, color="grey", ls=style, lw=1, label=name)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="Fréchet distance to real test digits")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return fig
