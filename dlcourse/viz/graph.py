"""Chapter 02: computational graphs of :class:`dlcourse.autograd.Tensor` expressions, drawn with matplotlib (no
graphviz).

Each node is a box: its name or operation, its value (or shape, for arrays) and, after ``backward()``, its gradient
in red. Arrows run from inputs to outputs; the backward pass runs against them. Leaves sit in the left column, the
output on the right; within a column nodes are ordered by the height of their consumers, which keeps edges short.

    from dlcourse.autograd import Tensor
    from dlcourse.viz import graph, show
    x, w = Tensor(2.0, name="x"), Tensor(-3.0, name="w")
    loss = (w * x).tanh(); loss.backward()
    show(graph.plot_graph(loss))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..autograd import Tensor
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

VALUE_COLOR, GRAD_COLOR, LEAF_COLOR, OP_COLOR = "#222222", "#c0392b", "#e8f1fb", "#f4f4f4"


@dataclass
class GraphLayout:
    """Where every node goes: ``nodes`` in topological order, ``pos[i] = (column, row)`` for ``nodes[i]``."""

    nodes: list[Tensor]
    pos: list[tuple[float, float]]
    edges: list[tuple[int, int]]  # (parent index, child index)
    columns: int


def graph_layout(root: Tensor) -> GraphLayout:
    """Columns by depth (a node's column is one more than its deepest parent's), rows by consumers' heights."""
    nodes = root.topological_order()
    index = {id(n): i for i, n in enumerate(nodes)}
    depth = [0] * len(nodes)
    for i, node in enumerate(nodes):  # parents come first in topological order
        depth[i] = 1 + max((depth[index[id(p)]] for p in node.parents), default=-1)
    # leaves that feed a deep node move right, next to their consumer, so that no arrow crosses the whole figure
    children: dict[int, list[int]] = {i: [] for i in range(len(nodes))}
    edges = []
    for i, node in enumerate(nodes):
        for p in node.parents:
            children[index[id(p)]].append(i)
            edges.append((index[id(p)], i))
    for i, node in enumerate(nodes):
        if not node.parents and children[i]:
            depth[i] = min(depth[c] for c in children[i]) - 1
    columns = max(depth) + 1
    row = [0.0] * len(nodes)
    for col in range(columns - 1, -1, -1):  # right to left: consumers are placed first
        members = [i for i in range(len(nodes)) if depth[i] == col]
        key = {i: np.mean([row[c] for c in children[i]]) if children[i] else 0.0 for i in members}
        members.sort(key=lambda i: (key[i], i))
        for k, i in enumerate(members):
            row[i] = k - (len(members) - 1) / 2
    return GraphLayout(nodes, [(float(depth[i]), float(row[i])) for i in range(len(nodes))], edges, columns)


def _fmt(array: np.ndarray, compact: bool = False) -> str:
    if array.size == 1:
        return f"{float(array.reshape(-1)[0]):.4g}"
    return ("" if compact else "shape ") + "×".join(str(s) for s in array.shape)


def node_text(node: Tensor, show_grad: bool = True, compact: bool = False) -> tuple[str, str | None]:
    """(the black lines: label and value, the red line: gradient or None) of a node's box. Unnamed leaves are
    constants; ``compact`` drops the word 'shape' and shortens the gradient, for large graphs."""
    label = node.name or node.op or "const"
    if node.name and node.op:
        label = f"{node.name} = {node.op}"
    value = _fmt(node.data, compact)
    grad = None
    if show_grad and node.grad is not None:
        if node.grad.size == 1:
            grad = ("" if compact else "grad ") + f"{float(node.grad.reshape(-1)[0]):.4g}"
        else:
            grad = f"|g| ≤ {np.abs(node.grad).max():.2g}" if compact else f"grad |max| {np.abs(node.grad).max():.3g}"
    return f"{label}\n{value}", grad


def edge_derivatives(layout: GraphLayout) -> list[float | None]:
    """The local derivative d(child)/d(parent) of every edge of a graph of scalars (None for array nodes)."""
    out = []
    seen: dict[int, int] = {}
    for parent, child in layout.edges:
        node = layout.nodes[child]
        k = seen.get(child, 0)
        seen[child] = k + 1
        local = node.local_gradients()
        out.append(float(np.sum(local[k])) if node.size == 1 and layout.nodes[parent].size == 1 else None)
    return out


def draw_graph(
    ax: Axes, root: Tensor, *, show_grad: bool = True, edge_labels: bool = False, fontsize: float = 9.0
) -> GraphLayout:
    """Draw the graph that produced ``root`` on ``ax``; returns the layout. ``edge_labels`` writes each edge's local
    derivative (graphs of scalars only)."""
    layout = graph_layout(root)
    compact = len(layout.nodes) > 12
    fontsize = fontsize - 1.5 if compact else fontsize
    xs = np.array([p[0] for p in layout.pos]) * 2.2
    ys = -np.array([p[1] for p in layout.pos]) * 1.3
    derivatives = edge_derivatives(layout) if edge_labels else [None] * len(layout.edges)
    for (parent, child), d in zip(layout.edges, derivatives):
        ax.annotate(
            "",
            xy=(xs[child], ys[child]),
            xytext=(xs[parent], ys[parent]),
            arrowprops=dict(arrowstyle="-|>", color="#7f8c8d", lw=1.1, shrinkA=24, shrinkB=24),
        )
        if d is not None:
            mx, my = 0.45 * xs[parent] + 0.55 * xs[child], 0.45 * ys[parent] + 0.55 * ys[child]
            ax.text(mx, my + 0.13, f"×{d:.3g}", ha="center", va="bottom", fontsize=fontsize - 1, color="#2471a3")
    for i, node in enumerate(layout.nodes):
        text, grad = node_text(node, show_grad, compact)
        face = LEAF_COLOR if not node.parents else OP_COLOR
        ax.text(
            xs[i],
            ys[i] + (0.12 if grad else 0.0),
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            color=VALUE_COLOR,
            bbox=dict(boxstyle="round,pad=0.45", fc=face, ec="#95a5a6"),
        )
        if grad:
            ax.text(xs[i], ys[i] - 0.42, grad, ha="center", va="center", fontsize=fontsize - 0.5, color=GRAD_COLOR)
    pad = 1.2
    ax.set_xlim(xs.min() - pad, xs.max() + pad)
    ax.set_ylim(ys.min() - 0.9, ys.max() + 0.8)
    ax.set_axis_off()
    return layout


def plot_graph(
    root: Tensor,
    *,
    show_grad: bool = True,
    edge_labels: bool = False,
    title: str | None = None,
    width: float | None = None,
    height: float | None = None,
) -> Figure:
    """A Figure of the computational graph of ``root`` (values in black, gradients in red after backward, and with
    ``edge_labels`` the local derivatives in blue)."""
    layout = graph_layout(root)
    rows = max(sum(1 for p in layout.pos if p[0] == c) for c in range(layout.columns))
    per_column = 0.8 if len(layout.nodes) > 12 else 1.9
    fig = new_figure(width or max(4.0, per_column * layout.columns + 0.6), height or max(2.2, 1.05 * rows + 0.9))
    ax = fig.subplots()
    draw_graph(ax, root, show_grad=show_grad, edge_labels=edge_labels)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_graphs(
    panels: Sequence[tuple[Tensor, str]],
    *,
    show_grad: bool = True,
    edge_labels: bool = False,
    width: float = 11.0,
    height: float = 3.2,
) -> Figure:
    """Several small graphs side by side; ``panels`` is a list of (root, title)."""
    fig = new_figure(width, height)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (root, title) in zip(axes, panels):
        draw_graph(ax, root, show_grad=show_grad, edge_labels=edge_labels, fontsize=8.5)
        ax.set_title(title, fontsize=10)
    return fig
