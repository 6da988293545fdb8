"""Chapter 04's text against the code: every number its prose quotes is recomputed here with dlcourse and PyTorch
(the run-dependent ones, training results, are printed by the notebook's own cells instead)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prose import chapter_markdown, quoted_number

from dlcourse import data, nn, optim, surfaces

TEXT = chapter_markdown("04")
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
BOWL = surfaces.IllConditionedQuadratic(condition_number=50)


# ------------------------------------------------------------------------------------------ section 1
def test_gradient_descent_on_the_bowl():
    assert quoted_number(TEXT, r"so the limit is \$\\eta < 2/50 = " + NUMBER + r"\$") == 2 / BOWL.condition_number
    factor = quoted_number(TEXT, r"\$\|1 - 0\.041 \\cdot 50\| = " + NUMBER + r"\$ per step")
    assert factor == round(abs(1 - 0.041 * BOWL.condition_number), 2)
    path = surfaces.run_optimizer(BOWL, "SGD", steps=60, lr=0.041)
    assert not path.diverged and len(path.values) == 61
    assert quoted_number(TEXT, r"the loss climbs from " + NUMBER + " to") == round(path.values[0])
    end = quoted_number(TEXT, r"the loss climbs from \d+ to " + NUMBER + r" in 60 steps")
    assert abs(path.values[-1] - end) / end < 0.02


def test_digits_counts_and_the_without_replacement_factor():
    from sklearn.datasets import load_digits

    assert quoted_number(TEXT, r"scikit-learn's " + NUMBER + r" handwritten 8×8 digits") == len(load_digits().target)
    digits = data.load_digits(rng=0)
    n = quoted_number(TEXT, r"\$N\$ = " + NUMBER + r" examples")
    assert n == len(digits.y_train)
    factor = quoted_number(TEXT, r"\$\(N - \|B\|\)/\(N - 1\)\$, " + NUMBER + r" for \$\|B\| = 512\$")
    assert factor == round((n - 512) / (n - 1), 2)


# ------------------------------------------------------------------------------------------ section 2: momentum
def test_momentum_rescaling():
    assert "momentum 0.9 moves up to ten times faster" in TEXT and 1 / (1 - 0.9) == pytest.approx(10)
    assert "the source's $\\alpha = 0.1$ is PyTorch's `lr=0.01`" in TEXT and 0.1 * (1 - 0.9) == pytest.approx(0.01)
    times = quoted_number(TEXT, r"its first step is \$1/\(1-\\beta\)\$ = " + NUMBER + " times larger")
    # the first steps themselves: torch.optim.SGD(lr=α, momentum=β, dampening=β) against the source's form
    valley, alpha, beta = surfaces.Rosenbrock(), 0.01, 0.9
    source_first = alpha * (1 - beta) * valley.gradient(valley.start)
    p = torch.tensor(valley.start.copy(), requires_grad=True)
    opt = torch.optim.SGD([p], lr=alpha, momentum=beta, dampening=beta)
    p.grad = torch.from_numpy(valley.gradient(valley.start))
    opt.step()
    torch_first = p.detach().numpy() - valley.start
    assert np.linalg.norm(torch_first) / np.linalg.norm(source_first) == pytest.approx(times)


def _spectral_radius(h, mu, nesterov):
    step = [[1 - h * (1 + mu), -mu * mu], [h, mu]] if nesterov else [[1 - h, -mu], [h, mu]]
    return np.abs(np.linalg.eigvals(np.array(step))).max()


def _critical_h(mu, nesterov):
    lo, hi = 0.5, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _spectral_radius(mid, mu, nesterov) < 1 else (lo, mid)
    return lo


def test_stability_limits_of_momentum_and_nesterov():
    nesterov = quoted_number(TEXT, r"about \$" + NUMBER + r"\$ instead of \$3\.8\$ for \$\\mu = 0\.9\$")
    momentum = quoted_number(TEXT, r"about \$1\.36\$ instead of \$" + NUMBER + r"\$ for \$\\mu = 0\.9\$")
    mu = 0.9
    assert nesterov == round(2 * (1 + mu) / (1 + 2 * mu), 2) == round(_critical_h(mu, True), 2)
    assert momentum == round(2 * (1 + mu), 1) == round(_critical_h(mu, False), 1)
    assert "$\\eta\\lambda < 2(1+\\mu)/(1 + 2\\mu)$" in TEXT and "$\\eta\\lambda < 2(1 + \\mu)$" in TEXT


def _torch_final(lr, steps=3000, **momentum):
    """|theta| after `steps` steps of torch.optim.SGD on L = 50 theta^2 / 2 from theta = 1 (inf once it blows up)."""
    p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, **momentum)
    for _ in range(steps):
        p.grad = 50.0 * p.detach().clone()
        opt.step()
        if not torch.isfinite(p).all() or abs(p.item()) > 1e6:
            return np.inf
    return abs(p.item())


def _dlcourse_final(lr, steps=3000, **momentum):
    param = nn.Parameter("theta", np.ones(1), np.zeros(1))
    opt = optim.SGD([param], lr=lr, **momentum)
    for _ in range(steps):
        param.grad[:] = 50.0 * param.data
        opt.step()
        if not np.all(np.isfinite(param.data)) or abs(param.data[0]) > 1e6:
            return np.inf
    return abs(param.data[0])


@pytest.mark.parametrize("final", [_torch_final, _dlcourse_final], ids=["torch", "dlcourse"])
def test_playground_limits_on_the_quadratic(final):
    """Curvature lambda = kappa = 50: each quoted rate converges, and diverges a little above it."""
    gd = quoted_number(TEXT, r"raise the SGD rate past \$2/\\kappa = " + NUMBER + r"\$")
    nesterov = quoted_number(TEXT, r"diverges above \$1\.36/\\kappa \\approx " + NUMBER + r"\$")
    momentum = quoted_number(TEXT, r"plain momentum only above\s+\$3\.8/\\kappa = " + NUMBER + r"\$")
    assert (gd, nesterov, momentum) == (0.04, 0.027, 0.076)
    assert final(0.99 * gd) < 1e-6 and final(1.01 * gd) == np.inf
    assert final(nesterov, momentum=0.9, nesterov=True) < 1e-6  # 0.027 converges ...
    assert final(0.0275, momentum=0.9, nesterov=True) == np.inf  # ... 0.0275 diverges
    assert final(0.99 * momentum, steps=6000, momentum=0.9) < 1e-6
    assert final(1.01 * momentum, momentum=0.9) == np.inf
    assert 1.36 / 50 == pytest.approx(nesterov, abs=5e-4) and 3.8 / 50 == pytest.approx(momentum)


# ------------------------------------------------------------------------------------------ section 3
def test_adagrad_numbers():
    assert "$10^4$ times the gradient for $\\epsilon = 10^{-8}$" in TEXT and 1 / np.sqrt(1e-8) == pytest.approx(1e4)
    assert "the box $|x|, |y| < 10^6$" in TEXT and surfaces.DIVERGED == 1e6
    assert "$\\epsilon$ (PyTorch: $10^{-10}$)" in TEXT
    assert torch.optim.Adagrad([torch.zeros(1, requires_grad=True)]).defaults["eps"] == 1e-10
    assert optim.Adagrad([nn.Parameter("w", np.zeros(1), np.zeros(1))]).defaults["eps"] == 1e-10


def test_epsilon_prevents_a_division_by_zero_not_a_zero_gradient():
    """The correction's claim, in dlcourse and in PyTorch: without eps a parameter with zero gradients becomes NaN."""
    for eps, finite in [(1e-10, True), (0.0, False)]:
        param = nn.Parameter("w", np.ones(2), np.zeros(2))
        opt = optim.Adagrad([param], lr=0.1, eps=eps)
        p = torch.ones(2, dtype=torch.float64, requires_grad=True)
        t_opt = torch.optim.Adagrad([p], lr=0.1, eps=eps)
        with np.errstate(invalid="ignore"):
            for g in ([0.0, 2.0], [0.0, -1.0]):
                param.grad[:] = g
                opt.step()
                p.grad = torch.tensor(g, dtype=torch.float64)
                t_opt.step()
        assert np.isfinite(param.data[0]) == finite and np.isfinite(p[0].item()) == finite
        assert param.data[1] == pytest.approx(p[1].item())


def test_rmsprop_and_adam_defaults_as_quoted():
    rms = torch.optim.RMSprop([torch.zeros(1, requires_grad=True)]).defaults
    assert "(default 0.99) and $\\epsilon = 10^{-8}$" in TEXT and (rms["alpha"], rms["eps"]) == (0.99, 1e-8)
    adam = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    assert "$\\eta = 10^{-3}$, $(\\beta_1, \\beta_2) = (0.9, 0.999)$, $\\epsilon = 10^{-8}$" in TEXT
    assert (adam["lr"], adam["betas"], adam["eps"]) == (1e-3, (0.9, 0.999), 1e-8)
    assert "(default `weight_decay=0.01`)" in TEXT
    assert torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 0.01


# ------------------------------------------------------------------------------------------ section 4: Adam
def test_adam_bias_correction_numbers():
    first = quoted_number(TEXT, r"0\.1/\\sqrt\{0\.001\} \\approx " + NUMBER + r"\\,\\eta")
    assert first == round(0.1 / np.sqrt(0.001), 2)
    assert quoted_number(TEXT, r"the steps start " + NUMBER + " times larger") == first
    assert "for roughly a thousand steps" in TEXT and 1 / (1 - 0.999) == pytest.approx(1000)
    assert quoted_number(TEXT, r"0\.5/\\sqrt\{1\.25\}\\,\\eta \\approx " + NUMBER) == round(0.5 / np.sqrt(1.25), 2)
    # the uncorrected first step, measured: an Adam step without the correction is 3.16 lr
    g = 0.7
    m, v = 0.1 * g, 0.001 * g * g
    assert 1e-3 * m / (np.sqrt(v) + 1e-8) / 1e-3 == pytest.approx(first, abs=0.005)


# ------------------------------------------------------------------------------------------ section 5
def test_l2_inside_adam_shrinks_the_idle_weight():
    percent = quoted_number(TEXT, r"the idle weight is down to " + NUMBER + r"% after 2000 steps")
    noise = np.random.default_rng(4).normal(0.0, 10.0, size=2000)  # the notebook's stream
    param = nn.Parameter("w", np.ones(2), np.zeros(2))
    opt = optim.Adam([param], lr=1e-3, weight_decay=0.1)
    for g in noise:
        param.grad[:] = [g, 0.0]
        opt.step()
    assert round(100 * abs(param.data[1])) == percent
    assert abs(param.data[0]) > 0.9  # "the busy one has barely moved"


# ------------------------------------------------------------------------------------------ sections 6 and 8
def test_machine_epsilon_and_test_set_sizes():
    assert "$2^{-52} \\approx 2.2 \\cdot 10^{-16}$" in TEXT
    assert np.finfo(np.float64).eps == 2.0**-52 and round(np.finfo(np.float64).eps * 1e16, 1) == 2.2
    digits = data.load_digits(rng=0)
    assert quoted_number(TEXT, r"within the noise of a " + NUMBER + r"-image test set") == len(digits.y_test)
    assert quoted_number(TEXT, r"the validation accuracies \(" + NUMBER + r" images\)") == len(digits.y_val)
    assert quoted_number(TEXT, r"One test example is " + NUMBER + r" percentage points") == round(
        100 / len(digits.y_test), 2
    )


def test_playground_settings_as_described():
    from dlcourse.viz import optim_playground

    assert "(RMSprop keeps its default $\\alpha$ = 0.99)" in TEXT
    cls, hyper = optim_playground.OPTIMIZERS["RMSprop"]
    settings = dict(lr_sgd=0.01, lr_adaptive=0.1, momentum=0.9, beta1=0.9, beta2=0.999, weight_decay=0.1)
    assert (
        "alpha" not in hyper(settings)
        and torch.optim.RMSprop([torch.zeros(1, requires_grad=True)]).defaults["alpha"] == 0.99
    )
    assert "straight or rotated by 30°" in TEXT and surfaces.make_surface("rotated quadratic").angle_degrees == 30
    assert surfaces.make_surface("quadratic").condition_number == 50
    # "at 0.03 Nesterov leaves it quickly": within the playground's default number of steps
    race = optim_playground.race(
        "quadratic", optimizers=("Nesterov",), lr_sgd=0.03, momentum=0.9, steps=optim_playground.DEFAULTS["steps"]
    )
    assert race.paths["Nesterov"].diverged and len(race.paths["Nesterov"].xy) < 100


def test_exercise_descriptions_match_what_the_checks_do():
    from exercise_runs import WORDS, check_outputs

    printed = check_outputs("04")
    assert "on a noisy quadratic in four settings" in TEXT
    assert f"{WORDS['four']} settings x 200 steps" in printed["momentum"]
    assert "beside `torch.optim.RMSprop` in three settings" in TEXT and "3 settings x 200 steps" in printed["rmsprop"]
    assert "beside `torch.optim.Adam` in three settings" in TEXT and "3 settings x 200 steps" in printed["adam"]
    assert "`T_max` for four schedules" in TEXT and "4 schedules" in printed["cosine"]
    assert all(line.startswith("✔") for line in printed.values())
