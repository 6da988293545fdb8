"""The base class every optimizer shares, and the argument checks that name a bad hyperparameter.

An optimizer holds a list of :class:`dlcourse.nn.Parameter` (each a ``data`` array and its ``grad``, both the
module's own arrays) and one state dict per parameter, ``self.state[i]`` for ``self.params[i]`` (names alone can
repeat: two Linear layers both have a ``weight``). ``step()`` updates every ``p.data`` in place from ``p.grad``;
``zero_grad()`` clears the gradients. Hyperparameters are plain attributes (``opt.lr``), so a learning-rate
scheduler (:mod:`dlcourse.lr_scheduler`) can change them between steps, as it changes ``param_group['lr']`` in
PyTorch.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..nn import Module, Parameter


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


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_nonneg(value, name: str) -> float:
    """A finite number >= 0 (learning rates, weight decay, momentum, eps ...)."""
    if not _is_number(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _check_fraction(value, name: str, *, include_one: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] with ``include_one``): averaging coefficients such as betas and alpha."""
    interval = "[0, 1]" if include_one else "[0, 1)"
    if not _is_number(value) or not (0 <= value <= 1 if include_one else 0 <= value < 1):
        raise ValueError(f"{name}: expected a number in {interval}, got {value!r}")
    return float(value)


def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def _check_betas(betas) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas: expected a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    return _check_fraction(betas[0], "betas[0]"), _check_fraction(betas[1], "betas[1]")


class Optimizer:
    """Holds the parameters and per-parameter state; subclasses implement :meth:`step`.

    ``hyperparameters`` names the constructor arguments stored as attributes; :attr:`defaults` collects them
    (``torch.optim.Optimizer.defaults``) and ``repr`` shows them.
    """

    hyperparameters: tuple[str, ...] = ()

    def __init__(self, params):
        self.params = _as_param_list(params)
        # per-parameter state, parallel to self.params (names alone can repeat, e.g. two Linears' 'weight')
        self.state: list[dict] = [{} for _ in self.params]

    @property
    def defaults(self) -> dict:
        """The hyperparameters by name, like ``torch.optim.Optimizer.defaults``."""
        return {name: getattr(self, name) for name in self.hyperparameters}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad.fill(0.0)

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({args})"
