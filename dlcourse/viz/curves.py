"""Chapter 03: learning curves, one run's history, several runs overlaid, two runs compared step by step, a live loss
plot for ``fit``'s callback, and a gallery of the images being learned.

Every ``plot_*`` function returns a ``matplotlib.figure.Figure``; show it with :func:`dlcourse.viz.show`.
:class:`LiveLossPlot` displays itself while training runs and leaves its last picture as a plain PNG output, so
an exported or printed notebook keeps the final curves.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_positive_int
from .core import StaticFigure, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_TRAIN, _VAL = "tab:blue", "tab:orange"


def _check_history(history, name: str = "history") -> Mapping[str, Sequence[float]]:
    if not isinstance(history, Mapping) or "loss" not in history:
        raise ValueError(
            f"{name}: expected a dict with at least a 'loss' list (what train.fit returns), got "
            f"{type(history).__name__}"
        )
    return history


def draw_history(
    ax_loss: Axes, ax_acc: Axes, history: Mapping[str, Sequence[float]], *, mark_best: bool = True
) -> None:
    """Training (and validation) loss on ``ax_loss``, accuracy on ``ax_acc`` (either may be None)."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        if ax is None or key not in history:
            continue
        ax.plot(epochs, history[key], color=_TRAIN, label=f"training {label}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], color=_VAL, label=f"validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if mark_best and "val_loss" in history and ax_loss is not None and len(history["val_loss"]):
        best = int(np.nanargmin(history["val_loss"]))
        for ax in (ax_loss, ax_acc):
            if ax is not None:
                ax.axvline(best + 1, color="grey", ls=":", lw=1)
        ax_loss.annotate(
            f"lowest validation loss\n(epoch {best + 1})",
            (best + 1, history["val_loss"][best]),
            xytext=(0.55, 0.75),
            textcoords="axes fraction",
            fontsize=8,
            color="grey",
            arrowprops=dict(arrowstyle="->", color="grey"),
        )


def plot_history(history: Mapping[str, Sequence[float]], title: str | None = None) -> Figure:
    """Loss and accuracy per epoch of one ``train.fit`` run, training and (if present) validation."""
    history = _check_history(history)
    fig = new_figure(10, 3.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    draw_history(ax_loss, ax_acc if "accuracy" in history else None, history)
    if "accuracy" not in history:
        ax_acc.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def plot_histories(
    histories: Mapping[str, Mapping],
    metrics: Sequence[str] = ("loss", "val_loss"),
    *,
    steps_per_epoch: Mapping[str, float] | None = None,
    logy: bool = False,
    title: str | None = None,
) -> Figure:
    """Several runs overlaid, one panel per metric (e.g. one run per batch size).

    Parameters
    ----------
    histories : run label -> history dict (from ``train.fit``)
    metrics : history keys to plot, one panel each
    steps_per_epoch : run label -> parameter updates per epoch; when given, the x axis counts updates, not epochs
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError(f"histories: expected a non-empty dict label -> history, got {type(histories).__name__}")
    for label, h in histories.items():
        _check_history(h, f"histories[{label!r}]")
        missing = [m for m in metrics if m not in h]
        if missing:
            raise ValueError(f"histories[{label!r}]: no {missing} in it (keys: {sorted(h)})")
    fig = new_figure(4.2 * len(metrics) + 0.6, 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    colors = [f"C{i}" for i in range(10)]
    for ax, metric in zip(axes, metrics):
        for (label, h), color in zip(histories.items(), colors * 10):
            x = np.arange(1, len(h[metric]) + 1, dtype=float)
            if steps_per_epoch is not None:
                x = x * steps_per_epoch[label]
            ax.plot(x, h[metric], color=color, label=label)
        ax.set_xlabel("parameter updates" if steps_per_epoch is not None else "epoch")
        ax.set_ylabel(metric.replace("_", " "))
        if logy:
            ax.set_yscale("log")
        if steps_per_epoch is not None:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_side_by_side(
    curves: Mapping[str, Sequence[float]], *, xlabel: str = "step", ylabel: str = "loss", title: str | None = None
) -> Figure:
    """Two runs of the same computation overlaid (top) and their absolute difference on a log scale (bottom)."""
    if not isinstance(curves, Mapping) or len(curves) != 2:
        raise ValueError(
            f"curves: expected a dict of exactly two labelled curves, got {len(curves)!r} curves"
            if isinstance(curves, Mapping)
            else f"curves: expected a dict, got {type(curves).__name__}"
        )
    (label_a, a), (label_b, b) = ((k, np.asarray(v, dtype=np.float64)) for k, v in curves.items())
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"curves: expected two 1-D curves of the same length, got shapes {a.shape} and {b.shape}")
    x = np.arange(1, len(a) + 1)
    fig = new_figure(9, 4.6)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 1])
    top.plot(x, a, color="tab:blue", lw=2.5, alpha=0.6, label=label_a)
    top.plot(x, b, color="black", lw=1, ls="--", label=label_b)
    top.set_ylabel(ylabel)
    top.legend()
    top.grid(alpha=0.3)
    diff = np.abs(a - b)
    floor = np.finfo(np.float64).eps * max(np.abs(a).max(), 1e-300)
    bottom.semilogy(x, np.maximum(diff, floor / 10), color="tab:red", lw=1)
    bottom.axhline(floor, color="grey", ls=":", lw=1)
    bottom.text(x[-1], floor, " float64 eps × max|loss|", va="bottom", ha="right", fontsize=8, color="grey")
    bottom.set_ylabel("|difference|")
    bottom.set_xlabel(xlabel)
    bottom.set_title(f"max |{label_a} − {label_b}| = {diff.max():.1e}", fontsize=9)
    bottom.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_examples(
    X: ArrayLike,
    y: ArrayLike,
    predictions: ArrayLike | None = None,
    *,
    n: int = 30,
    ncols: int = 10,
    title: str | None = None,
) -> Figure:
    """A gallery of 8x8 digit images with their labels; with ``predictions``, wrong ones are marked in red.

    X : (N, 64) or (N, 1, 8, 8) pixel values;  y, predictions : (N,) labels
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim < 2 or X[0].size != 64 or len(X) != len(y):
        raise ValueError(f"X: expected (N, 64) digit images matching y of length {len(y)}, got shape {X.shape}")
    n = min(n, len(X))
    nrows = max(1, -(-n // ncols))
    fig = new_figure(ncols * 0.9, nrows * 1.05 + (0.4 if title else 0))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(X[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=max(1.0, float(X[i].max())))
        if predictions is None:
            ax.set_title(str(y[i]), fontsize=9)
        else:
            wrong = predictions[i] != y[i]
            ax.set_title(
                f"{predictions[i]} (true {y[i]})" if wrong else str(predictions[i]),
                fontsize=8,
                color="tab:red" if wrong else "black",
            )
    if title:
        fig.suptitle(title)
    return fig


class LiveLossPlot:
    """A loss plot redrawn while ``train.fit`` runs: pass it as ``callback``.

        live = LiveLossPlot(epochs=40)
        history = train.fit(model, X, y, epochs=40, ..., validation_data=(X_val, y_val), callback=live)

    In a notebook the (empty) picture appears as soon as the plot is made and is replaced in place (an IPython
    display handle) every ``every`` epochs and at the last one; what stays in the saved notebook is an ordinary PNG
    of the final curves, so HTML exports and printouts have them. Outside IPython nothing is displayed;
    ``live.figure`` holds the latest figure and ``live.updates`` counts the redraws after epochs.

    Parameters
    ----------
    epochs : the run's length, to fix the x axis and always draw the last epoch
    every : redraw every this many epochs (drawing costs ~0.1 s; keep it a few per run)
    """

    def __init__(self, epochs: int | None = None, every: int = 1, title: str | None = None) -> None:
        epochs = None if epochs is None else check_positive_int(epochs, "epochs")
        every = check_positive_int(every, "every")
        self.epochs, self.every, self.title = epochs, every, title
        self.figure = None
        self.updates = 0
        self.seconds = 0.0
        self._handle = None
        self._draw({"loss": [], "accuracy": []}, 0)  # the empty axes show at once, above a progress bar

    def __call__(self, epoch: int, history: Mapping[str, Sequence[float]]) -> None:
        if epoch % self.every and epoch != self.epochs:
            return
        start = time.perf_counter()
        self._draw(_check_history(history), epoch)
        self.updates += 1
        self.seconds += time.perf_counter() - start

    def _draw(self, history, epoch: int) -> None:
        fig = new_figure(10, 3.4)
        ax_loss, ax_acc = fig.subplots(1, 2)
        draw_history(ax_loss, ax_acc if "accuracy" in history else None, history, mark_best=False)
        if not history["loss"]:
            ax_loss.set_ylabel("loss")
            ax_acc.set_ylabel("accuracy")
        if self.epochs:
            for ax in (ax_loss, ax_acc):
                ax.set_xlim(0.5, self.epochs + 0.5)
        fig.suptitle(
            (self.title + " · " if self.title else "")
            + (
                f"epoch {epoch}" + (f" of {self.epochs}" if self.epochs else "")
                if epoch
                else "waiting for the first epoch"
            ),
            fontsize=10,
        )
        self.figure = fig
        self._display(StaticFigure(fig))

    def _display(self, picture: StaticFigure) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython comes with Jupyter
            return
        if get_ipython() is None:  # a plain Python process: nothing to display into
            return
        if self._handle is None:
            self._handle = display(picture, display_id=True)
        else:
            self._handle.update(picture)
