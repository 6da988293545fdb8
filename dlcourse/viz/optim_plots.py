"""Chapter 04: static figures of optimizer paths over a surface's contours, curves over steps or epochs, learning-rate
schedules, and training curves with final test accuracies. Every function takes numbers computed elsewhere (with
dlcourse) and returns a matplotlib Figure, or draws into a given Axes; only the contour levels are evaluated here,
from the surface's own ``value``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..surfaces import Surface

#: one colour per optimizer name, the same in every figure of the chapter
COLORS = {
    "SGD": "tab:gray",
    "GD": "tab:gray",
    "momentum": "tab:blue",
    "Nesterov": "tab:cyan",
    "Adagrad": "tab:green",
    "RMSprop": "tab:orange",
    "Adam": "tab:red",
    "AdamW": "tab:purple",
}
_CYCLE = ["tab:brown", "tab:pink", "tab:olive", "black", "goldenrod", "teal"]


def color_of(name: str, i: int = 0) -> str:
    """The chapter's colour for an optimizer ``name`` (its first word), or one from a fallback cycle."""
    for key, colour in COLORS.items():
        if name == key or name.startswith(key + " ") or name.startswith(key + "("):
            return colour
    return _CYCLE[i % len(_CYCLE)]


def draw_surface(ax: Axes, surface: Surface, resolution: int = 160, n_levels: int = 18) -> None:
    """Filled contours of ``surface`` over its window, on a log scale of f - f_min, with its minima (stars) and any
    saddle points (crosses)."""
    import matplotlib.colors as mcolors

    x0, x1, y0, y1 = surface.extent
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    zz = surface.value(np.stack([xx, yy], axis=-1)) - surface.min_value  # (R, R), >= 0
    lo = max(float(np.percentile(zz, 1)), 1e-3 * float(zz.max()) / 10**5, 1e-6)
    levels = np.geomspace(lo, float(zz.max()), n_levels)
    ax.contourf(xx, yy, np.maximum(zz, lo), levels=levels, norm=mcolors.LogNorm(), cmap="Blues_r", alpha=0.85)
    ax.contour(xx, yy, np.maximum(zz, lo), levels=levels, colors="white", linewidths=0.4, alpha=0.6)
    ax.plot(*surface.minima.T, "*", color="gold", markersize=14, markeredgecolor="black", zorder=5, label="minimum")
    for point in getattr(surface, "saddle_points", []):
        ax.plot(*point, "X", color="white", markersize=9, markeredgecolor="black", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def draw_paths(ax: Axes, paths: dict, max_markers: int = 60) -> None:
    """One line per optimizer (name -> :class:`dlcourse.surfaces.OptimizerPath`): a dot at every step while they are
    few, a circle at the start, a square at the end, a cross where a run diverged."""
    for i, (name, path) in enumerate(paths.items()):
        colour = color_of(name, i)
        xy = path.xy
        marker = "." if len(xy) <= max_markers else None
        ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=1.6, marker=marker, markersize=3, label=name, zorder=3)
        ax.plot(*xy[0], "o", color="white", markeredgecolor="black", markersize=6, zorder=4)
        ax.plot(*xy[-1], "X" if path.diverged else "s", color=colour, markeredgecolor="black", markersize=7, zorder=4)


def draw_value_curves(ax: Axes, paths: dict, min_value: float = 0.0) -> None:
    """f - f_min along each path, on a log scale: how fast each optimizer descends."""
    for i, (name, path) in enumerate(paths.items()):
        gap = np.maximum(path.values - min_value, 1e-16)
        ax.semilogy(np.arange(len(gap)), gap, color=color_of(name, i), lw=1.5, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("f − f_min")
    ax.grid(True, which="major", alpha=0.3)


def plot_paths(surface: Surface, paths: dict, title: str | None = None, values: bool = True) -> Figure:
    """Optimizer paths over the contours of ``surface`` and, with ``values``, f - f_min against the step."""
    fig = new_figure(11.0 if values else 6.0, 4.6)
    axes = fig.subplots(1, 2, width_ratios=[1.25, 1.0]) if values else [fig.subplots()]
    draw_surface(axes[0], surface)
    draw_paths(axes[0], paths)
    axes[0].legend(fontsize=8, loc="best", framealpha=0.85)
    axes[0].set_title(title or f"{surface.name}: {len(next(iter(paths.values())).xy) - 1} steps", fontsize=10)
    if values:
        draw_value_curves(axes[1], paths, surface.min_value)
        axes[1].set_title("distance to the minimum value", fontsize=10)
    return fig


def plot_curves(
    curves: dict,
    *,
    xlabel: str = "step",
    ylabel: str = "",
    title: str = "",
    logy: bool = False,
    x: ArrayLike | None = None,
    ax: Axes | None = None,
    styles: dict | None = None,
) -> Figure:
    """Several curves over a common x (default 0, 1, 2 ...): name -> values. Returns the Figure.

    ``styles`` maps a name to extra matplotlib keyword arguments (e.g. ``{'printed': {'ls': '--'}}``).
    """
    fig = ax.figure if ax is not None else new_figure(6.4, 3.8)
    ax = ax if ax is not None else fig.subplots()
    for i, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=np.float64)
        xs = np.arange(len(values)) if x is None else np.asarray(x)[: len(values)]
        kwargs = {"color": color_of(name, i), "lw": 1.6, **(styles or {}).get(name, {})}
        ax.plot(xs, values, label=name, **kwargs)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_schedules(schedules: dict, title: str = "learning-rate schedules") -> Figure:
    """Learning rate against epoch, one step line per schedule (name -> rates of epochs 0, 1, 2 ...)."""
    fig = new_figure(7.0, 3.8)
    ax = fig.subplots()
    for i, (name, rates) in enumerate(schedules.items()):
        ax.step(
            np.arange(len(rates)),
            rates,
            where="post",
            lw=1.8,
            label=name,
            color=_CYCLE[i % len(_CYCLE)] if name not in COLORS else COLORS[name],
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_training_curves(histories: dict, test_accuracy: dict, title: str = "digits, 64-64-10 MLP") -> Figure:
    """Training loss per epoch (log scale) for each optimizer, and the final test accuracy of each as bars.

    histories : name -> {'loss': [...], 'accuracy': [...]} from ``dlcourse.train.fit``
    test_accuracy : name -> accuracy on the test set after training
    """
    if set(histories) != set(test_accuracy):
        raise ValueError(f"test_accuracy: expected the names {sorted(histories)}, got {sorted(test_accuracy)}")
    fig = new_figure(11.0, 4.0)
    ax_loss, ax_acc = fig.subplots(1, 2, width_ratios=[1.5, 1.0])
    for i, (name, history) in enumerate(histories.items()):
        loss = np.asarray(history["loss"])
        ax_loss.semilogy(np.arange(1, len(loss) + 1), loss, color=color_of(name, i), lw=1.6, label=name)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("mean training loss")
    ax_loss.set_title(f"{title}: training loss", fontsize=10)
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize=8)
    names = list(test_accuracy)
    accs = [100 * test_accuracy[n] for n in names]
    bars = ax_acc.barh(names, accs, color=[color_of(n, i) for i, n in enumerate(names)])
    for bar, acc in zip(bars, accs):
        ax_acc.text(
            bar.get_width() - 0.3,
            bar.get_y() + bar.get_height() / 2,
            f"{acc:.1f}%",
            ha="right",
            va="center",
            color="white",
            fontsize=8,
            fontweight="bold",
        )
    ax_acc.set_xlim(max(0.0, min(accs) - 8), 100)
    ax_acc.invert_yaxis()
    ax_acc.set_xlabel("test accuracy (%)")
    ax_acc.set_title("after training", fontsize=10)
    return fig
