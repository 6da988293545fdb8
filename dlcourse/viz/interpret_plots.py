"""Chapter 12: the figures of the interpretation chapter: activation statistics per layer, attribution maps side by
side, the completeness error of Integrated Gradients, KernelSHAP's convergence, the cascading randomisation check
and deletion / insertion curves.

Each function takes numbers computed with :mod:`dlcourse.interpret` (or the chapter's cells) and returns a
matplotlib figure; nothing here computes an explanation.

    show(interpret_plots.plot_attributions(images, {"saliency": sal, "Grad-CAM": cam}, titles))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: the methods whose maps keep their sign, drawn red (for the class) and blue (against)
SIGNED = ("gradient × input", "Integrated Gradients", "occlusion", "LIME", "SHAP")


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def plot_activation_stats(activations: Mapping[str, ArrayLike], bins: int = 30) -> Figure:
    """One histogram per layer of the values its output takes over a batch, titled with the mean and the
    fraction of exact zeros (units a ReLU switched off).

    ``activations`` maps a layer's name to its output on the batch (any shape)."""
    if not activations:
        raise ValueError("activations: expected at least one layer")
    names = list(activations)
    fig = new_figure(2.6 * len(names), 2.6)
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    for ax, name in zip(axes, names):
        a = np.asarray(activations[name], dtype=np.float64).ravel()
        ax.hist(a, bins=bins, color="tab:blue")
        ax.set_yscale("log")
        ax.set_title(f"{name}\nmean {a.mean():.2f}, zeros {np.mean(a == 0):.0%}", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("activation values per layer (log count)", fontsize=10)
    return fig


def plot_attributions(
    images: ArrayLike, maps: Mapping[str, ArrayLike], titles: Sequence[str] | None = None, size: float = 1.5
) -> Figure:
    """A grid: one row per image (N, H, W) or (N, 1, H, W), the image first, then each method's map (N, H, W).

    Signed methods (:data:`SIGNED`) are drawn on a symmetric red-blue scale, the others from black to yellow;
    each map on its own scale."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        images = images[:, 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images: expected (N, H, W) or (N, 1, H, W), got shape {np.shape(images)}")
    arrays = {name: np.asarray(m, dtype=np.float64) for name, m in maps.items()}
    for name, m in arrays.items():
        if m.shape != images.shape:
            raise ValueError(f"maps[{name!r}]: expected shape {images.shape} (one map per image), got {m.shape}")
    n, cols = len(images), len(arrays) + 1
    fig = new_figure(size * cols, size * n + 0.4)
    axes = np.asarray(fig.subplots(n, cols)).reshape(n, cols)
    for i in range(n):
        axes[i, 0].imshow(images[i], cmap="gray")
        axes[i, 0].set_title(titles[i] if titles is not None else f"image {i}", fontsize=8)
        for j, (name, m) in enumerate(arrays.items(), start=1):
            a = m[i]
            if name in SIGNED:
                bound = float(np.abs(a).max()) or 1.0
                axes[i, j].imshow(a, cmap="bwr", vmin=-bound, vmax=bound)
            else:
                axes[i, j].imshow(a, cmap="inferno", vmin=0.0, vmax=float(a.max()) or 1.0)
            if i == 0:
                axes[i, j].set_title(name, fontsize=8)
        for ax in axes[i]:
            _bare(ax)
    return fig


def plot_completeness(n_steps: ArrayLike, errors: Mapping[str, ArrayLike]) -> Figure:
    """The completeness error |sum of attributions - (f(x) - f(x'))| of Integrated Gradients against the number of
    steps, one line per quadrature rule, on log-log axes."""
    n = np.asarray(n_steps, dtype=np.float64)
    fig = new_figure(5.2, 3.4)
    ax = fig.subplots()
    for name, e in errors.items():
        e = np.asarray(e, dtype=np.float64)
        if e.shape != n.shape:
            raise ValueError(f"errors[{name!r}]: expected {n.size} values, one per n_steps, got shape {e.shape}")
        ax.loglog(n, np.maximum(e, 1e-17), "o-", label=name)
    ax.set_xlabel("n_steps")
    ax.set_ylabel("|completeness error|")
    ax.set_title("Integrated Gradients: sum of attributions vs f(x) - f(baseline)", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def plot_convergence(n_samples: ArrayLike, errors: ArrayLike, exact_at: int | None = None) -> Figure:
    """KernelSHAP's error against the exact Shapley values as the number of coalitions grows: ``errors`` (S, R),
    one row per sample size and one column per random seed, drawn as the mean with the seeds' spread."""
    n = np.asarray(n_samples, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    if e.ndim != 2 or len(e) != len(n):
        raise ValueError(f"errors: expected shape ({len(n)}, seeds), got {e.shape}")
    fig = new_figure(5.2, 3.4)
    ax = fig.subplots()
    floor = np.maximum(e, 1e-17)
    ax.fill_between(n, floor.min(axis=1), floor.max(axis=1), alpha=0.3, label="range over seeds")
    ax.loglog(n, floor.mean(axis=1), "o-", label="mean")
    if exact_at is not None:
        ax.axvline(exact_at, color="gray", ls="--", lw=1, label=f"all {exact_at} coalitions")
    ax.set_xlabel("coalitions evaluated")
    ax.set_ylabel("max |KernelSHAP - exact|")
    ax.legend(fontsize=8)
    return fig


def plot_randomization(
    image: ArrayLike,
    maps: Mapping[str, Sequence[ArrayLike]],
    correlations: Mapping[str, ArrayLike],
    layers: Sequence[str],
) -> Figure:
    """Adebayo et al.'s cascading randomisation: for one image, each method's map (rows) for the trained model and
    after each layer is re-initialised from the top (columns); and, on the right, each method's mean Spearman
    correlation with its original map against the number of layers randomised.

    ``maps[method]``: L + 1 maps (H, W), the trained model's first; ``correlations[method]``: (L + 1,) means."""
    names = list(maps)
    if not names:
        raise ValueError("maps: expected at least one method")
    steps = len(layers) + 1
    fig = new_figure(1.25 * (steps + 1) + 3.6, 1.25 * len(names) + 0.6)
    grid = fig.add_gridspec(len(names), steps + 4)
    for r, name in enumerate(names):
        if len(maps[name]) != steps:
            raise ValueError(f"maps[{name!r}]: expected {steps} maps (trained, then {len(layers)} randomised)")
        ax = fig.add_subplot(grid[r, 0])
        ax.imshow(np.asarray(image), cmap="gray")
        ax.set_ylabel(name, fontsize=8)
        _bare(ax)
        for c, m in enumerate(maps[name]):
            a = np.abs(np.asarray(m, dtype=np.float64))
            ax = fig.add_subplot(grid[r, c + 1])
            ax.imshow(a, cmap="inferno", vmin=0.0, vmax=float(a.max()) or 1.0)
            _bare(ax)
            if r == 0:
                ax.set_title("trained" if c == 0 else f"+{layers[c - 1]}", fontsize=7)
    ax = fig.add_subplot(grid[:, steps + 1 :])
    for name in names:
        ax.plot(np.arange(steps), np.asarray(correlations[name], dtype=np.float64), "o-", label=name)
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_xticks(np.arange(steps))
    ax.set_xticklabels(["trained", *layers], rotation=45, fontsize=7)
    ax.set_ylim(-0.5, 1.05)
    ax.set_ylabel("Spearman with the trained map", fontsize=8)
    ax.legend(fontsize=7)
    fig.suptitle("cascading randomisation, from the output layer down", fontsize=10)
    return fig


def plot_deletion_insertion(curves: Mapping[str, tuple[ArrayLike, ArrayLike, ArrayLike]]) -> Figure:
    """Deletion (left) and insertion (right) curves: ``curves[method] = (fractions, deletion scores, insertion
    scores)``, each the mean over the images."""
    fig = new_figure(9.0, 3.4)
    ax_del, ax_ins = fig.subplots(1, 2)
    for name, (fractions, deletion, insertion) in curves.items():
        style = "k--" if name == "random" else "-"
        ax_del.plot(fractions, deletion, style, label=name)
        ax_ins.plot(fractions, insertion, style, label=name)
    ax_del.set_title("deletion: hide the most important pixels first (lower is better)", fontsize=8)
    ax_ins.set_title("insertion: reveal the most important pixels first (higher is better)", fontsize=8)
    for ax in (ax_del, ax_ins):
        ax.set_xlabel("fraction of pixels")
        ax.set_ylabel("probability of the class")
        ax.set_ylim(0, 1.02)
    ax_ins.legend(fontsize=7)
    return fig
