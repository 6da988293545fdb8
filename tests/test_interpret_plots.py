"""Chapter 12's static figures (dlcourse.viz.interpret_plots): each draws what it is given, in the panels and with the
scales the chapter's text describes, and refuses mismatched input by naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.viz import interpret_plots
from dlcourse.viz.core import figure_to_png


def test_activation_stats_one_histogram_per_layer_titled_with_mean_and_zeros():
    acts = {"relu": np.array([0.0, 0.0, 1.0, 3.0]), "logits": np.array([-1.0, 1.0])}
    fig = interpret_plots.plot_activation_stats(acts)
    assert len(fig.axes) == 2
    assert "mean 1.00, zeros 50%" in fig.axes[0].get_title()
    assert "zeros 0%" in fig.axes[1].get_title()
    assert sum(p.get_height() for p in fig.axes[0].patches) == 4  # every value counted
    assert figure_to_png(fig)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="activations: expected at least one layer"):
        interpret_plots.plot_activation_stats({})


def test_attributions_one_row_per_image_signed_maps_on_a_symmetric_scale():
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 8, 8))
    maps = {"saliency": rng.random((3, 8, 8)), "Integrated Gradients": rng.normal(size=(3, 8, 8))}
    fig = interpret_plots.plot_attributions(images, maps, ["a", "b", "c"])
    assert len(fig.axes) == 9
    np.testing.assert_allclose(fig.axes[3].images[0].get_array(), images[1, 0])
    np.testing.assert_allclose(fig.axes[5].images[0].get_array(), maps["Integrated Gradients"][1])
    lo, hi = fig.axes[5].images[0].get_clim()
    assert lo == -hi == -np.abs(maps["Integrated Gradients"][1]).max()
    assert fig.axes[1].images[0].get_clim()[0] == 0.0
    assert [fig.axes[i].get_title() for i in (0, 1, 2)] == ["a", "saliency", "Integrated Gradients"]
    with pytest.raises(ValueError, match=r"maps\['saliency'\]: expected shape \(3, 8, 8\)"):
        interpret_plots.plot_attributions(images, {"saliency": np.zeros((2, 8, 8))})


def test_completeness_and_convergence_draw_their_numbers():
    fig = interpret_plots.plot_completeness([4, 8, 16], {"right": [1.0, 0.5, 0.25], "gl": [0.1, 0.0, 0.0]})
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    assert ax.lines[1].get_ydata()[1] > 0  # zero is drawn at the floor of the log axis
    with pytest.raises(ValueError, match=r"errors\['right'\]: expected 3 values"):
        interpret_plots.plot_completeness([4, 8, 16], {"right": [1.0]})
    errors = np.array([[0.2, 0.4], [0.1, 0.1], [0.0, 0.0]])
    fig = interpret_plots.plot_convergence([10, 20, 30], errors, exact_at=30)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata()[:2], [0.3, 0.1])
    assert "30" in ax.get_legend().get_texts()[-1].get_text()
    with pytest.raises(ValueError, match="errors: expected shape"):
        interpret_plots.plot_convergence([10, 20], errors)


def test_randomization_grid_and_correlation_lines():
    rng = np.random.default_rng(1)
    maps = {m: [rng.normal(size=(8, 8)) for _ in range(4)] for m in ("saliency", "Grad-CAM")}
    corr = {"saliency": [1.0, 0.5, 0.2, 0.1], "Grad-CAM": [1.0, 0.0, -0.1, 0.0]}
    fig = interpret_plots.plot_randomization(rng.random((8, 8)), maps, corr, ["layer 7", "layer 3", "layer 0"])
    assert len(fig.axes) == 2 * 5 + 1
    line_axes = fig.axes[-1]
    np.testing.assert_allclose(line_axes.lines[0].get_ydata(), corr["saliency"])
    np.testing.assert_allclose(fig.axes[2].images[0].get_array(), np.abs(maps["saliency"][1]))
    assert fig.axes[1].get_title() == "trained" and fig.axes[2].get_title() == "+layer 7"
    with pytest.raises(ValueError, match=r"maps\['saliency'\]: expected 4 maps"):
        interpret_plots.plot_randomization(np.zeros((8, 8)), {"saliency": maps["saliency"][:2]}, corr, ["a", "b", "c"])


def test_deletion_insertion_two_panels_random_dashed():
    f = np.linspace(0, 1, 5)
    curves = {"saliency": (f, 1 - f, f), "random": (f, 0.5 + 0 * f, 0.5 + 0 * f)}
    fig = interpret_plots.plot_deletion_insertion(curves)
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), 1 - f)
    np.testing.assert_allclose(right.lines[0].get_ydata(), f)
    assert left.lines[1].get_linestyle() == "--"
