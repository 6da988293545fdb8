"""The static figures of chapters 08-10 (dlcourse.viz.attention_plots, autoencoder_plots, gan_plots): each draws
what it is given, with the panels, titles and reference lines the chapters' text describes, and refuses mismatched
input."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import functional as F
from dlcourse.models import gan
from dlcourse.viz import attention_plots, autoencoder_plots, gan_plots
from dlcourse.viz.core import figure_to_png


def test_score_scaling_draws_both_panels_with_the_reference_lines():
    fig = attention_plots.plot_score_scaling([4, 16, 64], [4.1, 15.8, 63.0], [0.4, 0.7, 0.9], [0.25, 0.26, 0.25], 16)
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[1].get_ydata(), [4, 16, 64])  # the line d_k
    assert right.lines[2].get_ydata()[0] == pytest.approx(1 / 16)  # the uniform weight
    assert "16 keys" in right.get_title()
    assert figure_to_png(fig)[:4] == b"\x89PNG"


def test_positional_encoding_shows_the_encoding_and_its_dot_products():
    pe = F.sinusoidal_positional_encoding(20, 8)
    fig = attention_plots.plot_positional_encoding(pe)
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    np.testing.assert_allclose(images[0], pe.T)
    np.testing.assert_allclose(images[1], pe @ pe.T)
    with pytest.raises(ValueError, match="pe: expected a .positions, d. array"):
        attention_plots.plot_positional_encoding(np.zeros(3))


def test_attention_cost_draws_a_quadratic_through_the_last_point():
    fig = attention_plots.plot_attention_cost([100, 200, 400], [1.0, 3.5, 16.0], 2.1)
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 4.0, 16.0])
    assert "2.10" in ax.get_title()


def test_side_by_side_and_reconstructions_show_every_image_given():
    fig = autoencoder_plots.plot_side_by_side([np.eye(4), np.ones((4, 4))], ["a", "b"])
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["a", "b"]
    rows = [np.random.default_rng(0).random((5, 64)), np.random.default_rng(1).random((5, 1, 8, 8))]
    fig = autoencoder_plots.plot_reconstructions(rows, ["inputs", "model"], n=5)
    shown = [ax.images[0].get_array() for ax in fig.axes]
    assert len(shown) == 10
    np.testing.assert_allclose(shown[7], rows[1][2, 0])
    with pytest.raises(ValueError, match="titles: expected one title per row"):
        autoencoder_plots.plot_reconstructions(rows, ["inputs"])


def test_gan_snapshots_and_sample_grids():
    run = gan.train_gan(4, batch_size=16, snapshot_every=2, rng=0)
    fig = gan_plots.plot_snapshots({"a": run, "b": run}, [0, 1])
    assert len(fig.axes) == 4
    assert fig.axes[1].get_title() == f"a, step {run.snapshots[1].step}"
    samples = {1: np.random.default_rng(0).random((6, 1, 8, 8)), 3: np.zeros((6, 1, 8, 8))}
    fig = gan_plots.plot_sample_grids(samples, columns=3)
    assert sum(len(ax.images) for ax in fig.axes) == 12
