"""dlcourse.train: fit learns the synthetic sets, predict returns labels."""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse import data, metrics, nn, optim
from dlcourse.train import fit, predict


def test_fit_learns_moons_full_batch():
    X, y = data.make_moons(200, noise=0.1, rng=0)
    model = nn.MLP(2, [16, 16], 2, "tanh", rng=0)
    history = fit(model, X, y, epochs=300, lr=0.5)
    assert len(history["loss"]) == len(history["accuracy"]) == 300
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    assert history["accuracy"][-1] >= 0.95
    assert np.mean(predict(model, X) == y) == history["accuracy"][-1]


def test_fit_learns_xor_with_minibatches():
    X, y = data.make_xor(200, noise=0.1, rng=1)
    model = nn.MLP(2, [8], 2, "relu", rng=1)
    history = fit(model, X, y, epochs=60, batch_size=16, rng=np.random.default_rng(0),
                  optimizer=optim.SGD(model, lr=0.1, momentum=0.9))
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    assert history["accuracy"][-1] >= 0.97


def test_fit_learns_the_four_xor_points():
    """The seed's XOR example, trained (000 §4.1 never trains it)."""
    model = nn.MLP(2, [4], 2, "tanh", rng=3)
    history = fit(model, data.XOR_INPUTS, data.XOR_TARGETS, epochs=500, lr=0.5)
    assert np.array_equal(predict(model, data.XOR_INPUTS), data.XOR_TARGETS)
    assert history["loss"][-1] < 0.05


def test_history_loss_is_the_mean_training_loss_of_each_epoch():
    """With lr=0 nothing changes, so every epoch's loss equals the initial loss over the whole set."""
    X, y = data.make_blobs(50, n_classes=3, rng=0)
    model = nn.MLP(2, [5], 3, rng=0)
    before = model.state_dict()
    history = fit(model, X, y, epochs=3, lr=0.0, batch_size=8, rng=0)
    logits = model(X)
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(50), y]))
    assert history["loss"] == pytest.approx([expected] * 3, rel=1e-12)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, before[name])


def test_fit_with_a_seed_shuffles_differently_each_epoch():
    """An int rng seeds one generator for the whole run, not the same permutation every epoch."""
    class FirstRows(nn.Identity):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, x):
            if len(x) == 5:                           # a mini-batch, not predict()'s whole set
                self.seen.append(x[:, 0].copy())
            return x

    X = np.c_[np.arange(20.0), np.zeros(20)]
    y = np.zeros(20, dtype=np.int64)
    recorder = FirstRows()
    model = nn.Sequential(recorder, nn.Linear(2, 2, rng=0))
    fit(model, X, y, epochs=2, lr=0.0, batch_size=5, rng=123)
    epoch1, epoch2 = np.concatenate(recorder.seen[:4]), np.concatenate(recorder.seen[4:])
    assert sorted(epoch1) == sorted(epoch2) == list(range(20))
    assert not np.array_equal(epoch1, epoch2)


def test_fit_needs_an_rng_for_minibatches():
    X, y = data.make_moons(20, rng=0)
    with pytest.raises(ValueError, match="rng"):
        fit(nn.MLP(2, [3], 2, rng=0), X, y, epochs=1, batch_size=4)


def test_predict_returns_integer_labels():
    model = nn.Linear(2, 3, rng=0)
    model.load_state_dict({"weight": np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]), "bias": np.zeros(3)})
    X = np.array([[2.0, 1.0], [0.0, 3.0], [-1.0, -2.0], [5.0, -4.0]])
    labels = predict(model, X)
    assert labels.shape == (4,) and np.issubdtype(labels.dtype, np.integer)
    assert labels.tolist() == [0, 1, 2, 0]


def test_predict_runs_in_eval_mode_and_restores_the_mode():
    class Spy(nn.Identity):
        def forward(self, x):
            self.mode_seen = self.training
            return x

    spy = Spy()
    model = nn.Sequential(spy)
    X = np.eye(2)
    predict(model, X)
    assert spy.mode_seen is False and model.training and spy.training
    model.eval()
    predict(model, X)
    assert not model.training and not spy.training


def test_accuracy_score():
    assert metrics.accuracy_score([0, 1, 2, 2], [0, 2, 2, 2]) == 0.75
    with pytest.raises(ValueError, match="y_pred"):
        metrics.accuracy_score([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="y_true"):
        metrics.accuracy_score([], [])
