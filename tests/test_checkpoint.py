"""Training resumes from a checkpoint exactly: model, optimizer and scheduler state dicts, saved mid-run and loaded
into fresh objects, continue to the same numbers, bit for bit, as a run that was never interrupted, and to
torch's numbers (float64, within REFERENCE_RTOL) when torch saves and resumes the same way.

Every optimizer (SGD with momentum and with Nesterov momentum, Adagrad, RMSprop, Adam, AdamW) runs with two parameter
groups that set some options of their own, under every schedule of dlcourse.optim.lr_scheduler. The checkpoint goes
through pickle, as a file on disk would. As in tests/test_optim.py, torch is handed our gradient at every step, so
that only the update rule (and the checkpoint) is under test: the twins then differ by the rounding of the update
arithmetic alone, a few ulps per step.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import nn, optim
from dlcourse.checks import rel_error, tolerances
from dlcourse.optim import lr_scheduler

EPOCHS, BATCHES = 10, 2

#: name -> (constructor options, options of the second group), valid in dlcourse and torch alike
OPTIMIZERS = {
    "SGD momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.02, "dampening": 0.1, "weight_decay": 0.01}),
    "SGD nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 0.02, "momentum": 0.5}),
    "Adagrad": (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
        {"lr": 0.05, "weight_decay": 0.01},
    ),
    "RMSprop": (
        "RMSprop",
        {"lr": 0.01, "momentum": 0.5, "centered": True},
        {"lr": 0.005, "alpha": 0.9, "centered": False},
    ),
    "Adam": ("Adam", {"lr": 0.01, "amsgrad": True}, {"lr": 0.005, "betas": (0.8, 0.99), "weight_decay": 0.01}),
    "AdamW": ("AdamW", {"lr": 0.01}, {"lr": 0.003, "weight_decay": 0.1}),
}

#: name -> make(module, optimizer): the same schedule from dlcourse.optim.lr_scheduler or torch.optim.lr_scheduler
SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=4, eta_min=1e-3),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, total_iters=4),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3), m.CosineAnnealingLR(o, T_max=5)], milestones=[3]
    ),
}


def _batches(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((8, 3)), rng.standard_normal((8, 2))) for _ in range(EPOCHS * BATCHES)]


class Ours:
    """A dlcourse model, optimizer (two parameter groups) and scheduler, built the same way every time."""

    def __init__(self, opt_name: str, sched_name: str, seed: int):
        cls, options, second = OPTIMIZERS[opt_name]
        self.model = nn.MLP(3, [5], 2, "tanh", rng=seed)
        self.opt = getattr(optim, cls)(
            [{"params": self.model[0].parameters()}, {"params": self.model[2].parameters(), **second}], **options
        )
        self.sched = SCHEDULERS[sched_name](lr_scheduler, self.opt)
        self.loss_fn = nn.MSELoss()

    def train_epoch(self, batches) -> None:
        for X, Y in batches:
            self.opt.zero_grad()
            self.loss_fn(self.model(X), Y)
            self.model.backward(self.loss_fn.backward(1.0))
            self.opt.step()
        self.sched.step()

    def checkpoint(self) -> bytes:
        return pickle.dumps(
            {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "scheduler": self.sched.state_dict()}
        )

    def load(self, checkpoint: bytes) -> None:
        saved = pickle.loads(checkpoint)
        self.model.load_state_dict(saved["model"])
        self.opt.load_state_dict(saved["optimizer"])
        self.sched.load_state_dict(saved["scheduler"])


class Theirs:
    """The same three objects in torch (float64), trained on the gradients of a dlcourse twin."""

    def __init__(self, opt_name: str, sched_name: str, state_dict):
        cls, options, second = OPTIMIZERS[opt_name]
        self.model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state_dict.items()})
        self.opt = getattr(torch.optim, cls)(
            [{"params": self.model[0].parameters()}, {"params": self.model[2].parameters(), **second}], **options
        )
        self.sched = SCHEDULERS[sched_name](torch.optim.lr_scheduler, self.opt)

    def train_epoch(self, twin: Ours, batches) -> None:
        """Step with ``twin``'s gradient of each batch (``twin`` takes the same steps, one batch ahead of us)."""
        params = dict(self.model.named_parameters())
        for X, Y in batches:
            twin.opt.zero_grad()
            twin.loss_fn(twin.model(X), Y)
            twin.model.backward(twin.loss_fn.backward(1.0))
            for name, p in twin.model.named_parameters():
                params[name].grad = torch.from_numpy(p.grad.copy())
            twin.opt.step()
            self.opt.step()
        twin.sched.step()
        self.sched.step()

    def checkpoint(self):
        return copy.deepcopy(
            {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "scheduler": self.sched.state_dict()}
        )

    def load(self, saved) -> None:
        self.model.load_state_dict(saved["model"])
        self.opt.load_state_dict(saved["optimizer"])
        self.sched.load_state_dict(saved["scheduler"])


def _assert_bitwise_equal(resumed: Ours, straight: Ours, what: str) -> None:
    for (name, p), (_, q) in zip(resumed.model.named_parameters(), straight.model.named_parameters()):
        assert np.array_equal(p.data, q.data), f"{what}: {name} differs from the uninterrupted run"
    a, b = resumed.opt.state_dict(), straight.opt.state_dict()
    assert a["param_groups"] == b["param_groups"], f"{what}: the parameter groups differ"
    assert a["state"].keys() == b["state"].keys()
    for i, state in a["state"].items():
        for key, value in state.items():
            assert np.array_equal(value, b["state"][i][key]), f"{what}: state[{i}][{key!r}] differs"
    assert resumed.sched.get_last_lr() == straight.sched.get_last_lr(), f"{what}: the learning rates differ"
    assert resumed.sched.last_epoch == straight.sched.last_epoch


def _assert_close_to_torch(ours: Ours, theirs: Theirs, what: str) -> None:
    t_params = dict(theirs.model.named_parameters())
    for name, p in ours.model.named_parameters():
        err = float(rel_error(p.data, t_params[name].detach().numpy()).max())
        assert err <= tolerances.REFERENCE_RTOL, f"{what}: {name} differs from torch (rel. error {err:.1e})"
    for group, t_group in zip(ours.opt.param_groups, theirs.opt.param_groups):
        for key in ("lr", "initial_lr"):
            assert abs(group[key] - t_group[key]) <= tolerances.REFERENCE_RTOL * abs(t_group[key]), (
                f"{what}: {key} {group[key]!r}, torch {t_group[key]!r}"
            )
    for p, t_p in zip(
        (p for g in ours.opt.param_groups for p in g["params"]),
        (p for g in theirs.opt.param_groups for p in g["params"]),
    ):
        for key, value in theirs.opt.state[t_p].items():
            if torch.is_tensor(value) and value.ndim:
                err = float(rel_error(ours.opt.state[p][key], value.numpy()).max())
                assert err <= tolerances.REFERENCE_RTOL, f"{what}: state {key!r} differs from torch ({err:.1e})"


@pytest.mark.parametrize("sched_name", sorted(SCHEDULERS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@scaled_settings(4)
@given(stop=st.integers(1, EPOCHS - 1), seed=st.integers(0, 2**16))
def test_resumed_training_equals_the_uninterrupted_run_and_torch(opt_name, sched_name, stop, seed):
    batches = _batches(seed)
    epochs = [batches[e * BATCHES : (e + 1) * BATCHES] for e in range(EPOCHS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on schedulers and state dicts
        straight = Ours(opt_name, sched_name, seed)
        for batch in epochs:
            straight.train_epoch(batch)

        first = Ours(opt_name, sched_name, seed)
        t_first = Theirs(opt_name, sched_name, first.model.state_dict())
        for batch in epochs[:stop]:
            t_first.train_epoch(first, batch)
        checkpoint, t_checkpoint = first.checkpoint(), t_first.checkpoint()
        del first, t_first

        resumed = Ours(opt_name, sched_name, seed + 1)  # fresh objects, other initial weights
        t_resumed = Theirs(opt_name, sched_name, resumed.model.state_dict())
        resumed.load(checkpoint)
        t_resumed.load(t_checkpoint)
        _assert_close_to_torch(resumed, t_resumed, f"after loading the checkpoint of epoch {stop}")
        for e, batch in enumerate(epochs[stop:], start=stop + 1):
            t_resumed.train_epoch(resumed, batch)
            _assert_close_to_torch(resumed, t_resumed, f"epoch {e}")
    _assert_bitwise_equal(resumed, straight, f"resumed after epoch {stop}")


def test_without_the_optimizer_and_scheduler_state_the_run_differs():
    """The checkpoint's optimizer and scheduler state matter: the model's weights alone do not resume the run."""
    epochs = [_batches(0)[e * BATCHES : (e + 1) * BATCHES] for e in range(EPOCHS)]
    straight, first = Ours("SGD momentum", "StepLR", 0), Ours("SGD momentum", "StepLR", 0)
    for batch in epochs:
        straight.train_epoch(batch)
    for batch in epochs[:4]:
        first.train_epoch(batch)
    weights_only = Ours("SGD momentum", "StepLR", 1)
    weights_only.model.load_state_dict(first.model.state_dict())
    for batch in epochs[4:]:
        weights_only.train_epoch(batch)
    assert not np.array_equal(weights_only.model.state_dict()["0.weight"], straight.model.state_dict()["0.weight"])
