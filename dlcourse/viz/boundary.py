"""Chapter 01: decision boundaries and hidden-unit activation maps of 2-D classifiers.

Two kinds of functions: ``grid``/``*_on_grid``/``hidden_activation_maps`` evaluate a model over a grid of points
(the numbers come from the model, i.e. from dlcourse), and ``draw_*``/``plot_*`` draw what was evaluated.

Shapes: ``X`` (N, 2) points, ``y`` (N,) integer labels, a grid of G x G points flattened to ``points`` (G*G, 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import functional as F
from .. import nn
from .._validate import check_int
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: class colours: class 0 red, class 1 blue, then matplotlib's cycle (TensorFlow Playground uses orange/blue)
CLASS_COLOURS = ["#d6604d", "#4393c3", "#5aae61", "#9970ab", "#f1a340", "#878787"]


class Grid(NamedTuple):
    """A G x G grid of points covering a 2-D data set."""

    xx: np.ndarray  # (G, G) first coordinate
    yy: np.ndarray  # (G, G) second coordinate
    points: np.ndarray  # (G*G, 2) the same points, one per row, ready for a model

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) for ``imshow``."""
        return float(self.xx.min()), float(self.xx.max()), float(self.yy.min()), float(self.yy.max())


def make_grid(X: ArrayLike, resolution: int = 100, margin: float = 0.3) -> Grid:
    """A square grid of ``resolution`` x ``resolution`` points around the data ``X`` (N, 2), plus ``margin``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected shape (N, 2) of 2-D points, got {X.shape}")
    resolution = check_int(resolution, "resolution", minimum=2)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)  # (G, G) each; row = y, column = x
    return Grid(xx, yy, np.c_[xx.ravel(), yy.ravel()])


def model_probabilities(model: nn.Module, points: ArrayLike) -> np.ndarray:
    """Class probabilities ``softmax(model(points))``, shape (M, C), with the model in eval mode."""
    model.eval()
    logits = model(points)
    model.train()
    return F.softmax(logits, dim=1)


def probabilities_on_grid(predict_proba: Callable, grid: Grid) -> np.ndarray:
    """Evaluate ``predict_proba`` on the grid; return (G, G) P(class 1) for two classes, else (G, G, C)."""
    p = np.asarray(predict_proba(grid.points), dtype=np.float64)
    if p.ndim == 1:
        p = np.c_[1 - p, p]  # P(class 1) -> (M, 2)
    if p.ndim != 2 or p.shape[0] != len(grid.points):
        raise ValueError(
            f"predict_proba: expected an output of shape ({len(grid.points)},) or "
            f"({len(grid.points)}, C), got {p.shape}"
        )
    G = grid.xx.shape
    return p[:, 1].reshape(G) if p.shape[1] == 2 else p.reshape(*G, p.shape[1])


def hidden_activation_maps(model: nn.Sequential, grid: Grid, max_units: int = 8) -> list[np.ndarray]:
    """Each hidden unit's activation over the grid, from :meth:`dlcourse.nn.Sequential.forward_all`.

    The hidden layers' outputs are the outputs of the activation modules (every module that is not a Linear),
    except a final one. Only the first ``max_units`` units of each layer are kept.

    Returns
    -------
    maps : one array per hidden layer, shape (min(H_l, max_units), G, G)
    """
    model.eval()
    outs = model.forward_all(grid.points)  # one (G*G, H) array per module
    model.train()
    layers = list(model)
    G = grid.xx.shape
    maps = []
    for i, (layer, out) in enumerate(zip(layers[:-1], outs[:-1])):
        if isinstance(layer, nn.Linear):
            continue
        units = out[:, :max_units]  # (G*G, k)
        maps.append(units.T.reshape(units.shape[1], *G))  # (k, G, G)
    return maps


# ---------------------------------------------------------------------------------------------- drawing
def draw_points(
    ax: Axes,
    X: ArrayLike,
    y: ArrayLike,
    *,
    marker: str = "o",
    size: float = 22,
    edge: str = "white",
    label: str | None = None,
) -> None:
    """Scatter the points coloured by class."""
    X, y = np.asarray(X), np.asarray(y)
    for c in np.unique(y):
        ax.scatter(
            X[y == c, 0],
            X[y == c, 1],
            s=size,
            marker=marker,
            c=CLASS_COLOURS[int(c) % len(CLASS_COLOURS)],
            edgecolors=edge,
            linewidths=0.7,
            label=f"{label} class {c}" if label else None,
            zorder=3,
        )


def draw_decision_boundary(
    ax: Axes,
    grid: Grid,
    probs: np.ndarray,
    X: ArrayLike | None = None,
    y: ArrayLike | None = None,
    X_test: ArrayLike | None = None,
    y_test: ArrayLike | None = None,
) -> None:
    """Shade the plane by the model's belief and draw the points.

    Parameters
    ----------
    grid : the grid the probabilities were computed on
    probs : (G, G) P(class 1) — shaded red (class 0) to blue (class 1), with the 0.5 contour drawn — or
        (G, G, C) class probabilities — each point shaded with the colour of its most probable class
    X, y : training points (circles); X_test, y_test : test points (triangles with dark edges), optional
    """
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap

    if probs.ndim == 2:
        cmap = LinearSegmentedColormap.from_list("rb", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]])
        ax.contourf(grid.xx, grid.yy, probs, levels=np.linspace(0, 1, 11), cmap=cmap, alpha=0.65)
        ax.contour(grid.xx, grid.yy, probs, levels=[0.5], colors="0.2", linewidths=1.2)
    else:
        C = probs.shape[-1]
        cmap = ListedColormap(CLASS_COLOURS[:C])
        ax.contourf(grid.xx, grid.yy, probs.argmax(-1), levels=np.arange(C + 1) - 0.5, cmap=cmap, alpha=0.35)
    if X is not None:
        few = len(X) <= 20  # a handful of points (XOR's four): draw them large
        draw_points(ax, X, y, size=130 if few else 22, edge="0.1" if few else "white")
    if X_test is not None:
        draw_points(ax, X_test, y_test, marker="^", size=26, edge="0.15")
    ax.set_xlim(grid.xx.min(), grid.xx.max())
    ax.set_ylim(grid.yy.min(), grid.yy.max())
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_decision_boundary(
    predict_proba: Callable,
    X: ArrayLike,
    y: ArrayLike,
    ax: Axes | None = None,
    *,
    resolution: int = 100,
    margin: float = 0.3,
    title: str | None = None,
) -> Figure | Axes:
    """Decision boundary of any 2-D classifier, with its data.

    Parameters
    ----------
    predict_proba : function (M, 2) -> (M,) P(class 1), or (M, C) class probabilities
    X : (N, 2) points;  y : (N,) labels
    ax : a matplotlib Axes to draw into; None makes a new figure

    Returns
    -------
    The Figure when ``ax`` is None (show it with :func:`dlcourse.viz.show`), else ``ax``.
    """
    fig = None
    if ax is None:
        fig = new_figure(4.2, 4.0)
        ax = fig.add_subplot()
    grid = make_grid(X, resolution, margin)
    draw_decision_boundary(ax, grid, probabilities_on_grid(predict_proba, grid), X, y)
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax


def _draw_unit(ax: Axes, a: np.ndarray, grid: Grid, signed_cmap, positive_cmap) -> None:
    """One unit's (G, G) activation map, on its own colour scale."""
    if a.min() < 0:  # signed units (tanh, leaky ReLU): white at 0
        v = max(float(np.abs(a).max()), 1e-12)
        limits, cmap = (-v, v), signed_cmap
    else:  # non-negative units (ReLU, sigmoid): white at min
        lo, hi = float(a.min()), float(a.max())
        limits, cmap = (lo, max(hi, lo + 1e-12)), positive_cmap
    ax.imshow(a, origin="lower", extent=grid.extent, cmap=cmap, vmin=limits[0], vmax=limits[1])


def draw_activation_maps(
    fig: Figure,
    maps: list[np.ndarray],
    grid: Grid,
    widths: list[int] | None = None,
    title: str = "hidden units",
    columns: int = 4,
) -> None:
    """Small images of every hidden unit's activation over the plane: one block per layer, ``columns`` per row.

    Units that take both signs are drawn red (< 0) to white (0) to blue (> 0); non-negative units (ReLU, sigmoid)
    white (their minimum) to blue (their maximum). Each image has its own scale.

    Parameters
    ----------
    fig : a Figure or SubFigure to draw into
    maps : from :func:`hidden_activation_maps`, one (k, G, G) array per layer
    widths : the layers' true widths, to say how many units are not shown
    """
    from matplotlib.colors import LinearSegmentedColormap

    signed = LinearSegmentedColormap.from_list("rb", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]])
    positive = LinearSegmentedColormap.from_list("wb", ["#f7f7f7", CLASS_COLOURS[1]])
    fig.suptitle(title, fontsize=10)
    if not maps:
        ax = fig.add_subplot()
        ax.text(
            0.5,
            0.5,
            "no hidden layers:\nthe model is one linear layer,\nits boundary a straight line",
            ha="center",
            va="center",
            fontsize=10,
            color="0.3",
        )
        ax.axis("off")
        return
    cols = min(columns, max(m.shape[0] for m in maps))
    rows = [int(np.ceil(m.shape[0] / cols)) for m in maps]  # image rows each layer needs
    blocks = np.atleast_1d(fig.subfigures(len(maps), 1, height_ratios=[r + 0.35 for r in rows]))
    for i, (block, layer_maps, n_rows) in enumerate(zip(blocks, maps, rows)):
        k = layer_maps.shape[0]
        width = widths[i] if widths is not None else k
        block.suptitle(
            f"layer {i + 1}: {width} unit{'s' if width != 1 else ''}" + (f", first {k} shown" if width > k else ""),
            fontsize=8,
        )
        axes = block.subplots(n_rows, cols, squeeze=False)
        for j, ax in enumerate(axes.ravel()):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < k:
                _draw_unit(ax, layer_maps[j], grid, signed, positive)
            else:
                ax.axis("off")
