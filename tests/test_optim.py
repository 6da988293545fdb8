"""dlcourse.optim.SGD against torch.optim.SGD, step for step in float64."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given

from dlcourse import nn, optim
from dlcourse.checks import rel_error, tolerances
from strategies import scaled_settings, sgd_hyperparameters

STEPS = 200


def _twin_mlp(seed: int):
    """A small tanh MLP in dlcourse and the same one (same weights) in float64 torch."""
    ours = nn.MLP(3, [5], 2, "tanh", rng=seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(ours.state_dict()[name]))
    return ours, theirs


def _assert_same_parameters(ours, theirs, step):
    theirs_by_name = dict(theirs.named_parameters())
    for p in ours.parameters():
        err = float(rel_error(p.data, theirs_by_name[p.name].detach().numpy()).max())
        assert err <= tolerances.REFERENCE_RTOL, f"step {step}: {p.name} differs from torch (rel. error {err:.1e})"


def _run_both(hyper, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    ours, theirs = _twin_mlp(seed)
    opt = optim.SGD(ours.parameters(), **hyper)
    t_opt = torch.optim.SGD(theirs.parameters(), **hyper)
    loss_fn = nn.MSELoss()
    tX, tY = torch.tensor(X), torch.tensor(Y)
    losses = []
    for step in range(steps):
        opt.zero_grad()
        loss = loss_fn(ours(X), Y)
        ours.backward(loss_fn.backward(1.0))
        opt.step()
        t_opt.zero_grad()
        torch.nn.functional.mse_loss(theirs(tX), tY).backward()
        t_opt.step()
        _assert_same_parameters(ours, theirs, step)
        losses.append(float(loss))
    return losses


@scaled_settings(12)
@given(hyper=sgd_hyperparameters())
@example(hyper={"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.05, "nesterov": False})
@example(hyper={"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01, "nesterov": False})
@example(hyper={"lr": 0.02, "momentum": 0.95, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True})
def test_sgd_equals_torch_step_for_step(hyper):
    losses = _run_both(hyper)
    assert np.all(np.isfinite(losses))


def test_sgd_decreases_the_loss():
    losses = _run_both({"lr": 0.05, "momentum": 0.9})
    assert losses[-1] < 0.5 * losses[0]


def test_sgd_defaults_are_torchs():
    model = nn.Linear(2, 2, rng=0)
    opt = optim.SGD(model.parameters())
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    for name in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
        assert getattr(opt, name) == t_opt.defaults[name], name


def test_sgd_on_a_quadratic_matches_the_formula():
    """theta <- theta - lr * (g + wd * theta) with g = 2 * theta for L = |theta|^2 (no momentum)."""
    layer = nn.Linear(2, 1, bias=False, rng=0)
    theta = layer.params["weight"].copy()
    opt = optim.SGD(layer, lr=0.1, weight_decay=0.5)        # a Module is accepted as well as its parameters
    for _ in range(5):
        opt.zero_grad()
        layer.grads["weight"] += 2 * layer.params["weight"]
        opt.step()
        theta = theta - 0.1 * (2 * theta + 0.5 * theta)
    assert rel_error(layer.params["weight"], theta).max() <= tolerances.REFERENCE_RTOL


def test_sgd_over_parameters_of_separate_modules():
    """Two modules both have a parameter named 'weight'; each must keep its own momentum buffer (like torch)."""
    a, b = nn.Linear(3, 2, rng=0), nn.Linear(2, 4, rng=1)
    ta, tb = torch.nn.Linear(3, 2).double(), torch.nn.Linear(2, 4).double()
    ta.load_state_dict({k: torch.tensor(v) for k, v in a.state_dict().items()})
    tb.load_state_dict({k: torch.tensor(v) for k, v in b.state_dict().items()})
    opt = optim.SGD(a.parameters() + b.parameters(), lr=0.1, momentum=0.9)
    t_opt = torch.optim.SGD(list(ta.parameters()) + list(tb.parameters()), lr=0.1, momentum=0.9)
    x = np.random.default_rng(0).standard_normal((5, 3))
    dout = np.random.default_rng(1).standard_normal((5, 4))
    for _ in range(5):
        opt.zero_grad()
        b(a(x))
        a.backward(b.backward(dout))
        opt.step()
        t_opt.zero_grad()
        (tb(ta(torch.tensor(x))) * torch.tensor(dout)).sum().backward()
        t_opt.step()
    for ours, theirs in ((a, ta), (b, tb)):
        for name, value in theirs.state_dict().items():
            assert rel_error(ours.params[name], value.numpy()).max() <= tolerances.REFERENCE_RTOL


def test_zero_grad_clears_every_gradient():
    model = nn.MLP(2, [3], 2, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad += 1.0
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_step_updates_the_model_in_place():
    model = nn.Linear(2, 2, rng=0)
    before = model.params["weight"].copy()
    opt = optim.SGD(model.parameters(), lr=0.5)
    model.grads["weight"][...] = 1.0
    opt.step()
    assert np.array_equal(model.params["weight"], before - 0.5)


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": -0.1}, "lr"), ({"lr": float("nan")}, "lr"), ({"lr": "0.1"}, "lr"),
    ({"momentum": -0.5}, "momentum"), ({"momentum": float("inf")}, "momentum"),
    ({"dampening": -1.0}, "dampening"), ({"weight_decay": -1e-4}, "weight_decay"),
    ({"nesterov": True}, "nesterov"), ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
])
def test_invalid_hyperparameters_raise_naming_them(kwargs, name):
    model = nn.Linear(2, 2, rng=0)
    with pytest.raises(ValueError, match=name):
        optim.SGD(model.parameters(), **kwargs)


def test_invalid_params_raise():
    with pytest.raises(ValueError, match="params"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\]"):
        optim.SGD([np.zeros(3)], lr=0.1)
