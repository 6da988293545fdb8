"""Chapter 03: the activations-and-gradients explorer: why deep networks need the right initialisation.

Build a deep MLP on the digits (``depth`` hidden layers of ``width`` units, one activation), initialise it with a
scheme times a multiplier, and look at what flows through it: the histogram of every hidden layer's activations
(at the start and after a short training run), their standard deviations layer by layer, the norm of every layer's
weight gradient at each SGD step, and the training loss. Vanishing and exploding signals show up as standard
deviations and gradient norms that shrink or grow geometrically with depth.

    from dlcourse.viz.explorer import ActivationsExplorer
    ActivationsExplorer()                  # last in a cell: the live widget, or its PNG in an export

Headless: ``ex = ActivationsExplorer(); ex.controls['activation'].value = 'sigmoid'; ex.result.grad_norms``.
All the numbers come from dlcourse (``nn.MLP``, ``init.init_linear_``, ``optim.SGD``); this module only draws them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import init, nn, optim
from .._validate import check_choice, check_int
from ..data import iterate_minibatches, load_digits
from ..preprocess import StandardScaler
from .core import InteractiveFigure, merge_settings, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu")
#: widget label -> (weight_init of init.init_linear_, uses the activation's gain)
INIT_SCHEMES = {
    "xavier": ("xavier_normal", False),  # std √(2 / (fan_in + fan_out)), gain 1 (Glorot & Bengio)
    "kaiming": ("kaiming_normal", True),  # std gain / √fan_in, gain of the chosen activation (He et al.)
    "pytorch": ("pytorch", False),  # torch.nn.Linear's default U(±1/√fan_in): std 1/√(3 fan_in)
    "normal 0.01": (0.01, False),  # N(0, 0.01²) whatever the layer size
}
DEFAULTS = dict(activation="sigmoid", depth=6, init_scheme="xavier", scale=1.0, lr=0.05, steps=60)
WIDTH, BATCH_SIZE, N_PROBE, BINS = 64, 64, 256, 40


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits' training split, each pixel standardised to mean 0 and variance 1 (what the theory assumes)."""
    split = load_digits(rng=0)
    X = StandardScaler().fit_transform(split.X_train)  # (N, 64)
    X.setflags(write=False)
    return X, split.y_train


def build_model(
    activation: str, depth: int, init_scheme: str, scale: float = 1.0, width: int = WIDTH, seed: int = 0
) -> nn.Sequential:
    """``nn.MLP(64, [width] * depth, 10, activation)`` initialised with ``init_scheme`` times ``scale``."""
    check_choice(activation, "activation", ACTIVATION_NAMES)
    check_choice(init_scheme, "init_scheme", tuple(INIT_SCHEMES))
    depth = check_int(depth, "depth", minimum=1, maximum=20)
    scheme, with_gain = INIT_SCHEMES[init_scheme]
    model = nn.MLP(64, [int(width)] * int(depth), 10, activation, rng=seed)
    return init.init_linear_(
        model, scheme, nonlinearity=activation if with_gain else None, scale=scale, rng=np.random.default_rng(seed)
    )


def hidden_activations(model: nn.Sequential, X: ArrayLike) -> list[np.ndarray]:
    """The output of every hidden activation layer for inputs X: a list of (N, width) arrays, first layer first."""
    outs = model.forward_all(X)
    return [out for layer, out in zip(model, outs) if not isinstance(layer, nn.Linear)]


@dataclass
class ExplorerResult:
    """What one setting produced (what :meth:`ActivationsExplorer.draw` and the tests read)."""

    params: dict[str, Any]
    edges: np.ndarray  # (BINS + 1,) histogram bin edges shared by all layers
    hist_start: np.ndarray  # (depth, BINS) fraction of activations per bin at initialisation (ReLU: of the
    # non-zero ones), values beyond the edges counted in the end bins
    hist_end: np.ndarray  # (depth, BINS) the same after training
    std_start: np.ndarray  # (depth,) standard deviation of each hidden layer's activations at the start
    std_end: np.ndarray  # (depth,) ... after training
    extreme_start: np.ndarray  # (depth,) fraction saturated (sigmoid/tanh) or exactly 0 (ReLU), at the start
    grad_norms: np.ndarray  # (steps, depth + 1) ||dL/dW|| of every Linear at every step (NaN after divergence)
    loss: np.ndarray  # (steps,) mini-batch loss at every step (NaN after divergence)
    diverged_at: int | None  # the step at which the loss stopped being finite, or None

    @property
    def depth(self) -> int:
        return len(self.std_start)

    @property
    def gradient_ratio(self) -> float:
        """First layer's over last layer's gradient norm at the first step: << 1 vanishing, >> 1 exploding."""
        return float(self.grad_norms[0, 0] / self.grad_norms[0, -1])


def _histograms(acts: list[np.ndarray], edges: np.ndarray, activation: str) -> np.ndarray:
    """Fraction of each layer's activations per bin (values beyond the edges in the end bins). ReLU's exact zeros
    (half of them, or all for a dead layer) are left out: they would dwarf the rest; the fraction is reported apart."""
    rows = []
    for a in acts:
        values = a[a != 0] if activation == "relu" else a
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        rows.append(counts / max(a.size, 1))
    return np.array(rows)  # (depth, BINS)


def _extreme_fraction(acts: list[np.ndarray], activation: str) -> np.ndarray:
    if activation == "relu":
        return np.array([np.mean(a == 0) for a in acts])
    lo, hi = (0.01, 0.99) if activation == "sigmoid" else (-0.99, 0.99)
    return np.array([np.mean((a <= lo) | (a >= hi)) for a in acts])


def explore(
    activation: str = "tanh",
    depth: int = 6,
    init_scheme: str = "xavier",
    scale: float = 1.0,
    lr: float = 0.05,
    steps: int = 60,
    width: int = WIDTH,
    seed: int = 0,
) -> ExplorerResult:
    """Initialise a deep MLP, record its activations, then train it ``steps`` SGD steps recording gradient norms.

    Same settings, same numbers: the weights and the mini-batch order come from generators seeded by ``seed``.
    """
    params = dict(
        activation=activation,
        depth=int(depth),
        init_scheme=init_scheme,
        scale=float(scale),
        lr=float(lr),
        steps=int(steps),
    )
    X, y = _digits()
    model = build_model(activation, depth, init_scheme, scale, width, seed)
    probe = X[:N_PROBE]  # (N_PROBE, 64) fixed inputs
    with np.errstate(all="ignore"):
        start = hidden_activations(model, probe)
        linears = init.linear_layers(model)
        opt, loss_fn = optim.SGD(model, lr=lr), nn.CrossEntropyLoss()
        grad_norms = np.full((int(steps), len(linears)), np.nan)
        losses = np.full(int(steps), np.nan)
        rng, diverged_at, step = np.random.default_rng(seed + 1), None, 0
        while step < steps and diverged_at is None:
            for xb, yb in iterate_minibatches(X, y, BATCH_SIZE, rng=rng):
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                if not np.isfinite(loss):
                    diverged_at = step
                    break
                model.backward(loss_fn.backward(1.0))
                grad_norms[step] = [np.linalg.norm(layer.grads["weight"]) for layer in linears]
                losses[step] = loss
                opt.step()
                step += 1
                if step == steps:
                    break
        end = hidden_activations(model, probe)
        std_start, std_end = np.array([a.std() for a in start]), np.array([a.std() for a in end])
    if activation == "relu":
        top = float(np.percentile(start[0], 99)) * 2.5  # start[0] is finite: one layer from the data
        edges = np.linspace(0.0, top if top > 0 else 1.0, BINS + 1)
    else:
        edges = np.linspace(0.0 if activation == "sigmoid" else -1.0, 1.0, BINS + 1)
    return ExplorerResult(
        params=params,
        edges=edges,
        hist_start=_histograms(start, edges, activation),
        hist_end=_histograms(end, edges, activation),
        std_start=std_start,
        std_end=std_end,
        extreme_start=_extreme_fraction(start, activation),
        grad_norms=grad_norms,
        loss=losses,
        diverged_at=diverged_at,
    )


def draw_histogram_stack(ax: Axes, result: ExplorerResult, show_end: bool = True) -> None:
    """One row per hidden layer (layer 1 on top): activation histograms at the start (filled) and after training."""
    edges, depth = result.edges, result.depth
    for i in range(depth):
        base = depth - 1 - i
        height = max(result.hist_start[i].max(), result.hist_end[i].max() if show_end else 0, 1e-12)  # per row
        ax.stairs(
            base + 0.9 * result.hist_start[i] / height, edges, baseline=base, fill=True, color="tab:blue", alpha=0.55
        )
        if show_end:
            ax.stairs(base + 0.9 * result.hist_end[i] / height, edges, baseline=base, color="tab:orange", lw=1)
        what = "zero" if result.params["activation"] == "relu" else "saturated"
        ax.text(
            edges[-1],
            base + 0.45,
            f" std {result.std_start[i]:.2g}\n {result.extreme_start[i]:.0%} {what}",
            fontsize=7,
            va="center",
            ha="left",
        )
    ax.set_yticks(np.arange(depth) + 0.3, [f"layer {depth - k}" for k in range(depth)], fontsize=8)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, depth)
    ax.set_xlabel(
        f"{result.params['activation']} output" + (" (zeros left out)" if result.params["activation"] == "relu" else "")
    )


def draw(fig: Figure, result: ExplorerResult) -> None:
    left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.35])
    ax_h = left.subplots()
    draw_histogram_stack(ax_h, result)
    ax_h.set_title("activations: at the start (filled), after training (line)", fontsize=9)
    ax_std, ax_g, ax_l = right.subplots(3, 1)
    layers = np.arange(1, result.depth + 1)
    ax_std.semilogy(layers, np.maximum(result.std_start, 1e-30), "o-", color="tab:blue", label="start")
    ax_std.semilogy(layers, np.maximum(result.std_end, 1e-30), "s--", color="tab:orange", label="after training")
    ax_std.set_ylabel("activation std", fontsize=8)
    ax_std.set_xlabel("hidden layer", fontsize=8)
    ax_std.set_xticks(layers)
    ax_std.legend(fontsize=7)
    steps = np.arange(1, len(result.loss) + 1)
    colors = __import__("matplotlib").colormaps["viridis"](np.linspace(0, 0.9, result.grad_norms.shape[1]))
    for j, color in enumerate(colors):
        label = "layer 1" if j == 0 else ("output layer" if j == len(colors) - 1 else None)
        ax_g.semilogy(steps, result.grad_norms[:, j], color=color, lw=1.2, label=label)
    ax_g.set_ylabel("‖∂L/∂W‖ per layer", fontsize=8)
    ax_g.legend(fontsize=7, loc="best")
    ax_l.plot(steps, result.loss, color="tab:purple")
    ax_l.set_ylabel("training loss", fontsize=8)
    ax_l.set_xlabel("SGD step", fontsize=8)
    if result.diverged_at is not None:
        ax_l.set_title(
            f"diverged at step {result.diverged_at + 1}: the loss became inf/NaN", fontsize=8, color="tab:red"
        )
    for ax in (ax_std, ax_g, ax_l):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)


def plot_activation_histograms(
    activation: str,
    schemes: Sequence[str] = ("normal 0.01", "pytorch", "xavier", "kaiming"),
    depth: int = 6,
    width: int = 128,
    seed: int = 0,
) -> Figure:
    """One panel per initialisation scheme: the activation histograms of every layer at initialisation."""
    fig = new_figure(2.9 * len(schemes), 0.42 * depth + 1.2)
    for ax, scheme in zip(np.atleast_1d(fig.subplots(1, len(schemes))), schemes):
        result = explore(activation, depth, scheme, steps=0, width=width, seed=seed)
        draw_histogram_stack(ax, result, show_end=False)
        ax.set_title(scheme, fontsize=10)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{activation} activations at initialisation, layer by layer ({depth} layers of {width} units)", fontsize=10
    )
    return fig


class ActivationsExplorer(InteractiveFigure):
    """Choose the activation, the depth, the initialisation and its scale; see activations and gradients."""

    figsize = (11.0, 6.0)

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        v = merge_settings(DEFAULTS, initial)
        style = {"description_width": "initial"}
        controls = {
            "activation": w.Dropdown(
                options=ACTIVATION_NAMES, value=v["activation"], description="activation", style=style
            ),
            "depth": w.IntSlider(
                value=v["depth"], min=2, max=10, description="hidden layers", continuous_update=False, style=style
            ),
            "init_scheme": w.Dropdown(
                options=tuple(INIT_SCHEMES), value=v["init_scheme"], description="initialisation", style=style
            ),
            "scale": w.FloatLogSlider(
                value=v["scale"],
                base=2,
                min=-2,
                max=2,
                step=0.25,
                description="× scale",
                readout_format=".3g",
                continuous_update=False,
                style=style,
            ),
            "lr": w.FloatLogSlider(
                value=v["lr"],
                base=10,
                min=-3,
                max=0,
                step=0.25,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
                style=style,
            ),
            "steps": w.IntSlider(
                value=v["steps"],
                min=10,
                max=200,
                step=10,
                description="SGD steps",
                continuous_update=False,
                style=style,
            ),
        }
        super().__init__(controls)

    def compute(self, **params: Any) -> ExplorerResult:
        return explore(**params)

    def draw(self, fig: Figure, result: ExplorerResult) -> None:
        draw(fig, result)

    def summary(self, result: ExplorerResult) -> str:
        final = result.loss[np.isfinite(result.loss)]
        end = f"final loss {final[-1]:.3f}" if final.size else "no finite loss"
        return (
            f"gradient norm, layer 1 / output layer at the start: {result.gradient_ratio:.2g} · "
            f"activation std, last / first hidden layer: {result.std_start[-1] / result.std_start[0]:.2g} · "
            + (f"diverged at step {result.diverged_at + 1}" if result.diverged_at is not None else end)
        )
