"""The optimizer playground and chapter 04's static figures, driven headlessly."""

from __future__ import annotations

import numpy as np
import pytest
from test_playground import assert_not_blank

from dlcourse.surfaces import SURFACES, make_surface, run_optimizer
from dlcourse.viz import figure_to_png
from dlcourse.viz import optim_plots as op
from dlcourse.viz.optim_playground import DEFAULTS, OPTIMIZER_NAMES, OptimizerPlayground, OptimizerRace, race


@pytest.fixture(scope="module")
def playground():
    return OptimizerPlayground()


def test_default_figure_shows_the_default_race(playground):
    r = playground.result
    assert isinstance(r, OptimizerRace) and r.surface.name == DEFAULTS["surface"]
    assert list(r.paths) == list(DEFAULTS["optimizers"])
    for path in r.paths.values():
        assert path.xy.shape == (DEFAULTS["steps"] + 1, 2) and not path.diverged
        np.testing.assert_array_equal(path.xy[0], r.surface.start)
    gaps = r.final_gaps()
    assert gaps["momentum"] < 0.1 < gaps["SGD"]  # on Rosenbrock's valley momentum wins clearly
    assert_not_blank(playground.png)
    assert "momentum: f − f_min" in playground.summary(r)


def test_display_offers_the_widget_and_its_png(playground):
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert len(bundle["image/png"]) > 1000


def test_paths_are_dlcourse_optimizers_runs():
    """The widget draws exactly what run_optimizer computes with the chosen hyperparameters."""
    r = race(
        surface="saddle",
        optimizers=("momentum", "Adam"),
        lr_sgd=0.03,
        lr_adaptive=0.05,
        momentum=0.8,
        beta1=0.7,
        beta2=0.99,
        steps=40,
    )
    surface = make_surface("saddle")
    np.testing.assert_array_equal(
        r.paths["momentum"].xy, run_optimizer(surface, "SGD", steps=40, lr=0.03, momentum=0.8).xy
    )
    np.testing.assert_array_equal(
        r.paths["Adam"].xy, run_optimizer(surface, "Adam", steps=40, lr=0.05, betas=(0.7, 0.99)).xy
    )


def test_controls_update_the_result_and_the_surface_resets_the_rates():
    pg = OptimizerPlayground(steps=50)
    first = pg.png
    pg.controls["surface"].value = "saddle"
    r = pg.result
    assert r.surface.name == "saddle" and pg.png != first
    assert pg.controls["lr_sgd"].value == pytest.approx(make_surface("saddle").suggested_lr["SGD"])
    assert r.params["lr_adaptive"] == pytest.approx(make_surface("saddle").suggested_lr["adaptive"])
    # plain GD lingers near the saddle for these 50 steps; Adam has left it
    assert r.paths["SGD"].distance_to(r.surface.saddle_points) < 0.2
    assert r.paths["Adam"].distance_to(r.surface.minima) < 0.2

    pg.controls["optimizers"].value = ("Nesterov", "AdamW")
    assert list(pg.result.paths) == ["Nesterov", "AdamW"]
    pg.controls["weight_decay"].value = 0.0
    pg.controls["beta1"].value = 0.5
    adamw = pg.result.paths["AdamW"]
    np.testing.assert_array_equal(
        adamw.xy,
        run_optimizer(
            make_surface("saddle"),
            "Adam",
            steps=50,
            lr=pg.controls["lr_adaptive"].value,
            betas=(0.5, DEFAULTS["beta2"]),
        ).xy,
    )
    pg.controls["steps"].value = 120
    assert len(pg.result.paths["Nesterov"].xy) == 121
    assert_not_blank(pg.png)


def test_changing_the_surface_redraws_once():
    pg = OptimizerPlayground(steps=20)
    calls = []
    original = pg.compute
    pg.compute = lambda **p: calls.append(p) or original(**p)
    pg.controls["surface"].value = "Beale"
    assert len(calls) == 1 and calls[0]["lr_sgd"] == make_surface("Beale").suggested_lr["SGD"]


def test_momentum_zero_makes_nesterov_plain_gradient_descent():
    r = race(surface="quadratic", optimizers=("SGD", "Nesterov"), momentum=0.0, lr_sgd=0.02, steps=30)
    np.testing.assert_array_equal(r.paths["SGD"].xy, r.paths["Nesterov"].xy)


def test_too_large_a_rate_is_drawn_as_diverged():
    pg = OptimizerPlayground(surface="quadratic", optimizers=("SGD",), lr_sgd=0.5, steps=100)
    assert pg.result.paths["SGD"].diverged and "diverged" in pg.summary(pg.result)
    assert_not_blank(pg.png)


def test_no_optimizer_selected_still_draws():
    pg = OptimizerPlayground(optimizers=(), steps=10)
    assert pg.result.paths == {} and pg.summary(pg.result) == "no optimizer selected"
    assert_not_blank(pg.png)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_with_every_optimizer_and_its_suggested_rates(surface):
    lrs = make_surface(surface).suggested_lr
    r = race(
        surface=surface,
        optimizers=OPTIMIZER_NAMES,
        lr_sgd=lrs["SGD"],
        lr_adaptive=lrs["adaptive"],
        momentum=0.5,
        steps=100,
    )
    assert list(r.paths) == list(OPTIMIZER_NAMES)
    kappa = getattr(r.surface, "condition_number", 0.0)
    for name, path in r.paths.items():
        if name == "Nesterov" and lrs["SGD"] * kappa > 2 * 1.5 / 2.0:  # beyond Nesterov's limit (see below)
            assert path.diverged
            continue
        assert not path.diverged, (surface, name)
        assert path.values[-1] < path.values[0], (surface, name)


@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9])
def test_stability_limits_of_momentum_and_nesterov_on_the_quadratic(mu):
    """On curvature lambda, heavy-ball momentum is stable for lr * lambda < 2 (1 + mu), Nesterov only for
    lr * lambda < 2 (1 + mu) / (1 + 2 mu): the limits the chapter states, on either side."""
    q = make_surface("quadratic")
    kappa = q.condition_number
    for name, limit in (("momentum", 2 * (1 + mu)), ("Nesterov", 2 * (1 + mu) / (1 + 2 * mu))):
        below = race(surface="quadratic", optimizers=(name,), momentum=mu, lr_sgd=0.97 * limit / kappa, steps=600)
        above = race(surface="quadratic", optimizers=(name,), momentum=mu, lr_sgd=1.03 * limit / kappa, steps=600)
        assert not below.paths[name].diverged and below.final_gaps()[name] < below.paths[name].values[0]
        assert above.paths[name].diverged, (name, mu)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="optimizers"):
        race(optimizers=("LBFGS",))
    with pytest.raises(ValueError, match="name"):
        race(surface="Himmelblau")
    with pytest.raises(ValueError, match="initial"):
        OptimizerPlayground(learning_rate=0.1)


# ---------------------------------------------------------------------------------------- static figures
def test_static_figures_render():
    surface = make_surface("Rosenbrock")
    paths = {
        "SGD": run_optimizer(surface, "SGD", steps=30, lr=1e-3),
        "Adam": run_optimizer(surface, "Adam", steps=30, lr=0.1),
    }
    histories = {
        "SGD": {"loss": [2.0, 1.0, 0.5], "accuracy": [0.5, 0.7, 0.8]},
        "Adam": {"loss": [2.0, 0.6, 0.2], "accuracy": [0.6, 0.8, 0.9]},
    }
    figures = [
        op.plot_paths(surface, paths),
        op.plot_paths(surface, paths, values=False, title="two"),
        op.plot_curves(
            {"printed": [1, 2, 3], "corrected": [1, 1.5, 1.7]},
            logy=True,
            ylabel="step size",
            styles={"printed": {"ls": "--"}},
        ),
        op.plot_schedules({"StepLR": [0.1, 0.1, 0.01], "cosine": [0.1, 0.05, 0.0]}),
        op.plot_training_curves(histories, {"SGD": 0.9, "Adam": 0.95}),
    ]
    for fig in figures:
        assert_not_blank(figure_to_png(fig))
    with pytest.raises(ValueError, match="test_accuracy"):
        op.plot_training_curves(histories, {"SGD": 0.9})


def test_colours_are_stable_per_optimizer():
    assert op.color_of("Adam") == op.color_of("Adam (lr 0.01)") == "tab:red"
    assert op.color_of("AdamW") == "tab:purple" and op.color_of("SGD") != op.color_of("momentum")
    assert op.color_of("something else", 0) != op.color_of("something else", 1)
