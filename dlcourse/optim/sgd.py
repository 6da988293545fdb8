"""Gradient descent, with momentum and Nesterov momentum, exactly as ``torch.optim.SGD``."""
from __future__ import annotations

from .optimizer import Optimizer, _check_bool, _check_nonneg


class SGD(Optimizer):
    r"""Stochastic gradient descent, exactly as ``torch.optim.SGD``.

    With gradient :math:`g`, weight decay :math:`\lambda`, momentum :math:`\mu`, dampening :math:`\tau` and
    learning rate :math:`\eta`, one step is

    .. math::
        g \leftarrow g + \lambda\theta, \qquad
        b \leftarrow \mu b + (1-\tau) g \ (\text{first step: } b = g), \qquad
        \theta \leftarrow \theta - \eta\,(g + \mu b \text{ if nesterov else } b)

    With momentum 0 this is plain gradient descent :math:`\theta \leftarrow \theta - \eta g`. ``maximize`` ascends
    instead (the gradient's sign is flipped first).

    Parameters
    ----------
    params : ``model.parameters()`` or a Module
    lr : learning rate :math:`\eta` >= 0
    momentum : :math:`\mu` >= 0; the buffer ``state[i]['momentum_buffer']`` has the parameter's shape
    dampening : :math:`\tau` >= 0, scales the gradient added to the buffer after the first step
    weight_decay : :math:`\lambda` >= 0, an L2 penalty :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` added to the loss
    nesterov : Nesterov momentum (needs momentum > 0 and dampening 0)
    maximize : maximise the objective instead of minimising it
    """

    hyperparameters = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False):
        super().__init__(params)
        self.lr = _check_nonneg(lr, "lr")
        self.momentum = _check_nonneg(momentum, "momentum")
        self.dampening = _check_nonneg(dampening, "dampening")
        self.weight_decay = _check_nonneg(weight_decay, "weight_decay")
        self.nesterov = _check_bool(nesterov, "nesterov")
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(f"nesterov: expected momentum > 0 and dampening = 0 for Nesterov momentum, got "
                             f"momentum={self.momentum} and dampening={self.dampening}")
        self.maximize = _check_bool(maximize, "maximize")

    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            g = -p.grad if self.maximize else p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.copy()         # the first step: b = g, no dampening
                else:
                    buf = state["momentum_buffer"]
                    buf *= self.momentum
                    buf += (1.0 - self.dampening) * g
                buf = state["momentum_buffer"]
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g
