"""Chapter 15's figures: the degradation of deep plain networks against residual ones, gradient norms per layer,
the learning-rate range with and without batch norm, and accuracy against the number of labels in transfer
learning."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def depth_figure(
    depths: Sequence[int], losses: Mapping[str, Sequence[float]], grad_norms: Mapping[str, Sequence[float]]
) -> Figure:
    """Left: final training loss against depth, one line per kind ("plain", "residual"). Right: the gradient norm
    of every hidden layer at initialisation in the deepest networks (log scale)."""
    fig = new_figure(11, 3.8)
    ax1, ax2 = fig.subplots(1, 2)
    for name, values in losses.items():
        ax1.plot(depths, values, "o-", label=name)
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(list(depths), [str(d) for d in depths])
    ax1.set_xlabel("hidden layers")
    ax1.set_ylabel("training loss after the same budget")
    ax1.legend()
    for name, values in grad_norms.items():
        ax2.semilogy(np.arange(1, len(values) + 1), values, ".-", label=name)
    ax2.set_xlabel("hidden layer (input side to output side)")
    ax2.set_ylabel("gradient norm of its weight at initialisation")
    ax2.legend()
    return fig


def lr_figure(lrs: Sequence[float], results: Mapping[str, Sequence[float]], ylabel: str) -> Figure:
    """One line per network (with / without batch norm): a result against the learning rate (log scale)."""
    fig = new_figure(6, 3.6)
    ax = fig.subplots()
    for name, values in results.items():
        ax.semilogx(lrs, values, "o-", label=name)
    ax.set_xlabel("learning rate")
    ax.set_ylabel(ylabel)
    ax.legend()
    return fig


def transfer_figure(labels: Sequence[str], results: Mapping[str, np.ndarray], chance: float) -> Figure:
    """Mean test accuracy ± one standard deviation over seeds (the columns of each array) against the labels per
    class used, one line per method."""
    fig = new_figure(6.5, 3.8)
    ax = fig.subplots()
    x = np.arange(len(labels))
    for i, (name, acc) in enumerate(results.items()):
        ax.errorbar(x + 0.05 * (i - 1), acc.mean(1), yerr=acc.std(1), marker="o", capsize=3, label=name)
    ax.axhline(chance, color="grey", ls=":", label="chance")
    ax.set_xticks(x, list(labels))
    ax.set_xlabel("labelled examples per class of the new task")
    ax.set_ylabel("test accuracy (mean ± std over seeds)")
    ax.set_ylim(0, 1.05)
    ax.legend()
    return fig
