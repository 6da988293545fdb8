"""Chapter 16's figures: the pretraining curves and the one-hot lookup draw what they are given."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.viz import gpt_plots


def test_lm_curves_draw_both_losses_and_the_uniform_guess():
    history = {"step": [0, 10, 20], "train": [3.0, 2.0, 1.5], "val": [3.0, 2.2, 1.9], "vocab_size": 20}
    fig = gpt_plots.plot_lm_curves(history)
    ax = fig.axes[0]
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), history["train"])
    np.testing.assert_array_equal(lines[1].get_ydata(), history["val"])
    assert lines[2].get_ydata()[0] == pytest.approx(np.log(20))
    with pytest.raises(ValueError, match="history"):
        gpt_plots.plot_lm_curves({"step": [0], "train": [1.0]})


def test_one_hot_lookup_shows_the_selected_rows():
    W = np.arange(12.0).reshape(4, 3)
    fig = gpt_plots.plot_one_hot_lookup([2, 0, 2], W)
    one_hot, table, product = (ax.get_images()[0].get_array() for ax in fig.axes)
    np.testing.assert_array_equal(one_hot, np.eye(4)[[2, 0, 2]])
    np.testing.assert_array_equal(table, W)
    np.testing.assert_array_equal(product, W[[2, 0, 2]])
