r"""Chapter 04: learning-rate schedules with ``torch.optim.lr_scheduler``'s names, arguments and epoch counting.

A scheduler changes the learning rate of every parameter group once per epoch (or per step, if you call it per
step)::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=50)        # sets the rate of epoch 0 (here: 0.1)
    for epoch in range(50):
        train_one_epoch(model, opt)                 # every step of this epoch uses opt.param_groups[i]['lr']
        sched.step()                                # after the optimizer's steps: the rate of the next epoch

The counting is PyTorch's. Creating a scheduler records each group's base rate as ``group['initial_lr']`` (unless
an earlier scheduler recorded it already), sets ``last_epoch = 0`` and sets the rate of epoch 0. Each ``step()``
adds one to ``last_epoch`` and sets that epoch's rates; ``get_last_lr()`` returns them, one per parameter group.
Like PyTorch, the schedules are *chainable*: ``get_lr()`` computes the next rate from the group's current one
(e.g. StepLR multiplies it by ``gamma`` at each boundary), so two schedulers on one optimizer compose, and
:class:`SequentialLR` can hand over from one schedule to the next.

To resume training from a checkpoint, build the model, optimizer and scheduler as before, then load the three
state dicts::

    model.load_state_dict(checkpoint['model'])
    opt.load_state_dict(checkpoint['optimizer'])
    sched.load_state_dict(checkpoint['scheduler'])    # last_epoch, base rates, ... : the next step() continues
"""

from __future__ import annotations

import copy
import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence

from .._validate import check_int, check_number, check_positive_int, check_positive_number
from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
]


class LRScheduler:
    """Base class: subclasses implement :meth:`get_lr` (chainable form) and, where PyTorch has one,
    :meth:`_get_closed_form_lr` (the rates of epoch ``last_epoch`` computed from the base rates)."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"optimizer: expected a dlcourse.optim optimizer (SGD, Adam ...), got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # torch: group.setdefault('initial_lr', group['lr'])
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self._is_initial = False
        self._initial_step()

    def _initial_step(self) -> None:
        """Count from zero and set the learning rate of epoch 0."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        """The rates of epoch ``last_epoch``, one per group, computed from the current ones. Called by :meth:`step`;
        to read the current rates use :meth:`get_last_lr`."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The rates set by the last :meth:`step` (or by the constructor), one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set its rates. Call it after the epoch's ``optimizer.step()`` calls."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:  # jump to an epoch: the closed form, if there is one
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    # -- checkpoints ----------------------------------------------------------------------------------------------
    #: attributes that are not saved: the optimizer (it has its own state dict) and functions
    _not_saved = ("optimizer",)

    def state_dict(self) -> dict:
        """Copies of the scheduler's attributes (``last_epoch``, ``base_lrs``, its settings ...), not the
        optimizer, as ``torch.optim.lr_scheduler``."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` saved, into a scheduler of the same kind and settings."""
        expected = {k for k in self.__dict__ if k not in self._not_saved}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"state_dict: expected the state dict of a {type(self).__name__} (keys {sorted(expected)}), got {got}"
            )
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._current_lrs()!r})"


class LambdaLR(LRScheduler):
    r"""``lr = base_lr * lr_lambda(epoch)`` for any function ``lr_lambda`` of the epoch number (0, 1, 2 ...).

    Its state dict leaves the function out, as torch's does for a plain function.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise ValueError(f"lr_lambda: expected a function of the epoch, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    _not_saved = ("optimizer", "lr_lambda")  # a function: the new scheduler brings its own

    def get_lr(self) -> list[float]:
        return [base_lr * self.lr_lambda(self.last_epoch) for base_lr in self.base_lrs]


class StepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs: :math:`\eta_e = \eta_0\,\gamma^{\lfloor e /
    \text{step\_size}\rfloor}`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_positive_number(gamma, "gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` at each epoch listed in ``milestones`` (a milestone listed twice counts
    twice, as in PyTorch)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise ValueError(f"milestones: expected a list of epoch numbers, got {milestones!r}")
        self.milestones = Counter(check_int(m, f"milestones[{i}]", minimum=0) for i, m in enumerate(milestones))
        self.gamma = check_positive_number(gamma, "gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every epoch: :math:`\eta_e = \eta_0\,\gamma^{e}`."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_positive_number(gamma, "gamma")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing (Loshchilov and Hutter, 2017) from the base rate :math:`\eta_0` down to ``eta_min``:

    .. math:: \eta_e = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\left(1 + \cos\frac{\pi e}{T_{\max}}\right)

    reaching ``eta_min`` at epoch ``T_max``. Past ``T_max`` PyTorch's schedule does not stay there: it follows the
    same cosine back up (period ``2 T_max``), and so does this one.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_positive_int(T_max, "T_max")
        self.eta_min = check_number(eta_min, "eta_min", minimum=0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (e - 1 - T) % (2 * T) == 0:  # leaving the bottom of the cosine
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for lr, base_lr in zip(self._current_lrs(), self.base_lrs)
            ]
        return [
            (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - eta_min) + eta_min
            for lr in self._current_lrs()
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    r"""Scale the base rate by a factor moving linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then keep it: a linear **warmup** with the defaults' shape (Goyal et al., 2017).

    .. math:: \eta_e = \eta_0\left(s + (f - s)\,\frac{\min(e, T)}{T}\right)
    """

    def __init__(
        self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5
    ) -> None:
        self.start_factor = check_number(start_factor, "start_factor", minimum=0, maximum=1)
        if self.start_factor == 0:  # the base rate times 0 could never grow again
            raise ValueError(f"start_factor: expected a number in (0, 1], got {start_factor!r}")
        self.end_factor = check_number(end_factor, "end_factor", minimum=0, maximum=1)
        self.total_iters = check_positive_int(total_iters, "total_iters")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        e, s, f, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or e > T:
            return self._current_lrs()
        return [lr * (1.0 + (f - s) / (T * s + (e - 1) * (f - s))) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        e, s, f, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        return [base_lr * (s + (f - s) * min(T, e) / T) for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    r"""Run ``schedulers[0]`` until epoch ``milestones[0]``, then ``schedulers[1]`` (restarted at its own epoch 0),
    and so on: e.g. ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 45)],
    milestones=[5])`` warms up for 5 epochs, then anneals.

    Like PyTorch, it first resets the rate to the base rate and undoes the initial step each scheduler took when
    it was created, then sets epoch 0 with the first scheduler.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int]) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer: expected a dlcourse.optim optimizer, got {type(optimizer).__name__}")
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("schedulers: expected at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise ValueError(f"schedulers[{i}]: expected a scheduler, got {type(s).__name__}")
            if s.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}]: expected a scheduler of `optimizer`, got one of another optimizer")
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"milestones: expected {len(schedulers) - 1} epoch numbers (one fewer than the "
                f"schedulers), got {len(milestones)}"
            )
        for i, m in enumerate(milestones):
            check_int(m, f"milestones[{i}]", minimum=1)
            if i and m <= milestones[i - 1]:
                raise ValueError(f"milestones[{i}]: expected increasing epoch numbers, got {milestones}")
        self._schedulers, self._milestones = schedulers, [int(m) for m in milestones]
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._is_initial = False
        for group in optimizer.param_groups:  # reset, and undo each scheduler's initial step
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            s.last_epoch -= 1
        schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)  # the next schedule starts at its own epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    _not_saved = ("optimizer", "_schedulers")

    def state_dict(self) -> dict:
        """Its own attributes, and the state dict of each of its schedulers under ``'_schedulers'``."""
        return {**super().state_dict(), "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict: dict) -> None:
        if not isinstance(state_dict, dict) or "_schedulers" not in state_dict:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"state_dict: expected the state dict of a SequentialLR (with '_schedulers'), got {got}")
        saved = state_dict["_schedulers"]
        if len(saved) != len(self._schedulers):
            raise ValueError(
                f"state_dict['_schedulers']: expected {len(self._schedulers)} state dicts, one per "
                f"scheduler, got {len(saved)}"
            )
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_schedulers"})
        for scheduler, scheduler_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(scheduler_state)
