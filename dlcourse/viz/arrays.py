"""Chapter 00: pictures of the (N, D) batch and its axes, broadcasting, and floating-point spacing.

Figures are returned, never shown; a notebook displays one with ``dlcourse.viz.show(fig)``. Two widgets:
:class:`BroadcastExplorer` (pick two shapes, see the result or the clash) and :class:`FloatExplorer` (type a
number, pick a dtype, see where it lands among the representable numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import numpy as np

from ..arrays import BroadcastExplanation, explain_broadcast
from ..numerics import FLOAT_DTYPES, neighbours, rounding_error
from .core import InteractiveFigure, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_REAL, _COPY, _CLASH = "#9ecae1", "#eef5fb", "#d62728"
_DTYPE_COLORS = {"float16": "#2ca02c", "float32": "#ff7f0e", "float64": "#1f77b4"}


# ------------------------------------------------------------------------------------------- grids of cells
def _grid(
    ax: Axes,
    values: np.ndarray,
    shape: tuple,
    title: str,
    *,
    clash: tuple = (),
    real_color: str = _REAL,
    frame: tuple | None = None,
) -> None:
    """Draw ``values`` (2-D, the operand as stored) stretched to ``shape``: stored cells solid, copies faded.

    ``frame`` (rows, cols) fixes the axes' extent, so that panels side by side share one cell size.
    """
    from matplotlib.patches import Rectangle

    rows, cols = shape
    r, c = values.shape
    for i in range(rows):
        for j in range(cols):
            stored = (i < r and (r > 1 or i == 0)) and (j < c and (c > 1 or j == 0))
            value = values[i if r > 1 else 0, j if c > 1 else 0]
            ax.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=real_color if stored else _COPY,
                    edgecolor="#333333" if stored else "#999999",
                    linestyle="-" if stored else "--",
                    linewidth=1.2,
                )
            )
            ax.text(
                j + 0.5,
                i + 0.5,
                f"{value:g}",
                ha="center",
                va="center",
                fontsize=10,
                color="#111111" if stored else "#888888",
            )
    for axis in clash:  # outline the clashing axis in red
        ax.add_patch(Rectangle((0, 0), cols, rows, fill=False, edgecolor=_CLASH, linewidth=3))
        ax.annotate(
            f"{'rows' if axis == 0 else 'columns'}: {shape[axis]}",
            (cols / 2, rows + 0.15),
            ha="center",
            va="top",
            color=_CLASH,
            fontsize=10,
        )
    frame_rows, frame_cols = frame or (rows, cols)
    ax.set_xlim(-0.2, max(frame_cols, 1) + 0.2)
    ax.set_ylim(max(frame_rows, 1) + 0.8, -0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def _as_2d(shape: tuple) -> tuple:
    return (1,) * (2 - len(shape)) + tuple(shape)


def _operand(shape: tuple, scale: float) -> np.ndarray:
    """Small readable values for a diagram: 1, 2, 3 ... times ``scale``, as a 2-D array."""
    rows, cols = _as_2d(shape)
    return (np.arange(rows * cols).reshape(rows, cols) + 1) * scale


def draw_broadcast(fig: Figure, explanation: BroadcastExplanation) -> None:
    """Three panels, A, B and A + B, each stretched to the broadcast shape; or the clash, outlined in red."""
    a, b = explanation.shape_a, explanation.shape_b
    if max(len(a), len(b)) > 2 or max(a + b + (1,)) > 8:
        raise ValueError(f"shapes: the diagram draws shapes of at most 2 axes and size 8, got {a} and {b}")
    A, B = _operand(a, 1.0), _operand(b, 10.0)
    axes = fig.subplots(1, 3)
    if explanation.shape is not None:
        out = _as_2d(explanation.shape)
        _grid(axes[0], A, out, f"A: {a}" + (f" → {out}" if _as_2d(a) != out else ""))
        _grid(
            axes[1],
            B,
            out,
            f"B: {b}" + (f" → {_as_2d(b)}" if len(b) < 2 else "") + (f" → {out}" if _as_2d(b) != out else ""),
        )
        _grid(axes[2], A + B, out, f"A + B: {explanation.shape}", real_color="#c7e9c0")
        fig.suptitle(
            "Broadcasting: solid cells are stored, dashed cells are virtual copies (no memory used)", fontsize=10
        )
    else:
        axis2d = 2 + explanation.clash_axis  # -1 -> columns (1), -2 -> rows (0)
        frame = (max(A.shape[0], B.shape[0]), max(A.shape[1], B.shape[1]))
        _grid(axes[0], A, A.shape, f"A: {a}", clash=(axis2d,), frame=frame)
        _grid(axes[1], B, B.shape, f"B: {b}" + (f" → {_as_2d(b)}" if len(b) < 2 else ""), clash=(axis2d,), frame=frame)
        axes[2].axis("off")
        axes[2].text(
            0.5,
            0.5,
            "ValueError\n\n" + _wrap(explanation.message, 34),
            ha="center",
            va="center",
            fontsize=9,
            color=_CLASH,
            transform=axes[2].transAxes,
        )
        fig.suptitle("These shapes do not broadcast", fontsize=10)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def broadcast_figure(shape_a: int | Sequence[int], shape_b: int | Sequence[int]) -> Figure:
    """A Figure explaining how arrays of ``shape_a`` and ``shape_b`` broadcast (shapes of at most 2 axes)."""
    fig = new_figure(9.0, 3.2)
    draw_broadcast(fig, explain_broadcast(shape_a, shape_b))
    return fig


def batch_axes_figure(n: int = 5, d: int = 3) -> Figure:
    """The (N, D) batch convention: rows are samples, columns features; what ``axis=0`` and ``axis=1`` reduce."""
    X = np.arange(n * d).reshape(n, d) % 7 + 1.0
    fig = new_figure(9.0, 3.6)
    ax_x, ax_0, ax_1 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [d + 1.5, d + 1, d + 1]})
    _grid(ax_x, X, X.shape, f"X, shape (N, D) = ({n}, {d})\nrow n: sample n\ncolumn d: feature d")
    _grid(
        ax_0,
        X.mean(axis=0, keepdims=True),
        (1, d),
        f"X.mean(axis=0, keepdims=True)\nshape (1, {d}):\none mean per feature",
        real_color="#fdd0a2",
        frame=(n, d),
    )
    _grid(
        ax_1,
        X.sum(axis=1, keepdims=True),
        (n, 1),
        f"X.sum(axis=1, keepdims=True)\nshape ({n}, 1):\none sum per sample",
        real_color="#c7e9c0",
        frame=(n, d),
    )
    ax_x.annotate(
        "",
        xy=(d + 0.15, n + 0.45),
        xytext=(d + 0.15, -0.1),
        arrowprops={"arrowstyle": "->", "color": "#d94801", "lw": 2},
    )
    ax_x.text(d + 0.3, n / 2, "axis 0", rotation=90, va="center", color="#d94801")
    ax_x.annotate(
        "", xy=(d, n + 0.45), xytext=(0, n + 0.45), arrowprops={"arrowstyle": "->", "color": "#238b45", "lw": 2}
    )
    ax_x.text(d / 2, n + 0.75, "axis 1", ha="center", color="#238b45")
    ax_x.set_xlim(-0.2, d + 0.8)
    return fig


# ------------------------------------------------------------------------------------------- floating point
def _spacing_curve(dtype: str, magnitudes: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        x = magnitudes.astype(dtype)
        gap = np.spacing(x).astype(np.float64)
    gap[~np.isfinite(x.astype(np.float64)) | (x == 0)] = np.nan
    return gap


def draw_float_spacing(ax: Axes, highlight: dict | None = None) -> None:
    """Spacing between neighbouring representable numbers against magnitude, for float16, float32, float64."""
    magnitudes = np.logspace(-10, 10, 801)
    for dtype in FLOAT_DTYPES:
        eps = np.finfo(dtype).eps
        ax.loglog(
            magnitudes,
            _spacing_curve(dtype, magnitudes),
            color=_DTYPE_COLORS[dtype],
            label=f"{dtype} (eps = {eps:.1e})",
        )
    ax.loglog(magnitudes, magnitudes, color="#999999", linestyle=":", label="spacing = |x| (no digits left)")
    if highlight is not None and np.isfinite(highlight["spacing"]) and highlight["stored"] != 0:
        ax.plot(
            [abs(float(highlight["stored"]))],
            [highlight["spacing"]],
            "o",
            markersize=9,
            color="black",
            markerfacecolor="none",
            markeredgewidth=2,
            label="your number",
        )
    ax.set_xlabel("|x|")
    ax.set_ylabel("gap to the next representable number")
    ax.set_title("Spacing grows with magnitude; relative spacing ≈ eps", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)


def float_spacing_figure() -> Figure:
    """The spacing of float16, float32 and float64 numbers from 1e-10 to 1e10, on log-log axes."""
    fig = new_figure(6.4, 4.0)
    draw_float_spacing(fig.subplots())
    return fig


def finite_difference_figure(h: np.ndarray, errors: dict) -> Figure:
    """Error of a centred difference against the step h, one curve per dtype (``errors``: dtype -> (K,) array)."""
    fig = new_figure(6.4, 4.0)
    ax = fig.subplots()
    for dtype, err in errors.items():
        err = np.maximum(np.asarray(err, dtype=np.float64), 1e-18)
        ax.loglog(h, err, "o-", markersize=3, color=_DTYPE_COLORS.get(dtype), label=dtype)
        best = int(np.argmin(err))
        ax.annotate(
            f"best {err[best]:.0e} at h = {h[best]:.0e}",
            (h[best], err[best]),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=8,
            color=_DTYPE_COLORS.get(dtype),
        )
    lowest = min(float(np.min(np.maximum(np.asarray(e, dtype=np.float64), 1e-18))) for e in errors.values())
    ax.set_ylim(bottom=lowest / 10)
    ax.set_xlabel("step h")
    ax.set_ylabel("|numerical - true derivative|")
    ax.set_title("Centred differences: rounding (left) against truncation (right)", fontsize=10)
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


def _short(value) -> str:
    """The shortest decimal that rounds back to ``value`` in its dtype, without exponent for moderate sizes."""
    if 1e-4 <= abs(float(value)) < 1e9:
        return np.format_float_positional(value, trim="-")
    return str(value)


def draw_number_line(ax: Axes, result: dict) -> None:
    """The representable numbers around ``result['stored']`` as ticks, and where the typed value falls."""
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if result.get("error") or result["overflow"] or result["underflow"]:
        text = result.get("error") or (
            f"{result['value']} overflows {result['dtype']}: the largest finite value is "
            f"{np.finfo(result['dtype']).max:g}, so it becomes inf"
            if result["overflow"]
            else f"{result['value']} underflows {result['dtype']}: the smallest positive value is "
            f"{np.finfo(result['dtype']).smallest_subnormal:g}, so it becomes 0"
        )
        ax.text(0.5, 0.5, _wrap(text, 40), ha="center", va="center", transform=ax.transAxes, color=_CLASH)
        ax.set_xticks([])
        return
    stored = Decimal(float(result["stored"]))
    unit = Decimal(result["spacing"])
    values = result["neighbours"]
    pos = [float((Decimal(float(v)) - stored) / unit) for v in values]
    ax.plot([min(pos) - 0.5, max(pos) + 0.5], [0, 0], color="#333333", lw=1)
    ax.plot(pos, np.zeros(len(pos)), "|", markersize=28, color=_DTYPE_COLORS[result["dtype"]], mew=2)
    true = float((Decimal(result["value"]) - stored) / unit)
    ax.plot([true], [0.02], "v", color=_CLASH, markersize=11, label=f"typed: {result['value']}")
    exact = result["exact"] if len(result["exact"]) <= 22 else result["exact"][:21] + "…"
    ax.plot([0], [-0.02], "^", color="black", markersize=9, label=f"stored: {exact}")
    ax.set_xticks(pos)
    ax.set_xticklabels([_short(v) for v in values], rotation=35, ha="right", fontsize=8)
    ax.set_ylim(-0.1, 0.12)
    ax.set_xlabel(f"neighbouring {result['dtype']} numbers, {result['spacing']:.3g} apart")
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    ax.set_title(f"Rounding to {result['dtype']}: relative error {result['rel_error']:.1e}", fontsize=10)


# ------------------------------------------------------------------------------------------- widgets
BROADCAST_SHAPES = ("(3, 4)", "(3, 1)", "(1, 4)", "(4,)", "(3,)", "(1,)", "()", "(4, 1)", "(2, 4)", "(1, 1)")


def parse_shape(text: str) -> tuple:
    """'(3, 4)' -> (3, 4); '()' -> (); '(4,)' -> (4,). Raises ValueError naming the text."""
    inner = text.strip().strip("()").strip()
    try:
        return tuple(int(s) for s in inner.split(",") if s.strip()) if inner else ()
    except ValueError:
        raise ValueError(f"shape: expected something like '(3, 4)', got {text!r}") from None


class BroadcastExplorer(InteractiveFigure):
    """Pick the shapes of A and B; see A + B's shape with every stretched copy drawn, or where they clash.

    ``result`` is a :class:`dlcourse.arrays.BroadcastExplanation` (``result.shape`` is None on a clash).
    """

    figsize = (9.0, 3.4)

    def __init__(self, shape_a: str = "(3, 4)", shape_b: str = "(4,)") -> None:
        import ipywidgets as widgets

        controls = {
            "shape_a": widgets.Dropdown(options=BROADCAST_SHAPES, value=shape_a, description="A"),
            "shape_b": widgets.Dropdown(options=BROADCAST_SHAPES, value=shape_b, description="B"),
        }
        super().__init__(controls)

    def compute(self, shape_a: str, shape_b: str) -> BroadcastExplanation:
        return explain_broadcast(parse_shape(shape_a), parse_shape(shape_b))

    def draw(self, fig: Figure, result: BroadcastExplanation) -> None:
        draw_broadcast(fig, result)

    def summary(self, result: BroadcastExplanation) -> str:
        return result.message


class FloatExplorer(InteractiveFigure):
    """Type a decimal number and pick a dtype: see the number stored, its rounding error and its neighbours.

    ``result`` is a dict: ``dtype``, ``value``, ``stored`` (the dtype value), ``stored_str``, ``exact`` (its
    exact decimal expansion), ``abs_error``, ``rel_error``, ``spacing``, ``eps``, ``overflow``, ``underflow``,
    ``neighbours`` (7 representable numbers around it) and ``error`` (a message for unreadable input, else None).
    """

    figsize = (10.0, 4.0)

    def __init__(self, value: str = "0.1", dtype: str = "float32") -> None:
        import ipywidgets as widgets

        controls = {
            "value": widgets.Text(value=value, description="number", continuous_update=False),
            "dtype": widgets.Dropdown(options=FLOAT_DTYPES, value=dtype, description="dtype"),
        }
        super().__init__(controls)

    def compute(self, value: str, dtype: str) -> dict:
        base = {"dtype": dtype, "value": value.strip(), "eps": float(np.finfo(dtype).eps), "error": None}
        try:
            number = Decimal(value.strip().replace("_", ""))
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            return {
                **base,
                "error": f"'{value}' is not a finite decimal number (try 0.1, 1e-8 or 16777217)",
                "stored": np.nan,
                "stored_str": "",
                "exact": "",
                "abs_error": np.nan,
                "rel_error": np.nan,
                "spacing": np.nan,
                "overflow": False,
                "underflow": False,
                "neighbours": np.array([]),
            }
        info = rounding_error(str(number), dtype)
        finite = not (info["overflow"] or info["underflow"])
        return {
            **base,
            **info,
            "stored_str": str(info["stored"]),
            "neighbours": neighbours(info["stored"], dtype, 3) if finite else np.array([]),
        }

    def draw(self, fig: Figure, result: dict) -> None:
        left, right = fig.subplots(1, 2)
        draw_float_spacing(left, None if result["error"] else result)
        draw_number_line(right, result)

    def summary(self, result: dict) -> str:
        if result["error"]:
            return result["error"]
        if result["overflow"]:
            return f"{result['value']} is too large for {result['dtype']}: it becomes inf"
        return (
            f"{result['value']} is stored in {result['dtype']} as <code>{result['exact']}</code> "
            f"(relative error {result['rel_error']:.1e}; eps = {result['eps']:.1e})"
        )
