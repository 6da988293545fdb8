"""dlcourse.optim.lr_scheduler against torch.optim.lr_scheduler: the same rates, epoch by epoch, the same counting,
for one parameter group and for several."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import example, given
from strategies import scaled_settings, scheduler_settings

from dlcourse import nn, optim
from dlcourse.checks import rel_error, tolerances
from dlcourse.optim import lr_scheduler as ls

BASE_LR = 0.5


def _pair(base_lr=BASE_LR, name="SGD"):
    """A dlcourse optimizer and a torch one with the same learning rate."""
    ours = getattr(optim, name)(nn.Linear(2, 2, rng=0), lr=base_lr)
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=base_lr)
    return ours, theirs


def _rates(make, epochs, base_lr=BASE_LR):
    """Build the same schedule over both optimizers with ``make(module, optimizer)``; step both ``epochs`` times.

    Returns (ours, theirs): the rate of epochs 0..epochs from get_last_lr(), and the optimizer's own lr."""
    opt, t_opt = _pair(base_lr)
    sched, t_sched = make(ls, opt), make(torch.optim.lr_scheduler, t_opt)
    ours, theirs = [sched.get_last_lr()[0]], [t_sched.get_last_lr()[0]]
    assert opt.param_groups[0]["lr"] == ours[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when step() runs before any optimizer step
        for _ in range(epochs):
            opt.step()
            t_opt.step()
            sched.step()
            t_sched.step()
            ours.append(sched.get_last_lr()[0])
            theirs.append(t_sched.get_last_lr()[0])
            assert opt.param_groups[0]["lr"] == ours[-1]
    return np.array(ours), np.array(theirs)


def _assert_same(ours, theirs):
    err = rel_error(ours, theirs)
    worst = int(np.argmax(err))
    assert err[worst] <= tolerances.REFERENCE_RTOL, f"epoch {worst}: lr {ours[worst]!r}, torch {theirs[worst]!r}"


# ---------------------------------------------------------------------------------------- against torch
@scaled_settings(40)
@given(setting=scheduler_settings())
@example(setting=("StepLR", {"step_size": 3, "gamma": 0.1}, 20))
@example(setting=("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.5}, 15))
@example(setting=("MultiStepLR", {"milestones": [0, 3], "gamma": 0.5}, 6))
@example(setting=("ExponentialLR", {"gamma": 0.9}, 30))
@example(setting=("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.0}, 45))
@example(setting=("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, 40))
@example(setting=("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.0}, 6))
@example(setting=("LinearLR", {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5}, 10))
@example(setting=("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10}, 12))
def test_schedule_equals_torch_epoch_by_epoch(setting):
    name, kwargs, epochs = setting
    ours, theirs = _rates(lambda m, o: getattr(m, name)(o, **kwargs), epochs)
    _assert_same(ours, theirs)


def test_lambda_lr_equals_torch():
    ours, theirs = _rates(lambda m, o: m.LambdaLR(o, lambda e: 0.95**e / (1 + 0.1 * e)), 30)
    _assert_same(ours, theirs)


@pytest.mark.parametrize(
    "make, epochs",
    [
        (
            lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)], [5]),
            40,
        ),
        (
            lambda m, o: m.SequentialLR(
                o, [m.LinearLR(o, 0.25, total_iters=3), m.ExponentialLR(o, 0.9), m.StepLR(o, 4, 0.5)], [6, 12]
            ),
            30,
        ),
        (lambda m, o: m.SequentialLR(o, [m.ExponentialLR(o, 0.8), m.LambdaLR(o, lambda e: 1 / (e + 1))], [3]), 10),
        (lambda m, o: m.SequentialLR(o, [m.CosineAnnealingLR(o, T_max=4)], []), 10),
    ],
)
def test_sequential_lr_equals_torch(make, epochs):
    ours, theirs = _rates(make, epochs)
    _assert_same(ours, theirs)


def test_two_schedulers_on_one_optimizer_chain_like_torch():
    """Chainable form: each scheduler multiplies the *current* rate, so StepLR and ExponentialLR compose."""
    opt, t_opt = _pair()
    a, b = ls.ExponentialLR(opt, 0.9), ls.StepLR(opt, 3, 0.5)
    ta, tb = torch.optim.lr_scheduler.ExponentialLR(t_opt, 0.9), torch.optim.lr_scheduler.StepLR(t_opt, 3, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(12):
            for s in (a, b, ta, tb):
                s.step()
            assert math.isclose(opt.param_groups[0]["lr"], t_opt.param_groups[0]["lr"], rel_tol=1e-12)
    assert math.isclose(opt.param_groups[0]["lr"], BASE_LR * 0.9**12 * 0.5**4, rel_tol=1e-12)


def test_adam_trained_under_a_schedule_equals_torch():
    """The schedule reaches the update: Adam + warmup + cosine, 60 steps, step for step with torch."""
    rng = np.random.default_rng(0)
    model = nn.Linear(3, 2, rng=0)
    t_model = torch.nn.Linear(3, 2).double()
    t_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    opt, t_opt = optim.Adam(model, lr=0.05), torch.optim.Adam(t_model.parameters(), lr=0.05)

    def schedule(m, o):
        return m.SequentialLR(o, [m.LinearLR(o, 0.2, total_iters=4), m.CosineAnnealingLR(o, T_max=30)], [4])

    sched, t_sched = schedule(ls, opt), schedule(torch.optim.lr_scheduler, t_opt)
    loss_fn = nn.MSELoss()
    for _ in range(60):
        X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
        opt.zero_grad()
        loss_fn(model(X), Y)
        model.backward(loss_fn.backward(1.0))
        opt.step()
        sched.step()
        t_opt.zero_grad()
        torch.nn.functional.mse_loss(t_model(torch.tensor(X)), torch.tensor(Y)).backward()
        t_opt.step()
        t_sched.step()
    for name, value in t_model.state_dict().items():
        assert rel_error(model.params[name], value.numpy()).max() <= tolerances.REFERENCE_RTOL


# ------------------------------------------------------------------------------------- counting, formulas
def test_construction_sets_epoch_zero_and_records_the_base_rate():
    opt, _ = _pair(0.3)
    sched = ls.LinearLR(opt, start_factor=0.1, total_iters=4)
    group = opt.param_groups[0]
    assert sched.last_epoch == 0 and group["initial_lr"] == 0.3 and sched.base_lrs == [0.3]
    assert math.isclose(group["lr"], 0.03) and sched.get_last_lr() == [group["lr"]]
    later = ls.StepLR(opt, 2)  # a second scheduler keeps the recorded base rate
    assert later.base_lrs == [0.3]


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (7, 0.05), (1, 0.0), (25, 0.001)])
def test_cosine_follows_its_closed_form_and_comes_back_up(T_max, eta_min):
    ours, _ = _rates(lambda m, o: m.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), 3 * T_max)
    e = np.arange(3 * T_max + 1)
    closed = eta_min + (BASE_LR - eta_min) * (1 + np.cos(np.pi * e / T_max)) / 2
    np.testing.assert_allclose(ours, closed, rtol=1e-9, atol=1e-12)
    assert math.isclose(ours[T_max], eta_min, abs_tol=1e-12) and math.isclose(ours[2 * T_max], BASE_LR)


def test_step_exponential_and_linear_closed_forms():
    e = np.arange(31)
    ours, _ = _rates(lambda m, o: m.StepLR(o, step_size=4, gamma=0.5), 30)
    np.testing.assert_allclose(ours, BASE_LR * 0.5 ** (e // 4), rtol=1e-12)
    ours, _ = _rates(lambda m, o: m.ExponentialLR(o, gamma=0.9), 30)
    np.testing.assert_allclose(ours, BASE_LR * 0.9**e, rtol=1e-12)
    ours, _ = _rates(lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=8), 30)
    np.testing.assert_allclose(ours, BASE_LR * (0.2 + 0.8 * np.minimum(e, 8) / 8), rtol=1e-12)
    ours, _ = _rates(lambda m, o: m.MultiStepLR(o, milestones=[5, 12], gamma=0.1), 30)
    np.testing.assert_allclose(ours, BASE_LR * 0.1 ** ((e >= 5).astype(int) + (e >= 12)), rtol=1e-12)


def test_sequential_restarts_the_next_schedule_at_its_epoch_zero():
    ours, _ = _rates(
        lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=10)], [5]), 15
    )
    np.testing.assert_allclose(ours[:5], BASE_LR * (0.1 + 0.9 * np.arange(5) / 5), rtol=1e-12)
    np.testing.assert_allclose(ours[5:], BASE_LR * (1 + np.cos(np.pi * np.arange(11) / 10)) / 2, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda o: ls.StepLR(o, step_size=0), "step_size"),
        (lambda o: ls.StepLR(o, step_size=2.5), "step_size"),
        (lambda o: ls.StepLR(o, step_size=3, gamma=-0.1), "gamma"),
        (lambda o: ls.MultiStepLR(o, milestones=5), "milestones"),
        (lambda o: ls.MultiStepLR(o, milestones=[3, -1]), r"milestones\[1\]"),
        (lambda o: ls.ExponentialLR(o, gamma=float("nan")), "gamma"),
        (lambda o: ls.CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: ls.CosineAnnealingLR(o, T_max=10, eta_min=-1.0), "eta_min"),
        (lambda o: ls.LinearLR(o, start_factor=0.0), "start_factor"),
        (lambda o: ls.LinearLR(o, start_factor=1.5), "start_factor"),
        (lambda o: ls.LinearLR(o, end_factor=2.0), "end_factor"),
        (lambda o: ls.LinearLR(o, total_iters=0), "total_iters"),
        (lambda o: ls.LambdaLR(o, lr_lambda=0.5), "lr_lambda"),
        (lambda o: ls.StepLR("sgd", step_size=2), "optimizer"),
        (lambda o: ls.SequentialLR(o, [], []), "schedulers"),
        (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(o, 3)], []), "milestones"),
        (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(o, 3), ls.StepLR(o, 4)], [5, 3]), r"milestones\[1\]"),
        (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), ls.StepLR(_pair()[0], 3)], [5]), r"schedulers\[1\]"),
        (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2), "cosine"], [5]), r"schedulers\[1\]"),
    ],
)
def test_bad_arguments_raise_naming_them(make, pattern):
    opt, _ = _pair()
    with pytest.raises(ValueError, match=rf"^{pattern}: expected"):
        make(opt)


def test_lives_inside_optim_as_in_torch():
    import dlcourse
    import dlcourse.optim.lr_scheduler as module

    assert optim.lr_scheduler is ls is module and ls.__name__ == "dlcourse.optim.lr_scheduler"
    assert optim.lr_scheduler.CosineAnnealingLR is ls.CosineAnnealingLR
    assert not hasattr(dlcourse, "lr_scheduler")


# ------------------------------------------------------------------------------ parameter groups, state dicts
SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 6], gamma=0.1),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=4),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.9**e),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=3), m.CosineAnnealingLR(o, T_max=6)], [3]
    ),
}


def _grouped_pair():
    """Optimizers with two groups of different base rates, in dlcourse and torch."""
    model = nn.MLP(2, [3], 2, rng=0)
    ours = optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.02}], lr=0.5)
    theirs = torch.optim.SGD(
        [
            {"params": [torch.zeros(2, requires_grad=True)]},
            {"params": [torch.zeros(2, requires_grad=True)], "lr": 0.02},
        ],
        lr=0.5,
    )
    return ours, theirs


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_group_follows_its_own_base_rate_like_torch(name):
    opt, t_opt = _grouped_pair()
    sched, t_sched = SCHEDULES[name](ls, opt), SCHEDULES[name](torch.optim.lr_scheduler, t_opt)
    assert sched.base_lrs == [0.5, 0.02] and [g["initial_lr"] for g in opt.param_groups] == [0.5, 0.02]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(15):
            assert len(sched.get_last_lr()) == 2
            _assert_same(np.array(sched.get_last_lr()), np.array(t_sched.get_last_lr()))
            assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
            opt.step()
            t_opt.step()
            sched.step()
            t_sched.step()


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_state_dict_resumes_the_schedule_in_a_fresh_scheduler(name):
    opt, _ = _grouped_pair()
    sched = SCHEDULES[name](ls, opt)
    for _ in range(4):
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    expected = []
    for _ in range(8):
        sched.step()
        expected.append(sched.get_last_lr())
    fresh_opt, _ = _grouped_pair()
    fresh = SCHEDULES[name](ls, fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved)
    got = []
    for _ in range(8):
        fresh.step()
        got.append(fresh.get_last_lr())
    assert got == expected  # the same floats, not merely close
    assert "optimizer" not in saved and ("lr_lambda" not in saved if name == "LambdaLR" else True)


def test_scheduler_state_dict_is_a_copy_and_checked_on_loading():
    opt, _ = _grouped_pair()
    sched = ls.MultiStepLR(opt, milestones=[2, 4])
    saved = sched.state_dict()
    saved["base_lrs"][0] = 99.0
    saved["milestones"][7] = 1
    assert sched.base_lrs == [0.5, 0.02] and 7 not in sched.milestones
    with pytest.raises(ValueError, match=r"^state_dict: expected the state dict of a CosineAnnealingLR"):
        ls.CosineAnnealingLR(opt, T_max=3).load_state_dict(sched.state_dict())
    sequential = ls.SequentialLR(opt, [ls.StepLR(opt, 2), ls.ExponentialLR(opt, 0.9)], [3])
    with pytest.raises(ValueError, match=r"^state_dict\['_schedulers'\]: expected 2 state dicts"):
        sequential.load_state_dict({**sequential.state_dict(), "_schedulers": [sched.state_dict()]})
