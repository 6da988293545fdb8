r"""Chapter 07: vanishing and exploding gradients through time, measured on an RNN and an LSTM side by side.

A loss that reads only the last hidden state, :math:`L = v \cdot h_T`, is backpropagated through time, and the widget
plots how much of it reaches each earlier step: :math:`\lVert \partial L / \partial x_t \rVert` for t = 1 .. T,
averaged over a batch of random sequences. In an RNN the gradient is multiplied at every step by
:math:`W_{hh}^\top \operatorname{diag}(f'(a_t))`: with the recurrent weight an orthogonal matrix times ``scale``,
that factor's norm is about ``scale`` times the mean slope of the nonlinearity, so the gradient shrinks or grows
geometrically with the distance to the loss. In an LSTM the cell state carries it through
:math:`c_t = f_t \odot c_{t-1} + \dots` multiplied only by the forget gate: with the forget bias high (gates
near 1) it survives many steps. Exploding gradients are not cured by the gates; gradient clipping
(``dlcourse.nn.utils.clip_grad_norm_``) is the remedy.

    from dlcourse.viz.rnn_gradients import GradientThroughTime
    GradientThroughTime()           # last in a cell: the live widget, or its PNG in an export

Headless: ``w = GradientThroughTime(); w.controls["scale"].value = 2.0; w.result.rnn``. The numbers come from
dlcourse's BPTT (``rnn_backward`` and ``lstm_backward`` of ``dlcourse.functional.recurrent``); this module only
sets up and draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import init
from .._validate import check_choice, check_int, check_number
from ..functional.recurrent import lstm_backward, lstm_forward, rnn_backward, rnn_forward
from .core import InteractiveFigure, merge_settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NONLINEARITIES = ("tanh", "relu")
DEFAULTS = dict(scale=1.0, steps=50, nonlinearity="tanh", forget_bias=1.0)
HIDDEN, INPUTS, BATCH = 32, 8, 16


@dataclass
class GradientFlow:
    """What one setting produced: the gradient norm that reaches every step (index 0 = the first step)."""

    scale: float
    steps: int
    nonlinearity: str
    forget_bias: float
    rnn: np.ndarray  # (steps,) mean over the batch of ||dL/dx_t||, RNN
    lstm: np.ndarray  # (steps,) the same for the LSTM

    @property
    def rnn_ratio(self) -> float:
        """||dL/dx_1|| / ||dL/dx_T||: below 1 the gradient vanishes on its way back, above 1 it explodes."""
        return float(self.rnn[0] / self.rnn[-1])

    @property
    def lstm_ratio(self) -> float:
        return float(self.lstm[0] / self.lstm[-1])


def gradient_flow(
    scale: float = 1.0, steps: int = 50, nonlinearity: str = "tanh", forget_bias: float = 1.0, seed: int = 0
) -> GradientFlow:
    """Backpropagate :math:`L = v \\cdot h_T` through an RNN and an LSTM of 32 units over ``steps`` random inputs.

    Parameters
    ----------
    scale : every singular value of the recurrent weights (orthogonal matrices times ``scale``; for the LSTM, each
        gate's block of ``weight_hh``)
    steps : the sequence length T
    nonlinearity : the RNN's, "tanh" or "relu"
    forget_bias : the LSTM's forget-gate bias (its other biases are 0)
    seed : inputs, input weights and v are drawn from it (the same for both networks)
    """
    scale = check_number(scale, "scale", minimum=0.0)
    steps = check_int(steps, "steps", minimum=2, maximum=500)
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    forget_bias = check_number(forget_bias, "forget_bias")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, BATCH, INPUTS))  # (T, N, I)
    v = rng.standard_normal((BATCH, HIDDEN))  # dL/dh_T
    w_ih = rng.standard_normal((HIDDEN, INPUTS)) / np.sqrt(INPUTS)

    w_hh = init.orthogonal_(np.empty((HIDDEN, HIDDEN)), gain=scale, rng=rng)
    _, cache = rnn_forward(x, None, w_ih, w_hh, nonlinearity=nonlinearity)
    dx = rnn_backward(None, v, cache)[0]
    rnn = np.linalg.norm(dx, axis=2).mean(axis=1)  # (T,)

    lstm_ih = np.concatenate([w_ih] * 4)  # (4H, I): gates i, f, g, o read the input alike
    lstm_hh = np.concatenate([init.orthogonal_(np.empty((HIDDEN, HIDDEN)), gain=scale, rng=rng) for _ in range(4)])
    bias = np.zeros(4 * HIDDEN)
    bias[HIDDEN : 2 * HIDDEN] = forget_bias  # the forget gate's block
    _, cache = lstm_forward(x, None, None, lstm_ih, lstm_hh, bias, np.zeros_like(bias))
    dx = lstm_backward(None, v, None, cache)[0]
    lstm = np.linalg.norm(dx, axis=2).mean(axis=1)
    return GradientFlow(scale, steps, nonlinearity, forget_bias, rnn, lstm)


def draw(fig: Figure, result: GradientFlow) -> None:
    """The gradient norm reaching each step, on a log scale, for both networks."""
    ax = fig.add_subplot(1, 1, 1)
    t = np.arange(1, result.steps + 1)
    ax.semilogy(t, result.rnn, label=f"RNN ({result.nonlinearity})", color="tab:red")
    ax.semilogy(t, result.lstm, label=f"LSTM (forget bias {result.forget_bias:g})", color="tab:blue")
    ax.set_xlabel("time step t (the loss reads the last step, T)")
    ax.set_ylabel(r"$\|\partial L / \partial x_t\|$ (mean over the batch)")
    ax.set_title(f"Gradient through time, recurrent weights: orthogonal × {result.scale:g}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best")


class GradientThroughTime(InteractiveFigure):
    """Move the recurrent weights' scale and the sequence length; watch the gradient vanish or explode."""

    figsize = (8.0, 4.5)

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        v = merge_settings(DEFAULTS, initial)
        style = {"description_width": "initial"}
        controls = {
            "scale": w.FloatSlider(
                value=v["scale"],
                min=0.25,
                max=2.5,
                step=0.05,
                description="recurrent weight scale",
                continuous_update=False,
                style=style,
            ),
            "steps": w.IntSlider(
                value=v["steps"], min=5, max=200, step=5, description="steps T", continuous_update=False, style=style
            ),
            "nonlinearity": w.Dropdown(
                options=NONLINEARITIES, value=v["nonlinearity"], description="RNN nonlinearity", style=style
            ),
            "forget_bias": w.FloatSlider(
                value=v["forget_bias"],
                min=-2.0,
                max=5.0,
                step=0.5,
                description="LSTM forget bias",
                continuous_update=False,
                style=style,
            ),
        }
        super().__init__(controls)

    def compute(self, **params: Any) -> GradientFlow:
        return gradient_flow(**params)

    def draw(self, fig: Figure, result: GradientFlow) -> None:
        draw(fig, result)

    def summary(self, result: GradientFlow) -> str:
        return (
            f"gradient at step 1 / at step T: RNN {result.rnn_ratio:.2g}, LSTM {result.lstm_ratio:.2g} "
            f"(below 1: vanishing; above 1: exploding)"
        )
