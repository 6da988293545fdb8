"""Chapter 04: AdaGrad, a per-coordinate learning rate shrinking with the sum of all squared gradients, as
``torch.optim.Adagrad``."""

from __future__ import annotations

import numpy as np

from .._validate import check_bool
from .optimizer import Optimizer, Params, nonnegative


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

    State ``state[p]``: ``'step'`` (int) and ``'sum'`` (:math:`G_t`, the parameter's shape), created with the
    parameter's group. Each group starts its sums at its own ``initial_accumulator_value``; torch (2.x) starts every
    group at the constructor's value, whatever the group says.
    """

    option_checks = {
        "lr": nonnegative,
        "lr_decay": nonnegative,
        "weight_decay": nonnegative,
        "initial_accumulator_value": nonnegative,
        "eps": nonnegative,
        "maximize": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
                maximize=maximize,
            ),
        )

    def _add_group(self, group, where: str) -> None:
        """As torch, AdaGrad's state is created with its group, before any step: G_0 = initial_accumulator_value."""
        super()._add_group(group, where)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p.data
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                state["sum"] += g * g  # G_t includes g_t
                p.data -= clr * g / (np.sqrt(state["sum"]) + group["eps"])
