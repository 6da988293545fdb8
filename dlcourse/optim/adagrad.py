"""AdaGrad: a per-coordinate learning rate shrinking with the sum of all squared gradients, as ``torch.optim.Adagrad``."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_bool, _check_nonneg


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan and Singer, 2011), exactly as ``torch.optim.Adagrad``.

    At step :math:`t = 1, 2, \dots`, with gradient :math:`g_t` (shape of the parameter) and every operation
    elementwise:

    .. math::
        g_t \leftarrow g_t + \lambda\theta_{t-1}, \qquad
        \eta_t = \frac{\eta}{1 + (t-1)\,\delta}, \qquad
        G_t = G_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{G_t} + \epsilon}

    with :math:`G_0` = ``initial_accumulator_value`` everywhere. The sum :math:`G_t` includes the current gradient,
    so the first step is :math:`\eta\, g_1 / (|g_1| + \epsilon)`, about :math:`\eta` in size, never :math:`g/\epsilon`.

    Parameters
    ----------
    lr : :math:`\eta` >= 0;  lr_decay : :math:`\delta` >= 0;  weight_decay : :math:`\lambda` >= 0 (L2 penalty)
    initial_accumulator_value : :math:`G_0` >= 0;  eps : :math:`\epsilon` >= 0, added to :math:`\sqrt{G_t}`
    maximize : ascend instead of descend

    State ``state[i]``: ``'step'`` (int) and ``'sum'`` (:math:`G_t`, the parameter's shape).
    """

    hyperparameters = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False):
        super().__init__(params)
        self.lr = _check_nonneg(lr, "lr")
        self.lr_decay = _check_nonneg(lr_decay, "lr_decay")
        self.weight_decay = _check_nonneg(weight_decay, "weight_decay")
        self.initial_accumulator_value = _check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        self.eps = _check_nonneg(eps, "eps")
        self.maximize = _check_bool(maximize, "maximize")
        for p, state in zip(self.params, self.state):        # torch creates the state in the constructor too
            state["step"] = 0
            state["sum"] = np.full_like(p.data, self.initial_accumulator_value)

    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            state["step"] += 1
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
            state["sum"] += g * g                                # G_t includes g_t
            p.data -= clr * g / (np.sqrt(state["sum"]) + self.eps)
