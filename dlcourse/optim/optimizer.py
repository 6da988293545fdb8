"""Optimizers that update parameters in place, with ``torch.optim``'s names, hyperparameters and semantics.

    opt = SGD(model.parameters(), lr=0.1)
    opt.zero_grad(); loss = ...; model.backward(...); opt.step()
"""
from __future__ import annotations

import numpy as np

from .nn import Module, Parameter


def _as_param_list(params) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    params = list(params)
    if not params:
        raise ValueError("params: expected at least one parameter, got an empty list")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise ValueError(f"params[{i}]: expected a dlcourse.nn.Parameter (from model.parameters()), "
                             f"got {type(p).__name__}")
    return params


def _check_nonneg(value, name):
    if not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


class Optimizer:
    """Holds the parameters and per-parameter state; subclasses implement :meth:`step`."""

    def __init__(self, params):
        self.params = _as_param_list(params)
        # per-parameter state, parallel to self.params (names alone can repeat, e.g. two Linears' 'weight')
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad.fill(0.0)

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly as ``torch.optim.SGD``.

    With gradient g, weight decay λ, momentum μ, dampening τ:

    .. math::
        g \leftarrow g + \lambda\theta, \qquad
        b \leftarrow \mu b + (1-\tau) g \ (\text{first step: } b = g), \qquad
        \theta \leftarrow \theta - \eta\,(g + \mu b \text{ if nesterov else } b)

    With momentum 0 this is plain gradient descent :math:`\theta \leftarrow \theta - \eta g`.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params)
        self.lr = _check_nonneg(lr, "lr")
        self.momentum = _check_nonneg(momentum, "momentum")
        self.dampening = _check_nonneg(dampening, "dampening")
        self.weight_decay = _check_nonneg(weight_decay, "weight_decay")
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("nesterov: Nesterov momentum requires momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.copy()
                else:
                    buf = state["momentum_buffer"]
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                buf = state["momentum_buffer"]
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g
