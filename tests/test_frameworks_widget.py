"""Chapter 14's flatten-order explorer, driven headlessly: the indices it reports are the channels-first and
channels-last formulas, and its order is the one NumPy's transpose gives and Keras's Flatten uses."""

from __future__ import annotations

import io
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

from dlcourse.viz.frameworks_plots import FlattenOrderExplorer, flatten_order


def test_the_default_picture_is_drawn():
    import matplotlib.image as mpimg

    explorer = FlattenOrderExplorer()
    assert explorer.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(io.BytesIO(explorer.png), format="png")[..., :3].std() > 0.05
    assert "Keras index" in explorer.summary(explorer.result)


@pytest.mark.parametrize("channels, c, h, w", [(3, 1, 2, 1), (1, 0, 3, 3), (6, 5, 0, 2), (2, 1, 3, 0)])
def test_indices_follow_the_formulas(channels, c, h, w):
    explorer = FlattenOrderExplorer()
    for name, value in (("channels", channels), ("c", c), ("h", h), ("w", w)):
        explorer.controls[name].value = value
    r = explorer.result
    assert r.torch_index == c * 16 + h * 4 + w and r.keras_index == (h * 4 + w) * channels + c


def test_order_is_a_channels_last_transpose_and_what_keras_flattens():
    import keras

    order = flatten_order(3, 4, 5)
    np.testing.assert_array_equal(order, np.arange(60).reshape(3, 4, 5).transpose(1, 2, 0).ravel())
    maps = np.arange(60, dtype=np.float64).reshape(1, 3, 4, 5)  # value = PyTorch's flat index
    flat = keras.layers.Flatten()(maps.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(np.asarray(flat.cpu())[0], order)


def test_a_channel_beyond_the_maps_is_clamped():
    explorer = FlattenOrderExplorer()
    explorer.controls["c"].value = 5
    explorer.controls["channels"].value = 2
    assert explorer.result.entry[0] == 1
