"""Chapter 17's reverse-process scrubber, driven headlessly: each step shows the saved trajectory's state and the
data its noise prediction points to."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse import diffusion as D
from dlcourse.viz.diffusion_scrubber import DiffusionScrubber


@pytest.fixture(scope="module")
def trajectory():
    betas = D.linear_betas(20)
    model = D.NoiseMLP(2, hidden=(8,), embed_dim=4, rng=0)
    x_T = np.random.default_rng(0).standard_normal((50, 2))
    return betas, D.ddpm_sample(model, x_T, betas, rng=1, keep=True), model


def test_default_figure_is_the_middle_step(trajectory):
    _, result, _ = trajectory
    widget = DiffusionScrubber(result)
    assert widget.png.startswith(b"\x89PNG")
    assert widget.result.t == 10 and widget.result.T == 20
    np.testing.assert_array_equal(widget.result.x_t, result.trajectory[10])


def test_slider_picks_the_state_and_its_predicted_data(trajectory):
    betas, result, model = trajectory
    widget = DiffusionScrubber(result, data=np.zeros((5, 2)), t=15)
    widget.controls["t"].value = 7
    frame = widget.result
    x_t = result.trajectory[20 - 7]
    np.testing.assert_array_equal(frame.x_t, x_t)
    np.testing.assert_allclose(frame.predicted_x0, D.predict_x0(x_t, 7, model(x_t, np.full(50, 7)), betas))
    widget.controls["t"].value = 0
    np.testing.assert_array_equal(widget.result.x_t, result.x0)
    np.testing.assert_array_equal(widget.result.predicted_x0, result.x0)
    assert "step 0" in widget.summary(widget.result)


def test_images_are_drawn_as_a_grid():
    betas = D.linear_betas(5)
    x_T = np.random.default_rng(0).standard_normal((16, 64))
    result = D.ddim_sample(lambda x, t: 0.1 * x, x_T, betas, 5, keep=True)
    widget = DiffusionScrubber(result, t=3)
    assert widget.images and widget.png.startswith(b"\x89PNG")


def test_bad_input_names_the_argument(trajectory):
    _, result, _ = trajectory
    with pytest.raises(ValueError, match="result: expected the SampleResult"):
        DiffusionScrubber(result._replace(trajectory=None))
    with pytest.raises(ValueError, match="t: expected an integer from 0 to 20"):
        DiffusionScrubber(result, t=21)
    short = D.ddim_sample(lambda x, t: x, np.zeros((3, 2)), D.linear_betas(20), 4, keep=True)
    with pytest.raises(ValueError, match="t: expected one of the visited steps"):
        DiffusionScrubber(short, t=3)
