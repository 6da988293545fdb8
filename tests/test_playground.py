"""The network playground, driven headlessly: build it, set controls, read ``widget.result`` and its PNG."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse.viz import boundary
from dlcourse.viz.playground import (
    ACTIVATION_NAMES,
    DATASET_NAMES,
    DEFAULTS,
    MAX_UNITS_SHOWN,
    NetworkPlayground,
    PlaygroundResult,
    train_playground_model,
)


def png_pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return mpimg.imread(io.BytesIO(png), format="png")


def assert_not_blank(png: bytes) -> None:
    img = png_pixels(png)[..., :3]
    colours = np.unique((img.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert img.std() > 0.05 and len(colours) > 50, "the figure looks blank"


@pytest.fixture(scope="module")
def playground():
    return NetworkPlayground()


def test_defaults_give_a_correct_picture(playground):
    r = playground.result
    assert isinstance(r, PlaygroundResult)
    assert r.params == {**DEFAULTS, "lr": pytest.approx(DEFAULTS["lr"])}
    assert r.train_accuracy >= 0.98 and r.test_accuracy >= 0.95
    assert len(r.loss) == DEFAULTS["epochs"] and r.loss[-1] < 0.1 * r.loss[0]
    assert r.probs.shape == r.grid.xx.shape and np.all((r.probs >= 0) & (r.probs <= 1))
    assert r.n_maps == DEFAULTS["hidden_layers"] * min(DEFAULTS["width"], MAX_UNITS_SHOWN)
    assert_not_blank(playground.png)
    assert "train accuracy" in playground.summary(r)


def test_display_offers_the_widget_and_its_png(playground):
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert len(bundle["image/png"]) > 1000


def test_same_settings_same_result():
    a, b = train_playground_model(), train_playground_model()
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.probs, b.probs)


def test_controls_update_the_result():
    pg = NetworkPlayground(epochs=100)
    first_png = pg.png
    pg.controls["dataset"].value = "spirals"
    assert pg.result.params["dataset"] == "spirals"
    assert not np.array_equal(pg.result.X_train, train_playground_model(epochs=100).X_train)
    assert pg.png != first_png

    pg.controls["activation"].value = "relu"
    pg.controls["hidden_layers"].value = 3
    pg.controls["width"].value = 12
    r = pg.result
    assert r.params["activation"] == "relu" and r.hidden_sizes == [12, 12, 12]
    assert len(r.hidden_maps) == 3 and r.n_maps == 3 * min(12, MAX_UNITS_SHOWN)
    assert all(m.shape == (MAX_UNITS_SHOWN, *r.grid.xx.shape) for m in r.hidden_maps)
    assert all(np.all(m >= 0) for m in r.hidden_maps)  # ReLU units are non-negative
    assert r.num_parameters == (2 * 12 + 12) + 2 * (12 * 12 + 12) + (12 * 2 + 2)
    assert_not_blank(pg.png)

    pg.controls["width"].value = 3
    assert pg.result.n_maps == 3 * 3


def test_depth_matters_on_xor():
    """No hidden layer: a straight line, at best ~3 of the 4 clusters. Two hidden layers: all of them."""
    pg = NetworkPlayground(dataset="xor", hidden_layers=0)
    assert pg.result.train_accuracy <= 0.76 and pg.result.test_accuracy <= 0.76
    assert pg.result.hidden_maps == [] and pg.result.n_maps == 0
    assert_not_blank(pg.png)
    pg.controls["hidden_layers"].value = 2
    assert pg.result.train_accuracy > 0.95 and pg.result.test_accuracy > 0.95


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_every_dataset_trains(dataset):
    r = train_playground_model(dataset=dataset, epochs=50)
    assert len(r.X_train) == 200 and len(r.X_test) == 100
    assert np.isfinite(r.loss).all() and r.loss[-1] < r.loss[0]


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_every_activation_trains_circles(activation):
    r = train_playground_model(dataset="circles", activation=activation, hidden_layers=1, width=8, epochs=50)
    assert np.isfinite(r.loss).all()
    assert len(r.hidden_maps) == 1 and r.hidden_maps[0].shape[0] == 8
    if activation in ("relu", "sigmoid"):
        assert r.hidden_maps[0].min() >= 0
    if activation == "sigmoid":
        assert r.hidden_maps[0].max() <= 1


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="dataset"):
        train_playground_model(dataset="mnist")
    with pytest.raises(ValueError, match="activation"):
        train_playground_model(activation="gelu")
    with pytest.raises(ValueError, match="initial"):
        NetworkPlayground(depth=3)


def test_boundary_helpers():
    from dlcourse import data, nn

    X, y = data.make_dataset("moons", n_samples=50, rng=0)
    grid = boundary.make_grid(X, resolution=20)
    assert grid.points.shape == (400, 2) and grid.xx.shape == (20, 20)
    assert grid.extent[0] < X[:, 0].min() and grid.extent[3] > X[:, 1].max()
    model = nn.MLP(2, [5, 3], 3, "tanh", rng=0)
    probs = boundary.model_probabilities(model, grid.points)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    maps = boundary.hidden_activation_maps(model, grid, max_units=4)
    assert [m.shape for m in maps] == [(4, 20, 20), (3, 20, 20)]
    np.testing.assert_allclose(maps[1][2].ravel(), model.forward_all(grid.points)[3][:, 2])
    fig = boundary.plot_decision_boundary(lambda p: boundary.model_probabilities(model, p), X, y, resolution=30)
    from dlcourse.viz import figure_to_png

    assert_not_blank(figure_to_png(fig))
    with pytest.raises(ValueError, match="X"):
        boundary.make_grid(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="predict_proba"):
        boundary.probabilities_on_grid(lambda p: np.zeros((3, 2)), grid)


def test_chapter_figures_render():
    """The chapter's static figures (dlcourse.viz.activations_plot) draw something and check their arguments."""
    from dlcourse.viz import activations_plot as ap
    from dlcourse.viz import figure_to_png

    x = np.array([-2.0, 0.5, 3.0])
    curves = ap.activation_curves(x)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curves["sigmoid"][1], s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(curves["tanh"][1], 1 - np.tanh(x) ** 2, rtol=1e-12)
    np.testing.assert_allclose(curves["ReLU"][1], [0.0, 1.0, 1.0])
    for fig in (
        ap.plot_activations(),
        ap.plot_softmax([2.0, 1.0, 0.1], [1.0, 0.5]),
        ap.neuron_diagram(),
        ap.network_diagram([2, 12, 2]),
    ):
        assert_not_blank(figure_to_png(fig))
    with pytest.raises(ValueError, match="sizes"):
        ap.network_diagram([3])
    with pytest.raises(ValueError, match="logits"):
        ap.plot_softmax(np.zeros((2, 2)))
