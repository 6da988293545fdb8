"""dlcourse.frameworks.fourways: the digits MLP trained by dlcourse, PyTorch and Keras 3 from the same initial
weights takes the same SGD steps (PyTorch's in float64 to round-off; Keras's to float32 precision), and the line
counts count code only."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch

from dlcourse import data
from dlcourse.frameworks import fourways, keras_weights, to_torch_state


def test_three_frameworks_take_the_same_steps():
    split = data.load_digits(rng=0)
    X, y = split.X_train[:300], split.y_train[:300]
    budget = {"epochs": 2, "lr": 0.2, "batch_size": 64}
    model = fourways.build_dlcourse(0)
    net = fourways.build_torch()
    net.load_state_dict(to_torch_state(model.state_dict(), {"0": "0", "2": "2"}))
    twin = fourways.build_keras()
    twin.set_weights(keras_weights(model, (64,)))
    start = model[0].params["weight"].copy()
    fourways.train_dlcourse(model, X, y, **budget)
    fourways.train_torch(net, X, y, **budget)
    fourways.train_keras(twin, X, y, **budget)
    assert np.abs(model[0].params["weight"] - start).max() > 1e-3
    np.testing.assert_allclose(net[0].weight.detach().numpy(), model[0].params["weight"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin.get_weights()[0], model[0].params["weight"].T, rtol=0, atol=1e-5)
    with torch.no_grad():
        logits = net(torch.from_numpy(split.X_test)).numpy()
    np.testing.assert_allclose(logits, model(split.X_test), rtol=0, atol=1e-11)


def sample(x):
    """A docstring
    of two lines."""
    # a comment

    y = x + 1  # counted
    return [
        y,
        y,
    ]


def test_code_lines_skip_docstrings_comments_and_blank_lines():
    assert fourways.code_lines(sample) == 6  # def, y = ..., and the four lines of the return
    assert fourways.code_lines(sample, sample) == 12
