"""Chapter 08: attention you can watch: type an input, see where every output position looks, per layer and head.

The viewer draws one attention map, a matrix of weights with a row per query (output) position and a column per
key (input) position, each row summing to 1; a bright cell (i, j) means that position i took most of its
information from position j. Any model can be shown: the viewer calls ``attend(text)``, which returns the input
and output tokens and the weights of every layer and head (:class:`AttentionMaps`), as the chapter's models do
with ``nn.MultiheadAttention(..., need_weights=True, average_attn_weights=False)``.

    from dlcourse.viz.attention_map import AttentionViewer
    AttentionViewer(model.attention_maps, "12 March 2019")     # last in a cell: the live widget, or its PNG

Headless: ``v.controls["text"].value = "march 3, 2021"; v.result.weights``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_int
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class AttentionMaps:
    """What a model attended to for one input: its tokens and the weights of every layer and head.

    ``weights`` is (layers, heads, len(queries), len(keys)); each row is a probability distribution over the keys.
    """

    keys: list[str]  # the tokens attended to (the input)
    queries: list[str]  # the tokens attending (the output, or the input again in self-attention)
    weights: np.ndarray  # (layers, heads, Q, K)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        if w.ndim != 4 or w.shape[2:] != (len(self.queries), len(self.keys)):
            raise ValueError(
                f"weights: expected shape (layers, heads, {len(self.queries)}, {len(self.keys)}) for "
                f"{len(self.queries)} queries and {len(self.keys)} keys, got {w.shape}"
            )
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not np.allclose(w.sum(axis=-1), 1.0, atol=1e-6):
            raise ValueError("weights: expected every row to be a probability distribution (>= 0, summing to 1)")
        self.weights = w


def _label(token: str) -> str:
    """A token as an axis label: a space shows as ␣."""
    return token.replace(" ", "\u2423") if token.strip() == "" else token


def draw(fig: Figure, maps: AttentionMaps, layer: int, head: int | None) -> None:
    """The map of one layer and head (``head`` None: the mean over the heads), tokens on both axes."""
    w = maps.weights[layer].mean(axis=0) if head is None else maps.weights[layer, head]
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(w, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
    ax.set_xticks(np.arange(len(maps.keys)))
    ax.set_xticklabels([_label(k) for k in maps.keys], fontsize=8)
    ax.set_yticks(np.arange(len(maps.queries)))
    ax.set_yticklabels([_label(q) for q in maps.queries], fontsize=8)
    ax.set_xlabel("attended to (keys)")
    ax.set_ylabel("attending (queries)")
    which = "mean over the heads" if head is None else f"head {head + 1} of {maps.weights.shape[1]}"
    ax.set_title(f"layer {layer + 1} of {maps.weights.shape[0]}, {which}")


class AttentionViewer(InteractiveFigure):
    """Type an input; pick a layer and a head (0: their mean); see the attention map the model computed."""

    figsize = (8.0, 6.0)

    def __init__(self, attend: Callable[[str], AttentionMaps], text: str, *, layers: int, heads: int) -> None:
        import ipywidgets as w

        if not callable(attend):
            raise ValueError(f"attend: expected a function text -> AttentionMaps, got {type(attend).__name__}")
        self.attend = attend
        self.layers = check_int(layers, "layers", minimum=1)
        self.heads = check_int(heads, "heads", minimum=1)
        style = {"description_width": "initial"}
        controls = {
            "text": w.Text(value=str(text), description="input", continuous_update=False, style=style),
            "layer": w.IntSlider(
                value=1, min=1, max=self.layers, description="layer", continuous_update=False, style=style
            ),
            "head": w.IntSlider(
                value=0, min=0, max=self.heads, description="head (0 = mean)", continuous_update=False, style=style
            ),
        }
        super().__init__(controls)

    def compute(self, text: str = "", layer: int = 1, head: int = 0) -> tuple[AttentionMaps, int, int | None]:
        maps = self.attend(text)
        if not isinstance(maps, AttentionMaps):
            raise ValueError(f"attend: expected it to return AttentionMaps, got {type(maps).__name__}")
        if maps.weights.shape[:2] != (self.layers, self.heads):
            raise ValueError(
                f"attend: returned weights for {maps.weights.shape[0]} layers and {maps.weights.shape[1]} heads, "
                f"expected {self.layers} and {self.heads}"
            )
        return maps, layer - 1, (head - 1 if head > 0 else None)

    def draw(self, fig: Figure, result: tuple[AttentionMaps, int, int | None]) -> None:
        draw(fig, *result)

    def summary(self, result: tuple[AttentionMaps, int, int | None]) -> str:
        maps, layer, head = result
        w = maps.weights[layer].mean(axis=0) if head is None else maps.weights[layer, head]
        looks = [maps.keys[j] for j in w.argmax(axis=1)]
        pairs = ", ".join(f"{q}\u2192{k}" for q, k in list(zip(maps.queries, looks))[:12])
        return f"where each query looks most: {pairs}" + (" ..." if len(looks) > 12 else "")

    @property
    def maps(self) -> AttentionMaps:
        """The current input's maps."""
        return self.result[0]


def self_attention_maps(layers: list[Any], x: np.ndarray, tokens: list[str]) -> AttentionMaps:
    """The self-attention maps of a stack of ``nn.MultiheadAttention`` layers applied in turn to ``x``.

    Parameters
    ----------
    layers : the attention layers (each maps (T, E) to (T, E), unbatched)
    x : (T, E), the embedded tokens
    tokens : the T tokens, for the axes

    Each layer's output is the next layer's input (no feed-forward block in between): a stand-in for a model's
    encoder when only its attention is of interest, and how the tests drive the viewer.
    """
    weights = []
    for layer in layers:
        x, w = layer(x, x, x, need_weights=True, average_attn_weights=False)  # w: (heads, T, T)
        weights.append(w)
    return AttentionMaps(list(tokens), list(tokens), np.stack(weights))
