"""Chapter 13: the trade-off of compression in one figure: each model's accuracy against the bytes it needs
(left, logarithmic) and against its latency (right).

    show(tradeoff_figure({"original": (0.97, 24_360, 7.1), "int8 per channel": (0.97, 6_728, 7.1), ...}))

Every function returns a ``matplotlib.figure.Figure``; show it with :func:`dlcourse.viz.show`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._validate import check_fraction
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def tradeoff_figure(rows: Mapping[str, Sequence[float]], *, latency_label: str = "latency (ms)") -> Figure:
    """Accuracy against size and against latency, one labelled point per model.

    Parameters
    ----------
    rows : model name -> (accuracy in [0, 1], size in bytes > 0, latency > 0, ...); further values are ignored,
        so a row of the chapter's table can be passed as it is
    latency_label : the right panel's x label (the unit and what was timed)
    """
    if not isinstance(rows, Mapping) or not rows:
        raise ValueError(f"rows: expected a non-empty dict of name -> (accuracy, bytes, latency), got {rows!r}")
    names, accuracy, size, latency = [], [], [], []
    for name, row in rows.items():
        if len(row) < 3:
            raise ValueError(f"rows[{name!r}]: expected (accuracy, bytes, latency, ...), got {tuple(row)}")
        a = check_fraction(row[0], f"rows[{name!r}] accuracy", closed=True)
        b, t = float(row[1]), float(row[2])
        if not (b > 0 and t > 0 and np.isfinite(b) and np.isfinite(t)):
            raise ValueError(f"rows[{name!r}]: expected a positive size and latency, got {b} and {t}")
        names.append(name)
        accuracy.append(a)
        size.append(b)
        latency.append(t)
    fig = new_figure(12.0, 4.5)
    left, right = fig.subplots(1, 2, sharey=True)
    colours = [f"C{i % 10}" for i in range(len(names))]
    for ax, x, label in ((left, size, "size (bytes, log scale)"), (right, latency, latency_label)):
        ax.scatter(x, accuracy, c=colours, s=60, zorder=3)
        for xi, yi, name in zip(x, accuracy, names):
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(6, 4), fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.grid(True, which="both", alpha=0.3)
    left.set_ylabel("test accuracy")
    left.set_title("accuracy against size")
    right.set_title("accuracy against latency")
    low = min(accuracy)
    left.set_ylim(max(0.0, low - 0.08), 1.01)
    fig.tight_layout()
    return fig
