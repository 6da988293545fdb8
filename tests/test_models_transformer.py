"""Chapter 08's TransformerClassifier: equal to a PyTorch twin built from torch.nn layers (float64, the same weights)
in its output and every parameter's gradient, padding handled by ids or by lengths alike, and it learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from close import assert_close_to_largest

from dlcourse.models.recurrent import evaluate_sequence_classifier, fit_sequence_classifier
from dlcourse.models.transformer import TransformerClassifier
from dlcourse.optim import Adam

VOCAB, D, HEADS, FF, MAX_LEN = 30, 8, 2, 16, 12


class TorchTwin(torch.nn.Module):
    """Embedding + the tutorial's sinusoidal encoding + TransformerEncoderLayers + masked mean + Linear."""

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, D, padding_idx=0, dtype=torch.float64)
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True, dtype=torch.float64)
            for _ in range(num_layers)
        )
        self.fc = torch.nn.Linear(D, 2, dtype=torch.float64)
        position = torch.arange(MAX_LEN, dtype=torch.float64)[:, None]
        div = torch.exp(torch.arange(0, D, 2, dtype=torch.float64) * (-math.log(10000.0) / D))
        self.pe = torch.zeros(MAX_LEN, D, dtype=torch.float64)
        self.pe[:, 0::2], self.pe[:, 1::2] = torch.sin(position * div), torch.cos(position * div)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad = tokens == 0
        x = self.embedding(tokens) + self.pe[: tokens.shape[1]]
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        keep = (~pad).to(x.dtype)[:, :, None]
        return self.fc((x * keep).sum(1) / keep.sum(1))


def _pair(num_layers: int, seed: int = 0):
    torch.manual_seed(seed)
    twin = TorchTwin(num_layers)
    ours = TransformerClassifier(VOCAB, D, HEADS, FF, num_layers, max_len=MAX_LEN, dropout=0.0, rng=seed)
    ours.load_state_dict(twin.state_dict())
    return ours, twin


def _tokens(seed: int = 1) -> np.ndarray:
    """Pre-padded token ids (zeros in front), as load_movie_reviews pads, one sequence without padding."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCAB, size=(4, 10))
    for i, length in enumerate([10, 7, 3, 1]):
        tokens[i, : 10 - length] = 0
    return tokens


@pytest.mark.parametrize("num_layers", [1, 2])
def test_output_and_gradients_equal_pytorch(num_layers):
    ours, twin = _pair(num_layers)
    tokens = _tokens()
    logits = ours(tokens)
    expected = twin(torch.tensor(tokens))
    assert_close_to_largest(logits, expected.detach().numpy(), "logits")
    dout = np.random.default_rng(2).standard_normal(logits.shape)
    ours.zero_grad()
    ours.backward(dout)
    expected.backward(torch.tensor(dout))
    torch_grads = {name: p.grad for name, p in twin.named_parameters()}
    for name, p in ours.named_parameters():
        assert_close_to_largest(p.grad, torch_grads[name].numpy(), name)


def test_state_dict_keys_are_pytorch_like():
    ours, twin = _pair(1)
    assert list(ours.state_dict()) == list(twin.state_dict())


def test_lengths_and_padding_ids_mask_alike():
    """Padding at the end, given by lengths or found as id 0, gives the same logits; padding changes nothing of the
    real tokens' mean (more padding at the end, same logits)."""
    ours, _ = _pair(1)
    ours.eval()
    rng = np.random.default_rng(3)
    lengths = np.array([6, 2, 4])
    tokens = rng.integers(1, VOCAB, size=(3, 6))
    tokens[np.arange(6)[None, :] >= lengths[:, None]] = 0
    by_ids, by_lengths = ours(tokens), ours(tokens, lengths)
    assert_close_to_largest(by_ids, by_lengths, "lengths")
    longer = np.concatenate([tokens, np.zeros((3, 3), dtype=np.int64)], axis=1)
    assert_close_to_largest(ours(longer), by_ids, "more padding")


def test_it_learns_a_keyword_task():
    """Class 1 exactly when token 5 occurs: a few epochs on 256 sequences separate the classes (fixed seeds)."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(6, VOCAB, size=(320, 8))
    y = rng.integers(0, 2, size=320)
    tokens[y == 1, rng.integers(0, 8, size=int(y.sum()))] = 5
    model = TransformerClassifier(VOCAB, 16, 2, 32, 1, max_len=8, dropout=0.0, rng=0)
    history = fit_sequence_classifier(
        model, tokens[:256], y[:256], epochs=15, batch_size=32, optimizer=Adam(model.parameters(), lr=1e-2), rng=0
    )
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert evaluate_sequence_classifier(model, tokens[256:], y[256:])[1] >= 0.9


def test_dropout_only_in_training():
    model = TransformerClassifier(VOCAB, D, HEADS, FF, 1, max_len=MAX_LEN, dropout=0.5, rng=0)
    tokens = _tokens()
    model.eval()
    assert np.array_equal(model(tokens), model(tokens))
    model.train()
    assert not np.array_equal(model(tokens), model(tokens))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"nhead": 3}, "nhead: expected a divisor of d_model=8"),
        ({"padding_idx": VOCAB}, "padding_idx"),
        ({"dropout": 1.5}, "dropout"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    args = {"vocab_size": VOCAB, "d_model": D, "nhead": HEADS, "dim_feedforward": FF, "rng": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        TransformerClassifier(**args)


def test_bad_tokens_and_lengths():
    model = TransformerClassifier(VOCAB, D, HEADS, FF, 1, max_len=MAX_LEN, rng=0)
    with pytest.raises(ValueError, match="tokens: expected \\(N, T\\) integer token ids"):
        model(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tokens: expected ids from 0 to 29"):
        model(np.array([[1, VOCAB]]))
    with pytest.raises(ValueError, match="lengths: expected 1 integer lengths"):
        model(np.array([[1, 2]]), np.array([0]))
