"""dlcourse.models.recurrent against PyTorch in float64: LSTMClassifier (logits and every gradient, with and without
lengths, one and two layers) against Embedding -> LSTM over pack_padded_sequence -> Linear; SeedIMDBModel and its
twin from seed_imdb_torch step for step under Adam; the training loop's arithmetic against a hand-written loop; and
bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest

from dlcourse import nn
from dlcourse.models.recurrent import (
    LSTMClassifier,
    SeedIMDBModel,
    evaluate_sequence_classifier,
    fit_sequence_classifier,
    predict_sequences,
    seed_imdb_torch,
)
from dlcourse.optim import Adam


def _torch_classifier(model: LSTMClassifier) -> torch.nn.Module:
    class Twin(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(model.vocab_size, model.embed_dim, padding_idx=0, dtype=torch.float64)
            self.lstm = torch.nn.LSTM(
                model.embed_dim, model.hidden_size, model.num_layers, batch_first=True, dtype=torch.float64
            )
            self.fc = torch.nn.Linear(model.hidden_size, model.num_classes, dtype=torch.float64)

        def forward(self, tokens, lengths):
            x = self.embedding(tokens)
            if lengths is not None:
                x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(x)
            return self.fc(h_n[-1])

    twin = Twin()
    twin.load_state_dict({k: torch.as_tensor(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_lstm_classifier_equals_torch(num_layers: int, with_lengths: bool) -> None:
    rng = np.random.default_rng(3)
    model = LSTMClassifier(30, 5, 4, 3, num_layers=num_layers, rng=1)
    twin = _torch_classifier(model)
    assert list(model.state_dict()) == list(twin.state_dict())
    N, T = 6, 7
    lengths = rng.integers(1, T + 1, N) if with_lengths else None
    tokens = rng.integers(1, 30, (N, T))
    if lengths is not None:
        tokens[np.arange(T)[None, :] >= lengths[:, None]] = 0  # padding after each end
    logits = model(tokens, lengths)
    t_logits = twin(torch.as_tensor(tokens), None if lengths is None else torch.as_tensor(lengths))
    assert_close_to_largest(logits, t_logits.detach().numpy(), "logits")
    dlogits = rng.standard_normal(logits.shape)
    assert model.backward(dlogits) is None
    t_logits.backward(torch.as_tensor(dlogits))
    grads = {name: p.grad for name, p in model.named_parameters()}
    for name, p in twin.named_parameters():
        assert_close_to_largest(grads[name], p.grad.numpy(), name)
    assert np.all(grads["embedding.weight"][0] == 0)  # the padding row learns nothing


def test_lengths_ignore_padding() -> None:
    """With lengths, what stands after a sequence's end changes nothing."""
    model = LSTMClassifier(20, 4, 3, rng=0)
    tokens = np.array([[3, 4, 5, 0, 0], [7, 8, 9, 10, 11]])
    other = tokens.copy()
    other[0, 3:] = [12, 13]
    lengths = np.array([3, 5])
    np.testing.assert_array_equal(model(tokens, lengths), model(other, lengths))
    assert not np.array_equal(model(tokens), model(other))


def test_seed_model_and_twin_step_for_step_under_adam() -> None:
    rng = np.random.default_rng(0)
    model = SeedIMDBModel(40, 6, 5, rng=2)
    twin = seed_imdb_torch(model)
    assert list(model.state_dict()) == list(twin.state_dict())
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        k: tuple(v.shape) for k, v in twin.state_dict().items()
    }
    tokens, y = rng.integers(0, 40, (8, 9)), rng.integers(0, 2, 8).astype(np.float64)
    opt, t_opt = Adam(model.parameters(), lr=1e-2), torch.optim.Adam(twin.parameters(), lr=1e-2)
    loss_fn, t_loss_fn = nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()
    for _ in range(3):
        opt.zero_grad()
        t_opt.zero_grad()
        loss = loss_fn(model(tokens), y)
        model.backward(loss_fn.backward(1.0))
        t_loss = t_loss_fn(twin(torch.as_tensor(tokens)), torch.as_tensor(y))
        t_loss.backward()
        assert abs(float(loss) - t_loss.item()) < 1e-12
        opt.step()
        t_opt.step()
    for name, value in twin.state_dict().items():
        assert_close_to_largest(model.state_dict()[name], value.numpy(), name)


def test_fit_follows_the_hand_written_loop() -> None:
    """fit_sequence_classifier = shuffle with the rng, forward, loss, backward, clip, Adam step."""
    rng = np.random.default_rng(5)
    tokens, y, lengths = rng.integers(1, 25, (10, 6)), rng.integers(0, 2, 10), rng.integers(1, 7, 10)
    a, b = LSTMClassifier(25, 4, 3, rng=7), LSTMClassifier(25, 4, 3, rng=7)
    history = fit_sequence_classifier(a, tokens, y, lengths, epochs=2, batch_size=4, rng=11, clip=0.5)
    order_rng, opt, loss_fn = np.random.default_rng(11), Adam(b.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    losses = []
    for _ in range(2):
        order, total = order_rng.permutation(10), 0.0
        for start in range(0, 10, 4):
            idx = order[start : start + 4]
            opt.zero_grad()
            loss = loss_fn(b(tokens[idx], lengths[idx]), y[idx])
            b.backward(loss_fn.backward(1.0))
            nn.utils.clip_grad_norm_(b.parameters(), 0.5)
            opt.step()
            total += float(loss) * len(idx)
        losses.append(total / 10)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-12)
    for name, value in b.state_dict().items():
        np.testing.assert_allclose(a.state_dict()[name], value, rtol=1e-12, atol=1e-15)


def test_training_learns_a_learnable_task() -> None:
    """Label = whether token 1 occurs: a few epochs on fixed seeds reach a held-out accuracy far above chance."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(2, 12, (400, 8))
    y = rng.integers(0, 2, 400)
    tokens[y == 1, rng.integers(0, 8, int(y.sum()))] = 1
    model = LSTMClassifier(12, 8, 8, rng=0)
    history = fit_sequence_classifier(
        model,
        tokens[:300],
        y[:300],
        epochs=8,
        batch_size=16,
        rng=0,
        optimizer=Adam(model.parameters(), lr=1e-2),
        validation_data=(tokens[300:], y[300:]),
    )
    assert history["loss"][-1] < history["loss"][0]
    loss, acc = evaluate_sequence_classifier(model, tokens[300:], y[300:])
    assert acc == history["val_accuracy"][-1] and acc > 0.9
    assert np.mean(predict_sequences(model, tokens[300:]) == y[300:]) == acc


def test_binary_model_predictions_threshold_the_logit() -> None:
    model = SeedIMDBModel(15, 3, 2, rng=0)
    tokens = np.random.default_rng(1).integers(0, 15, (5, 4))
    np.testing.assert_array_equal(predict_sequences(model, tokens), (model(tokens) > 0).astype(int))


@pytest.mark.parametrize(
    ("tokens", "lengths", "match"),
    [
        (np.zeros((2, 3)), None, "tokens: expected integer"),
        (np.zeros(3, dtype=int), None, "tokens: expected integer"),
        (np.zeros((2, 3), dtype=int), np.array([1, 4]), "lengths: expected lengths from 1 to T=3"),
        (np.zeros((2, 3), dtype=int), np.array([1]), "lengths: expected 2 integer lengths"),
        (np.full((2, 3), 99), None, "input: expected indices from 0 to 9"),
    ],
)
def test_bad_inputs(tokens, lengths, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(10, 2, 2, rng=0)(tokens, lengths)


def test_bad_training_arguments() -> None:
    model, tokens, y = LSTMClassifier(10, 2, 2, rng=0), np.ones((4, 3), dtype=int), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="rng"):
        fit_sequence_classifier(model, tokens, y, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        fit_sequence_classifier(model, tokens, y, epochs=0, rng=0)
    with pytest.raises(ValueError, match="clip"):
        fit_sequence_classifier(model, tokens, y, epochs=1, rng=0, clip=-1.0)
    with pytest.raises(ValueError, match="validation_data"):
        fit_sequence_classifier(model, tokens, y, epochs=1, rng=0, validation_data=(tokens,))
    with pytest.raises(ValueError, match="tokens, y"):
        fit_sequence_classifier(model, tokens, y[:2], epochs=1, rng=0)
    with pytest.raises(ValueError, match="vocab_size"):
        LSTMClassifier(0, 2, 2)


def test_the_torch_twin_trained_on_the_same_batches_takes_the_same_steps():
    """fit_torch_sequence_classifier on lstm_classifier_torch's twin follows fit_sequence_classifier step for step
    in float64 (variable lengths, clipping, Adam): the losses per epoch and every weight agree up to round-off."""
    from dlcourse.models.recurrent import fit_torch_sequence_classifier, lstm_classifier_torch

    rng = np.random.default_rng(1)
    N, T, V = 120, 12, 30
    tokens = rng.integers(1, V, (N, T))
    lengths = rng.integers(1, T + 1, N)
    for i, n in enumerate(lengths):
        tokens[i, n:] = 0
    y = (tokens[:, 0] % 2).astype(np.int64)
    model = LSTMClassifier(V, 6, 5, num_layers=2, rng=0)
    twin = lstm_classifier_torch(model)
    ours = fit_sequence_classifier(
        model, tokens, y, lengths, epochs=2, batch_size=16, rng=3, optimizer=Adam(model.parameters(), lr=5e-3), clip=0.5
    )
    theirs = fit_torch_sequence_classifier(twin, tokens, y, lengths, epochs=2, batch_size=16, lr=5e-3, clip=0.5, rng=3)
    np.testing.assert_allclose(ours["loss"], theirs, rtol=1e-9)
    state = twin.state_dict()
    for name, value in model.state_dict().items():
        assert_close_to_largest(value, state[name].detach().numpy(), name)


def test_the_twin_reads_each_sequence_up_to_its_length_as_pack_padded_sequence_does():
    from dlcourse.models.recurrent import lstm_classifier_torch

    rng = np.random.default_rng(2)
    tokens = rng.integers(1, 20, (7, 9))
    lengths = np.array([9, 1, 4, 6, 2, 9, 5])
    for i, n in enumerate(lengths):
        tokens[i, n:] = 0
    model = LSTMClassifier(20, 4, 3, num_layers=2, rng=0)
    twin = lstm_classifier_torch(model)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        twin.embedding(torch.from_numpy(tokens)), torch.from_numpy(lengths), batch_first=True, enforce_sorted=False
    )
    _, (h_n, _) = twin.lstm(packed)
    expected = twin.fc(h_n[-1]).detach().numpy()
    assert_close_to_largest(twin(torch.from_numpy(tokens), lengths).detach().numpy(), expected, "twin")
    assert_close_to_largest(model(tokens, lengths), expected, "dlcourse")
