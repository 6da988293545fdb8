"""Chapter 03's pictures: the activations-and-gradients explorer (driven headlessly, its numbers checked against
PyTorch) and the learning-curve figures, including the live loss plot used as fit's callback."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from dlcourse import data, init, nn, train
from dlcourse.checks import rel_error
from dlcourse.checks import tolerances as tol
from dlcourse.interop import to_torch
from dlcourse.viz import curves, figure_to_png
from dlcourse.viz.explorer import (
    BATCH_SIZE,
    DEFAULTS,
    INIT_SCHEMES,
    N_PROBE,
    ActivationsExplorer,
    ExplorerResult,
    _digits,
    build_model,
    explore,
    hidden_activations,
    plot_activation_histograms,
)


def assert_not_blank(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    colours = np.unique((img.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert img.std() > 0.05 and len(colours) > 50, "the figure looks blank"


def close(a, b) -> bool:
    return float(np.max(rel_error(a, b), initial=0.0)) < tol.REFERENCE_RTOL


# --------------------------------------------------------------------------------------------- explorer
@pytest.fixture(scope="module")
def explorer():
    return ActivationsExplorer()


def test_defaults_give_a_picture_of_vanishing_gradients(explorer):
    r = explorer.result
    assert isinstance(r, ExplorerResult) and r.params == {**DEFAULTS, "scale": 1.0, "lr": pytest.approx(0.05)}
    d, steps = DEFAULTS["depth"], DEFAULTS["steps"]
    assert r.hist_start.shape == r.hist_end.shape == (d, len(r.edges) - 1)
    np.testing.assert_allclose(r.hist_start.sum(axis=1), 1.0)
    assert r.grad_norms.shape == (steps, d + 1) and r.loss.shape == (steps,) and r.diverged_at is None
    assert r.gradient_ratio < 1e-2  # sigmoid: the first layer's gradient is far smaller
    assert_not_blank(explorer.png)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000
    assert "gradient norm" in explorer.summary(r)


def test_same_settings_same_numbers():
    a, b = explore("relu", 4, "kaiming", steps=20), explore("relu", 4, "kaiming", steps=20)
    np.testing.assert_array_equal(a.grad_norms, b.grad_norms)
    np.testing.assert_array_equal(a.hist_end, b.hist_end)


def test_numbers_equal_pytorch():
    """Activations at the start and the first step's gradient norms, recomputed in float64 PyTorch."""
    r = explore("tanh", 5, "xavier", steps=3)
    model = build_model("tanh", 5, "xavier")
    tmodel = to_torch(model)
    X, y = _digits()
    h = torch.tensor(X[:N_PROBE])
    stds = []
    for layer in tmodel:
        h = layer(h)
        if isinstance(layer, torch.nn.Tanh):
            stds.append(h.std(correction=0).item())
    assert close(r.std_start, stds)
    xb, yb = next(data.iterate_minibatches(X, y, BATCH_SIZE, rng=np.random.default_rng(1)))
    torch.nn.functional.cross_entropy(tmodel(torch.tensor(xb)), torch.tensor(yb)).backward()
    norms = [m.weight.grad.norm().item() for m in tmodel if isinstance(m, torch.nn.Linear)]
    assert close(r.grad_norms[0], norms)


def test_hidden_activations_are_the_activation_outputs():
    model = nn.MLP(3, [4, 5], 2, "relu", rng=0)
    x = np.random.default_rng(0).standard_normal((6, 3))
    acts = hidden_activations(model, x)
    assert [a.shape for a in acts] == [(6, 4), (6, 5)] and all((a >= 0).all() for a in acts)
    np.testing.assert_array_equal(acts[1], model.forward_all(x)[3])


def test_the_phenomena_the_chapter_describes():
    depth = 10
    relu_xavier = explore("relu", depth, "xavier", steps=10)
    relu_kaiming = explore("relu", depth, "kaiming", steps=10)
    tiny = explore("tanh", depth, "normal 0.01", steps=10)
    sigmoid = explore("sigmoid", depth, "xavier", steps=10)
    # ReLU halves the second moment: with Xavier (gain 1) the signal shrinks layer by layer, He keeps it
    assert relu_xavier.std_start[-1] < 0.2 * relu_xavier.std_start[0]
    assert 0.5 < relu_kaiming.std_start[-1] / relu_kaiming.std_start[0] < 2.0
    # tiny weights: the activations collapse towards 0 geometrically, and every gradient is tiny
    assert tiny.std_start[-1] < 1e-8 and np.nanmax(tiny.grad_norms[0, :-1]) < 1e-6
    # sigmoid: derivative <= 1/4 per layer, the first layer's gradient vanishes
    assert sigmoid.gradient_ratio < 1e-4
    # twice the He scale in 10 ReLU layers: activations explode and training diverges
    exploding = explore("relu", depth, "kaiming", scale=2.0, steps=30)
    assert exploding.std_start[-1] > 100 * exploding.std_start[0] and exploding.diverged_at is not None
    assert np.isnan(exploding.loss[exploding.diverged_at :]).all()


def test_controls_update_the_result():
    ex = ActivationsExplorer(steps=20)
    first = ex.png
    ex.controls["activation"].value = "relu"
    ex.controls["init_scheme"].value = "kaiming"
    ex.controls["depth"].value = 3
    ex.controls["scale"].value = 0.5
    r = ex.result
    assert r.params["activation"] == "relu" and r.params["scale"] == 0.5 and r.depth == 3
    assert r.edges[0] == 0.0 and ex.png != first
    # ReLU's histograms leave out the exact zeros, whose fraction is reported apart
    np.testing.assert_allclose(r.hist_start.sum(axis=1) + r.extreme_start, 1.0)
    assert_not_blank(ex.png)


def test_a_diverged_run_still_draws():
    ex = ActivationsExplorer(activation="relu", depth=10, init_scheme="kaiming", scale=4.0, steps=20)
    assert ex.result.diverged_at is not None and "diverged" in ex.summary(ex.result)
    assert_not_blank(ex.png)


def test_static_histograms_render():
    fig = plot_activation_histograms("relu", schemes=tuple(INIT_SCHEMES), depth=3, width=32)
    assert_not_blank(figure_to_png(fig))


def test_bad_settings_are_named():
    for kwargs, word in [
        (dict(activation="gelu"), "activation"),
        (dict(init_scheme="he"), "init_scheme"),
        (dict(depth=0), "depth"),
    ]:
        with pytest.raises(ValueError, match=word):
            explore(**kwargs)
    with pytest.raises(ValueError, match="initial"):
        ActivationsExplorer(width=3)


# ------------------------------------------------------------------------------------------------ curves
@pytest.fixture(scope="module")
def histories():
    s = data.load_digits(rng=0)
    out = {}
    for bs in (32, 256):
        model = init.init_linear_(nn.MLP(64, [16], 10, rng=0), "kaiming_normal", rng=0)
        out[f"batch {bs}"] = train.fit(
            model, s.X_train, s.y_train, epochs=3, batch_size=bs, lr=0.1, rng=0, validation_data=(s.X_val, s.y_val)
        )
    return out


def test_history_figures(histories):
    h = histories["batch 32"]
    assert_not_blank(figure_to_png(curves.plot_history(h, title="digits")))
    assert_not_blank(figure_to_png(curves.plot_history({"loss": h["loss"]})))
    assert_not_blank(figure_to_png(curves.plot_histories(histories, ("loss", "val_accuracy"))))
    fig = curves.plot_histories(histories, ("val_loss",), steps_per_epoch={"batch 32": 37, "batch 256": 5})
    assert fig.axes[0].get_xlabel() == "parameter updates"
    assert fig.axes[0].lines[0].get_xdata()[0] == 37
    with pytest.raises(ValueError, match="histories"):
        curves.plot_histories({}, ("loss",))
    with pytest.raises(ValueError, match="val_loss"):
        curves.plot_histories({"a": {"loss": [1.0]}}, ("val_loss",))
    with pytest.raises(ValueError, match="history"):
        curves.plot_history([0.5, 0.4])


def test_side_by_side_reports_the_largest_difference():
    a = np.linspace(2.0, 0.5, 50)
    b = a + 1e-15 * np.arange(50)
    fig = curves.plot_side_by_side({"dlcourse": a, "PyTorch": b})
    assert f"{np.abs(a - b).max():.1e}" in fig.axes[1].get_title()
    assert_not_blank(figure_to_png(fig))
    with pytest.raises(ValueError, match="two"):
        curves.plot_side_by_side({"a": a})
    with pytest.raises(ValueError, match="same length"):
        curves.plot_side_by_side({"a": a, "b": b[:-1]})


def test_examples_gallery():
    s = data.load_digits(rng=0)
    fig = curves.plot_examples(s.X_test, s.y_test, predictions=np.zeros_like(s.y_test), n=12, ncols=6)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 12 and any("true" in t for t in titles)
    assert_not_blank(figure_to_png(fig))
    with pytest.raises(ValueError, match="X"):
        curves.plot_examples(np.zeros((3, 10)), [0, 1, 2])


def test_live_plot_headless_redraws_when_asked():
    X, y = data.make_blobs(40, n_classes=3, rng=0)
    live = curves.LiveLossPlot(epochs=7, every=3)
    train.fit(
        nn.MLP(2, [4], 3, rng=0), X, y, epochs=7, batch_size=8, lr=0.1, rng=0, validation_data=(X, y), callback=live
    )
    assert live.updates == 3  # epochs 3, 6 and the last, 7
    assert live.figure.get_suptitle() == "epoch 7 of 7"
    assert [len(line.get_xdata()) for line in live.figure.axes[0].lines] == [7, 7]
    assert_not_blank(figure_to_png(live.figure))
    for bad in (dict(epochs=0), dict(every=0), dict(every=1.5)):
        with pytest.raises(ValueError):
            curves.LiveLossPlot(**bad)


def test_live_plot_in_a_kernel_updates_one_display(monkeypatch):
    """Inside IPython: one display with an id when the plot is made, then updates of that display, each a PNG."""
    import IPython
    import IPython.display

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj._repr_png_()[:8]))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj._repr_png_()[:8], display_id))
        return Handle()

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", fake_display)
    live = curves.LiveLossPlot(epochs=3)
    assert live.figure.get_suptitle() == "waiting for the first epoch"
    for epoch in (1, 2, 3):
        live(epoch, {"loss": [1.0, 0.8, 0.7][:epoch], "accuracy": [0.1, 0.5, 0.6][:epoch]})
    png = b"\x89PNG\r\n\x1a\n"
    assert shown == [("display", png, True), ("update", png), ("update", png), ("update", png)]
    assert live.updates == 3
