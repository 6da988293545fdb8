"""Chapter 14: the flatten-order explorer, where one feature-map entry lands in PyTorch's and in Keras's vector.

A Flatten after a convolution turns maps of shape (C, H, W) into a vector. PyTorch and dlcourse read the maps
channels first, so entry (c, h, w) lands at index c·HW + h·W + w; Keras reads them channels last, (H, W, C), so the
same entry lands at (h·W + w)·C + c. The first Dense layer after the Flatten must have its kernel's rows reordered
accordingly. The figure draws both vectors, coloured by channel, with the chosen entry marked; the order comes from
:func:`dlcourse.frameworks.keras_weights` itself (a Linear layer whose weights are the numbers 0, 1, 2, ...).

    from dlcourse.viz.frameworks_plots import FlattenOrderExplorer
    FlattenOrderExplorer()                     # last in a cell: the live widget, or its PNG

Headless: ``e.controls["c"].value = 2; e.result.keras_index``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import nn
from ..frameworks import keras_weights
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class FlattenOrder:
    """Where each entry of (C, H, W) maps lands: ``order[k]`` is the PyTorch index read at Keras position k."""

    shape: tuple[int, int, int]  # (C, H, W)
    entry: tuple[int, int, int]  # the chosen (c, h, w)
    torch_index: int  # c·HW + h·W + w
    keras_index: int  # (h·W + w)·C + c
    order: np.ndarray  # (C·H·W,) int: PyTorch's index of the entry at each Keras position


def flatten_order(channels: int, height: int, width: int) -> np.ndarray:
    """PyTorch's flat index of the entry at each position of Keras's flattened vector, from ``keras_weights``:
    the rows of a ported Dense kernel whose PyTorch weights are 0, 1, 2, ... (one output)."""
    size = channels * height * width
    linear = nn.Linear(size, 1, rng=0)
    linear.params["weight"][...] = np.arange(size, dtype=np.float64)[None, :]
    kernel = keras_weights(nn.Sequential(nn.Flatten(), linear), (channels, height, width))[0]  # (size, 1)
    return kernel[:, 0].astype(np.int64)


class FlattenOrderExplorer(InteractiveFigure):
    """Choose the maps' channels and an entry (c, h, w); see its index in both flattened vectors."""

    figsize = (9.0, 4.2)

    def __init__(self, channels: int = 3, height: int = 4, width: int = 4) -> None:
        import ipywidgets as w

        style = {"description_width": "initial"}

        def slider(name: str, value: int, top: int) -> w.IntSlider:
            return w.IntSlider(value=value, min=0, max=top, description=name, continuous_update=False, style=style)

        self.height, self.width = height, width
        controls = {
            "channels": w.IntSlider(
                value=channels, min=1, max=6, description="channels C", continuous_update=False, style=style
            ),
            "c": slider("c", 1, 5),
            "h": slider("h", 2, height - 1),
            "w": slider("w", 1, width - 1),
        }
        super().__init__(controls)

    def compute(self, channels: int = 3, c: int = 1, h: int = 2, w: int = 1) -> FlattenOrder:
        c = min(c, channels - 1)
        order = flatten_order(channels, self.height, self.width)
        torch_index = c * self.height * self.width + h * self.width + w
        keras_index = int(np.flatnonzero(order == torch_index)[0])
        return FlattenOrder((channels, self.height, self.width), (c, h, w), torch_index, keras_index, order)

    def draw(self, fig: Figure, result: FlattenOrder) -> None:
        import matplotlib.pyplot as plt

        channels, height, width = result.shape
        size = channels * height * width
        colours = plt.get_cmap("tab10")(np.arange(channels) % 10)
        torch_channel = np.arange(size) // (height * width)
        keras_channel = result.order // (height * width)
        axes = fig.subplots(2, 1)
        for ax, channel_of, index, title in (
            (axes[0], torch_channel, result.torch_index, "PyTorch / dlcourse: Flatten of (C, H, W)"),
            (axes[1], keras_channel, result.keras_index, "Keras: Flatten of (H, W, C)"),
        ):
            ax.bar(np.arange(size), np.ones(size), width=1.0, color=colours[channel_of], edgecolor="white")
            ax.bar([index], [1.0], width=1.0, color="none", edgecolor="black", linewidth=2.5)
            ax.set_xlim(-0.5, size - 0.5)
            ax.set_yticks([])
            ax.set_title(f"{title}: entry {result.entry} at index {index}", fontsize=10)
        axes[1].set_xlabel("position in the flattened vector (colour: channel)")

    def summary(self, result: FlattenOrder) -> str:
        c, h, w = result.entry
        channels, height, width = result.shape
        return (
            f"entry (c, h, w) = ({c}, {h}, {w}) of ({channels}, {height}, {width}) maps: PyTorch index "
            f"{c}·{height * width} + {h}·{width} + {w} = {result.torch_index}; Keras index "
            f"({h}·{width} + {w})·{channels} + {c} = {result.keras_index}"
        )
