"""Chapter 06: figures of scaling, PCA and whitening, eigen-digits, augmented images, the augmentation experiment.

Every function computes with dlcourse (``preprocess``, ``augment``) and returns a matplotlib Figure; show it with
``dlcourse.viz.show(fig)``. The widget is :class:`dlcourse.viz.augment_explorer.AugmentationExplorer`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from ..augment import functional as AF
from ..preprocess import PCA, ZCA
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DIGIT_CMAP = "gray_r"  # ink dark on white paper, as the digits were written
SIGNED_CMAP = "RdBu_r"  # components and whitened images: blue negative, red positive


def to_rgb(img: np.ndarray) -> np.ndarray:
    """(C, H, W) with C = 1 or 3 -> what imshow takes: (H, W) or (H, W, 3) clipped to [0, 1]."""
    return img[0] if img.shape[0] == 1 else np.clip(img.transpose(1, 2, 0), 0.0, 1.0)


def draw_image(
    ax: Axes,
    img: np.ndarray,
    title: str | None = None,
    *,
    cmap: str = DIGIT_CMAP,
    vmin: float = 0.0,
    vmax: float = 1.0,
    fontsize: float = 8,
) -> None:
    """One (C, H, W) image on ``ax`` without ticks (grey images with ``cmap``)."""
    ax.imshow(to_rgb(img), cmap=cmap if img.shape[0] == 1 else None, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=fontsize)


# ------------------------------------------------------------------------------------------ scaling
def feature_scales_figure(
    X: ArrayLike, transformed: Mapping[str, np.ndarray], feature_names: Sequence[str] | None = None
) -> Figure:
    """Box plots of every feature, raw and after each preprocessing in ``transformed`` (name -> (N, D) array)."""
    X = np.asarray(X, dtype=np.float64)
    panels = {"raw features": X, **transformed}
    fig = new_figure(11.0, 3.2)
    axes = fig.subplots(1, len(panels))
    names = list(feature_names) if feature_names is not None else [str(i) for i in range(X.shape[1])]
    for ax, (title, data) in zip(np.atleast_1d(axes), panels.items()):
        try:  # matplotlib >= 3.10
            ax.boxplot(data, orientation="horizontal", widths=0.6, flierprops={"markersize": 2})
        except TypeError:  # older: the same, spelled vert=False
            ax.boxplot(data, vert=False, widths=0.6, flierprops={"markersize": 2})
        ax.set_yticks(np.arange(1, len(names) + 1), names if ax is np.atleast_1d(axes)[0] else [], fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        if title == "raw features":
            ax.set_xscale("symlog", linthresh=1.0)
            ax.set_xlabel("value (symmetric log scale)", fontsize=8)
    return fig


def learning_rate_sweep_figure(
    losses: Mapping[str, Sequence[float]], lrs: Sequence[float], *, ylabel: str = "training loss after the last epoch"
) -> Figure:
    """Final training loss against the learning rate, one line per preprocessing (name -> losses per lr)."""
    fig = new_figure(6.4, 3.6)
    ax = fig.subplots()
    for name, values in losses.items():
        ax.plot(lrs, values, "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    return fig


# ------------------------------------------------------------------------------------------ PCA
def _draw_cloud(
    ax: Axes, Z: np.ndarray, colours: np.ndarray, title: str, lim: float, axes_from: PCA | None = None
) -> None:
    ax.scatter(Z[:, 0], Z[:, 1], s=7, c=colours, cmap="hsv", vmin=-np.pi, vmax=np.pi, alpha=0.8, linewidths=0)
    if axes_from is not None:
        for k, (v, lam) in enumerate(zip(axes_from.components_, axes_from.explained_variance_)):
            end = axes_from.mean_ + 2 * np.sqrt(lam) * v
            ax.plot(*np.stack([axes_from.mean_, end]).T, color="black", lw=2.5, zorder=5)
            ax.plot(*end, marker="o", ms=5, color="black", zorder=5)
    cov = np.cov(Z.T)
    ax.set_title(f"{title}\ncov = [[{cov[0, 0]:.2f}, {cov[0, 1]:.2f}], [{cov[1, 0]:.2f}, {cov[1, 1]:.2f}]]", fontsize=9)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.tick_params(labelsize=7)


def pca_whitening_figure(X: ArrayLike, epsilon: float = 0.0) -> Figure:
    """Correlated 2-D data (N, 2) four ways: raw with its principal axes (lines 2 standard deviations long),
    projected onto the principal axes (PCA), PCA-whitened, and ZCA-whitened. Each point keeps the colour of its
    direction from the mean in the raw data, so rotations show as turning colours."""
    X = np.asarray(X, dtype=np.float64)
    pca = PCA().fit(X)
    colours = np.arctan2(X[:, 1] - pca.mean_[1], X[:, 0] - pca.mean_[0])  # (N,) angle in the raw data
    panels = [
        (X, "data and principal axes", pca),
        (pca.transform(X), "PCA: rotated onto the axes", None),
        (PCA(whiten=True).fit_transform(X), "PCA whitening", None),
        (ZCA(epsilon).fit_transform(X), "ZCA whitening", None),
    ]
    lim = 1.1 * max(np.abs(Z).max() for Z, _, _ in panels)
    fig = new_figure(12.0, 3.6)
    for ax, (Z, title, axes_from) in zip(fig.subplots(1, 4), panels):
        _draw_cloud(ax, Z, colours, title, lim, axes_from)
    return fig


def eigen_digits_figure(pca: PCA, n: int = 10, image_shape: tuple = (8, 8)) -> Figure:
    """The mean digit and the first ``n`` principal components as images, and the cumulative explained variance."""
    fig = new_figure(11.0, 4.2)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.25])
    axes = top.subplots(1, n + 1)
    draw_image(axes[0], pca.mean_.reshape(1, *image_shape), "mean", vmin=None, vmax=None)
    for k, ax in enumerate(axes[1:]):
        comp = pca.components_[k].reshape(1, *image_shape)
        lim = np.abs(comp).max()
        draw_image(
            ax, comp, f"PC{k + 1}\n{pca.explained_variance_ratio_[k]:.1%}", cmap=SIGNED_CMAP, vmin=-lim, vmax=lim
        )
    ax = bottom.subplots()
    ratio = np.cumsum(pca.explained_variance_ratio_)
    ax.plot(np.arange(1, len(ratio) + 1), ratio, "o-", ms=3)
    for level in (0.8, 0.9, 0.95):
        k = int(np.searchsorted(ratio, level)) + 1
        ax.axhline(level, color="0.7", lw=0.8, ls="--")
        ax.annotate(
            f"{level:.0%}: {k} components",
            (k, level),
            xytext=(k + 2, level - 0.12),
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "0.4"},
        )
    ax.set_xlabel("number of components K")
    ax.set_ylabel("fraction of variance")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    return fig


def reconstruction_figure(
    X: ArrayLike, pca: PCA, ks: Sequence[int] = (1, 2, 5, 10, 20, 40), n: int = 6, image_shape: tuple = (8, 8)
) -> Figure:
    """The first ``n`` rows of X (N, D) rebuilt from their first K principal coordinates, for each K in ``ks``."""
    X = np.asarray(X, dtype=np.float64)[:n]
    Z = pca.transform(X)  # (n, K_max)
    fig = new_figure(1.1 * (len(ks) + 1), 1.15 * n + 0.3)
    axes = fig.subplots(n, len(ks) + 1, squeeze=False)
    for i in range(n):
        for j, k in enumerate(ks):
            rebuilt = pca.mean_ + Z[i, :k] @ pca.components_[:k]  # (D,)
            draw_image(axes[i, j], rebuilt.reshape(1, *image_shape), f"K = {k}" if i == 0 else None)
        draw_image(axes[i, -1], X[i].reshape(1, *image_shape), "original" if i == 0 else None)
    return fig


def whitened_digits_figure(X: ArrayLike, X_white: ArrayLike, n: int = 8, image_shape: tuple = (8, 8)) -> Figure:
    """Digits (top row) and their whitened versions (bottom row, signed colours)."""
    fig = new_figure(1.1 * n, 2.6)
    axes = fig.subplots(2, n)
    for i in range(n):
        draw_image(axes[0, i], np.asarray(X[i]).reshape(1, *image_shape), "digit" if i == 0 else None)
        w = np.asarray(X_white[i]).reshape(1, *image_shape)
        lim = np.abs(w).max()
        draw_image(axes[1, i], w, "ZCA-whitened" if i == 0 else None, cmap=SIGNED_CMAP, vmin=-lim, vmax=lim)
    return fig


# ------------------------------------------------------------------------------------------ augmentation
def inverse_mapping_figure(shape: tuple = (8, 8), angle: float = 30.0, scale: float = 1.0) -> Figure:
    """Where every output pixel of a rotation reads the input: the input's pixel centres (grey) and the source
    positions of the output pixels (red), inside and outside the image."""
    from matplotlib.patches import Rectangle

    h, w = shape
    rows, cols = AF.affine_source_coords((1, 1, h, w), angle=angle, scale=scale)
    fig = new_figure(4.6, 4.9)
    ax = fig.subplots()
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    ax.scatter(cc, rr, s=30, color="0.6", label="input pixel centres")
    inside = (rows[0] >= 0) & (rows[0] <= h - 1) & (cols[0] >= 0) & (cols[0] <= w - 1)
    ax.scatter(cols[0][inside], rows[0][inside], s=14, color="tab:red", label="source positions (interpolated)")
    ax.scatter(
        cols[0][~inside], rows[0][~inside], s=14, facecolor="none", edgecolor="tab:red", label="outside: fill value"
    )
    ax.add_patch(Rectangle((-0.5, -0.5), w, h, fill=False, lw=1.2, color="0.3"))
    ax.set_xlim(-3, w + 2)
    ax.set_ylim(h + 2, -3)  # row 0 at the top
    ax.set_aspect("equal")
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(f"rotate by {angle:g}°: output pixel (r, c) reads the input here", fontsize=9)
    fig.legend(fontsize=7, loc="outside lower center", ncol=2)
    return fig


def transform_gallery_figure(
    digits: np.ndarray, photo: np.ndarray, transforms: Mapping[str, Callable], rng: Seed, n_digits: int = 5
) -> Figure:
    """One row per transform (the first row unchanged): ``n_digits`` digits (N, 1, 8, 8) and the photo (1, 3, H, W),
    each transformed by ``transform(x, rng)``."""
    rows = {"original": None, **transforms}
    fig = new_figure(1.0 * n_digits + 2.6, 1.05 * len(rows) + 0.2)
    grid = fig.add_gridspec(len(rows), n_digits + 2, width_ratios=[1] * n_digits + [0.15, 2.3])
    for i, (name, t) in enumerate(rows.items()):
        d = digits[:n_digits] if t is None else t(digits[:n_digits], rng)
        p = photo if t is None else t(photo, rng)
        for j in range(n_digits):
            ax = fig.add_subplot(grid[i, j])
            draw_image(ax, d[j])
            if j == 0:
                ax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        draw_image(fig.add_subplot(grid[i, -1]), p[0])
    return fig


def experiment_figure(results: Mapping[str, Mapping[str, Sequence[float]]], *, chance: float | None = None) -> Figure:
    """Accuracy per seed (dots joined across conditions, so paired runs show) with mean ± std, one panel per
    evaluation set. ``results``: evaluation set -> condition -> accuracies (one per seed)."""
    fig = new_figure(5.0 * len(results), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(results)))
    for ax, (title, by_condition) in zip(axes, results.items()):
        names = list(by_condition)
        values = np.array([by_condition[name] for name in names], dtype=np.float64)  # (conditions, seeds)
        xs = np.arange(len(names))
        ax.plot(xs, values, "-", color="0.75", lw=0.8, zorder=1)
        ax.scatter(np.repeat(xs, values.shape[1]), values.ravel(), s=14, color="tab:blue", zorder=2)
        ax.errorbar(
            xs + 0.12,
            values.mean(axis=1),
            yerr=values.std(axis=1, ddof=1),
            fmt="o",
            color="tab:red",
            capsize=4,
            zorder=3,
            label="mean ± std",
        )
        for x, v in zip(xs, values):
            ax.annotate(f"{v.mean():.1%}", (x + 0.18, v.mean()), fontsize=8, va="center")
        ax.set_xticks(xs, names, fontsize=8)
        ax.set_xlim(-0.4, len(names) - 0.3)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("accuracy")
        ax.grid(alpha=0.3, axis="y")
        if chance is not None:
            ax.axhline(chance, color="0.5", ls=":", lw=1)
    axes[0].legend(fontsize=8, loc="best")
    return fig
