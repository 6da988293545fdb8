"""Chapter 17's static figures: each draws what it is given, one panel per entry, with the data it was handed."""

from __future__ import annotations

import numpy as np

from dlcourse import diffusion as D
from dlcourse.viz import diffusion_plots as P


def test_noising_figure_has_a_panel_per_step_and_a_row_of_images():
    rng = np.random.default_rng(0)
    points = {t: rng.standard_normal((30, 2)) for t in (0, 5, 10)}
    fig = P.plot_noising(points, {t: rng.standard_normal((3, 8, 8)) for t in points})
    assert len(fig.axes) == 6
    np.testing.assert_array_equal(fig.axes[1].collections[0].get_offsets(), points[5])
    assert len(P.plot_noising(points).axes) == 3


def test_schedules_figure_plots_alpha_bar_and_beta():
    fig = P.plot_schedules({"linear": D.alpha_bars(D.linear_betas(50))})
    left, right = fig.axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), D.alpha_bars(D.linear_betas(50)))
    np.testing.assert_allclose(right.lines[0].get_ydata(), D.linear_betas(50))


def test_flow_score_samples_and_quality_figures():
    rng = np.random.default_rng(1)
    states = [rng.standard_normal((20, 2)) for _ in range(3)]
    fig = P.plot_flow((10, 5, 0), states, rng.standard_normal((40, 2)))
    assert [ax.get_title() for ax in fig.axes] == ["t = 10", "t = 5", "t = 0"]
    grid = rng.standard_normal((9, 2))
    fig = P.plot_score_fields(grid, {"a": (grid, -grid), "b": (grid, grid)})
    assert len(fig.axes) == 2
    fig = P.plot_digit_samples({"x": rng.random((16, 64)), "y": rng.random((16, 8, 8))}, columns=8)
    assert sum(len(ax.images) for ax in fig.axes) == 32
    fig = P.plot_steps_quality({"DDIM": {10: 20.0, 50: 12.0}}, {"real": 3.0, "noise": 150.0})
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [20.0, 12.0])
    assert len(ax.lines) == 3
