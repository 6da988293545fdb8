"""Chapter 04: the base class every optimizer shares: parameter groups, per-parameter state, state dicts.

As in ``torch.optim``, an optimizer holds ``param_groups``, a list of dicts: each has ``'params'`` (a list of
:class:`dlcourse.nn.Parameter`, the module's own arrays) and every option (``'lr'``, ``'momentum'`` ...), the
constructor's value unless the group sets its own::

    opt = SGD([{'params': model[0].parameters()},                 # lr 1e-2, the constructor's
               {'params': model[2].parameters(), 'lr': 1e-3}],    # its own lr
              lr=1e-2, momentum=0.9)
    opt.param_groups[1]['lr'] = 5e-4                              # takes effect at the next step()

``opt.state[p]`` is the dict of parameter ``p``'s state (momentum buffer, running averages ...). ``step()`` updates
every ``p.data`` in place from ``p.grad``; ``zero_grad()`` clears the gradients. ``state_dict()`` and
``load_state_dict()`` save and restore the options and the state with torch's layout, so that training can resume
from a checkpoint exactly where it stopped.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from typing import TypeAlias

import numpy as np

from .._validate import check_fraction, check_number, check_pair
from ..nn import Module, Parameter

#: what an optimizer takes: ``model.parameters()``, ``model.named_parameters()``, a Module, or parameter groups
Params: TypeAlias = Module | Parameter | Iterable[Parameter] | Iterable[tuple[str, Parameter]] | Iterable[dict]


# -- checks of option values (a constructor argument "lr", or a group's "params[1]['lr']") ---------------------
def nonnegative(value: object, name: str) -> float:
    """A finite number >= 0: learning rates, weight decay, momentum, eps ..."""
    return check_number(value, name, minimum=0)


def fraction(value: object, name: str) -> float:
    """A number in [0, 1): an averaging coefficient such as Adam's betas."""
    return check_fraction(value, name)


def unit_interval(value: object, name: str) -> float:
    """A number in [0, 1]: RMSprop's smoothing constant alpha."""
    return check_fraction(value, name, closed=True)


def adam_betas(value: object, name: str) -> tuple[float, float]:
    """Adam's pair (beta1, beta2), each in [0, 1)."""
    return check_pair(value, name, fraction, what="a pair (beta1, beta2) of numbers in [0, 1)")


def _parameter_list(params, name: str) -> tuple[list[Parameter], list[str] | None]:
    """The parameters (and their names, if given as ``(name, parameter)`` pairs) of one group, checked."""
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Parameter):
        params = [params]
    elif isinstance(params, (set, frozenset)):
        raise ValueError(
            f"{name}: expected an ordered collection of parameters (a list), got a set, whose order "
            "changes between runs"
        )
    params = list(params)
    if not params:
        raise ValueError(f"{name}: expected at least one parameter, got an empty list")
    named = [isinstance(p, tuple) for p in params]
    if any(named) and not all(named):
        raise ValueError(f"{name}: expected all parameters with names (name, parameter) or all without, got a mix")
    names = [p[0] for p in params] if all(named) else None
    params = [p[1] for p in params] if all(named) else params
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise ValueError(
                f"{name}[{i}]: expected a dlcourse.nn.Parameter (from model.parameters()), got {type(p).__name__}"
            )
    if len(set(params)) != len(params):
        raise ValueError(
            f"{name}: expected each parameter once, got a parameter twice (it would be updated twice per step)"
        )
    return params, names


class Optimizer:
    """Holds the parameter groups and per-parameter state; subclasses implement :meth:`step`.

    Parameters
    ----------
    params : ``model.parameters()``, ``model.named_parameters()``, a Module, or a list of parameter groups (dicts
        with a ``'params'`` entry and any options to override)
    defaults : every option by name with its default (the constructor's arguments), ``opt.defaults``

    A subclass says how to check each option in ``option_checks`` (name -> ``check(value, name)``, returning the
    value to keep). Every option is checked where it is given, and named there: ``lr`` for the constructor's
    argument, ``params[1]['lr']`` for a group's own value.
    """

    option_checks: dict = {}

    def __init__(self, params: Params, defaults: dict) -> None:
        self.defaults = {key: self._check(key, value, key) for key, value in defaults.items()}
        self._check_group(self.defaults, "")
        self.state: defaultdict[Parameter, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, (Module, Parameter, set, frozenset)):
            self._add_group({"params": params}, "")
            return
        params = list(params)
        if params and all(isinstance(group, dict) for group in params):
            for i, group in enumerate(params):
                self._add_group(group, f"params[{i}]")
        else:
            self._add_group({"params": params}, "")

    # -- parameter groups ---------------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (the others from :attr:`defaults`), as in torch."""
        self._add_group(param_group, "param_group")

    def _add_group(self, group, where: str) -> None:
        """Check one group (``where`` names it; "" for the constructor's plain list) and append it."""
        if not isinstance(group, dict):
            raise ValueError(f"{where}: expected a dict (a parameter group), got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{where}: expected a 'params' entry in the parameter group, got keys {sorted(group)}")
        params, names = _parameter_list(group["params"], f"{where}['params']" if where else "params")
        new = {
            "params": params,
            **({"param_names": names} if names else {}),
            **self.defaults,
            **self._options(group, where),
        }
        if where:
            self._check_group(new, where)
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in new):
                raise ValueError(
                    f"{where}: expected all parameter groups with names or all without (from "
                    "named_parameters() or from parameters()), got a mix"
                )
            if not set(other["params"]).isdisjoint(params):
                raise ValueError(f"{where}: some parameters appear in more than one parameter group")
        self.param_groups.append(new)

    def _options(self, group: dict, where: str) -> dict:
        """The options a group sets itself (and a scheduler's 'initial_lr'), each checked; unknown names raise."""
        options = {}
        for key, value in group.items():
            if key in ("params", "param_names"):
                continue
            if key not in self.defaults and key != "initial_lr":
                raise ValueError(
                    f"{where}: unknown option {key!r} for {type(self).__name__}; its options are "
                    f"{', '.join(self.defaults)}"
                )
            options[key] = self._check(key, value, self._name(where, key))
        return options

    def _check(self, key: str, value, name: str):
        check = self.option_checks.get(key, nonnegative if key == "initial_lr" else None)
        return check(value, name) if check is not None else value

    def _check_group(self, group: dict, where: str) -> None:
        """Checks between the options of one group (e.g. SGD's Nesterov needs momentum); none by default."""

    @staticmethod
    def _name(where: str, key: str) -> str:
        """How a message names option ``key``: ``'lr'`` for the constructor's argument, ``"params[1]['lr']"``."""
        return f"{where}[{key!r}]" if where else key

    # -- the update -----------------------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.grad.fill(0.0)

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__}.step is not implemented")

    # -- checkpoints ----------------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The options of every group and the state of every parameter, as torch lays them out::

            {'state': {0: {'momentum_buffer': array}, 1: {...}, ...},      # by position over all groups
             'param_groups': [{'lr': 0.01, 'momentum': 0.9, ..., 'params': [0, 1]}, ...]}

        Parameters are numbered in order over all groups; a parameter with no state yet is left out of
        ``'state'``. Every array is a copy.
        """
        index, groups = 0, []
        state = {}
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            for i, p in zip(packed["params"], group["params"]):
                if self.state.get(p):
                    state[i] = copy.deepcopy(self.state[p])
            index += len(group["params"])
            groups.append(packed)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the options and the state saved by :meth:`state_dict` (copies; this optimizer keeps its own
        parameters). The groups must match this optimizer's in number and size, and each state array the shape of
        its parameter."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"state_dict: expected a dict with 'state' and 'param_groups' (from optimizer.state_dict()), got {got}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"state_dict: loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than this optimizer ({len(self.param_groups)})"
            )
        params = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            missing = [key for key in ("params", *self.defaults) if key not in saved]
            if missing:
                raise ValueError(
                    f"state_dict['param_groups'][{i}]: expected 'params' and every option of "
                    f"{type(self).__name__}, missing {missing}"
                )
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"state_dict: loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group: param_groups[{i}] has {len(saved['params'])} "
                    f"parameters, this optimizer's {len(group['params'])}"
                )
            params += list(zip(saved["params"], group["params"]))
        by_index = dict(params)
        state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(
                    f"state_dict['state']: expected parameter indices from the saved groups, got {index!r}"
                )
            p = by_index[index]
            state[p] = {
                key: self._loaded_value(value, p, f"state_dict['state'][{index!r}][{key!r}]")
                for key, value in values.items()
            }
        groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            where = f"state_dict['param_groups'][{i}]"
            new = {
                "params": group["params"],
                **({"param_names": group["param_names"]} if "param_names" in group else {}),
                **copy.deepcopy(self._options(saved, where)),
            }
            if "param_names" in saved:
                new["param_names"] = list(saved["param_names"])
            self._check_group(new, where)
            groups.append(new)
        self.state, self.param_groups = state, groups

    @staticmethod
    def _loaded_value(value, p: Parameter, name: str):
        """A copy of one saved state entry; an array must have the parameter's shape and gets its dtype."""
        if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray) and value.ndim:
            if value.shape != p.data.shape:
                raise ValueError(f"{name}: expected shape {p.data.shape} (the parameter's), got {value.shape}")
            return value.astype(p.data.dtype, copy=True)
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        """As torch prints an optimizer: every group's options, sorted by name."""
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])
