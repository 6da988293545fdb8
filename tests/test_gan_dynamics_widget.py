"""Chapter 10's training-dynamics widget, driven headlessly: each snapshot shows what the run recorded."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.data.synthetic import ring_centres
from dlcourse.models.gan import mode_coverage, train_gan
from dlcourse.viz.gan_dynamics import GANDynamics


@pytest.fixture(scope="module")
def runs():
    kwargs = {"steps": 60, "snapshot_every": 20, "batch_size": 32, "hidden": 16, "n_points": 64, "grid": 12}
    return {"a": train_gan(rng=0, **kwargs), "b": train_gan(rng=1, kind="minimax", **kwargs)}


def test_default_figure_is_the_last_snapshot(runs):
    widget = GANDynamics(runs)
    assert widget.png.startswith(b"\x89PNG")
    assert widget.result.name == "a" and widget.result.step == 60 and widget.result.total_steps == 60
    np.testing.assert_array_equal(widget.result.fake, runs["a"].snapshots[-1].fake)


def test_slider_and_menu_pick_the_snapshot_and_the_losses_so_far(runs):
    widget = GANDynamics(runs)
    widget.controls["snapshot"].value = 1
    frame = widget.result
    assert frame.step == 20 and len(frame.d_losses) == 20
    np.testing.assert_array_equal(frame.d_losses, runs["a"].d_losses[:20])
    np.testing.assert_array_equal(frame.probability, runs["a"].snapshots[1].probability)
    widget.controls["run"].value = "b"
    assert widget.result.name == "b" and widget.result.kind == "minimax"
    np.testing.assert_array_equal(widget.result.g_losses, runs["b"].g_losses[:20])
    expected = mode_coverage(runs["b"].snapshots[1].fake, ring_centres(), 0.02)
    assert widget.result.coverage.modes == expected.modes
    np.testing.assert_array_equal(widget.result.coverage.counts, expected.counts)
    assert "modes covered" in widget.summary(widget.result)


def test_step_zero_has_no_losses_and_one_run_has_no_menu(runs):
    widget = GANDynamics(runs["a"], snapshot=0)
    assert "run" not in widget.controls
    assert widget.result.step == 0 and widget.result.d_losses.shape == (0,)


def test_bad_arguments_are_named(runs):
    with pytest.raises(ValueError, match="runs: expected a GANRun"):
        GANDynamics({})
    with pytest.raises(ValueError, match="snapshot: expected an index"):
        GANDynamics(runs, snapshot=10)
