r"""Chapter 07: recurrent layers as ``torch.nn`` has them: the cells :class:`RNNCell`, :class:`LSTMCell`,
:class:`GRUCell` (one time step) and the layers :class:`RNN`, :class:`LSTM`, :class:`GRU` (whole sequences,
stacked ``num_layers`` deep).

Parameter names, shapes and the default initialisation are PyTorch's, so ``model.load_state_dict(
torch_model.state_dict())`` copies weights one to one: a cell has ``weight_ih`` (G·H, I), ``weight_hh`` (G·H, H),
``bias_ih`` and ``bias_hh`` (G·H,), with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n); a layer
has the same per layer l, named ``weight_ih_l0``, ``weight_hh_l0``, ..., ``bias_hh_l1`` (layer l > 0 reads the
hidden states of layer l - 1, so its ``weight_ih_l{l}`` is (G·H, H)). Every parameter starts uniform in
:math:`[-1/\sqrt{H}, 1/\sqrt{H}]`.

The layers return what PyTorch's return: ``out, h_n = rnn(x, h0)``, ``out, (h_n, c_n) = lstm(x, (h0, c0))``, with x
(T, N, I) (or (N, T, I) with ``batch_first=True``), out (T, N, H) (or (N, T, H)) and h_n, c_n (num_layers, N, H).
Their backward pass takes the gradients of both results, ``backward(dout, dh_n=None, dc_n=None)`` (any of them may
be None, meaning 0), returns dL/dx, adds the parameters' gradients into ``grads`` and leaves the initial states'
gradients in :attr:`dhx` (``dh0``, or ``(dh0, dc0)`` for an LSTM). ``truncation=k`` in the backward pass gives
truncated BPTT (see :mod:`dlcourse.functional.recurrent`).

Variable lengths: ``forward(x, hx, lengths=...)`` treats sequence n as ``lengths[n]`` steps long: its outputs past
the end are 0 and its h_n (c_n) is the state at its last step, what PyTorch gives with ``pack_padded_sequence`` and
``pad_packed_sequence``.

:class:`LSTM` runs the fast kernels of :mod:`dlcourse.fast.recurrent`; :class:`RNN`, :class:`GRU` and the cells run
the readable ones of :mod:`dlcourse.functional.recurrent`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed
from .._validate import as_float_array, check_bool, check_choice, check_positive_int, check_rng, check_upstream
from ..fast import recurrent as fast_recurrent
from ..functional import recurrent as R
from .module import _USED, Module

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _init_params(module: Module, names: list[str], shapes: list[tuple], hidden_size: int, rng: Seed, dtype) -> None:
    """PyTorch's default: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)], drawn in ``names``' order."""
    rng = np.random.default_rng() if rng is None else check_rng(rng)
    bound = 1.0 / np.sqrt(hidden_size)
    for name, shape in zip(names, shapes):
        module._add_param(name, rng.uniform(-bound, bound, shape).astype(dtype))


def _check_state_arg(value, name: str, shape: tuple[int, ...], meaning: str) -> np.ndarray:
    arr = as_float_array(value, name)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} ({meaning}), got shape {arr.shape}")
    return arr


# ---------------------------------------------------------------------------------------------------- cells
class _CellBase(Module):
    """A cell: one time step. Each forward call keeps its cache on a stack and each backward call uses the latest
    one, so a cell called at every step of a loop is differentiated by calling backward in the reverse order (BPTT)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, rng: Seed, dtype: DTypeLike) -> None:
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        check_bool(bias, "bias")
        G, H = self.gates, self.hidden_size
        names, shapes = ["weight_ih", "weight_hh"], [(G * H, self.input_size), (G * H, H)]
        if bias:
            names, shapes = names + ["bias_ih", "bias_hh"], shapes + [(G * H,), (G * H,)]
        _init_params(self, names, shapes, H, rng, dtype)
        self.dhx = None

    def _weights(self) -> tuple:
        p = self.params
        return p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh")

    def _push(self, cache) -> None:
        if not isinstance(self._cache, list):
            self._cache = []
        self._cache.append(cache)

    def _latest(self):
        """The latest forward pass's cache not yet used (a RuntimeError before any forward pass, or when every
        forward pass has had its backward pass)."""
        return self._saved()[-1]

    def _used_latest(self) -> None:
        stack = self._cache
        stack.pop()
        if not stack:
            self._cache = _USED

    def _add_grads(self, grads) -> None:
        for name, g in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), grads):
            if name in self.params:
                self.grads[name] += g

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={'bias_ih' in self.params}"


class RNNCell(_CellBase):
    r"""Elman RNN cell :math:`h' = \phi(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})`, φ = tanh or ReLU
    (``torch.nn.RNNCell``).

    Shapes: x (N, input_size), hx (N, hidden_size) or None (zeros) -> h' (N, hidden_size).
    ``backward(dh)`` returns dL/dx and leaves dL/dhx in :attr:`dhx`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: Literal["tanh", "relu"] = "tanh",
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, rng, dtype)

    def forward(self, x: ArrayLike, hx: ArrayLike | None = None) -> np.ndarray:
        h_next, cache = R.rnn_cell_forward(x, hx, *self._weights(), nonlinearity=self.nonlinearity)
        self._push(cache)
        return h_next

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dL/dx from dL/dh' (``dout``, (N, hidden_size)); dL/dhx goes to :attr:`dhx`."""
        dx, dh, *grads = R.rnn_cell_backward(dout, self._latest())
        self._used_latest()
        self._add_grads(grads)
        self.dhx = dh
        return dx

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_CellBase):
    r"""LSTM cell (``torch.nn.LSTMCell``): gates i, f, g, o, :math:`c' = f c + i g`, :math:`h' = o \tanh(c')`.

    Shapes: x (N, input_size), hx = (h, c) with h, c (N, hidden_size), or None (zeros) -> (h', c').
    ``backward(dh, dc=None)`` returns dL/dx and leaves (dL/dh, dL/dc) in :attr:`dhx`.
    """

    gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, rng, dtype)

    def forward(self, x: ArrayLike, hx: tuple[ArrayLike, ArrayLike] | None = None) -> tuple[np.ndarray, np.ndarray]:
        h, c = _state_pair(hx)
        (h_next, c_next), cache = R.lstm_cell_forward(x, h, c, *self._weights())
        self._push(cache)
        return h_next, c_next

    def backward(self, dout: ArrayLike, dc: ArrayLike | None = None) -> np.ndarray:
        """dL/dx from dL/dh' (``dout``) and dL/dc' (``dc``, None for 0); (dL/dh, dL/dc) go to :attr:`dhx`."""
        dx, dh, dc_prev, *grads = R.lstm_cell_backward(dout, dc, self._latest())
        self._used_latest()
        self._add_grads(grads)
        self.dhx = (dh, dc_prev)
        return dx


class GRUCell(_CellBase):
    r"""GRU cell (``torch.nn.GRUCell``): gates r, z, candidate n, :math:`h' = (1 - z) n + z h`.

    Shapes: x (N, input_size), hx (N, hidden_size) or None (zeros) -> h' (N, hidden_size).
    ``backward(dh)`` returns dL/dx and leaves dL/dhx in :attr:`dhx`.
    """

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, rng, dtype)

    def forward(self, x: ArrayLike, hx: ArrayLike | None = None) -> np.ndarray:
        h_next, cache = R.gru_cell_forward(x, hx, *self._weights())
        self._push(cache)
        return h_next

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dL/dx from dL/dh' (``dout``, (N, hidden_size)); dL/dhx goes to :attr:`dhx`."""
        dx, dh, *grads = R.gru_cell_backward(dout, self._latest())
        self._used_latest()
        self._add_grads(grads)
        self.dhx = dh
        return dx


def _state_pair(hx, name: str = "hx"):
    """(h, c) from an LSTM's ``hx``: None, or a pair."""
    if hx is None:
        return None, None
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise ValueError(f"{name}: expected a pair (h, c) of arrays, or None, got {type(hx).__name__}")
    return hx[0], hx[1]


# --------------------------------------------------------------------------------------------------- layers
class _RNNBase(Module):
    """A stack of ``num_layers`` recurrent layers over whole sequences (``torch.nn.RNNBase``)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        dropout: float,
        bidirectional: bool,
        rng: Seed,
        dtype: DTypeLike,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.bias = check_bool(bias, "bias")
        self.batch_first = check_bool(batch_first, "batch_first")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or dropout != 0:
            raise ValueError(
                f"dropout: expected 0 (dlcourse's recurrent layers have no dropout between layers), got {dropout!r}"
            )
        if bidirectional is not False:
            raise ValueError(
                f"bidirectional: expected False (the layers here run forward in time only), got {bidirectional!r}"
            )
        G, H = GATES[mode], self.hidden_size
        names, shapes = [], []
        for layer in range(self.num_layers):
            fan = self.input_size if layer == 0 else H
            names += [f"weight_ih_l{layer}", f"weight_hh_l{layer}"]
            shapes += [(G * H, fan), (G * H, H)]
            if bias:
                names += [f"bias_ih_l{layer}", f"bias_hh_l{layer}"]
                shapes += [(G * H,), (G * H,)]
        _init_params(self, names, shapes, H, rng, dtype)
        self.dhx = None

    def _layer_weights(self, layer: int) -> tuple:
        p = self.params
        return (
            p[f"weight_ih_l{layer}"],
            p[f"weight_hh_l{layer}"],
            p.get(f"bias_ih_l{layer}"),
            p.get(f"bias_hh_l{layer}"),
        )

    def _initial_states(self, hx, N: int) -> list[list[np.ndarray | None]]:
        """Per state (h, and c for an LSTM): one (N, H) array per layer, or Nones."""
        shape = (self.num_layers, N, self.hidden_size)
        meaning = "num_layers, batch, hidden_size"
        if self.mode == "LSTM":
            h0, c0 = _state_pair(hx)
            if (h0 is None) != (c0 is None):
                raise ValueError("hx: expected a pair (h0, c0) of arrays, or None, got a pair with a None")
            pairs = [(h0, "hx[0]"), (c0, "hx[1]")]
        else:
            pairs = [(hx, "hx")]
        states = []
        for value, name in pairs:
            if value is None:
                states.append([None] * self.num_layers)
            else:
                arr = _check_state_arg(value, name, shape, meaning)
                states.append(list(arr))
        return states

    def __call__(self, x: ArrayLike, hx: ArrayLike | tuple | None = None, lengths: ArrayLike | None = None) -> tuple:
        return self.forward(x, hx, lengths)

    def forward(self, x: ArrayLike, hx: ArrayLike | tuple | None = None, lengths: ArrayLike | None = None) -> tuple:
        """Run the stack over the sequences; see the class docstring for shapes and results."""
        x = as_float_array(x, "x", ndim=3)
        layout = "(N, T, input_size)" if self.batch_first else "(T, N, input_size)"
        if x.shape[-1] != self.input_size:
            raise ValueError(f"x: expected shape {layout} with input_size={self.input_size}, got {x.shape}")
        if self.batch_first:
            x = x.transpose(1, 0, 2)  # (T, N, I): the kernels run time first
        T, N, _ = x.shape
        lengths = R.check_lengths(lengths, N, T)
        states = self._initial_states(hx, N)
        caches, finals = [], []
        layer_input = x
        for layer in range(self.num_layers):
            initial = [s[layer] for s in states]
            out, final, cache = self._run_layer(layer_input, initial, self._layer_weights(layer), lengths)
            caches.append(cache)
            finals.append(final)
            layer_input = out
        self._cache = (caches, x.shape, x.dtype)
        out = layer_input.transpose(1, 0, 2) if self.batch_first else layer_input
        stacked = [np.stack([f[k] for f in finals]) for k in range(len(states))]  # each (num_layers, N, H)
        return (out, (stacked[0], stacked[1])) if self.mode == "LSTM" else (out, stacked[0])

    def _run_layer(self, x, initial, weights, lengths):
        if self.mode == "LSTM":
            (out, (h_n, c_n)), cache = fast_recurrent.lstm_forward(x, *initial, *weights, lengths=lengths)
            return out, [h_n, c_n], cache
        if self.mode == "GRU":
            (out, h_n), cache = R.gru_forward(x, *initial, *weights, lengths=lengths)
        else:
            nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
            (out, h_n), cache = R.rnn_forward(x, *initial, *weights, nonlinearity=nonlinearity, lengths=lengths)
        return out, [h_n], cache

    def _backward_layer(self, dout, dfinal, cache, truncation):
        if self.mode == "LSTM":
            dx, dh0, dc0, *grads = fast_recurrent.lstm_backward(dout, *dfinal, cache, truncation)
            return dx, [dh0, dc0], grads
        backward = R.gru_backward if self.mode == "GRU" else R.rnn_backward
        dx, dh0, *grads = backward(dout, dfinal[0], cache, truncation)
        return dx, [dh0], grads

    def _backward(self, dout, dfinal_args: list, truncation) -> np.ndarray:
        caches, x_shape, _ = self._saved()
        T, N, _ = x_shape
        shape = (self.num_layers, N, self.hidden_size)
        if dout is None and all(d is None for d in dfinal_args):
            names = "dh_n or dc_n" if self.mode == "LSTM" else "dh_n"
            raise ValueError(f"dout: expected the output's gradient (or {names}), got None for all of them")
        if dout is not None:
            out_shape = (N, T, self.hidden_size) if self.batch_first else (T, N, self.hidden_size)
            dout = check_upstream(dout, "dout", out_shape, None)
            if self.batch_first:
                dout = dout.transpose(1, 0, 2)
        names = ["dh_n", "dc_n"]
        dfinal = [
            None if d is None else _check_state_arg(d, names[k], shape, "num_layers, batch, hidden_size")
            for k, d in enumerate(dfinal_args)
        ]
        grad_names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        d_above = dout
        initial_grads = [[None] * self.num_layers for _ in dfinal]
        for layer in reversed(range(self.num_layers)):
            layer_dfinal = [None if d is None else d[layer] for d in dfinal]
            d_above, dinitial, grads = self._backward_layer(d_above, layer_dfinal, caches[layer], truncation)
            for k, g in enumerate(dinitial):
                initial_grads[k][layer] = g
            for name, g in zip(grad_names, grads):
                if g is not None:
                    self.grads[f"{name}_l{layer}"] += g
        stacked = [np.stack(g) for g in initial_grads]
        self.dhx = (stacked[0], stacked[1]) if self.mode == "LSTM" else stacked[0]
        dx = d_above.transpose(1, 0, 2) if self.batch_first else d_above
        return self._release(dx)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        return s


class RNN(_RNNBase):
    r"""Elman RNN over whole sequences, ``num_layers`` deep (``torch.nn.RNN``):
    :math:`h_t = \phi(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})`, φ = tanh or ReLU.

    ``out, h_n = rnn(x, hx=None, lengths=None)``: x (T, N, input_size) (batch_first: (N, T, input_size)),
    hx = h0 (num_layers, N, hidden_size) or None (zeros) -> out (T, N, hidden_size) (batch_first: (N, T,
    hidden_size)), the last layer's states; h_n (num_layers, N, hidden_size). ``backward(dout, dh_n=None,
    truncation=None)`` returns dL/dx and leaves dL/dh0 in :attr:`dhx`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: Literal["tanh", "relu"] = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, rng, dtype
        )

    def backward(
        self, dout: ArrayLike | None, dh_n: ArrayLike | None = None, *, truncation: int | None = None
    ) -> np.ndarray:
        """dL/dx from dL/dout and dL/dh_n (either may be None, meaning 0); dL/dh0 goes to :attr:`dhx`."""
        return self._backward(dout, [dh_n], truncation)


class GRU(_RNNBase):
    r"""GRU over whole sequences, ``num_layers`` deep (``torch.nn.GRU``); shapes and results as :class:`RNN`."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, rng, dtype
        )

    def backward(
        self, dout: ArrayLike | None, dh_n: ArrayLike | None = None, *, truncation: int | None = None
    ) -> np.ndarray:
        """dL/dx from dL/dout and dL/dh_n (either may be None, meaning 0); dL/dh0 goes to :attr:`dhx`."""
        return self._backward(dout, [dh_n], truncation)


class LSTM(_RNNBase):
    r"""LSTM over whole sequences, ``num_layers`` deep (``torch.nn.LSTM``), run by the fast kernels of
    :mod:`dlcourse.fast.recurrent`.

    ``out, (h_n, c_n) = lstm(x, hx=None, lengths=None)``: x (T, N, input_size) (batch_first: (N, T, input_size)),
    hx = (h0, c0), each (num_layers, N, hidden_size), or None (zeros) -> out (T, N, hidden_size) (batch_first:
    (N, T, hidden_size)); h_n, c_n (num_layers, N, hidden_size). ``backward(dout, dh_n=None, dc_n=None,
    truncation=None)`` returns dL/dx and leaves (dL/dh0, dL/dc0) in :attr:`dhx`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, rng, dtype
        )

    def backward(
        self,
        dout: ArrayLike | None,
        dh_n: ArrayLike | None = None,
        dc_n: ArrayLike | None = None,
        *,
        truncation: int | None = None,
    ) -> np.ndarray:
        """dL/dx from dL/dout, dL/dh_n and dL/dc_n (any may be None, meaning 0); (dL/dh0, dL/dc0) go to
        :attr:`dhx`."""
        return self._backward(dout, [dh_n, dc_n], truncation)
