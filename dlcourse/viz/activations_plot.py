"""Chapter 01: static figures of a neuron, a network, the activation functions and their derivatives, softmax.

Every function returns a ``matplotlib.figure.Figure`` (show it with :func:`dlcourse.viz.show`). The numbers come
from :mod:`dlcourse.functional`; this module only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import functional as F
from .._validate import check_int
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: leaky ReLU's slope in the plots: PyTorch's default 0.01 would be invisible at this scale
LEAKY_SLOPE_FOR_PLOTS = 0.1


def _derivative(forward_fn, backward_fn, x: np.ndarray) -> np.ndarray:
    """f'(x) elementwise, computed by the backward kernel with an upstream gradient of ones."""
    _, cache = forward_fn(x)
    return backward_fn(np.ones_like(x), cache)


def activation_curves(x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Values and derivatives of the elementwise activations on the points ``x`` (shape (M,)).

    Returns
    -------
    curves : label -> (f(x), f'(x)), each of shape (M,)
    """
    slope = LEAKY_SLOPE_FOR_PLOTS
    pairs = {
        "sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
        "tanh": (F.tanh_forward, F.tanh_backward),
        "ReLU": (F.relu_forward, F.relu_backward),
        f"leaky ReLU (slope {slope})": (lambda v: F.leaky_relu_forward(v, slope), F.leaky_relu_backward),
    }
    return {label: (fwd(x)[0], _derivative(fwd, bwd, x)) for label, (fwd, bwd) in pairs.items()}


def plot_activations(xlim: tuple[float, float] = (-6.0, 6.0), saturation: float = 3.5) -> Figure:
    """Two panels: the four elementwise activations, and their derivatives.

    The shaded bands mark |x| > ``saturation``, where sigmoid and tanh are flat and pass almost no gradient.
    """
    x = np.linspace(*xlim, 801)
    curves = activation_curves(x)
    fig = new_figure(10.0, 3.8)
    ax_f, ax_d = fig.subplots(1, 2, sharex=True)
    styles = ["-", "--", "-", ":"]
    for (label, (y, dy)), style in zip(curves.items(), styles):
        ax_f.plot(x, y, style, lw=2, label=label)
        ax_d.plot(x, dy, style, lw=2, label=label)
    for ax, title in [(ax_f, "activation $f(x)$"), (ax_d, "derivative $f'(x)$")]:
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        for side in (-1, 1):
            lo, hi = sorted((side * saturation, side * abs(xlim[0 if side < 0 else 1])))
            ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.set_title(title)
        ax.set_xlabel("$x$")
        ax.set_xlim(*xlim)
    ax_f.set_ylim(-1.5, 3.0)
    ax_d.set_ylim(-0.1, 1.15)
    ax_f.legend(loc="upper left", fontsize=9)
    ax_d.text(
        0.5 * (saturation + xlim[1]),
        0.45,
        "saturated:\nsigmoid, tanh\nbarely change",
        ha="center",
        fontsize=8,
        color="0.35",
    )
    return fig


def plot_softmax(
    logits: Sequence[float], temperatures: Sequence[float] = (1.0,), labels: Sequence[str] | None = None
) -> Figure:
    """Bar charts: the logits, and ``softmax(logits / T)`` for each temperature T.

    Parameters
    ----------
    logits : (C,) raw scores
    temperatures : values of T; T < 1 sharpens the distribution, T > 1 flattens it
    labels : C class names (default 'class 0', 'class 1', ...)
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"logits: expected a 1-D array of C scores, got shape {z.shape}")
    labels = list(labels) if labels is not None else [f"class {i}" for i in range(len(z))]
    fig = new_figure(3.2 * (1 + len(temperatures)), 3.0)
    axes = np.atleast_1d(fig.subplots(1, 1 + len(temperatures)))
    axes[0].bar(labels, z, color="0.55")
    axes[0].axhline(0, color="0.3", lw=0.8)
    axes[0].set_title("logits $z$")
    for ax, t in zip(axes[1:], temperatures):
        p = F.softmax(z / t)
        bars = ax.bar(labels, p, color="tab:blue")
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(r"softmax$(z)$" if t == 1 else rf"softmax$(z / {t:g})$")
    for ax in axes:
        ax.tick_params(axis="x", labelsize=8)
    return fig


# ----------------------------------------------------------------------------------------------- diagrams
def neuron_diagram(n_inputs: int = 3) -> Figure:
    """One neuron: inputs x_i, weights w_i on the edges, the sum plus bias, the activation, the output y."""
    n_inputs = check_int(n_inputs, "n_inputs", minimum=1, maximum=6)
    from matplotlib.patches import Circle, FancyArrowPatch

    fig = new_figure(5.0, 4.0)
    ax = fig.add_subplot()
    ys = np.linspace(0.85, 0.15, n_inputs) if n_inputs > 1 else np.array([0.5])
    centre = (0.55, 0.5)
    for i, y in enumerate(ys, 1):
        ax.add_patch(Circle((0.1, y), 0.055, fc="#fde0c5", ec="0.3"))
        ax.text(0.1, y, f"$x_{i}$", ha="center", va="center")
        d = np.subtract(centre, (0.1, y))
        d = d / np.linalg.norm(d)  # unit vector from the input to the neuron
        ax.add_patch(
            FancyArrowPatch(
                (0.1 + 0.06 * d[0], y + 0.06 * d[1]),
                np.subtract(centre, 0.095 * d),
                arrowstyle="-|>",
                mutation_scale=10,
                color="0.4",
            )
        )
        ax.text(0.3, 0.5 + 0.6 * (y - 0.5) + 0.04, f"$w_{i}$", ha="center", fontsize=10, color="tab:blue")
    ax.add_patch(Circle(centre, 0.09, fc="#cfe2f3", ec="0.3"))
    ax.text(*centre, r"$\Sigma$" + "\n" + r"$+b$", ha="center", va="center", fontsize=10)
    ax.add_patch(FancyArrowPatch((0.64, 0.5), (0.75, 0.5), arrowstyle="-|>", mutation_scale=10, color="0.4"))
    ax.text(0.8, 0.5, "$f$", ha="center", va="center", fontsize=14, bbox=dict(boxstyle="round", fc="#d9ead3", ec="0.3"))
    ax.add_patch(FancyArrowPatch((0.84, 0.5), (0.95, 0.5), arrowstyle="-|>", mutation_scale=10, color="0.4"))
    ax.text(0.98, 0.5, "$y$", ha="center", va="center", fontsize=12)
    ax.text(
        0.55,
        0.02,
        r"$y = f(w_1 x_1 + \dots + w_D x_D + b) = f(\mathbf{w}\cdot\mathbf{x} + b)$",
        ha="center",
        fontsize=11,
    )
    ax.set_xlim(0, 1.03)
    ax.set_ylim(-0.05, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


def network_diagram(sizes: Sequence[int], max_units: int = 8, names: Sequence[str] | None = None) -> Figure:
    """A fully connected feedforward network: one column of units per layer, every unit wired to the next layer.

    Parameters
    ----------
    sizes : units per layer, input first, e.g. (2, 4, 4, 2)
    max_units : columns with more units show only this many (the caption says so)
    names : one caption per layer (default: input layer, hidden layer 1, ..., output layer)
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes: expected at least two positive layer sizes, got {sizes}")
    if names is None:
        names = ["input layer"] + [f"hidden layer {i}" for i in range(1, len(sizes) - 1)] + ["output layer"]
    colours = ["#fde0c5"] + ["#cfe2f3"] * (len(sizes) - 2) + ["#d9ead3"]
    fig = new_figure(1.9 * len(sizes) + 1.0, 3.6)
    ax = fig.add_subplot()
    shown = [min(s, max_units) for s in sizes]
    top = max(shown)
    # unit j of layer i sits at (i, y): each column centred vertically
    pos = [[(i, (top - 1) / 2 + (n - 1) / 2 - j) for j in range(n)] for i, n in enumerate(shown)]
    for left, right in zip(pos[:-1], pos[1:]):
        for a in left:
            for b in right:
                ax.plot([a[0], b[0]], [a[1], b[1]], color="0.75", lw=0.7, zorder=1)
    for i, (col, n, colour) in enumerate(zip(pos, sizes, colours)):
        xs, ys = zip(*col)
        ax.scatter(xs, ys, s=380, c=colour, edgecolors="0.3", zorder=2)
        count = f"{n} unit{'s' if n != 1 else ''}" + (f" ({len(col)} shown)" if n > len(col) else "")
        ax.text(i, -0.6, f"{names[i]}\n{count}", ha="center", va="top", fontsize=9)
    ax.annotate("", xy=(len(sizes) - 0.6, top), xytext=(-0.4, top), arrowprops=dict(arrowstyle="-|>", color="0.4"))
    ax.text((len(sizes) - 1) / 2, top + 0.15, "forward pass", ha="center", va="bottom", fontsize=9, color="0.3")
    ax.set_xlim(-0.6, len(sizes) - 0.4)
    ax.set_ylim(-1.5, top + 0.6)
    ax.axis("off")
    return fig
