"""Bad input to the recurrent kernels and layers (chapter 07) gets one clear error: a ValueError that names the
argument and what was expected (shapes, dtypes, lengths, options), a RuntimeError for a backward pass without its
forward pass; a refused backward pass uses nothing up."""

from __future__ import annotations

import numpy as np
import pytest

import dlcourse.functional.recurrent as R
from dlcourse.fast import recurrent as fast_recurrent
from dlcourse.nn import Linear
from dlcourse.nn.embedding import Embedding
from dlcourse.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from dlcourse.nn.utils import clip_grad_norm_

Z = np.zeros
X, H0 = Z((3, 2, 5)), Z((2, 4))  # T = 3, N = 2, I = 5, H = 4
W1, U1, B1 = Z((4, 5)), Z((4, 4)), Z(4)
W4, U4, B4 = Z((16, 5)), Z((16, 4)), Z(16)


def _cache(kind):
    if kind == "lstm":
        return R.lstm_forward(X, H0, H0, W4, U4, B4, B4)[1]
    if kind == "fast":
        return fast_recurrent.lstm_forward(X, H0, H0, W4, U4, B4, B4)[1]
    return R.rnn_forward(X, H0, W1, U1, B1, B1)[1]


KERNEL_CASES = [
    # cells
    (lambda: R.rnn_cell_forward(Z(5), Z((1, 4)), W1, U1), ["x:", "2-D"]),
    (lambda: R.rnn_cell_forward(Z((2, 3)), H0, W1, U1), ["x:", "input_size=5", "(2, 3)"]),
    (lambda: R.rnn_cell_forward(X[0], Z((2, 3)), W1, U1), ["h:", "(2, 4)", "(2, 3)"]),
    (lambda: R.rnn_cell_forward(X[0], H0, W1, Z((4, 3))), ["weight_hh:", "(1*hidden_size, hidden_size)"]),
    (lambda: R.rnn_cell_forward(X[0], H0, Z((3, 5)), U1), ["weight_ih:", "(4, input_size)", "(3, 5)"]),
    (lambda: R.rnn_cell_forward(X[0], H0, W1, U1, B1, None), ["bias_hh:", "both or neither"]),
    (lambda: R.rnn_cell_forward(X[0], H0, W1, U1, Z(3), B1), ["bias_ih:", "(4,)", "(3,)"]),
    (lambda: R.rnn_cell_forward(X[0], H0, W1, U1, nonlinearity="sigmoid"), ["nonlinearity:", "'tanh'", "sigmoid"]),
    (lambda: R.rnn_cell_forward([["a"]], H0, W1, U1), ["x:", "numbers"]),
    (lambda: R.lstm_cell_forward(X[0], H0, Z((2, 5)), W4, U4), ["c:", "(2, 4)", "(2, 5)"]),
    (lambda: R.lstm_cell_forward(X[0], H0, H0, W1, U1), ["weight_hh:", "(4*hidden_size, hidden_size)"]),
    (lambda: R.gru_cell_forward(X[0], H0, W4, U4), ["weight_hh:", "(3*hidden_size, hidden_size)"]),
    (
        lambda: R.rnn_cell_backward(Z((2, 3)), R.rnn_cell_forward(X[0], H0, W1, U1)[1]),
        ["dh_next:", "(2, 4)", "(2, 3)"],
    ),
    (
        lambda: R.lstm_cell_backward(H0, Z((4, 2)), R.lstm_cell_forward(X[0], H0, H0, W4, U4)[1]),
        ["dc_next:", "(2, 4)"],
    ),
    (
        lambda: R.gru_cell_backward(H0, R.rnn_cell_forward(X[0], H0, W1, U1)[1]),
        ["cache:", "gru_cell_forward", "RNNCellCache"],
    ),
    (
        lambda: R.rnn_cell_backward(H0, R.rnn_cell_forward(X[0], H0, W1, U1)),
        ["cache:", "the pair (out, cache)"],
    ),
    # sequences
    (lambda: R.rnn_forward(X[0], H0, W1, U1), ["x:", "3-D"]),
    (lambda: R.rnn_forward(Z((0, 2, 5)), H0, W1, U1), ["x:", "at least one time step"]),
    (lambda: R.rnn_forward(X, Z((1, 2, 4)), W1, U1), ["h0:", "2-D"]),
    (lambda: R.gru_forward(X, Z((3, 4)), Z((12, 5)), Z((12, 4))), ["h0:", "(2, 4)", "(3, 4)"]),
    (lambda: R.lstm_forward(X, H0, Z((2, 3)), W4, U4), ["c0:", "(2, 4)", "(2, 3)"]),
    (lambda: R.rnn_forward(X, H0, W1, U1, lengths=[3]), ["lengths:", "(2,)", "(1,)"]),
    (lambda: R.rnn_forward(X, H0, W1, U1, lengths=[3, 0]), ["lengths:", "from 1 to T=3", "min 0"]),
    (lambda: R.rnn_forward(X, H0, W1, U1, lengths=[4, 1]), ["lengths:", "from 1 to T=3", "max 4"]),
    (lambda: R.rnn_forward(X, H0, W1, U1, lengths=[1.5, 2]), ["lengths:", "integers", "float64"]),
    (lambda: R.rnn_forward(X, H0, W1, U1, nonlinearity="gelu"), ["nonlinearity:", "gelu"]),
    (lambda: R.rnn_backward(Z((3, 2, 5)), None, _cache("rnn")), ["dout:", "(3, 2, 4)", "(3, 2, 5)"]),
    (lambda: R.rnn_backward(None, Z((2,)), _cache("rnn")), ["dh_n:", "(2, 4)", "(2,)"]),
    (lambda: R.lstm_backward(None, None, Z((4, 2)), _cache("lstm")), ["dc_n:", "(2, 4)"]),
    (lambda: R.rnn_backward(None, H0, _cache("rnn"), truncation=0), ["truncation:", "positive integer", "0"]),
    (lambda: R.rnn_backward(None, H0, _cache("rnn"), truncation=1.5), ["truncation:", "positive integer"]),
    (lambda: R.gru_backward(None, H0, _cache("rnn")), ["cache:", "gru_forward", "rnn_forward"]),
    (lambda: R.lstm_backward(None, H0, None, _cache("fast")), ["cache:", "lstm_forward", "FastLSTMCache"]),
    # the fast LSTM
    (lambda: fast_recurrent.lstm_forward(X, Z((2, 5)), None, W4, U4), ["h0:", "(2, 4)", "(2, 5)"]),
    (lambda: fast_recurrent.lstm_forward(X, None, None, W4, U4, lengths=[0, 1]), ["lengths:", "from 1 to T=3"]),
    (lambda: fast_recurrent.lstm_forward(X, None, None, W4, U4, B4, None), ["bias_hh:", "both or neither"]),
    (lambda: fast_recurrent.lstm_backward(Z((3, 2)), None, None, _cache("fast")), ["dout:", "(3, 2, 4)"]),
    (lambda: fast_recurrent.lstm_backward(None, H0, None, _cache("fast"), truncation=-1), ["truncation:"]),
    (lambda: fast_recurrent.lstm_backward(None, H0, None, _cache("lstm")), ["cache:", "fast.recurrent"]),
]


@pytest.mark.parametrize("call, words", KERNEL_CASES, ids=[str(i) for i in range(len(KERNEL_CASES))])
def test_kernels_name_the_bad_argument(call, words):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(words[0]), message
    for word in words[1:]:
        assert word in message, (word, message)


MODULE_CASES = [
    (lambda: RNN(0, 4), ["input_size:", "positive integer"]),
    (lambda: LSTM(3, 0), ["hidden_size:", "positive integer"]),
    (lambda: GRU(3, 4, num_layers=0), ["num_layers:", "positive integer"]),
    (lambda: RNN(3, 4, nonlinearity="sigmoid"), ["nonlinearity:", "sigmoid"]),
    (lambda: LSTM(3, 4, dropout=0.5), ["dropout:", "expected 0", "0.5"]),
    (lambda: GRU(3, 4, bidirectional=True), ["bidirectional:", "expected False"]),
    (lambda: LSTM(3, 4, batch_first="yes"), ["batch_first:", "True or False"]),
    (lambda: RNN(3, 4, bias=1), ["bias:", "True or False"]),
    (lambda: RNN(3, 4, rng="seed"), ["rng:", "Generator"]),
    (lambda: RNNCell(3, 4, nonlinearity="gelu"), ["nonlinearity:", "gelu"]),
    (lambda: LSTMCell(0, 4), ["input_size:"]),
    (lambda: GRUCell(3, 4, bias="no"), ["bias:"]),
    (lambda: LSTM(5, 4, rng=0)(Z((3, 5))), ["x:", "3-D"]),
    (lambda: LSTM(5, 4, rng=0)(Z((3, 2, 6))), ["x:", "(T, N, input_size)", "input_size=5"]),
    (lambda: GRU(5, 4, batch_first=True, rng=0)(Z((3, 2, 6))), ["x:", "(N, T, input_size)"]),
    (lambda: RNN(5, 4, num_layers=2, rng=0)(X, Z((1, 2, 4))), ["hx:", "(2, 2, 4)", "num_layers, batch, hidden_size"]),
    (lambda: LSTM(5, 4, rng=0)(X, Z((1, 2, 4))), ["hx:", "a pair (h, c)"]),
    (lambda: LSTM(5, 4, rng=0)(X, (Z((1, 2, 4)), Z((1, 3, 4)))), ["hx[1]:", "(1, 2, 4)", "(1, 3, 4)"]),
    (lambda: LSTM(5, 4, rng=0)(X, (Z((1, 2, 4)), None)), ["hx:", "a pair (h0, c0)"]),
    (lambda: GRU(5, 4, rng=0)(X, None, [1, 2, 3]), ["lengths:", "(2,)"]),
    (lambda: RNNCell(5, 4, rng=0)(X), ["x:", "2-D"]),
    (lambda: LSTMCell(5, 4, rng=0)(X[0], H0), ["hx:", "a pair (h, c)"]),
    (lambda: GRUCell(5, 4, rng=0)(X[0], Z((2, 5))), ["h:", "(2, 4)"]),
    (lambda: Embedding(0, 3), ["num_embeddings:", "positive integer"]),
    (lambda: Embedding(5, 3, padding_idx=5), ["padding_idx:", "from -5 to 4", "5"]),
    (lambda: Embedding(5, 3, rng=0)(np.array([0.0, 1.0])), ["input:", "integer indices", "float64"]),
    (lambda: Embedding(5, 3, rng=0)(np.array([0, 5])), ["input:", "from 0 to 4", "max 5"]),
    (lambda: Embedding(5, 3, rng=0)([-1, 2]), ["input:", "from 0 to 4", "min -1"]),
    (lambda: clip_grad_norm_(Linear(2, 2, rng=0).parameters(), -1.0), ["max_norm:", ">= 0"]),
    (lambda: clip_grad_norm_(Linear(2, 2, rng=0).parameters(), 1.0, 0), ["norm_type:", "positive"]),
    (lambda: clip_grad_norm_(Linear(2, 2, rng=0).parameters(), 1.0, "two"), ["norm_type:"]),
    (lambda: clip_grad_norm_([np.zeros(3)], 1.0), ["parameters[0]:", "dlcourse.nn.Parameter", "ndarray"]),
    (lambda: clip_grad_norm_(5, 1.0), ["parameters:", "int"]),
    (
        lambda: clip_grad_norm_(Linear(2, 2, rng=0).parameters() * 2, 1.0),
        ["parameters:", "each parameter once", "twice"],
    ),
]


@pytest.mark.parametrize("call, words", MODULE_CASES, ids=[str(i) for i in range(len(MODULE_CASES))])
def test_modules_name_the_bad_argument(call, words):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(words[0]), message
    for word in words[1:]:
        assert word in message, (word, message)


LAYERS = {
    "RNN": lambda: RNN(5, 4, num_layers=2, rng=0),
    "LSTM": lambda: LSTM(5, 4, num_layers=2, rng=0),
    "GRU": lambda: GRU(5, 4, num_layers=2, rng=0),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_backward_without_its_forward_raises(name):
    layer = LAYERS[name]()
    with pytest.raises(RuntimeError, match=f"{name}.backward: expected a forward pass first"):
        layer.backward(Z((3, 2, 4)))
    out, _ = layer(X)
    with pytest.raises(ValueError, match="dout: expected shape"):
        layer.backward(Z((3, 2, 5)))
    with pytest.raises(ValueError, match="dh_n: expected shape \\(2, 2, 4\\)"):
        layer.backward(None, Z((1, 2, 4)))
    with pytest.raises(ValueError, match="dout: expected the output's gradient"):
        layer.backward(None)
    with pytest.raises(ValueError, match="truncation: expected a positive integer"):
        layer.backward(np.ones_like(out), truncation=0)
    assert all(np.all(p.grad == 0) for p in layer.parameters())  # the refused passes added nothing
    dx = layer.backward(np.ones_like(out))  # and used nothing up
    assert dx.shape == X.shape
    with pytest.raises(RuntimeError, match="second"):
        layer.backward(np.ones_like(out))


@pytest.mark.parametrize("make", [RNNCell, LSTMCell, GRUCell], ids=["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_backward_without_its_forward_raises(make):
    cell = make(5, 4, rng=0)
    name = make.__name__
    with pytest.raises(RuntimeError, match=f"{name}.backward: expected a forward pass first"):
        cell.backward(H0)
    cell(X[0])
    cell(X[1])
    with pytest.raises(ValueError, match="dh_next: expected shape \\(2, 4\\)"):
        cell.backward(Z((2, 5)))
    cell.backward(H0)  # the refused pass used nothing up: two forward passes, two backward passes
    cell.backward(H0)
    with pytest.raises(RuntimeError, match="second"):
        cell.backward(H0)


def test_embedding_backward_without_its_forward_raises():
    emb = Embedding(5, 3, rng=0)
    with pytest.raises(RuntimeError, match="Embedding.backward: expected a forward pass first"):
        emb.backward(Z((2, 3)))
    emb(np.array([1, 2]))
    with pytest.raises(ValueError, match="dout: expected shape \\(2, 3\\)"):
        emb.backward(Z((3, 3)))
    emb.backward(np.ones((2, 3)))
    assert emb.grads["weight"].sum() == 6
    with pytest.raises(RuntimeError, match="second"):
        emb.backward(np.ones((2, 3)))
