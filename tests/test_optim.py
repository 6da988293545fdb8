"""dlcourse.optim against torch.optim, step for step in float64: SGD, Adagrad, RMSprop, Adam, AdamW, with one
parameter group and with several; the layout of their state dicts; bad hyperparameters, groups and state dicts.

Each optimizer trains the same small tanh MLP as its torch twin for 200 steps, on a fresh random mini-batch each
step (the same for both), and after every step all parameters must agree to REFERENCE_RTOL; the optimizer state
(momentum buffers, running averages) must agree with torch's too. Hyperparameters are drawn by hypothesis over
their whole valid range, with torch's defaults and common settings as explicit examples.

Both optimizers are handed the same gradient at every step (dlcourse's, which tests/test_nn.py holds to torch's
autograd): what is under test is the update rule. Two separately computed gradients differ by rounding, and an
adaptive optimizer divides by the running size of each gradient entry, so an entry that stays tiny turns a
rounding-level difference into a large relative one, step after step: two twins trained each on its own gradient
drift apart, by chance (over 40 random RMSprop settings: a worst relative error of up to 8e-6 in 200 steps, above
REFERENCE_RTOL). Fed the same gradient, the twins differ only by the rounding of the update arithmetic, a few ulps
of each step, which adds up at most linearly (the same 40 settings: at most 3e-11).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given
from strategies import (
    adagrad_hyperparameters,
    adam_hyperparameters,
    rmsprop_hyperparameters,
    scaled_settings,
    sgd_hyperparameters,
)

from dlcourse import nn, optim
from dlcourse.checks import rel_error, tolerances

STEPS = 200
OPTIMIZERS = ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW")


def _twin_mlp(seed: int):
    """A small tanh MLP in dlcourse and the same one (same weights) in float64 torch."""
    ours = nn.MLP(3, [5], 2, "tanh", rng=seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(ours.state_dict()[name]))
    return ours, theirs


def _assert_close(ours, theirs, what):
    err = float(rel_error(ours, theirs).max()) if np.size(ours) else 0.0
    assert err <= tolerances.REFERENCE_RTOL, f"{what} differs from torch (rel. error {err:.1e})"


def _assert_same_state(opt, t_opt, step):
    """Every state entry torch keeps (buffers, running averages, step counts) equals ours."""
    for i, (p, theirs) in enumerate(zip(opt.param_groups[0]["params"], t_opt.param_groups[0]["params"])):
        ours, t_state = opt.state[p], t_opt.state[theirs]
        for key, value in t_state.items():
            if value is None:
                continue
            assert key in ours, f"step {step}: state[{i}] lacks torch's {key!r}"
            _assert_close(
                np.asarray(ours[key], dtype=np.float64), value.detach().numpy(), f"step {step}: state[{i}][{key!r}]"
            )


def _run_both(hyper, name="SGD", steps=STEPS, seed=0, check_state=True):
    """Train the twins with ``name`` from dlcourse.optim and torch.optim; compare after every step.

    With ``maximize=True`` both climb the negated loss, so the run stays bounded. Returns the losses.
    """
    rng = np.random.default_rng(seed)
    ours, theirs = _twin_mlp(seed)
    opt = getattr(optim, name)(ours.parameters(), **hyper)
    t_opt = getattr(torch.optim, name)(theirs.parameters(), **hyper)
    sign = -1.0 if hyper.get("maximize") else 1.0
    loss_fn = nn.MSELoss()
    theirs_by_name = dict(theirs.named_parameters())
    losses = []
    for step in range(steps):
        X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))  # a fresh mini-batch every step
        opt.zero_grad()
        loss = loss_fn(ours(X), Y)
        ours.backward(loss_fn.backward(sign))
        opt.step()
        t_opt.zero_grad()
        (sign * torch.nn.functional.mse_loss(theirs(torch.tensor(X)), torch.tensor(Y))).backward()
        for p in ours.parameters():  # the same gradient for both (see the module docstring)
            t_grad = theirs_by_name[p.name].grad
            if step == 0:
                _assert_close(p.grad, t_grad.numpy(), f"step 0: the gradient of {p.name}")
            t_grad.copy_(torch.from_numpy(p.grad))
        t_opt.step()
        for p in ours.parameters():
            _assert_close(p.data, theirs_by_name[p.name].detach().numpy(), f"step {step}: {p.name}")
        if check_state and step in (0, 1, steps - 1):
            _assert_same_state(opt, t_opt, step)
        losses.append(float(loss))
    return losses


# ------------------------------------------------------------------------------- step for step with torch
@scaled_settings(12)
@given(hyper=sgd_hyperparameters())
@example(hyper={"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True})
@example(hyper={"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.0, "nesterov": False})
@example(hyper={"lr": 0.05, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.05, "nesterov": False})
@example(hyper={"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01, "nesterov": False})
@example(hyper={"lr": 0.02, "momentum": 0.95, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True})
@example(
    hyper={"lr": 0.02, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True, "maximize": True}
)
def test_sgd_equals_torch_step_for_step(hyper):
    losses = _run_both(hyper, "SGD")
    assert np.all(np.isfinite(losses))


@scaled_settings(12)
@given(hyper=adagrad_hyperparameters())
@example(hyper={})  # torch's defaults
@example(
    hyper={
        "lr": 0.1,
        "lr_decay": 0.01,
        "weight_decay": 0.05,
        "initial_accumulator_value": 0.1,
        "eps": 1e-6,
        "maximize": False,
    }
)
@example(hyper={"lr": 0.1, "maximize": True})
def test_adagrad_equals_torch_step_for_step(hyper):
    assert np.all(np.isfinite(_run_both(hyper, "Adagrad")))


@scaled_settings(12)
@given(hyper=rmsprop_hyperparameters())
@example(hyper={})
@example(hyper={"lr": 0.01, "momentum": 0.9})
@example(hyper={"lr": 0.01, "centered": True})
@example(hyper={"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.9, "centered": True})
@example(hyper={"lr": 0.005, "maximize": True, "momentum": 0.5})
@example(hyper={"lr": 0.0187, "alpha": 0.5, "eps": 1e-6, "weight_decay": 0.01, "momentum": 0.523})  # drifted
def test_rmsprop_equals_torch_step_for_step(hyper):
    assert np.all(np.isfinite(_run_both(hyper, "RMSprop")))


@scaled_settings(12)
@given(hyper=adam_hyperparameters())
@example(hyper={})
@example(hyper={"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1})
@example(hyper={"lr": 0.01, "amsgrad": True})
@example(hyper={"lr": 0.01, "betas": (0.0, 0.99), "eps": 1e-3, "maximize": True})
def test_adam_equals_torch_step_for_step(hyper):
    assert np.all(np.isfinite(_run_both(hyper, "Adam")))


@scaled_settings(12)
@given(hyper=adam_hyperparameters(default_weight_decay=0.01))
@example(hyper={})
@example(hyper={"lr": 0.01, "weight_decay": 0.5})
@example(hyper={"lr": 0.01, "weight_decay": 0.1, "amsgrad": True})
def test_adamw_equals_torch_step_for_step(hyper):
    assert np.all(np.isfinite(_run_both(hyper, "AdamW")))


def test_adam_with_decoupled_weight_decay_is_adamw():
    """torch.optim.Adam(decoupled_weight_decay=True) is AdamW; ours too, step for step with torch's Adam."""
    _run_both({"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, "Adam")


@pytest.mark.parametrize(
    "name, hyper",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("Adagrad", {"lr": 0.1}),
        ("RMSprop", {"lr": 0.01}),
        ("Adam", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01}),
    ],
)
def test_every_optimizer_decreases_the_loss(name, hyper):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((32, 3))
    Y = np.tanh(X @ rng.standard_normal((3, 2)))
    model = nn.MLP(3, [8], 2, "tanh", rng=1)
    opt = getattr(optim, name)(model, **hyper)
    loss_fn, losses = nn.MSELoss(), []
    for _ in range(300):
        opt.zero_grad()
        losses.append(loss_fn(model(X), Y))
        model.backward(loss_fn.backward(1.0))
        opt.step()
    assert losses[-1] < 0.3 * losses[0], f"{name}: loss {losses[0]:.3f} -> {losses[-1]:.3f}"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_are_torchs(name):
    model = nn.Linear(2, 2, rng=0)
    opt = getattr(optim, name)(model.parameters())
    t_opt = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
    assert opt.defaults, name
    for key, value in opt.defaults.items():
        assert value == t_opt.defaults[key], f"{name}.{key}: ours {value!r}, torch {t_opt.defaults[key]!r}"
    assert repr(opt).startswith(f"{name} (\nParameter Group 0\n    ") and "    lr: " in repr(opt)


# ------------------------------------------------------------------------------ the formulas, without torch
def test_sgd_on_a_quadratic_matches_the_formula():
    """theta <- theta - lr * (g + wd * theta) with g = 2 * theta for L = |theta|^2 (no momentum)."""
    layer = nn.Linear(2, 1, bias=False, rng=0)
    theta = layer.params["weight"].copy()
    opt = optim.SGD(layer, lr=0.1, weight_decay=0.5)  # a Module is accepted as well as its parameters
    for _ in range(5):
        opt.zero_grad()
        layer.grads["weight"] += 2 * layer.params["weight"]
        opt.step()
        theta = theta - 0.1 * (2 * theta + 0.5 * theta)
    assert rel_error(layer.params["weight"], theta).max() <= tolerances.REFERENCE_RTOL


def _quadratic_run(opt_factory, steps, seed=0):
    """Run an optimizer on L = 0.5 * sum(a * theta^2) (gradient a * theta); return the path (steps + 1, 4)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 3.0, size=4)
    layer = nn.Linear(4, 1, bias=False, rng=seed)
    opt = opt_factory(layer)
    path = [layer.params["weight"][0].copy()]
    for _ in range(steps):
        opt.zero_grad()
        layer.grads["weight"] += a * layer.params["weight"]
        opt.step()
        path.append(layer.params["weight"][0].copy())
    return np.array(path), a


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_momentum_as_an_exponential_average_is_torchs_momentum_with_lr_scaled(beta):
    """Source 001 §3.2.3: v = beta v + (1 - beta) g, theta -= alpha v  equals  SGD(lr=alpha (1 - beta), momentum=beta),
    the first step included (v_1 = (1 - beta) g_1 = (1 - beta) b_1)."""
    alpha = 0.1
    path, a = _quadratic_run(lambda m: optim.SGD(m, lr=alpha * (1 - beta), momentum=beta), 100)
    theta, v = path[0].copy(), np.zeros(4)
    for t in range(1, 101):
        v = beta * v + (1 - beta) * a * theta
        theta = theta - alpha * v
        assert rel_error(theta, path[t]).max() <= tolerances.REFERENCE_RTOL, f"step {t}"


def test_dampening_equal_to_momentum_differs_from_the_average_only_by_the_first_step():
    """SGD(momentum=beta, dampening=beta) copies the first gradient undamped, so it is NOT the exponential average:
    its first step is 1 / (1 - beta) times larger."""
    beta, lr = 0.9, 0.01
    path, a = _quadratic_run(lambda m: optim.SGD(m, lr=lr, momentum=beta, dampening=beta), 1)
    first_step = path[0] - path[1]
    np.testing.assert_allclose(first_step, lr * a * path[0], rtol=1e-12)  # b_1 = g_1, not (1 - beta) g_1


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop", "Adam"])
def test_first_adaptive_step_is_about_lr_per_coordinate(name):
    """Adagrad (G_1 = g_1^2) and Adam (bias-corrected) move every coordinate by lr * sign(g) on their first step;
    RMSprop's first step is lr / sqrt(1 - alpha) = 10 lr with alpha = 0.99."""
    lr = 0.01
    path, a = _quadratic_run(lambda m: getattr(optim, name)(m, lr=lr, eps=0.0), 1)
    g = a * path[0]
    expected = lr * np.sign(g) * (10.0 if name == "RMSprop" else 1.0)
    np.testing.assert_allclose(path[0] - path[1], expected, rtol=1e-12)


def test_adagrad_steps_shrink_like_one_over_sqrt_t_with_a_constant_gradient():
    """With a constant gradient g, G_t = t g^2, so step t is lr / sqrt(t) per coordinate."""
    layer = nn.Linear(3, 1, bias=False, rng=0)
    opt = optim.Adagrad(layer, lr=0.5, eps=0.0)
    before = layer.params["weight"].copy()
    for t in range(1, 20):
        opt.zero_grad()
        layer.grads["weight"] += np.array([[2.0, -0.5, 7.0]])
        opt.step()
        np.testing.assert_allclose(
            before - layer.params["weight"], 0.5 / np.sqrt(t) * np.sign([[2.0, -0.5, 7.0]]), rtol=1e-12
        )
        before = layer.params["weight"].copy()


def test_adamw_decays_weights_without_gradient():
    """With zero gradients Adam's update is 0/(0 + eps) = 0, so AdamW only shrinks: theta_t = (1 - lr wd)^t theta_0,
    while Adam's L2 term (wd theta inside the gradient) is normalised to a step of at most lr (10 steps: <= 0.1)."""
    for cls, wd in ((optim.AdamW, 0.1), (optim.Adam, 0.1)):
        layer = nn.Linear(3, 2, rng=0)
        theta0 = layer.params["weight"].copy()
        opt = cls(layer, lr=0.01, weight_decay=wd)
        for _ in range(10):
            opt.zero_grad()
            opt.step()
        if cls is optim.AdamW:
            np.testing.assert_allclose(layer.params["weight"], theta0 * (1 - 0.01 * 0.1) ** 10, rtol=1e-12)
        else:
            moved = np.abs(theta0 - layer.params["weight"])  # ~ lr per step, whatever |theta|
            assert np.all((moved > 0.09) & (moved <= 0.1 + 1e-12)), moved


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


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_zero_grad_clears_every_gradient(name):
    model = nn.MLP(2, [3], 2, rng=0)
    opt = getattr(optim, name)(model.parameters())
    for p in model.parameters():
        p.grad += 1.0
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_updates_the_model_in_place(name):
    model = nn.Linear(2, 2, rng=0)
    weight = model.params["weight"]
    before = weight.copy()
    opt = getattr(optim, name)(model.parameters(), lr=0.5)
    model.grads["weight"][...] = 1.0
    opt.step()
    assert model.params["weight"] is weight and np.all(weight < before)


# ------------------------------------------------------------------------------------------- bad arguments
BAD = {
    "SGD": [
        ({"lr": -0.1}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": "0.1"}, "lr"),
        ({"momentum": -0.5}, "momentum"),
        ({"momentum": float("inf")}, "momentum"),
        ({"dampening": -1.0}, "dampening"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"nesterov": True}, "nesterov"),
        ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
        ({"nesterov": "yes", "momentum": 0.9}, "nesterov"),
        ({"maximize": 1}, "maximize"),
    ],
    "Adagrad": [
        ({"lr": -1.0}, "lr"),
        ({"lr_decay": -0.1}, "lr_decay"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
        ({"eps": -1e-10}, "eps"),
        ({"maximize": None}, "maximize"),
    ],
    "RMSprop": [
        ({"lr": -1.0}, "lr"),
        ({"alpha": -0.1}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"eps": -1.0}, "eps"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"momentum": -0.9}, "momentum"),
        ({"centered": "no"}, "centered"),
    ],
    "Adam": [
        ({"lr": -1e-3}, "lr"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\]"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\]"),
        ({"betas": 0.9}, "betas"),
        ({"betas": (0.9, 0.99, 0.9)}, "betas"),
        ({"eps": -1e-8}, "eps"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"amsgrad": 0}, "amsgrad"),
        ({"decoupled_weight_decay": "yes"}, "decoupled_weight_decay"),
    ],
    "AdamW": [
        ({"lr": float("inf")}, "lr"),
        ({"betas": (0.9, 1.0)}, r"betas\[1\]"),
        ({"weight_decay": -0.01}, "weight_decay"),
    ],
}


@pytest.mark.parametrize("name, kwargs, pattern", [(n, k, p) for n, cases in BAD.items() for k, p in cases])
def test_invalid_hyperparameters_raise_naming_them(name, kwargs, pattern):
    model = nn.Linear(2, 2, rng=0)
    with pytest.raises(ValueError, match=rf"^{pattern}: expected") as info:
        getattr(optim, name)(model.parameters(), **kwargs)
    assert "got" in str(info.value)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_invalid_params_raise(name):
    with pytest.raises(ValueError, match="params"):
        getattr(optim, name)([], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\]"):
        getattr(optim, name)([np.zeros(3)], lr=0.1)


# ------------------------------------------------------------------------------------------ parameter groups
#: (optimizer, constructor options, the second group's own options), valid for dlcourse and torch
GROUPED = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.01, "nesterov": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}, {"lr": 0.02, "lr_decay": 0.05}),
    ("RMSprop", {"lr": 0.01}, {"lr": 0.002, "momentum": 0.5, "centered": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99)}, {"lr": 0.001, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}, {"lr": 0.003, "weight_decay": 0.5}),
]


def _grouped_twins(name, options, second, seed=0):
    """The twin MLPs with two parameter groups: layer 0 with the constructor's options, layer 2 with its own."""
    ours, theirs = _twin_mlp(seed)
    opt = getattr(optim, name)(
        [{"params": ours[0].parameters()}, {"params": ours[2].parameters(), **second}], **options
    )
    t_opt = getattr(torch.optim, name)(
        [{"params": theirs[0].parameters()}, {"params": theirs[2].parameters(), **second}], **options
    )
    return ours, theirs, opt, t_opt


def _step_both(ours, theirs, opt, t_opt, rng):
    """One step of both optimizers with dlcourse's gradient of a fresh mini-batch."""
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    loss_fn = nn.MSELoss()
    opt.zero_grad()
    loss_fn(ours(X), Y)
    ours.backward(loss_fn.backward(1.0))
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        t_params[name].grad = torch.from_numpy(p.grad.copy())
    opt.step()
    t_opt.step()


def _assert_same_weights(ours, theirs, what):
    t_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _assert_close(p.data, t_params[name].detach().numpy(), f"{what}: {name}")


@pytest.mark.parametrize("name, options, second", GROUPED, ids=[g[0] for g in GROUPED])
def test_parameter_groups_equal_torch(name, options, second):
    ours, theirs, opt, t_opt = _grouped_twins(name, options, second)
    assert len(opt.param_groups) == 2
    for group, t_group in zip(opt.param_groups, t_opt.param_groups):
        assert set(opt.defaults) <= set(group) and len(group["params"]) == len(t_group["params"]) == 2
        for key in opt.defaults:  # every option, in every group, as torch has it
            assert group[key] == t_group[key], f"{key}: ours {group[key]!r}, torch {t_group[key]!r}"
    rng = np.random.default_rng(0)
    for step in range(30):
        _step_both(ours, theirs, opt, t_opt, rng)
        _assert_same_weights(ours, theirs, f"step {step}")
    opt.param_groups[0]["lr"] = t_opt.param_groups[0]["lr"] = 0.0  # a change takes effect at the next step
    frozen = ours[0].state_dict()
    for step in range(5):
        _step_both(ours, theirs, opt, t_opt, rng)
        _assert_same_weights(ours, theirs, f"after setting lr = 0, step {step}")
    if name != "AdamW":  # AdamW's decay is lr * weight_decay: 0 too
        assert all(np.array_equal(v, frozen[k]) for k, v in ours[0].state_dict().items())


def test_named_parameters_and_add_param_group_as_in_torch():
    model = nn.MLP(3, [4], 2, rng=0)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    opt = optim.Adam(model[0].parameters(), lr=0.01)
    opt.add_param_group({"params": model[2].parameters(), "lr": 0.001})
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.001] and opt.param_groups[1]["betas"] == (0.9, 0.999)
    assert opt.state_dict()["param_groups"][1]["params"] == [2, 3]


def test_state_is_found_by_any_view_of_the_parameter():
    """opt.state[p] works with a Parameter from a later model.parameters() call, as torch's state[tensor] does."""
    model = nn.Linear(2, 2, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.grads["weight"][...] = 1.0
    opt.step()
    weight = model.parameters()[0]
    held = opt.param_groups[0]["params"][0]
    assert weight is not held and weight == held and hash(weight) == hash(held)
    np.testing.assert_array_equal(opt.state[weight]["momentum_buffer"], np.ones((2, 2)))


# ------------------------------------------------------------------------------------------------ state dicts
@pytest.mark.parametrize("name, options, second", GROUPED, ids=[g[0] for g in GROUPED])
def test_state_dict_has_torchs_layout(name, options, second):
    ours, theirs, opt, t_opt = _grouped_twins(name, options, second)
    rng = np.random.default_rng(1)
    for _ in range(3):
        _step_both(ours, theirs, opt, t_opt, rng)
    saved, t_saved = opt.state_dict(), t_opt.state_dict()
    assert list(saved) == ["state", "param_groups"] and sorted(saved["state"]) == sorted(t_saved["state"])
    for group, t_group in zip(saved["param_groups"], t_saved["param_groups"]):
        assert group["params"] == t_group["params"]
        assert {k: v for k, v in group.items() if k != "params"} == {k: t_group[k] for k in group if k != "params"}
    for i, state in saved["state"].items():
        assert set(state) == set(t_saved["state"][i]), f"state[{i}]"
        for key, value in t_saved["state"][i].items():
            _assert_close(np.asarray(state[key], dtype=np.float64), value.numpy(), f"state[{i}][{key!r}]")


def test_state_dict_and_load_state_dict_copy_the_arrays():
    model = nn.Linear(2, 2, rng=0)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.grads["weight"][...] = 1.0
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"][...] = 99.0
    saved["param_groups"][0]["lr"] = 99.0
    assert not np.any(opt.state[model.parameters()[0]]["exp_avg"] == 99.0) and opt.param_groups[0]["lr"] == 0.1
    other = optim.Adam(nn.Linear(2, 2, rng=1).parameters())
    other.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 0.0
    assert np.all(other.state[other.param_groups[0]["params"][0]]["exp_avg"] == 99.0)
    assert other.param_groups[0]["lr"] == 99.0 and other.param_groups[0]["params"][0].data is not model.params["weight"]


# ------------------------------------------------------------------------------------------- bad groups
def _layers():
    model = nn.MLP(3, [4], 2, rng=0)
    return model[0].parameters(), model[2].parameters()


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda a, b: optim.SGD([{"params": a}, {"lr": 0.1}], lr=0.1), r"^params\[1\]: expected a 'params' entry"),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": b, "lrr": 0.1}], lr=0.1),
            r"^params\[1\]: unknown option 'lrr' for SGD; its options are lr, momentum",
        ),
        (lambda a, b: optim.SGD([{"params": a}, {"params": b, "lr": -1.0}], lr=0.1), r"^params\[1\]\['lr'\]: expected"),
        (lambda a, b: optim.Adam([{"params": a, "betas": (0.9, 1.0)}]), r"^params\[0\]\['betas'\]\[1\]: expected"),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": a + b}], lr=0.1),
            r"^params\[1\]: some parameters appear in more than one parameter group",
        ),
        (lambda a, b: optim.SGD(a + a, lr=0.1), r"^params: expected each parameter once"),
        (lambda a, b: optim.SGD(set(a), lr=0.1), r"^params: expected an ordered collection"),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": b, "nesterov": True}], lr=0.1),
            r"^params\[1\]\['nesterov'\]: expected momentum > 0",
        ),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": [("w", b[0]), b[1]]}], lr=0.1),
            r"^params\[1\]\['params'\]: "
            r"expected all parameters with names",
        ),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": [("w", b[0])]}], lr=0.1),
            r"^params\[1\]: expected all parameter groups with names or all without",
        ),
        (
            lambda a, b: optim.SGD([{"params": a}, {"params": []}], lr=0.1),
            r"^params\[1\]\['params'\]: expected at least",
        ),
        (
            lambda a, b: optim.SGD(a, lr=0.1).add_param_group({"params": b, "momentum": -1}),
            r"^param_group\['momentum'\]: expected",
        ),
        (lambda a, b: optim.SGD(a, lr=0.1).add_param_group(b), r"^param_group: expected a dict"),
    ],
)
def test_bad_parameter_groups_raise_naming_them(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make(*_layers())


def _saved_sgd():
    a, b = _layers()
    opt = optim.SGD([{"params": a}, {"params": b, "lr": 0.01}], lr=0.1, momentum=0.9)
    for p in a + b:
        p.grad[...] = 1.0
    opt.step()
    return opt.state_dict()


@pytest.mark.parametrize(
    "make, pattern",
    [
        (
            lambda a, b: optim.SGD(a + b, lr=0.1),
            r"^state_dict: loaded state dict has a different number of parameter "
            r"groups \(2\) than this optimizer \(1\)",
        ),
        (
            lambda a, b: optim.SGD([{"params": a[:1]}, {"params": a[1:] + b}], lr=0.1),
            r"^state_dict: loaded state dict contains a parameter group that doesn't match the size of "
            r"optimizer's group",
        ),
        (
            lambda a, b: optim.SGD([{"params": b}, {"params": a}], lr=0.1),
            r"^state_dict\['state'\]\[0\]\['momentum_buffer'\]: expected shape \(2, 4\) \(the parameter's\), "
            r"got \(4, 3\)",
        ),
        (
            lambda a, b: optim.Adam([{"params": a}, {"params": b}]),
            r"^state_dict\['param_groups'\]\[0\]: expected 'params' "
            r"and every option of Adam, missing \['betas'",
        ),
    ],
)
def test_load_state_dict_rejects_a_mismatch_naming_it(make, pattern):
    saved = _saved_sgd()
    opt = make(*_layers())
    before = opt.state_dict()
    with pytest.raises(ValueError, match=pattern):
        opt.load_state_dict(saved)
    assert opt.state_dict()["param_groups"] == before["param_groups"]  # nothing changed


def test_load_state_dict_rejects_what_is_not_a_state_dict():
    opt = optim.SGD(_layers()[0], lr=0.1)
    with pytest.raises(ValueError, match=r"^state_dict: expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})
    saved = opt.state_dict()
    saved["param_groups"][0]["foo"] = 1
    with pytest.raises(ValueError, match=r"^state_dict\['param_groups'\]\[0\]: unknown option 'foo' for SGD"):
        opt.load_state_dict(saved)
