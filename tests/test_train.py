"""dlcourse.train: fit learns the synthetic sets and equals a PyTorch loop epoch by epoch; evaluate, train_epoch,
predict."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import classification_training, scaled_settings, seeds, sgd_hyperparameters

from dlcourse import data, metrics, nn, optim
from dlcourse.checks import rel_error
from dlcourse.checks import tolerances as tol
from dlcourse.interop import to_torch
from dlcourse.train import evaluate, fit, predict, train_epoch

few = scaled_settings(15)


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
    history = fit(
        model,
        X,
        y,
        epochs=60,
        batch_size=16,
        rng=np.random.default_rng(0),
        optimizer=optim.SGD(model, lr=0.1, momentum=0.9),
    )
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
            if len(x) == 5:  # a mini-batch, not predict()'s whole set
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


# ------------------------------------------------------------------------------ fit against a PyTorch loop


def close(a, b) -> bool:
    return float(np.max(rel_error(a, b), initial=0.0)) < tol.REFERENCE_RTOL


def torch_history(tmodel, X, y, X_val, y_val, *, epochs, batch_size, hyper, seed):
    """The same training written directly in PyTorch: orders from rng.permutation, one per epoch."""
    opt = torch.optim.SGD(tmodel.parameters(), **hyper)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    out = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "states": []}
    for _ in range(epochs):
        order = np.arange(len(X)) if batch_size is None else rng.permutation(len(X))
        step = len(X) if batch_size is None else batch_size
        total = 0.0
        for start in range(0, len(X), step):
            idx = torch.from_numpy(order[start : start + step])
            opt.zero_grad()
            loss = loss_fn(tmodel(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        out["loss"].append(total / len(X))
        with torch.no_grad():
            out["accuracy"].append(float((tmodel(Xt).argmax(1) == yt).double().mean()))
            logits = tmodel(torch.from_numpy(X_val))
            out["val_loss"].append(loss_fn(logits, torch.from_numpy(y_val)).item())
            out["val_accuracy"].append(float((logits.argmax(1).numpy() == y_val).mean()))
        out["states"].append({k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()})
    return out


@few
@given(setup=classification_training(), hyper=sgd_hyperparameters(), seed=seeds)
def test_fit_equals_pytorch_epoch_by_epoch(setup, hyper, seed):
    n, d, c, hidden, batch_size = setup
    data_rng = np.random.default_rng(seed)
    X, X_val = data_rng.standard_normal((n, d)), data_rng.standard_normal((7, d))
    y, y_val = data_rng.integers(0, c, n), data_rng.integers(0, c, 7)
    model = nn.MLP(d, hidden, c, "tanh", rng=seed)
    tmodel = to_torch(model)
    states = []
    history = fit(
        model,
        X,
        y,
        epochs=3,
        batch_size=batch_size,
        optimizer=optim.SGD(model, **hyper),
        rng=seed,
        validation_data=(X_val, y_val),
        callback=lambda epoch, h: states.append(model.state_dict()),
    )
    expected = torch_history(tmodel, X, y, X_val, y_val, epochs=3, batch_size=batch_size, hyper=hyper, seed=seed)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in ("loss", "val_loss"):
        assert close(history[key], expected[key]), key
    for key in ("accuracy", "val_accuracy"):
        assert history[key] == expected[key], key
    for ours, theirs in zip(states, expected["states"]):
        for name in ours:
            assert close(ours[name], theirs[name]), name


def test_callback_sees_each_epoch_and_the_history_so_far():
    X, y = data.make_blobs(30, n_classes=3, rng=0)
    calls = []
    fit(
        nn.MLP(2, [4], 3, rng=0),
        X,
        y,
        epochs=4,
        lr=0.1,
        batch_size=8,
        rng=0,
        validation_data=(X[:5], y[:5]),
        callback=lambda epoch, h: calls.append((epoch, {k: len(v) for k, v in h.items()})),
    )
    assert calls == [(e, {"loss": e, "accuracy": e, "val_loss": e, "val_accuracy": e}) for e in range(1, 5)]


def test_without_validation_data_the_history_has_two_keys():
    X, y = data.make_blobs(20, n_classes=2, rng=0)
    assert set(fit(nn.MLP(2, [3], 2, rng=0), X, y, epochs=2)) == {"loss", "accuracy"}


def test_shuffle_false_visits_the_stored_order_and_needs_no_rng():
    X, y = data.make_blobs(20, n_classes=2, rng=0)
    a, b = nn.MLP(2, [3], 2, rng=0), nn.MLP(2, [3], 2, rng=0)
    fit(a, X, y, epochs=2, lr=0.1, batch_size=6, shuffle=False)
    opt = optim.SGD(b, lr=0.1)
    for _ in range(2):
        for start in range(0, 20, 6):
            opt.zero_grad()
            loss_fn = nn.CrossEntropyLoss()
            loss_fn(b(X[start : start + 6]), y[start : start + 6])
            b.backward(loss_fn.backward(1.0))
            opt.step()
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[name])


def test_progress_bar_prints_and_changes_nothing():
    X, y = data.make_moons(40, rng=0)
    runs = []
    for progress in (False, True):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            model = nn.MLP(2, [4], 2, rng=0)
            runs.append(fit(model, X, y, epochs=5, batch_size=8, rng=1, progress=progress, validation_data=(X, y)))
        text = buf.getvalue()
        assert ("training" in text and "5/5" in text and "val_accuracy" in text) == progress
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(epochs=0), ("epochs", "positive integer", "0")),
        (dict(epochs=2, validation_data=np.zeros((3, 2))), ("validation_data", "pair", "ndarray")),
        (dict(epochs=2, validation_data=(np.zeros((3, 2)),)), ("validation_data", "length 1")),
        (dict(epochs=2, validation_data=(np.zeros((3, 2)), np.zeros(4))), ("validation_data", "(3, 2)", "(4,)")),
        (dict(epochs=2, callback="plot"), ("callback", "str")),
    ],
)
def test_fit_bad_arguments_are_named(kwargs, words):
    X, y = data.make_blobs(10, n_classes=2, rng=0)
    with pytest.raises(ValueError) as info:
        fit(nn.MLP(2, [3], 2, rng=0), X, y, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_fit_x_and_y_must_match():
    with pytest.raises(ValueError, match=r"X, y.*\(5, 2\).*\(4,\)"):
        fit(nn.MLP(2, [3], 2, rng=0), np.zeros((5, 2)), np.zeros(4, dtype=int), epochs=1)


# ------------------------------------------------------------------------------------ evaluate, train_epoch
@few
@given(seed=seeds, n=st.integers(1, 30))
def test_evaluate_equals_pytorch_and_changes_nothing(seed, n):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, 4)), rng.integers(0, 5, n)
    model = nn.MLP(4, [6], 5, "relu", rng=seed)
    before = model.state_dict()
    loss, acc = evaluate(model, X, y)
    logits = to_torch(model)(torch.from_numpy(X))
    assert close(loss, torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).item())
    assert acc == float((logits.argmax(1).numpy() == y).mean())
    assert isinstance(loss, float) and isinstance(acc, float) and model.training
    for name, value in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], value)


def test_evaluate_runs_in_eval_mode_and_restores_it():
    class Spy(nn.Identity):
        def forward(self, x):
            self.seen = self.training
            return x

    spy = Spy()
    model = nn.Sequential(nn.Linear(2, 3, rng=0), spy)
    for mode in (True, False):
        model.train(mode)
        evaluate(model, np.zeros((2, 2)), np.array([0, 1]))
        assert spy.seen is False and model.training is mode


def test_train_epoch_loss_is_weighted_by_batch_size():
    """With lr = 0 every batch loss is measured with the same weights: the epoch loss is the full-set loss."""
    X, y = data.make_blobs(23, n_classes=3, rng=0)
    model = nn.MLP(2, [5], 3, rng=0)
    full, _ = evaluate(model, X, y)
    loss = train_epoch(model, X, y, optimizer=optim.SGD(model, lr=0.0), batch_size=5, rng=0)
    assert close(loss, full)
    assert close(train_epoch(model, X, y, optimizer=optim.SGD(model, lr=0.0)), full)
