"""Chapter 08's DateTranslator: its teacher-forced logits and every parameter's gradient equal a PyTorch twin built
from torch.nn layers with the same weights (float64); greedy decoding is causal and consistent with the teacher-forced
pass; the attention maps are the cross-attention (and encoder self-attention) weights; it learns the dates."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from close import assert_close_to_largest

from dlcourse.data import dates
from dlcourse.models.seq2seq import AttentionWeights, DateTranslator, train_translator
from dlcourse.viz.attention_map import AttentionMaps

D, HEADS, FF = 8, 2, 16


def _pe(length: int) -> torch.Tensor:
    position = torch.arange(length, dtype=torch.float64)[:, None]
    div = torch.exp(torch.arange(0, D, 2, dtype=torch.float64) * (-math.log(10000.0) / D))
    pe = torch.zeros(length, D, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(position * div), torch.cos(position * div)
    return pe


class TorchTwin(torch.nn.Module):
    """The same architecture from torch.nn layers, with the same parameter names."""

    def __init__(self, num_encoder_layers: int) -> None:
        super().__init__()
        f64 = {"dtype": torch.float64}
        self.src_embed = torch.nn.Embedding(len(dates.SOURCE_VOCAB), D, padding_idx=dates.PAD, **f64)
        self.encoder = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True, **f64)
            for _ in range(num_encoder_layers)
        )
        self.tgt_embed = torch.nn.Embedding(len(dates.TARGET_VOCAB), D, **f64)
        self.self_attn = torch.nn.MultiheadAttention(D, HEADS, batch_first=True, **f64)
        self.norm1 = torch.nn.LayerNorm(D, **f64)
        self.cross_attn = torch.nn.MultiheadAttention(D, HEADS, batch_first=True, **f64)
        self.norm2 = torch.nn.LayerNorm(D, **f64)
        self.linear1 = torch.nn.Linear(D, FF, **f64)
        self.linear2 = torch.nn.Linear(FF, D, **f64)
        self.norm3 = torch.nn.LayerNorm(D, **f64)
        self.out = torch.nn.Linear(D, len(dates.TARGET_VOCAB), **f64)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor):
        used = int((src != dates.PAD).any(0).nonzero().max()) + 1
        src = src[:, :used]
        pad = src == dates.PAD
        x = self.src_embed(src) + _pe(src.shape[1])
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=pad)
        T = tgt_in.shape[1]
        y = self.tgt_embed(tgt_in) + _pe(T)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        y = self.norm1(y + self.self_attn(y, y, y, attn_mask=causal, need_weights=False)[0])
        c, w = self.cross_attn(y, x, x, key_padding_mask=pad, average_attn_weights=False)
        y = self.norm2(y + c)
        y = self.norm3(y + self.linear2(torch.relu(self.linear1(y))))
        return self.out(y), w


def _pair(num_encoder_layers: int = 1):
    torch.manual_seed(0)
    twin = TorchTwin(num_encoder_layers)
    ours = DateTranslator(D, HEADS, FF, num_encoder_layers, rng=0)
    ours.load_state_dict(twin.state_dict())
    return ours, twin


SOURCES = ["12 March 2019", "Tue, Mar 5, 1996", "the 3rd of May, 1999"]
TARGETS = ["2019-03-12", "1996-03-05", "1999-05-03"]


@pytest.mark.parametrize("num_encoder_layers", [1, 2])
def test_logits_and_gradients_equal_pytorch(num_encoder_layers):
    ours, twin = _pair(num_encoder_layers)
    X, Y = dates.encode_dates(SOURCES, TARGETS)
    Y_in = dates.decoder_inputs(Y)
    logits = ours(X, Y_in)
    expected, _ = twin(torch.tensor(X), torch.tensor(Y_in))
    assert logits.shape == (3, dates.TARGET_LEN, len(dates.TARGET_VOCAB))
    assert_close_to_largest(logits, expected.detach().numpy(), "logits")
    dout = np.random.default_rng(1).standard_normal(logits.shape)
    ours.zero_grad()
    ours.backward(dout)
    expected.backward(torch.tensor(dout))
    torch_grads = dict(twin.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(torch_grads)
    for name, p in ours.named_parameters():
        assert_close_to_largest(p.grad, torch_grads[name].grad.numpy(), name)


def test_cross_attention_maps_equal_pytorch_weights():
    ours, twin = _pair()
    maps = ours.attention_maps(SOURCES[0])
    assert isinstance(maps, AttentionWeights)
    assert maps.keys == list(SOURCES[0]) and len(maps.queries) == dates.TARGET_LEN
    assert maps.weights.shape == (1, HEADS, dates.TARGET_LEN, len(SOURCES[0]))
    ids = ours.greedy_ids(dates.encode_dates(SOURCES[:1])[0])
    assert maps.queries == [dates.TARGET_VOCAB.itos[i] for i in ids[0]]
    X = dates.encode_dates(SOURCES[:1])[0]
    _, w = twin(torch.tensor(X), torch.tensor(np.concatenate([[[dates.SOS]], ids[:, :-1]], axis=1)))
    assert_close_to_largest(maps.weights[0], w[0].detach().numpy(), "cross-attention weights")
    AttentionMaps(*maps)  # the viewer's data accepts them: rows are distributions


def test_encoder_attention_maps_equal_pytorch_weights():
    ours, twin = _pair(2)
    text = SOURCES[1]
    maps = ours.encoder_attention_maps(text)
    assert maps.weights.shape == (2, HEADS, len(text), len(text)) and maps.keys == maps.queries == list(text)
    x = twin.src_embed(torch.tensor(dates.encode_dates([text])[0][:, : len(text)])) + _pe(len(text))
    for i, layer in enumerate(twin.encoder):
        _, w = layer.self_attn(x, x, x, average_attn_weights=False)
        assert_close_to_largest(maps.weights[i], w[0].detach().numpy(), f"layer {i}")
        x = layer(x)


def test_greedy_decoding_is_what_teacher_forcing_on_its_own_output_predicts():
    """The decoder is causal: position t sees only the characters before it, so feeding the greedy output back
    teacher-forced gives the same argmax at every position."""
    ours, _ = _pair()
    X, _ = dates.encode_dates(SOURCES)
    ids = ours.greedy_ids(X)
    Y_in = np.concatenate([np.full((3, 1), dates.SOS), ids[:, :-1]], axis=1)
    assert np.array_equal(ours(X, Y_in).argmax(axis=-1), ids)
    assert np.array_equal(ours.greedy_ids(X, batch_size=2), ids)  # decoding in batches changes nothing


def test_padding_columns_change_nothing():
    ours, _ = _pair()
    X, Y = dates.encode_dates(SOURCES[:1], TARGETS[:1])
    Y_in = dates.decoder_inputs(Y)
    short = ours(X[:, : len(SOURCES[0])], Y_in)
    assert_close_to_largest(ours(X, Y_in), short, "trimmed padding")


def test_it_learns_dates():
    """A short training run (fixed seeds) drives the loss down and translates most held-out dates exactly."""
    split = dates.load_dates(3000, 10, 300, rng=1)
    model = DateTranslator(rng=0)
    losses = train_translator(model, split.X_train, split.y_train, epochs=3, batch_size=32, lr=5e-3, rng=0)
    assert losses[-1] < 0.2 * losses[0]
    predicted = model.translate(split.texts["test"][0])
    assert dates.exact_match_accuracy(predicted, split.texts["test"][1]) > 0.6


def test_bad_inputs():
    model = DateTranslator(D, HEADS, FF, rng=0)
    with pytest.raises(ValueError, match="nhead: expected a divisor of d_model=8"):
        DateTranslator(8, 3)
    with pytest.raises(ValueError, match="src: expected \\(N, length\\) integer ids"):
        model(np.ones((1, 4)), np.ones((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="tgt_in: expected ids from 0 to 13"):
        model(dates.encode_dates(SOURCES)[0], np.full((3, 2), 99))
    with pytest.raises(ValueError, match="text: expected a date of 1 to 29 characters"):
        model.attention_maps("")
    with pytest.raises(ValueError, match="Y: expected \\(N, 11\\) target ids ending with EOS"):
        train_translator(model, np.ones((2, 5), dtype=np.int64), np.ones((2, 11), dtype=np.int64), rng=0)
    with pytest.raises(ValueError, match="rng: shuffling needs an explicit"):
        train_translator(model, *dates.encode_dates(SOURCES, TARGETS))


def test_the_viewer_draws_the_translators_maps():
    """The chapter's viewer over the model: typing another date recomputes the cross-attention maps."""
    from dlcourse.viz.attention_map import AttentionViewer

    ours, _ = _pair()
    viewer = AttentionViewer(lambda text: AttentionMaps(*ours.attention_maps(text)), SOURCES[0], layers=1, heads=HEADS)
    assert viewer.maps.keys == list(SOURCES[0])
    viewer.controls["text"].value = SOURCES[2]
    assert viewer.maps.keys == list(SOURCES[2])
    assert_close_to_largest(viewer.maps.weights, ours.attention_maps(SOURCES[2]).weights, "viewer")
    viewer.controls["head"].value = 2
    assert viewer.result[2] == 1  # the second head, 0-based
