"""Chapter 04: RMSprop, AdaGrad with a running *mean* of squared gradients instead of their sum, as
``torch.optim.RMSprop``."""

from __future__ import annotations

import numpy as np

from .._validate import check_bool
from .optimizer import Optimizer, Params, nonnegative, unit_interval


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman and Hinton, 2012), exactly as ``torch.optim.RMSprop``.

    With gradient :math:`g` (after weight decay :math:`g \leftarrow g + \lambda\theta`), smoothing constant
    :math:`\alpha` (the :math:`\rho` of most texts), every operation elementwise:

    .. math::
        v \leftarrow \alpha v + (1-\alpha) g^2, \qquad
        \tilde v = v - \bar g^2 \text{ with } \bar g \leftarrow \alpha \bar g + (1-\alpha) g
        \text{ if centered else } v,

    .. math::
        \theta \leftarrow \theta - \eta \frac{g}{\sqrt{\tilde v} + \epsilon}
        \quad\text{or, with momentum } \mu > 0:\quad
        b \leftarrow \mu b + \frac{g}{\sqrt{\tilde v} + \epsilon}, \ \theta \leftarrow \theta - \eta b .

    :math:`v`, :math:`\bar g` and :math:`b` start at zero. The running mean forgets old gradients, so the step
    size does not decay to zero the way AdaGrad's does.

    Parameters
    ----------
    lr : :math:`\eta` >= 0;  alpha : :math:`\alpha` in [0, 1];  eps : :math:`\epsilon` >= 0
    weight_decay : :math:`\lambda` >= 0;  momentum : :math:`\mu` >= 0
    centered : divide by an estimate of the gradient's standard deviation instead of its root mean square
    maximize : ascend instead of descend

    State ``state[p]``: ``'step'``, ``'square_avg'`` and, when used, ``'momentum_buffer'`` and ``'grad_avg'``.
    """

    option_checks = {
        "lr": nonnegative,
        "alpha": unit_interval,
        "eps": nonnegative,
        "weight_decay": nonnegative,
        "momentum": nonnegative,
        "centered": check_bool,
        "maximize": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def step(self) -> None:
        for group in self.param_groups:
            a, eps, momentum = group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p.data)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p.data)
                    if group["centered"]:
                        state["grad_avg"] = np.zeros_like(p.data)
                state["step"] += 1
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p.data
                v = state["square_avg"]
                v *= a
                v += (1 - a) * g * g  # the running mean E[g^2]
                if group["centered"]:
                    gbar = state["grad_avg"]
                    gbar += (1 - a) * (g - gbar)  # torch's lerp: gbar + (1 - a) (g - gbar)
                    avg = np.sqrt(v - gbar * gbar) + eps
                else:
                    avg = np.sqrt(v) + eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g / avg
                    p.data -= group["lr"] * buf
                else:
                    p.data -= group["lr"] * g / avg
