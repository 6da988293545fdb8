"""Chapter 16: the figures of the GPT chapter: pretraining curves, and the embedding lookup as a matrix product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_lm_curves(history: Mapping[str, Sequence[float]], title: str = "pretraining") -> Figure:
    """Training and validation loss (cross-entropy per token, nats) against the step, from ``train_lm``'s history,
    with ln V, the loss of uniform guessing, when ``history`` has ``"vocab_size"``."""
    for key in ("step", "train", "val"):
        if key not in history:
            raise ValueError(f"history: expected the keys 'step', 'train' and 'val', missing {key!r}")
    fig = new_figure(7.0, 3.6)
    ax = fig.subplots()
    ax.plot(history["step"], history["train"], "o-", label="training batches")
    ax.plot(history["step"], history["val"], "s--", label="validation batches")
    if "vocab_size" in history:
        ax.axhline(np.log(history["vocab_size"]), color="grey", lw=0.8, ls=":", label="uniform guess, ln V")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy per token (nats)")
    ax.set_title(title)
    ax.legend()
    return fig


def plot_one_hot_lookup(ids: Sequence[int], weight: np.ndarray) -> Figure:
    """Three panels: the one-hot matrix of ``ids`` (n, V), the table ``weight`` (V, D), and their product (n, D),
    which is the table's rows picked by the ids."""
    ids = np.asarray(ids, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    one_hot = np.eye(weight.shape[0])[ids]
    fig = new_figure(9.0, 3.0)
    axes = fig.subplots(1, 3, width_ratios=(weight.shape[0], weight.shape[1], weight.shape[1]))
    for ax, arr, title in zip(
        axes, (one_hot, weight, one_hot @ weight), ("one-hot (n, V)", "table W (V, D)", "one-hot @ W = W[ids]")
    ):
        ax.imshow(arr, cmap="coolwarm", vmin=-np.abs(weight).max(), vmax=np.abs(weight).max())
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_yticks(range(len(ids)), [f"id {i}" for i in ids], fontsize=8)
    return fig
