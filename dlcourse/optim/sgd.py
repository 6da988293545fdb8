"""Chapter 04: gradient descent, with momentum and Nesterov momentum, exactly as ``torch.optim.SGD``."""

from __future__ import annotations

from .._validate import check_bool
from .optimizer import Optimizer, Params, nonnegative


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
    params : ``model.parameters()``, a Module, or a list of parameter groups (dicts, see :class:`Optimizer`)
    lr : learning rate :math:`\eta` >= 0
    momentum : :math:`\mu` >= 0; the buffer ``state[p]['momentum_buffer']`` has the parameter's shape
    dampening : :math:`\tau` >= 0, scales the gradient added to the buffer after the first step
    weight_decay : :math:`\lambda` >= 0, an L2 penalty :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` added to the loss
    nesterov : Nesterov momentum (needs momentum > 0 and dampening 0)
    maximize : maximise the objective instead of minimising it
    """

    option_checks = {
        "lr": nonnegative,
        "momentum": nonnegative,
        "dampening": nonnegative,
        "weight_decay": nonnegative,
        "nesterov": check_bool,
        "maximize": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict, where: str) -> None:
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"{self._name(where, 'nesterov')}: expected momentum > 0 and dampening = 0 for Nesterov "
                f"momentum, got momentum={group['momentum']} and dampening={group['dampening']}"
            )

    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p.data
                if momentum:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g.copy()  # the first step: b = g, no dampening
                    else:
                        buf = state["momentum_buffer"]
                        buf *= momentum
                        buf += (1.0 - dampening) * g
                    buf = state["momentum_buffer"]
                    g = g + momentum * buf if group["nesterov"] else buf
                p.data -= lr * g
