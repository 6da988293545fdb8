"""Chapter 07's LSTM gate viewer, driven headlessly: the gates it shows are torch.nn.LSTM's, word by word."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.checks import tolerances as tol
from dlcourse.data.text import build_vocab
from dlcourse.nn.embedding import Embedding
from dlcourse.nn.rnn import LSTM
from dlcourse.viz.lstm_gates import QUANTITIES, GateTrace, GateViewer, lstm_trace

TEXTS = [
    "A wonderful film, the best I have seen this year.",
    "Dull, slow and far too long.<br /><br />I left early.",
    "Not bad at all",
]


@pytest.fixture(scope="module")
def model():
    vocab = build_vocab(TEXTS[:2], num_words=20)  # the third review has unknown words
    index = {word: i for i, word in enumerate(vocab)}
    return Embedding(len(vocab), 6, rng=0), LSTM(6, 5, num_layers=2, rng=1), index


def torch_gates(embedding, lstm, ids):
    """The first layer's gates, from torch.nn.LSTM's weights stepped with torch.nn.LSTMCell's formula."""
    cell = torch.nn.LSTMCell(6, 5).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.tensor(lstm.params[f"{name}_l0"]))
    x = torch.tensor(embedding.params["weight"][ids])
    h = c = torch.zeros(1, 5, dtype=torch.float64)
    out = {q: [] for q in QUANTITIES}
    with torch.no_grad():
        for t in range(len(ids)):
            a = x[t : t + 1] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
            i, f, g, o = a.chunk(4, dim=1)
            h, c = cell(x[t : t + 1], (h, c))
            for name, v in zip(QUANTITIES, (i.sigmoid(), f.sigmoid(), o.sigmoid(), g.tanh(), c, h)):
                out[name].append(v[0].numpy())
    return {q: np.array(v) for q, v in out.items()}


@pytest.mark.parametrize("review", range(len(TEXTS)))
def test_the_gates_shown_are_torchs(model, review):
    embedding, lstm, index = model
    trace = lstm_trace(embedding, lstm, TEXTS[review], index)
    ids = np.array([index.get(w, 1) for w in trace.words])
    expected = torch_gates(embedding, lstm, ids)
    for q in QUANTITIES:
        assert trace.gates[q].shape == (len(trace.words), 5)
        np.testing.assert_allclose(trace.gates[q], expected[q], rtol=tol.REFERENCE_RTOL, atol=1e-15)
    for q in ("input", "forget", "output"):
        assert np.all((trace.gates[q] > 0) & (trace.gates[q] < 1))


def test_the_hidden_state_is_nn_lstms_first_layer(model):
    embedding, lstm, index = model
    trace = lstm_trace(embedding, lstm, TEXTS[0], index)
    ids = np.array([index.get(w, 1) for w in trace.words])
    first = LSTM(6, 5, rng=0)
    first.load_state_dict({k: v for k, v in lstm.state_dict().items() if k.endswith("_l0")})
    out, _ = first(embedding(ids)[:, None, :])
    np.testing.assert_allclose(trace.gates["hidden"], out[:, 0, :], rtol=tol.REFERENCE_RTOL, atol=1e-15)


def test_viewer_builds_and_follows_its_controls(model):
    v = GateViewer(*model[:2], TEXTS, model[2])
    assert isinstance(v.trace, GateTrace) and v.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert v.trace.words[:2] == ["a", "wonderful"] and "words; forget" in v.status.value
    v.controls["review"].value = 1
    v.controls["quantity"].value = "cell"
    assert v.trace.words[0] == "dull" and v.result[1] == "cell"
    assert "image/png" in v._repr_mimebundle_()


def test_viewer_names_bad_arguments(model):
    with pytest.raises(ValueError, match="^texts: expected at least one review"):
        GateViewer(*model[:2], [], model[2])
    with pytest.raises(ValueError, match="^quantity"):
        GateViewer(*model[:2], TEXTS, model[2], quantity="gate")
