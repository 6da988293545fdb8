"""dlcourse.surfaces: values against formulas written in torch, gradients against torch.autograd and finite
differences (float64), the stated minima and saddle, and optimizer paths equal to torch.optim's on each surface."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import floats, scaled_settings

from dlcourse import surfaces
from dlcourse.checks import numerical_gradient, rel_error, tolerances
from dlcourse.surfaces import (
    SURFACES,
    Beale,
    IllConditionedQuadratic,
    OptimizerPath,
    Rosenbrock,
    Saddle,
    make_surface,
    run_optimizer,
)


def torch_value(surface, xy: torch.Tensor) -> torch.Tensor:
    """Each surface's formula, written again in torch (an independent reference)."""
    x, y = xy[..., 0], xy[..., 1]
    if isinstance(surface, Rosenbrock):
        return (surface.a - x) ** 2 + surface.b * (y - x**2) ** 2
    if isinstance(surface, Beale):
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    if isinstance(surface, Saddle):
        return x**2 / 2 + y**4 / 4 - y**2 / 2
    if isinstance(surface, IllConditionedQuadratic):
        theta = torch.tensor(np.radians(surface.angle_degrees), dtype=torch.float64)
        c, s = torch.cos(theta), torch.sin(theta)
        u, v = c * x + s * y, -s * x + c * y  # coordinates along the principal axes
        return 0.5 * (u**2 + surface.condition_number * v**2)
    raise AssertionError(surface)


ALL = [
    Rosenbrock(),
    Rosenbrock(a=0.5, b=10.0),
    Beale(),
    Saddle(),
    IllConditionedQuadratic(),
    IllConditionedQuadratic(condition_number=10.0, angle_degrees=30.0),
    IllConditionedQuadratic(condition_number=3.0, angle_degrees=-75.0),
]
ids = [repr(s) for s in ALL]


def points_in(surface):
    """Points inside the surface's window, (n, 2)."""
    x0, x1, y0, y1 = surface.extent
    return (
        st.integers(1, 6)
        .flatmap(lambda n: st.lists(st.tuples(floats(x0, x1), floats(y0, y1)), min_size=n, max_size=n))
        .map(lambda pts: np.array(pts))
    )


@pytest.mark.parametrize("surface", ALL, ids=ids)
@scaled_settings(15)
@given(data=st.data())
def test_value_and_gradient_equal_torch(surface, data):
    xy = data.draw(points_in(surface))
    t = torch.tensor(xy, requires_grad=True)
    value = torch_value(surface, t)
    value.sum().backward()
    assert rel_error(surface.value(xy), value.detach().numpy()).max() <= tolerances.REFERENCE_RTOL
    assert rel_error(surface.gradient(xy), t.grad.numpy()).max() <= tolerances.REFERENCE_RTOL


@pytest.mark.parametrize("surface", ALL, ids=ids)
@scaled_settings(10)
@given(data=st.data())
def test_gradient_equals_finite_differences(surface, data):
    xy = data.draw(points_in(surface))
    dout = np.ones(len(xy))
    numeric = numerical_gradient(surface.value, [xy], dout)
    scale = tolerances.FD_ROUNDOFF * np.abs(surface.value(xy)).sum() / tolerances.FD_RTOL
    err = rel_error(surface.gradient(xy), numeric, floor=max(tolerances.FLOOR, scale))
    assert err.max() <= tolerances.FD_RTOL


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_minima_are_stationary_and_lowest(surface):
    assert surface.minima.ndim == 2 and surface.minima.shape[1] == 2
    np.testing.assert_allclose(surface.gradient(surface.minima), 0.0, atol=1e-12)
    x0, x1, y0, y1 = surface.extent
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101)), axis=-1)  # (101, 101, 2)
    assert surface.value(grid).shape == (101, 101)
    assert surface.value(grid).min() >= surface.min_value - 1e-12
    assert surface.gradient(grid).shape == (101, 101, 2)
    assert x0 < surface.start[0] < x1 and y0 < surface.start[1] < y1
    assert surface.value(surface.start) > surface.min_value


def test_known_minima_and_the_saddle_point():
    assert np.array_equal(Rosenbrock().minima, [[1.0, 1.0]]) and Rosenbrock().min_value == 0.0
    assert np.array_equal(Rosenbrock(a=2.0).minima, [[2.0, 4.0]])
    assert Beale().min_value == 0.0 and np.array_equal(Beale().minima, [[3.0, 0.5]])
    saddle = Saddle()
    assert saddle.min_value == -0.25 and len(saddle.minima) == 2
    np.testing.assert_array_equal(saddle.gradient(saddle.saddle_points), [[0.0, 0.0]])
    # the Hessian at the origin is diag(1, -1): up along x, down along y
    h = 1e-4
    assert saddle.value([h, 0.0]) > 0 > saddle.value([0.0, h])


@pytest.mark.parametrize("kappa, angle", [(25.0, 0.0), (10.0, 30.0), (4.0, 90.0)])
def test_quadratic_has_the_stated_curvatures(kappa, angle):
    q = IllConditionedQuadratic(kappa, angle)
    np.testing.assert_allclose(np.linalg.eigvalsh(q.hessian), [1.0, kappa], rtol=1e-12)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    np.testing.assert_allclose(q.value([c, s]), 0.5, rtol=1e-12)  # curvature 1 along the first axis
    np.testing.assert_allclose(q.value([-s, c]), 0.5 * kappa, rtol=1e-12)


# ---------------------------------------------------------------------------------------- running optimizers
PATH_CASES = [
    ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.3}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("Adam", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, hyper", PATH_CASES)
@pytest.mark.parametrize("surface_name", list(SURFACES))
def test_paths_equal_torch_optim_on_each_surface(surface_name, name, hyper):
    surface = make_surface(surface_name)
    path = run_optimizer(surface, name, steps=100, **hyper)
    assert not path.diverged and path.xy.shape == (101, 2) and path.values.shape == (101,)
    p = torch.tensor(surface.start, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **hyper)
    for t in range(1, 101):
        opt.zero_grad()
        torch_value(surface, p).backward()
        opt.step()
        err = rel_error(path.xy[t], p.detach().numpy()).max()
        assert err <= tolerances.REFERENCE_RTOL, f"step {t}: {path.xy[t]} vs torch {p.detach().numpy()}"
    np.testing.assert_allclose(path.values, surface.value(path.xy), rtol=1e-12)


def test_suggested_learning_rates_make_progress_everywhere():
    for name in SURFACES:
        surface = make_surface(name)
        for opt, hyper in (("SGD", {"momentum": 0.9}), ("Adam", {})):
            lr = surface.suggested_lr["SGD" if opt == "SGD" else "adaptive"]
            path = run_optimizer(surface, opt, steps=200, lr=lr, **hyper)
            assert not path.diverged and path.values[-1] < path.values[0], (name, opt)


def test_gradient_descent_lingers_at_the_saddle_and_momentum_escapes():
    saddle = Saddle()
    plain = run_optimizer(saddle, "SGD", steps=60, lr=0.05)
    heavy = run_optimizer(saddle, "SGD", steps=60, lr=0.05, momentum=0.9)
    assert plain.distance_to(saddle.saddle_points) < 0.2 < plain.distance_to(saddle.minima)
    assert heavy.distance_to(saddle.minima) < 0.1


def test_gradient_descent_diverges_above_two_over_kappa():
    q = IllConditionedQuadratic(condition_number=25.0)
    assert not run_optimizer(q, "SGD", steps=300, lr=1.9 / 25).diverged
    diverged = run_optimizer(q, "SGD", steps=300, lr=2.1 / 25)
    assert diverged.diverged and len(diverged.xy) < 301 and np.all(np.isfinite(diverged.xy))


def test_run_optimizer_accepts_a_class_a_factory_and_a_start():
    from dlcourse import optim

    a = run_optimizer(Saddle(), optim.Adam, steps=5, start=[1.0, 1.0], lr=0.1)
    b = run_optimizer(Saddle(), lambda params: optim.Adam(params, lr=0.1), steps=5, start=np.array([1.0, 1.0]))
    assert isinstance(a, OptimizerPath) and np.array_equal(a.xy, b.xy) and np.array_equal(a.xy[0], [1.0, 1.0])
    assert run_optimizer(Saddle(), "SGD", steps=0).xy.shape == (1, 2)


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: run_optimizer("rosenbrock", "SGD"), "surface"),
        (lambda: run_optimizer(Saddle(), "Adamax"), "optimizer"),
        (lambda: run_optimizer(Saddle(), "Optimizer"), "optimizer"),
        (lambda: run_optimizer(Saddle(), 3), "optimizer"),
        (lambda: run_optimizer(Saddle(), "SGD", steps=-1), "steps"),
        (lambda: run_optimizer(Saddle(), "SGD", start=[1.0, 2.0, 3.0]), "start"),
        (lambda: run_optimizer(Saddle(), "SGD", start=[np.nan, 0.0]), "start"),
        (lambda: run_optimizer(Saddle(), "SGD", lr=-1.0), "lr"),
        (lambda: Saddle().value(np.zeros((4, 3))), "xy"),
        (lambda: Saddle().gradient(5.0), "xy"),
        (lambda: make_surface("Himmelblau"), "name"),
        (lambda: IllConditionedQuadratic(condition_number=0.5), "condition_number"),
    ],
)
def test_bad_arguments_raise_naming_them(call, pattern):
    with pytest.raises(ValueError, match=rf"^{pattern}"):
        call()


def test_every_listed_surface_is_exported():
    assert set(surfaces.__all__) >= {"Rosenbrock", "Beale", "Saddle", "IllConditionedQuadratic", "run_optimizer"}
