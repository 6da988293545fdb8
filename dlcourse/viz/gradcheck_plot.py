r"""Chapter 02: finite differences up close: the error of a centred difference against the step h, and the
gradient-check explorer.

The centred difference :math:`(f(x+h) - f(x-h))/2h` has two errors. **Truncation**: Taylor's theorem leaves
:math:`f'''(x)\,h^2/6`, which shrinks as h does. **Round-off**: f(x ± h) are each stored with an error of about
:math:`\varepsilon |f(x)|`, and x ± h itself is rounded, so the difference carries about
:math:`\varepsilon |f(x)| / h`, which *grows* as h shrinks. The total is smallest near
:math:`h^* \approx (3\varepsilon|f|/|f'''|)^{1/3}`. With float64 (:math:`\varepsilon \approx 2.2\times10^{-16}`) that
is about 1e-5 and an error near 1e-11; with float32 (:math:`\varepsilon \approx 1.2\times10^{-7}`) about 1e-2 and an
error near 1e-5, as large as a real bug.

All numbers come from :func:`dlcourse.numerics.centred_difference_error` and dlcourse's activation kernels; this
module only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import functional as F
from .._validate import check_choice, check_positive_number
from ..numerics import as_float_dtype, centred_difference_error
from .core import InteractiveFigure, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DTYPE_COLORS = {"float32": "tab:orange", "float64": "tab:blue"}
STEPS = np.logspace(-13, -0.5, 51)  # (K,) the steps h of the error curves


def _sigmoid_d1(x):
    return F.sigmoid_backward(np.ones_like(x), F.sigmoid_forward(x)[1])  # s (1 - s), by dlcourse's kernel


def _sigmoid_d3(x):
    s = F.sigmoid(x)
    return s * (1 - s) * (1 - 6 * s + 6 * s**2)


def _tanh_d1(x):
    return F.tanh_backward(np.ones_like(x), F.tanh_forward(x)[1])  # 1 - tanh^2, by dlcourse's kernel


def _tanh_d3(x):
    t = F.tanh(x)
    return -2 * (1 - t**2) * (1 - 3 * t**2)


#: name -> (f, which keeps its input's dtype; f' in float64; f''' in float64, for the truncation estimate)
FUNCTIONS = {
    "sigmoid": (F.sigmoid, _sigmoid_d1, _sigmoid_d3),
    "tanh": (F.tanh, _tanh_d1, _tanh_d3),
    "exp": (np.exp, np.exp, np.exp),
    "sin": (np.sin, np.cos, lambda x: -np.cos(x)),
}


@dataclass
class GradCheckResult:
    """One setting of the explorer: the error curves, the estimate at the chosen step, and a zoom on f near x."""

    function: str
    dtype: str
    x: float
    h: float
    steps: np.ndarray  # (K,)
    rel_errors: dict[str, np.ndarray]  # dtype -> (K,) relative error of the centred difference at each step
    truncation: np.ndarray  # (K,) |f'''| h^2 / 6 / |f'|, the truncation model (relative)
    roundoff: dict[str, np.ndarray]  # dtype -> (K,) eps |f| / h / |f'|, the round-off model (relative)
    numerical: float  # the centred difference at (x, h) in dtype
    analytic: float  # f'(x) in float64
    offsets: np.ndarray  # (M,) t in [-2h, 2h]
    f_offsets: np.ndarray  # (M,) f(x + t) - f(x), computed in dtype
    best_step: dict[str, float]  # dtype -> the step with the smallest error

    @property
    def rel_error(self) -> float:
        return abs(self.numerical - self.analytic) / max(abs(self.analytic), 1e-300)


def gradcheck_study(
    function: str = "sigmoid", dtype: str = "float32", x: float = 1.0, h: float = 1e-6, steps: np.ndarray = STEPS
) -> GradCheckResult:
    """Everything the explorer shows for one function, dtype, point and step (numbers only)."""
    check_choice(function, "function", sorted(FUNCTIONS))
    dt = as_float_dtype(dtype)
    h = check_positive_number(h, "h", what="a positive step")
    f, d1, d3 = FUNCTIONS[function]
    x, h = float(x), float(h)
    exact = float(d1(np.array(x)))
    scale = max(abs(exact), 1e-300)
    rel = {name: centred_difference_error(f, d1, x, steps, name) / scale for name in ("float32", "float64")}
    f_x = abs(float(f(np.array(x))))
    roundoff = {name: np.finfo(name).eps * max(f_x, 1e-300) / steps / scale for name in ("float32", "float64")}
    truncation = abs(float(d3(np.array(x)))) * steps**2 / 6 / scale
    xs, hs = dt.type(x), dt.type(h)
    with np.errstate(all="ignore"):
        numerical = float((f(np.array(xs + hs)) - f(np.array(xs - hs))) / (dt.type(2) * hs))
        offsets = np.linspace(-2 * h, 2 * h, 401)
        f_offsets = (f((xs + offsets.astype(dt)).astype(dt)) - f(np.array(xs))).astype(np.float64)
    best = {name: float(steps[int(np.nanargmin(err))]) for name, err in rel.items()}
    return GradCheckResult(
        function, dt.name, x, h, steps, rel, truncation, roundoff, numerical, exact, offsets, f_offsets, best
    )


def draw_error_curves(ax: Axes, result: GradCheckResult, highlight: str | None = None, models: bool = True) -> None:
    """Relative error against h, one curve per dtype, with the truncation and round-off models dashed."""
    floor = 1e-17
    for name, err in result.rel_errors.items():
        strong = highlight in (None, name)
        ax.loglog(
            result.steps,
            np.maximum(err, floor),
            "o-",
            ms=2.5,
            lw=1.6 if strong else 1.0,
            alpha=1.0 if strong else 0.35,
            color=DTYPE_COLORS[name],
            label=f"{name} (best h ≈ {result.best_step[name]:.0e})",
        )
        if models and strong:
            ax.loglog(result.steps, result.roundoff[name], "--", lw=0.9, color=DTYPE_COLORS[name], alpha=0.8)
    if models:
        ax.loglog(
            result.steps,
            np.maximum(result.truncation, floor),
            "k--",
            lw=0.9,
            alpha=0.7,
            label="truncation  |f'''| h² / 6",
        )
        ax.plot([], [], "--", color="grey", label="round-off  ε |f| / h")
    ax.set_ylim(1e-14, 1e6)
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the centred difference")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", ncol=2)


def error_vs_step_figure(function: str = "sigmoid", x: float = 1.0) -> Figure:
    """The error of the centred difference of ``function`` at ``x`` against h, in float32 and float64."""
    result = gradcheck_study(function, "float64", x)
    fig = new_figure(7.0, 4.4)
    ax = fig.subplots()
    draw_error_curves(ax, result)
    ax.set_title(f"d/dx {function}(x) at x = {x:g}: round-off (left) against truncation (right)", fontsize=10)
    return fig


def draw_zoom(ax: Axes, result: GradCheckResult) -> None:
    """f(x + t) - f(x) for |t| <= 2h as the dtype computes it, the tangent of slope f'(x) and the secant at ±h."""
    t = result.offsets
    ax.plot(
        t,
        result.f_offsets,
        color=DTYPE_COLORS.get(result.dtype, "k"),
        lw=1.2,
        label=f"f(x + t) − f(x) in {result.dtype}",
    )
    ax.plot(t, result.analytic * t, "k--", lw=0.9, label=f"tangent, slope f'(x) = {result.analytic:.6g}")
    h = result.h
    ends = np.array([-h, h])
    ax.plot(
        ends,
        result.numerical * ends,
        "o-",
        color=DTYPE_COLORS.get(result.dtype, "k"),
        ms=5,
        alpha=0.7,
        lw=2.0,
        label=f"secant through x ± h, slope {result.numerical:.6g}",
    )
    ax.ticklabel_format(axis="both", style="sci", scilimits=(-3, 3))
    ax.set_xlabel("offset t from x")
    ax.set_ylabel("f(x + t) − f(x)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)


class GradCheckExplorer(InteractiveFigure):
    """Choose a function, a dtype, the point x and the step h: see the error curve and the estimate itself.

    Left: the relative error of the centred difference against h in both dtypes (the chosen one bold, with its
    round-off model), the chosen h marked. Right: f near x as the chosen dtype computes it; in float32 with a small
    h it is a staircase, and the secant through x ± h has little to do with the tangent.
    """

    figsize = (11.0, 4.6)

    def __init__(
        self, function: str = "sigmoid", dtype: str = "float32", log10_h: float = -6.0, x: float = 1.0
    ) -> None:
        import ipywidgets as w

        style = {"description_width": "initial"}
        controls = {
            "function": w.Dropdown(options=list(FUNCTIONS), value=function, description="function", style=style),
            "dtype": w.Dropdown(options=["float32", "float64"], value=dtype, description="dtype", style=style),
            "log10_h": w.FloatSlider(
                value=log10_h,
                min=-12.0,
                max=-1.0,
                step=0.5,
                description="log10 h",
                continuous_update=False,
                style=style,
            ),
            "x": w.FloatSlider(
                value=x, min=-3.0, max=3.0, step=0.25, description="x", continuous_update=False, style=style
            ),
        }
        super().__init__(controls)

    def compute(self, function: str, dtype: str, log10_h: float, x: float) -> GradCheckResult:
        return gradcheck_study(function, dtype, x, 10.0**log10_h)

    def draw(self, fig: Figure, result: GradCheckResult) -> None:
        left, right = fig.subplots(1, 2)
        draw_error_curves(left, result, highlight=result.dtype)
        left.axvline(result.h, color="grey", lw=1.0)
        left.plot([result.h], [max(result.rel_error, 1e-17)], "*", ms=12, color=DTYPE_COLORS[result.dtype])
        left.set_title(f"{result.function}'({result.x:g}): error against the step", fontsize=10)
        draw_zoom(right, result)
        right.set_title(
            f"zoom on {result.function} near x = {result.x:g}, h = {result.h:.0e}, {result.dtype}", fontsize=10
        )

    def summary(self, result: GradCheckResult) -> str:
        return (
            f"numerical {result.numerical:.10g} · analytic {result.analytic:.10g} · relative error "
            f"{result.rel_error:.1e} ({result.dtype}, h = {result.h:.0e})"
        )
