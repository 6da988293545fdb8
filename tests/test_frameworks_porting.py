"""dlcourse.frameworks.porting: a dlcourse state dict in PyTorch (renamed keys) and in Keras 3 (transposed kernels,
channels-last flatten order): the same logits as dlcourse's forward pass, PyTorch's in float64."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.frameworks import keras_weights, to_keras, to_torch_state


def cnn(channels=3, rng=0):
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * channels, 10, rng=rng),
    )


class Named(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, channels, 3, padding=1, dtype=torch.float64)
        self.fc = torch.nn.Linear(16 * channels, 10, dtype=torch.float64)

    def forward(self, x):
        return self.fc(torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2).flatten(1))


def test_to_torch_state_loads_strictly_and_computes_the_same_logits():
    model = cnn()
    x = np.random.default_rng(1).random((6, 1, 8, 8))
    net = Named(3)
    net.load_state_dict(to_torch_state(model.state_dict(), {"0": "conv", "4": "fc"}))
    with torch.no_grad():
        out = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, model(x), rtol=1e-12, atol=1e-13)


def test_to_torch_state_copies_and_names_what_is_unmapped():
    state = cnn().state_dict()
    mapped = to_torch_state(state, {"0": "conv", "4": "fc"})
    mapped["conv.weight"] += 1.0
    assert not np.allclose(state["0.weight"], mapped["conv.weight"].numpy())
    with pytest.raises(ValueError, match="names: expected a torch name for the layer '4'"):
        to_torch_state(state, {"0": "conv"})


def test_keras_weights_layouts_by_hand():
    model = cnn(channels=2)
    w_conv, b_conv, w_fc, b_fc = keras_weights(model, (1, 8, 8))
    assert w_conv.shape == (3, 3, 1, 2) and w_fc.shape == (32, 10)
    f, c, i, j = 1, 0, 2, 1
    assert w_conv[i, j, c, f] == model[0].params["weight"][f, c, i, j]
    # Keras's flat index of (h, w, c) is (h * 4 + w) * C + c; dlcourse's of (c, h, w) is c * 16 + h * 4 + w
    h, w, c, o = 3, 1, 1, 7
    assert w_fc[(h * 4 + w) * 2 + c, o] == model[4].params["weight"][o, c * 16 + h * 4 + w]
    np.testing.assert_array_equal(b_fc, model[4].params["bias"])


def test_keras_weights_of_an_mlp_are_transposes():
    mlp = nn.MLP(5, [4], 3, rng=0)
    w0, b0, w1, b1 = keras_weights(mlp, (5,))
    np.testing.assert_array_equal(w0, mlp[0].params["weight"].T)
    np.testing.assert_array_equal(w1, mlp[2].params["weight"].T)


@pytest.mark.parametrize("build", [lambda: cnn(), lambda: nn.MLP(64, [8], 10, "tanh", rng=2)])
def test_to_keras_computes_the_same_logits_to_float32_precision(build):
    model = build()
    shape = (1, 8, 8) if isinstance(model[0], nn.Conv2d) else (64,)
    x = np.random.default_rng(3).random((5, *shape))
    twin = to_keras(model, shape)
    keras_x = x.transpose(0, 2, 3, 1) if len(shape) == 3 else x
    out = np.asarray(twin.predict(keras_x, verbose=0), dtype=np.float64)
    expected = model(x)
    # Keras 3 on the torch backend computes float64 matmuls and convolutions in float32 (32-bit type promotion)
    assert np.abs(out - expected).max() < 1e-5 * max(1.0, np.abs(expected).max())
    assert np.abs(out - expected).max() > 0  # and it is float32: not bit-equal to float64


def test_keras_promotes_float64_products_to_float32():
    x = np.random.default_rng(0).random((3, 4))
    assert keras.ops.matmul(x, x.T).dtype == torch.float32


def test_to_keras_refuses_what_it_cannot_map():
    with pytest.raises(ValueError, match="stride 1"):
        to_keras(nn.Sequential(nn.Conv2d(1, 2, 3, stride=2, rng=0)), (1, 8, 8))
    with pytest.raises(ValueError, match="cannot map LeakyReLU"):
        to_keras(nn.Sequential(nn.Linear(3, 2, rng=0), nn.LeakyReLU()), (3,))
    with pytest.raises(ValueError, match="expected a dlcourse Sequential"):
        keras_weights(nn.Linear(3, 2, rng=0), (3,))
