"""Chapter 09's latent-space explorer, driven headlessly: the decodes it shows are the decoder's at the chosen point,
over the grid and along the straight line between two examples' codes."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.models import autoencoders as AE
from dlcourse.viz.latent_space import LatentSpaceExplorer, LatentView


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    vae = AE.VAE(64, 16, latent=2, rng=0)
    images = rng.random((12, 64))
    labels = np.arange(12) % 3
    codes, _ = vae.encode(images)
    return vae, codes, labels, images


def test_default_figure_and_result(setup):
    vae, codes, labels, images = setup
    widget = LatentSpaceExplorer(vae.decode, codes, labels, images, grid=5, steps=4, limit=2.0)
    assert isinstance(widget.result, LatentView)
    assert widget.png.startswith(b"\x89PNG")
    assert widget.result.start == 0 and labels[widget.result.end] != labels[0]
    np.testing.assert_allclose(widget.result.image, vae.decode(np.zeros((1, 2))).reshape(8, 8), rtol=1e-14)
    assert "image/png" in widget._repr_mimebundle_()


def test_moving_the_point_decodes_there(setup):
    vae, codes, labels, images = setup
    widget = LatentSpaceExplorer(vae.decode, codes, labels, images, grid=5, steps=4, limit=2.0)
    widget.controls["z1"].value = 1.5
    widget.controls["z2"].value = -0.5
    np.testing.assert_array_equal(widget.result.point, [1.5, -0.5])
    np.testing.assert_allclose(widget.result.image, vae.decode(np.array([[1.5, -0.5]])).reshape(8, 8), rtol=1e-14)


def test_grid_and_interpolation(setup):
    vae, codes, labels, images = setup
    widget = LatentSpaceExplorer(vae.decode, codes, labels, images, grid=5, steps=4, limit=2.0)
    widget.controls["start"].value = 3
    widget.controls["end"].value = 7
    result = widget.result
    assert result.grid.shape == (5, 5, 8, 8) and result.path.shape == (4, 8, 8)
    assert result.grid_z[0, 0].tolist() == [-2.0, 2.0] and result.grid_z[-1, -1].tolist() == [2.0, -2.0]
    np.testing.assert_allclose(result.grid[1, 2], vae.decode(result.grid_z[1, 2][None]).reshape(8, 8), rtol=1e-14)
    np.testing.assert_allclose(result.path_z[0], codes[3], rtol=1e-14)
    np.testing.assert_allclose(result.path_z[-1], codes[7], rtol=1e-14)
    middle = (codes[3] + codes[7]) / 2
    np.testing.assert_allclose(widget.compute(0.0, 0.0, 3, 7).path_z.mean(axis=0), middle, rtol=1e-12)
    np.testing.assert_allclose(result.path, vae.decode(result.path_z).reshape(4, 8, 8), rtol=1e-14)


def test_bad_arguments_are_named(setup):
    vae, codes, labels, images = setup
    with pytest.raises(ValueError, match="decode"):
        LatentSpaceExplorer(None, codes, labels, images)
    with pytest.raises(ValueError, match="codes"):
        LatentSpaceExplorer(vae.decode, np.zeros((12, 3)), labels, images)
    with pytest.raises(ValueError, match="labels"):
        LatentSpaceExplorer(vae.decode, codes, labels[:5], images)
