"""Chapter 04: the optimizer playground: race optimizers across a 2-D surface and watch their paths.

Choose a surface (Rosenbrock's valley, Beale's plateaus, a saddle, an ill-conditioned bowl, straight or rotated),
the optimizers to show, two learning rates (one for SGD and momentum, whose steps scale with the gradient, one for
Adagrad, RMSprop, Adam and AdamW, whose steps are about lr per coordinate), the momentum, Adam's betas, AdamW's
weight decay and the number of steps. Every path is computed by ``dlcourse.surfaces.run_optimizer`` with the
optimizers of ``dlcourse.optim``; this module only draws them.

    from dlcourse.viz.optim_playground import OptimizerPlayground
    OptimizerPlayground()                   # last in a cell: the live widget, or its PNG in an export

Headless: ``pg = OptimizerPlayground(); pg.controls['surface'].value = 'saddle'; pg.result.paths['Adam'].final``.
Changing the surface resets the two learning rates to that surface's ``suggested_lr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..surfaces import SURFACES, OptimizerPath, Surface, make_surface, run_optimizer
from .core import InteractiveFigure, merge_settings
from .optim_plots import draw_paths, draw_surface, draw_value_curves

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: the optimizers the playground offers: label -> (dlcourse.optim class name, settings -> hyperparameters)
OPTIMIZERS = {
    "SGD": ("SGD", lambda s: {"lr": s["lr_sgd"]}),
    "momentum": ("SGD", lambda s: {"lr": s["lr_sgd"], "momentum": s["momentum"]}),
    "Nesterov": ("SGD", lambda s: {"lr": s["lr_sgd"], "momentum": s["momentum"], "nesterov": s["momentum"] > 0}),
    "Adagrad": ("Adagrad", lambda s: {"lr": s["lr_adaptive"]}),
    "RMSprop": ("RMSprop", lambda s: {"lr": s["lr_adaptive"]}),
    "Adam": ("Adam", lambda s: {"lr": s["lr_adaptive"], "betas": (s["beta1"], s["beta2"])}),
    "AdamW": (
        "AdamW",
        lambda s: {"lr": s["lr_adaptive"], "betas": (s["beta1"], s["beta2"]), "weight_decay": s["weight_decay"]},
    ),
}
OPTIMIZER_NAMES = tuple(OPTIMIZERS)

DEFAULTS = dict(
    surface="Rosenbrock",
    optimizers=("SGD", "momentum", "RMSprop", "Adam"),
    lr_sgd=1e-3,
    lr_adaptive=0.1,
    momentum=0.9,
    beta1=0.9,
    beta2=0.999,
    weight_decay=0.1,
    steps=300,
)


@dataclass
class OptimizerRace:
    """What one setting of the playground computed."""

    params: dict[str, Any]
    surface: Surface
    paths: dict[str, OptimizerPath]  # label -> OptimizerPath, in the order of OPTIMIZER_NAMES

    def final_gaps(self) -> dict[str, float]:
        """label -> f(final position) - f_min."""
        return {name: float(p.values[-1] - self.surface.min_value) for name, p in self.paths.items()}


def race(
    surface: str = "Rosenbrock",
    optimizers: Sequence[str] = DEFAULTS["optimizers"],
    lr_sgd: float = 1e-3,
    lr_adaptive: float = 0.1,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    weight_decay: float = 0.1,
    steps: int = 300,
) -> OptimizerRace:
    """Run each selected optimizer from the surface's starting point for ``steps`` steps."""
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown:
        raise ValueError(f"optimizers: expected names from {list(OPTIMIZER_NAMES)}, got {unknown}")
    settings = dict(
        lr_sgd=float(lr_sgd),
        lr_adaptive=float(lr_adaptive),
        momentum=float(momentum),
        beta1=float(beta1),
        beta2=float(beta2),
        weight_decay=float(weight_decay),
    )
    surf = make_surface(surface)
    paths: dict[str, OptimizerPath] = {}
    for name in OPTIMIZER_NAMES:  # a fixed order: fixed colours and legend
        if name in optimizers:
            cls, hyper = OPTIMIZERS[name]
            paths[name] = run_optimizer(surf, cls, steps=int(steps), **hyper(settings))
    params = dict(surface=surface, optimizers=tuple(optimizers), steps=int(steps), **settings)
    return OptimizerRace(params=params, surface=surf, paths=paths)


class OptimizerPlayground(InteractiveFigure):
    """Optimizer paths over a 2-D surface, with f - f_min against the step beside them.

    Keyword arguments set the starting values of the controls (see ``DEFAULTS``), e.g.
    ``OptimizerPlayground(surface='saddle', optimizers=('SGD', 'Adam'))``.
    """

    figsize = (11.5, 5.0)

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        v = merge_settings(DEFAULTS, initial)
        if "surface" in initial and not {"lr_sgd", "lr_adaptive"} & set(initial):
            v.update(self._suggested(v["surface"]))
        style = {"description_width": "initial"}
        slider = dict(continuous_update=False, style=style)
        controls = {
            "surface": w.Dropdown(options=list(SURFACES), value=v["surface"], description="surface", style=style),
            "optimizers": w.SelectMultiple(
                options=OPTIMIZER_NAMES, value=tuple(v["optimizers"]), rows=4, description="optimizers", style=style
            ),
            "steps": w.IntSlider(value=v["steps"], min=10, max=600, step=10, description="steps", **slider),
            "lr_sgd": w.FloatLogSlider(
                value=v["lr_sgd"],
                base=10,
                min=-4,
                max=0,
                step=0.05,
                description="lr: SGD, momentum",
                readout_format=".2g",
                **slider,
            ),
            "lr_adaptive": w.FloatLogSlider(
                value=v["lr_adaptive"],
                base=10,
                min=-3,
                max=0.3,
                step=0.05,
                description="lr: Adagrad, RMSprop, Adam(W)",
                readout_format=".2g",
                **slider,
            ),
            "momentum": w.FloatSlider(
                value=v["momentum"], min=0.0, max=0.99, step=0.01, description="momentum", **slider
            ),
            "beta1": w.FloatSlider(value=v["beta1"], min=0.0, max=0.99, step=0.01, description="Adam β1", **slider),
            "beta2": w.FloatSlider(
                value=v["beta2"],
                min=0.9,
                max=0.9999,
                step=0.0001,
                description="Adam β2",
                readout_format=".4f",
                **slider,
            ),
            "weight_decay": w.FloatSlider(
                value=v["weight_decay"], min=0.0, max=1.0, step=0.05, description="AdamW weight decay", **slider
            ),
        }
        self._resetting = False
        super().__init__(controls)

    @staticmethod
    def _suggested(surface_name: str) -> dict:
        lrs = make_surface(surface_name).suggested_lr
        return {"lr_sgd": lrs["SGD"], "lr_adaptive": lrs["adaptive"]}

    def _on_change(self, change) -> None:
        if self._resetting:
            return
        if change["owner"] is self.controls["surface"]:
            self._resetting = True  # set both rates, then redraw once
            try:
                for name, value in self._suggested(change["new"]).items():
                    self.controls[name].value = value
            finally:
                self._resetting = False
        self.update()

    def compute(self, **params: Any) -> OptimizerRace:
        return race(**params)

    def draw(self, fig: Figure, result: OptimizerRace) -> None:
        ax_map, ax_val = fig.subplots(1, 2, width_ratios=[1.3, 1.0])
        draw_surface(ax_map, result.surface)
        if result.paths:
            draw_paths(ax_map, result.paths)
            ax_map.legend(fontsize=8, loc="best", framealpha=0.85)
            draw_value_curves(ax_val, result.paths, result.surface.min_value)
            ax_val.legend(fontsize=8)
        else:
            ax_val.text(0.5, 0.5, "select at least one optimizer", ha="center", va="center", transform=ax_val.transAxes)
        p = result.params
        ax_map.set_title(
            f"{result.surface.name}: {p['steps']} steps  (○ start, ■ end, ✕ diverged, ★ minimum)", fontsize=10
        )
        ax_val.set_title("f − f_min (log scale)", fontsize=10)

    def summary(self, result: OptimizerRace) -> str:
        if not result.paths:
            return "no optimizer selected"
        parts = []
        for name, gap in result.final_gaps().items():
            state = "diverged" if result.paths[name].diverged else f"f − f_min = {gap:.2g}"
            parts.append(f"{name}: {state}")
        return " · ".join(parts)
